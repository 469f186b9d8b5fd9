//===- BatchMerges.cpp - Attention on heads merged into the batch ---------===//
//
// Hugging Face's BART attention, copied by Marian, mBART, Pegasus, M2M100 and
// NLLB, computes on [B * H, L, D] views:
//   q, k, v = view(B * H, -1, D) of the [B, H, L, D] heads;
//   w = bmm(q, k^T).view(B, H, Lq, Lk) + mask; w = w.view(B * H, Lq, Lk)
//   o = bmm(softmax(w), v).view(B, H, Lq, D)
// The merged batch hides the heads from the fusion. Four rewrites give it the
// [B, H, ...] form the fusion matches (then the heads fold into num_heads):
//  - split(bmm(merge(a), merge(b))) -> matmul(a, b): a batched product of two
//    merges of the same [B, H] split back into [B, H] is the 4-D product;
//  - softmax(reshape(y)) -> reshape(softmax(y)) for a reshape that keeps the
//    last dim (rows are regrouped, not changed);
//  - a comparison of a tensor's size with a negative constant folds (torch's
//    expand() exports `size == -1 ? 1 : size`), so masks built by expand()
//    show where their sizes come from;
//  - a size read from a tensor is read from where it comes from (dimOrigin),
//    so that `k.size(1)` does not count as a second reader of k's projection.
// Every size the rewrites rely on is proven (isSizeOf), never assumed.
//
//===----------------------------------------------------------------------===//

#include "dialects/heed/IR/ShapeInference.h"
#include "dialects/heed/Transforms/AttentionMatch.h"
#include "dialects/heed/Transforms/Patterns.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace mlir::heed;
using fusion::isSizeOf;
using fusion::mergedLeading;
using fusion::reshapeTarget;
using fusion::TargetDim;

namespace {

/// split(matmul(merge(a), merge(b))) with the split [s0, s1, M, N] giving back the [B, H] that
/// both merges merged -> matmul(a, b).
struct SplitOfMergedMatmul : RewritePattern {
  explicit SplitOfMergedMatmul(MLIRContext *context)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, context) {}
  LogicalResult matchAndRewrite(Operation *op, PatternRewriter &rewriter) const override {
    if (!isa<ReshapeOp, ReshapeDynamicOp>(op))
      return failure();
    Value split = op->getResult(0);
    auto target = reshapeTarget(split);
    auto matmul = target ? target->first.getDefiningOp<MatmulOp>() : MatmulOp();
    if (!matmul || matmul.getType().getRank() != 3 || target->second.size() != 4)
      return failure();
    Value a = mergedLeading(matmul.getLhs()), b = mergedLeading(matmul.getRhs());
    if (!a || !b || cast<RankedTensorType>(a.getType()).getRank() != 4 ||
        cast<RankedTensorType>(b.getType()).getRank() != 4)
      return failure();
    ArrayRef<TargetDim> dims = target->second;
    for (int64_t d : {0, 1})
      if (!dims[d].isSizeOf(a, d) || !dims[d].isSizeOf(b, d))
        return failure();
    // M from a's rows, N from b's columns (one of them may be inferred).
    bool ta = matmul.getTransposeA(), tb = matmul.getTransposeB();
    bool m = dims[2].isSizeOf(a, ta ? 3 : 2), n = dims[3].isSizeOf(b, tb ? 2 : 3);
    if (!(m && n) && !(m && dims[3].isInferred()) && !(n && dims[2].isInferred()))
      return failure();
    auto at = cast<RankedTensorType>(a.getType()), bt = cast<RankedTensorType>(b.getType());
    auto shape = [](RankedTensorType t, int64_t d) { return t.getDimSize(d); };
    SmallVector<int64_t> product{at.isDynamicDim(0) ? shape(bt, 0) : shape(at, 0),
                                 at.isDynamicDim(1) ? shape(bt, 1) : shape(at, 1),
                                 shape(at, ta ? 3 : 2), shape(bt, tb ? 2 : 3)};
    auto type = RankedTensorType::get(product, at.getElementType());
    // The split's declared type, where the product's is as static (else the product's, which
    // every reader accepts: heed ops infer their shapes).
    if (!isRefinementOf(TypeRange{type}, TypeRange{split.getType()}))
      return failure();
    rewriter.replaceOpWithNewOp<MatmulOp>(op, split.getType(), a, b, ta, tb);
    return success();
  }
};

