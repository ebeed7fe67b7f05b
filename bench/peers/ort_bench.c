/* ort_bench: times one ONNX model in ONNX Runtime's CPU provider.
 *
 *   ort_bench MODEL.onnx [--lib PATH] [--threads N] [--warmup W] [--repeat R]
 *             [--random] [--seed S] [--input [NAME=]FILE.npy]... [--shape NAME=D0xD1...]
 *             [--output-dir DIR] [--opt-level 0|1|2|99] [--save-optimized FILE]
 *             [--config KEY=VALUE]... [--no-spin] [--verbose]
 *
 * libonnxruntime.so is opened with dlopen from --lib, else from $QC_ORT_LIB.
 * Prints one line on standard output:
 *   ort model=<file> threads=N median_ms=X min_ms=Y
 * Exits 1 on any error (ONNX Runtime's own message is printed), 2 on bad usage.
 *
 * The C API is reached through the function table that OrtGetApiBase()->GetApi
 * returns. Only the part of that table up to the last entry used here is
 * declared below; the table only ever grows at its end, so the positions are
 * the same in every release that provides the requested API version.
 */
#define _POSIX_C_SOURCE 200809L
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* ---- ONNX Runtime C API: the subset used here ---------------------------- */

typedef struct OrtEnv OrtEnv;
typedef struct OrtStatus OrtStatus;
typedef struct OrtMemoryInfo OrtMemoryInfo;
typedef struct OrtSession OrtSession;
typedef struct OrtValue OrtValue;
typedef struct OrtRunOptions OrtRunOptions;
typedef struct OrtTypeInfo OrtTypeInfo;
typedef struct OrtTensorTypeAndShapeInfo OrtTensorTypeAndShapeInfo;
typedef struct OrtSessionOptions OrtSessionOptions;
typedef struct OrtAllocator OrtAllocator; /* only passed back to ORT */

/* Element types (the TensorProto data type numbers). */
enum {
  ET_UNDEFINED = 0, ET_FLOAT = 1, ET_UINT8 = 2, ET_INT8 = 3, ET_UINT16 = 4,
  ET_INT16 = 5, ET_INT32 = 6, ET_INT64 = 7, ET_STRING = 8, ET_BOOL = 9,
  ET_FLOAT16 = 10, ET_DOUBLE = 11, ET_UINT32 = 12, ET_UINT64 = 13,
  ET_BFLOAT16 = 16
};
enum { ORT_LOG_WARNING = 2 };
enum { ORT_VALUE_TENSOR = 1 };
enum { ORT_ARENA_ALLOCATOR = 1 };
enum { ORT_MEM_DEFAULT = 0 };
enum { ORT_OPT_DISABLE = 0, ORT_OPT_BASIC = 1, ORT_OPT_EXTENDED = 2, ORT_OPT_ALL = 99 };

typedef void (*OrtUnusedFn)(void); /* an entry of the table not called here */

/* API version asked for: the one that ships with onnxruntime 1.30. */
#define QC_ORT_API_VERSION 30

