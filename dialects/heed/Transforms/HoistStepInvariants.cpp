//===- HoistStepInvariants.cpp - Per-source work of decode_step to encode -===//
//
// A decoder exported on its own recomputes at every step what depends only on the source: the
// cross-attention keys and values projected from the encoder's states, the padding mask built
// from the source mask. CTranslate2 and hand-written models compute them once per sentence. The
// drivers feed decode_step's per-source inputs by gathering the rows of encode's values (one
// row per hypothesis), so a value computed from them row by row (row b of the result depends on
// row b of the inputs and on constants only) is the same whether it is computed before the
// gather, once in encode, or after it, at every step. Those values move to encode as new
// outputs and reach decode_step as per-source inputs of the same name.
//
//===----------------------------------------------------------------------===//

#include "dialects/heed/Transforms/Passes.h"

#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringSet.h"

namespace mlir::heed {
#define GEN_PASS_DEF_HEEDHOISTSTEPINVARIANTS
#include "dialects/heed/Transforms/Passes.h.inc"
} // namespace mlir::heed

using namespace mlir;
using namespace mlir::heed;

namespace {

StringRef nameOf(DictionaryAttr attrs) {
  auto name = attrs ? attrs.getAs<StringAttr>("heed.name") : StringAttr();
  return name ? name.getValue() : StringRef();
}

int64_t rankOf(Value v) { return cast<RankedTensorType>(v.getType()).getRank(); }

/// Where a value's batch dim lands in a result of rank `rank` under right-aligned broadcasting.
int64_t aligned(int64_t dim, Value v, int64_t rank) { return dim + rank - rankOf(v); }

class Hoister {
public:
  Hoister(func::FuncOp enc, func::FuncOp dec) : enc(enc), dec(dec) {}

  void run() {
    if (!findPerSourceInputs())
      return;
    Block &body = dec.getBody().front();
    for (Operation &op : body.without_terminator()) {
      if (op.hasTrait<OpTrait::ConstantLike>() && op.getNumResults() == 1) {
        constants.insert(op.getResult(0));
        continue;
      }
      if (op.getNumResults() != 1 || op.getNumRegions() != 0 || !isMemoryEffectFree(&op) ||
          !isa<RankedTensorType>(op.getResult(0).getType()))
        continue;
      bool invariant = llvm::all_of(
          op.getOperands(), [&](Value v) { return batchDim.count(v) || constants.count(v); });
      if (!invariant)
        continue;
      // Computed from constants alone (a slice of a packed weight): a constant too.
      if (llvm::none_of(op.getOperands(), [&](Value v) { return batchDim.count(v); })) {
        constants.insert(op.getResult(0));
        continue;
      }
      if (int64_t d = rowwiseBatchDim(&op); d >= 0)
        batchDim[op.getResult(0)] = d;
    }
    SmallVector<Value> frontier;
    for (Operation &op : body.without_terminator())
      if (op.getNumResults() == 1 && batchDim.count(op.getResult(0)) &&
          llvm::any_of(op.getResult(0).getUsers(),
                       [&](Operation *user) { return !isInvariantResult(user); }))
        frontier.push_back(op.getResult(0));
    if (!frontier.empty())
      hoist(frontier);
  }

private:
  func::FuncOp enc, dec;
  std::string batchName;
  llvm::DenseMap<Value, int64_t> batchDim;
  llvm::DenseSet<Value> constants;
  IRMapping toEncode;

  bool isInvariantResult(Operation *op) {
    return op->getNumResults() == 1 && batchDim.count(op->getResult(0));
  }

  /// decode_step inputs fed by an encode output or input (not by a state of decode_step), with
  /// the same type: the drivers' by-name binding, in its order (states, encode outputs, inputs).
  bool findPerSourceInputs() {
    auto dims = dec.getNumArguments() ? dec.getArgAttrOfType<ArrayAttr>(0, "heed.dims") : nullptr;
    if (!dims || dims.empty() || !isa<StringAttr>(dims[0]))
      return false;
    batchName = cast<StringAttr>(dims[0]).getValue().str();
    llvm::StringSet<> states;
    for (unsigned o = 0; o < dec.getNumResults(); ++o)
      states.insert(nameOf(dec.getResultAttrDict(o)));
    auto encReturn = cast<func::ReturnOp>(enc.getBody().front().getTerminator());
    for (unsigned i = 1; i < dec.getNumArguments(); ++i) {
      StringRef name = nameOf(dec.getArgAttrDict(i));
      if (name.empty() || states.contains(name))
        continue;
      Value source;
      for (unsigned o = 0; o < enc.getNumResults() && !source; ++o)
        if (nameOf(enc.getResultAttrDict(o)) == name)
          source = encReturn.getOperand(o);
      for (unsigned a = 0; a < enc.getNumArguments() && !source; ++a)
        if (nameOf(enc.getArgAttrDict(a)) == name)
          source = enc.getArgument(a);
      BlockArgument arg = dec.getArgument(i);
      auto argDims = dec.getArgAttrOfType<ArrayAttr>(i, "heed.dims");
      if (!source || source.getType() != arg.getType() || !argDims ||
          !isa<RankedTensorType>(arg.getType()))
        continue;
      for (auto [d, dimName] : llvm::enumerate(argDims))
        if (auto s = dyn_cast<StringAttr>(dimName); s && s.getValue() == batchName) {
          batchDim[arg] = int64_t(d);
          toEncode.map(arg, source);
          break;
        }
    }
    return !batchDim.empty();
  }

