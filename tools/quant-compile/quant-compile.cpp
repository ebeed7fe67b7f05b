//===- quant-compile.cpp - quantc's model compiler driver -----------------===//
//
// Part of quantc. Reads an ONNX model and runs the compilation phases up to
// the one named by --compile-to. Only the import phase exists so far; the
// later phases report that they are not implemented rather than printing
// something that only looks like their output.
//
//===----------------------------------------------------------------------===//

#include "qc/Import/ONNX/ONNXImporter.h"
#include "qc/InitAll.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OperationSupport.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
namespace cl = llvm::cl;

namespace {

enum class Phase { Input, Quantized };

cl::opt<std::string> inputFile(cl::Positional, cl::desc("<model.onnx>"));

cl::opt<std::string> outputFile("o", cl::desc("Output file (default stdout)"),
                                cl::value_desc("filename"), cl::init("-"));

cl::list<std::string>
    inputShapes("input-shape",
                cl::desc("Fix the shape of a graph input: NAME=1x3x320x320 "
                         "(repeatable)"),
                cl::value_desc("NAME=DIMS"));

cl::opt<Phase> compileTo(
    "compile-to", cl::desc("Stop after this phase and print its IR"),
    cl::values(clEnumValN(Phase::Input, "input",
                          "the imported model as qc IR, verified"),
               clEnumValN(Phase::Quantized, "quantized",
                          "the quantized model (not implemented yet)")),
    cl::init(Phase::Quantized));

cl::opt<bool> listOps("list-ops",
                      cl::desc("Print the ONNX ops and opsets the importer "
                               "handles, then exit"));

cl::opt<std::string> functionName("function-name",
                                  cl::desc("Name of the generated function"),
                                  cl::init("main"));

cl::opt<int64_t> resourceThreshold(
    "resource-threshold",
    cl::desc("Constants with at least this many elements become "
             "dense_resource blobs"),
    cl::init(64));

/// "NAME=1x3x320x320" into the options; false after a message otherwise.
bool parseInputShape(llvm::StringRef spec, qc::ONNXImportOptions &options) {
  auto [name, dims] = spec.rsplit('=');
  if (name.empty() || dims.empty() || name.size() == spec.size()) {
    llvm::errs() << "quant-compile: error: invalid --input-shape '" << spec
                 << "': expected NAME=DIMS, e.g. input=1x3x224x224\n";
    return false;
  }
  llvm::SmallVector<int64_t> shape;
  llvm::SmallVector<llvm::StringRef> parts;
  dims.split(parts, 'x');
  for (llvm::StringRef p : parts) {
    int64_t d;
    if (p.getAsInteger(10, d) || d < 0) {
      llvm::errs() << "quant-compile: error: invalid --input-shape '" << spec
                   << "': '" << p << "' is not a non-negative dimension\n";
      return false;
    }
    shape.push_back(d);
  }
  if (options.inputShapes.count(name)) {
    llvm::errs() << "quant-compile: error: --input-shape given twice for '"
                 << name << "'\n";
    return false;
  }
  options.inputShapes[name] = shape;
  return true;
}

llvm::StringRef severityName(DiagnosticSeverity s) {
  switch (s) {
  case DiagnosticSeverity::Error:
    return "error";
  case DiagnosticSeverity::Warning:
    return "warning";
  case DiagnosticSeverity::Remark:
    return "remark";
  case DiagnosticSeverity::Note:
    return "note";
  }
  return "error";
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  cl::ParseCommandLineOptions(argc, argv, "quantc model compiler\n");

  if (listOps) {
    for (const std::string &entry : qc::listSupportedONNXOps())
      llvm::outs() << entry << "\n";
    return 0;
  }
  if (inputFile.empty()) {
    llvm::errs() << "quant-compile: error: no input model (usage: "
                    "quant-compile model.onnx --compile-to=input)\n";
    return 1;
  }
  if (compileTo != Phase::Input) {
    llvm::errs() << "quant-compile: error: --compile-to=quantized"
                 << " is not implemented yet; only --compile-to=input (the "
                    "imported model) is available\n";
    return 1;
  }

  qc::ONNXImportOptions options;
  options.functionName = functionName;
  options.resourceThreshold = resourceThreshold;
  for (const std::string &spec : inputShapes)
    if (!parseInputShape(spec, options))
      return 1;

  DialectRegistry registry;
  qc::registerAllDialects(registry);
  MLIRContext context(registry);
  // Importer messages name the file and node themselves; print them plainly.
  ScopedDiagnosticHandler handler(&context, [](Diagnostic &diag) {
    llvm::errs() << "quant-compile: " << severityName(diag.getSeverity())
                 << ": " << diag.str() << "\n";
    for (const Diagnostic &note : diag.getNotes())
      llvm::errs() << "quant-compile: note: " << note.str() << "\n";
    return success();
  });

  OwningOpRef<ModuleOp> module =
      qc::importONNXModel(&context, inputFile, options);
  if (!module)
    return 1;

  // Opened only now, and kept only once written: errors leave no file.
  std::string error;
  std::unique_ptr<llvm::ToolOutputFile> out =
      openOutputFile(outputFile, &error);
  if (!out) {
    llvm::errs() << "quant-compile: error: " << error << "\n";
    return 1;
  }
  module->print(out->os(), OpPrintingFlags());
  out->os() << "\n";
  out->os().flush();
  if (out->os().has_error()) {
    llvm::errs() << "quant-compile: error: cannot write '" << outputFile
                 << "'\n";
    out->os().clear_error();
    return 1;
  }
  out->keep();
  return 0;
}