typedef struct OrtApiTable {
  /* 0 */ OrtStatus *(*CreateStatus)(int code, const char *msg);
  /* 1 */ int (*GetErrorCode)(const OrtStatus *status);
  /* 2 */ const char *(*GetErrorMessage)(const OrtStatus *status);
  /* 3 */ OrtStatus *(*CreateEnv)(int log_level, const char *log_id, OrtEnv **out);
  /* 4..6: env with custom logger, telemetry on/off */
  OrtUnusedFn unused_4_6[3];
  /* 7 */ OrtStatus *(*CreateSession)(const OrtEnv *env, const char *path,
                                      const OrtSessionOptions *options, OrtSession **out);
  /* 8: session from a byte array */
  OrtUnusedFn unused_8;
  /* 9 */ OrtStatus *(*Run)(OrtSession *session, const OrtRunOptions *run_options,
                            const char *const *input_names, const OrtValue *const *inputs,
                            size_t input_count, const char *const *output_names,
                            size_t output_count, OrtValue **outputs);
  /* 10 */ OrtStatus *(*CreateSessionOptions)(OrtSessionOptions **out);
  /* 11 */ OrtStatus *(*SetOptimizedModelFilePath)(OrtSessionOptions *options,
                                                   const char *path);
  /* 12..22: clone, execution mode, profiling, memory pattern, CPU arena,
     session log id/verbosity/severity */
  OrtUnusedFn unused_12_22[11];
  /* 23 */ OrtStatus *(*SetSessionGraphOptimizationLevel)(OrtSessionOptions *options, int level);
  /* 24 */ OrtStatus *(*SetIntraOpNumThreads)(OrtSessionOptions *options, int threads);
  /* 25 */ OrtStatus *(*SetInterOpNumThreads)(OrtSessionOptions *options, int threads);
  /* 26..29: custom op domains and libraries */
  OrtUnusedFn unused_26_29[4];
  /* 30 */ OrtStatus *(*SessionGetInputCount)(const OrtSession *session, size_t *out);
  /* 31 */ OrtStatus *(*SessionGetOutputCount)(const OrtSession *session, size_t *out);
  /* 32: overridable initializer count */
  OrtUnusedFn unused_32;
  /* 33 */ OrtStatus *(*SessionGetInputTypeInfo)(const OrtSession *session, size_t index,
                                                 OrtTypeInfo **out);
  /* 34 */ OrtStatus *(*SessionGetOutputTypeInfo)(const OrtSession *session, size_t index,
                                                  OrtTypeInfo **out);
  /* 35: overridable initializer type info */
  OrtUnusedFn unused_35;
  /* 36 */ OrtStatus *(*SessionGetInputName)(const OrtSession *session, size_t index,
                                             OrtAllocator *allocator, char **out);
  /* 37 */ OrtStatus *(*SessionGetOutputName)(const OrtSession *session, size_t index,
                                              OrtAllocator *allocator, char **out);
  /* 38..47: overridable initializer name, run options */
  OrtUnusedFn unused_38_47[10];
  /* 48 */ OrtStatus *(*CreateTensorAsOrtValue)(OrtAllocator *allocator, const int64_t *shape,
                                                size_t rank, int elem_type, OrtValue **out);
  /* 49 */ OrtStatus *(*CreateTensorWithDataAsOrtValue)(const OrtMemoryInfo *info, void *data,
                                                        size_t bytes, const int64_t *shape,
                                                        size_t rank, int elem_type,
                                                        OrtValue **out);
  /* 50: IsTensor */
  OrtUnusedFn unused_50;
  /* 51 */ OrtStatus *(*GetTensorMutableData)(OrtValue *value, void **out);
  /* 52..54: string tensors */
  OrtUnusedFn unused_52_54[3];
  /* 55 */ OrtStatus *(*CastTypeInfoToTensorInfo)(const OrtTypeInfo *info,
                                                  const OrtTensorTypeAndShapeInfo **out);
  /* 56 */ OrtStatus *(*GetOnnxTypeFromTypeInfo)(const OrtTypeInfo *info, int *out);
  /* 57..59: create/set tensor type and shape info */
  OrtUnusedFn unused_57_59[3];
  /* 60 */ OrtStatus *(*GetTensorElementType)(const OrtTensorTypeAndShapeInfo *info, int *out);
  /* 61 */ OrtStatus *(*GetDimensionsCount)(const OrtTensorTypeAndShapeInfo *info, size_t *out);
  /* 62 */ OrtStatus *(*GetDimensions)(const OrtTensorTypeAndShapeInfo *info, int64_t *dims,
                                       size_t rank);
  /* 63: symbolic dimension names */
  OrtUnusedFn unused_63;
  /* 64 */ OrtStatus *(*GetTensorShapeElementCount)(const OrtTensorTypeAndShapeInfo *info,
                                                    size_t *out);
  /* 65 */ OrtStatus *(*GetTensorTypeAndShape)(const OrtValue *value,
                                               OrtTensorTypeAndShapeInfo **out);
  /* 66..68: value type info, value type, CreateMemoryInfo */
  OrtUnusedFn unused_66_68[3];
  /* 69 */ OrtStatus *(*CreateCpuMemoryInfo)(int allocator_type, int mem_type,
                                             OrtMemoryInfo **out);
  /* 70..75: memory info queries, AllocatorAlloc */
  OrtUnusedFn unused_70_75[6];
  /* 76 */ OrtStatus *(*AllocatorFree)(OrtAllocator *allocator, void *p);
  /* 77: AllocatorGetInfo */
  OrtUnusedFn unused_77;
  /* 78 */ OrtStatus *(*GetAllocatorWithDefaultOptions)(OrtAllocator **out);
  /* 79..91: free dimension override, map/sequence/opaque values, kernel API */
  OrtUnusedFn unused_79_91[13];
  /* 92 */ void (*ReleaseEnv)(OrtEnv *p);
  /* 93 */ void (*ReleaseStatus)(OrtStatus *p);
  /* 94 */ void (*ReleaseMemoryInfo)(OrtMemoryInfo *p);
  /* 95 */ void (*ReleaseSession)(OrtSession *p);
  /* 96 */ void (*ReleaseValue)(OrtValue *p);
  /* 97: ReleaseRunOptions */
  OrtUnusedFn unused_97;
  /* 98 */ void (*ReleaseTypeInfo)(OrtTypeInfo *p);
  /* 99 */ void (*ReleaseTensorTypeAndShapeInfo)(OrtTensorTypeAndShapeInfo *p);
  /* 100 */ void (*ReleaseSessionOptions)(OrtSessionOptions *p);
  /* 101..129: custom op domain release, map/sequence type info, profiling end,
     model metadata, global thread pools, free dimension overrides, providers,
     string tensor elements */
  OrtUnusedFn unused_101_129[29];
  /* 130 */ OrtStatus *(*AddSessionConfigEntry)(OrtSessionOptions *options, const char *key,
                                                const char *value);
} OrtApiTable;

