//===- InferShapes.cpp - Refine heed result types -------------------------===//

#include "dialects/heed/Transforms/Passes.h"

namespace mlir::heed {
#define GEN_PASS_DEF_HEEDINFERSHAPES
#include "dialects/heed/Transforms/Passes.h.inc"
} // namespace mlir::heed

using namespace mlir;
using namespace mlir::heed;

namespace {
/// The more static of two compatible types, or nothing if it adds no dims.
std::optional<Type> refined(Type current, Type inferred) {
  auto cur = dyn_cast<RankedTensorType>(current);
  auto inf = dyn_cast<RankedTensorType>(inferred);
  if (!cur || !inf || cur.getRank() != inf.getRank() ||
      cur.getElementType() != inf.getElementType())
    return std::nullopt;
  SmallVector<int64_t> shape(cur.getShape());
  bool changed = false;
  for (auto [d, dim] : llvm::enumerate(inf.getShape())) {
    if (shape[d] == ShapedType::kDynamic && dim != ShapedType::kDynamic) {
      shape[d] = dim;
      changed = true;
    }
  }
  if (!changed)
    return std::nullopt;
  return RankedTensorType::get(shape, cur.getElementType(), cur.getEncoding());
}

/// Only heed ops accept a refined operand type (they verify by compatibility);
/// func.return, heed.yield and foreign ops need the declared type.
bool onlyHeedUsers(Value value) {
  return llvm::all_of(value.getUsers(), [](Operation *user) {
    return isa_and_nonnull<HeedDialect>(user->getDialect()) && !isa<YieldOp>(user);
  });
}

struct InferShapesPass : mlir::heed::impl::HeedInferShapesBase<InferShapesPass> {
  void runOnOperation() override {
    getOperation().walk([&](InferTypeOpInterface op) {
      if (!isa<HeedDialect>(op->getDialect()))
        return;
      SmallVector<Type> inferred;
      if (failed(op.inferReturnTypes(op->getContext(), op->getLoc(), op->getOperands(),
                                     op->getAttrDictionary(), op->getPropertiesStorage(),
                                     op->getRegions(), inferred)) ||
          inferred.size() != op->getNumResults())
        return;
      for (auto [result, type] : llvm::zip(op->getResults(), inferred))
        if (auto better = refined(result.getType(), type); better && onlyHeedUsers(result))
          result.setType(*better);
    });
  }
};
} // namespace
