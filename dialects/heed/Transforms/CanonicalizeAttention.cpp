//===- CanonicalizeAttention.cpp - Exporter spellings -> one form ----------===//
//
// Each pattern is an identity up to float rounding:
//  - x / c -> x * (1/c) for a splat float constant c;
//  - matmul(x * c, y) -> matmul(x, y) * c (scale on Q or K moves onto the
//    scores), and (x * c1) * c2 -> x * (c1 c2), for scalar-like constants;
//  - transpose(transpose(x, p), q) -> transpose(x, p o q);
//  - matmul(a, transpose(x, p)) -> matmul(a, x', transpose_b) where p swaps
//    the last two dims of an identity or of the head split [0, 2, 1, 3];
//  - mean/sub/pow/mean/add/sqrt/div -> heed.layer_norm (+ scale, bias);
//  - x * 0.5 * (1 + erf(x / sqrt 2)) -> heed.gelu;
//  - pow(c1, c2) of scalar constants -> the constant (a scale d ** -0.5);
//  - softmax(reshape(reshape(s) + m)) -> softmax(s + reshape(broadcast(m))) when the outer
//    reshape gives back the shape of s (Swin's shifted-window mask);
//  - s - b -> s + (-b) before a softmax (ALiBi's bias);
//  - column-shaped attention weights -> row form (ColumnAttention.cpp).
// Multiplications by 1 fold away through heed.mul's folder.
//
//===----------------------------------------------------------------------===//

#include "dialects/heed/Transforms/AttentionMatch.h"
#include "dialects/heed/Transforms/Passes.h"
#include "dialects/heed/Transforms/Patterns.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

namespace mlir::heed {
#define GEN_PASS_DEF_HEEDCANONICALIZEATTENTION
#include "dialects/heed/Transforms/Passes.h.inc"
} // namespace mlir::heed

using namespace mlir;
using namespace mlir::heed;
using namespace mlir::heed::fusion;

namespace {
/// A splat constant of `type` holding `value`.
Value splatOf(PatternRewriter &rewriter, Location loc, RankedTensorType type, double value) {
  auto element = cast<FloatType>(type.getElementType());
  bool losesInfo;
  APFloat converted(value);
  converted.convert(element.getFloatSemantics(), APFloat::rmNearestTiesToEven, &losesInfo);
  return ConstantOp::create(rewriter, loc, DenseElementsAttr::get(type, converted));
}

/// A splat constant shaped like `like` holding `value`.
Value splatLike(PatternRewriter &rewriter, Location loc, Value like, double value) {
  return splatOf(rewriter, loc, cast<RankedTensorType>(like.getType()), value);
}

bool isScalarConstant(Value c, Value other) { return splatFloat(c) && isScalarLike(c, other); }

/// pow(c1, c2) of float scalar constants -> the constant: q.size(-1) ** -0.5 exports as
/// Pow(Cast(64), -0.5), which must read as a constant scale. Computed as the CPU kernel computes
/// it (powf for f32), so folding changes no bit.
struct ConstantPow : OpRewritePattern<PowOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(PowOp pow, PatternRewriter &rewriter) const override {
    std::optional<double> x = splatFloat(pow.getLhs()), z = splatFloat(pow.getRhs());
    auto type = cast<RankedTensorType>(pow.getType());
    if (!x || !z || !type.hasStaticShape())
      return failure();
    double value =
        type.getElementType().isF32() ? double(std::pow(float(*x), float(*z))) : std::pow(*x, *z);
    rewriter.replaceOp(pow, splatOf(rewriter, pow.getLoc(), type, value));
    return success();
  }
};

struct DivByConstant : OpRewritePattern<DivOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DivOp div, PatternRewriter &rewriter) const override {
    std::optional<double> c = splatFloat(div.getRhs());
    if (!c || *c == 0 || !std::isfinite(*c) || !isScalarLike(div.getRhs(), div.getLhs()))
      return failure();
    Value reciprocal = splatLike(rewriter, div.getLoc(), div.getRhs(), 1.0 / *c);
    rewriter.replaceOpWithNewOp<MulOp>(div, div.getType(), div.getLhs(), reciprocal);
    return success();
  }
};

