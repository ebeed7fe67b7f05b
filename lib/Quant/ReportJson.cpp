//===- ReportJson.cpp - the quantization report as JSON -------------------===//
//
// Part of quantc. The schema is documented in docs/Quantization.md
// ("Reports"); `version` changes whenever a field changes meaning or goes.
// Numbers that are not finite (an SQNR without error) are written as null.
//
//===----------------------------------------------------------------------===//

#include "ReportData.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>

using namespace mlir::qc::report;
namespace json = llvm::json;

namespace {

json::Value num(std::optional<double> v) {
  if (!v || !std::isfinite(*v))
    return nullptr;
  return *v;
}

json::Value optInt(std::optional<int64_t> v) {
  if (!v)
    return nullptr;
  return *v;
}

json::Array shapeArray(const std::vector<int64_t> &shape) {
  json::Array a;
  for (int64_t d : shape)
    a.push_back(d);
  return a;
}

json::Object observerObject(const ObserverInfo &i) {
  return json::Object{
      {"name", i.name},
      {"shape", shapeArray(i.shape)},
      {"storage", i.storage},
      {"storage_bits", int64_t(i.storageBits)},
      {"symmetric", i.symmetric},
      {"narrow_range", i.narrowRange},
      {"dynamic", i.dynamic},
      {"granularity", i.granularity},
      {"axis", optInt(i.axis)},
      {"block_axis", optInt(i.blockAxis)},
      {"block_size", optInt(i.blockSize)},
      {"ranges", i.numRanges},
      {"method",
       i.method.empty() ? json::Value(nullptr) : json::Value(i.method)},
      {"quant_type",
       i.quantType.empty() ? json::Value(nullptr) : json::Value(i.quantType)},
      {"range_min", num(i.rangeMin)},
      {"range_max", num(i.rangeMax)},
      {"clip_min", num(i.clipMin)},
      {"clip_max", num(i.clipMax)},
  };
}

void addError(json::Object &o, const ErrorStats &e) {
  o["mse"] = num(e.mse());
  o["sqnr_db"] = num(e.sqnrDb());
}

} // namespace

std::string mlir::qc::report::renderJson(const QuantReport &r) {
  json::Array settings;
  for (const auto &[k, v] : r.settings)
    settings.push_back(json::Object{{"name", k}, {"value", v}});

  const ModelSize &s = r.size;
  json::Object model{
      {"function", r.function},
      {"parameters", s.parameters},
      {"quantized_parameters", s.quantizedParameters},
      {"float_bits", s.floatBits},
      {"quantized_bits", s.quantizedBits},
      {"float_bytes", (s.floatBits + 7) / 8},
      {"quantized_bytes", (s.quantizedBits + 7) / 8},
      {"bits_per_weight",
       num(s.parameters
               ? std::optional<double>(double(s.quantizedBits) / s.parameters)
               : std::nullopt)},
      {"quantized_weights_bits_per_weight",
       num(s.quantizedParameters
               ? std::optional<double>(double(s.quantizedWeightBits) /
                                       s.quantizedParameters)
               : std::nullopt)},
  };

  json::Array weights;
  for (const WeightRow &w : r.weights) {
    json::Object o = observerObject(w.info);
    o["elements"] = w.elements;
    o["bits"] = w.bits;
    o["bits_per_weight"] = num(w.bitsPerWeight);
    o["data_min"] = num(w.dataMin);
    o["data_max"] = num(w.dataMax);
    o["clipped_fraction"] = num(w.error.clippedFraction());
    addError(o, w.error);
    weights.push_back(std::move(o));
  }

  json::Array activations;
  for (const ActivationRow &a : r.activations) {
    json::Object o = observerObject(a.info);
    o["tensors"] = a.tensors;
    o["elements"] = a.error.count;
    o["non_finite"] = a.nonFinite;
    o["data_min"] = num(a.dataMin);
    o["data_max"] = num(a.dataMax);
    o["clipped_fraction"] = num(a.error.clippedFraction());
    addError(o, a.error);
    if (a.histogram.counts.empty()) {
      o["histogram"] = nullptr;
    } else {
      json::Array counts;
      for (int64_t c : a.histogram.counts)
        counts.push_back(c);
      o["histogram"] = json::Object{{"min", a.histogram.lo},
                                    {"max", a.histogram.hi},
                                    {"counts", std::move(counts)}};
    }
    activations.push_back(std::move(o));
  }

  json::Array outputs;
  std::optional<double> top1;
  for (const OutputRow &out : r.outputs) {
    json::Object o{{"name", out.name},
                   {"shape", shapeArray(out.shape)},
                   {"elements", out.error.count},
                   {"max_abs_error", out.error.count
                                         ? json::Value(out.maxAbsError)
                                         : json::Value(nullptr)}};
    addError(o, out.error);
    std::optional<double> agree;
    if (out.top1Rows && *out.top1Rows)
      agree = double(*out.top1Agree) / *out.top1Rows;
    o["top1_agreement"] = num(agree);
    if (agree && !top1)
      top1 = agree;
    outputs.push_back(std::move(o));
  }
  ErrorStats pooled = pooledOutputError(r);
  json::Object endToEnd{
      {"samples", r.samples},
      {"dynamic_observers_not_applied", r.dynamicNotApplied},
      {"outputs", std::move(outputs)},
  };
  json::Object overall{{"output_mse", num(pooled.mse())},
                       {"output_sqnr_db", num(pooled.sqnrDb())},
                       {"top1_agreement", num(top1)},
                       {"bits_per_weight", model["bits_per_weight"]}};

  json::Object root{
      {"schema", "quantc-quant-report"},
      {"version", kSchemaVersion},
      {"title", r.title},
      {"settings", std::move(settings)},
      {"conventions",
       json::Object{{"scale_bits", kScaleBits},
                    {"zero_point_bits", "storage_bits when not symmetric, "
                                        "else 0"},
                    {"sqnr", "10*log10(sum x^2 / sum (x - fq(x))^2) dB; null "
                             "when the error or the signal is zero"},
                    {"histogram_bins", kHistogramBins}}},
      {"samples", r.samples},
      {"model", std::move(model)},
      {"overall", std::move(overall)},
      {"weights", std::move(weights)},
      {"activations", std::move(activations)},
      {"end_to_end", std::move(endToEnd)},
  };
  std::string text;
  llvm::raw_string_ostream os(text);
  os << llvm::formatv("{0:2}", json::Value(std::move(root))) << "\n";
  return text;
}
