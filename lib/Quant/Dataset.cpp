//===- Dataset.cpp - calibration data, streamed sample by sample ----------===//
//
// Part of quantc. Each model input reads from one source (a directory of .npy
// files or images, or one big .npy file read a batch at a time); the dataset
// zips them. Nothing but file names and .npy headers is kept between
// samples.
//
//===----------------------------------------------------------------------===//

#include "qc/Quant/Dataset.h"

#include "qc/Executor/Npy.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include "stb_image.h"

#include <algorithm>
#include <cmath>

using namespace mlir;
using namespace mlir::qc;

CalibrationDataset::~CalibrationDataset() = default;
std::string CalibrationDataset::describeSample(size_t) const { return {}; }

static std::string shapeString(ArrayRef<int64_t> shape) {
  if (shape.empty())
    return "scalar";
  std::string s;
  llvm::raw_string_ostream os(s);
  llvm::interleave(shape, os, "x");
  return s;
}

//===----------------------------------------------------------------------===//
// Preprocessing
//===----------------------------------------------------------------------===//

FailureOr<ImagePreprocess> qc::parsePreprocess(StringRef text,
                                               std::string &error) {
  ImagePreprocess pp;
  auto fail = [&](const Twine &why) -> FailureOr<ImagePreprocess> {
    error = ("invalid preprocess '" + text + "': " + why).str();
    return failure();
  };
  auto parseList = [&](StringRef key, StringRef value,
                       SmallVector<double, 3> &out) -> LogicalResult {
    SmallVector<StringRef> parts;
    value.split(parts, ':');
    out.clear();
    for (StringRef p : parts) {
      double d;
      if (p.trim().getAsDouble(d) || !std::isfinite(d)) {
        error = ("invalid preprocess '" + text + "': " + key + " value '" + p +
                 "' is not a number")
                    .str();
        return failure();
      }
      out.push_back(d);
    }
    return success();
  };
  // ';' is accepted as well as ',' so that the value needs no quoting in a
  // pass option (where ',' separates options).
  std::string normalised = text.str();
  std::replace(normalised.begin(), normalised.end(), ';', ',');
  SmallVector<StringRef> items;
  StringRef(normalised).split(items, ',', -1, /*KeepEmpty=*/false);
  for (StringRef item : items) {
    item = item.trim();
    if (item.empty())
      continue;
    auto [key, value] = item.split('=');
    key = key.trim();
    value = value.trim();
    if (!item.contains('='))
      return fail("'" + item + "' is not key=value");
    if (key == "resize") {
      std::string lower = value.lower();
      auto [w, h] = StringRef(lower).split('x');
      if (w.getAsInteger(10, pp.width) || h.getAsInteger(10, pp.height) ||
          pp.width <= 0 || pp.height <= 0)
        return fail("resize expects WxH with positive integers, got '" + value +
                    "'");
    } else if (key == "mean") {
      if (failed(parseList(key, value, pp.mean)))
        return failure();
    } else if (key == "std") {
      if (failed(parseList(key, value, pp.std)))
        return failure();
      for (double s : pp.std)
        if (s == 0.0)
          return fail("std must not be 0");
    } else if (key == "scale") {
      if (value.getAsDouble(pp.scale) || !std::isfinite(pp.scale) ||
          pp.scale <= 0)
        return fail("scale expects a positive number, got '" + value + "'");
    } else if (key == "layout") {
      std::string v = value.lower();
      if (v != "nchw" && v != "nhwc")
        return fail("layout must be nchw or nhwc, got '" + value + "'");
      pp.channelsLast = v == "nhwc";
    } else if (key == "color") {
      std::string v = value.lower();
      if (v == "rgb")
        pp.color = ImagePreprocess::Color::RGB;
      else if (v == "bgr")
        pp.color = ImagePreprocess::Color::BGR;
      else if (v == "gray" || v == "grey")
        pp.color = ImagePreprocess::Color::Gray;
      else
        return fail("color must be rgb, bgr or gray, got '" + value + "'");
    } else {
      return fail("unknown key '" + key +
                  "' (expected resize, mean, std, scale, layout or color)");
    }
  }
  for (auto [key, list] :
       {std::pair<StringRef, SmallVector<double, 3> *>{"mean", &pp.mean},
        {"std", &pp.std}})
    if (list->size() != 1 && list->size() != pp.channels())
      return fail(key + " has " + Twine(list->size()) + " values for " +
                  Twine(pp.channels()) + " channel(s)");
  return pp;
}

