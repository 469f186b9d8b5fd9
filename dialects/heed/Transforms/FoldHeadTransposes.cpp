//===- FoldHeadTransposes.cpp - Seq-first head layouts into num_heads ------===//
//
// nn.MultiheadAttention (also with batch_first, and inside the Transformer
// layers) computes in the sequence-first layout: x [B, L, E] is transposed to
// [L, B, E], projected, split into heads as view(L, B*H, D).transpose(0, 1),
// attended as B*H batches, merged back with transpose(0, 1).view(L, B, E),
// projected and transposed back to [B, L, E]. The exported graph copies every
// activation tensor at each of those transposes. Two rewrites remove them:
//  - heed.attention (num_heads = 0) on three such head splits whose output
//    feeds such a merge -> heed.attention with num_heads = H on the [B, L, E]
//    projections (transposed back from [L, B, E]), its output transposed to
//    [L, B, E] for the merge's users; a [B*H, Lq, Lk] mask becomes
//    [B, H, Lq, Lk] (row b*H + h is batch b, head h);
//  - transpose(linear(transpose(x, p)), p^-1) -> linear(x) for permutations
//    that keep the last dim: a linear maps each row on its own, so it
//    commutes with any reordering of the rows, and the transposes the first
//    rewrite adds cancel with those of the export.
// Both are exact: the same dot products, in the same order, read elsewhere.
//
//===----------------------------------------------------------------------===//

#include "dialects/heed/Transforms/AttentionMatch.h"
#include "dialects/heed/Transforms/Passes.h"
#include "dialects/heed/Transforms/Patterns.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::heed {
#define GEN_PASS_DEF_HEEDFOLDHEADTRANSPOSES
#include "dialects/heed/Transforms/Passes.h.inc"
} // namespace mlir::heed

using namespace mlir;
using namespace mlir::heed;
using fusion::headMerge;
using fusion::keepsDim;

