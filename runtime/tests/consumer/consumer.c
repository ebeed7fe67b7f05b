/* A C application of the runtime, built by install-consumer.sh (against an
 * installed runtime, via CMake and via pkg-config) and by cross-aarch64.sh
 * (statically, run under qemu). It loads the artifact make-test-artifact.sh
 * writes with a descriptor like generated code would define, runs it on three
 * threads and checks the numbers.
 *
 *   consumer <artifact dir> <manifest sha256> <expected variant|auto> [isa
 * mask]
 *
 * Prints "isa=<qcrt_cpu_isa()> variant=<name> threads=<n>" and exits 0 when
 * everything matched. */
#include <quantc/runtime.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N 64

static const char *ran = "";

struct job {
  const uint8_t *weights;
  uint8_t *arena;
  const int32_t *x;
  int32_t *y;
};

/* y[i] = x[i] * w[i] + w[64 + i], with w[i] staged through the arena. */
static void rows(void *ctx, int64_t begin, int64_t end) {
  struct job *j = (struct job *)ctx;
  for (int64_t i = begin; i < end; ++i) {
    j->arena[i] = j->weights[i];
    j->y[i] = j->x[i] * (int32_t)j->arena[i] + (int32_t)j->weights[N + i];
  }
}

static void compute(const uint8_t *weights, uint8_t *arena, void *const *inputs,
                    void *const *outputs, qcrt_pool *pool) {
  struct job j = {weights, arena, (const int32_t *)inputs[0],
                  (int32_t *)outputs[0]};
  qcrt_parallel_for(pool, N, 8, rows, &j);
}

static void run_i8mm(const uint8_t *w, uint8_t *a, void *const *in,
                     void *const *out, qcrt_pool *p) {
  ran = "i8mm";
  compute(w, a, in, out, p);
}
static void run_dotprod(const uint8_t *w, uint8_t *a, void *const *in,
                        void *const *out, qcrt_pool *p) {
  ran = "dotprod";
  compute(w, a, in, out, p);
}
static void run_base(const uint8_t *w, uint8_t *a, void *const *in,
                     void *const *out, qcrt_pool *p) {
  ran = "base";
  compute(w, a, in, out, p);
}

static const qcrt_variant variants[] = {
    {QCRT_ISA_I8MM | QCRT_ISA_DOTPROD, "i8mm", run_i8mm},
    {QCRT_ISA_DOTPROD, "dotprod", run_dotprod},
    {0, "base", run_base},
};

static int check(int ok, const char *what) {
  if (!ok)
    fprintf(stderr, "consumer: FAILED: %s\n", what);
  return ok;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: consumer <artifact dir> <manifest sha256> "
                    "<expected variant|auto> [isa mask]\n");
    return 2;
  }
  qcrt_model_desc desc = {QCRT_ABI_VERSION, "probe", argv[2], 128, 64, 1, 1, 3,
                          variants};
  qcrt_options options;
  qcrt_options_init(&options);
  options.num_threads = 3;
  if (argc > 4)
    options.isa_mask = (uint32_t)strtoul(argv[4], NULL, 0);

  uint32_t isa = qcrt_cpu_isa();
  const char *expected = argv[3];
  if (strcmp(expected, "auto") == 0) {
    uint32_t usable = isa & options.isa_mask;
    expected = (usable & (QCRT_ISA_I8MM | QCRT_ISA_DOTPROD)) ==
                       (QCRT_ISA_I8MM | QCRT_ISA_DOTPROD)
                   ? "i8mm"
               : (usable & QCRT_ISA_DOTPROD) ? "dotprod"
                                             : "base";
  }

  qcrt_model *m = qcrt_create(argv[1], &desc, &options);
  if (!m) {
    fprintf(stderr, "consumer: %s\n", qcrt_last_error());
    return 1;
  }
  int ok = 1;
  const qcrt_tensor_info *in = qcrt_input_info(m, 0);
  ok &= check(in && strcmp(in->name, "x") == 0 && in->dtype == QCRT_I32 &&
                  in->rank == 1 && in->dims[0] == N && in->bytes == 4 * N,
              "input info");

  int32_t x[N], y[N];
  for (int i = 0; i < N; ++i)
    x[i] = i - 20;
  const void *inputs[] = {x};
  void *outputs[] = {y};
  for (int round = 0; round < 100 && ok; ++round) {
    memset(y, 0, sizeof(y));
    ok &= check(qcrt_run(m, inputs, outputs) == 0, qcrt_last_error());
    for (int i = 0; i < N; ++i) {
      int32_t w = (i * 7 + 3) & 255, b = ((N + i) * 7 + 3) & 255;
      if (y[i] != x[i] * w + b) {
        ok &= check(0, "output values");
        break;
      }
    }
  }
  ok &= check(strcmp(qcrt_variant_name(m), expected) == 0, "variant choice");
  ok &= check(strcmp(ran, expected) == 0, "variant that ran");
  ok &= check(qcrt_num_threads(m) == 3, "thread count");
  printf("isa=%u variant=%s threads=%d version=%s\n", (unsigned)isa,
         qcrt_variant_name(m), (int)qcrt_num_threads(m), qcrt_version());
  qcrt_destroy(m);

  /* A failure reports the file. */
  char missing[4096];
  snprintf(missing, sizeof(missing), "%s/no-such-dir", argv[1]);
  ok &= check(qcrt_create(missing, &desc, &options) == NULL &&
                  strstr(qcrt_last_error(), "no-such-dir") != NULL,
              "error for a missing directory");
  return ok ? 0 : 1;
}
