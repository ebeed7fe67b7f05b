//===- ReportHtml.cpp - the quantization report as one HTML page ----------===//
//
// Part of quantc. A self-contained page: inline CSS, inline SVG plots drawn
// here, no scripts, fonts or links, so it reads offline. The log-scale
// switch of the histograms is a CSS-only checkbox. Output depends only on
// the report (no dates), so the same model and data give the same bytes.
//
//===----------------------------------------------------------------------===//

#include "ReportData.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

using namespace mlir::qc::report;

namespace {

std::string esc(const std::string &s) {
  std::string o;
  o.reserve(s.size());
  for (char c : s) {
    switch (c) {
    case '&':
      o += "&amp;";
      break;
    case '<':
      o += "&lt;";
      break;
    case '>':
      o += "&gt;";
      break;
    case '"':
      o += "&quot;";
      break;
    case '\'':
      o += "&#39;";
      break;
    default:
      o += c;
      break;
    }
  }
  return o;
}

std::string fmt(double v, int digits = 4) {
  if (std::isnan(v))
    return "nan";
  if (std::isinf(v))
    return v > 0 ? "inf" : "-inf";
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*g", digits, v);
  return buf;
}

std::string fmtOpt(std::optional<double> v, int digits = 4) {
  return v ? fmt(*v, digits) : "&ndash;";
}

/// SVG coordinates: two decimals are plenty and keep the page small.
std::string px(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2f", v);
  return buf;
}

std::string pct(std::optional<double> f) {
  return f ? fmt(100.0 * *f, 3) + "%" : "&ndash;";
}

std::string shape(const std::vector<int64_t> &s) {
  std::string o;
  for (size_t i = 0; i < s.size(); ++i)
    o += (i ? "x" : "") + std::to_string(s[i]);
  return o.empty() ? "scalar" : o;
}

/// CSS class of an SQNR: good >= 30 dB, fair >= 20, poor >= 10, bad below;
/// "exact" when there is no error at all.
std::string sqnrClass(const ErrorStats &e) {
  std::optional<double> v = e.sqnrDb();
  if (!v)
    return e.count && e.sumError == 0 ? "exact" : "na";
  if (*v >= 30)
    return "good";
  if (*v >= 20)
    return "fair";
  if (*v >= 10)
    return "poor";
  return "bad";
}

std::string sqnrCell(const ErrorStats &e) {
  std::optional<double> v = e.sqnrDb();
  std::string text =
      v ? fmt(*v, 4) : (e.count && e.sumError == 0 ? "exact" : "&ndash;");
  return "<td class=\"sqnr " + sqnrClass(e) + "\">" + text + "</td>";
}

const char *kStyle = R"(
body{font-family:system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:1.5em;color:#222;max-width:1200px}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0}
th,td{border:1px solid #ddd;padding:.2em .5em;text-align:right}
th{background:#f3f3f3}td.name,th.name{text-align:left;font-family:ui-monospace,Menlo,Consolas,monospace}
td.sqnr.good{background:#c8ecc8}td.sqnr.fair{background:#f3eeb0}
td.sqnr.poor{background:#f7d2a6}td.sqnr.bad{background:#f2b0b0}
td.sqnr.exact{background:#d8e8f8}
.legend span{display:inline-block;padding:0 .5em;margin-right:.3em;font-size:.8em}
.good{fill:#4c9a4c}.fair{fill:#c9b52c}.poor{fill:#d98a2b}.bad{fill:#c94040}.exact,.na{fill:#6a93c4}
span.good{background:#c8ecc8}span.fair{background:#f3eeb0}span.poor{background:#f7d2a6}span.bad{background:#f2b0b0}
svg{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:10px}
svg .bars{fill:#5b7fb3}svg .oor{fill:#f2b0b0;opacity:.6}
svg .clip{stroke:#c00;stroke-width:1.5;stroke-dasharray:4 2}
svg .axis{stroke:#555;stroke-width:1}svg .grid{stroke:#ddd;stroke-width:1}
.hists figure{display:inline-block;margin:.4em;vertical-align:top}
.hists figcaption{font-size:.8em;font-family:ui-monospace,Menlo,Consolas,monospace;max-width:480px;overflow-wrap:anywhere}
.hists .log{display:none}
#logscale:checked ~ .hists .log{display:inline}
#logscale:checked ~ .hists .lin{display:none}
.note{color:#555;font-size:.85em}
)";

/// One activation histogram with the clipping range drawn on it.
std::string histogramSvg(const ActivationRow &a) {
  const Histogram &h = a.histogram;
  const double W = 480, H = 170, ml = 40, mr = 10, mt = 10, mb = 34;
  const double pw = W - ml - mr, ph = H - mt - mb;
  std::string o = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + px(W) +
                  "\" height=\"" + px(H) + "\" viewBox=\"0 0 " + px(W) + " " +
                  px(H) + "\" role=\"img\">";
  o += "<title>" + esc(a.info.name) + "</title>";
  auto x = [&](double v) { return ml + (v - h.lo) / (h.hi - h.lo) * pw; };
  double base = mt + ph;
  // Out-of-range mass (beyond the representable range) shaded.
  if (a.info.clipMin && *a.info.clipMin > h.lo)
    o += "<rect class=\"oor\" x=\"" + px(ml) + "\" y=\"" + px(mt) +
         "\" width=\"" + px(x(*a.info.clipMin) - ml) + "\" height=\"" + px(ph) +
         "\"/>";
  if (a.info.clipMax && *a.info.clipMax < h.hi)
    o += "<rect class=\"oor\" x=\"" + px(x(*a.info.clipMax)) + "\" y=\"" +
         px(mt) + "\" width=\"" + px(ml + pw - x(*a.info.clipMax)) +
         "\" height=\"" + px(ph) + "\"/>";
  int64_t maxCount = 1;
  for (int64_t c : h.counts)
    maxCount = std::max(maxCount, c);
  double bw = pw / h.counts.size();
  for (int logScale = 0; logScale < 2; ++logScale) {
    double top = logScale ? std::log10(double(maxCount) + 1) : double(maxCount);
    std::string path;
    for (size_t i = 0; i < h.counts.size(); ++i) {
      if (!h.counts[i])
        continue;
      double v =
          logScale ? std::log10(double(h.counts[i]) + 1) : double(h.counts[i]);
      double y = base - v / top * ph;
      path += "M" + px(ml + i * bw) + " " + px(base) + "V" + px(y) + "H" +
              px(ml + (i + 1) * bw) + "V" + px(base) + "Z";
    }
    o += std::string("<g class=\"") + (logScale ? "log" : "lin") + "\">";
    if (!path.empty())
      o += "<path class=\"bars\" d=\"" + path + "\"/>";
    o += "<text x=\"" + px(ml - 4) + "\" y=\"" + px(mt + 8) +
         "\" text-anchor=\"end\">" + std::to_string(maxCount) + "</text>";
    o += "<text x=\"" + px(ml - 4) + "\" y=\"" + px(mt + 20) +
         "\" text-anchor=\"end\">" + (logScale ? "log" : "lin") + "</text>";
    o += "</g>";
  }
  o += "<line class=\"axis\" x1=\"" + px(ml) + "\" y1=\"" + px(base) +
       "\" x2=\"" + px(ml + pw) + "\" y2=\"" + px(base) + "\"/>";
  o += "<line class=\"axis\" x1=\"" + px(ml) + "\" y1=\"" + px(mt) +
       "\" x2=\"" + px(ml) + "\" y2=\"" + px(base) + "\"/>";
  auto clipLine = [&](double v, const char *what) {
    o += "<line class=\"clip\" data-value=\"" + fmt(v, 9) + "\" x1=\"" +
         px(x(v)) + "\" y1=\"" + px(mt) + "\" x2=\"" + px(x(v)) + "\" y2=\"" +
         px(base) + "\"><title>" + what + " " + fmt(v, 6) + "</title></line>";
  };
  if (a.info.clipMin)
    clipLine(*a.info.clipMin, "clip min");
  if (a.info.clipMax)
    clipLine(*a.info.clipMax, "clip max");
  o += "<text x=\"" + px(ml) + "\" y=\"" + px(base + 12) +
       "\" text-anchor=\"start\">" + fmt(h.lo) + "</text>";
  // A tick at zero when it lies well inside the axis.
  if (x(0) > ml + 30 && x(0) < ml + pw - 30)
    o += "<line class=\"axis\" x1=\"" + px(x(0)) + "\" y1=\"" + px(base) +
         "\" x2=\"" + px(x(0)) + "\" y2=\"" + px(base + 4) + "\"/><text x=\"" +
         px(x(0)) + "\" y=\"" + px(base + 12) +
         "\" text-anchor=\"middle\">0</text>";
  o += "<text x=\"" + px(ml + pw) + "\" y=\"" + px(base + 12) +
       "\" text-anchor=\"end\">" + fmt(h.hi) + "</text>";
  std::string caption = a.info.clipMin
                            ? "clip [" + fmt(*a.info.clipMin) + ", " +
                                  fmt(*a.info.clipMax) + "], clipped " +
                                  pct(a.error.clippedFraction())
                            : std::string("dynamic range (no clipping)");
  o += "<text x=\"" + px(ml + pw / 2) + "\" y=\"" + px(base + 26) +
       "\" text-anchor=\"middle\">" + caption + "</text>";
  o += "</svg>";
  return o;
}

/// Horizontal bars of per-layer SQNR, weights and activations.
std::string sqnrChart(const QuantReport &r) {
  struct Bar {
    std::string label;
    const ErrorStats *e;
  };
  std::vector<Bar> bars;
  for (const WeightRow &w : r.weights)
    bars.push_back({"W " + w.info.name, &w.error});
  for (const ActivationRow &a : r.activations)
    bars.push_back({"A " + a.info.name, &a.error});
  if (bars.empty())
    return "<p class=\"note\">No observers.</p>";
  double maxV = 10;
  for (const Bar &b : bars)
    if (std::optional<double> v = b.e->sqnrDb())
      maxV = std::max(maxV, *v);
  maxV = std::ceil(maxV / 10) * 10;
  const double labelW = 260, barW = 420, rowH = 16, mt = 18;
  double W = labelW + barW + 60, H = mt + rowH * bars.size() + 6;
  std::string o = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + px(W) +
                  "\" height=\"" + px(H) + "\" viewBox=\"0 0 " + px(W) + " " +
                  px(H) +
                  "\" role=\"img\">"
                  "<title>per-layer SQNR (dB)</title>";
  for (double g = 0; g <= maxV; g += 10) {
    double gx = labelW + g / maxV * barW;
    o += "<line class=\"grid\" x1=\"" + px(gx) + "\" y1=\"" + px(mt - 4) +
         "\" x2=\"" + px(gx) + "\" y2=\"" + px(H) + "\"/>";
    o += "<text x=\"" + px(gx) + "\" y=\"" + px(mt - 6) +
         "\" text-anchor=\"middle\">" + fmt(g) + "</text>";
  }
  for (size_t i = 0; i < bars.size(); ++i) {
    double y = mt + i * rowH;
    std::optional<double> v = bars[i].e->sqnrDb();
    std::string label = bars[i].label;
    if (label.size() > 40)
      label = label.substr(0, 18) + "..." + label.substr(label.size() - 19);
    o += "<text x=\"" + px(labelW - 6) + "\" y=\"" + px(y + 11) +
         "\" text-anchor=\"end\">" + esc(label) + "</text>";
    double len = v ? std::max(0.0, std::min(*v, maxV)) / maxV * barW
                   : (bars[i].e->count && bars[i].e->sumError == 0 ? barW : 0);
    o += "<rect class=\"" + sqnrClass(*bars[i].e) + "\" x=\"" + px(labelW) +
         "\" y=\"" + px(y + 2) + "\" width=\"" + px(len) + "\" height=\"" +
         px(rowH - 4) + "\"><title>" + esc(bars[i].label) + ": " +
         (v ? fmt(*v) + " dB" : std::string("n/a")) + "</title></rect>";
    o += "<text x=\"" + px(labelW + len + 4) + "\" y=\"" + px(y + 11) + "\">" +
         (v ? fmt(*v, 3) : std::string(bars[i].e->count ? "exact" : "n/a")) +
         "</text>";
  }
  o += "</svg>";
  return o;
}

std::string rangeText(const ObserverInfo &i) {
  if (!i.rangeMin)
    return "dynamic";
  return "[" + fmt(*i.rangeMin) + ", " + fmt(*i.rangeMax) + "]";
}

std::string clipText(const ObserverInfo &i) {
  if (!i.clipMin)
    return "&ndash;";
  return "[" + fmt(*i.clipMin) + ", " + fmt(*i.clipMax) + "]";
}

std::string targetText(const ObserverInfo &i) {
  std::string s = i.storage + (i.symmetric ? " sym" : " asym") +
                  (i.narrowRange ? " narrow" : "") + ", " + i.granularity;
  if (i.axis)
    s += " axis " + std::to_string(*i.axis);
  if (i.blockAxis)
    s += ", blocks of " + std::to_string(*i.blockSize) + " along " +
         std::to_string(*i.blockAxis);
  if (i.dynamic)
    s += ", dynamic";
  return esc(s);
}

/// The target, with the quantized type as a tooltip.
std::string targetCell(const ObserverInfo &i) {
  std::string o = "<td";
  if (!i.quantType.empty())
    o += " title=\"" + esc(i.quantType) + "\"";
  return o + ">" + targetText(i) + "</td>";
}

} // namespace

std::string mlir::qc::report::renderHtml(const QuantReport &r) {
  std::string title = r.title.empty() ? "Quantization report" : r.title;
  std::string o = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta "
                  "charset=\"utf-8\">\n<title>" +
                  esc(title) + "</title>\n<style>" + kStyle +
                  "</style>\n</head>\n<body>\n";
  o += "<h1>" + esc(title) + "</h1>\n";

  o += "<h2>Settings</h2>\n<table>\n<tr><th class=\"name\">setting</th><th "
       "class=\"name\">value</th></tr>\n";
  o += "<tr><td class=\"name\">function</td><td class=\"name\">" +
       esc(r.function) + "</td></tr>\n";
  o += "<tr><td class=\"name\">samples</td><td class=\"name\">" +
       std::to_string(r.samples) + "</td></tr>\n";
  for (const auto &[k, v] : r.settings)
    o += "<tr><td class=\"name\">" + esc(k) + "</td><td class=\"name\">" +
         esc(v) + "</td></tr>\n";
  o += "</table>\n";

  // Summary.
  const ModelSize &s = r.size;
  ErrorStats pooled = pooledOutputError(r);
  o += "<h2>Summary</h2>\n<table>\n";
  auto row = [&](const std::string &k, const std::string &v) {
    o += "<tr><th class=\"name\">" + k + "</th><td>" + v + "</td></tr>\n";
  };
  row("parameters (float constants)", std::to_string(s.parameters));
  row("quantized parameters", std::to_string(s.quantizedParameters));
  row("model bits per weight",
      s.parameters ? fmt(double(s.quantizedBits) / s.parameters) : "&ndash;");
  row("bits per quantized weight",
      s.quantizedParameters
          ? fmt(double(s.quantizedWeightBits) / s.quantizedParameters)
          : "&ndash;");
  row("size float / quantized (bytes)",
      std::to_string((s.floatBits + 7) / 8) + " / " +
          std::to_string((s.quantizedBits + 7) / 8));
  row("output SQNR (dB, all outputs)",
      pooled.sqnrDb() ? fmt(*pooled.sqnrDb())
                      : (pooled.count ? "exact" : "&ndash;"));
  row("output MSE", fmtOpt(pooled.mse()));
  o += "</table>\n";
  o += "<p class=\"note\">Bits per weight count the storage bits of each "
       "element, a " +
       std::to_string(kScaleBits) +
       "-bit scale per range entry and, when not symmetric, a zero point of "
       "the storage width per range entry; unobserved constants count at "
       "their float width. The clip range is the range the quantized type "
       "represents, [scale&middot;(qmin&minus;zp), "
       "scale&middot;(qmax&minus;zp)]."
       "</p>\n";
  if (r.dynamicNotApplied)
    o += "<p class=\"note\">" + std::to_string(r.dynamicNotApplied) +
         " dynamic observer(s) stay float in the end-to-end "
         "comparison; their local error is measured with per-row ranges "
         "computed from each tensor.</p>\n";

  // End to end.
  o += "<h2>End to end (float vs. fake-quantized)</h2>\n";
  if (!r.samples) {
    o += "<p class=\"note\">No samples.</p>\n";
  } else {
    o += "<table>\n<tr><th class=\"name\">output</th><th>shape</th><th>MSE</"
         "th><th>SQNR (dB)</th><th>max |error|</th><th>top-1 "
         "agreement</th></tr>\n";
    for (const OutputRow &out : r.outputs) {
      std::optional<double> agree;
      if (out.top1Rows && *out.top1Rows)
        agree = double(*out.top1Agree) / *out.top1Rows;
      o += "<tr><td class=\"name\">" + esc(out.name) + "</td><td>" +
           shape(out.shape) + "</td><td>" + fmtOpt(out.error.mse()) + "</td>" +
           sqnrCell(out.error) + "<td>" + fmt(out.maxAbsError) + "</td><td>" +
           pct(agree) + "</td></tr>\n";
    }
    o += "</table>\n";
  }

  o += "<h2>Per-layer SQNR</h2>\n<p class=\"legend\"><span class=\"good\">"
       "&ge; 30 dB</span><span class=\"fair\">20&ndash;30</span><span "
       "class=\"poor\">10&ndash;20</span><span class=\"bad\">&lt; 10</span>"
       "W = weight, A = activation</p>\n";
  o += sqnrChart(r) + "\n";

  o += "<h2>Weights</h2>\n";
  if (r.weights.empty()) {
    o += "<p class=\"note\">No weight observers.</p>\n";
  } else {
    o += "<table>\n<tr><th class=\"name\">name</th><th>shape</th><th>target</"
         "th><th>ranges</th><th>bits/weight</th><th>data "
         "[min, max]</th><th>calibrated range</th><th>clip range</th>"
         "<th>clipped</th><th>MSE</th><th>SQNR (dB)</th></tr>\n";
    for (const WeightRow &w : r.weights)
      o += "<tr><td class=\"name\">" + esc(w.info.name) + "</td><td>" +
           shape(w.info.shape) + "</td>" + targetCell(w.info) + "<td>" +
           std::to_string(w.info.numRanges) + "</td><td>" +
           fmt(w.bitsPerWeight) + "</td><td>[" + fmt(w.dataMin) + ", " +
           fmt(w.dataMax) + "]</td><td>" + rangeText(w.info) + "</td><td>" +
           clipText(w.info) + "</td><td>" + pct(w.error.clippedFraction()) +
           "</td><td>" + fmtOpt(w.error.mse()) + "</td>" + sqnrCell(w.error) +
           "</tr>\n";
    o += "</table>\n";
  }

  o += "<h2>Activations</h2>\n";
  if (r.activations.empty()) {
    o += "<p class=\"note\">No activation observers.</p>\n";
  } else {
    o += "<table>\n<tr><th class=\"name\">name</th><th>shape</th><th>target</"
         "th><th>method</th><th>data [min, max]</th><th>calibrated "
         "range</th><th>clip range</th><th>clipped</th><th>MSE</th><th>SQNR "
         "(dB)</th></tr>\n";
    for (const ActivationRow &a : r.activations) {
      std::string data =
          a.dataMin ? "[" + fmt(*a.dataMin) + ", " + fmt(*a.dataMax) + "]"
                    : "&ndash;";
      o += "<tr><td class=\"name\">" + esc(a.info.name) + "</td><td>" +
           shape(a.info.shape) + "</td>" + targetCell(a.info) + "<td>" +
           (a.info.method.empty() ? "&ndash;" : esc(a.info.method)) +
           "</td><td>" + data + "</td><td>" + rangeText(a.info) + "</td><td>" +
           clipText(a.info) + "</td><td>" + pct(a.error.clippedFraction()) +
           "</td><td>" + fmtOpt(a.error.mse()) + "</td>" + sqnrCell(a.error) +
           "</tr>\n";
    }
    o += "</table>\n";

    o += "<h2>Activation histograms</h2>\n<p class=\"note\">Dashed red lines: "
         "the clip range; shaded: values the quantized type cannot "
         "represent.</p>\n<input type=\"checkbox\" id=\"logscale\"><label "
         "for=\"logscale\"> log-scale counts</label>\n<div class=\"hists\">\n";
    for (const ActivationRow &a : r.activations) {
      o += "<figure>";
      if (a.histogram.counts.empty())
        o += "<p class=\"note\">no data reached this observer</p>";
      else
        o += histogramSvg(a);
      o += "<figcaption>" + esc(a.info.name) + "</figcaption></figure>\n";
    }
    o += "</div>\n";
  }
  o += "</body>\n</html>\n";
  return o;
}
