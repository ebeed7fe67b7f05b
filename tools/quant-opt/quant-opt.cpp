//===- quant-opt.cpp - quantc's mlir-opt ----------------------------------===//
//
// Part of quantc. Runs qc passes and pipelines on .mlir files.
//
//===----------------------------------------------------------------------===//

#include "qc/InitAll.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::qc::registerAllPasses();
  mlir::DialectRegistry registry;
  mlir::qc::registerAllDialects(registry);
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "quantc optimizer driver\n", registry));
}
