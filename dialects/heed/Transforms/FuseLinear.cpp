//===- FuseLinear.cpp - Bias adds and activations into heed.linear ------===//
//
// PyTorch exports nn.Linear on a 3-D input as MatMul(x, W^T) then Add(b), and
// nn.MultiheadAttention's packed in-projection as one such product sliced
// into Q, K and V. Both cost passes over memory the CPU's GEMM need not make:
//  - add(matmul(x, W), b), W 2-D and b [N] -> heed.linear(x, W, b): the bias
//    is added by the linear kernel (no separate broadcasting add, no
//    intermediate tensor);
//  - slice(linear(x, W, b), last axis) for every user of a linear (or of a
//    matmul by a 2-D W, when the bias was zero and folded away) ->
//    linear(x, slice(W), slice(b)) per slice: three GEMMs write Q, K and V
//    in place of one GEMM and three copies. The weight slices are of
//    constants, so the CPU driver makes them once (Executor::FoldedOp).
// Both compute the same sums (up to the GEMM's order of summation). The split
// needs a constant weight: slicing a run-time weight would copy it every call.
// A later pass (heed-fuse-linear-activation) moves the activation that follows
// a projection into it, once the attention matchers have read the linears.
//
//===----------------------------------------------------------------------===//

#include "dialects/heed/IR/ShapeInference.h"
#include "dialects/heed/Transforms/Passes.h"
#include "dialects/heed/Transforms/Patterns.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <algorithm>
#include <optional>

namespace mlir::heed {
#define GEN_PASS_DEF_HEEDFUSELINEAR
#define GEN_PASS_DEF_HEEDFUSELINEARACTIVATION
#include "dialects/heed/Transforms/Passes.h.inc"
} // namespace mlir::heed

using namespace mlir;
using namespace mlir::heed;

namespace {

/// The static size of `value`'s last dim, or kDynamic.
int64_t lastDim(Value value) {
  auto type = cast<RankedTensorType>(value.getType());
  return type.getRank() ? type.getDimSize(type.getRank() - 1) : ShapedType::kDynamic;
}

/// x W^T + b as a heed.linear or a heed.matmul by a 2-D weight (no bias then), possibly with an
/// activation applied to it.
struct Projection {
  Value input, weight, bias;
  bool transposeWeight = true;
  Activation activation = Activation::none;
};

std::optional<Projection> asProjection(Operation *op) {
  if (auto linear = dyn_cast<LinearOp>(op))
    return Projection{linear.getInput(), linear.getWeight(), linear.getBias(),
                      linear.getTransposeWeight(), linear.getActivation()};
  auto matmul = dyn_cast<MatmulOp>(op);
  if (!matmul || matmul.getTransposeA() ||
      cast<RankedTensorType>(matmul.getRhs().getType()).getRank() != 2)
    return std::nullopt;
  return Projection{matmul.getLhs(), matmul.getRhs(), Value(), matmul.getTransposeB()};
}

/// add(matmul(x, W), b) with W 2-D and b [N] (or a linear without bias) -> linear(x, W, b).
struct MatmulBiasToLinear : OpRewritePattern<AddOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AddOp add, PatternRewriter &rewriter) const override {
    for (auto [product, bias] :
         {std::pair{add.getLhs(), add.getRhs()}, {add.getRhs(), add.getLhs()}}) {
      Operation *def = product.getDefiningOp();
      std::optional<Projection> p = def ? asProjection(def) : std::nullopt;
      if (!p || p->bias || p->activation != Activation::none || !product.hasOneUse())
        continue; // an activation comes before any bias added after it
      // The sum has the product's shape: the bias only repeats along the rows.
      auto biasType = cast<RankedTensorType>(bias.getType());
      int64_t n = lastDim(product);
      if (biasType.getRank() != 1 || n == ShapedType::kDynamic || biasType.getDimSize(0) != n ||
          add.getType() != product.getType())
        continue;
      rewriter.replaceOpWithNewOp<LinearOp>(add, add.getType(), p->input, p->weight, bias,
                                            p->transposeWeight);
      rewriter.eraseOp(def);
      return success();
    }
    return failure();
  }
};

/// Whether `value` is a model constant or parameter, possibly sliced or reshaped: what the CPU
/// driver folds once and keeps.
bool isConstantWeight(Value value) {
  while (Operation *def = value.getDefiningOp()) {
    if (isa<ConstantOp, WeightOp>(def))
      return true;
    if (!isa<SliceOp, ReshapeOp, TransposeOp>(def))
      return false;
    value = def->getOperand(0);
  }
  return false;
}