FailureOr<Tensor> qc::loadImage(StringRef path, const ImagePreprocess &pp,
                                std::string &error) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer) {
    error = (path + ": " + buffer.getError().message()).str();
    return failure();
  }
  StringRef bytes = (*buffer)->getBuffer();
  if (bytes.size() > static_cast<size_t>(INT32_MAX)) {
    error = (path + ": image file is too large").str();
    return failure();
  }
  int w = 0, h = 0, fileChannels = 0;
  int c = static_cast<int>(pp.channels());
  std::unique_ptr<stbi_uc, void (*)(void *)> pixels(
      stbi_load_from_memory(reinterpret_cast<const stbi_uc *>(bytes.data()),
                            static_cast<int>(bytes.size()), &w, &h,
                            &fileChannels, c),
      stbi_image_free);
  if (!pixels) {
    const char *why = stbi_failure_reason();
    error = (path + ": cannot decode image: " + (why ? why : "unknown error"))
                .str();
    return failure();
  }
  int64_t outW = pp.width ? pp.width : w, outH = pp.height ? pp.height : h;
  SmallVector<int64_t> shape = pp.channelsLast
                                   ? SmallVector<int64_t>{1, outH, outW, c}
                                   : SmallVector<int64_t>{1, c, outH, outW};
  Tensor t(DType::F32, shape);
  float *out = t.data<float>();
  const stbi_uc *in = pixels.get();
  auto pixel = [&](int64_t y, int64_t x, int ch) -> double {
    return in[(y * w + x) * c + ch];
  };
  // Half-pixel centres: output pixel o samples input (o + 0.5) * in/out - 0.5.
  auto coord = [](int64_t o, int64_t inSize, int64_t outSize, int64_t &i0,
                  int64_t &i1, double &f) {
    double s = (static_cast<double>(o) + 0.5) * inSize / outSize - 0.5;
    s = std::clamp(s, 0.0, static_cast<double>(inSize - 1));
    i0 = static_cast<int64_t>(std::floor(s));
    i1 = std::min(i0 + 1, inSize - 1);
    f = s - static_cast<double>(i0);
  };
  for (int64_t y = 0; y < outH; ++y) {
    int64_t y0, y1;
    double fy;
    coord(y, h, outH, y0, y1, fy);
    for (int64_t x = 0; x < outW; ++x) {
      int64_t x0, x1;
      double fx;
      coord(x, w, outW, x0, x1, fx);
      for (int ch = 0; ch < c; ++ch) {
        int src = pp.color == ImagePreprocess::Color::BGR ? 2 - ch : ch;
        double top = pixel(y0, x0, src) * (1 - fx) + pixel(y0, x1, src) * fx;
        double bottom = pixel(y1, x0, src) * (1 - fx) + pixel(y1, x1, src) * fx;
        double v = top * (1 - fy) + bottom * fy;
        double mean = pp.mean.size() == 1 ? pp.mean[0] : pp.mean[ch];
        double stdv = pp.std.size() == 1 ? pp.std[0] : pp.std[ch];
        v = (v * pp.scale / 255.0 - mean) / stdv;
        int64_t idx = pp.channelsLast ? (y * outW + x) * c + ch
                                      : (ch * outH + y) * outW + x;
        out[idx] = static_cast<float>(v);
      }
    }
  }
  return t;
}

//===----------------------------------------------------------------------===//
// Sources
//===----------------------------------------------------------------------===//