struct MergeScales : OpRewritePattern<MulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MulOp outer, PatternRewriter &rewriter) const override {
    for (auto [x, c2] :
         {std::pair{outer.getLhs(), outer.getRhs()}, {outer.getRhs(), outer.getLhs()}}) {
      auto inner = x.getDefiningOp<MulOp>();
      if (!inner || !inner.getResult().hasOneUse() || !isScalarConstant(c2, x))
        continue;
      for (auto [y, c1] :
           {std::pair{inner.getLhs(), inner.getRhs()}, {inner.getRhs(), inner.getLhs()}}) {
        if (!isScalarConstant(c1, y) || inner.getType() != y.getType())
          continue;
        Value c = splatLike(rewriter, outer.getLoc(),
                            cast<RankedTensorType>(c1.getType()).getRank() >=
                                    cast<RankedTensorType>(c2.getType()).getRank()
                                ? c1
                                : c2,
                            *splatFloat(c1) * *splatFloat(c2));
        rewriter.replaceOpWithNewOp<MulOp>(outer, outer.getType(), y, c);
        return success();
      }
    }
    return failure();
  }
};

bool isGelu(MulOp root);

struct ScaleOutOfMatmul : OpRewritePattern<MatmulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MatmulOp matmul, PatternRewriter &rewriter) const override {
    for (int side : {0, 1}) {
      Value operand = matmul->getOperand(side);
      auto mul = operand.getDefiningOp<MulOp>();
      // A GELU's 0.5 stays with it: (x (1 + erf)) 0.5 before an FFN's second projection is
      // nn.GELU as torch exports it, DecomposedGelu's to fold.
      if (!mul || !mul.getResult().hasOneUse() || isGelu(mul))
        continue;
      for (auto [x, c] : {std::pair{mul.getLhs(), mul.getRhs()}, {mul.getRhs(), mul.getLhs()}}) {
        if (!isScalarConstant(c, x) || x.getType() != mul.getType() ||
            cast<RankedTensorType>(c.getType()).getRank() > matmul.getType().getRank())
          continue;
        auto product = MatmulOp::create(
            rewriter, matmul.getLoc(), matmul.getType(), side == 0 ? x : matmul.getLhs(),
            side == 1 ? x : matmul.getRhs(), matmul.getTransposeA(), matmul.getTransposeB());
        rewriter.replaceOpWithNewOp<MulOp>(matmul, matmul.getType(), product, c);
        return success();
      }
    }
    return failure();
  }
};

/// reshape/transpose(x * c) -> reshape/transpose(x) * c for a scalar-like
/// constant c, so a scale applied before the head split (fairseq, HF BART:
/// q = q_proj(x) * scaling) reaches the QK^T matmul, and one the canonicalization put on
/// merged-heads scores (HF BART's [B * H, T, S] bmm) follows their split back to [B, H, T, S].
template <typename OpTy> struct ScaleThroughDataMovement : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op, PatternRewriter &rewriter) const override {
    auto mul = op.getInput().template getDefiningOp<MulOp>();
    if (!mul || !mul.getResult().hasOneUse() || isGelu(mul))
      return failure(); // a GELU's 0.5 stays with it (ScaleOutOfMatmul)
    for (auto [x, c] : {std::pair{mul.getLhs(), mul.getRhs()}, {mul.getRhs(), mul.getLhs()}}) {
      if (!isScalarConstant(c, x) || x.getType() != mul.getType())
        continue;
      Value moved;
      if constexpr (std::is_same_v<OpTy, ReshapeOp>)
        moved = ReshapeOp::create(rewriter, op.getLoc(), op.getType(), x, op.getShape());
      else if constexpr (std::is_same_v<OpTy, ReshapeDynamicOp>)
        moved = ReshapeDynamicOp::create(rewriter, op.getLoc(), op.getType(), x, op.getShape(),
                                         op.getAllowzero());
      else
        moved = TransposeOp::create(rewriter, op.getLoc(), op.getType(), x, op.getPermutation());
      auto element = cast<RankedTensorType>(c.getType()).getElementType();
      Value scalar =
          splatOf(rewriter, op.getLoc(), RankedTensorType::get({}, element), *splatFloat(c));
      rewriter.replaceOpWithNewOp<MulOp>(op, op.getType(), moved, scalar);
      return success();
    }
    return failure();
  }
};

