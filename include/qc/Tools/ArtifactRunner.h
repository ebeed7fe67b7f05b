//===- ArtifactRunner.h - run a compiled artifact on the host ---*- C++ -*-===//
//
// Part of quantc. quant-run's path for model.qc/ directories: the host
// library of the artifact is linked into the process by LLVM's JIT linker and
// driven through the same runtime (libquantc_runtime) an application links.
//
//===----------------------------------------------------------------------===//

#ifndef QC_TOOLS_ARTIFACTRUNNER_H
#define QC_TOOLS_ARTIFACTRUNNER_H

#include "qc/Executor/Tensor.h"

#include "mlir/Support/LLVM.h"
#include "llvm/ADT/StringRef.h"

#include <memory>
#include <string>
#include <vector>

namespace mlir::qc {

class ArtifactRunner {
public:
  ~ArtifactRunner();
  /// True when `path` is an artifact directory (holds manifest.json).
  static bool isArtifact(llvm::StringRef path);
  /// Loads the host library of the artifact at `dir` and creates the model
  /// through the runtime (checksums, versions, weights mapping).
  static FailureOr<std::unique_ptr<ArtifactRunner>>
  open(llvm::StringRef dir, unsigned numThreads, uint32_t isaMask,
       std::string &error);

  llvm::ArrayRef<std::string> inputNames() const { return inNames; }
  llvm::ArrayRef<std::string> outputNames() const { return outNames; }
  /// Element type and shape of an input or output, as the manifest says.
  struct Spec {
    DType dtype;
    llvm::SmallVector<int64_t> shape;
  };
  llvm::ArrayRef<Spec> inputSpecs() const { return inSpecs; }
  llvm::ArrayRef<Spec> outputSpecs() const { return outSpecs; }
  /// The ISA variant the runtime picked.
  llvm::StringRef variant() const;
  /// Runs once; inputs must match the manifest's dtypes and shapes.
  FailureOr<std::vector<Tensor>> run(llvm::ArrayRef<Tensor> inputs,
                                     std::string &error);

private:
  ArtifactRunner();
  struct Impl;
  std::unique_ptr<Impl> impl;
  std::vector<std::string> inNames, outNames;
  std::vector<Spec> inSpecs, outSpecs;
};

} // namespace mlir::qc

#endif // QC_TOOLS_ARTIFACTRUNNER_H