namespace {

struct InputInfo {
  std::string name;
  DType dtype;
  SmallVector<int64_t> shape;
};

/// Fits a sample read from `what` to the input: the same shape up to a
/// leading 1, converted to the input's dtype.
FailureOr<Tensor> fitToInput(const Tensor &t, const InputInfo &in,
                             StringRef what, std::string &error,
                             StringRef hint = {}) {
  ArrayRef<int64_t> want = in.shape;
  ArrayRef<int64_t> got = t.shape();
  // A leading 1 may be missing on either side (images always have one).
  bool fits = got == want ||
              (!want.empty() && want[0] == 1 && got == want.drop_front()) ||
              (!got.empty() && got[0] == 1 && got.drop_front() == want);
  if (!fits) {
    error = (what + ": shape " + shapeString(t.shape()) +
             " does not match input '" + in.name + "' (" + shapeString(want) +
             ")" + hint)
                .str();
    return failure();
  }
  if (t.dtype() == in.dtype)
    return t.reshaped(want);
  if (!isFloatDType(in.dtype) && isFloatDType(t.dtype())) {
    error = (what + ": " + dtypeName(t.dtype()) +
             " data cannot be converted to input '" + in.name + "' of type " +
             dtypeName(in.dtype))
                .str();
    return failure();
  }
  Tensor out(in.dtype, want);
  for (int64_t i = 0, e = t.numElements(); i < e; ++i)
    out.setFromDouble(i, t.getAsDouble(i));
  return out;
}

class Source {
public:
  Source(std::string spec, InputInfo input)
      : spec(std::move(spec)), input(std::move(input)) {}
  virtual ~Source() = default;
  virtual size_t size() const = 0;
  virtual FailureOr<Tensor> read(size_t index, std::string &error) = 0;
  virtual std::string describe(size_t index) const = 0;

  /// The source as given (NAME=PATH or PATH), for messages.
  std::string spec;
  InputInfo input;
};

bool hasExtension(StringRef path, ArrayRef<StringRef> exts) {
  std::string ext = llvm::sys::path::extension(path).lower();
  return llvm::is_contained(exts, ext);
}

const StringRef kImageExts[] = {".png", ".jpg", ".jpeg", ".bmp"};

/// A directory of .npy files or images, one sample per file.
class DirSource : public Source {
public:
  DirSource(std::string spec, InputInfo input, std::vector<std::string> files,
            std::optional<ImagePreprocess> pp)
      : Source(std::move(spec), std::move(input)), files(std::move(files)),
        pp(std::move(pp)) {}

  size_t size() const override { return files.size(); }
  std::string describe(size_t index) const override { return files[index]; }
  FailureOr<Tensor> read(size_t index, std::string &error) override {
    const std::string &path = files[index];
    FailureOr<Tensor> t =
        pp ? loadImage(path, *pp, error) : readNpyFile(path, error);
    if (failed(t))
      return failure();
    return fitToInput(*t, input, path, error,
                      pp && !pp->width ? " (resize=WxH sets the image size)"
                                       : "");
  }

private:
  std::vector<std::string> files;
  std::optional<ImagePreprocess> pp;
};

/// One .npy file whose leading dimension holds many samples, read one
/// sample at a time at its offset in the file.
class NpyFileSource : public Source {
public:
  NpyFileSource(std::string spec, InputInfo input, std::string path,
                llvm::sys::fs::file_t fd, NpyHeader header, size_t count,
                size_t batch)
      : Source(std::move(spec), std::move(input)), path(std::move(path)),
        fd(fd), header(std::move(header)), count(count), batch(batch) {}
  ~NpyFileSource() override { llvm::sys::fs::closeFile(fd); }