struct TransposeIntoMatmul : OpRewritePattern<MatmulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MatmulOp matmul, PatternRewriter &rewriter) const override {
    for (int side : {0, 1}) {
      auto transpose = matmul->getOperand(side).getDefiningOp<TransposeOp>();
      if (!transpose)
        continue;
      SmallVector<int64_t> perm(transpose.getPermutation());
      int64_t rank = perm.size();
      std::swap(perm[rank - 1], perm[rank - 2]);
      bool identity = llvm::all_of(llvm::enumerate(perm), [](auto p) {
        return static_cast<int64_t>(p.index()) == p.value();
      });
      bool headSplit = side == 1 && !matmul.getTransposeB() &&
                       ArrayRef<int64_t>(perm) == ArrayRef<int64_t>{0, 2, 1, 3};
      if (!identity && !headSplit)
        continue;
      Value operand = transpose.getInput();
      if (!identity)
        operand = TransposeOp::create(rewriter, transpose.getLoc(), operand, perm);
      Value lhs = side == 0 ? operand : matmul.getLhs();
      Value rhs = side == 1 ? operand : matmul.getRhs();
      bool ta = matmul.getTransposeA() != (side == 0);
      bool tb = matmul.getTransposeB() != (side == 1);
      rewriter.replaceOpWithNewOp<MatmulOp>(matmul, matmul.getType(), lhs, rhs, ta, tb);
      return success();
    }
    return failure();
  }
};

/// Trailing contiguous axes a..rank-1 of a reduce: a, or nothing.
std::optional<int64_t> trailingAxes(ReduceOp reduce) {
  int64_t rank = reduce.getInput().getType().getRank();
  SmallVector<int64_t> axes;
  for (int64_t a : reduce.getAxes()) {
    auto n = shape::normalizeAxis(a, rank);
    if (!n)
      return std::nullopt;
    axes.push_back(*n);
  }
  llvm::sort(axes);
  for (auto [i, a] : llvm::enumerate(axes))
    if (a != rank - static_cast<int64_t>(axes.size()) + static_cast<int64_t>(i))
      return std::nullopt;
  if (axes.empty() || reduce.getKind() != ReduceKind::mean || !reduce.getKeepDims())
    return std::nullopt;
  return axes.front();
}

/// mean(x^2) + eps over trailing axes (x^2 as pow(x, 2) or x * x), each step read only by the
/// next: x, the op squaring it, the first reduced axis and eps.
struct MeanSquare {
  Value x;
  Operation *square;
  int64_t axis;
  double eps;
};
std::optional<MeanSquare> meanSquarePlusEps(Value sum) {
  auto addEps = sum.getDefiningOp<AddOp>();
  if (!addEps || !addEps.getResult().hasOneUse())
    return std::nullopt;
  Value meanValue = addEps.getLhs(), epsValue = addEps.getRhs();
  if (!splatFloat(epsValue))
    std::swap(meanValue, epsValue);
  auto mean = meanValue.getDefiningOp<ReduceOp>();
  std::optional<double> eps = splatFloat(epsValue);
  if (!mean || !eps || *eps < 0 || !isScalarLike(epsValue, meanValue) ||
      !mean.getResult().hasOneUse())
    return std::nullopt;
  std::optional<int64_t> axis = trailingAxes(mean);
  Operation *square = mean.getInput().getDefiningOp();
  if (!axis || !square || !square->getResult(0).hasOneUse())
    return std::nullopt;
  if (auto pow = dyn_cast<PowOp>(square);
      pow && splatFloat(pow.getRhs()) == 2.0 && isScalarLike(pow.getRhs(), pow.getLhs()))
    return MeanSquare{pow.getLhs(), square, *axis, *eps};
  if (auto mul = dyn_cast<MulOp>(square); mul && mul.getLhs() == mul.getRhs())
    return MeanSquare{mul.getLhs(), square, *axis, *eps};
  return std::nullopt;
}

