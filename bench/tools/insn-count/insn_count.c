/* insn_count: QEMU TCG plugin counting executed guest instructions.
 *
 * Counts every executed instruction (total) and, separately, those whose
 * address lies in one or more half-open ranges [start, end). Each
 * instruction of a translation block is classified on its own, so a block
 * that straddles a range border contributes only its instructions inside the
 * range.
 *
 * Arguments (-plugin libinsn_count.so,ARG,ARG,...):
 *   start=ADDR,end=ADDR    a range; pairs in order, named r0, r1, ...
 *   range=NAME:START-END   a named range (NAME may be omitted: range=A-B)
 *   out=FILE               write the result line to FILE instead of stderr
 *   log=on                 write it through QEMU's log instead (shown with
 *                          -d plugin, into -D FILE if given)
 *   mode=tb|insn           tb (default): one counter update per executed
 *                          block per range, adding the number of the block's
 *                          instructions in that range; insn: one update per
 *                          executed instruction (slower, same result unless
 *                          a block stops early on a fault)
 *
 * At exit it writes one line:
 *   insn-count total=N range[NAME]=N ...
 * (ranges in the order given). Counters are plain inline adds shared by all
 * vCPUs, so counts of concurrently running guest threads may be lost; the
 * kernels measured here are single-threaded.
 */
#define _POSIX_C_SOURCE 200809L
#include "qemu_plugin_api.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

QC_PLUGIN_EXPORT int qemu_plugin_version = QC_QEMU_PLUGIN_API_VERSION;

enum { kMaxRanges = 64, kMaxName = 64 };

struct range {
  uint64_t start, end; /* [start, end) */
  char name[kMaxName];
};

/* Counters live in their own array so inline updates touch nothing else. */
static uint64_t total_count;
static uint64_t range_count[kMaxRanges];
static struct range ranges[kMaxRanges];
static int num_ranges;
static int per_insn;
static int to_qemu_log;
static char *out_path;

static int parse_u64(const char *s, const char *stop, uint64_t *v) {
  if (s == stop)
    return -1;
  char buf[32];
  size_t n = (size_t)(stop - s);
  if (n >= sizeof buf)
    return -1;
  memcpy(buf, s, n);
  buf[n] = 0;
  char *end;
  errno = 0;
  unsigned long long x = strtoull(buf, &end, 0);
  if (errno || *end || buf[0] == '-')
    return -1;
  *v = x;
  return 0;
}

static int add_range(const char *name, uint64_t start, uint64_t end) {
  if (num_ranges == kMaxRanges) {
    fprintf(stderr, "insn_count: more than %d ranges\n", kMaxRanges);
    return -1;
  }
  if (end <= start) {
    fprintf(stderr, "insn_count: empty range 0x%" PRIx64 "-0x%" PRIx64 "\n",
            start, end);
    return -1;
  }
  struct range *r = &ranges[num_ranges];
  r->start = start;
  r->end = end;
  if (name && *name) {
    if (strlen(name) >= kMaxName || strpbrk(name, " \t\n[]=")) {
      fprintf(stderr, "insn_count: bad range name '%s'\n", name);
      return -1;
    }
    strcpy(r->name, name);
  } else {
    snprintf(r->name, kMaxName, "r%d", num_ranges);
  }
  ++num_ranges;
  return 0;
}

/* range=NAME:START-END or range=START-END */
static int parse_range(const char *v) {
  char name[kMaxName] = "";
  const char *colon = strchr(v, ':');
  if (colon) {
    size_t n = (size_t)(colon - v);
    if (n >= kMaxName) {
      fprintf(stderr, "insn_count: range name too long in '%s'\n", v);
      return -1;
    }
    memcpy(name, v, n);
    name[n] = 0;
    v = colon + 1;
  }
  const char *dash = strchr(v, '-');
  uint64_t start, end;
  if (!dash || parse_u64(v, dash, &start) ||
      parse_u64(dash + 1, dash + 1 + strlen(dash + 1), &end)) {
    fprintf(stderr, "insn_count: cannot parse range '%s'\n", v);
    return -1;
  }
  return add_range(name, start, end);
}

