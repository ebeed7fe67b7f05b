/* Text generation with a compiled Llama step artifact, as an application
 * embeds it.
 *
 * quant-compile writes a Llama checkpoint's one-token decoding step as an
 * artifact (quant-compile model-dir --scheme w4a8-dynamic -o model.qc): its
 * inputs are tokens [1, 1] (i64), pos [] (i64), mask [1, 1, 1, Smax] (f32)
 * and the KV caches; its outputs the logits [1, 1, V] (f32) and the updated
 * caches. This program runs it step by step:
 *
 *   generate <model.qc> <tokenizer.bin> [--prompt TEXT] [-n N]
 *            [--threads T] [--isa base|dotprod|i8mm] [--print-tokens]
 *
 * The tokenizer is llama2.c's format (tokenizer.bin beside a quantc-trained
 * model, tok512.bin beside stories260K). The prompt is encoded as llama2.c
 * does (a leading space, code points or their bytes, then merges of the
 * best-scoring pair), fed one token per step, then tokens are picked
 * greedily until N are out, the context is full, or BOS/EOS comes. With
 * --print-tokens the prompt's and the generated token ids follow the text,
 * in the same form as `quant-run --print-tokens`.
 */
#include QC_MODEL_HEADER

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QC_CAT2(a, b) a##b
#define QC_CAT(a, b) QC_CAT2(a, b)
#define MODEL_CREATE QC_CAT(QC_MODEL_NAME, _create)

enum { BOS = 1, EOS = 2 };

typedef struct {
  int32_t n;
  char **piece;
  int32_t *len;
  float *score;
} tokenizer;

static int load_tokenizer(const char *path, int32_t vocab, tokenizer *t) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "generate: %s: cannot open the tokenizer\n", path);
    return -1;
  }
  int32_t max_len;
  t->n = vocab;
  t->piece = calloc((size_t)vocab, sizeof(char *));
  t->len = calloc((size_t)vocab, sizeof(int32_t));
  t->score = calloc((size_t)vocab, sizeof(float));
  if (fread(&max_len, 4, 1, f) != 1 || max_len <= 0)
    goto bad;
  for (int32_t i = 0; i < vocab; ++i) {
    if (fread(&t->score[i], 4, 1, f) != 1 || fread(&t->len[i], 4, 1, f) != 1 ||
        t->len[i] < 0 || t->len[i] > max_len)
      goto bad;
    t->piece[i] = malloc((size_t)t->len[i] + 1);
    if (fread(t->piece[i], 1, (size_t)t->len[i], f) != (size_t)t->len[i])
      goto bad;
    t->piece[i][t->len[i]] = 0;
  }
  if (fgetc(f) != EOF) {
    fprintf(stderr, "generate: %s: more tokens than the model's %d\n", path,
            vocab);
    fclose(f);
    return -1;
  }
  fclose(f);
  return 0;
bad:
  fprintf(stderr, "generate: %s: not a llama2.c tokenizer of %d tokens\n",
          path, vocab);
  fclose(f);
  return -1;
}

static int32_t find(const tokenizer *t, const char *s, size_t n) {
  for (int32_t i = 0; i < t->n; ++i)
    if ((size_t)t->len[i] == n && memcmp(t->piece[i], s, n) == 0)
      return i;
  return -1;
}

/* llama2.c's encode; returns the number of ids written (BOS first). */
static int32_t encode(const tokenizer *t, const char *text, int32_t *ids) {
  int32_t n = 0;
  ids[n++] = BOS;
  if (!*text)
    return n;
  int32_t space = find(t, " ", 1);
  if (space >= 0)
    ids[n++] = space;
  for (size_t i = 0; text[i];) {
    size_t j = i + 1;
    while (text[j] && j - i < 4 && ((unsigned char)text[j] & 0xC0) == 0x80)
      ++j;
    int32_t id = find(t, text + i, j - i);
    if (id >= 0) {
      ids[n++] = id;
    } else {
      for (size_t k = i; k < j; ++k) {
        char name[8];
        snprintf(name, sizeof name, "<0x%02X>", (unsigned char)text[k]);
        int32_t b = find(t, name, 6);
        ids[n++] = b >= 0 ? b : (unsigned char)text[k] + 3;
      }
    }
    i = j;
  }
  char *buf = malloc(1024);
  for (;;) {
    float best = 0;
    int32_t best_id = -1, best_at = -1;
    for (int32_t i = 1; i + 1 < n; ++i) {
      int32_t a = ids[i], b = ids[i + 1];
      if ((size_t)t->len[a] + (size_t)t->len[b] >= 1024)
        continue;
      memcpy(buf, t->piece[a], (size_t)t->len[a]);
      memcpy(buf + t->len[a], t->piece[b], (size_t)t->len[b]);
      int32_t id = find(t, buf, (size_t)(t->len[a] + t->len[b]));
      if (id >= 0 && (best_id < 0 || t->score[id] > best)) {
        best = t->score[id];
        best_id = id;
        best_at = i;
      }
    }
    if (best_id < 0)
      break;
    ids[best_at] = best_id;
    memmove(ids + best_at + 1, ids + best_at + 2,
            (size_t)(n - best_at - 2) * sizeof(int32_t));
    --n;
  }
  free(buf);
  return n;
}

static void print_piece(const tokenizer *t, int32_t prev, int32_t id) {
  const char *p = t->piece[id];
  unsigned byte;
  if (prev == BOS && p[0] == ' ')
    ++p;
  if (strlen(p) == 6 && sscanf(p, "<0x%02X>", &byte) == 1)
    putchar((int)byte);
  else
    fputs(p, stdout);
  fflush(stdout);
}