/// (x - mean(x)) / sqrt(mean((x - mean(x))^2) + eps) over trailing axes -> heed.layer_norm.
struct DecomposedLayerNorm : OpRewritePattern<DivOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DivOp div, PatternRewriter &rewriter) const override {
    auto sub = div.getLhs().getDefiningOp<SubOp>();
    auto sqrt = div.getRhs().getDefiningOp<SqrtOp>();
    if (!sub || !sqrt || !sqrt.getResult().hasOneUse())
      return failure();
    auto mean = sub.getRhs().getDefiningOp<ReduceOp>();
    Value x = sub.getLhs(), d = sub.getResult();
    if (!mean || mean.getInput() != x || !mean.getResult().hasOneUse())
      return failure();
    std::optional<int64_t> axis = trailingAxes(mean);
    std::optional<MeanSquare> var = meanSquarePlusEps(sqrt.getInput());
    if (!axis || !var || var->x != d || var->axis != *axis)
      return failure();
    if (!llvm::all_of(d.getUsers(),
                      [&](Operation *user) { return user == var->square || user == div; }))
      return failure();
    if (x.getType() != div.getType())
      return failure();
    rewriter.replaceOpWithNewOp<LayerNormOp>(
        div, div.getType(), x, Value(), Value(), Value(), rewriter.getI64IntegerAttr(*axis),
        rewriter.getF32FloatAttr(float(var->eps)), rewriter.getBoolAttr(false));
    return success();
  }
};

/// The a of 1 / sqrt(a) spelled rsqrt(a), reciprocal(sqrt(a)) or div(1, sqrt(a)), each step read
/// only by the next.
Value inverseRootOf(Value v) {
  Operation *def = v.getDefiningOp();
  if (!def || !v.hasOneUse())
    return Value();
  if (auto rsqrt = dyn_cast<RsqrtOp>(def))
    return rsqrt.getInput();
  Value root;
  if (auto reciprocal = dyn_cast<ReciprocalOp>(def))
    root = reciprocal.getInput();
  else if (auto div = dyn_cast<DivOp>(def);
           div && splatFloat(div.getLhs()) == 1.0 && isScalarLike(div.getLhs(), div.getRhs()))
    root = div.getRhs();
  auto sqrt = root ? root.getDefiningOp<SqrtOp>() : SqrtOp();
  return sqrt && sqrt.getResult().hasOneUse() ? sqrt.getInput() : Value();
}