  size_t size() const override { return count; }
  std::string describe(size_t index) const override {
    if (batch == 0)
      return path + " [" + std::to_string(index) + "]";
    return path + " [" + std::to_string(index * batch) + ":" +
           std::to_string((index + 1) * batch) + "]";
  }
  FailureOr<Tensor> read(size_t index, std::string &error) override {
    Tensor raw(header.dtype, input.shape);
    uint64_t bytes = raw.byteSize();
    uint64_t offset = header.dataOffset + index * bytes;
    auto *dst = static_cast<char *>(raw.raw());
    uint64_t done = 0;
    while (done < bytes) {
      llvm::Expected<size_t> n = llvm::sys::fs::readNativeFileSlice(
          fd, MutableArrayRef<char>(dst + done, bytes - done), offset + done);
      if (!n) {
        error = path + ": " + llvm::toString(n.takeError());
        return failure();
      }
      if (*n == 0) {
        error = path + ": unexpected end of file";
        return failure();
      }
      done += *n;
    }
    return fitToInput(raw, input, describe(index), error);
  }

private:
  std::string path;
  llvm::sys::fs::file_t fd;
  NpyHeader header;
  size_t count;
  /// Samples per batch when the file is cut along the input's leading dim;
  /// 0 when each leading index is one whole sample.
  size_t batch;
};

FailureOr<std::unique_ptr<Source>> openDirectory(StringRef spec, StringRef dir,
                                                 const InputInfo &in,
                                                 const DatasetSpec &dspec,
                                                 std::string &error) {
  std::optional<ImagePreprocess> pp;
  if (!dspec.preprocess.empty()) {
    FailureOr<ImagePreprocess> parsed =
        parsePreprocess(dspec.preprocess, error);
    if (failed(parsed))
      return failure();
    pp = *parsed;
  }
  std::vector<std::string> files;
  size_t npyCount = 0, imageCount = 0;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec;
       it.increment(ec)) {
    llvm::ErrorOr<llvm::sys::fs::basic_file_status> st = it->status();
    if (!st || st->type() != llvm::sys::fs::file_type::regular_file)
      continue;
    bool isNpy = hasExtension(it->path(), {".npy"});
    bool isImage = hasExtension(it->path(), kImageExts);
    npyCount += isNpy;
    imageCount += isImage;
    if (pp ? isImage : isNpy)
      files.push_back(it->path());
  }
  if (ec) {
    error = (dir + ": " + ec.message()).str();
    return failure();
  }
  if (files.empty()) {
    if (pp)
      error = (dir + ": no .png, .jpg, .jpeg or .bmp images" +
               (npyCount ? " (it holds .npy files: drop the preprocess option)"
                         : ""))
                  .str();
    else
      error = (dir + ": no .npy files" +
               (imageCount ? " (it holds images: give a preprocess option to "
                             "decode them)"
                           : ""))
                  .str();
    return failure();
  }
  llvm::sort(files);
  return std::unique_ptr<Source>(
      new DirSource(spec.str(), in, std::move(files), pp));
}

