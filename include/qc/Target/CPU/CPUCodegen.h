//===- CPUCodegen.h - qc models to object code ------------------*- C++ -*-===//
//
// Part of quantc.
//
// The CPU code generator: a compiled (float or quantized) qc model function
// is lowered to linalg on tensors (convert-qc-to-linalg), its constants move
// into the weights blob, it is bufferized with every intermediate buffer
// planned into one arena, lowered to the LLVM dialect, translated to LLVM IR
// and compiled by LLVM's own backends into one object per ISA variant of each
// target.
//
//===----------------------------------------------------------------------===//

#ifndef QC_TARGET_CPU_CPUCODEGEN_H
#define QC_TARGET_CPU_CPUCODEGEN_H

#include "qc/Target/Artifact/Artifact.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace llvm {
class LLVMContext;
class Module;
} // namespace llvm

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace mlir::qc::cpu {

/// Registers what the CPU pipeline needs (bufferization models, the LLVM
/// dialect and its translation) into `registry`.
void registerCodegenDialects(DialectRegistry &registry);

/// One CPU target: an LLVM triple and the ISA variants compiled for it.
struct TargetSpec {
  std::string name;   // "x86_64-linux-gnu", "aarch64-linux-gnu", "aarch64-apple-darwin"
  std::string triple; // LLVM triple
  bool darwin = false;
  struct Variant {
    std::string name;     // "base", "dotprod", "i8mm"
    uint32_t isa = 0;     // QCRT_ISA_* bits the variant needs
    std::string cpu;      // LLVM CPU name
    std::string features; // LLVM feature string
  };
  std::vector<Variant> variants; // most capable first
};

/// Parses "host,aarch64,aarch64-apple-darwin" (also "x86_64",
/// "aarch64-linux-gnu", "all"). Unknown names are an error naming them.
FailureOr<std::vector<TargetSpec>> parseTargets(llvm::StringRef list,
                                                std::string &error);

/// A model input or output as the artifact describes it.
struct IOSpec {
  std::string name;
  std::string dtype;
  std::vector<int64_t> shape;
  uint64_t bytes = 0;
};

/// The model after the target-independent half of the pipeline: an LLVM
/// dialect module whose function `entry` takes (weights, arena, inputs...,
/// outputs...) as bare pointers.
struct LoweredModel {
  std::string entry;
  std::vector<IOSpec> inputs, outputs;
  artifact::WeightsBuilder weights; // weights.bin: every large constant
  uint64_t arenaBytes = 0;
};

struct LowerOptions {
  /// Constants of at least this many bytes move into weights.bin; smaller
  /// ones stay in the code's read-only data.
  uint64_t outlineThreshold = 64;
};

/// Runs the target-independent pipeline on `module` (a single public
/// function is the model): convert-qc-to-linalg, weight outlining,
/// bufferization, arena planning and lowering to the LLVM dialect. Errors are
/// emitted as diagnostics on the module.
FailureOr<LoweredModel> lowerToLLVMDialect(ModuleOp module,
                                           const LowerOptions &options);

/// Replaces the contractions convert-qc-to-linalg tagged (`qc.kernel`) in
/// the bufferized model `f` by packing loops and calls to generated kernels,
/// one function per ISA variant each (Microkernels.cpp).
/// `pool` is the model function's qcrt_pool argument, handed to the kernels.
LogicalResult outlineMicrokernels(ModuleOp module, func::FuncOp f, Value pool);

/// Replaces the block-quantized matmuls convert-qc-to-linalg tagged
/// (`qc.kernel = "qmm"`, the dynamic form with a block quantized weight) in
/// the bufferized model `f` by calls to generated kernels (QuantMatmul.cpp).
LogicalResult outlineQuantMatmuls(ModuleOp module, func::FuncOp f, Value pool);

/// Replaces the float GEMMs convert-qc-to-linalg tagged (`qc.kernel =
/// "fgemm"`: f32 linear, convolution with one group, matmul with a constant
/// weight) in the bufferized model `f` by calls to generated kernels
/// (FloatGemm.cpp).
LogicalResult outlineFloatGemms(ModuleOp module, func::FuncOp f, Value pool);

/// Outlines the top-level scf.parallel loop nests of the lowered model `f`
/// that do at least `minWork` innermost iterations, to run on the runtime's
/// thread pool (Parallel.cpp).
LogicalResult outlineParallelLoops(ModuleOp module, func::FuncOp f,
                                   int64_t minWork);

/// The stages before LLVM, for `quant-compile --compile-to` and tests.
LogicalResult lowerToLinalg(ModuleOp module);
LogicalResult lowerToBuffers(ModuleOp module, LoweredModel &model,
                             const LowerOptions &options);

/// One compiled object (the member of lib<name>.a).
struct ObjectFile {
  std::string member; // file name inside the archive
  std::vector<char> bytes;
};

/// Translates the lowered module to LLVM IR once per variant of `target`,
/// wraps the model in the C entry point `<name>_run_<variant>` (the
/// qcrt_entry_fn ABI), optimises at -O3 for the variant's CPU and features and
/// emits an object file each.
FailureOr<std::vector<ObjectFile>>
emitObjects(ModuleOp lowered, const LoweredModel &model, llvm::StringRef name,
            const TargetSpec &target, std::string &error);

/// The LLVM IR of one variant after optimisation (for --compile-to=llvm-ir).
FailureOr<std::string> emitLLVMIR(ModuleOp lowered, const LoweredModel &model,
                                  llvm::StringRef name,
                                  const TargetSpec &target, std::string &error);

/// The name of the entry symbol of `variant`.
std::string entrySymbol(llvm::StringRef name, llvm::StringRef variant);

} // namespace mlir::qc::cpu