/// RMSNorm as T5 and Llama write it, x * rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) (rsqrt
/// exported as 1 / sqrt), or x / sqrt(...) -> heed.layer_norm {rms}; a weight multiplied in after
/// it becomes the scale (LayerNormAffine).
struct DecomposedRmsNorm : RewritePattern {
  DecomposedRmsNorm(MLIRContext *context, PatternBenefit benefit)
      : RewritePattern(MatchAnyOpTypeTag(), benefit, context) {}
  LogicalResult matchAndRewrite(Operation *op, PatternRewriter &rewriter) const override {
    std::optional<MeanSquare> ms;
    Value x;
    if (auto mul = dyn_cast<MulOp>(op)) {
      for (auto [v, inv] : {std::pair{mul.getLhs(), mul.getRhs()}, {mul.getRhs(), mul.getLhs()}})
        if (Value a = inverseRootOf(inv); a && (ms = meanSquarePlusEps(a)) && ms->x == v) {
          x = v;
          break;
        }
    } else if (auto div = dyn_cast<DivOp>(op)) {
      auto sqrt = div.getRhs().getDefiningOp<SqrtOp>();
      if (sqrt && sqrt.getResult().hasOneUse() && (ms = meanSquarePlusEps(sqrt.getInput())) &&
          ms->x == div.getLhs())
        x = div.getLhs();
    }
    if (!x || x.getType() != op->getResult(0).getType())
      return failure();
    rewriter.replaceOpWithNewOp<LayerNormOp>(
        op, x.getType(), x, Value(), Value(), Value(), rewriter.getI64IntegerAttr(ms->axis),
        rewriter.getF32FloatAttr(float(ms->eps)), rewriter.getBoolAttr(true));
    return success();
  }
};

/// The trailing normalized dims of a layer norm, static, for its scale/bias.
bool fitsNormalizedDims(LayerNormOp norm, Value param) {
  auto type = norm.getType();
  auto p = cast<RankedTensorType>(param.getType());
  auto axis = shape::normalizeAxis(norm.getAxis(), type.getRank());
  return axis && p.hasStaticShape() && p.getShape() == type.getShape().drop_front(*axis);
}

struct LayerNormAffine : OpRewritePattern<LayerNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LayerNormOp norm, PatternRewriter &rewriter) const override {
    if (norm.getBias() || !norm.getResult().hasOneUse())
      return failure();
    Operation *user = *norm.getResult().getUsers().begin();
    bool scale = isa<MulOp>(user) && !norm.getScale();
    if ((!scale && !isa<AddOp>(user)) || user->getResult(0).getType() != norm.getType())
      return failure();
    Value param =
        user->getOperand(0) == norm.getResult() ? user->getOperand(1) : user->getOperand(0);
    if (param == norm.getResult() || !fitsNormalizedDims(norm, param))
      return failure();
    rewriter.setInsertionPoint(user);
    rewriter.replaceOpWithNewOp<LayerNormOp>(
        user, norm.getType(), norm.getInput(), scale ? param : norm.getScale(),
        scale ? Value() : param, norm.getResidual(), norm.getAxisAttr(), norm.getEpsilonAttr(),
        norm.getRmsAttr());
    return success();
  }
};

/// Multiplies out a tree of single-use heed.mul ops into its factors.
void collectFactors(Value value, Operation *root, SmallVectorImpl<Value> &factors, int depth = 3) {
  auto mul = value.getDefiningOp<MulOp>();
  if (mul && depth > 0 && (mul == root || mul.getResult().hasOneUse())) {
    collectFactors(mul.getLhs(), root, factors, depth - 1);
    collectFactors(mul.getRhs(), root, factors, depth - 1);
    return;
  }
  factors.push_back(value);
}

bool near(std::optional<double> value, double expected) {
  return value && std::abs(*value - expected) <= 1e-6 * std::abs(expected);
}

/// x when `t` is x / sqrt 2 (or x * (1 / sqrt 2)): erf's argument in the exact GELU.
Value erfArgument(Value t) {
  if (auto mul = t.getDefiningOp<MulOp>())
    return near(splatFloat(mul.getRhs()), M_SQRT1_2)   ? mul.getLhs()
           : near(splatFloat(mul.getLhs()), M_SQRT1_2) ? mul.getRhs()
                                                       : Value();
  if (auto div = t.getDefiningOp<DivOp>())
    return near(splatFloat(div.getRhs()), M_SQRT2) ? div.getLhs() : Value();
  return Value();
}

