/* A small application that embeds a quantc artifact.
 *
 * Build it against one compiled model (see CMakeLists.txt and README.md):
 * the model's header <name>.h and lib<name>.a come from the artifact
 * directory quant-compile wrote, the runtime from libquantc_runtime.
 *
 *   embed <model.qc> <input.npy>... [-o <output dir>] [--isa base|dotprod|i8mm]
 *
 * Reads one .npy file per model input (dtype and shape must match the
 * manifest), runs the model once, prints the variant the runtime picked and
 * a summary of each output, and writes each output as <name>.npy into the
 * output directory when one is given.
 */
#include QC_MODEL_HEADER

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define QC_CAT2(a, b) a##b
#define QC_CAT(a, b) QC_CAT2(a, b)
#define MODEL_CREATE QC_CAT(QC_MODEL_NAME, _create)

static const char *dtype_descr(qcrt_dtype t) {
  switch (t) {
  case QCRT_F32: return "<f4";
  case QCRT_F16: return "<f2";
  case QCRT_F64: return "<f8";
  case QCRT_I8: return "|i1";
  case QCRT_U8: return "|u1";
  case QCRT_I16: return "<i2";
  case QCRT_I32: return "<i4";
  case QCRT_I64: return "<i8";
  case QCRT_BOOL: return "|b1";
  default: return NULL;
  }
}

/* Reads a version 1/2 .npy file whose dtype and shape equal `info`. */
static void *read_npy(const char *path, const qcrt_tensor_info *info) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "embed: %s: cannot open\n", path);
    return NULL;
  }
  unsigned char magic[8];
  uint32_t hlen = 0;
  if (fread(magic, 1, 8, f) != 8 || memcmp(magic, "\x93NUMPY", 6) != 0) {
    fprintf(stderr, "embed: %s: not a .npy file\n", path);
    fclose(f);
    return NULL;
  }
  if (magic[6] == 1) {
    unsigned char b[2];
    if (fread(b, 1, 2, f) != 2) goto bad;
    hlen = b[0] | (b[1] << 8);
  } else {
    unsigned char b[4];
    if (fread(b, 1, 4, f) != 4) goto bad;
    hlen = b[0] | (b[1] << 8) | ((uint32_t)b[2] << 16) | ((uint32_t)b[3] << 24);
  }
  if (hlen > 65536) goto bad;
  char *header = calloc(1, hlen + 1);
  if (!header || fread(header, 1, hlen, f) != hlen) {
    free(header);
    goto bad;
  }
  /* The dtype and the shape as text, e.g. '<f4' and (1, 1, 28, 28). */
  char shape[256] = "(", dim[32];
  for (int32_t i = 0; i < info->rank; ++i) {
    snprintf(dim, sizeof dim, "%s%lld", i ? ", " : "", (long long)info->dims[i]);
    strncat(shape, dim, sizeof shape - strlen(shape) - 1);
  }
  strncat(shape, info->rank == 1 ? ",)" : ")", sizeof shape - strlen(shape) - 1);
  const char *descr = dtype_descr(info->dtype);
  if (!descr || !strstr(header, descr) || !strstr(header, shape) ||
      strstr(header, "'fortran_order': True")) {
    fprintf(stderr, "embed: %s: expected dtype %s and shape %s for input '%s', the header is %s\n",
            path, descr ? descr : "?", shape, info->name, header);
    free(header);
    fclose(f);
    return NULL;
  }
  free(header);
  void *data = malloc(info->bytes ? info->bytes : 1);
  if (!data || fread(data, 1, info->bytes, f) != info->bytes) {
    free(data);
    goto bad;
  }
  fclose(f);
  return data;
bad:
  fprintf(stderr, "embed: %s: truncated or malformed .npy file\n", path);
  fclose(f);
  return NULL;
}

static int write_npy(const char *dir, const qcrt_tensor_info *info, const void *data) {
  char path[4096], header[512], shape[256] = "(", dim[32];
  snprintf(path, sizeof path, "%s/%s.npy", dir, info->name);
  for (char *c = path + strlen(dir) + 1; *c; ++c)
    if (*c == '/' || *c == ':') *c = '_';
  for (int32_t i = 0; i < info->rank; ++i) {
    snprintf(dim, sizeof dim, "%s%lld", i ? ", " : "", (long long)info->dims[i]);
    strncat(shape, dim, sizeof shape - strlen(shape) - 1);
  }
  strncat(shape, info->rank == 1 ? ",)" : ")", sizeof shape - strlen(shape) - 1);
  int n = snprintf(header, sizeof header,
                   "{'descr': '%s', 'fortran_order': False, 'shape': %s, }",
                   dtype_descr(info->dtype), shape);
  int total = 10 + n + 1;
  int pad = (64 - total % 64) % 64;
  FILE *f = fopen(path, "wb");
  if (!f) {
    fprintf(stderr, "embed: %s: cannot write\n", path);
    return 1;
  }
  unsigned short hlen = (unsigned short)(n + pad + 1);
  fwrite("\x93NUMPY\x01\x00", 1, 8, f);
  fputc(hlen & 0xff, f);
  fputc(hlen >> 8, f);
  fwrite(header, 1, n, f);
  for (int i = 0; i < pad; ++i) fputc(' ', f);
  fputc('\n', f);
  fwrite(data, 1, info->bytes, f);
  return fclose(f) != 0;
}

