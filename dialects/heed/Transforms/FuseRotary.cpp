//===- FuseRotary.cpp - Rotary position embeddings into heed.rotary -------===//
//
// GPT-NeoX, Llama and the models copied from them apply RoPE as
//   q * cos + rotate_half(q) * sin,  rotate_half(x) = cat(-x[..., D/2:], x[..., :D/2])
// which exports as two slices, a neg, a concat, two muls and an add: five
// passes over the [B, H, L, D] queries and keys, four of them writing a
// tensor of that size. heed.rotary reads each element once. GPT-J (and
// CodeGen) rotate neighbouring pairs instead (rotate_every_two: strided
// slices, unsqueezes, a concat and a flatten): heed.rotary {interleaved}.
//
// The heads transpose of the export (view(B, L, H, D).transpose(1, 2)) is
// moved after the rotary when nothing else reads it, with cos and sin
// transposed back (small tables): the rotary then reads the projection
// itself, and the transpose before the attention folds into its num_heads
// layout (heed-fold-head-transposes) instead of copying q and k.
//
//===----------------------------------------------------------------------===//

#include "dialects/heed/Transforms/AttentionMatch.h"
#include "dialects/heed/Transforms/Passes.h"

#include "mlir/Dialect/Utils/IndexingUtils.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::heed {
#define GEN_PASS_DEF_HEEDFUSEROTARY
#include "dialects/heed/Transforms/Passes.h.inc"
} // namespace mlir::heed

using namespace mlir;
using namespace mlir::heed;

namespace {

/// The last dim of `value`'s type when it is static and even, else 0.
int64_t evenLastDim(Value value) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type || type.getRank() == 0 || type.isDynamicDim(type.getRank() - 1))
    return 0;
  int64_t d = type.getShape().back();
  return d > 0 && d % 2 == 0 ? d : 0;
}

/// slice(x, last axis, [from, from + D/2)) of x with an even static last dim D: x, else null.
Value halfOf(Value value, bool upper) {
  auto slice = value.getDefiningOp<SliceOp>();
  if (!slice || !slice->hasOneUse() || slice.getStep() != 1)
    return {};
  Value x = slice.getInput();
  int64_t d = evenLastDim(x), rank = cast<RankedTensorType>(x.getType()).getRank();
  // The I64Attr getters return uint64_t: read the attributes as signed.
  int64_t axis = slice.getAxisAttr().getInt();
  if (!d || (axis < 0 ? axis + rank : axis) != rank - 1)
    return {};
  // Python bounds: negative from the end, then clamped (the attribute's default end is
  // INT64_MAX).
  auto bound = [d](int64_t b) { return std::clamp<int64_t>(b < 0 ? b + d : b, 0, d); };
  int64_t from = upper ? d / 2 : 0;
  return bound(slice.getStartAttr().getInt()) == from &&
                 bound(static_cast<int64_t>(slice.getEnd())) == from + d / 2
             ? x
             : Value();
}

/// -v as heed.neg or a product by the splat -1: v, else null.
Value negated(Value value) {
  if (!value.hasOneUse())
    return {};
  if (auto neg = value.getDefiningOp<NegOp>())
    return neg.getInput();
  if (auto mul = value.getDefiningOp<MulOp>())
    for (auto [c, v] : {std::pair{mul.getRhs(), mul.getLhs()}, {mul.getLhs(), mul.getRhs()}})
      if (fusion::splatFloat(c) == -1.0 && fusion::isScalarLike(c, v) &&
          v.getType() == mul.getType())
        return v;
  return {};
}

/// cat(-x[..., D/2:], x[..., :D/2]) on the last axis: x, else null.
Value rotatedHalf(Value value) {
  auto concat = value.getDefiningOp<ConcatOp>();
  if (!concat || !concat->hasOneUse() || concat.getInputs().size() != 2)
    return {};
  int64_t rank = concat.getType().getRank(), axis = concat.getAxisAttr().getInt();
  if ((axis < 0 ? axis + rank : axis) != rank - 1)
    return {};
  Value upper = negated(concat.getInputs()[0]);
  Value x = upper ? halfOf(upper, /*upper=*/true) : Value();
  return x && halfOf(concat.getInputs()[1], /*upper=*/false) == x ? x : Value();
}

/// reshape(v) appending a unit dim to v (torch's unsqueeze(-1)): v, else null. Every other dim
/// of the spec copies v's (0) or is v's static size.
Value unitDimAppended(Value value) {
  auto reshape = value.getDefiningOp<ReshapeOp>();
  if (!reshape || !reshape->hasOneUse())
    return {};
  auto in = reshape.getInput().getType();
  ArrayRef<int64_t> spec = reshape.getShape();
  if (int64_t(spec.size()) != in.getRank() + 1 || spec.back() != 1)
    return {};
  for (int64_t i = 0; i < in.getRank(); ++i)
    if (spec[i] != 0 && (in.isDynamicDim(i) || spec[i] != in.getDimSize(i)))
      return {};
  return reshape.getInput();
}

/// x[..., start::2] on the last axis of x with an even static last dim D (D/2 elements): x, else
/// null.
Value everyOther(Value value, int64_t start) {
  auto slice = value.getDefiningOp<SliceOp>();
  if (!slice || !slice->hasOneUse() || slice.getStep() != 2 ||
      slice.getStartAttr().getInt() != start)
    return {};
  Value x = slice.getInput();
  int64_t d = evenLastDim(x), rank = cast<RankedTensorType>(x.getType()).getRank();
  int64_t axis = slice.getAxisAttr().getInt();
  if (!d || (axis < 0 ? axis + rank : axis) != rank - 1 ||
      slice.getType().getShape().back() != d / 2)
    return {};
  return x;
}

