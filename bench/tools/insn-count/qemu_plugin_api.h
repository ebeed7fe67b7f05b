/* Declarations of the QEMU TCG plugin API, version 1 (QEMU 7.x), limited to
 * what insn_count.c uses. QEMU resolves these symbols from its own binary
 * when it loads the plugin, so names, argument types and enum values must
 * match the ABI QEMU was built with:
 *
 *   - the plugin exports `int qemu_plugin_version`; QEMU 7.2 refuses a value
 *     outside [0, 1];
 *   - the plugin exports qemu_plugin_install(), called once after loading
 *     with the -plugin arguments (argv holds "name=value" strings);
 *   - translation callbacks receive an opaque TB handle whose instructions
 *     can be inspected and instrumented with inline counter updates.
 *
 * Later QEMU releases reworked the inline operations; this header targets
 * the 7.x ABI (Debian 12's qemu-user is 7.2).
 */
#ifndef QC_QEMU_PLUGIN_API_H
#define QC_QEMU_PLUGIN_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define QC_PLUGIN_EXPORT __attribute__((visibility("default")))

/* API level this plugin is written against. */
#define QC_QEMU_PLUGIN_API_VERSION 1

typedef uint64_t qemu_plugin_id_t;

/* System description handed to qemu_plugin_install(); valid only during that
 * call. */
typedef struct qemu_info_t {
  const char *target_name; /* e.g. "aarch64" */
  struct {
    int min; /* oldest API level QEMU still accepts */
    int cur; /* API level QEMU implements */
  } version;
  bool system_emulation; /* false under linux-user (qemu-aarch64) */
  union {
    struct {
      int smp_vcpus;
      int max_vcpus;
    } system; /* meaningful only when system_emulation is true */
  };
} qemu_info_t;

struct qemu_plugin_tb;   /* opaque: a translation block being translated */
struct qemu_plugin_insn; /* opaque: one guest instruction of such a block */

/* Only operation QEMU 7.2 offers for inline instrumentation:
 * *(uint64_t *)ptr += imm, emitted into the translated code. */
enum qemu_plugin_op {
  QEMU_PLUGIN_INLINE_ADD_U64 = 0,
};

typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id,
                                               struct qemu_plugin_tb *tb);

/* Provided by the plugin. */
extern QC_PLUGIN_EXPORT int qemu_plugin_version;
QC_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id,
                                         const qemu_info_t *info, int argc,
                                         char **argv);

/* Provided by QEMU. */
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id,
                                           qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb,
                                              enum qemu_plugin_op op,
                                              void *ptr, uint64_t imm);
void qemu_plugin_register_vcpu_insn_exec_inline(struct qemu_plugin_insn *insn,
                                                enum qemu_plugin_op op,
                                                void *ptr, uint64_t imm);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb,
                                                 size_t idx);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id,
                                    qemu_plugin_udata_cb_t cb, void *userdata);
/* Writes through QEMU's log (-d plugin / -D FILE select where it goes). */
void qemu_plugin_outs(const char *string);

#endif
