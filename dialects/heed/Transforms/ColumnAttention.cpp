//===- ColumnAttention.cpp - Attention weights as a column ----------------===//
//
// The TensorFlow NMT tutorial's Bahdanau attention, and its many PyTorch ports, keep the scores
// as a column [B, L, 1] (a Dense(1) on the last dim, with its bias), take the softmax along the
// keys (axis 1, not the last) and form the context as sum(weights * values, axis=1) instead of
// a matrix product. The rewrites below are identities up to float rounding that bring this
// spelling to the one the fusion patterns match, softmax over the last axis of unshifted
// scores and bmm(weights [B, 1, L], values):
//  - softmax(x + c) == softmax(x) for a finite splat constant c that does not broadcast x (the
//    Dense(1) bias: the same shift of every score), also seen through a reshape; under a
//    masked_fill with a finite fill f, the fill becomes f - c;
//  - a reshape of a masked_fill's result (before its softmax) moves onto its operands;
//  - softmax along axis k of x whose dims after k are all 1 == the same softmax of x with
//    those unit dims dropped (the last axis), reshaped back;
//  - reduce_sum(w * v, axis L) with w [..., L, 1] broadcast over v [..., L, D] ==
//    matmul(w as [..., 1, L], v) [..., 1, D] reshaped to the reduction's result.
//
//===----------------------------------------------------------------------===//

#include "dialects/heed/Transforms/AttentionMatch.h"
#include "dialects/heed/Transforms/Patterns.h"

#include <cmath>

using namespace mlir;
using namespace mlir::heed;

namespace {

/// `n` zeros (ONNX reshape: copy the input dim) followed by `tail`.
SmallVector<int64_t> copyDims(int64_t n, ArrayRef<int64_t> tail) {
  SmallVector<int64_t> shape(size_t(n), 0);
  shape.append(tail.begin(), tail.end());
  return shape;
}

/// Scores shifted by a constant: x + c (or c + x) with a finite splat c that does not broadcast
/// x, under at most one single-use reshape; the add has no other user.
struct ShiftedScores {
  AddOp add;
  Value unshifted;
  double shift;
};
std::optional<ShiftedScores> shiftedScores(Value v) {
  auto reshape = v.getDefiningOp<ReshapeOp>();
  if (reshape && reshape->hasOneUse())
    v = reshape.getInput();
  auto add = v.getDefiningOp<AddOp>();
  if (!add || !add->hasOneUse())
    return std::nullopt;
  for (auto [x, c] : {std::pair{add.getLhs(), add.getRhs()}, {add.getRhs(), add.getLhs()}}) {
    std::optional<double> shift = fusion::splatFloat(c);
    if (shift && std::isfinite(*shift) && x.getType() == add.getType())
      return ShiftedScores{add, x, *shift};
  }
  return std::nullopt;
}

struct SoftmaxOfShiftedScores : OpRewritePattern<SoftmaxOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SoftmaxOp op, PatternRewriter &rewriter) const override {
    std::optional<ShiftedScores> shifted = shiftedScores(op.getInput());
    if (!shifted)
      return failure();
    rewriter.replaceAllUsesWith(shifted->add.getResult(), shifted->unshifted);
    return success();
  }
};

/// The scores of a masked_fill: where(C, f, s) or where(C, s, f) with a finite splat f, and
/// which operand of the where `s` is.
struct FillOfScores {
  WhereOp where;
  double fill;
  unsigned scoresOperand; // 1 (on_true) or 2 (on_false)
};
std::optional<FillOfScores> fillOfScores(Value v) {
  auto where = v.getDefiningOp<WhereOp>();
  if (!where || !where->hasOneUse())
    return std::nullopt;
  for (unsigned scores : {1u, 2u}) {
    std::optional<double> fill = fusion::splatFloat(where->getOperand(3 - scores));
    if (fill && std::isfinite(*fill) && where->getOperand(scores).getType() == where.getType())
      return FillOfScores{where, *fill, scores};
  }
  return std::nullopt;
}

/// softmax(masked_fill(s + c, C, f)) == softmax(masked_fill(s, C, f - c)) for finite splats c
/// and f: every score, the filled ones included, moves by the same -c (the Keras Bahdanau port
/// masks after its Dense(1) bias). A reshape may sit between the add and the where.
struct FillOfShiftedScores : OpRewritePattern<SoftmaxOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SoftmaxOp op, PatternRewriter &rewriter) const override {
    std::optional<FillOfScores> f = fillOfScores(op.getInput());
    if (!f)
      return failure();
    std::optional<ShiftedScores> shifted = shiftedScores(f->where->getOperand(f->scoresOperand));
    if (!shifted)
      return failure();
    Value fillValue = f->where->getOperand(3 - f->scoresOperand);
    rewriter.setInsertionPoint(f->where);
    Value moved =
        ConstantOp::create(rewriter, f->where.getLoc(),
                           DenseElementsAttr::get(cast<RankedTensorType>(fillValue.getType()),
                                                  APFloat(float(f->fill - shifted->shift))));
    rewriter.modifyOpInPlace(f->where, [&] { f->where->setOperand(3 - f->scoresOperand, moved); });
    rewriter.replaceAllUsesWith(shifted->add.getResult(), shifted->unshifted);
    return success();
  }
};