#define QC_AT(field, index)                                                    \
  _Static_assert(offsetof(OrtApiTable, field) == (index) * sizeof(void *),     \
                 #field " must be entry " #index)
QC_AT(CreateStatus, 0);
QC_AT(GetErrorMessage, 2);
QC_AT(CreateEnv, 3);
QC_AT(CreateSession, 7);
QC_AT(Run, 9);
QC_AT(CreateSessionOptions, 10);
QC_AT(SetOptimizedModelFilePath, 11);
QC_AT(SetSessionGraphOptimizationLevel, 23);
QC_AT(SetIntraOpNumThreads, 24);
QC_AT(SetInterOpNumThreads, 25);
QC_AT(SessionGetInputCount, 30);
QC_AT(SessionGetInputTypeInfo, 33);
QC_AT(SessionGetInputName, 36);
QC_AT(SessionGetOutputName, 37);
QC_AT(CreateTensorAsOrtValue, 48);
QC_AT(CreateTensorWithDataAsOrtValue, 49);
QC_AT(GetTensorMutableData, 51);
QC_AT(CastTypeInfoToTensorInfo, 55);
QC_AT(GetOnnxTypeFromTypeInfo, 56);
QC_AT(GetTensorElementType, 60);
QC_AT(GetDimensions, 62);
QC_AT(GetTensorShapeElementCount, 64);
QC_AT(GetTensorTypeAndShape, 65);
QC_AT(CreateCpuMemoryInfo, 69);
QC_AT(AllocatorFree, 76);
QC_AT(GetAllocatorWithDefaultOptions, 78);
QC_AT(ReleaseEnv, 92);
QC_AT(ReleaseStatus, 93);
QC_AT(ReleaseValue, 96);
QC_AT(ReleaseTypeInfo, 98);
QC_AT(ReleaseSessionOptions, 100);
QC_AT(AddSessionConfigEntry, 130);

typedef struct OrtApiBaseTable {
  const OrtApiTable *(*GetApi)(uint32_t version);
  const char *(*GetVersionString)(void);
} OrtApiBaseTable;

/* ---- errors ----------------------------------------------------------------- */

static const OrtApiTable *ort;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("ort_bench: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(1);
}

static const char *ort_code_name(int code) {
  static const char *const names[] = {"OK", "FAIL", "INVALID_ARGUMENT", "NO_SUCHFILE",
                                      "NO_MODEL", "ENGINE_ERROR", "RUNTIME_EXCEPTION",
                                      "INVALID_PROTOBUF", "MODEL_LOADED", "NOT_IMPLEMENTED",
                                      "INVALID_GRAPH", "EP_FAIL"};
  if (code >= 0 && code < (int)(sizeof names / sizeof names[0]))
    return names[code];
  return "UNKNOWN";
}

/* Every API call goes through here: a non-null status is an error. */
static void check(OrtStatus *status, const char *what) {
  if (!status)
    return;
  int code = ort->GetErrorCode(status);
  /* WHAT is the call's text, "ort->Name(args)": name only the function. */
  if (strncmp(what, "ort->", 5) == 0)
    what += 5;
  int len = (int)strcspn(what, "(");
  fprintf(stderr, "ort_bench: %.*s failed: [ONNXRuntimeError %s] %s\n", len, what,
          ort_code_name(code), ort->GetErrorMessage(status));
  ort->ReleaseStatus(status);
  exit(1);
}
#define CHECK(call) check((call), #call)

/* ---- element types ---------------------------------------------------------- */

static size_t elem_size(int t) {
  switch (t) {
  case ET_UINT8: case ET_INT8: case ET_BOOL: return 1;
  case ET_UINT16: case ET_INT16: case ET_FLOAT16: case ET_BFLOAT16: return 2;
  case ET_FLOAT: case ET_INT32: case ET_UINT32: return 4;
  case ET_INT64: case ET_UINT64: case ET_DOUBLE: return 8;
  default: return 0;
  }
}

static const char *elem_name(int t) {
  switch (t) {
  case ET_FLOAT: return "float32"; case ET_UINT8: return "uint8";
  case ET_INT8: return "int8"; case ET_UINT16: return "uint16";
  case ET_INT16: return "int16"; case ET_INT32: return "int32";
  case ET_INT64: return "int64"; case ET_STRING: return "string";
  case ET_BOOL: return "bool"; case ET_FLOAT16: return "float16";
  case ET_DOUBLE: return "float64"; case ET_UINT32: return "uint32";
  case ET_UINT64: return "uint64"; case ET_BFLOAT16: return "bfloat16";
  default: return "unknown";
  }
}

/* numpy descr (little-endian host) of an element type, NULL if none. */
static const char *elem_descr(int t) {
  switch (t) {
  case ET_FLOAT: return "<f4"; case ET_UINT8: return "|u1"; case ET_INT8: return "|i1";
  case ET_UINT16: return "<u2"; case ET_INT16: return "<i2"; case ET_INT32: return "<i4";
  case ET_INT64: return "<i8"; case ET_BOOL: return "|b1"; case ET_FLOAT16: return "<f2";
  case ET_DOUBLE: return "<f8"; case ET_UINT32: return "<u4"; case ET_UINT64: return "<u8";
  default: return NULL;
  }
}

static int descr_elem(const char *d) {
  /* '<' and '=' mean little-endian here; '|' is used for one-byte types. */
  if (!(d[0] == '<' || d[0] == '=' || d[0] == '|'))
    return ET_UNDEFINED;
  static const struct { const char *code; int type; } map[] = {
      {"f4", ET_FLOAT}, {"u1", ET_UINT8}, {"i1", ET_INT8}, {"u2", ET_UINT16},
      {"i2", ET_INT16}, {"i4", ET_INT32}, {"i8", ET_INT64}, {"b1", ET_BOOL},
      {"f2", ET_FLOAT16}, {"f8", ET_DOUBLE}, {"u4", ET_UINT32}, {"u8", ET_UINT64}};
  for (size_t i = 0; i < sizeof map / sizeof map[0]; ++i)
    if (strcmp(d + 1, map[i].code) == 0)
      return map[i].type;
  return ET_UNDEFINED;
}

/* ---- .npy files ------------------------------------------------------------- */

#define MAX_RANK 16

typedef struct {
  int type;
  size_t rank;
  int64_t dims[MAX_RANK];
  void *data;
  size_t bytes;
} Array;

static size_t element_count(const int64_t *dims, size_t rank) {
  size_t n = 1;
  for (size_t i = 0; i < rank; ++i)
    n *= (size_t)dims[i];
  return n;
}

static void format_shape(char *buf, size_t cap, const int64_t *dims, size_t rank) {
  size_t used = (size_t)snprintf(buf, cap, "[");
  for (size_t i = 0; i < rank && used < cap; ++i)
    used += (size_t)snprintf(buf + used, cap - used, "%s%" PRId64, i ? "," : "", dims[i]);
  if (used < cap)
    snprintf(buf + used, cap - used, "]");
}

/* Reads a version 1, 2 or 3 .npy file in C order. */
static Array read_npy(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f)
    die("cannot open %s: %s", path, strerror(errno));
  unsigned char pre[10];
  if (fread(pre, 1, 8, f) != 8 || memcmp(pre, "\x93NUMPY", 6) != 0)
    die("%s is not a .npy file", path);
  unsigned major = pre[6];
  size_t header_len;
  if (major == 1) {
    if (fread(pre + 8, 1, 2, f) != 2)
      die("%s: truncated header", path);
    header_len = (size_t)pre[8] | ((size_t)pre[9] << 8);
  } else if (major == 2 || major == 3) {
    unsigned char l[4];
    if (fread(l, 1, 4, f) != 4)
      die("%s: truncated header", path);
    header_len = (size_t)l[0] | ((size_t)l[1] << 8) | ((size_t)l[2] << 16) | ((size_t)l[3] << 24);
  } else {
    die("%s: unsupported .npy version %u", path, major);
  }
  char *h = malloc(header_len + 1);
  if (!h || fread(h, 1, header_len, f) != header_len)
    die("%s: truncated header", path);
  h[header_len] = '\0';

  Array a = {0};
  const char *p = strstr(h, "'descr'");
  if (!p || !(p = strchr(p + 7, '\'')))
    die("%s: no descr in header", path);
  const char *e = strchr(p + 1, '\'');
  if (!e || e - p - 1 >= 8)
    die("%s: bad descr in header", path);
  char descr[8] = {0};
  memcpy(descr, p + 1, (size_t)(e - p - 1));
  a.type = descr_elem(descr);
  if (a.type == ET_UNDEFINED)
    die("%s: unsupported dtype '%s'", path, descr);

  p = strstr(h, "'fortran_order'");
  if (!p)
    die("%s: no fortran_order in header", path);
  p += 15;
  while (*p == ':' || *p == ' ')
    ++p;
  if (strncmp(p, "False", 5) != 0)
    die("%s: Fortran-order arrays are not supported", path);

  p = strstr(h, "'shape'");
  if (!p || !(p = strchr(p, '(')))
    die("%s: no shape in header", path);
  ++p;
  while (*p && *p != ')') {
    while (*p == ' ' || *p == ',')
      ++p;
    if (*p == ')')
      break;
    char *end;
    long long d = strtoll(p, &end, 10);
    if (end == p || d < 0)
      die("%s: bad shape in header", path);
    if (a.rank == MAX_RANK)
      die("%s: rank above %d", path, MAX_RANK);
    a.dims[a.rank++] = d;
    p = end;
  }
  free(h);

  a.bytes = element_count(a.dims, a.rank) * elem_size(a.type);
  a.data = malloc(a.bytes ? a.bytes : 1);
  if (!a.data)
    die("out of memory reading %s", path);
  if (fread(a.data, 1, a.bytes, f) != a.bytes)
    die("%s: data is shorter than its shape says", path);
  fclose(f);
  return a;
}

