//===- quant-onnx-conformance.cpp - ONNX backend node tests ---------------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "qc/Tools/ConformanceMain.h"

int main(int argc, char **argv) { return mlir::qc::conformanceMain(argc, argv); }