namespace {

constexpr int64_t kSwapFirstTwo[] = {1, 0, 2};

bool swapsFirstTwo(TransposeOp transpose) {
  return transpose.getPermutation() == ArrayRef<int64_t>(kSwapFirstTwo);
}

/// [L, B, H*D] -> reshape [L, B*H, D] -> transpose [1, 0, 2]: the seq-first head split; its
/// [L, B, H*D] input and H, or nothing. Row-major order maps (l, b, h*D + d) to
/// (l, b*H + h, d): batch b*H + h of the split is head h of batch b.
std::pair<Value, int64_t> seqFirstSplit(Value value) {
  auto transpose = value.getDefiningOp<TransposeOp>();
  if (!transpose || !swapsFirstTwo(transpose))
    return {};
  auto reshape = transpose.getInput().getDefiningOp<ReshapeOp>();
  if (!reshape)
    return {};
  auto in = reshape.getInput().getType(), out = reshape.getType();
  if (in.getRank() != 3 || out.getRank() != 3 || in.isDynamicDim(2) || out.isDynamicDim(2) ||
      out.getDimSize(2) <= 0 || in.getDimSize(2) % out.getDimSize(2) != 0 ||
      !keepsDim(reshape, 0, 0))
    return {};
  return {reshape.getInput(), in.getDimSize(2) / out.getDimSize(2)};
}

/// o [B*H, L, Dv] -> transpose [1, 0, 2] -> reshape [L, B, H*Dv]: the merge reshape, or null.
ReshapeOp seqFirstMerge(Value value, int64_t heads) {
  if (!value.hasOneUse())
    return {};
  auto transpose = dyn_cast<TransposeOp>(*value.getUsers().begin());
  if (!transpose || !swapsFirstTwo(transpose) || !transpose.getResult().hasOneUse())
    return {};
  auto reshape = dyn_cast<ReshapeOp>(*transpose.getResult().getUsers().begin());
  if (!reshape)
    return {};
  auto in = reshape.getInput().getType(), out = reshape.getType();
  if (out.getRank() != 3 || in.isDynamicDim(2) || out.isDynamicDim(2) ||
      out.getDimSize(2) != heads * in.getDimSize(2) || !keepsDim(reshape, 0, 0))
    return {};
  return reshape;
}

/// The [B*H, Mq, Mk] mask of the split batches as [B, H, Mq, Mk] (a mask of rank 2 or less
/// broadcasts the same way in both layouts). A mask that broadcasts along the batches is
/// expanded to B*H rows first; B is dim 0 of `query`, the new [B, L, E] query (reading it from
/// the split query would keep the projection's seq-first result alive).
Value headsMask(PatternRewriter &rewriter, Location loc, Value mask, Value query, int64_t heads) {
  auto type = cast<RankedTensorType>(mask.getType());
  if (type.getRank() < 3)
    return mask;
  auto index = [&](int64_t v) { return arith::ConstantIndexOp::create(rewriter, loc, v); };
  auto dim = [&](Value v, int64_t d) -> Value {
    auto t = cast<RankedTensorType>(v.getType());
    if (!t.isDynamicDim(d))
      return index(t.getDimSize(d));
    return DimOp::create(rewriter, loc, rewriter.getIndexType(), v, rewriter.getI64IntegerAttr(d));
  };
  SmallVector<Value> shape{index(-1), index(heads), dim(mask, 1), dim(mask, 2)};
  if (type.getDimSize(0) == 1) {
    shape[0] = index(1);
    shape[1] = index(1);
  } else {
    // Rows of the split batches: B*H.
    auto queryType = cast<RankedTensorType>(query.getType());
    int64_t batch = queryType.getDimSize(0);
    auto likeType = RankedTensorType::get(
        {ShapedType::isDynamic(batch) ? batch : batch * heads, 1, 1}, rewriter.getI1Type());
    SmallVector<Value> dynamic;
    if (likeType.isDynamicDim(0))
      dynamic.push_back(arith::MulIOp::create(rewriter, loc, dim(query, 0), index(heads)));
    Value like = FullOp::create(rewriter, loc, likeType, rewriter.getBoolAttr(false), dynamic);
    mask = BroadcastOp::create(rewriter, loc, mask, like);
  }
  return ReshapeDynamicOp::create(rewriter, loc, mask, shape, /*allowzero=*/false);
}

/// heed.attention on seq-first head splits, merged back -> heed.attention with num_heads.
struct SeqFirstHeadsIntoAttention : OpRewritePattern<AttentionOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AttentionOp att, PatternRewriter &rewriter) const override {
    if (att.getNumHeads() != 0 || att.getWeights() ||
        bitEnumContainsAny(att.getMaskKind(), MaskKind::lengths))
      return failure();
    auto [q, hq] = seqFirstSplit(att.getQuery());
    auto [k, hk] = seqFirstSplit(att.getKey());
    auto [v, hv] = seqFirstSplit(att.getValue());
    if (!q || !k || !v || hq != hk || hk != hv)
      return failure();
    ReshapeOp merge = seqFirstMerge(att.getOutput(), hq);
    if (!merge)
      return failure();
    Location loc = att.getLoc();
    rewriter.setInsertionPoint(merge);
    auto batchFirst = [&](Value x) -> Value {
      return TransposeOp::create(rewriter, loc, x, ArrayRef<int64_t>(kSwapFirstTwo));
    };
    SmallVector<Value> operands{batchFirst(q), batchFirst(k), batchFirst(v)};
    if (Value mask = att.getMask())
      operands.push_back(headsMask(rewriter, loc, mask, operands[0], hq));
    SmallVector<NamedAttribute> attrs(att->getAttrs());
    llvm::erase_if(attrs, [](NamedAttribute a) { return a.getName() == "num_heads"; });
    attrs.push_back(rewriter.getNamedAttr("num_heads", rewriter.getI64IntegerAttr(hq)));
    auto fused = AttentionOp::create(rewriter, loc, operands, attrs);
    Value out = TransposeOp::create(rewriter, loc, merge.getType(), fused.getOutput(),
                                    ArrayRef<int64_t>(kSwapFirstTwo));
    rewriter.replaceOp(merge, out);
    return success();
  }
};

/// [B, L, H, D] -> transpose [0, 2, 1, 3] with H and D static: the transpose, else null.
TransposeOp batchFirstSplit(Value value) {
  auto transpose = value.getDefiningOp<TransposeOp>();
  if (!transpose || transpose.getPermutation() != ArrayRef<int64_t>{0, 2, 1, 3})
    return {};
  auto in = transpose.getInput().getType();
  return in.isDynamicDim(2) || in.isDynamicDim(3) ? TransposeOp() : transpose;
}

/// The [B, L, H*D] form of a [B, L, H, D] tensor: what it was split from, or a reshape.
Value mergedHeads(PatternRewriter &rewriter, Location loc, Value heads) {
  auto type = cast<RankedTensorType>(heads.getType());
  if (auto split = heads.getDefiningOp<ReshapeOp>())
    if (split.getInput().getType().getRank() == 3 && keepsDim(split, 0, 0) && keepsDim(split, 1, 1))
      return split.getInput();
  auto flat = RankedTensorType::get(
      {type.getDimSize(0), type.getDimSize(1), type.getDimSize(2) * type.getDimSize(3)},
      type.getElementType());
  return ReshapeOp::create(rewriter, loc, flat, heads, ArrayRef<int64_t>{0, 0, -1});
}

