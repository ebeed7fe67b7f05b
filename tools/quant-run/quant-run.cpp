//===- quant-run.cpp - run a model on the reference executor --------------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "qc/Tools/QuantRunMain.h"

int main(int argc, char **argv) { return mlir::qc::quantRunMain(argc, argv); }