static void write_npy(const char *path, int type, const int64_t *dims, size_t rank,
                      const void *data) {
  const char *descr = elem_descr(type);
  if (!descr)
    die("cannot write %s: element type %s has no .npy form", path, elem_name(type));
  char shape[512];
  size_t used = 0;
  for (size_t i = 0; i < rank; ++i)
    used += (size_t)snprintf(shape + used, sizeof shape - used, "%" PRId64 "%s", dims[i],
                             rank == 1 || i + 1 < rank ? "," : "");
  shape[used] = '\0';
  char header[640];
  int n = snprintf(header, sizeof header,
                   "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }", descr, shape);
  /* Pad with spaces so that magic (6) + version (2) + length (2) + header ends
     on a 64-byte boundary, the header closing with a newline. */
  size_t total = 10 + (size_t)n + 1;
  size_t pad = (64 - total % 64) % 64;
  memset(header + n, ' ', pad);
  header[n + pad] = '\n';
  size_t header_len = (size_t)n + pad + 1;

  FILE *f = fopen(path, "wb");
  if (!f)
    die("cannot create %s: %s", path, strerror(errno));
  unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0,
                           (unsigned char)(header_len & 0xff), (unsigned char)(header_len >> 8)};
  size_t bytes = element_count(dims, rank) * elem_size(type);
  if (fwrite(pre, 1, 10, f) != 10 || fwrite(header, 1, header_len, f) != header_len ||
      fwrite(data, 1, bytes, f) != bytes || fclose(f) != 0)
    die("cannot write %s", path);
}

/* ---- random inputs ---------------------------------------------------------- */

static uint64_t rng_state;

