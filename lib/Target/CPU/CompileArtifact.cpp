//===- CompileArtifact.cpp - a model to its artifact directory ------------===//
//
// Part of quantc.
//
// Order matters: the manifest's SHA-256 is compiled into the descriptor of
// every library, so the manifest (and the header it checksums) is rendered
// first, from everything the lowering decided (inputs, outputs, arena,
// weights); the objects come after, and the directory is written last, in
// one step (artifact::writeArtifact).
//
//===----------------------------------------------------------------------===//

#include "qc/Target/CPU/CPUCodegen.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

using namespace mlir;
using namespace mlir::qc;
using namespace mlir::qc::cpu;

LogicalResult cpu::compileArtifact(ModuleOp module,
                                   const ArtifactOptions &options,
                                   std::string &error) {
  FailureOr<LoweredModel> lowered = lowerToLLVMDialect(module, options.lower);
  if (failed(lowered)) {
    error = "code generation failed";
    return failure();
  }
  artifact::ArtifactDescription d;
  d.name = options.name;
  d.source.file = llvm::sys::path::filename(options.sourceFile).str();
  if (auto buffer = llvm::MemoryBuffer::getFile(options.sourceFile))
    d.source.sha256 = artifact::sha256Hex((*buffer)->getBuffer());
  d.options = options.commandLine;
  for (const IOSpec &s : lowered->inputs)
    d.inputs.push_back({s.name, s.dtype, s.shape});
  for (const IOSpec &s : lowered->outputs)
    d.outputs.push_back({s.name, s.dtype, s.shape});
  d.arenaBytes = lowered->arenaBytes;
  d.weights = std::move(lowered->weights);
  for (const TargetSpec &t : options.targets) {
    artifact::TargetLibrary lib;
    lib.triple = t.triple;
    lib.dir = t.name;
    lib.darwin = t.darwin;
    for (const TargetSpec::Variant &v : t.variants)
      lib.variants.push_back(v.name);
    d.targets.push_back(std::move(lib));
  }
  std::string header = artifact::renderHeader(d);
  std::string manifest = artifact::renderManifest(d);
  std::string hash = artifact::manifestSha256Hex(manifest);

  for (size_t i = 0; i < options.targets.size(); ++i) {
    const TargetSpec &t = options.targets[i];
    FailureOr<std::vector<ObjectFile>> objects =
        emitObjects(module, *lowered, d.name, t, error);
    if (failed(objects))
      return failure();
    std::vector<artifact::DescriptorInfo::Variant> variants;
    for (const TargetSpec::Variant &v : t.variants)
      variants.push_back({v.isa, v.name, entrySymbol(d.name, v.name)});
    FailureOr<ObjectFile> desc = emitDescriptorObject(
        artifact::makeDescriptorInfo(d, hash, std::move(variants)), t, error);
    if (failed(desc))
      return failure();
    objects->push_back(std::move(*desc));
    for (ObjectFile &o : *objects)
      d.targets[i].objects.push_back({o.member, std::move(o.bytes)});
  }
  if (llvm::Error e = artifact::writeArtifact(d, manifest, header, options.outDir)) {
    error = llvm::toString(std::move(e));
    return failure();
  }
  return success();
}