/// GPT-J's rotate_every_two: stack((-x[..., 1::2], x[..., ::2]), -1).flatten(-2), exported as
/// a reshape of the concat of the two unsqueezed halves (the neg before or after the
/// unsqueeze): x, else null.
Value rotatedPairs(Value value) {
  auto flatten = value.getDefiningOp<ReshapeOp>();
  if (!flatten || !flatten->hasOneUse())
    return {};
  auto concat = flatten.getInput().getDefiningOp<ConcatOp>();
  if (!concat || !concat->hasOneUse() || concat.getInputs().size() != 2)
    return {};
  int64_t rank = concat.getType().getRank(), axis = concat.getAxisAttr().getInt();
  if ((axis < 0 ? axis + rank : axis) != rank - 1)
    return {};
  // -unsqueeze(x[..., 1::2]) or unsqueeze(-x[..., 1::2]).
  Value odd;
  if (Value n = negated(concat.getInputs()[0])) {
    if (Value u = unitDimAppended(n))
      odd = everyOther(u, 1);
  } else if (Value u = unitDimAppended(concat.getInputs()[0])) {
    if (Value m = negated(u))
      odd = everyOther(m, 1);
  }
  Value even = unitDimAppended(concat.getInputs()[1]);
  Value x = even ? everyOther(even, 0) : Value();
  if (!x || odd != x || flatten.getType() != x.getType())
    return {};
  // The flatten keeps every dim but the last two, which become D (the type says so; 0 copies).
  ArrayRef<int64_t> spec = flatten.getShape();
  auto xt = cast<RankedTensorType>(x.getType());
  for (int64_t i = 0; i + 1 < xt.getRank(); ++i)
    if (spec[i] != 0 && (xt.isDynamicDim(i) || spec[i] != xt.getDimSize(i)))
      return {};
  return x;
}

/// add(mul(x, cos), mul(rotate_half(x), sin)), operands in any order -> heed.rotary (and
/// rotate_every_two -> heed.rotary {interleaved}).
struct RotaryFromParts : OpRewritePattern<AddOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AddOp add, PatternRewriter &rewriter) const override {
    if (!add.getType().getElementType().isF32())
      return failure();
    for (auto [plain, rotated] :
         {std::pair{add.getLhs(), add.getRhs()}, {add.getRhs(), add.getLhs()}}) {
      auto byCos = plain.getDefiningOp<MulOp>(), bySin = rotated.getDefiningOp<MulOp>();
      if (!byCos || !bySin || !byCos->hasOneUse() || !bySin->hasOneUse())
        continue;
      for (auto [r, sin] :
           {std::pair{bySin.getLhs(), bySin.getRhs()}, {bySin.getRhs(), bySin.getLhs()}}) {
        Value x = rotatedHalf(r);
        bool interleaved = !x;
        if (interleaved && !(x = rotatedPairs(r)))
          continue;
        Value cos = byCos.getLhs() == x   ? byCos.getRhs()
                    : byCos.getRhs() == x ? byCos.getLhs()
                                          : Value();
        int64_t d = evenLastDim(x);
        if (!cos || cos == x || evenLastDim(cos) != d || evenLastDim(sin) != d)
          continue;
        rewriter.replaceOp(add, build(rewriter, add, x, cos, sin, byCos, interleaved));
        return success();
      }
    }
    return failure();
  }

  /// heed.rotary of x, or transpose(rotary(x', cos', sin')) when x = transpose(x') keeps the
  /// last dim and the rotary's own ops are its only readers.
  static Value build(PatternRewriter &rewriter, AddOp add, Value x, Value cos, Value sin,
                     MulOp byCos, bool interleaved) {
    Location loc = add.getLoc();
    auto transpose = x.getDefiningOp<TransposeOp>();
    int64_t rank = cast<RankedTensorType>(x.getType()).getRank();
    auto sameRank = [rank](Value v) {
      return cast<RankedTensorType>(v.getType()).getRank() == rank;
    };
    // Readers: the product by cos and the two slices (each read once, checked above).
    bool onlyRotary = transpose && llvm::all_of(transpose->getUsers(), [&](Operation *user) {
                        return user == byCos.getOperation() || isa<SliceOp>(user);
                      });
    if (!onlyRotary || transpose.getPermutation().back() != rank - 1 || !sameRank(cos) ||
        !sameRank(sin) || add.getType() != x.getType())
      return RotaryOp::create(rewriter, loc, add.getType(), x, cos, sin, interleaved);
    SmallVector<int64_t> back = invertPermutationVector(transpose.getPermutation());
    Value c = TransposeOp::create(rewriter, loc, cos, back);
    Value s = TransposeOp::create(rewriter, loc, sin, back);
    Value inner = transpose.getInput();
    Value rotated = RotaryOp::create(rewriter, loc, inner.getType(), inner, c, s, interleaved);
    return TransposeOp::create(rewriter, loc, add.getType(), rotated, transpose.getPermutation());
  }
};

struct FuseRotaryPass : heed::impl::HeedFuseRotaryBase<FuseRotaryPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<RotaryFromParts>(&getContext());
    (void)applyPatternsGreedily(getOperation(), std::move(patterns));
  }
};

} // namespace