/// The factor of a single-use product c * y (or y * c) for a splat constant c near `expected`.
Value scaledBy(Value v, double expected) {
  auto mul = v.getDefiningOp<MulOp>();
  if (!mul || !mul.getResult().hasOneUse())
    return Value();
  return near(splatFloat(mul.getRhs()), expected)   ? mul.getLhs()
         : near(splatFloat(mul.getLhs()), expected) ? mul.getRhs()
                                                    : Value();
}

/// Whether `cube` is x^3: pow(x, 3) or x * x * x.
bool isCube(Value cube, Value x) {
  if (auto pow = cube.getDefiningOp<PowOp>())
    return pow.getLhs() == x && near(splatFloat(pow.getRhs()), 3.0) && pow.getResult().hasOneUse();
  auto mul = cube.getDefiningOp<MulOp>();
  if (!mul || !mul.getResult().hasOneUse())
    return false;
  SmallVector<Value> factors;
  collectFactors(cube, mul, factors);
  return factors.size() == 3 && llvm::all_of(factors, [&](Value f) { return f == x; });
}

/// x when `t` is sqrt(2 / pi) (x + 0.044715 x^3): tanh's argument in the tanh-approximated GELU
/// (HF's gelu_new, GPT-2's NewGELU).
Value tanhArgument(Value t) {
  Value inner = scaledBy(t, 0.7978845608028654);
  auto add = inner ? inner.getDefiningOp<AddOp>() : AddOp();
  if (!add || !add.getResult().hasOneUse())
    return Value();
  for (auto [x, term] : {std::pair{add.getLhs(), add.getRhs()}, {add.getRhs(), add.getLhs()}})
    if (Value cube = scaledBy(term, 0.044715); cube && isCube(cube, x))
      return x;
  return Value();
}

/// x when `root` is the last product of 0.5 x (1 + erf(x / sqrt 2)) or of
/// 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))) (factors in any order), with which of the
/// two in `approximate`.
Value geluInput(MulOp root, GeluApprox &approximate) {
  SmallVector<Value> factors;
  collectFactors(root.getResult(), root, factors);
  if (factors.size() != 3)
    return Value();
  // Find 1 + f(t); then the others must be x and 0.5.
  for (Value onePlus : factors) {
    auto add = onePlus.getDefiningOp<AddOp>();
    if (!add || !add.getResult().hasOneUse())
      continue;
    Value fValue = add.getLhs(), one = add.getRhs();
    if (!near(splatFloat(one), 1.0))
      std::swap(fValue, one);
    Operation *f = fValue.getDefiningOp();
    if (!f || !near(splatFloat(one), 1.0) || !fValue.hasOneUse() || !isa<ErfOp, TanhOp>(f))
      continue;
    Value x = isa<ErfOp>(f) ? erfArgument(f->getOperand(0)) : tanhArgument(f->getOperand(0));
    if (!x || x.getType() != root.getType())
      continue;
    bool sawX = false, sawHalf = false;
    for (Value v : factors) {
      if (v == onePlus)
        continue;
      if (v == x && !sawX)
        sawX = true;
      else if (near(splatFloat(v), 0.5) && isScalarLike(v, x))
        sawHalf = true;
    }
    if (sawX && sawHalf) {
      approximate = isa<ErfOp>(f) ? GeluApprox::none : GeluApprox::tanh;
      return x;
    }
  }
  return Value();
}

bool isGelu(MulOp root) {
  GeluApprox approximate;
  return bool(geluInput(root, approximate));
}

/// torch's GELUs as exported: erf (nn.GELU) and tanh (gelu_new, NewGELU) -> heed.gelu.
struct DecomposedGelu : OpRewritePattern<MulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MulOp root, PatternRewriter &rewriter) const override {
    GeluApprox approximate = GeluApprox::none;
    Value x = geluInput(root, approximate);
    if (!x)
      return failure();
    auto gelu = rewriter.replaceOpWithNewOp<GeluOp>(root, TypeRange{root.getType()}, ValueRange{x},
                                                    ArrayRef<NamedAttribute>{});
    gelu.setApproximate(approximate);
    return success();
  }
};

