//===- ModelLoader.cpp - load .onnx or .mlir models for the tools ---------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "qc/Tools/ModelLoader.h"

#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/Path.h"

#include "qc/Import/LLM/Checkpoint.h"
#include "qc/Import/ONNX/ONNXImporter.h"

using namespace mlir;
using namespace mlir::qc;

LogicalResult qc::parseInputShapes(ArrayRef<std::string> specs,
                                   llvm::StringMap<SmallVector<int64_t>> &shapes,
                                   std::string &error) {
  for (StringRef spec : specs) {
    auto [name, dims] = spec.rsplit('=');
    if (name.empty() || dims.empty() || name.size() == spec.size()) {
      error = "invalid --input-shape '" + spec.str() +
              "': expected NAME=DIMS, e.g. input=1x3x224x224";
      return failure();
    }
    SmallVector<StringRef> parts;
    dims.split(parts, 'x');
    SmallVector<int64_t> shape;
    for (StringRef p : parts) {
      int64_t d;
      if (p.getAsInteger(10, d) || d < 0) {
        error = "invalid --input-shape '" + spec.str() + "': '" + p.str() +
                "' is not a non-negative dimension";
        return failure();
      }
      shape.push_back(d);
    }
    if (!shapes.try_emplace(name, shape).second) {
      error = "--input-shape given twice for '" + name.str() + "'";
      return failure();
    }
  }
  return success();
}

OwningOpRef<ModuleOp>
qc::loadModel(MLIRContext *ctx, StringRef path,
              const llvm::StringMap<SmallVector<int64_t>> &inputShapes,
              const LlamaImportOptions &llama) {
  StringRef ext = llvm::sys::path::extension(path);
  if (ext == ".onnx") {
    ONNXImportOptions options;
    for (const auto &entry : inputShapes)
      options.inputShapes[entry.getKey()] = entry.getValue();
    return importONNXModel(ctx, path, options);
  }
  if (isLlamaCheckpointPath(path)) {
    // One decoding step as `main`; `--input-shape tokens=1xS` sets the
    // number of tokens per step (default 1).
    LlamaStepSpec spec;
    for (const auto &entry : inputShapes) {
      ArrayRef<int64_t> dims = entry.getValue();
      if (entry.getKey() != "tokens" || dims.size() != 2 || dims[0] != 1) {
        emitError(UnknownLoc::get(ctx))
            << "--input-shape for a Llama checkpoint: only tokens=1xS "
               "(tokens per step) can be set";
        return nullptr;
      }
      spec.seqLen = dims[1];
    }
    return importLlamaCheckpoint(ctx, path, {spec}, llama);
  }
  if (!inputShapes.empty()) {
    emitError(UnknownLoc::get(ctx))
        << "--input-shape applies to .onnx models only; " << path
        << " has fixed types";
    return nullptr;
  }
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(path, ctx);
  if (!module)
    return nullptr;
  if (failed(verify(*module)))
    return nullptr;
  return module;
}

func::FuncOp qc::findEntryFunction(ModuleOp module, StringRef name) {
  if (!name.empty()) {
    auto fn = module.lookupSymbol<func::FuncOp>(name);
    if (!fn)
      module.emitError("no function named '") << name << "'";
    return fn;
  }
  if (auto fn = module.lookupSymbol<func::FuncOp>("main"))
    return fn;
  func::FuncOp only;
  for (auto fn : module.getOps<func::FuncOp>()) {
    if (only) {
      module.emitError("the module has several functions and none is named "
                       "'main': pick one with --function");
      return nullptr;
    }
    only = fn;
  }
  if (!only)
    module.emitError("the module has no function");
  return only;
}
