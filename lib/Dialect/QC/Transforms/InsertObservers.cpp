//===- InsertObservers.cpp - place qc.observe by a recipe ------------------===//
//
// Part of quantc.
//
//===----------------------------------------------------------------------===//

#include "QuantUtils.h"

#include "qc/Dialect/QC/IR/QCOps.h"
#include "qc/Dialect/QC/Transforms/Passes.h"
#include "qc/Quant/Scheme.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Regex.h"

namespace mlir::qc {
#define GEN_PASS_DEF_INSERTOBSERVERS
#include "qc/Dialect/QC/Transforms/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;
using namespace mlir::qc;

namespace {
struct InsertObserversPass
    : public qc::impl::InsertObserversBase<InsertObserversPass> {
  using Base::Base;

  struct Override {
    std::unique_ptr<llvm::Regex> regex;
    QuantScheme scheme;
  };

  void runOnOperation() override;

private:
  llvm::StringSet<> usedNames;

  std::string uniqueName(std::string base) {
    if (base.empty())
      base = "tensor";
    std::string name = base;
    for (int i = 2; usedNames.contains(name); ++i)
      name = base + "#" + std::to_string(i);
    usedNames.insert(name);
    return name;
  }

  /// The name of a value: the `qc.name` of an argument or the name of the
  /// op producing it.
  std::string valueName(Value v, func::FuncOp func) {
    if (auto arg = dyn_cast<BlockArgument>(v)) {
      if (auto name = func.getArgAttrOfType<StringAttr>(arg.getArgNumber(),
                                                        "qc.name"))
        return name.str();
      return "arg" + std::to_string(arg.getArgNumber());
    }
    Operation *def = v.getDefiningOp();
    std::string name = getLocName(def->getLoc());
    if (name.empty())
      name = def->getName().stripDialect().str();
    if (def->getNumResults() > 1)
      name += ":" + std::to_string(cast<OpResult>(v).getResultNumber());
    return name;
  }
};
} // namespace

/// Walks back through grid-preserving data movement to an observed value.
static ObserveOp findObservedSource(Value v) {
  while (Operation *def = v.getDefiningOp()) {
    if (auto obs = dyn_cast<ObserveOp>(def))
      return obs;
    if (!isGridPreservingOp(def) || def->getNumOperands() < 1)
      return nullptr;
    v = def->getOperand(0);
  }
  return nullptr;
}

static void setTarget(ObserveOp obs, unsigned bits, bool isSigned,
                      bool symmetric, bool narrow) {
  MLIRContext *ctx = obs.getContext();
  obs.setStorageAttr(TypeAttr::get(IntegerType::get(
      ctx, bits, isSigned ? IntegerType::Signless : IntegerType::Unsigned)));
  if (symmetric)
    obs.setSymmetric(true);
  if (narrow)
    obs.setNarrowRange(true);
}

/// Whether `v` reaches, through grid-preserving data movement and clamps, the
/// activation input of one of `quantizedInputs` (contractions that take int8
/// activations). A contraction whose result only feeds float math (a
/// residual add, an activation function, a normalization) keeps a float
/// result: its integer form scales the i32 accumulator straight to f32, and
/// rounding that to int8 first would only add noise.
static bool feedsQuantizedInput(Value v,
                                const llvm::DenseSet<Operation *> &quantizedInputs) {
  for (OpOperand &use : v.getUses()) {
    Operation *user = use.getOwner();
    if (quantizedInputs.contains(user)) {
      if (getContractionInfo(user)->input == &use)
        return true;
      continue;
    }
    if ((isGridPreservingOp(user) || isa<ClipOp>(user)) &&
        use.getOperandNumber() == 0 && user->getNumResults() == 1 &&
        feedsQuantizedInput(user->getResult(0), quantizedInputs))
      return true;
  }
  return false;
}

/// Observes `v` for every user (but the new observer itself).
static ObserveOp observeAllUses(OpBuilder &b, Value v, StringRef name) {
  if (auto arg = dyn_cast<BlockArgument>(v))
    b.setInsertionPointToStart(arg.getOwner());
  else
    b.setInsertionPointAfter(v.getDefiningOp());
  auto obs = ObserveOp::create(b, v.getLoc(), v, b.getStringAttr(name),
                               IntegerAttr(), DenseF64ArrayAttr(),
                               DenseF64ArrayAttr(), StringAttr(), TypeAttr(),
                               UnitAttr(), UnitAttr(), IntegerAttr(),
                               IntegerAttr(), UnitAttr());
  v.replaceAllUsesExcept(obs.getResult(), obs);
  return obs;
}

void InsertObserversPass::runOnOperation() {
  func::FuncOp func = getOperation();
  usedNames.clear();
  func.walk([&](ObserveOp op) {
    if (std::optional<StringRef> n = op.getName())
      usedNames.insert(*n);
  });

  std::string error;
  FailureOr<QuantScheme> defaultScheme = QuantScheme::parse(scheme, error);
  if (failed(defaultScheme)) {
    func.emitError(error);
    return signalPassFailure();
  }
  std::vector<std::unique_ptr<llvm::Regex>> keep;
  for (const std::string &re : keepFloat) {
    auto regex = std::make_unique<llvm::Regex>(re);
    if (!regex->isValid(error)) {
      func.emitError("invalid keep-float regex '") << re << "': " << error;
      return signalPassFailure();
    }
    keep.push_back(std::move(regex));
  }
  std::vector<Override> overrides;
  for (const std::string &entry : layerScheme) {
    size_t eq = StringRef(entry).rfind('=');
    if (eq == StringRef::npos) {
      func.emitError("invalid layer-scheme '")
          << entry << "': expected REGEX=SCHEME";
      return signalPassFailure();
    }
    Override o;
    o.regex = std::make_unique<llvm::Regex>(entry.substr(0, eq));
    if (!o.regex->isValid(error)) {
      func.emitError("invalid layer-scheme regex '")
          << entry.substr(0, eq) << "': " << error;
      return signalPassFailure();
    }
    FailureOr<QuantScheme> s = QuantScheme::parse(entry.substr(eq + 1), error);
    if (failed(s)) {
      func.emitError("in layer-scheme '") << entry << "': " << error;
      return signalPassFailure();
    }
    o.scheme = *s;
    overrides.push_back(std::move(o));
  }

  // The contraction ops with a constant weight, in program order.
  struct Candidate {
    Operation *op;
    ContractionInfo info;
    QuantScheme scheme;
    std::string name, weightName;
  };
  std::vector<Candidate> candidates;
  func.walk([&](Operation *op) {
    std::optional<ContractionInfo> info = getContractionInfo(op);
    if (!info)
      return;
    Value w = info->weight->get();
    auto wc = w.getDefiningOp<ConstantOp>();
    if (!wc || !isa<FloatType>(getElementTypeOrSelf(w.getType())) ||
        !isa<FloatType>(getElementTypeOrSelf(info->input->get().getType())))
      return;
    Candidate c{op, *info, *defaultScheme, getLocName(op->getLoc()),
                getLocName(wc->getLoc())};
    if (c.name.empty())
      c.name = op->getName().stripDialect().str() + "#" +
               std::to_string(candidates.size());
    auto matches = [&](llvm::Regex &re) {
      return re.match(c.name) || (!c.weightName.empty() && re.match(c.weightName));
    };
    if (llvm::any_of(keep, [&](auto &re) { return matches(*re); }))
      return;
    for (Override &o : overrides)
      if (matches(*o.regex)) {
        c.scheme = o.scheme;
        break;
      }
    if (c.scheme.isFloat)
      return;
    candidates.push_back(std::move(c));
  });

  llvm::DenseSet<Operation *> quantizedInputs;
  for (Candidate &c : candidates)
    if (c.scheme.activations == ActivationMode::Static)
      quantizedInputs.insert(c.op);

  OpBuilder b(func.getContext());
  // Ops whose reduction dimension the group size does not divide.
  std::vector<std::string> ungrouped;
  for (size_t i = 0; i < candidates.size(); ++i) {
    Candidate &c = candidates[i];
    QuantScheme s = c.scheme;
    if (protectFirstLast && (i == 0 || i + 1 == candidates.size()) &&
        s.weightBits < 8) {
      s.weightBits = 8;
      s.weightSymmetric = true;
      if (s.granularity == WeightGranularity::PerGroup)
        s.granularity = WeightGranularity::PerChannel;
    }
    auto wType = cast<RankedTensorType>(c.info.weight->get().getType());
    // The partial-block rule: a reduction dimension the group size does not
    // divide is quantized per channel, and below 8 bits with 8 (a 4-bit
    // scale for a whole row loses far more than groups do; llama.cpp keeps
    // such rows in f16).
    if (s.granularity == WeightGranularity::PerGroup &&
        wType.getDimSize(c.info.reductionDim) % s.groupSize != 0) {
      s.granularity = WeightGranularity::PerChannel;
      if (s.weightBits < 8) {
        s.weightBits = 8;
        s.weightSymmetric = true;
      }
      ungrouped.push_back(c.name + " (" +
                          std::to_string(wType.getDimSize(c.info.reductionDim)) +
                          ")");
    }

    // Weight: one observer per use, so that a shared constant may be
    // quantized differently by its users.
    b.setInsertionPoint(c.op);
    std::string wName = uniqueName(
        c.weightName.empty() ? c.name + ".weight" : c.weightName);
    auto wObs = ObserveOp::create(
        b, c.info.weight->get().getLoc(), c.info.weight->get(),
        b.getStringAttr(wName), IntegerAttr(), DenseF64ArrayAttr(),
        DenseF64ArrayAttr(), StringAttr(), TypeAttr(), UnitAttr(), UnitAttr(),
        IntegerAttr(), IntegerAttr(), UnitAttr());
    c.info.weight->set(wObs.getResult());
    setTarget(wObs, s.weightBits, /*isSigned=*/true, s.weightSymmetric,
              s.weightSymmetric);
    if (s.granularity != WeightGranularity::PerTensor)
      wObs.setAxis(c.info.channelDim);
    if (s.granularity == WeightGranularity::PerGroup) {
      wObs.setBlockAxis(c.info.reductionDim);
      wObs.setBlockSize(s.groupSize);
    }

    if (s.activations == ActivationMode::Float)
      continue;
    Value x = c.info.input->get();
    if (s.activations == ActivationMode::Dynamic) {
      b.setInsertionPoint(c.op);
      auto xObs = ObserveOp::create(
          b, x.getLoc(), x, b.getStringAttr(uniqueName(c.name + ".input")),
          IntegerAttr(), DenseF64ArrayAttr(), DenseF64ArrayAttr(),
          StringAttr(), TypeAttr(), UnitAttr(), UnitAttr(), IntegerAttr(),
          IntegerAttr(), UnitAttr());
      setTarget(xObs, 8, true, true, true);
      xObs.setDynamic(true);
      c.info.input->set(xObs.getResult());
      continue;
    }
    if (!findObservedSource(x)) {
      ObserveOp xObs =
          observeAllUses(b, x, uniqueName(valueName(x, func)));
      setTarget(xObs, s.activationBits, /*isSigned=*/true, false, false);
    }
    Value y = c.op->getResult(0);
    if (y.hasOneUse() && isa<ReluOp, ClipOp>(*y.getUsers().begin()))
      y = y.getUsers().begin()->getResult(0);
    // Only a result that another int8 contraction consumes is rounded to
    // int8; a model output or the input of float math stays float.
    if (!feedsQuantizedInput(y, quantizedInputs))
      continue;
    ObserveOp yObs = observeAllUses(b, y, uniqueName(valueName(y, func)));
    setTarget(yObs, s.activationBits, /*isSigned=*/true, false, false);
  }
  if (!ungrouped.empty()) {
    std::string list;
    for (size_t i = 0; i < ungrouped.size() && i < 4; ++i)
      list += (i ? ", " : "") + ungrouped[i];
    if (ungrouped.size() > 4)
      list += ", ...";
    func.emitRemark() << ungrouped.size() << " of " << candidates.size()
                      << " quantized ops have a reduction dimension that is "
                         "not a multiple of the group size and are quantized "
                         "per channel with at least 8 bits: "
                      << list;
  }
}
