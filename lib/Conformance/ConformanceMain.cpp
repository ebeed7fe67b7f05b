//===- ConformanceMain.cpp - ONNX backend node tests driver ---------------===//
//
// Part of quantc. Each test folder holds model.onnx and test_data_set_*/
// with input_<i>.pb / output_<i>.pb TensorProtos. A test passes when every
// data set's outputs match (floats: |got - want| <= atol + rtol * |want|,
// ONNX's own backend defaults; integers and booleans: exactly).
//
// Every test runs in a child process, so a crash is reported as a failure of
// that test instead of ending the run. A test is *skipped* only when the
// importer or the executor reports the model as unsupported (an op, opset,
// attribute or type it does not handle), and the reason is printed; any
// other problem is a failure.
//
//===----------------------------------------------------------------------===//

#include "qc/Tools/ConformanceMain.h"

#include "qc/Executor/Executor.h"
#include "qc/Import/ONNX/ONNXImporter.h"
#include "qc/InitAll.h"
#include "qc/Tools/ModelLoader.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Regex.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <sys/wait.h>
#include <unistd.h>

using namespace mlir;
using namespace mlir::qc;
namespace cl = llvm::cl;

namespace {

enum class Outcome : char { Pass = 'P', Fail = 'F', Skip = 'S' };

struct Result {
  Outcome outcome;
  std::string message;
};

/// True for diagnostics that mean "not supported", as opposed to "broken".
bool isUnsupported(StringRef message) {
  return message.contains("unsupported") || message.contains("no kernel for") ||
         message.contains("not supported");
}

std::string firstLine(StringRef s) { return s.split('\n').first.trim().str(); }

/// Compares one output; empty string when it matches.
std::string compare(const Tensor &got, const Tensor &want, double rtol,
                    double atol) {
  if (got.shape() != want.shape() || got.dtype() != want.dtype())
    return "got " + got.describe() + ", expected " + want.describe();
  int64_t n = got.numElements();
  bool isFloat = isFloatDType(got.dtype());
  for (int64_t i = 0; i < n; ++i) {
    double g = got.getAsDouble(i), w = want.getAsDouble(i);
    bool ok;
    if (!isFloat)
      ok = g == w;
    else if (std::isnan(w))
      ok = std::isnan(g);
    else if (std::isinf(w))
      ok = g == w;
    else
      ok = std::fabs(g - w) <= atol + rtol * std::fabs(w);
    if (!ok) {
      std::string s;
      llvm::raw_string_ostream os(s);
      os << "element " << i << ": got " << llvm::format("%.9g", g)
         << ", expected " << llvm::format("%.9g", w);
      return s;
    }
  }
  return "";
}

/// Loads the .pb files of one data set in index order (input_0, input_1...).
LogicalResult readDataSet(StringRef dir, StringRef prefix,
                          std::vector<Tensor> &tensors, std::string &error) {
  for (int i = 0;; ++i) {
    SmallString<256> path(dir);
    llvm::sys::path::append(path, prefix + std::to_string(i) + ".pb");
    if (!llvm::sys::fs::exists(path))
      return success();
    std::string name;
    FailureOr<Tensor> t = readONNXTensorFile(path, name, error);
    if (failed(t))
      return failure();
    tensors.push_back(*t);
  }
}

Result runTest(StringRef testDir, double rtol, double atol) {
  DialectRegistry registry;
  registerAllDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  std::string diagnostics;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &d) {
    if (d.getSeverity() == DiagnosticSeverity::Error && diagnostics.empty())
      diagnostics = d.str();
    return success();
  });

  SmallString<256> modelPath(testDir);
  llvm::sys::path::append(modelPath, "model.onnx");
  OwningOpRef<ModuleOp> module = importONNXModel(&context, modelPath);
  if (!module) {
    Outcome o = isUnsupported(diagnostics) ? Outcome::Skip : Outcome::Fail;
    return {o, "import: " + firstLine(diagnostics)};
  }
  func::FuncOp fn = findEntryFunction(*module, "");
  if (!fn)
    return {Outcome::Fail, "no entry function: " + firstLine(diagnostics)};
  ExecutorOptions options;
  options.numThreads = 1;
  FailureOr<std::unique_ptr<Executor>> exe = Executor::create(fn, options);
  if (failed(exe)) {
    Outcome o = isUnsupported(diagnostics) ? Outcome::Skip : Outcome::Fail;
    return {o, "executor: " + firstLine(diagnostics)};
  }

  std::error_code ec;
  std::vector<std::string> dataSets;
  for (llvm::sys::fs::directory_iterator it(testDir, ec), end; it != end && !ec;
       it.increment(ec))
    if (llvm::sys::path::filename(it->path()).starts_with("test_data_set_"))
      dataSets.push_back(it->path());
  std::sort(dataSets.begin(), dataSets.end());
  if (dataSets.empty())
    return {Outcome::Fail, "no test_data_set_* folder"};
  for (const std::string &ds : dataSets) {
    std::vector<Tensor> inputs, expected;
    std::string error;
    if (failed(readDataSet(ds, "input_", inputs, error)) ||
        failed(readDataSet(ds, "output_", expected, error)))
      return {isUnsupported(error) ? Outcome::Skip : Outcome::Fail,
              "test data: " + error};
    // ONNX's test data stores bfloat16 as uint16 (NumPy has no bfloat16).
    auto asDeclared = [](Tensor &t, Type declared) {
      auto rt = cast<RankedTensorType>(declared);
      if (t.dtype() == DType::U16 && rt.getElementType().isBF16())
        t = Tensor::view(DType::BF16, t.shape(), nullptr, t.raw()).clone();
    };
    for (auto [i, t] : llvm::enumerate(inputs)) {
      if (i >= (*exe)->inputTypes().size())
        break;
      asDeclared(t, (*exe)->inputTypes()[i]);
      auto declared = cast<RankedTensorType>((*exe)->inputTypes()[i]).getShape();
      if (t.shape() != declared)
        return {Outcome::Skip,
                "test data for input '" + (*exe)->inputNames()[i] +
                    "' does not have the model's declared shape"};
    }
    for (auto [i, t] : llvm::enumerate(expected))
      if (i < (*exe)->outputTypes().size())
        asDeclared(t, (*exe)->outputTypes()[i]);
    FailureOr<std::vector<Tensor>> got = (*exe)->run(inputs, error);
    if (failed(got))
      return {Outcome::Fail, "run: " + error};
    if (got->size() != expected.size())
      return {Outcome::Fail, "produced " + std::to_string(got->size()) +
                                 " outputs, expected " +
                                 std::to_string(expected.size())};
    for (size_t i = 0; i < expected.size(); ++i) {
      std::string mismatch = compare((*got)[i], expected[i], rtol, atol);
      if (!mismatch.empty())
        return {Outcome::Fail, llvm::sys::path::filename(ds).str() +
                                   ", output '" + (*exe)->outputNames()[i] +
                                   "': " + mismatch};
    }
  }
  return {Outcome::Pass, ""};
}