/// A projection whose every user is a unit-step slice of its last axis (the packed Q/K/V of
/// nn.MultiheadAttention) -> one linear per slice, on the slices of its weight and bias.
template <typename Op> struct SplitSlicedProjection : OpRewritePattern<Op> {
  using OpRewritePattern<Op>::OpRewritePattern;
  LogicalResult matchAndRewrite(Op op, PatternRewriter &rewriter) const override {
    std::optional<Projection> p = asProjection(op);
    Value result = op.getResult();
    auto type = cast<RankedTensorType>(result.getType());
    int64_t n = lastDim(result);
    if (!p || n == ShapedType::kDynamic || result.use_empty() || !isConstantWeight(p->weight) ||
        (p->bias && !isConstantWeight(p->bias)))
      return failure();
    SmallVector<SliceOp> slices;
    for (Operation *user : result.getUsers()) {
      auto slice = dyn_cast<SliceOp>(user);
      // I64Attr getters read back as uint64_t: cast before any sign test.
      if (!slice || static_cast<int64_t>(slice.getStep()) != 1 ||
          shape::normalizeAxis(static_cast<int64_t>(slice.getAxis()), type.getRank()) !=
              type.getRank() - 1)
        return failure();
      slices.push_back(slice);
    }
    // Bounds as heed.slice reads them (negative from the end, then clamped), on the static N.
    auto clamp = [&](uint64_t bound) {
      auto i = static_cast<int64_t>(bound);
      return i < 0 ? std::max<int64_t>(i + n, 0) : std::min(i, n);
    };
    for (SliceOp slice : slices)
      if (clamp(slice.getEnd()) <= clamp(slice.getStart()))
        return failure(); // an empty slice: left as it is
    // The weight's output dim: rows of W [N, K], columns of W^T [K, N].
    int64_t weightAxis = p->transposeWeight ? 0 : 1;
    for (SliceOp slice : slices) {
      int64_t start = clamp(slice.getStart()), end = clamp(slice.getEnd());
      rewriter.setInsertionPoint(slice);
      Location loc = slice.getLoc();
      Value w = SliceOp::create(rewriter, loc, p->weight, weightAxis, start, end, 1);
      Value b = p->bias ? SliceOp::create(rewriter, loc, p->bias, 0, start, end, 1) : Value();
      // An elementwise activation commutes with the slice.
      rewriter.replaceOpWithNewOp<LinearOp>(slice, slice.getType(), p->input, w, b,
                                            p->transposeWeight, p->activation);
    }
    rewriter.eraseOp(op);
    return success();
  }
};

/// The linear activation computing `op` (an elementwise unary op), if there is one.
std::optional<Activation> activationOf(Operation *op) {
  if (isa<ReluOp>(op))
    return Activation::relu;
  if (isa<TanhOp>(op))
    return Activation::tanh;
  if (isa<SigmoidOp>(op))
    return Activation::sigmoid;
  if (auto gelu = dyn_cast<GeluOp>(op))
    return gelu.getApproximate() == GeluApprox::none ? Activation::gelu : Activation::gelu_tanh;
  return std::nullopt;
}

/// The projection computing `product` when it has no activation yet.
std::optional<Projection> plainProjection(Value product) {
  Operation *def = product.getDefiningOp();
  std::optional<Projection> p = def ? asProjection(def) : std::nullopt;
  return p && p->activation == Activation::none ? p : std::nullopt;
}

/// Replaces `op`, which computes act(product), by the projection `p` of `product` with `act` in
/// it; `dead` (an op between them, read only by `op`) and the product's op go.
void activateProjection(PatternRewriter &rewriter, Operation *op, Value product,
                        const Projection &p, Activation act, Operation *dead = nullptr) {
  Operation *def = product.getDefiningOp();
  rewriter.replaceOpWithNewOp<LinearOp>(op, product.getType(), p.input, p.weight, p.bias,
                                        p.transposeWeight, act);
  if (dead)
    rewriter.eraseOp(dead);
  rewriter.eraseOp(def);
}

/// act(linear(x, W, b)) or act(matmul(x, W)), the product read by nothing else ->
/// linear(x, W, b) {activation = act}.
struct ActivationIntoLinear : RewritePattern {
  explicit ActivationIntoLinear(MLIRContext *context)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, context) {}
  LogicalResult matchAndRewrite(Operation *op, PatternRewriter &rewriter) const override {
    std::optional<Activation> act = activationOf(op);
    if (!act)
      return failure();
    Value product = op->getOperand(0);
    std::optional<Projection> p = plainProjection(product);
    if (!p || !product.hasOneUse() || op->getResult(0).getType() != product.getType())
      return failure();
    activateProjection(rewriter, op, product, *p, *act);
    return success();
  }
};

/// z * sigmoid(z) for a projection z that nothing else reads (SwiGLU's gate, nn.SiLU as exported)
/// -> linear(x, W, b) {activation = silu}.
struct SiluIntoLinear : OpRewritePattern<MulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MulOp mul, PatternRewriter &rewriter) const override {
    for (auto [product, gate] :
         {std::pair{mul.getLhs(), mul.getRhs()}, {mul.getRhs(), mul.getLhs()}}) {
      auto sigmoid = gate.getDefiningOp<SigmoidOp>();
      std::optional<Projection> p = plainProjection(product);
      if (!sigmoid || sigmoid.getInput() != product || !gate.hasOneUse() || !p ||
          mul.getType() != product.getType() || llvm::range_size(product.getUsers()) != 2)
        continue;
      activateProjection(rewriter, mul, product, *p, Activation::silu, sigmoid);
      return success();
    }
    return failure();
  }
};

struct FuseLinearActivationPass
    : heed::impl::HeedFuseLinearActivationBase<FuseLinearActivationPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<ActivationIntoLinear, SiluIntoLinear>(&getContext());
    (void)applyPatternsGreedily(getOperation(), std::move(patterns));
  }
};

struct FuseLinearPass : heed::impl::HeedFuseLinearBase<FuseLinearPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateFuseLinearPatterns(patterns);
    // Every rewrite is sound on its own, so stopping short of a fixpoint
    // (the driver's iteration limit) leaves valid, partly rewritten IR.
    (void)applyPatternsGreedily(getOperation(), std::move(patterns));
  }
};
} // namespace

void heed::populateFuseLinearPatterns(RewritePatternSet &patterns) {
  patterns
      .add<MatmulBiasToLinear, SplitSlicedProjection<LinearOp>, SplitSlicedProjection<MatmulOp>>(
          patterns.getContext());
}