static uint64_t rng_next(void) { /* splitmix64 */
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/* Uniform in [-1, 1). */
static double rng_unit(void) { return (double)(rng_next() >> 11) * 0x1.0p-52 - 1.0; }

static void fill_random(Array *a) {
  size_t n = element_count(a->dims, a->rank);
  for (size_t i = 0; i < n; ++i) {
    uint64_t r = rng_next();
    switch (a->type) {
    case ET_FLOAT: ((float *)a->data)[i] = (float)rng_unit(); break;
    case ET_DOUBLE: ((double *)a->data)[i] = rng_unit(); break;
    case ET_UINT8: ((uint8_t *)a->data)[i] = (uint8_t)r; break;
    case ET_INT8: ((int8_t *)a->data)[i] = (int8_t)(uint8_t)r; break;
    case ET_BOOL: ((uint8_t *)a->data)[i] = (uint8_t)(r & 1); break;
    /* Wider integers stay small: they are usually indices or lengths. */
    case ET_UINT16: ((uint16_t *)a->data)[i] = (uint16_t)(r % 16); break;
    case ET_INT16: ((int16_t *)a->data)[i] = (int16_t)(r % 16); break;
    case ET_INT32: ((int32_t *)a->data)[i] = (int32_t)(r % 16); break;
    case ET_UINT32: ((uint32_t *)a->data)[i] = (uint32_t)(r % 16); break;
    case ET_INT64: ((int64_t *)a->data)[i] = (int64_t)(r % 16); break;
    case ET_UINT64: ((uint64_t *)a->data)[i] = r % 16; break;
    case ET_FLOAT16: case ET_BFLOAT16: {
      /* Uniform in [-1, 1) from the top bits of a float32. */
      float v = (float)rng_unit();
      uint32_t bits;
      memcpy(&bits, &v, 4);
      uint16_t h;
      if (a->type == ET_BFLOAT16) {
        h = (uint16_t)(bits >> 16);
      } else {
        uint32_t sign = (bits >> 16) & 0x8000u;
        int exp = (int)((bits >> 23) & 0xff) - 127 + 15;
        uint32_t mant = (bits >> 13) & 0x3ffu;
        h = exp <= 0 ? (uint16_t)sign : (uint16_t)(sign | ((uint32_t)exp << 10) | mant);
      }
      ((uint16_t *)a->data)[i] = h;
      break;
    }
    default: die("cannot make random data of type %s", elem_name(a->type));
    }
  }
}

/* ---- command line ------------------------------------------------------------ */

#define MAX_ARGS 64

typedef struct {
  const char *model;
  const char *lib;
  int threads;
  int warmup;
  int repeat;
  int random;
  uint64_t seed;
  const char *output_dir;
  const char *save_optimized;
  int opt_level;
  int verbose;
  const char *inputs[MAX_ARGS];
  size_t num_inputs;
  const char *shapes[MAX_ARGS];
  size_t num_shapes;
  const char *configs[MAX_ARGS];
  size_t num_configs;
} Options;

static void usage(FILE *out) {
  fputs("usage: ort_bench MODEL.onnx [options]\n"
        "  --lib PATH            libonnxruntime.so to load (default: $QC_ORT_LIB)\n"
        "  --threads N           intra-op threads (default 1; 0 = ORT's default)\n"
        "  --warmup W            untimed runs first (default 3)\n"
        "  --repeat R            timed runs (default 10)\n"
        "  --input [NAME=]FILE   .npy data for input NAME (or the next input in order)\n"
        "  --random              random data for inputs without --input\n"
        "  --seed S              seed of the random data (default 1)\n"
        "  --shape NAME=D0xD1..  shape of a random input with dynamic dimensions\n"
        "  --output-dir DIR      write each output as DIR/<name>.npy\n"
        "  --opt-level L         graph optimisation level 0, 1, 2 or 99 (default 99: all)\n"
        "  --save-optimized F    write the graph as optimised by ORT to F (.onnx)\n"
        "  --config KEY=VALUE    a session configuration entry (repeatable)\n"
        "  --no-spin             thread pools block instead of spinning when idle\n"
        "  --verbose             library version, inputs and outputs on stderr\n",
        out);
}

static long parse_int(const char *flag, const char *s, long lo, long hi) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || end == s || *end || v < lo || v > hi) {
    fprintf(stderr, "ort_bench: %s wants an integer in [%ld, %ld], got '%s'\n", flag, lo, hi, s);
    exit(2);
  }
  return v;
}

static Options parse_args(int argc, char **argv) {
  Options o = {0};
  o.threads = 1;
  o.warmup = 3;
  o.repeat = 10;
  o.seed = 1;
  o.opt_level = ORT_OPT_ALL;
  for (int i = 1; i < argc; ++i) {
    const char *a = argv[i];
#define VALUE() (i + 1 < argc ? argv[++i] : (fprintf(stderr, "ort_bench: %s needs a value\n", a), exit(2), ""))
    if (!strcmp(a, "--lib")) o.lib = VALUE();
    else if (!strcmp(a, "--threads")) o.threads = (int)parse_int(a, VALUE(), 0, 1024);
    else if (!strcmp(a, "--warmup")) o.warmup = (int)parse_int(a, VALUE(), 0, 1000000);
    else if (!strcmp(a, "--repeat")) o.repeat = (int)parse_int(a, VALUE(), 1, 1000000);
    else if (!strcmp(a, "--random")) o.random = 1;
    else if (!strcmp(a, "--seed")) o.seed = (uint64_t)parse_int(a, VALUE(), 0, 2147483647L);
    else if (!strcmp(a, "--output-dir")) o.output_dir = VALUE();
    else if (!strcmp(a, "--save-optimized")) o.save_optimized = VALUE();
    else if (!strcmp(a, "--verbose")) o.verbose = 1;
    else if (!strcmp(a, "--opt-level")) {
      o.opt_level = (int)parse_int(a, VALUE(), 0, 99);
      if (o.opt_level > 2 && o.opt_level != 99) {
        fprintf(stderr, "ort_bench: --opt-level is 0, 1, 2 or 99\n");
        exit(2);
      }
    } else if (!strcmp(a, "--input")) {
      if (o.num_inputs == MAX_ARGS) { fprintf(stderr, "ort_bench: too many --input\n"); exit(2); }
      o.inputs[o.num_inputs++] = VALUE();
    } else if (!strcmp(a, "--config") || !strcmp(a, "--no-spin")) {
      if (o.num_configs + 2 > MAX_ARGS) { fprintf(stderr, "ort_bench: too many --config\n"); exit(2); }
      if (!strcmp(a, "--config")) {
        o.configs[o.num_configs++] = VALUE();
        if (!strchr(o.configs[o.num_configs - 1], '=')) {
          fprintf(stderr, "ort_bench: --config wants KEY=VALUE\n");
          exit(2);
        }
      } else {
        o.configs[o.num_configs++] = "session.intra_op.allow_spinning=0";
        o.configs[o.num_configs++] = "session.inter_op.allow_spinning=0";
      }
    } else if (!strcmp(a, "--shape")) {
      if (o.num_shapes == MAX_ARGS) { fprintf(stderr, "ort_bench: too many --shape\n"); exit(2); }
      o.shapes[o.num_shapes++] = VALUE();
    } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      usage(stdout);
      exit(0);
    } else if (a[0] == '-' && a[1] == '-') {
      fprintf(stderr, "ort_bench: unknown option %s\n", a);
      usage(stderr);
      exit(2);
    } else if (!o.model) {
      o.model = a;
    } else {
      fprintf(stderr, "ort_bench: more than one model given (%s)\n", a);
      exit(2);
    }
#undef VALUE
  }
  if (!o.model) {
    usage(stderr);
    exit(2);
  }
  if (!o.lib)
    o.lib = getenv("QC_ORT_LIB");
  if (!o.lib || !*o.lib) {
    fprintf(stderr, "ort_bench: no ONNX Runtime library: give --lib PATH or set QC_ORT_LIB\n");
    exit(2);
  }
  return o;
}