int main(int argc, char **argv) {
  const char *artifact = NULL, *outdir = NULL;
  /* At most one input file per argument. */
  const char **files = calloc((size_t)argc, sizeof(*files));
  int nfiles = 0;
  if (!files) {
    fprintf(stderr, "embed: out of memory\n");
    return 1;
  }
  qcrt_options options;
  qcrt_options_init(&options);
  for (int i = 1; i < argc; ++i) {
    if (!strcmp(argv[i], "-o") && i + 1 < argc) {
      outdir = argv[++i];
    } else if (!strcmp(argv[i], "--isa") && i + 1 < argc) {
      const char *isa = argv[++i];
      options.isa_mask = !strcmp(isa, "base") ? 0u
                         : !strcmp(isa, "dotprod") ? QCRT_ISA_DOTPROD
                                                   : 0xffffffffu;
    } else if (!artifact) {
      artifact = argv[i];
    } else {
      files[nfiles++] = argv[i];
    }
  }
  if (!artifact) {
    fprintf(stderr, "usage: embed <model.qc> <input.npy>... [-o DIR] [--isa base|dotprod|i8mm]\n");
    return 2;
  }
  qcrt_model *m = MODEL_CREATE(artifact, &options);
  if (!m) {
    fprintf(stderr, "embed: %s\n", qcrt_last_error());
    return 1;
  }
  int32_t ni = qcrt_num_inputs(m), no = qcrt_num_outputs(m);
  if (nfiles != ni) {
    fprintf(stderr, "embed: the model has %d inputs, %d files given\n", ni, nfiles);
    qcrt_destroy(m);
    return 2;
  }
  const void **inputs = calloc((size_t)ni + 1, sizeof(*inputs));
  void **outputs = calloc((size_t)no + 1, sizeof(*outputs));
  int status = 0;
  if (!inputs || !outputs) {
    fprintf(stderr, "embed: out of memory\n");
    return 1;
  }
  for (int32_t i = 0; i < ni; ++i)
    if (!(inputs[i] = read_npy(files[i], qcrt_input_info(m, i))))
      return 1;
  for (int32_t i = 0; i < no; ++i)
    outputs[i] = malloc(qcrt_output_info(m, i)->bytes);
  if (qcrt_run(m, inputs, outputs) != 0) {
    fprintf(stderr, "embed: %s\n", qcrt_last_error());
    return 1;
  }
  if (outdir && mkdir(outdir, 0777) != 0) {
    struct stat st;
    if (stat(outdir, &st) != 0 || !S_ISDIR(st.st_mode)) {
      fprintf(stderr, "embed: %s: cannot create the output directory\n", outdir);
      return 1;
    }
  }
  printf("model: %s, variant: %s, threads: %d\n", artifact, qcrt_variant_name(m),
         qcrt_num_threads(m));
  for (int32_t i = 0; i < no; ++i) {
    const qcrt_tensor_info *info = qcrt_output_info(m, i);
    printf("%s:", info->name);
    if (info->dtype == QCRT_F32) {
      const float *v = outputs[i];
      uint64_t n = info->bytes / 4, best = 0;
      for (uint64_t k = 0; k < n; ++k)
        if (v[k] > v[best]) best = k;
      for (uint64_t k = 0; k < n && k < 6; ++k) printf(" %.5g", v[k]);
      printf("%s (argmax %llu)\n", n > 6 ? " ..." : "", (unsigned long long)best);
    } else {
      printf(" %llu bytes\n", (unsigned long long)info->bytes);
    }
    if (outdir) status |= write_npy(outdir, info, outputs[i]);
  }
  for (int32_t i = 0; i < ni; ++i) free((void *)inputs[i]);
  for (int32_t i = 0; i < no; ++i) free(outputs[i]);
  free(inputs);
  free(outputs);
  free(files);
  qcrt_destroy(m);
  return status;
}