#endif // QC_TARGET_CPU_CPUCODEGEN_H

namespace mlir::qc::cpu {

/// Host objects loaded in-process by LLVM's JIT linker: what quant-run and
/// the tests use to run generated host code without a system linker.
class JITCode {
public:
  ~JITCode();
  /// Links `objects` (host objects, e.g. the members of the artifact's host
  /// lib<name>.a). Undefined symbols resolve to `symbols` first, then to the
  /// running process (libc, libm).
  static FailureOr<std::unique_ptr<JITCode>>
  load(std::vector<ObjectFile> objects,
       llvm::ArrayRef<std::pair<std::string, void *>> symbols,
       std::string &error);
  /// Reads every member of the static library at `path` and links them.
  static FailureOr<std::unique_ptr<JITCode>>
  loadArchive(llvm::StringRef path,
              llvm::ArrayRef<std::pair<std::string, void *>> symbols,
              std::string &error);
  /// The address of `symbol`, or nullptr with `error` set.
  void *lookup(llvm::StringRef symbol, std::string &error);

private:
  JITCode();
  struct Impl;
  std::unique_ptr<Impl> impl;
};

} // namespace mlir::qc::cpu

namespace mlir::qc::cpu {

/// Compiles `descriptor` (the `<name>_desc` global) into an object for the
/// base variant of `target`.
FailureOr<ObjectFile> emitDescriptorObject(const artifact::DescriptorInfo &info,
                                           const TargetSpec &target,
                                           std::string &error);

struct ArtifactOptions {
  std::string outDir;     // the artifact directory to write (model.qc)
  std::string name;       // the model's C name
  std::string sourceFile; // the compiled model, for provenance
  std::string commandLine;
  std::vector<TargetSpec> targets;
  LowerOptions lower;
};

/// The whole CPU path: lowers `module`, compiles every variant of every
/// target, and writes the artifact directory (docs/Artifact.md). Nothing is
/// left at `outDir` on failure.
LogicalResult compileArtifact(ModuleOp module, const ArtifactOptions &options,
                              std::string &error);

} // namespace mlir::qc::cpu