  /// A constant operand may broadcast along the batch dim only with size 1 there: otherwise row
  /// b of the result would depend on b itself, not only on row b of the inputs.
  bool constantsBroadcast(Operation *op, int64_t dim, int64_t rank) {
    return llvm::all_of(op->getOperands(), [&](Value v) {
      if (!constants.count(v))
        return true;
      auto type = dyn_cast<RankedTensorType>(v.getType());
      if (!type)
        return false;
      int64_t at = dim - (rank - type.getRank());
      return at < 0 || type.getDimSize(at) == 1;
    });
  }

  /// The batch dim of `op`'s result when the op maps batch rows to batch rows one to one, else
  /// -1. Only ops whose row independence is plain from their semantics are listed.
  int64_t rowwiseBatchDim(Operation *op) {
    int64_t rank = rankOf(op->getResult(0));
    auto dimOf = [&](Value v) { return batchDim.lookup(v); };
    if (op->hasTrait<OpTrait::Elementwise>() ||
        isa<AddOp, SubOp, MulOp, DivOp, MaxOp, MinOp, PowOp, AndOp, OrOp, CompareOp, WhereOp>(op)) {
      int64_t dim = -1;
      for (Value v : op->getOperands()) {
        if (!batchDim.count(v))
          continue;
        int64_t d = aligned(dimOf(v), v, rank);
        if (dim >= 0 && d != dim)
          return -1;
        dim = d;
      }
      return dim >= 0 && constantsBroadcast(op, dim, rank) ? dim : -1;
    }
    if (auto mm = dyn_cast<MatmulOp>(op)) {
      // Batch dims of either side, or the rows of an untransposed lhs; never the contraction.
      Value lhs = mm.getLhs();
      if (batchDim.count(mm.getRhs()) || !batchDim.count(lhs))
        return -1;
      int64_t d = dimOf(lhs), r = rankOf(lhs);
      if (d == r - 1 || (d == r - 2 && mm.getTransposeA()))
        return -1;
      int64_t dim = aligned(d, lhs, rank);
      return dim == rank - 2 || constantsBroadcast(op, dim, rank) ? dim : -1;
    }
    if (auto linear = dyn_cast<LinearOp>(op)) {
      Value x = linear.getInput();
      return batchDim.count(x) && dimOf(x) < rankOf(x) - 1 && !batchDim.count(linear.getWeight())
                 ? dimOf(x)
                 : -1;
    }
    if (auto t = dyn_cast<TransposeOp>(op)) {
      for (auto [j, from] : llvm::enumerate(t.getPermutation()))
        if (from == dimOf(t.getInput()))
          return int64_t(j);
      return -1;
    }
    if (auto r = dyn_cast<ReshapeOp>(op)) {
      // Only dims copied with 0 up to the batch dim keep it where it was.
      int64_t d = dimOf(r.getInput());
      ArrayRef<int64_t> shape = r.getShape();
      if (int64_t(shape.size()) <= d)
        return -1;
      return llvm::all_of(shape.take_front(d + 1), [](int64_t s) { return s == 0; }) ? d : -1;
    }
    // Along another axis than the batch dim (I64Attr getters are unsigned: cast back).
    auto alongOther = [&](Value input, uint64_t axis) {
      int64_t a = int64_t(axis) < 0 ? int64_t(axis) + rank : int64_t(axis);
      return a != dimOf(input) ? dimOf(input) : -1;
    };
    if (auto s = dyn_cast<SoftmaxOp>(op))
      return alongOther(s.getInput(), s.getAxis());
    if (auto s = dyn_cast<LogSoftmaxOp>(op))
      return alongOther(s.getInput(), s.getAxis());
    if (auto s = dyn_cast<SliceOp>(op))
      return alongOther(s.getInput(), s.getAxis());
    if (auto ln = dyn_cast<LayerNormOp>(op)) {
      // It normalizes the dims from its axis on: the batch dim must come before them.
      int64_t axis =
          int64_t(ln.getAxis()) < 0 ? int64_t(ln.getAxis()) + rank : int64_t(ln.getAxis());
      Value x = ln.getInput(), r = ln.getResidual();
      bool rowWise = batchDim.count(x) && dimOf(x) < axis &&
                     (!r || (batchDim.count(r) && dimOf(r) == dimOf(x)));
      return rowWise ? dimOf(x) : -1;
    }
    return -1;
  }

