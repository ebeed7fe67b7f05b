//===- Cpu.cpp - which QCRT_ISA_* features this CPU has -------------------===//
//
// Part of quantc. Asks the operating system rather than executing probe
// instructions: the kernel knows what it enabled for user space (and what an
// emulator such as qemu-aarch64 provides), and nothing here can fault.
//
//===----------------------------------------------------------------------===//

#include "quantc/runtime.h"

#if defined(__linux__) && defined(__aarch64__)
#include <sys/auxv.h>

// Values from the kernel's arch/arm64/include/uapi/asm/hwcap.h; older C
// library headers lack some of them.
#ifndef AT_HWCAP2
#define AT_HWCAP2 26
#endif
namespace {
constexpr unsigned long kHwcapAsimdDp = 1ul << 20;
constexpr unsigned long kHwcap2I8mm = 1ul << 13;
} // namespace

uint32_t qcrt_cpu_isa(void) {
  uint32_t isa = 0;
  unsigned long hwcap = getauxval(AT_HWCAP);
  unsigned long hwcap2 = getauxval(AT_HWCAP2);
  if (hwcap & kHwcapAsimdDp)
    isa |= QCRT_ISA_DOTPROD;
  if (hwcap2 & kHwcap2I8mm)
    isa |= QCRT_ISA_I8MM;
  return isa;
}

#elif defined(__APPLE__) && (defined(__aarch64__) || defined(__arm64__))
#include <sys/sysctl.h>
#include <sys/types.h>

namespace {
bool hasFeature(const char *name) {
  int value = 0;
  size_t size = sizeof(value);
  // A name the kernel does not know (older macOS) means the feature is absent.
  if (sysctlbyname(name, &value, &size, nullptr, 0) != 0)
    return false;
  return value != 0;
}
} // namespace

uint32_t qcrt_cpu_isa(void) {
  uint32_t isa = 0;
  if (hasFeature("hw.optional.arm.FEAT_DotProd"))
    isa |= QCRT_ISA_DOTPROD;
  if (hasFeature("hw.optional.arm.FEAT_I8MM"))
    isa |= QCRT_ISA_I8MM;
  return isa;
}

#elif defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

// The compilers' CPU model checks cpuid and that the operating system saves
// the AVX-512 state (xgetbv) before reporting a feature.
uint32_t qcrt_cpu_isa(void) {
  uint32_t isa = 0;
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512vl"))
    isa |= QCRT_ISA_AVX512VNNI;
  return isa;
}

#else

// Other systems report no feature, so only "base" variants (isa 0) are
// picked there.
uint32_t qcrt_cpu_isa(void) { return 0; }

#endif