/// reshape(masked_fill(s, C, f)) -> masked_fill(reshape(s), reshape(C), f) when C and s have
/// the where's shape: the reshape then sits on the scores, where the patterns above and the
/// fusions look for it.
struct ReshapeIntoFill : OpRewritePattern<ReshapeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ReshapeOp op, PatternRewriter &rewriter) const override {
    std::optional<FillOfScores> f = fillOfScores(op.getInput());
    if (!f || !op->hasOneUse() || !isa<SoftmaxOp>(*op->getUsers().begin()))
      return failure();
    Value condition = f->where.getCondition();
    auto conditionType = dyn_cast<RankedTensorType>(condition.getType());
    auto whereType = cast<RankedTensorType>(f->where.getType());
    if (!conditionType || conditionType.getShape() != whereType.getShape())
      return failure();
    Location loc = op.getLoc();
    auto resultType = cast<RankedTensorType>(op.getType());
    Value c = ReshapeOp::create(
        rewriter, loc, RankedTensorType::get(resultType.getShape(), conditionType.getElementType()),
        condition, op.getShapeAttr());
    Value s = ReshapeOp::create(rewriter, loc, resultType, f->where->getOperand(f->scoresOperand),
                                op.getShapeAttr());
    Value fill = f->where->getOperand(3 - f->scoresOperand);
    rewriter.replaceOpWithNewOp<WhereOp>(op, resultType, c, f->scoresOperand == 1 ? s : fill,
                                         f->scoresOperand == 1 ? fill : s);
    return success();
  }
};

struct SoftmaxOverUnitTail : OpRewritePattern<SoftmaxOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SoftmaxOp op, PatternRewriter &rewriter) const override {
    auto type = dyn_cast<RankedTensorType>(op.getType());
    if (!type)
      return failure();
    int64_t rank = type.getRank(), axis = int64_t(op.getAxis());
    if (axis < 0)
      axis += rank;
    if (axis < 0 || axis >= rank - 1 ||
        llvm::any_of(type.getShape().drop_front(axis + 1), [](int64_t d) { return d != 1; }))
      return failure();
    Location loc = op.getLoc();
    auto flatType = RankedTensorType::get(type.getShape().take_front(axis + 1),
                                          type.getElementType(), type.getEncoding());
    Value flat = ReshapeOp::create(rewriter, loc, flatType, op.getInput(),
                                   rewriter.getDenseI64ArrayAttr(copyDims(axis + 1, {})));
    Value softmax =
        SoftmaxOp::create(rewriter, loc, flatType, flat, rewriter.getI64IntegerAttr(axis));
    SmallVector<int64_t> ones(size_t(rank - 1 - axis), 1);
    rewriter.replaceOpWithNewOp<ReshapeOp>(op, type, softmax,
                                           rewriter.getDenseI64ArrayAttr(copyDims(axis + 1, ones)));
    return success();
  }
};

struct WeightedSumAsMatmul : OpRewritePattern<ReduceOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ReduceOp op, PatternRewriter &rewriter) const override {
    auto mul = op.getInput().getDefiningOp<MulOp>();
    auto type = dyn_cast<RankedTensorType>(op.getInput().getType());
    if (op.getKind() != ReduceKind::sum || !mul || !type || type.getRank() < 2 ||
        op.getAxes().size() != 1 || !isa<FloatType>(type.getElementType()))
      return failure();
    int64_t rank = type.getRank(), axis = op.getAxes()[0];
    if (axis < 0)
      axis += rank;
    if (axis != rank - 2)
      return failure();
    for (auto [w, v] : {std::pair{mul.getLhs(), mul.getRhs()}, {mul.getRhs(), mul.getLhs()}}) {
      auto wt = dyn_cast<RankedTensorType>(w.getType());
      auto vt = dyn_cast<RankedTensorType>(v.getType());
      // w [..., L, 1] against v [..., L, D] of the product's own shape, D not itself 1: w's L
      // is v's (a dynamic one is checked by the matmul when it runs); its batch dims are v's or
      // 1, which the matmul broadcasts as the product did.
      if (!wt || !vt || wt.getRank() != rank || vt != type || wt.getDimSize(rank - 1) != 1 ||
          type.getDimSize(rank - 1) == 1 || wt.getDimSize(rank - 2) != type.getDimSize(rank - 2))
        continue;
      bool batchOk = true;
      for (int64_t d = 0; d < rank - 2; ++d)
        batchOk &= wt.getDimSize(d) == type.getDimSize(d) || wt.getDimSize(d) == 1;
      if (!batchOk)
        continue;
      Location loc = op.getLoc();
      Value row = ReshapeOp::create(rewriter, loc, w, copyDims(rank - 2, {1, -1}));
      SmallVector<int64_t> productShape(type.getShape());
      productShape[size_t(rank - 2)] = 1;
      Value product = MatmulOp::create(
          rewriter, loc, RankedTensorType::get(productShape, type.getElementType()), row, v,
          /*transpose_a=*/false, /*transpose_b=*/false);
      auto resultType = cast<RankedTensorType>(op.getType());
      SmallVector<int64_t> shape = op.getKeepDims() ? copyDims(rank, {}) : copyDims(rank - 2, {-1});
      rewriter.replaceOpWithNewOp<ReshapeOp>(op, resultType, product,
                                             rewriter.getDenseI64ArrayAttr(shape));
      return success();
    }
    return failure();
  }
};

} // namespace

void heed::populateColumnAttentionPatterns(RewritePatternSet &patterns) {
  patterns.add<SoftmaxOfShiftedScores, FillOfShiftedScores, ReshapeIntoFill, SoftmaxOverUnitTail,
               WeightedSumAsMatmul>(patterns.getContext());
}
