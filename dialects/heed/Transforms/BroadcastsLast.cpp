//===- BroadcastsLast.cpp - Elementwise ops before the broadcast they read ===//
//
// Hugging Face's _expand_mask expands the [B, S] padding mask to [B, 1, T, S]
// first and then converts it (to float, 1 - m, masked_fill with finfo.min):
// five passes over T times more elements than the mask has, and an expanded
// operand the attention must read. An elementwise op whose operands are all
// broadcasts to one shape (or scalars) gives the same values when it runs on
// the broadcasts' inputs and its result is broadcast instead:
//   op(broadcast(x, like), c) -> broadcast(op(x, c), like)
// so the conversion runs on [B, 1, 1, S] and the expand ends up last, where
// the attention fusion drops it when its sizes are the scores'.
//
//===----------------------------------------------------------------------===//

#include "dialects/heed/Transforms/AttentionMatch.h"
#include "dialects/heed/Transforms/Patterns.h"

using namespace mlir;
using namespace mlir::heed;

namespace {

bool isElementwise(Operation *op) {
  return op->hasTrait<OpTrait::Elementwise>() ||
         isa<AddOp, SubOp, MulOp, DivOp, MaxOp, MinOp, PowOp, AndOp, OrOp, CompareOp, WhereOp>(op);
}

struct ElementwiseBeforeBroadcast : RewritePattern {
  ElementwiseBeforeBroadcast(MLIRContext *context)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, context) {}

  LogicalResult matchAndRewrite(Operation *op, PatternRewriter &rewriter) const override {
    if (op->getNumResults() != 1 || op->getNumRegions() != 0 || !isElementwise(op))
      return failure();
    auto resultType = dyn_cast<RankedTensorType>(op->getResult(0).getType());
    if (!resultType)
      return failure();
    // Every operand is a broadcast of the same shape to the same `like`, or a scalar.
    Value like;
    RankedTensorType inputType;
    SmallVector<Value> operands;
    for (Value operand : op->getOperands()) {
      auto broadcast = operand.getDefiningOp<BroadcastOp>();
      if (!broadcast) {
        operands.push_back(operand);
        continue;
      }
      auto type = cast<RankedTensorType>(broadcast.getInput().getType());
      if (like && (broadcast.getLike() != like || type.getShape() != inputType.getShape()))
        return failure();
      like = broadcast.getLike();
      inputType = type;
      operands.push_back(broadcast.getInput());
    }
    if (!like || inputType.getRank() != resultType.getRank())
      return failure();
    for (auto [operand, original] : llvm::zip(operands, op->getOperands()))
      if (operand == original && !fusion::isScalarLike(operand, op->getResult(0)))
        return failure();
    OperationState state(op->getLoc(), op->getName(), operands,
                         {inputType.clone(resultType.getElementType())}, op->getAttrs());
    Operation *inner = rewriter.create(state);
    rewriter.replaceOpWithNewOp<BroadcastOp>(op, resultType, inner->getResult(0), like);
    return success();
  }
};

} // namespace

void heed::populateBroadcastsLastPatterns(RewritePatternSet &patterns) {
  patterns.add<ElementwiseBeforeBroadcast>(patterns.getContext());
}