/// heed.attention (num_heads = 0) on [B, L, H, D] tensors transposed to heads-first, its output
/// merged back -> heed.attention with num_heads (and num_kv_heads for grouped keys). The
/// fusion does this for the head splits it sees; this one also takes heads that something
/// computed after the split (heed-fuse-rotary's rotary, which moves the transpose past it).
struct BatchFirstHeadsIntoAttention : OpRewritePattern<AttentionOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AttentionOp att, PatternRewriter &rewriter) const override {
    if (att.getNumHeads() != 0 || att.getWeights())
      return failure();
    TransposeOp q = batchFirstSplit(att.getQuery()), k = batchFirstSplit(att.getKey()),
                v = batchFirstSplit(att.getValue());
    if (!q || !k || !v)
      return failure();
    int64_t hq = q.getInput().getType().getDimSize(2), hk = k.getInput().getType().getDimSize(2);
    if (hk != v.getInput().getType().getDimSize(2) || hq % hk != 0)
      return failure();
    ReshapeOp merge = headMerge(att.getOutput());
    if (!merge)
      return failure();
    Location loc = att.getLoc();
    rewriter.setInsertionPoint(merge);
    SmallVector<Value> operands{mergedHeads(rewriter, loc, q.getInput()),
                                mergedHeads(rewriter, loc, k.getInput()),
                                mergedHeads(rewriter, loc, v.getInput())};
    if (Value mask = att.getMask())
      operands.push_back(mask); // [B, H, Lq, Lk] scores in both layouts
    SmallVector<NamedAttribute> attrs(att->getAttrs());
    llvm::erase_if(attrs, [](NamedAttribute a) {
      return a.getName() == "num_heads" || a.getName() == "num_kv_heads";
    });
    attrs.push_back(rewriter.getNamedAttr("num_heads", rewriter.getI64IntegerAttr(hq)));
    if (hk != hq)
      attrs.push_back(rewriter.getNamedAttr("num_kv_heads", rewriter.getI64IntegerAttr(hk)));
    auto fused = AttentionOp::create(rewriter, loc, TypeRange{merge.getType()}, operands, attrs);
    rewriter.replaceOp(merge, fused.getOutput());
    return success();
  }
};

/// transpose(linear(transpose(x, p)), q) with q o p the identity and both keeping the last
/// dim -> linear(x).
struct LinearBetweenInverseTransposes : OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TransposeOp outer, PatternRewriter &rewriter) const override {
    auto linear = outer.getInput().getDefiningOp<LinearOp>();
    if (!linear || !linear.getResult().hasOneUse())
      return failure();
    auto inner = linear.getInput().getDefiningOp<TransposeOp>();
    if (!inner)
      return failure();
    ArrayRef<int64_t> p = inner.getPermutation(), q = outer.getPermutation();
    int64_t rank = static_cast<int64_t>(p.size());
    if (rank == 0 || static_cast<int64_t>(q.size()) != rank || p.back() != rank - 1)
      return failure();
    // Result dim i of the outer transpose is dim p[q[i]] of x.
    for (int64_t i = 0; i < rank; ++i)
      if (q[i] < 0 || q[i] >= rank || p[q[i]] != i)
        return failure();
    rewriter.replaceOpWithNewOp<LinearOp>(outer, outer.getType(), inner.getInput(),
                                          linear.getWeight(), linear.getBias(),
                                          linear.getTransposeWeight(), linear.getActivation());
    rewriter.eraseOp(linear);
    return success();
  }
};

struct FoldHeadTransposesPass : heed::impl::HeedFoldHeadTransposesBase<FoldHeadTransposesPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateFoldHeadTransposesPatterns(patterns);
    // Every rewrite is sound on its own, so stopping short of a fixpoint
    // (the driver's iteration limit) leaves valid, partly rewritten IR.
    (void)applyPatternsGreedily(getOperation(), std::move(patterns));
  }
};
} // namespace

void heed::populateFoldHeadTransposesPatterns(RewritePatternSet &patterns) {
  patterns.add<SeqFirstHeadsIntoAttention, BatchFirstHeadsIntoAttention,
               LinearBetweenInverseTransposes>(patterns.getContext());
}
