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
  /// Where sample `index` comes from (files, or file and batch), for
  /// messages; empty when the dataset cannot tell.
  virtual std::string describeSample(size_t index) const;
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
///
/// A directory sample must have the input's shape, or that shape without its
/// leading dimension when that dimension is 1. A FILE.npy either stacks whole
/// samples along a new leading dimension, or has the input's rank and is cut
/// into batches of the input's leading dimension along its own; a trailing
/// partial batch is dropped. Only the header and one sample of it are in
/// memory at a time. Data of another dtype is converted to the input's: any
/// numeric data to a float input, integers to an integer input.
///
/// With a non-empty `spec.preprocess`, directories hold images (.png, .jpg,
/// .jpeg, .bmp), decoded and preprocessed as parsePreprocess() describes.
FailureOr<std::unique_ptr<CalibrationDataset>>
openCalibrationDataset(const DatasetSpec &spec, ArrayRef<std::string> names,
                       ArrayRef<Type> types, std::string &error);

/// Image preprocessing, parsed from DatasetSpec::preprocess: a list of
/// `key=value` separated by ',' (or ';', which needs no quoting inside a pass
/// pipeline string). Per pixel, with p in 0..255:
///   v = (p * scale / 255 - mean[c]) / std[c]
/// after a bilinear resize (half-pixel centres, no antialiasing, like
/// OpenCV's INTER_LINEAR) to `resize`.
struct ImagePreprocess {
  /// resize=WxH; 0 = keep the decoded size.
  int64_t width = 0, height = 0;
  /// mean=a:b:c and std=a:b:c, one value per channel (or one for all).
  SmallVector<double, 3> mean = {0.0}, std = {1.0};
  /// scale=S: the value of a full-intensity pixel before mean/std (1 maps
  /// pixels to [0, 1]; 255 keeps 0..255).
  double scale = 1.0;
  /// layout=nchw|nhwc: channels before or after the spatial dims.
  bool channelsLast = false;
  /// color=rgb|bgr|gray.
  enum class Color { RGB, BGR, Gray } color = Color::RGB;

  unsigned channels() const { return color == Color::Gray ? 1 : 3; }
};

FailureOr<ImagePreprocess> parsePreprocess(StringRef text, std::string &error);

/// Decodes an image file and preprocesses it into an f32 tensor of shape
/// [1, C, H, W] (nchw) or [1, H, W, C] (nhwc).
FailureOr<Tensor> loadImage(StringRef path, const ImagePreprocess &pp,
                            std::string &error);

} // namespace mlir::qc

#endif // QC_QUANT_DATASET_H
