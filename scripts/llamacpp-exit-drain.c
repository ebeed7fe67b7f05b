/* Lets a llama.cpp tool's log thread finish before the process exits.
 *
 * llama.cpp's tools print through common_log, whose worker thread writes the
 * queued lines; the logger is a deliberately leaked singleton, so nothing
 * waits for that thread at exit and the last lines of a tool's output (such
 * as llama-perplexity's final statistics) are lost whenever the worker is
 * slower than the main thread, which happens often on a loaded machine.
 *
 * scripts/llamacpp-chroot.sh builds this into the chroot and preloads it in
 * `run`. Its destructor runs after the program's own exit handlers and waits
 * until no other thread of the process is runnable (the log worker then
 * sleeps on an empty queue), checking every 5 ms, for at most 3 seconds.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Whether a thread other than the calling one is running or runnable. */
static int others_runnable(void) {
  DIR *d = opendir("/proc/self/task");
  if (!d)
    return -1;
  pid_t self = gettid();
  int busy = 0;
  struct dirent *e;
  while (!busy && (e = readdir(d))) {
    if (e->d_name[0] == '.' || atoi(e->d_name) == self)
      continue;
    char path[300], buf[512];
    snprintf(path, sizeof path, "/proc/self/task/%s/stat", e->d_name);
    FILE *f = fopen(path, "r");
    if (!f)
      continue;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    /* "tid (comm) S ...": the state follows the last ')'. */
    char *p = strrchr(buf, ')');
    if (p && p[1] == ' ' && p[2] == 'R')
      busy = 1;
  }
  closedir(d);
  return busy;
}

__attribute__((destructor)) static void qc_llamacpp_exit_drain(void) {
  const struct timespec tick = {0, 5 * 1000 * 1000};
  int quiet = 0;
  for (int i = 0; i < 600 && quiet < 3; i++) {
    nanosleep(&tick, NULL);
    int busy = others_runnable();
    if (busy < 0) {
      /* No /proc: a fixed grace period instead. */
      const struct timespec grace = {0, 300 * 1000 * 1000};
      nanosleep(&grace, NULL);
      return;
    }
    quiet = busy ? 0 : quiet + 1;
  }
}
