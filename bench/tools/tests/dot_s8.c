/* int8 dot product with the dot-product extension: the kernel mca-test.sh
 * hands to mca.sh. The main loop consumes 32 bytes of each input per
 * iteration with two sdot instructions. */
#include <arm_neon.h>
#include <stdint.h>

int32_t dot_s8(const int8_t *a, const int8_t *b, long n) {
  int32x4_t acc0 = vdupq_n_s32(0), acc1 = vdupq_n_s32(0);
  long i = 0;
  for (; i + 32 <= n; i += 32) {
    acc0 = vdotq_s32(acc0, vld1q_s8(a + i), vld1q_s8(b + i));
    acc1 = vdotq_s32(acc1, vld1q_s8(a + i + 16), vld1q_s8(b + i + 16));
  }
  int32_t s = vaddvq_s32(vaddq_s32(acc0, acc1));
  for (; i < n; ++i)
    s += a[i] * b[i];
  return s;
}