/// Runs one test in a child process; a crash becomes a failure.
Result runIsolated(StringRef testDir, double rtol, double atol) {
  int fds[2];
  if (pipe(fds) != 0)
    return runTest(testDir, rtol, atol);
  llvm::outs().flush();
  llvm::errs().flush();
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    Result r = runTest(testDir, rtol, atol);
    std::string msg(1, static_cast<char>(r.outcome));
    msg += r.message;
    (void)!write(fds[1], msg.data(), msg.size());
    close(fds[1]);
    _exit(0);
  }
  close(fds[1]);
  std::string msg;
  char buf[4096];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof(buf))) > 0)
    msg.append(buf, n);
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFSIGNALED(status))
    return {Outcome::Fail,
            "crashed (signal " + std::to_string(WTERMSIG(status)) + ")"};
  if (msg.empty())
    return {Outcome::Fail, "the test process reported nothing"};
  return {static_cast<Outcome>(msg[0]), msg.substr(1)};
}

/// A skip reason without the test-specific parts (file, node and input
/// names), so that equal reasons group together.
std::string reasonKey(StringRef message) {
  static llvm::Regex file("/[^ ]*model\\.onnx: ");
  static llvm::Regex node("node '[^']*' ");
  static llvm::Regex quoted("'[^']*'");
  std::string s = file.sub("", message);
  s = node.sub("", s);
  while (quoted.match(s))
    s = quoted.sub("<name>", s);
  return s;
}
} // namespace

