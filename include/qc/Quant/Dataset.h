//===- Dataset.h - calibration data, streamed sample by sample ---*- C++ -*-===//
//
// Part of quantc. Calibration, reports and learned quantization read their
// data through this interface so that memory does not grow with the number
// of samples: one sample (a tensor per model input) is in memory at a time.
//
//===----------------------------------------------------------------------===//

#ifndef QC_QUANT_DATASET_H
#define QC_QUANT_DATASET_H

#include "qc/Executor/Tensor.h"

#include "mlir/IR/Types.h"
#include "mlir/Support/LLVM.h"

#include <memory>
#include <string>
#include <vector>

namespace mlir::qc {

class CalibrationDataset {
public:
  virtual ~CalibrationDataset();
  /// Number of samples next() yields from the start.
  virtual size_t size() const = 0;
  /// Goes back to the first sample.
  virtual void reset() = 0;
  /// Fills `inputs` with the next sample: one tensor per model input, in the
  /// order and with exactly the types given to openCalibrationDataset().
  /// Returns false after the last sample; fails (with `error` naming the
  /// file) on unreadable or mismatching data.
  virtual FailureOr<bool> next(std::vector<Tensor> &inputs,
                               std::string &error) = 0;
};

/// Where the data comes from (quant-compile --calib/--calib-preprocess).
struct DatasetSpec {
  /// Each entry is one of
  ///   DIR            a directory of .npy files (or images), one sample per
  ///                  file, sorted by name; for a single-input model
  ///   FILE.npy       one array whose leading dimension holds many samples;
  ///                  it is cut into batches of the model's batch size
  ///   NAME=DIR|FILE  the same, for the model input called NAME
  std::vector<std::string> sources;
  /// Image decoding and preprocessing, e.g.
  /// "resize=224x224,mean=0.485:0.456:0.406,std=0.229:0.224:0.225,layout=nchw".
  /// Empty = the directory holds .npy files.
  std::string preprocess;
  /// Use at most this many samples (0 = all).
  size_t maxSamples = 0;
};

/// Opens the data for a model whose inputs have these names and static
/// tensor types. Fails with an error naming the source, file or input.
FailureOr<std::unique_ptr<CalibrationDataset>>
openCalibrationDataset(const DatasetSpec &spec, ArrayRef<std::string> names,
                       ArrayRef<Type> types, std::string &error);

} // namespace mlir::qc

#endif // QC_QUANT_DATASET_H