FailureOr<std::unique_ptr<Source>> openNpyFile(StringRef spec, StringRef path,
                                               const InputInfo &in,
                                               std::string &error) {
  llvm::Expected<llvm::sys::fs::file_t> fdOr =
      llvm::sys::fs::openNativeFileForRead(path);
  if (!fdOr) {
    error = (path + ": " + llvm::toString(fdOr.takeError())).str();
    return failure();
  }
  llvm::sys::fs::file_t fd = *fdOr;
  auto fail = [&](const Twine &why) -> FailureOr<std::unique_ptr<Source>> {
    llvm::sys::fs::closeFile(fd);
    error = (path + ": " + why).str();
    return failure();
  };
  uint64_t fileSize = 0;
  if (std::error_code ec = llvm::sys::fs::file_size(path, fileSize))
    return fail(ec.message());
  // The header: its length is in bytes 8..9 (v1) or 8..11 (v2, v3).
  auto readAt = [&](uint64_t offset, size_t len,
                    std::string &out) -> LogicalResult {
    out.resize(len);
    size_t done = 0;
    while (done < len) {
      llvm::Expected<size_t> n = llvm::sys::fs::readNativeFileSlice(
          fd, MutableArrayRef<char>(out.data() + done, len - done),
          offset + done);
      if (!n) {
        llvm::consumeError(n.takeError());
        return failure();
      }
      if (*n == 0)
        break;
      done += *n;
    }
    out.resize(done);
    return success();
  };
  std::string head;
  if (failed(readAt(0, 12, head)))
    return fail("cannot read");
  size_t headerLen = 0;
  if (head.size() >= 10 && head[6] == 1)
    headerLen =
        10 + (static_cast<uint8_t>(head[8]) |
              (static_cast<size_t>(static_cast<uint8_t>(head[9])) << 8));
  else if (head.size() >= 12)
    headerLen =
        12 + (static_cast<size_t>(static_cast<uint8_t>(head[8])) |
              (static_cast<size_t>(static_cast<uint8_t>(head[9])) << 8) |
              (static_cast<size_t>(static_cast<uint8_t>(head[10])) << 16) |
              (static_cast<size_t>(static_cast<uint8_t>(head[11])) << 24));
  if (headerLen > fileSize)
    return fail("header length exceeds the file size");
  if (headerLen > head.size() && failed(readAt(0, headerLen, head)))
    return fail("cannot read the header");
  std::string why;
  FailureOr<NpyHeader> header = parseNpyHeader(head, path, why);
  if (failed(header)) {
    llvm::sys::fs::closeFile(fd);
    error = why;
    return failure();
  }
  if (fileSize - header->dataOffset != header->dataBytes)
    return fail("data holds " + Twine(fileSize - header->dataOffset) +
                " bytes, shape and dtype need " + Twine(header->dataBytes));
  if (!isFloatDType(in.dtype) && isFloatDType(header->dtype))
    return fail(dtypeName(header->dtype) +
                " data cannot be converted to input '" + in.name +
                "' of type " + dtypeName(in.dtype));

  ArrayRef<int64_t> fileShape = header->shape, want = in.shape;
  size_t count = 0, batch = 0;
  if (fileShape.size() == want.size() + 1 && fileShape.drop_front() == want) {
    // Whole samples stacked along a new leading dimension.
    count = fileShape[0];
  } else if (!want.empty() && fileShape.size() == want.size() &&
             fileShape.drop_front() == want.drop_front() && want[0] > 0) {
    // Cut into batches of the input's leading dimension.
    batch = want[0];
    count = fileShape[0] / batch;
    if (count == 0)
      return fail("holds " + Twine(fileShape[0]) +
                  " samples, fewer than one batch of " + Twine(batch) +
                  " for input '" + in.name + "' (" + shapeString(want) + ")");
  } else {
    return fail("shape " + shapeString(fileShape) + " does not match input '" +
                in.name + "' (" + shapeString(want) + "): expected N" +
                (want.empty() ? "" : "x") +
                shapeString(want.empty() ? want : want.drop_front()) +
                " samples along the leading dimension");
  }
  return std::unique_ptr<Source>(
      new NpyFileSource(spec.str(), in, path.str(), fd, *header, count, batch));
}

class Dataset : public CalibrationDataset {
public:
  Dataset(std::vector<std::unique_ptr<Source>> sources, size_t count)
      : sources(std::move(sources)), count(count) {}

  size_t size() const override { return count; }
  void reset() override { cursor = 0; }
  FailureOr<bool> next(std::vector<Tensor> &inputs,
                       std::string &error) override {
    if (cursor >= count)
      return false;
    inputs.clear();
    for (const std::unique_ptr<Source> &s : sources) {
      FailureOr<Tensor> t = s->read(cursor, error);
      if (failed(t))
        return failure();
      inputs.push_back(*t);
    }
    ++cursor;
    return true;
  }
  std::string describeSample(size_t index) const override {
    std::string s;
    for (const std::unique_ptr<Source> &src : sources) {
      if (!s.empty())
        s += ", ";
      if (sources.size() > 1)
        s += src->input.name + "=";
      s += src->describe(index);
    }
    return s;
  }

private:
  std::vector<std::unique_ptr<Source>> sources;
  size_t count;
  size_t cursor = 0;
};

} // namespace