static int parse_args(int argc, char **argv) {
  int have_start = 0;
  uint64_t start = 0;
  for (int i = 0; i < argc; ++i) {
    const char *a = argv[i];
    const char *eq = strchr(a, '=');
    if (!eq) {
      fprintf(stderr, "insn_count: argument '%s' is not KEY=VALUE\n", a);
      return -1;
    }
    size_t klen = (size_t)(eq - a);
    const char *v = eq + 1;
#define KEY(k) (klen == sizeof(k) - 1 && !strncmp(a, k, klen))
    if (KEY("start")) {
      if (have_start) {
        fprintf(stderr, "insn_count: start= without a matching end=\n");
        return -1;
      }
      if (parse_u64(v, v + strlen(v), &start)) {
        fprintf(stderr, "insn_count: bad address '%s'\n", a);
        return -1;
      }
      have_start = 1;
    } else if (KEY("end")) {
      uint64_t end;
      if (!have_start) {
        fprintf(stderr, "insn_count: end= without a preceding start=\n");
        return -1;
      }
      if (parse_u64(v, v + strlen(v), &end)) {
        fprintf(stderr, "insn_count: bad address '%s'\n", a);
        return -1;
      }
      if (add_range(NULL, start, end))
        return -1;
      have_start = 0;
    } else if (KEY("range")) {
      if (parse_range(v))
        return -1;
    } else if (KEY("out")) {
      free(out_path);
      out_path = strdup(v);
    } else if (KEY("log")) {
      if (!strcmp(v, "on")) {
        to_qemu_log = 1;
      } else if (!strcmp(v, "off")) {
        to_qemu_log = 0;
      } else {
        fprintf(stderr, "insn_count: log must be on or off, not '%s'\n", v);
        return -1;
      }
    } else if (KEY("mode")) {
      if (!strcmp(v, "tb")) {
        per_insn = 0;
      } else if (!strcmp(v, "insn")) {
        per_insn = 1;
      } else {
        fprintf(stderr, "insn_count: mode must be tb or insn, not '%s'\n", v);
        return -1;
      }
    } else {
      fprintf(stderr, "insn_count: unknown argument '%s'\n", a);
      return -1;
    }
#undef KEY
  }
  if (have_start) {
    fprintf(stderr, "insn_count: start= without a matching end=\n");
    return -1;
  }
  return 0;
}

static void on_tb_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
  (void)id;
  size_t n = qemu_plugin_tb_n_insns(tb);
  if (per_insn) {
    for (size_t i = 0; i < n; ++i) {
      struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
      uint64_t pc = qemu_plugin_insn_vaddr(insn);
      qemu_plugin_register_vcpu_insn_exec_inline(
          insn, QEMU_PLUGIN_INLINE_ADD_U64, &total_count, 1);
      for (int r = 0; r < num_ranges; ++r)
        if (pc >= ranges[r].start && pc < ranges[r].end)
          qemu_plugin_register_vcpu_insn_exec_inline(
              insn, QEMU_PLUGIN_INLINE_ADD_U64, &range_count[r], 1);
    }
    return;
  }
  qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64,
                                           &total_count, n);
  if (num_ranges == 0)
    return;
  uint64_t inside[kMaxRanges] = {0};
  for (size_t i = 0; i < n; ++i) {
    uint64_t pc = qemu_plugin_insn_vaddr(qemu_plugin_tb_get_insn(tb, i));
    for (int r = 0; r < num_ranges; ++r)
      if (pc >= ranges[r].start && pc < ranges[r].end)
        ++inside[r];
  }
  for (int r = 0; r < num_ranges; ++r)
    if (inside[r])
      qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64,
                                               &range_count[r], inside[r]);
}

static void write_result(qemu_plugin_id_t id, void *userdata) {
  (void)id;
  (void)userdata;
  char line[64 + kMaxRanges * (kMaxName + 32)];
  size_t len = (size_t)snprintf(line, sizeof line, "insn-count total=%" PRIu64,
                                total_count);
  for (int r = 0; r < num_ranges; ++r)
    len += (size_t)snprintf(line + len, sizeof line - len,
                            " range[%s]=%" PRIu64, ranges[r].name,
                            range_count[r]);
  snprintf(line + len, sizeof line - len, "\n");
  if (to_qemu_log) {
    qemu_plugin_outs(line);
    return;
  }
  FILE *f = stderr;
  if (out_path) {
    f = fopen(out_path, "w");
    if (!f) {
      fprintf(stderr, "insn_count: cannot write %s: %s\n", out_path,
              strerror(errno));
      f = stderr;
    }
  }
  fputs(line, f);
  if (f != stderr)
    fclose(f);
  else
    fflush(f);
}

QC_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id,
                                         const qemu_info_t *info, int argc,
                                         char **argv) {
  if (info->version.cur < QC_QEMU_PLUGIN_API_VERSION) {
    fprintf(stderr, "insn_count: QEMU plugin API %d is older than %d\n",
            info->version.cur, QC_QEMU_PLUGIN_API_VERSION);
    return -1;
  }
  if (parse_args(argc, argv))
    return -1;
  qemu_plugin_register_vcpu_tb_trans_cb(id, on_tb_translate);
  qemu_plugin_register_atexit_cb(id, write_result, NULL);
  return 0;
}