static int usage(void) {
  fprintf(stderr, "usage: generate <model.qc> <tokenizer.bin> [--prompt TEXT] "
                  "[-n N] [--threads T] [--isa base|dotprod|i8mm] "
                  "[--print-tokens]\n");
  return 2;
}

int main(int argc, char **argv) {
  if (argc < 3)
    return usage();
  const char *dir = argv[1], *tok_path = argv[2], *prompt = "";
  long steps = 64;
  int threads = 0, print_tokens = 0;
  uint32_t isa_mask = 0xffffffffu;
  for (int i = 3; i < argc; ++i) {
    if (!strcmp(argv[i], "--prompt") && i + 1 < argc)
      prompt = argv[++i];
    else if (!strcmp(argv[i], "-n") && i + 1 < argc)
      steps = strtol(argv[++i], NULL, 10);
    else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
      threads = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--print-tokens"))
      print_tokens = 1;
    else if (!strcmp(argv[i], "--isa") && i + 1 < argc) {
      const char *v = argv[++i];
      isa_mask = !strcmp(v, "base")      ? 0u
                 : !strcmp(v, "dotprod") ? QCRT_ISA_DOTPROD
                                         : 0xffffffffu;
    } else
      return usage();
  }

  qcrt_options opts;
  qcrt_options_init(&opts);
  opts.num_threads = threads;
  opts.isa_mask = isa_mask;
  qcrt_model *m = MODEL_CREATE(dir, &opts);
  if (!m) {
    fprintf(stderr, "generate: %s\n", qcrt_last_error());
    return 1;
  }

  /* The step's signature. */
  int32_t nin = qcrt_num_inputs(m), nout = qcrt_num_outputs(m);
  const qcrt_tensor_info *tokens = qcrt_input_info(m, 0),
                         *pos = qcrt_input_info(m, 1),
                         *mask = nin > 2 ? qcrt_input_info(m, 2) : NULL,
                         *logits = qcrt_output_info(m, 0);
  if (nin < 3 || nout != nin - 2 || strcmp(tokens->name, "tokens") ||
      tokens->dtype != QCRT_I64 || tokens->rank != 2 || tokens->dims[1] != 1 ||
      strcmp(pos->name, "pos") || strcmp(mask->name, "mask") ||
      mask->dtype != QCRT_F32 || mask->rank != 4 || logits->dtype != QCRT_F32 ||
      logits->rank != 3 || logits->dims[1] != 1) {
    fprintf(stderr, "generate: %s: not a one-token Llama step artifact\n", dir);
    qcrt_destroy(m);
    return 1;
  }
  const int64_t smax = mask->dims[3], vocab = logits->dims[2];
  const int32_t ncache = nin - 3;

  tokenizer tok;
  if (load_tokenizer(tok_path, (int32_t)vocab, &tok)) {
    qcrt_destroy(m);
    return 1;
  }
  int32_t *prompt_ids = malloc((strlen(prompt) * 4 + 3) * sizeof(int32_t));
  int32_t np = encode(&tok, prompt, prompt_ids);
  if (np >= smax) {
    fprintf(stderr, "generate: the prompt has %d tokens; the context holds "
                    "%lld\n", np, (long long)smax);
    return 1;
  }

  /* Two sets of caches: a step reads one and writes the other. */
  void **cache[2];
  for (int s = 0; s < 2; ++s) {
    cache[s] = malloc((size_t)ncache * sizeof(void *));
    for (int32_t c = 0; c < ncache; ++c)
      cache[s][c] = calloc(1, qcrt_input_info(m, 3 + c)->bytes);
  }
  int64_t token = 0, position = 0;
  float *mask_buf = malloc(mask->bytes);
  float *logit_buf = malloc(logits->bytes);
  const void **in = malloc((size_t)nin * sizeof(void *));
  void **out = malloc((size_t)nout * sizeof(void *));
  in[0] = &token;
  in[1] = &position;
  in[2] = mask_buf;
  out[0] = logit_buf;

  int32_t *generated = malloc(((size_t)steps + 1) * sizeof(int32_t));
  long ngen = 0;
  int cur = 0;
  for (int32_t i = 1; i < np; ++i)
    print_piece(&tok, prompt_ids[i - 1], prompt_ids[i]);
  int32_t prev = prompt_ids[np - 1];
  for (int64_t p = 0;; ++p) {
    int32_t feed;
    if (p < np) {
      feed = prompt_ids[p];
    } else {
      if (ngen >= steps)
        break;
      /* Greedy: the first of the largest logits. */
      int32_t best = 0;
      for (int64_t v = 1; v < vocab; ++v)
        if (logit_buf[v] > logit_buf[best])
          best = (int32_t)v;
      if (best == BOS || best == EOS)
        break;
      generated[ngen++] = best;
      print_piece(&tok, prev, best);
      prev = best;
      if (ngen == steps || p >= smax)
        break;
      feed = best;
    }
    token = feed;
    position = p;
    for (int64_t j = 0; j < smax; ++j)
      mask_buf[j] = j <= p ? 0.0f : -__builtin_inff();
    for (int32_t c = 0; c < ncache; ++c) {
      in[3 + c] = cache[cur][c];
      out[1 + c] = cache[1 - cur][c];
    }
    if (qcrt_run(m, in, out)) {
      fprintf(stderr, "generate: %s\n", qcrt_last_error());
      return 1;
    }
    cur = 1 - cur;
  }
  putchar('\n');
  if (print_tokens) {
    printf("prompt tokens:");
    for (int32_t i = 0; i < np; ++i)
      printf(" %d", prompt_ids[i]);
    printf("\ngenerated tokens:");
    for (long i = 0; i < ngen; ++i)
      printf(" %d", generated[i]);
    printf("\n");
  }
  qcrt_destroy(m);
  return 0;
}