int qc::conformanceMain(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::OptionCategory category("quant-onnx-conformance options");
  cl::opt<std::string> root(cl::Positional, cl::desc("[node-tests-dir]"),
                            cl::init("/usr/share/libonnx-testdata/data/node"),
                            cl::cat(category));
  cl::opt<std::string> filter("filter",
                              cl::desc("Only tests whose name matches this regex"),
                              cl::cat(category));
  cl::opt<bool> verbose("v", cl::desc("Print every test, not only failures"),
                        cl::cat(category));
  cl::opt<double> rtol("rtol", cl::desc("Relative tolerance"), cl::init(1e-3),
                       cl::cat(category));
  cl::opt<double> atol("atol", cl::desc("Absolute tolerance"), cl::init(1e-7),
                       cl::cat(category));
  cl::opt<std::string> junit("junit",
                             cl::desc("Also write a JUnit XML report here"),
                             cl::cat(category));
  cl::opt<std::string> expectedFailures(
      "expected-failures",
      cl::desc("File of 'test_name: reason' lines for tests whose reference "
               "data is known to disagree with the specification"),
      cl::cat(category));
  cl::opt<unsigned> minPass("min-pass",
                            cl::desc("Fail unless at least this many pass"),
                            cl::init(0), cl::cat(category));
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "quant-onnx-conformance: ONNX backend node tests through the importer "
      "and the reference executor\n");

  llvm::Regex re(filter.empty() ? ".*" : filter.getValue());
  std::string reError;
  if (!re.isValid(reError)) {
    llvm::errs() << "quant-onnx-conformance: bad --filter: " << reError << "\n";
    return 2;
  }
  std::map<std::string, std::string> xfail;
  if (!expectedFailures.empty()) {
    auto buf = llvm::MemoryBuffer::getFile(expectedFailures);
    if (!buf) {
      llvm::errs() << "quant-onnx-conformance: " << expectedFailures << ": "
                   << buf.getError().message() << "\n";
      return 2;
    }
    SmallVector<StringRef> lines;
    (*buf)->getBuffer().split(lines, '\n');
    for (StringRef line : lines) {
      line = line.trim();
      if (line.empty() || line.starts_with("#"))
        continue;
      auto [name, reason] = line.split(':');
      xfail[name.trim().str()] = reason.trim().str();
    }
  }
  std::vector<std::string> tests;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(root, ec), end; it != end && !ec;
       it.increment(ec)) {
    StringRef name = llvm::sys::path::filename(it->path());
    SmallString<256> model(it->path());
    llvm::sys::path::append(model, "model.onnx");
    if (llvm::sys::fs::exists(model) && re.match(name))
      tests.push_back(it->path());
  }
  if (ec || tests.empty()) {
    llvm::errs() << "quant-onnx-conformance: no tests found under " << root
                 << (ec ? ": " + ec.message() : std::string()) << "\n";
    return 2;
  }
  std::sort(tests.begin(), tests.end());

  unsigned passed = 0, failedCount = 0, skipped = 0;
  std::map<std::string, unsigned> skipReasons;
  std::vector<std::pair<std::string, Result>> results;
  for (const std::string &t : tests) {
    StringRef name = llvm::sys::path::filename(t);
    Result r = runIsolated(t, rtol, atol);
    auto xf = xfail.find(name.str());
    if (xf != xfail.end()) {
      if (r.outcome == Outcome::Fail)
        r = {Outcome::Skip, "expected failure: " + xf->second};
      else if (r.outcome == Outcome::Pass)
        r = {Outcome::Fail, "listed as an expected failure but passed: "
                            "remove it from " + expectedFailures};
    }
    results.push_back({name.str(), r});
    switch (r.outcome) {
    case Outcome::Pass:
      ++passed;
      if (verbose)
        llvm::outs() << "PASS " << name << "\n";
      break;
    case Outcome::Fail:
      ++failedCount;
      llvm::outs() << "FAIL " << name << ": " << r.message << "\n";
      break;
    case Outcome::Skip:
      ++skipped;
      ++skipReasons[reasonKey(r.message)];
      llvm::outs() << "SKIP " << name << ": " << r.message << "\n";
      break;
    }
  }
  llvm::outs() << "\nskip reasons:\n";
  std::vector<std::pair<unsigned, std::string>> reasons;
  for (auto &[reason, count] : skipReasons)
    reasons.push_back({count, reason});
  std::sort(reasons.rbegin(), reasons.rend());
  for (auto &[count, reason] : reasons)
    llvm::outs() << llvm::format("%5u  ", count) << reason << "\n";
  if (!junit.empty()) {
    std::error_code ec;
    llvm::raw_fd_ostream os(junit, ec);
    if (ec) {
      llvm::errs() << "quant-onnx-conformance: " << junit << ": "
                   << ec.message() << "\n";
      return 2;
    }
    auto escape = [](StringRef s) {
      std::string out;
      for (char c : s) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        default: out += c;
        }
      }
      return out;
    };
    os << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
       << "<testsuites><testsuite name=\"onnx-node\" tests=\"" << results.size()
       << "\" failures=\"" << failedCount << "\" skipped=\"" << skipped
       << "\">\n";
    for (auto &[name, r] : results) {
      os << "<testcase classname=\"onnx-node\" name=\"" << escape(name) << "\"";
      if (r.outcome == Outcome::Pass)
        os << "/>\n";
      else if (r.outcome == Outcome::Fail)
        os << "><failure message=\"" << escape(r.message) << "\"/></testcase>\n";
      else
        os << "><skipped message=\"" << escape(r.message) << "\"/></testcase>\n";
    }
    os << "</testsuite></testsuites>\n";
  }
  llvm::outs() << "\nonnx-conformance: " << passed << " passed, " << failedCount
               << " failed, " << skipped << " skipped\n";
  if (failedCount)
    return 1;
  if (passed < minPass) {
    llvm::outs() << "onnx-conformance: fewer than " << minPass << " passed\n";
    return 1;
  }
  return 0;
}
