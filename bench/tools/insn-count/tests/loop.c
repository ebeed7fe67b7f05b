/* Fixture for the instruction counter: loop_kernel(n) is written in assembly
 * so the number of instructions it executes is known exactly:
 *
 *   loop_kernel:          1 instruction    (entry)
 *   loop_kernel_body:     5 instructions   x n   (n >= 1)
 *   loop_kernel_tail:     2 instructions   (exit)
 *
 * i.e. 5 * n + 3 for the whole function. The first translation block starts
 * at loop_kernel and runs through the first backward branch, so it straddles
 * the border of a range covering only the loop body.
 *
 * Usage: loop N   (prints the kernel's result, n * (n + 1) / 2)
 */
#include <stdio.h>
#include <stdlib.h>

long loop_kernel(long n);

__asm__(".text\n"
        ".p2align 4\n"
        ".globl loop_kernel\n"
        ".type loop_kernel, %function\n"
        "loop_kernel:\n"
        "  mov x1, #0\n"
        ".globl loop_kernel_body\n"
        "loop_kernel_body:\n"
        "  add x2, x2, x0\n"
        "  add x1, x1, x0\n"
        "  eor x3, x3, x2\n"
        "  subs x0, x0, #1\n"
        "  b.ne loop_kernel_body\n"
        ".globl loop_kernel_tail\n"
        "loop_kernel_tail:\n"
        "  mov x0, x1\n"
        "  ret\n"
        ".size loop_kernel, . - loop_kernel\n");

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s N\n", argv[0]);
    return 2;
  }
  long n = strtol(argv[1], NULL, 10);
  if (n < 1) {
    fprintf(stderr, "N must be >= 1\n");
    return 2;
  }
  long s = loop_kernel(n);
  printf("%ld\n", s);
  return s == n * (n + 1) / 2 ? 0 : 1;
}
