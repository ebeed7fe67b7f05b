//===- QuantCompileMain.cpp - the quant-compile driver --------------------===//
//
// Part of quantc. Reads an ONNX model and runs the compilation phases up to
// the one named by --compile-to. Only the import phase exists so far; the
// later phases report that they are not implemented rather than printing
// something that only looks like their output.
//
//===----------------------------------------------------------------------===//

#include "qc/Tools/QuantCompileMain.h"

#include "qc/Import/ONNX/ONNXImporter.h"
#include "qc/InitAll.h"
#include "qc/Tools/ModelLoader.h"

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
using namespace mlir::qc;
namespace cl = llvm::cl;

namespace {

enum class Phase { Input, Quantized };

struct Options {
  cl::OptionCategory category{"quant-compile options"};
  cl::opt<std::string> inputFile{cl::Positional, cl::desc("<model.onnx>"),
                                 cl::cat(category)};
  cl::opt<std::string> outputFile{"o", cl::desc("Output file (default stdout)"),
                                  cl::value_desc("filename"), cl::init("-"),
                                  cl::cat(category)};
  cl::list<std::string> inputShapes{
      "input-shape",
      cl::desc("Fix the shape of a graph input: NAME=1x3x320x320 (repeatable)"),
      cl::value_desc("NAME=DIMS"), cl::cat(category)};
  cl::opt<Phase> compileTo{
      "compile-to", cl::desc("Stop after this phase and print its IR"),
      cl::values(clEnumValN(Phase::Input, "input",
                            "the imported model as qc IR, verified"),
                 clEnumValN(Phase::Quantized, "quantized",
                            "the quantized model (not implemented yet)")),
      cl::init(Phase::Quantized), cl::cat(category)};
  cl::opt<bool> listOps{"list-ops",
                        cl::desc("Print the ONNX ops and opsets the importer "
                                 "handles, then exit"),
                        cl::cat(category)};
  cl::opt<std::string> functionName{"function-name",
                                    cl::desc("Name of the generated function"),
                                    cl::init("main"), cl::cat(category)};
  cl::opt<int64_t> resourceThreshold{
      "resource-threshold",
      cl::desc("Constants with at least this many elements become "
               "dense_resource blobs"),
      cl::init(64), cl::cat(category)};
};

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

int qc::quantCompileMain(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  // MLIR's printing flags (e.g. --mlir-print-debuginfo) stay usable; they
  // are left out of --help, which shows only quant-compile's own options.
  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  Options opts;
  cl::HideUnrelatedOptions(opts.category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "quant-compile: the quantc model compiler\n\n"
      "  quant-compile model.onnx --compile-to=input [-o model.mlir]\n"
      "  quant-compile model.onnx --compile-to=input --input-shape x=1x3x320x320\n"
      "  quant-compile --list-ops\n");

  if (opts.listOps) {
    for (const std::string &entry : qc::listSupportedONNXOps())
      llvm::outs() << entry << "\n";
    return 0;
  }
  if (opts.inputFile.empty()) {
    llvm::errs() << "quant-compile: error: no input model (usage: "
                    "quant-compile model.onnx --compile-to=input)\n";
    return 1;
  }
  if (opts.compileTo != Phase::Input) {
    llvm::errs() << "quant-compile: error: --compile-to=quantized"
                 << " is not implemented yet; only --compile-to=input (the "
                    "imported model) is available\n";
    return 1;
  }

  qc::ONNXImportOptions options;
  options.functionName = opts.functionName;
  options.resourceThreshold = opts.resourceThreshold;
  std::string shapeError;
  if (failed(qc::parseInputShapes(opts.inputShapes, options.inputShapes,
                                  shapeError))) {
    llvm::errs() << "quant-compile: error: " << shapeError << "\n";
    return 1;
  }

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
      qc::importONNXModel(&context, opts.inputFile, options);
  if (!module)
    return 1;

  // Opened only now, and kept only once written: errors leave no file.
  std::string error;
  std::unique_ptr<llvm::ToolOutputFile> out =
      openOutputFile(opts.outputFile, &error);
  if (!out) {
    llvm::errs() << "quant-compile: error: " << error << "\n";
    return 1;
  }
  module->print(out->os(), OpPrintingFlags());
  out->os() << "\n";
  out->os().flush();
  if (out->os().has_error()) {
    llvm::errs() << "quant-compile: error: cannot write '" << opts.outputFile
                 << "'\n";
    out->os().clear_error();
    return 1;
  }
  out->keep();
  return 0;
}