/// Whether `value` is a matmul of `rank` with masks (adds, subtractions, products, wheres)
/// applied: the scores the attention fusion reads. Only those softmaxes move: a split of
/// scores that SplitOfMergedMatmul cannot undo (Swin's windows) is for MaskAddedAcrossReshape.
bool maskedProduct(Value value, int64_t rank) {
  for (int depth = 0; depth < 4; ++depth) {
    Operation *def = value.getDefiningOp();
    if (auto matmul = dyn_cast_or_null<MatmulOp>(def))
      return matmul.getType().getRank() == rank;
    if (!isa_and_nonnull<AddOp, SubOp, MulOp, DivOp, WhereOp>(def))
      return false;
    // The operand of the result's shape and rank that leads to the product.
    auto next = llvm::find_if(def->getOperands(), [&](Value operand) {
      auto t = cast<RankedTensorType>(operand.getType());
      return t.getRank() == rank && isa_and_nonnull<MatmulOp, AddOp, SubOp, MulOp, DivOp, WhereOp>(
                                        operand.getDefiningOp());
    });
    if (next == def->getOperands().end())
      return false;
    value = *next;
  }
  return false;
}

/// softmax(reshape(y)) over the last dim, the reshape keeping it -> reshape(softmax(y)): the
/// reshape only regroups whole rows.
struct SoftmaxBeforeReshape : OpRewritePattern<SoftmaxOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SoftmaxOp softmax, PatternRewriter &rewriter) const override {
    Operation *reshape = softmax.getInput().getDefiningOp();
    auto target = reshapeTarget(softmax.getInput());
    int64_t rank = softmax.getType().getRank();
    if (!target || !reshape->hasOneUse() || rank == 0 ||
        shape::normalizeAxis(softmax.getAxisAttr().getInt(), rank) != rank - 1)
      return failure();
    Value y = target->first;
    int64_t yRank = cast<RankedTensorType>(y.getType()).getRank();
    if (yRank == 0 || !target->second.back().isSizeOf(y, yRank - 1) || !maskedProduct(y, yRank))
      return failure();
    rewriter.setInsertionPoint(reshape);
    Value inner = SoftmaxOp::create(rewriter, softmax.getLoc(), y.getType(), y,
                                    rewriter.getI64IntegerAttr(yRank - 1));
    rewriter.modifyOpInPlace(reshape, [&] { reshape->setOperand(0, inner); });
    rewriter.replaceOp(softmax, reshape->getResult(0));
    return success();
  }
};

/// cmpi(eq | ne, heed.dim, c) with c < 0 -> false | true: a size is never negative.
struct SizeComparedWithNegative : OpRewritePattern<arith::CmpIOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(arith::CmpIOp cmp, PatternRewriter &rewriter) const override {
    APInt c;
    if ((cmp.getPredicate() != arith::CmpIPredicate::eq &&
         cmp.getPredicate() != arith::CmpIPredicate::ne) ||
        !cmp.getLhs().getDefiningOp<DimOp>() || !matchPattern(cmp.getRhs(), m_ConstantInt(&c)) ||
        !c.isNegative())
      return failure();
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(
        cmp, rewriter.getBoolAttr(cmp.getPredicate() == arith::CmpIPredicate::ne));
    return success();
  }
};

/// heed.dim(t, a) -> heed.dim(u, b) where dim a of t provably comes from dim b of u
/// (dimOrigin): the size no longer keeps t's producer read by a second user (torch computes
/// src_len = k.size(1) from the heads it splits, which would stop the fusions that need the
/// projection read once).
struct DimFromOrigin : OpRewritePattern<DimOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DimOp dim, PatternRewriter &rewriter) const override {
    auto type = dim.getInput().getType();
    auto axis = shape::normalizeAxis(dim.getDim(), type.getRank());
    if (!axis || !type.isDynamicDim(*axis))
      return failure();
    fusion::DimSource origin = fusion::dimOrigin(dim.getInput(), *axis);
    if (origin.tensor == dim.getInput())
      return failure();
    rewriter.replaceOpWithNewOp<DimOp>(dim, rewriter.getIndexType(), origin.tensor,
                                       rewriter.getI64IntegerAttr(origin.axis));
    return success();
  }
};

} // namespace

void heed::populateBatchMergePatterns(RewritePatternSet &patterns) {
  patterns.add<SplitOfMergedMatmul, SoftmaxBeforeReshape, SizeComparedWithNegative, DimFromOrigin>(
      patterns.getContext());
}
