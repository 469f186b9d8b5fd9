//===- FuseResidualNorm.cpp - A residual add into the layer norm reading it -===//
//
// A post-norm Transformer layer (nn.TransformerEncoderLayer's default, BERT)
// exports norm(x + sublayer(x)) as Add then LayerNormalization: one pass
// writes the [rows, d] sum, the next reads it back. heed.layer_norm's
// `residual` operand sums the two rows as the kernel reads them. Only when
// the layer norm is the sum's one reader: a pre-norm layer reads the sum again
// as its next residual, which would then be computed twice.
//
//===----------------------------------------------------------------------===//

#include "dialects/heed/Transforms/Passes.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::heed {
#define GEN_PASS_DEF_HEEDFUSERESIDUALNORM
#include "dialects/heed/Transforms/Passes.h.inc"
} // namespace mlir::heed

using namespace mlir;
using namespace mlir::heed;

namespace {

/// layer_norm(add(x, r)), both operands of the sum's own type, the sum read only here ->
/// layer_norm(x) residual r.
struct AddIntoLayerNorm : OpRewritePattern<LayerNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LayerNormOp norm, PatternRewriter &rewriter) const override {
    auto add = norm.getInput().getDefiningOp<AddOp>();
    if (norm.getResidual() || !add || !add->hasOneUse())
      return failure();
    Type type = add.getType();
    if (add.getLhs().getType() != type || add.getRhs().getType() != type)
      return failure(); // a broadcasting add: the kernel sums rows of equal shape only
    rewriter.modifyOpInPlace(norm, [&] {
      norm.getInputMutable().assign(add.getLhs());
      norm.getResidualMutable().assign(add.getRhs());
    });
    rewriter.eraseOp(add);
    return success();
  }
};

struct FuseResidualNormPass : heed::impl::HeedFuseResidualNormBase<FuseResidualNormPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<AddIntoLayerNorm>(&getContext());
    (void)applyPatternsGreedily(getOperation(), std::move(patterns));
  }
};

} // namespace
