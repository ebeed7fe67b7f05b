/* quantc runtime: loads a compiled artifact (model.qc/) and runs the code that
 * quant-compile generated for it.
 *
 * An application links the artifact's lib<name>.a (one per CPU target) and
 * this runtime (libquantc_runtime.a), includes the artifact's <name>.h, and
 * calls:
 *
 *   qcrt_model *m = <name>_create("path/to/model.qc", NULL);
 *   if (!m) { fprintf(stderr, "%s\n", qcrt_last_error()); ... }
 *   qcrt_run(m, inputs, outputs);   // arrays of pointers, manifest order
 *   qcrt_destroy(m);
 *
 * The runtime has no dependency beyond libc, libm and pthreads. ABI version 1;
 * docs/Artifact.md describes the artifact and this interface.
 */
#ifndef QUANTC_RUNTIME_H
#define QUANTC_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define QCRT_ABI_VERSION 1u

/* ------------------------------------------------------------------------ */
/* What generated code provides (one descriptor per compiled model).         */

/* CPU features an entry point needs; 0: the target's baseline (AArch64:
 * NEON; x86-64: x86-64-v3, i.e. AVX2 and FMA). */
enum {
  QCRT_ISA_DOTPROD = 1u << 0, /* AArch64 FEAT_DotProd: sdot/udot */
  QCRT_ISA_I8MM = 1u << 1,    /* AArch64 FEAT_I8MM: smmla/usmmla */
  QCRT_ISA_AVX512VNNI = 1u << 8, /* x86-64 AVX512-VNNI with AVX512VL: vpdpbusd */
};

typedef struct qcrt_pool qcrt_pool;

/* Runs a whole model. `weights` is the start of weights.bin (64-byte aligned),
 * `arena` a scratch buffer of desc->arena_bytes bytes (64-byte aligned),
 * `inputs`/`outputs` point at dense row-major buffers in manifest order.
 * Generated code never allocates and never fails. */
typedef void (*qcrt_entry_fn)(const uint8_t *weights, uint8_t *arena,
                              void *const *inputs, void *const *outputs,
                              qcrt_pool *pool);

typedef struct qcrt_variant {
  uint32_t isa;      /* QCRT_ISA_* bits this entry requires */
  const char *name;  /* "base", "dotprod", "i8mm" */
  qcrt_entry_fn run;
} qcrt_variant;

typedef struct qcrt_model_desc {
  uint32_t abi_version;       /* QCRT_ABI_VERSION at compile time */
  const char *name;           /* the model's C name */
  const char *manifest_sha256;/* hex SHA-256 of the manifest.json written with this code */
  uint64_t weights_bytes;     /* size of weights.bin */
  uint64_t arena_bytes;       /* scratch bytes the entries need */
  uint32_t num_inputs;
  uint32_t num_outputs;
  uint32_t num_variants;
  const qcrt_variant *variants; /* most capable first; the runtime picks the
                                   first whose isa bits the CPU has */
} qcrt_model_desc;

/* Called by generated code: runs fn(ctx, begin, end) over [0, n) in chunks of
 * at least `grain` iterations on the pool's threads (the caller's thread takes
 * part). With pool == NULL or one thread, calls fn(ctx, 0, n) once.
 * Every chunk but the last starts and ends on a multiple of `grain` (grain < 1
 * counts as 1); n <= 0 calls nothing; fewer than 2 * grain iterations are one
 * call. How the range is cut depends on the number of threads, so results
 * must not depend on the chunk boundaries. A call from inside fn on the same
 * pool runs its whole range on the calling thread. Returns when every chunk
 * has finished; allocates nothing. */
typedef void (*qcrt_task_fn)(void *ctx, int64_t begin, int64_t end);
void qcrt_parallel_for(qcrt_pool *pool, int64_t n, int64_t grain,
                       qcrt_task_fn fn, void *ctx);

/* ------------------------------------------------------------------------ */
/* What applications call.                                                   */

typedef enum qcrt_dtype {
  QCRT_F32 = 1,
  QCRT_F16 = 2,
  QCRT_BF16 = 3,
  QCRT_F64 = 4,
  QCRT_I8 = 5,
  QCRT_U8 = 6,
  QCRT_I16 = 7,
  QCRT_I32 = 8,
  QCRT_I64 = 9,
  QCRT_BOOL = 10,
} qcrt_dtype;

#define QCRT_MAX_RANK 8

typedef struct qcrt_tensor_info {
  const char *name;
  qcrt_dtype dtype;
  int32_t rank;
  int64_t dims[QCRT_MAX_RANK];
  uint64_t bytes;
} qcrt_tensor_info;

/* Fields beyond options->struct_size keep their defaults, so a caller built
 * against an older, shorter struct still works. */
typedef struct qcrt_options {
  uint32_t struct_size;  /* sizeof(qcrt_options) */
  int32_t num_threads;   /* 0: the number of online CPUs (on Linux, those in
                            the process's affinity mask); 1: no pool */
  uint32_t isa_mask;     /* restrict the usable QCRT_ISA_* bits; 0xffffffff: all */
  int32_t verify_weights;/* 1 (default): SHA-256 of weights.bin checked at create */
} qcrt_options;

typedef struct qcrt_model qcrt_model;

/* Fills the defaults (all threads, every ISA the CPU has, verify weights). */
void qcrt_options_init(qcrt_options *options);

/* Opens artifact_dir (the directory quant-compile wrote), checks that the
 * manifest's checksum is the one `desc` was compiled with, that the format and
 * ABI versions match, that weights.bin has the manifest's size and checksum,
 * maps the weights, allocates the arena and starts the thread pool. Returns
 * NULL and sets qcrt_last_error() on any failure. options may be NULL. */
qcrt_model *qcrt_create(const char *artifact_dir, const qcrt_model_desc *desc,
                        const qcrt_options *options);

/* Runs the model. inputs[i] / outputs[i] are dense buffers of
 * qcrt_input_info(m, i)->bytes / qcrt_output_info(m, i)->bytes. Returns 0, or
 * non-zero with qcrt_last_error() set. Calls on one model are serialised. */
int qcrt_run(qcrt_model *model, const void *const *inputs,
             void *const *outputs);

void qcrt_destroy(qcrt_model *model);

int32_t qcrt_num_inputs(const qcrt_model *model);
int32_t qcrt_num_outputs(const qcrt_model *model);
const qcrt_tensor_info *qcrt_input_info(const qcrt_model *model, int32_t i);
const qcrt_tensor_info *qcrt_output_info(const qcrt_model *model, int32_t i);

/* The variant qcrt_create picked ("base", "dotprod", "i8mm"). */
const char *qcrt_variant_name(const qcrt_model *model);
int32_t qcrt_num_threads(const qcrt_model *model);

/* QCRT_ISA_* bits of the CPU this process runs on (getauxval on Linux,
 * sysctlbyname on macOS). */
uint32_t qcrt_cpu_isa(void);

/* The last error of this thread ("" when none). qcrt_create and qcrt_run
 * clear it when they succeed. Messages name the file and the field, e.g.
 * `model.qc/manifest.json: "weights.bytes" is 1024 but the library was
 * compiled for 2048 bytes`, or the position of a JSON syntax error
 * (`model.qc/manifest.json:14:22: ...`). */
const char *qcrt_last_error(void);

const char *qcrt_version(void);

#ifdef __cplusplus
}
#endif
#endif /* QUANTC_RUNTIME_H */