/// Swin's shifted windows: the scores s [B*nW, H, N, N] are reshaped to [B, nW, H, N, N] for the
/// [1, nW, 1, N, N] window mask to broadcast over the images, then reshaped back for the softmax:
///   softmax(reshape(reshape(s) + m)) -> softmax(s + reshape(broadcast(m, [B, nW, H, N, N])))
/// Reshapes keep row-major order, so a reshape back to the shape of s is the identity and the mask,
/// broadcast to the split shape and reshaped like the sum was, lands on the elements it was added
/// to; the attention fusion then sees an additive mask on the scores. The split shape is rebuilt
/// from dims read outside the scores (B = dim 0 of s, from where it comes, / nW), so the scores
/// keep no user besides the pattern.
struct MaskAddedAcrossReshape : OpRewritePattern<ReshapeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ReshapeOp back, PatternRewriter &rewriter) const override {
    if (!back->hasOneUse() || !isa<SoftmaxOp>(*back->getUsers().begin()))
      return failure();
    auto add = back.getInput().getDefiningOp<AddOp>();
    if (!add || !add->hasOneUse())
      return failure();
    for (auto [split, mask] :
         {std::pair{add.getLhs(), add.getRhs()}, {add.getRhs(), add.getLhs()}}) {
      Operation *splitOp = split.getDefiningOp();
      if (!isa_and_nonnull<ReshapeOp, ReshapeDynamicOp>(splitOp) || !split.hasOneUse())
        continue;
      Value scores = splitOp->getOperand(0);
      auto scoresType = cast<RankedTensorType>(scores.getType());
      auto splitType = cast<RankedTensorType>(split.getType());
      auto maskType = cast<RankedTensorType>(mask.getType());
      int64_t rank = scoresType.getRank();
      // s [S0, rest] split into [a, n, rest] (rest static), the add keeping that shape, and the
      // outer reshape giving back s's shape (its one dynamic dim fixed by the element count).
      if (splitType.getRank() != rank + 1 || maskType.getRank() > rank + 1 ||
          add.getType() != splitType || back.getType() != scoresType ||
          splitType.getShape().drop_front(2) != scoresType.getShape().drop_front() ||
          llvm::any_of(scoresType.getShape().drop_front(), ShapedType::isDynamic))
        continue;
      // The split's dynamic dims: a reshape_dynamic's own operands (computed before the scores,
      // as torch's `view(bw // nw, nw, ...)` is), else a = rows / n and n: static, or the mask's
      // own dim (which equals it, or the add would not broadcast).
      Location loc = back.getLoc();
      SmallVector<Value> dims;
      if (auto dynamic = dyn_cast<ReshapeDynamicOp>(splitOp)) {
        for (int64_t d : {0, 1})
          if (splitType.isDynamicDim(d))
            dims.push_back(dynamic.getShape()[d]);
      } else {
        int64_t maskN = 1 - (rank + 1 - maskType.getRank());
        DimSource rows = dimOrigin(scores, 0);
        // A dim read from the scores themselves would be one more user of them.
        if ((splitType.isDynamicDim(1) && (maskN < 0 || !maskType.isDynamicDim(maskN))) ||
            (splitType.isDynamicDim(0) && scoresType.isDynamicDim(0) && rows.tensor == scores))
          continue;
        Value n =
            splitType.isDynamicDim(1)
                ? Value(DimOp::create(rewriter, loc, mask, maskN))
                : Value(arith::ConstantIndexOp::create(rewriter, loc, splitType.getDimSize(1)));
        if (splitType.isDynamicDim(0)) {
          Value total =
              scoresType.isDynamicDim(0)
                  ? Value(DimOp::create(rewriter, loc, rows.tensor, rows.axis))
                  : Value(arith::ConstantIndexOp::create(rewriter, loc, scoresType.getDimSize(0)));
          dims.push_back(arith::DivSIOp::create(rewriter, loc, total, n));
        }
        if (splitType.isDynamicDim(1))
          dims.push_back(n);
      }
      auto likeType = RankedTensorType::get(splitType.getShape(), rewriter.getI1Type());
      Value like = FullOp::create(rewriter, loc, likeType, rewriter.getBoolAttr(false), dims);
      auto wideType = RankedTensorType::get(splitType.getShape(), maskType.getElementType());
      Value wide = BroadcastOp::create(rewriter, loc, wideType, mask, like);
      Value onScores = ReshapeOp::create(rewriter, loc, back.getType(), wide, back.getShape());
      rewriter.replaceOpWithNewOp<AddOp>(back, back.getType(), scores, onScores);
      return success();
    }
    return failure();
  }
};

