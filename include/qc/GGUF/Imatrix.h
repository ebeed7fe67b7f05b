//===- Imatrix.h - llama.cpp importance matrices -------------- -*- C++ -*-===//
//
// Part of quantc. An importance matrix ("imatrix") holds, for each weight
// tensor, statistics of the activations that multiplied it on calibration
// text; the importance-weighted quantizers of BlockFormats.h weigh each
// column's rounding error by it. This reads the GGUF files llama-imatrix
// writes: per weight `<name>.in_sum2` (sum of squared activations per input
// column, one row per expert) and `<name>.counts` (activations seen per
// expert), both F32, plus `imatrix.*` metadata.
//
//===----------------------------------------------------------------------===//

#ifndef QC_GGUF_IMATRIX_H
#define QC_GGUF_IMATRIX_H

#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mlir::qc::gguf {

class GGUFFile;

struct ImportanceMatrix {
  /// Weight tensor name -> per-column importance: in_sum2 / count for each
  /// expert row (count rounded to an integer first), or 1 for an expert
  /// that saw no activation - exactly the vector llama-quantize passes to
  /// its quantizers.
  llvm::StringMap<std::vector<float>> weights;
  /// Activations counted per expert, as stored (rounded).
  llvm::StringMap<std::vector<int64_t>> counts;
  std::vector<std::string> datasets;
  uint32_t chunkCount = 0;
  uint32_t chunkSize = 0;

  /// The importance of `tensorName`, or null if the file has none for it.
  const std::vector<float> *lookup(llvm::StringRef tensorName) const;
};

/// Reads an imatrix GGUF file. Errors (naming the file and entry) for a
/// file that is not GGUF (the older binary .dat format is not read), no
/// entries, missing `imatrix.datasets`/`chunk_count`/`chunk_size`, a sums
/// tensor without its counts or the reverse, a non-F32 entry, sums that are
/// not whole rows of the counts, or non-finite or negative values.
llvm::Expected<ImportanceMatrix> loadImportanceMatrix(llvm::StringRef path);
llvm::Expected<ImportanceMatrix> importanceMatrixFrom(const GGUFFile &file);

} // namespace mlir::qc::gguf

#endif // QC_GGUF_IMATRIX_H
