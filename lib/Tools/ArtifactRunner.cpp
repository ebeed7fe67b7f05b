//===- ArtifactRunner.cpp - run a compiled artifact on the host -----------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "qc/Tools/ArtifactRunner.h"

#include "qc/Target/CPU/CPUCodegen.h"

#include "quantc/runtime.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

using namespace mlir;
using namespace mlir::qc;

struct ArtifactRunner::Impl {
  std::unique_ptr<cpu::JITCode> code;
  qcrt_model *model = nullptr;
  ~Impl() {
    if (model)
      qcrt_destroy(model);
  }
};

ArtifactRunner::ArtifactRunner() : impl(std::make_unique<Impl>()) {}
ArtifactRunner::~ArtifactRunner() = default;

bool ArtifactRunner::isArtifact(llvm::StringRef path) {
  llvm::SmallString<256> manifest(path);
  llvm::sys::path::append(manifest, "manifest.json");
  return llvm::sys::fs::is_directory(path) && llvm::sys::fs::exists(manifest);
}

static std::optional<DType> dtypeOf(qcrt_dtype t) {
  switch (t) {
  case QCRT_F32: return DType::F32;
  case QCRT_F16: return DType::F16;
  case QCRT_BF16: return DType::BF16;
  case QCRT_F64: return DType::F64;
  case QCRT_I8: return DType::I8;
  case QCRT_U8: return DType::U8;
  case QCRT_I16: return DType::I16;
  case QCRT_I32: return DType::I32;
  case QCRT_I64: return DType::I64;
  case QCRT_BOOL: return DType::Bool;
  }
  return std::nullopt;
}

FailureOr<std::unique_ptr<ArtifactRunner>>
ArtifactRunner::open(llvm::StringRef dir, unsigned numThreads, uint32_t isaMask,
                     std::string &error) {
  // The manifest names the model (its descriptor symbol) and the host
  // library; the runtime checks everything else.
  llvm::SmallString<256> manifestPath(dir);
  llvm::sys::path::append(manifestPath, "manifest.json");
  auto text = llvm::MemoryBuffer::getFile(manifestPath);
  if (!text) {
    error = manifestPath.str().str() + ": " + text.getError().message();
    return failure();
  }
  llvm::Expected<llvm::json::Value> json = llvm::json::parse((*text)->getBuffer());
  if (!json) {
    error = manifestPath.str().str() + ": " + llvm::toString(json.takeError());
    return failure();
  }
  const llvm::json::Object *root = json->getAsObject();
  std::optional<llvm::StringRef> name = root ? root->getString("name") : std::nullopt;
  const llvm::json::Array *targets = root ? root->getArray("targets") : nullptr;
  if (!name || !targets) {
    error = manifestPath.str().str() + ": no \"name\" or \"targets\"";
    return failure();
  }
  llvm::Triple host(llvm::sys::getProcessTriple());
  std::string library;
  for (const llvm::json::Value &t : *targets) {
    const llvm::json::Object *o = t.getAsObject();
    if (!o)
      continue;
    std::optional<llvm::StringRef> triple = o->getString("triple");
    std::optional<llvm::StringRef> lib = o->getString("library");
    if (!triple || !lib)
      continue;
    llvm::Triple tt(*triple);
    if (tt.getArch() == host.getArch() && tt.getOS() == host.getOS()) {
      llvm::SmallString<256> p(dir);
      llvm::sys::path::append(p, *lib);
      library = p.str().str();
    }
  }
  if (library.empty()) {
    std::string have;
    for (const llvm::json::Value &t : *targets)
      if (const llvm::json::Object *o = t.getAsObject())
        if (auto triple = o->getString("triple"))
          have += (have.empty() ? "" : ", ") + triple->str();
    error = dir.str() + ": the artifact has no library for this host (" +
            host.str() + "); it was compiled for: " + have +
            " (recompile with --target host)";
    return failure();
  }

  std::unique_ptr<ArtifactRunner> runner(new ArtifactRunner());
  std::vector<std::pair<std::string, void *>> symbols = {
      {"qcrt_parallel_for", reinterpret_cast<void *>(&qcrt_parallel_for)}};
  FailureOr<std::unique_ptr<cpu::JITCode>> code =
      cpu::JITCode::loadArchive(library, symbols, error);
  if (failed(code))
    return failure();
  runner->impl->code = std::move(*code);
  std::string descSymbol = name->str() + "_desc";
  void *desc = runner->impl->code->lookup(descSymbol, error);
  if (!desc) {
    error = library + ": no descriptor '" + descSymbol + "': " + error;
    return failure();
  }
  qcrt_options options;
  qcrt_options_init(&options);
  options.num_threads = static_cast<int32_t>(numThreads);
  options.isa_mask = isaMask;
  runner->impl->model = qcrt_create(dir.str().c_str(),
                                    static_cast<const qcrt_model_desc *>(desc),
                                    &options);
  if (!runner->impl->model) {
    error = qcrt_last_error();
    return failure();
  }
  auto spec = [&](const qcrt_tensor_info *info) -> std::optional<Spec> {
    std::optional<DType> dt = dtypeOf(info->dtype);
    if (!dt)
      return std::nullopt;
    return Spec{*dt, llvm::SmallVector<int64_t>(info->dims, info->dims + info->rank)};
  };
  for (int32_t i = 0; i < qcrt_num_inputs(runner->impl->model); ++i) {
    const qcrt_tensor_info *info = qcrt_input_info(runner->impl->model, i);
    std::optional<Spec> s = spec(info);
    if (!s) {
      error = dir.str() + ": input '" + info->name + "' has an unsupported dtype";
      return failure();
    }
    runner->inNames.push_back(info->name);
    runner->inSpecs.push_back(*s);
  }
  for (int32_t i = 0; i < qcrt_num_outputs(runner->impl->model); ++i) {
    const qcrt_tensor_info *info = qcrt_output_info(runner->impl->model, i);
    std::optional<Spec> s = spec(info);
    if (!s) {
      error = dir.str() + ": output '" + info->name + "' has an unsupported dtype";
      return failure();
    }
    runner->outNames.push_back(info->name);
    runner->outSpecs.push_back(*s);
  }
  return runner;
}