/// ALiBi subtracts its distance bias from the scores: s - b -> s + (-b), exact in IEEE arithmetic,
/// so that the attention fusion sees an additive mask. Only where the difference feeds a softmax
/// (through the adds and wheres of more masks) and only b is free of products (the scores' side).
struct SubtractedBias : OpRewritePattern<SubOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SubOp sub, PatternRewriter &rewriter) const override {
    auto isProduct = [](Operation *op) { return isa<MatmulOp, LinearOp, ReduceOp>(op); };
    if (!isa<FloatType>(getElementTypeOrSelf(sub.getType())) || !leadsTo(sub.getLhs(), isProduct) ||
        leadsTo(sub.getRhs(), isProduct))
      return failure();
    Operation *user = sub;
    for (int depth = 0; depth < 4 && user->hasOneUse(); ++depth) {
      user = *user->getUsers().begin();
      if (isa<SoftmaxOp>(user)) {
        Value negated = NegOp::create(rewriter, sub.getLoc(), sub.getRhs());
        rewriter.replaceOpWithNewOp<AddOp>(sub, sub.getType(), sub.getLhs(), negated);
        return success();
      }
      if (!isa<AddOp, WhereOp>(user))
        return failure();
    }
    return failure();
  }
};

struct CanonicalizeAttentionPass
    : heed::impl::HeedCanonicalizeAttentionBase<CanonicalizeAttentionPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateCanonicalizeAttentionPatterns(patterns);
    // Every rewrite is sound on its own, so stopping short of a fixpoint
    // (the driver's iteration limit) leaves valid, partly rewritten IR.
    (void)applyPatternsGreedily(getOperation(), std::move(patterns));
  }
};
} // namespace

void heed::populateCanonicalizeAttentionPatterns(RewritePatternSet &patterns) {
  // GELU and LayerNorm first: they read the x / sqrt(2) and the Div that
  // DivByConstant would otherwise rewrite (both spellings are matched anyway).
  // A decomposed LayerNorm divides x - mean(x) by the root of its mean square, which is also an
  // RMSNorm of x - mean(x): the LayerNorm pattern goes first, so the mean goes into the op too.
  patterns.add<DecomposedLayerNorm>(patterns.getContext(), /*benefit=*/3);
  patterns.add<DecomposedGelu, DecomposedRmsNorm>(patterns.getContext(), /*benefit=*/2);
  patterns.add<ConstantPow, DivByConstant, MergeScales, ScaleOutOfMatmul,
               ScaleThroughDataMovement<ReshapeOp>, ScaleThroughDataMovement<ReshapeDynamicOp>,
               ScaleThroughDataMovement<TransposeOp>>(patterns.getContext());
  // transpose(transpose(x)) -> one transpose: the op's own canonicalization.
  TransposeOp::getCanonicalizationPatterns(patterns, patterns.getContext());
  patterns.add<TransposeIntoMatmul, LayerNormAffine, MaskAddedAcrossReshape, SubtractedBias>(
      patterns.getContext());
  populateColumnAttentionPatterns(patterns);
  populateBatchMergePatterns(patterns);
  populateBroadcastsLastPatterns(patterns);
}
