//===- quant-compile.cpp - quantc's model compiler ------------------------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "qc/Tools/QuantCompileMain.h"

int main(int argc, char **argv) { return mlir::qc::quantCompileMain(argc, argv); }