llvm::StringRef ArtifactRunner::variant() const {
  return qcrt_variant_name(impl->model);
}

FailureOr<std::vector<Tensor>>
ArtifactRunner::run(llvm::ArrayRef<Tensor> inputs, std::string &error) {
  qcrt_model *m = impl->model;
  std::vector<const void *> in;
  for (auto [i, t] : llvm::enumerate(inputs)) {
    const qcrt_tensor_info *info = qcrt_input_info(m, i);
    std::optional<DType> dt = dtypeOf(info->dtype);
    llvm::ArrayRef<int64_t> dims(info->dims, info->rank);
    if (!dt || t.dtype() != *dt || t.shape() != dims) {
      Tensor expected(dt.value_or(DType::F32), dims);
      error = "input '" + std::string(info->name) + "' is " + t.describe() +
              "; the artifact was compiled for " + expected.describe();
      return failure();
    }
    in.push_back(t.raw());
  }
  std::vector<Tensor> outputs;
  std::vector<void *> out;
  for (int32_t i = 0; i < qcrt_num_outputs(m); ++i) {
    const qcrt_tensor_info *info = qcrt_output_info(m, i);
    std::optional<DType> dt = dtypeOf(info->dtype);
    if (!dt) {
      error = "output '" + std::string(info->name) + "' has an unknown dtype";
      return failure();
    }
    outputs.emplace_back(*dt, llvm::ArrayRef<int64_t>(info->dims, info->rank));
    out.push_back(outputs.back().raw());
  }
  if (qcrt_run(m, in.data(), out.data()) != 0) {
    error = qcrt_last_error();
    return failure();
  }
  return outputs;
}