  std::string freshName(unsigned k) {
    llvm::StringSet<> taken;
    for (unsigned o = 0; o < enc.getNumResults(); ++o)
      taken.insert(nameOf(enc.getResultAttrDict(o)));
    for (unsigned a = 0; a < enc.getNumArguments(); ++a)
      taken.insert(nameOf(enc.getArgAttrDict(a)));
    for (unsigned a = 0; a < dec.getNumArguments(); ++a)
      taken.insert(nameOf(dec.getArgAttrDict(a)));
    std::string name = "step_invariant." + std::to_string(k);
    while (taken.contains(name))
      name += "_";
    return name;
  }

  ArrayAttr dimsAttr(Value v, StringRef name) {
    MLIRContext *ctx = v.getContext();
    auto type = cast<RankedTensorType>(v.getType());
    SmallVector<Attribute> dims;
    for (int64_t d = 0; d < type.getRank(); ++d)
      dims.push_back(StringAttr::get(ctx, d == batchDim.lookup(v) ? batchName
                                          : type.isDynamicDim(unsigned(d))
                                              ? (name + "." + std::to_string(d)).str()
                                              : std::to_string(type.getDimSize(unsigned(d)))));
    return ArrayAttr::get(ctx, dims);
  }

  void hoist(ArrayRef<Value> frontier) {
    // What the frontier needs, cloned into encode in decode_step's order.
    llvm::SetVector<Operation *> needed;
    SmallVector<Value> work(frontier.begin(), frontier.end());
    while (!work.empty()) {
      Operation *def = work.pop_back_val().getDefiningOp();
      if (!def || !needed.insert(def))
        continue;
      work.append(def->operand_begin(), def->operand_end());
    }
    auto encReturn = cast<func::ReturnOp>(enc.getBody().front().getTerminator());
    OpBuilder b(encReturn);
    for (Operation &op : dec.getBody().front().without_terminator())
      if (needed.contains(&op))
        b.clone(op, toEncode);

    MLIRContext *ctx = dec.getContext();
    Block &body = dec.getBody().front();
    SmallVector<DictionaryAttr> encResultAttrs, decArgAttrs;
    for (unsigned o = 0; o < enc.getNumResults(); ++o)
      encResultAttrs.push_back(enc.getResultAttrDict(o));
    for (unsigned a = 0; a < dec.getNumArguments(); ++a)
      decArgAttrs.push_back(dec.getArgAttrDict(a));
    for (auto [k, value] : llvm::enumerate(frontier)) {
      std::string name = freshName(unsigned(k));
      NamedAttrList attrs;
      attrs.set("heed.name", StringAttr::get(ctx, name));
      attrs.set("heed.dims", dimsAttr(value, name));
      DictionaryAttr dict = attrs.getDictionary(ctx);
      encReturn->insertOperands(encReturn->getNumOperands(), toEncode.lookup(value));
      encResultAttrs.push_back(dict);
      BlockArgument arg = body.addArgument(value.getType(), value.getLoc());
      Value(value).replaceAllUsesWith(arg);
      decArgAttrs.push_back(dict);
    }
    enc.setType(FunctionType::get(ctx, enc.getArgumentTypes(), encReturn.getOperandTypes()));
    enc.setAllResultAttrs(encResultAttrs);
    dec.setType(FunctionType::get(ctx, body.getArgumentTypes(), dec.getResultTypes()));
    dec.setAllArgAttrs(decArgAttrs);
    // decode_step's copies are dead now (their users read the new inputs).
    SmallVector<Operation *> ops;
    for (Operation &op : body.without_terminator())
      ops.push_back(&op);
    for (Operation *op : llvm::reverse(ops))
      if (op->use_empty() && isMemoryEffectFree(op))
        op->erase();
  }
};

struct HoistStepInvariantsPass
    : mlir::heed::impl::HeedHoistStepInvariantsBase<HoistStepInvariantsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (!module->hasAttr("heed.linked_decoder"))
      return;
    auto enc = module.lookupSymbol<func::FuncOp>("encode");
    auto dec = module.lookupSymbol<func::FuncOp>("decode_step");
    if (enc && dec && !enc.isExternal() && !dec.isExternal())
      Hoister(enc, dec).run();
  }
};

} // namespace
