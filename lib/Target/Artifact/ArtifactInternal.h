//===- ArtifactInternal.h - helpers shared by the artifact writer -*- C++
//-*-===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#ifndef QC_LIB_TARGET_ARTIFACT_ARTIFACTINTERNAL_H
#define QC_LIB_TARGET_ARTIFACT_ARTIFACTINTERNAL_H

#include "qc/Target/Artifact/Artifact.h"

#include "llvm/ADT/Twine.h"
#include "llvm/Support/Error.h"

#include <optional>

namespace mlir::qc::artifact::detail {

inline llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// Product of the dimensions, or nullopt if one is negative or the product
/// overflows.
std::optional<uint64_t> elementCount(llvm::ArrayRef<int64_t> shape);

/// elementCount times dtypeSize, or nullopt (unknown dtype, bad shape,
/// overflow).
std::optional<uint64_t> denseBytes(llvm::StringRef dtype,
                                   llvm::ArrayRef<int64_t> shape);

/// `s` with every run of bytes outside [A-Za-z0-9] turned into one '_' and
/// no '_' at either end (possibly empty). cName's first step; the header uses
/// it for input and output names.
std::string identifierStem(llvm::StringRef s);

/// Creates or truncates `path` and writes `bytes`; the error names the path.
llvm::Error writeFileBytes(const llvm::Twine &path, llvm::StringRef bytes);

bool isLowerHexSha256(llvm::StringRef s);

/// The QCRT_* enumerator of a dtype ("QCRT_F32").
std::string runtimeDTypeName(llvm::StringRef dtype);

} // namespace mlir::qc::artifact::detail

#endif // QC_LIB_TARGET_ARTIFACT_ARTIFACTINTERNAL_H