/* Returns the text after "NAME=" when ARG starts with it, else NULL. */
static const char *after_name(const char *arg, const char *name) {
  size_t n = strlen(name);
  return strncmp(arg, name, n) == 0 && arg[n] == '=' ? arg + n + 1 : NULL;
}

/* ---- model inputs and outputs -------------------------------------------- */

typedef struct {
  char *name;
  int type;
  size_t rank;
  int64_t dims[MAX_RANK]; /* negative: dynamic */
} TensorDecl;

static TensorDecl describe(OrtTypeInfo *info, char *name, const char *kind) {
  TensorDecl d = {0};
  d.name = name;
  int onnx_type = 0;
  CHECK(ort->GetOnnxTypeFromTypeInfo(info, &onnx_type));
  if (onnx_type != ORT_VALUE_TENSOR)
    die("%s '%s' is not a tensor (ONNX type %d)", kind, name, onnx_type);
  const OrtTensorTypeAndShapeInfo *t = NULL;
  CHECK(ort->CastTypeInfoToTensorInfo(info, &t));
  CHECK(ort->GetTensorElementType(t, &d.type));
  CHECK(ort->GetDimensionsCount(t, &d.rank));
  if (d.rank > MAX_RANK)
    die("%s '%s' has rank %zu, above %d", kind, name, d.rank, MAX_RANK);
  CHECK(ort->GetDimensions(t, d.dims, d.rank));
  ort->ReleaseTypeInfo(info);
  return d;
}

static int is_static(const TensorDecl *d) {
  for (size_t i = 0; i < d->rank; ++i)
    if (d->dims[i] < 0)
      return 0;
  return 1;
}

/* Input data: from --input, else random of the declared (or --shape) shape. */
static Array bind_input(const Options *o, const TensorDecl *decl, const TensorDecl *all,
                        size_t count, size_t *next_positional) {
  char want[128], got[128];
  const char *file = NULL;
  for (size_t i = 0; i < o->num_inputs && !file; ++i)
    file = after_name(o->inputs[i], decl->name);
  if (!file) {
    /* Positional --input values (not NAME=) go to inputs in model order. */
    size_t seen = 0;
    for (size_t i = 0; i < o->num_inputs; ++i) {
      int named = 0;
      for (size_t j = 0; j < count; ++j)
        named |= after_name(o->inputs[i], all[j].name) != NULL;
      if (named)
        continue;
      if (seen++ == *next_positional) {
        file = o->inputs[i];
        ++*next_positional;
        break;
      }
    }
  }
  if (file) {
    Array a = read_npy(file);
    format_shape(want, sizeof want, decl->dims, decl->rank);
    format_shape(got, sizeof got, a.dims, a.rank);
    if (a.type != decl->type)
      die("input '%s' is %s but %s holds %s", decl->name, elem_name(decl->type), file,
          elem_name(a.type));
    if (a.rank != decl->rank)
      die("input '%s' has shape %s but %s has shape %s", decl->name, want, file, got);
    for (size_t i = 0; i < a.rank; ++i)
      if (decl->dims[i] >= 0 && decl->dims[i] != a.dims[i])
        die("input '%s' has shape %s but %s has shape %s", decl->name, want, file, got);
    return a;
  }
  if (!o->random)
    die("no data for input '%s': give --input %s=FILE.npy or --random", decl->name, decl->name);

  Array a = {0};
  a.type = decl->type;
  a.rank = decl->rank;
  memcpy(a.dims, decl->dims, sizeof a.dims);
  for (size_t i = 0; i < o->num_shapes; ++i) {
    const char *s = after_name(o->shapes[i], decl->name);
    if (!s)
      continue;
    a.rank = 0;
    while (*s) {
      char *end;
      long long v = strtoll(s, &end, 10);
      if (end == s || v < 0 || a.rank == MAX_RANK || (*end && *end != 'x' && *end != ','))
        die("bad --shape %s", o->shapes[i]);
      a.dims[a.rank++] = v;
      s = *end ? end + 1 : end;
    }
    if (a.rank != decl->rank)
      die("--shape %s has rank %zu but input '%s' has rank %zu", o->shapes[i], a.rank,
          decl->name, decl->rank);
  }
  for (size_t i = 0; i < a.rank; ++i)
    if (a.dims[i] < 0) {
      format_shape(want, sizeof want, decl->dims, decl->rank);
      die("input '%s' has dynamic shape %s: give --shape %s=D0x...", decl->name, want,
          decl->name);
    }
  if (!elem_size(a.type))
    die("input '%s' has unsupported element type %s", decl->name, elem_name(a.type));
  a.bytes = element_count(a.dims, a.rank) * elem_size(a.type);
  a.data = malloc(a.bytes ? a.bytes : 1);
  if (!a.data)
    die("out of memory for input '%s'", decl->name);
  fill_random(&a);
  return a;
}