FailureOr<std::unique_ptr<CalibrationDataset>>
qc::openCalibrationDataset(const DatasetSpec &spec, ArrayRef<std::string> names,
                           ArrayRef<Type> types, std::string &error) {
  using Result = FailureOr<std::unique_ptr<CalibrationDataset>>;
  auto fail = [&](const Twine &why) -> Result {
    error = why.str();
    return failure();
  };
  if (names.size() != types.size())
    return fail("internal error: " + Twine(names.size()) + " input names for " +
                Twine(types.size()) + " input types");
  std::vector<InputInfo> inputs;
  for (auto [name, type] : llvm::zip_equal(names, types)) {
    auto rt = dyn_cast<RankedTensorType>(type);
    std::optional<DType> dtype =
        rt ? dtypeFromType(rt.getElementType()) : std::nullopt;
    if (!rt || !rt.hasStaticShape() || !dtype) {
      std::string t;
      llvm::raw_string_ostream os(t);
      os << type;
      return fail("input '" + name + "' has type " + t +
                  ": calibration needs a statically shaped tensor");
    }
    inputs.push_back({name, *dtype, SmallVector<int64_t>(rt.getShape())});
  }
  std::string inputList = llvm::join(names, ", ");
  if (spec.sources.empty())
    return fail("no calibration data given (expected DIR, FILE.npy or "
                "NAME=DIR|FILE for the inputs " +
                inputList + ")");

  std::vector<std::unique_ptr<Source>> sources(inputs.size());
  for (const std::string &entry : spec.sources) {
    StringRef e = StringRef(entry).trim();
    StringRef path = e;
    size_t index = 0;
    size_t eq = e.find('=');
    if (eq != StringRef::npos && !llvm::sys::fs::exists(e)) {
      StringRef name = e.take_front(eq);
      path = e.drop_front(eq + 1);
      auto it = llvm::find(names, name);
      if (it == names.end())
        return fail("calibration source '" + e + "': the model has no input '" +
                    name + "' (inputs: " + inputList + ")");
      index = it - names.begin();
    } else if (inputs.size() != 1) {
      return fail("calibration source '" + e +
                  "' does not say which input it is for: the model has " +
                  Twine(inputs.size()) + " inputs (" + inputList +
                  "); write NAME=DIR|FILE");
    }
    if (sources[index])
      return fail("input '" + names[index] +
                  "' has more than one calibration source ('" +
                  sources[index]->spec + "' and '" + e + "')");
    if (!llvm::sys::fs::exists(path))
      return fail(path + ": no such file or directory");
    bool isDir = llvm::sys::fs::is_directory(path);
    if (!isDir && !hasExtension(path, {".npy"}))
      return fail(path + ": expected a directory or a .npy file");
    FailureOr<std::unique_ptr<Source>> src =
        isDir ? openDirectory(e, path, inputs[index], spec, error)
              : openNpyFile(e, path, inputs[index], error);
    if (failed(src))
      return failure();
    sources[index] = std::move(*src);
  }
  for (auto [i, src] : llvm::enumerate(sources))
    if (!src)
      return fail("no calibration source for input '" + names[i] + "' (write " +
                  names[i] + "=DIR|FILE)");
  size_t count = sources[0]->size();
  for (const std::unique_ptr<Source> &src : sources)
    if (src->size() != sources[0]->size())
      return fail("calibration sources disagree on the number of samples: '" +
                  sources[0]->spec + "' yields " + Twine(sources[0]->size()) +
                  ", '" + src->spec + "' yields " + Twine(src->size()));
  if (spec.maxSamples)
    count = std::min(count, spec.maxSamples);
  return std::unique_ptr<CalibrationDataset>(
      new Dataset(std::move(sources), count));
}