/* ---- timing ---------------------------------------------------------------- */

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static const char *base_name(const char *path) {
  const char *s = strrchr(path, '/');
  return s ? s + 1 : path;
}

/* Output names become file names: anything but [A-Za-z0-9._-] turns into '_'. */
static void file_safe(char *dst, size_t cap, const char *name) {
  size_t i = 0;
  for (; name[i] && i + 1 < cap; ++i) {
    char c = name[i];
    int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             c == '.' || c == '_' || c == '-';
    dst[i] = ok ? c : '_';
  }
  dst[i] = '\0';
  if (!strcmp(dst, ".") || !strcmp(dst, "..") || !dst[0])
    snprintf(dst, cap, "output");
}

int main(int argc, char **argv) {
  Options o = parse_args(argc, argv);
  rng_state = o.seed;

  void *lib = dlopen(o.lib, RTLD_NOW | RTLD_LOCAL);
  if (!lib)
    die("cannot load %s: %s", o.lib, dlerror());
  const OrtApiBaseTable *(*get_base)(void) =
      (const OrtApiBaseTable *(*)(void))dlsym(lib, "OrtGetApiBase");
  if (!get_base)
    die("%s has no OrtGetApiBase: %s", o.lib, dlerror());
  const OrtApiBaseTable *base = get_base();
  ort = base->GetApi(QC_ORT_API_VERSION);
  if (!ort)
    die("%s (onnxruntime %s) does not provide C API version %d", o.lib,
        base->GetVersionString(), QC_ORT_API_VERSION);

  /* A round trip through the status entries: a table laid out differently
     from the declaration above would fail here rather than later. */
  OrtStatus *probe = ort->CreateStatus(2, "ort_bench probe");
  if (!probe || ort->GetErrorCode(probe) != 2 ||
      strcmp(ort->GetErrorMessage(probe), "ort_bench probe") != 0)
    die("%s: the C API table does not have the expected layout", o.lib);
  ort->ReleaseStatus(probe);
  if (o.verbose)
    fprintf(stderr, "ort_bench: onnxruntime %s (C API %d) from %s\n", base->GetVersionString(),
            QC_ORT_API_VERSION, o.lib);

  OrtEnv *env = NULL;
  CHECK(ort->CreateEnv(ORT_LOG_WARNING, "ort_bench", &env));
  OrtSessionOptions *so = NULL;
  CHECK(ort->CreateSessionOptions(&so));
  CHECK(ort->SetIntraOpNumThreads(so, o.threads));
  CHECK(ort->SetInterOpNumThreads(so, 1));
  CHECK(ort->SetSessionGraphOptimizationLevel(so, o.opt_level));
  if (o.save_optimized)
    CHECK(ort->SetOptimizedModelFilePath(so, o.save_optimized));
  for (size_t i = 0; i < o.num_configs; ++i) {
    char key[1100];
    const char *eq = strchr(o.configs[i], '=');
    snprintf(key, sizeof key, "%.*s", (int)(eq - o.configs[i]), o.configs[i]);
    CHECK(ort->AddSessionConfigEntry(so, key, eq + 1));
  }
  OrtSession *session = NULL;
  CHECK(ort->CreateSession(env, o.model, so, &session));

  OrtAllocator *alloc = NULL;
  CHECK(ort->GetAllocatorWithDefaultOptions(&alloc));
  OrtMemoryInfo *cpu = NULL;
  CHECK(ort->CreateCpuMemoryInfo(ORT_ARENA_ALLOCATOR, ORT_MEM_DEFAULT, &cpu));

  size_t n_in = 0, n_out = 0;
  CHECK(ort->SessionGetInputCount(session, &n_in));
  CHECK(ort->SessionGetOutputCount(session, &n_out));
  TensorDecl *in_decl = calloc(n_in ? n_in : 1, sizeof *in_decl);
  TensorDecl *out_decl = calloc(n_out ? n_out : 1, sizeof *out_decl);
  Array *in_data = calloc(n_in ? n_in : 1, sizeof *in_data);
  OrtValue **in_vals = calloc(n_in ? n_in : 1, sizeof *in_vals);
  OrtValue **out_vals = calloc(n_out ? n_out : 1, sizeof *out_vals);
  const char **in_names = calloc(n_in ? n_in : 1, sizeof *in_names);
  const char **out_names = calloc(n_out ? n_out : 1, sizeof *out_names);
  if (!in_decl || !out_decl || !in_data || !in_vals || !out_vals || !in_names || !out_names)
    die("out of memory");

  for (size_t i = 0; i < n_in; ++i) {
    char *name = NULL;
    OrtTypeInfo *info = NULL;
    CHECK(ort->SessionGetInputName(session, i, alloc, &name));
    CHECK(ort->SessionGetInputTypeInfo(session, i, &info));
    in_decl[i] = describe(info, name, "input");
    in_names[i] = name;
  }
  for (size_t i = 0; i < n_out; ++i) {
    char *name = NULL;
    OrtTypeInfo *info = NULL;
    CHECK(ort->SessionGetOutputName(session, i, alloc, &name));
    CHECK(ort->SessionGetOutputTypeInfo(session, i, &info));
    out_decl[i] = describe(info, name, "output");
    out_names[i] = name;
  }

  /* Every --input must name a model input or be taken in order. */
  for (size_t i = 0; i < o.num_inputs; ++i) {
    const char *eq = strchr(o.inputs[i], '=');
    if (!eq)
      continue;
    int known = 0;
    for (size_t j = 0; j < n_in; ++j)
      known |= after_name(o.inputs[i], in_decl[j].name) != NULL;
    struct stat st;
    if (!known && stat(o.inputs[i], &st) != 0)
      die("--input %s: the model has no input '%.*s'", o.inputs[i], (int)(eq - o.inputs[i]),
          o.inputs[i]);
  }

  size_t next_positional = 0;
  for (size_t i = 0; i < n_in; ++i) {
    in_data[i] = bind_input(&o, &in_decl[i], in_decl, n_in, &next_positional);
    CHECK(ort->CreateTensorWithDataAsOrtValue(cpu, in_data[i].data, in_data[i].bytes,
                                              in_data[i].dims, in_data[i].rank,
                                              in_data[i].type, &in_vals[i]));
    if (o.verbose) {
      char s[128];
      format_shape(s, sizeof s, in_data[i].dims, in_data[i].rank);
      fprintf(stderr, "ort_bench: input %s %s %s\n", in_decl[i].name,
              elem_name(in_decl[i].type), s);
    }
  }
  size_t positional = 0;
  for (size_t i = 0; i < o.num_inputs; ++i) {
    int named = 0;
    for (size_t j = 0; j < n_in; ++j)
      named |= after_name(o.inputs[i], in_decl[j].name) != NULL;
    positional += !named;
  }
  if (positional > next_positional)
    die("%zu --input files but only %zu inputs took one in order", positional, next_positional);

  /* Outputs of a static shape are allocated once and reused by every run, as
     a caller-owned buffer would be; the others are allocated by each run. */
  int *reuse = calloc(n_out ? n_out : 1, sizeof *reuse);
  if (!reuse)
    die("out of memory");
  for (size_t i = 0; i < n_out; ++i) {
    reuse[i] = is_static(&out_decl[i]) && elem_size(out_decl[i].type) != 0;
    if (reuse[i])
      CHECK(ort->CreateTensorAsOrtValue(alloc, out_decl[i].dims, out_decl[i].rank,
                                        out_decl[i].type, &out_vals[i]));
  }

  double *times = malloc(sizeof(double) * (size_t)o.repeat);
  if (!times)
    die("out of memory");
  int total = o.warmup + o.repeat;
  for (int it = 0; it < total; ++it) {
    for (size_t i = 0; i < n_out; ++i)
      if (!reuse[i] && out_vals[i]) {
        ort->ReleaseValue(out_vals[i]);
        out_vals[i] = NULL;
      }
    double t0 = now_ms();
    CHECK(ort->Run(session, NULL, in_names, (const OrtValue *const *)in_vals, n_in, out_names,
                   n_out, out_vals));
    double t1 = now_ms();
    if (it >= o.warmup)
      times[it - o.warmup] = t1 - t0;
  }
  qsort(times, (size_t)o.repeat, sizeof *times, cmp_double);
  double median = o.repeat % 2 ? times[o.repeat / 2]
                               : 0.5 * (times[o.repeat / 2 - 1] + times[o.repeat / 2]);
  printf("ort model=%s threads=%d median_ms=%.4f min_ms=%.4f\n", base_name(o.model), o.threads,
         median, times[0]);
  fflush(stdout);

  for (size_t i = 0; i < n_out; ++i) {
    OrtTensorTypeAndShapeInfo *info = NULL;
    CHECK(ort->GetTensorTypeAndShape(out_vals[i], &info));
    int type = 0;
    size_t rank = 0, count = 0;
    int64_t dims[MAX_RANK];
    CHECK(ort->GetTensorElementType(info, &type));
    CHECK(ort->GetDimensionsCount(info, &rank));
    if (rank > MAX_RANK)
      die("output '%s' has rank %zu, above %d", out_names[i], rank, MAX_RANK);
    CHECK(ort->GetDimensions(info, dims, rank));
    CHECK(ort->GetTensorShapeElementCount(info, &count));
    ort->ReleaseTensorTypeAndShapeInfo(info);
    if (o.verbose) {
      char s[128];
      format_shape(s, sizeof s, dims, rank);
      fprintf(stderr, "ort_bench: output %s %s %s\n", out_names[i], elem_name(type), s);
    }
    if (o.output_dir) {
      void *data = NULL;
      CHECK(ort->GetTensorMutableData(out_vals[i], &data));
      if (count != element_count(dims, rank))
        die("output '%s': element count %zu does not match its shape", out_names[i], count);
      char file[256], path[4096];
      file_safe(file, sizeof file, out_names[i]);
      snprintf(path, sizeof path, "%s/%s.npy", o.output_dir, file);
      write_npy(path, type, dims, rank, data);
    }
  }

  for (size_t i = 0; i < n_out; ++i) {
    ort->ReleaseValue(out_vals[i]);
    CHECK(ort->AllocatorFree(alloc, out_decl[i].name));
  }
  for (size_t i = 0; i < n_in; ++i) {
    ort->ReleaseValue(in_vals[i]);
    free(in_data[i].data);
    CHECK(ort->AllocatorFree(alloc, in_decl[i].name));
  }
  ort->ReleaseMemoryInfo(cpu);
  ort->ReleaseSession(session);
  ort->ReleaseSessionOptions(so);
  ort->ReleaseEnv(env);
  free(times);
  free(reuse);
  free(in_decl);
  free(out_decl);
  free(in_data);
  free(in_vals);
  free(out_vals);
  free(in_names);
  free(out_names);
  return 0;
}
