//===- AttentionMatch.cpp - Mask analysis shared by the fusion passes -----===//
//
// Masks reach a softmax in many spellings. Each is reduced to heed.attention's
// vocabulary (one operand mask: additive, boolean or key lengths, plus
// causal) only when that is an identity:
//  - scores + M with M a float tensor is an additive mask, always exact;
//  - scores + Where(C, NEG, 0) and Where(C, NEG, scores) (masked_fill) are a
//    boolean mask "not C" when NEG is -inf or the lowest finite value; other
//    fills (-1e4, -1e9) of the first form are kept as additive masks, since a
//    boolean mask would differ from them when scores spread more than |NEG|;
//    of the second form, a boolean mask whose hidden keys score NEG (the
//    fused op's mask_fill), alone with no other mask;
//  - a boolean mask that is heed.causal_mask, a comparison of heed.range
//    values or a triangular constant whose sizes are proven to be Lq and Lk
//    becomes the causal bit; heed.sequence_mask with a proven Lk becomes
//    key lengths. Anything unproven stays a plain boolean mask operand.
//
//===----------------------------------------------------------------------===//

#include "dialects/heed/Transforms/AttentionMatch.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Dominance.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/APFloat.h"

#include <cmath>
#include <limits>
#include <sstream>
#include <thread>

using namespace mlir;
using namespace mlir::heed;
using namespace mlir::heed::fusion;

static constexpr int64_t kDyn = ShapedType::kDynamic;

std::optional<double> fusion::splatFloat(Value value) {
  // heed.full (ConstantOfShape, torch.full with a shape read from a tensor) holds one value too.
  if (auto full = value ? value.getDefiningOp<FullOp>() : FullOp())
    if (auto f = dyn_cast<FloatAttr>(full.getValue()))
      return f.getValueAsDouble();
  DenseElementsAttr attr;
  if (!value || !matchPattern(value, m_Constant(&attr)) || !attr.isSplat() ||
      !isa<FloatType>(attr.getElementType()))
    return std::nullopt;
  return attr.getSplatValue<APFloat>().convertToDouble();
}

namespace {
/// Whether a splat constant or a heed.full (float, integer or bool) is
/// nonzero, or nothing when the value is not one of those.
std::optional<bool> splatNonZero(Value value) {
  if (std::optional<double> f = splatFloat(value))
    return *f != 0;
  if (auto full = value.getDefiningOp<FullOp>())
    if (auto i = dyn_cast<IntegerAttr>(full.getValue()))
      return !i.getValue().isZero();
  DenseElementsAttr attr;
  if (!matchPattern(value, m_Constant(&attr)) || !attr.isSplat() ||
      !isa<IntegerType>(attr.getElementType()))
    return std::nullopt;
  return !attr.getSplatValue<APInt>().isZero();
}
} // namespace

bool fusion::isScalarLike(Value constant, Value other) {
  auto c = dyn_cast<RankedTensorType>(constant.getType());
  auto o = dyn_cast<RankedTensorType>(other.getType());
  return c && o && c.getRank() <= o.getRank() &&
         llvm::all_of(c.getShape(), [](int64_t d) { return d == 1; });
}

bool fusion::isMaskingFill(double value, Type elementType) {
  if (std::isinf(value) && value < 0)
    return true;
  auto floatType = dyn_cast<FloatType>(elementType);
  if (!floatType || !std::isfinite(value))
    return false;
  double lowest =
      llvm::APFloat::getLargest(floatType.getFloatSemantics(), /*Negative=*/true).convertToDouble();
  // An f32 finfo.min written to the IR as a decimal may round; allow 1e-6.
  return value <= lowest * (1 - 1e-6);
}

std::string fusion::formatDouble(double value) {
  std::ostringstream os;
  os << value;
  return os.str();
}

bool fusion::leadsTo(Value value, function_ref<bool(Operation *)> isRoot, int depth) {
  Operation *def = value ? value.getDefiningOp() : nullptr;
  if (!def)
    return false;
  if (isRoot(def))
    return true;
  if (depth == 0 || !isa<AddOp, SubOp, MulOp, DivOp, WhereOp, TransposeOp, ReshapeOp>(def))
    return false;
  return llvm::any_of(def->getOperands(), [&](Value operand) {
    return isa<FloatType>(getElementTypeOrSelf(operand.getType())) &&
           leadsTo(operand, isRoot, depth - 1);
  });
}

/// Where a dynamic dim's size comes from: followed back through ops whose
/// result dim is exactly one operand dim (transposes, reshapes that keep the
/// dim, slices, concats and reductions on other axes, matmul rows and batch
/// dims, elementwise ops whose other operands have a static 1 or no such dim
/// or the same origin, softmaxes and layer norms), so
/// that q.size(0) read before the in-projection and the heads split is
/// known to be the attention's query length.
namespace {

/// `budget` bounds the operands visited in all: a broadcasting op with several dynamic operands
/// follows each of them, which on a chain of such ops would otherwise grow exponentially.
DimSource dimOriginWithin(Value value, int64_t axis, int &budget);

/// The tensor and axis an index value reads with heed.dim, or a null tensor.
std::pair<Value, int64_t> sizeRead(Value index) {
  auto dim = index.getDefiningOp<DimOp>();
  if (!dim)
    return {};
  auto axis = shape::normalizeAxis(int64_t(dim.getDim()), dim.getInput().getType().getRank());
  return axis ? std::pair<Value, int64_t>{dim.getInput(), *axis} : std::pair<Value, int64_t>{};
}

/// Whether index values `start` and `step` are the constants 0 and 1 (a prefix, an arange).
bool fromZeroByOne(Value start, Value step) {
  APInt a, b;
  return matchPattern(start, m_ConstantInt(&a)) && a.isZero() &&
         matchPattern(step, m_ConstantInt(&b)) && b.isOne();
}

/// The origin X of the `end` of a `slice_dynamic(t, 0, end, 1)` along `axis`, when `source`
/// (whose origin dimOriginWithin found) is one: a prefix of a table cut to dim X of another
/// tensor (Llama's rotary tables, cos[:L] with L = x.size(1)). Its length is min(X, table), so
/// it is not X itself; but where it broadcasts against an operand of size X the op only runs
/// when both are X (or X = 1, where the prefix is 1 too).
std::optional<DimSource> prefixBound(DimSource source, int &budget) {
  auto slice = source.tensor.getDefiningOp<SliceDynamicOp>();
  if (!slice || int64_t(slice.getAxis()) != source.axis)
    return std::nullopt;
  auto [tensor, axis] = sizeRead(slice.getEnd());
  if (!tensor || !fromZeroByOne(slice.getStart(), slice.getStep()))
    return std::nullopt;
  return dimOriginWithin(tensor, axis, budget);
}

bool sameSource(DimSource a, DimSource b) { return a.tensor == b.tensor && a.axis == b.axis; }

/// The name heed.dims gives dim `axis` of an entry function's argument, or "".
StringRef namedDim(BlockArgument arg, int64_t axis) {
  auto func = dyn_cast_or_null<func::FuncOp>(arg.getOwner()->getParentOp());
  if (!func || arg.getOwner() != &func.getBody().front())
    return "";
  auto dims = func.getArgAttrOfType<ArrayAttr>(arg.getArgNumber(), "heed.dims");
  auto name = dims && axis < int64_t(dims.size()) ? dyn_cast<StringAttr>(dims[axis]) : nullptr;
  if (!name || name.getValue().empty() || name.getValue() == "?" ||
      llvm::isDigit(name.getValue().front()))
    return "";
  return name.getValue();
}

/// The first of the entry arguments' dynamic dims that heed.dims names like dim `axis` of `arg`
/// ("B" of the decoder input and of the encoder output). The names are a promise of the model's
/// signature that heed_function_invoke enforces before running (inputs that disagree are
/// refused), so these dims are one size.
std::optional<DimSource> firstNamedAlike(BlockArgument arg, int64_t axis) {
  StringRef name = namedDim(arg, axis);
  if (name.empty())
    return std::nullopt;
  for (BlockArgument other : arg.getOwner()->getArguments()) {
    auto type = dyn_cast<RankedTensorType>(other.getType());
    for (int64_t d = 0; type && d < type.getRank(); ++d)
      if (type.isDynamicDim(d) && namedDim(other, d) == name)
        return DimSource{other, d};
  }
  return std::nullopt;
}

DimSource dimOriginWithin(Value value, int64_t axis, int &budget) {
  for (int depth = 0; depth < 32 && budget > 0; ++depth, --budget) {
    auto type = dyn_cast<RankedTensorType>(value.getType());
    if (!type || axis < 0 || axis >= type.getRank() || !type.isDynamicDim(axis))
      break;
    Operation *def = value.getDefiningOp();
    int64_t rank = type.getRank();
    // The operand of an elementwise-shaped op that gives dim `axis`. A dynamic dim in another
    // operand could be a run-time 1 or the size, so several operands with a dynamic dim there
    // must all come from the same place (or be prefixes cut to it: prefixBound).
    auto broadcastSource = [&](ValueRange operands, int64_t outRank) -> std::pair<Value, int64_t> {
      SmallVector<std::pair<Value, int64_t>> dynamic;
      for (Value operand : operands) {
        auto t = dyn_cast<RankedTensorType>(operand.getType());
        if (!t)
          return {};
        int64_t d = axis - (outRank - t.getRank());
        if (d < 0 || t.getDimSize(d) == 1)
          continue;
        if (!t.isDynamicDim(d))
          return {};
        dynamic.push_back({operand, d});
      }
      if (dynamic.size() <= 1)
        return dynamic.empty() ? std::pair<Value, int64_t>{} : dynamic.front();
      std::optional<DimSource> exact;
      SmallVector<DimSource> bounds;
      for (auto [operand, d] : dynamic) {
        DimSource origin = dimOriginWithin(operand, d, budget);
        if (std::optional<DimSource> bound = prefixBound(origin, budget)) {
          bounds.push_back(*bound);
          continue;
        }
        if (exact && !sameSource(*exact, origin))
          return {};
        exact = origin;
      }
      if (!exact || !llvm::all_of(bounds, [&](DimSource b) { return sameSource(b, *exact); }))
        return {};
      return {exact->tensor, exact->axis};
    };
    std::pair<Value, int64_t> next{};
    if (auto arg = dyn_cast<BlockArgument>(value)) {
      if (std::optional<DimSource> first = firstNamedAlike(arg, axis);
          first && !sameSource(*first, {value, axis}))
        next = {first->tensor, first->axis};
    } else if (auto transpose = dyn_cast_or_null<TransposeOp>(def)) {
      next = {transpose.getInput(), transpose.getPermutation()[axis]};
    } else if (auto reshape = dyn_cast_or_null<ReshapeOp>(def)) {
      auto in = reshape.getInput().getType();
      for (int64_t d = 0; d < in.getRank(); ++d)
        if (in.isDynamicDim(d) && keepsDim(reshape, d, axis)) {
          if (next.first) // two candidates: not provable
            return {value, axis};
          next = {reshape.getInput(), d};
        }
    } else if (auto slice = dyn_cast_or_null<SliceOp>(def)) {
      if (shape::normalizeAxis(slice.getAxis(), rank) != axis)
        next = {slice.getInput(), axis};
    } else if (auto concat = dyn_cast_or_null<ConcatOp>(def)) {
      // Every operand has the result's size on the other axes (rotate_half's cat).
      if (shape::normalizeAxis(concat.getAxis(), rank) != axis)
        next = {concat->getOperand(0), axis};
    } else if (auto reduce = dyn_cast_or_null<ReduceOp>(def)) {
      // A kept dim of a reduction with constant axes (RMSNorm's mean over the features).
      ArrayRef<int64_t> axes = reduce.getAxes();
      int64_t inRank = cast<RankedTensorType>(reduce.getInput().getType()).getRank();
      SmallVector<bool> reduced(inRank, false);
      bool known = !axes.empty() && reduce->getNumOperands() == 1;
      for (int64_t a : axes) {
        auto n = shape::normalizeAxis(a, inRank);
        known = known && n;
        if (n)
          reduced[*n] = true;
      }
      int64_t in = -1;
      for (int64_t d = 0, out = 0; known && d < inRank; ++d) {
        if (reduced[d] && !reduce.getKeepDims())
          continue;
        if (out++ == axis)
          in = reduced[d] ? -1 : d;
      }
      if (in >= 0)
        next = {reduce.getInput(), in};
    } else if (auto matmul = dyn_cast_or_null<MatmulOp>(def)) {
      auto lhs = matmul.getLhs().getType(), rhs = matmul.getRhs().getType();
      if (lhs.getRank() >= 2 && rhs.getRank() >= 2) {
        if (axis == rank - 2)
          next = {matmul.getLhs(), matmul.getTransposeA() ? lhs.getRank() - 1 : lhs.getRank() - 2};
        else if (axis == rank - 1)
          next = {matmul.getRhs(), matmul.getTransposeB() ? rhs.getRank() - 2 : rhs.getRank() - 1};
        else if (rhs.getRank() == 2)
          next = {matmul.getLhs(), axis - (rank - lhs.getRank())};
        else // batch dims, right-aligned like the operands' own (their matrices included)
          next = broadcastSource(matmul.getOperands(), rank);
      }
    } else if (auto linear = dyn_cast_or_null<LinearOp>(def)) {
      if (axis < rank - 1)
        next = {linear.getInput(), axis};
    } else if (def && (def->hasTrait<OpTrait::Elementwise>() ||
                       isa<AddOp, SubOp, MulOp, DivOp, MaxOp, MinOp, PowOp, AndOp, OrOp, CompareOp,
                           WhereOp>(def))) {
      // The broadcasting ops too: a projection's bias add before heed-fuse-linear makes it one.
      next = broadcastSource(def->getOperands(), rank);
    } else if (auto dynamic = dyn_cast_or_null<ReshapeDynamicOp>(def)) {
      // A dim given as another tensor's size (bsz * heads merges and splits). With allowzero
      // unset a 0 copies the input's dim instead; the merges and splits exporters write then
      // have an empty input, so the sizes agree there too.
      Value size = dynamic.getShape()[axis];
      if (auto read = sizeRead(size); read.first) {
        next = read;
      } else if (axis >= 1 && TargetDim{size, 0}.isInferred() && mergedLeading(value)) {
        // The -1 of a proven merge of the two leading dims (view(B * H, -1, D)): input dim
        // axis + 1.
        next = {dynamic.getInput(), axis + 1};
      }
    } else if (auto full = dyn_cast_or_null<FullOp>(def)) {
      // torch.full((L, L), ...) and Expand's like-tensor: the size operand read from a tensor.
      if (Value size = full.getSizeOf(axis))
        next = sizeRead(size);
    } else if (auto range = dyn_cast_or_null<RangeOp>(def)) {
      // arange(L): range(0, L, 1) has L elements.
      if (fromZeroByOne(range.getStart(), range.getStep()))
        next = sizeRead(range.getLimit());
    } else if (isa_and_nonnull<BroadcastOp>(def)) {
      // expand(): the input and the like-tensor broadcast together.
      next = broadcastSource(def->getOperands(), rank);
    } else if (isa_and_nonnull<SoftmaxOp, LogSoftmaxOp, LayerNormOp>(def)) {
      // Same shape as the input (norm_first layers read L before the LayerNorm).
      next = {def->getOperand(0), axis};
    }
    if (!next.first)
      break;
    std::tie(value, axis) = next;
  }
  return {value, axis};
}

} // namespace

DimSource fusion::dimOrigin(Value value, int64_t axis) {
  int budget = 512;
  return dimOriginWithin(value, axis, budget);
}

namespace {
ArrayRef<int64_t> shapeOf(Value value) {
  return cast<RankedTensorType>(value.getType()).getShape();
}

/// Whether the index value `size` is provably the dim `staticDim` / one of
/// `sources` (a constant equal to the static size, or heed.dim of a source
/// or of a tensor whose dim comes from the same place: dimOrigin).
bool provenSize(Value size, int64_t staticDim, ArrayRef<DimSource> sources) {
  APInt constant;
  if (matchPattern(size, m_ConstantInt(&constant)))
    return staticDim != kDyn && constant.getSExtValue() == staticDim;
  auto dim = size.getDefiningOp<DimOp>();
  if (!dim)
    return false;
  int64_t rank = dim.getInput().getType().getRank();
  auto axis = shape::normalizeAxis(dim.getDim(), rank);
  // The dim of a heed.full is its size operand (torch.full((L, L), ...) with L read from q).
  if (auto full = dim.getInput().getDefiningOp<FullOp>(); full && axis) {
    if (Value fullSize = full.getSizeOf(*axis))
      return provenSize(fullSize, staticDim, sources);
    return staticDim != kDyn &&
           cast<RankedTensorType>(full.getType()).getDimSize(*axis) == staticDim;
  }
  if (!axis)
    return false;
  DimSource origin = dimOrigin(dim.getInput(), *axis);
  return llvm::any_of(sources, [&](const DimSource &source) {
    DimSource other = dimOrigin(source.tensor, source.axis);
    return (source.tensor == dim.getInput() && source.axis == *axis) ||
           (other.tensor == origin.tensor && other.axis == origin.axis);
  });
}

} // namespace

bool fusion::isSizeOf(Value size, Value tensor, int64_t axis) {
  auto type = cast<RankedTensorType>(tensor.getType());
  return axis >= 0 && axis < type.getRank() &&
         provenSize(size, type.getDimSize(axis), {DimSource{tensor, axis}});
}

bool fusion::TargetDim::isInferred() const {
  APInt c;
  return value ? matchPattern(value, m_ConstantInt(&c)) && c.getSExtValue() == -1 : literal == -1;
}

bool fusion::TargetDim::isSizeOf(Value tensor, int64_t axis) const {
  if (value)
    return fusion::isSizeOf(value, tensor, axis);
  auto type = cast<RankedTensorType>(tensor.getType());
  return literal > 0 && !type.isDynamicDim(axis) && type.getDimSize(axis) == literal;
}

std::optional<std::pair<Value, SmallVector<fusion::TargetDim>>> fusion::reshapeTarget(Value value) {
  SmallVector<TargetDim> dims;
  if (auto reshape = value.getDefiningOp<ReshapeOp>()) {
    for (int64_t s : reshape.getShape())
      dims.push_back({Value(), s});
    return std::make_pair(reshape.getInput(), dims);
  }
  if (auto reshape = value.getDefiningOp<ReshapeDynamicOp>()) {
    for (Value v : reshape.getShape())
      dims.push_back({v, 0});
    return std::make_pair(reshape.getInput(), dims);
  }
  return std::nullopt;
}

namespace {
/// Whether dims [from, ...) of `target` are dims [from + shift, ...) of `x`, one of them
/// possibly inferred (-1: the element count then fixes it).
bool trailingKept(ArrayRef<TargetDim> target, Value x, int64_t from, int64_t shift) {
  int inferred = 0;
  for (int64_t k = from; k < static_cast<int64_t>(target.size()); ++k) {
    if (target[k].isInferred())
      ++inferred;
    else if (!target[k].isSizeOf(x, k + shift))
      return false;
  }
  return inferred <= 1;
}

} // namespace

Value fusion::mergedLeading(Value value) {
  // dimOrigin asks this of merges whose -1 it follows, and this asks dimOrigin of their sizes:
  // a chain of such merges is followed a few levels deep, not exponentially.
  static thread_local int depth = 0;
  if (depth >= 3)
    return {};
  struct Nested {
    Nested() { ++depth; }
    ~Nested() { --depth; }
  } nested;
  auto target = reshapeTarget(value);
  if (!target)
    return {};
  auto [x, dims] = *target;
  auto type = cast<RankedTensorType>(x.getType());
  if (type.getRank() < 3 || static_cast<int64_t>(dims.size()) != type.getRank() - 1)
    return {};
  // The merged dim: d0 * d1 as a product of the two sizes, or a constant equal to it.
  const TargetDim &merged = dims.front();
  bool proven = false;
  if (merged.value) {
    if (auto mul = merged.value.getDefiningOp<arith::MulIOp>())
      proven = (isSizeOf(mul.getLhs(), x, 0) && isSizeOf(mul.getRhs(), x, 1)) ||
               (isSizeOf(mul.getLhs(), x, 1) && isSizeOf(mul.getRhs(), x, 0));
    APInt c;
    if (!proven && matchPattern(merged.value, m_ConstantInt(&c)) && !type.isDynamicDim(0) &&
        !type.isDynamicDim(1))
      proven = c.getSExtValue() == type.getDimSize(0) * type.getDimSize(1);
  } else if (!type.isDynamicDim(0) && !type.isDynamicDim(1)) {
    proven = merged.literal == type.getDimSize(0) * type.getDimSize(1);
  }
  // An inferred merged dim is fixed by the element count once the others are kept.
  if (!proven && !(merged.isInferred() && trailingKept(dims, x, 1, 1) &&
                   llvm::none_of(ArrayRef(dims).drop_front(),
                                 [](const TargetDim &d) { return d.isInferred(); })))
    return {};
  return trailingKept(dims, x, 1, 1) ? x : Value();
}

namespace {

/// Looks through reshapes and transposes that only insert, drop or move unit
/// dims, as long as the value is the inner one with unit dims in front
/// (torch exports attn_mask.unsqueeze(0) of an [L, L] mask as reshape to
/// [L, L, 1] then transpose [2, 0, 1]): the innermost such value.
Value stripLeadingUnitDims(Value value) {
  int64_t rank = cast<RankedTensorType>(value.getType()).getRank();
  // Dim d of `value` is dim from[d] of `cur`, or a unit dim (-1).
  SmallVector<int64_t> from = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  Value cur = value, best = value;
  for (int depth = 0; depth < 16; ++depth) {
    if (auto transpose = cur.getDefiningOp<TransposeOp>()) {
      for (int64_t &d : from)
        if (d >= 0)
          d = transpose.getPermutation()[d];
      cur = transpose.getInput();
    } else if (auto reshape = cur.getDefiningOp<ReshapeOp>()) {
      auto in = reshape.getInput().getType(), out = reshape.getType();
      // Non-unit output dims map, in order, onto the non-unit input dims.
      SmallVector<int64_t> outToIn(out.getRank(), -1);
      ArrayRef<int64_t> spec = reshape.getShape();
      int64_t i = 0;
      bool inferredUsed = false;
      for (int64_t o = 0; o < out.getRank(); ++o) {
        if (out.getDimSize(o) == 1)
          continue;
        while (i < in.getRank() && in.getDimSize(i) == 1)
          ++i;
        if (i == in.getRank())
          return best;
        // A 0 copying another input dim of provably the same size ([L, L] unsqueezed to
        // [1, L, L] as spec [1, 0, -1]), or the one -1 once every other dim is matched: a
        // reshape keeps row-major order, so equal sizes in order are the same dims.
        bool sameSize =
            spec[o] == 0 && o < in.getRank() && in.isDynamicDim(o) && in.isDynamicDim(i) &&
            sameSource(dimOrigin(reshape.getInput(), o), dimOrigin(reshape.getInput(), i));
        bool inferred = spec[o] == -1 && !inferredUsed;
        if (!keepsDim(reshape, i, o) && !sameSize && !inferred)
          return best;
        inferredUsed |= inferred && !keepsDim(reshape, i, o);
        outToIn[o] = i++;
      }
      while (i < in.getRank() && in.getDimSize(i) == 1)
        ++i;
      if (i != in.getRank())
        return best;
      for (int64_t &d : from)
        if (d >= 0)
          d = outToIn[d];
      cur = reshape.getInput();
    } else {
      break;
    }
    // `cur` with unit dims in front: its dims in order, last.
    int64_t curRank = cast<RankedTensorType>(cur.getType()).getRank();
    if (curRank > rank)
      continue;
    bool leading = true;
    for (int64_t d = 0; d < rank; ++d)
      leading &= from[d] == (d < rank - curRank ? -1 : d - (rank - curRank));
    if (leading)
      best = cur;
  }
  return best;
}

/// `value` + c for a splat integer constant c (BART's arange + 1): value and c, else value, 0.
std::pair<Value, int64_t> withoutOffset(Value value) {
  auto add = value.getDefiningOp<AddOp>();
  if (!add || add.getType() != add.getLhs().getType())
    return {value, 0};
  DenseElementsAttr attr;
  if (!matchPattern(add.getRhs(), m_Constant(&attr)) || !attr.isSplat() ||
      !isa<IntegerType>(attr.getElementType()) || attr.getType().getNumElements() != 1)
    return {value, 0};
  // Small offsets only: the compare of ranges plus them cannot overflow.
  int64_t c = attr.getSplatValue<APInt>().getSExtValue();
  return std::abs(c) <= (int64_t(1) << 32) ? std::pair{add.getLhs(), c} : std::pair{value, 0};
}

/// The 0, 1, ... n-1 index vector of a heed.range, shaped [n] or [n, 1] /
/// [1, n] by a reshape; `column` says which. Returns the range's limit. With `offset`, also
/// range + c (before or after the reshape), c in *offset.
Value indexVector(Value value, bool &column, bool &row, int64_t *offset = nullptr) {
  column = row = false;
  if (offset) {
    std::tie(value, *offset) = withoutOffset(value);
  }
  auto type = cast<RankedTensorType>(value.getType());
  if (auto reshape = value.getDefiningOp<ReshapeOp>()) {
    if (type.getRank() != 2 || reshape.getInput().getType().getRank() != 1)
      return {};
    ArrayRef<int64_t> spec = reshape.getShape();
    if (spec[1] == 1 && (spec[0] == -1 || spec[0] == 0))
      row = true; // [n, 1]: the query index i
    else if (spec[0] == 1 && spec[1] == -1)
      column = true; // [1, n]: the key index j
    else
      return {};
    value = reshape.getInput();
  } else if (type.getRank() == 1) {
    column = true;
  } else {
    return {};
  }
  if (offset && *offset == 0)
    std::tie(value, *offset) = withoutOffset(value);
  auto range = value.getDefiningOp<RangeOp>();
  if (!range || !fromZeroByOne(range.getStart(), range.getStep()))
    return {};
  return range.getLimit();
}

/// Whether an [.., Lq, Lk] constant is a causal pattern; `allowed(i, j)` reads it.
std::optional<CausalAlign> causalConstant(int64_t lq, int64_t lk,
                                          function_ref<std::optional<bool>(int64_t)> allowedAt) {
  bool topLeft = true, bottomRight = true;
  for (int64_t i = 0; i < lq; ++i) {
    for (int64_t j = 0; j < lk; ++j) {
      std::optional<bool> allowed = allowedAt(i * lk + j);
      if (!allowed)
        return std::nullopt;
      topLeft &= *allowed == (j <= i);
      bottomRight &= *allowed == (j <= i + lk - lq);
    }
  }
  if (topLeft)
    return CausalAlign::top_left;
  if (bottomRight)
    return CausalAlign::bottom_right;
  return std::nullopt;
}

/// The trailing [Lq, Lk] of a constant mask, when it has exactly the scores'
/// static sizes and only unit dims before them.
bool constantFitsScores(DenseElementsAttr attr, const ScoresInfo &scores) {
  auto type = cast<RankedTensorType>(attr.getType());
  int64_t rank = type.getRank(), sRank = scores.shape.size();
  if (rank < 2 || rank > sRank)
    return false;
  int64_t lq = scores.shape[sRank - 2], lk = scores.shape[sRank - 1];
  return lq != kDyn && lk != kDyn && type.getDimSize(rank - 2) == lq &&
         type.getDimSize(rank - 1) == lk &&
         llvm::all_of(type.getShape().drop_back(2), [](int64_t d) { return d == 1; });
}

/// The predicate with its operands swapped: a < b <=> b > a (eq and ne stay).
CompareKind mirrored(CompareKind pred) {
  switch (pred) {
  case CompareKind::lt:
    return CompareKind::gt;
  case CompareKind::le:
    return CompareKind::ge;
  case CompareKind::gt:
    return CompareKind::lt;
  case CompareKind::ge:
    return CompareKind::le;
  default:
    return pred;
  }
}

/// The alignment a "j <= i" pattern over an [R, C] mask has against the [Lq, Lk] scores, from
/// what R and C are proven to be. R = Lq, C = Lk: top-left. R = C = Lq (torch.triu of an [L, L]
/// tensor with L = q.size(-2)): the mask broadcasts only when Lk = Lq (the same pattern) or
/// Lq = 1 (one visible cell broadcast to every key), and bottom-right is exactly that in both
/// cases. R = C = Lk: only when Lq = Lk or Lk = 1 (every query sees its one key): top-left.
std::optional<CausalAlign> squareAlign(Value rowLimit, Value columnLimit, int64_t lq, int64_t lk,
                                       const ScoresInfo &scores) {
  bool rowQ = provenSize(rowLimit, lq, scores.queryLength);
  bool rowK = provenSize(rowLimit, lk, scores.keyLength);
  bool colQ = provenSize(columnLimit, lq, scores.queryLength);
  bool colK = provenSize(columnLimit, lk, scores.keyLength);
  if (rowQ && colK)
    return CausalAlign::top_left;
  if (rowQ && colQ)
    return CausalAlign::bottom_right;
  if (rowK && colK)
    return CausalAlign::top_left;
  return std::nullopt;
}

/// When `a` and `b` are the query index [Lq, 1] and the key index [1, Lk] (in either order;
/// `aIsRow` says which), the alignment of a "j <= i" pattern over them (squareAlign).
/// With offsets, a and b may be those indices plus constants (*aOffset, *bOffset).
std::optional<CausalAlign> rowAndColumnAlign(Value a, Value b, int64_t lq, int64_t lk,
                                             const ScoresInfo &scores, bool &aIsRow,
                                             int64_t *aOffset = nullptr,
                                             int64_t *bOffset = nullptr) {
  bool aColumn, bColumn, bRow;
  Value aLimit = indexVector(a, aColumn, aIsRow, aOffset);
  Value bLimit = indexVector(b, bColumn, bRow, bOffset);
  if (!aLimit || !bLimit || aIsRow == bRow)
    return std::nullopt;
  return aIsRow ? squareAlign(aLimit, bLimit, lq, lk, scores)
                : squareAlign(bLimit, aLimit, lq, lk, scores);
}

/// `align` when the cells where "j - i PRED c" holds (hides, when `negated`) are exactly those
/// with j - i <= 0: the causal pattern.
std::optional<CausalAlign> causalDiagonal(CompareKind pred, int64_t c, bool negated,
                                          CausalAlign align) {
  // The visible set as "d <= t" (or its complement "d > t" when the condition hides).
  std::optional<int64_t> visibleUpTo;
  bool hides = negated;
  switch (pred) {
  case CompareKind::le:
    visibleUpTo = hides ? std::nullopt : std::optional<int64_t>(c);
    break;
  case CompareKind::lt:
    visibleUpTo = hides ? std::nullopt : std::optional<int64_t>(c - 1);
    break;
  case CompareKind::gt:
    visibleUpTo = hides ? std::optional<int64_t>(c) : std::nullopt;
    break;
  case CompareKind::ge:
    visibleUpTo = hides ? std::optional<int64_t>(c - 1) : std::nullopt;
    break;
  default:
    break;
  }
  if (visibleUpTo == 0)
    return align;
  return std::nullopt;
}

/// `(j - i) PRED k` or `(i - j) PRED k` with i the query index [Lq, 1], j the key index [1, Lk]
/// and k a constant: how torch.triu / torch.tril of an [L, L] tensor export (range, sub, compare
/// with the diagonal). Causal (top-left) when the visible cells are exactly j - i <= 0.
std::optional<CausalAlign> matchDiagonalCompare(CompareOp compare, bool negated, int64_t lq,
                                                int64_t lk, const ScoresInfo &scores) {
  auto sub = compare.getLhs().getDefiningOp<SubOp>();
  APInt k;
  if (!sub || !matchPattern(compare.getRhs(), m_ConstantInt(&k)))
    return std::nullopt;
  bool lhsRow;
  std::optional<CausalAlign> align =
      rowAndColumnAlign(sub.getLhs(), sub.getRhs(), lq, lk, scores, lhsRow);
  if (!align)
    return std::nullopt;
  // d = j - i whatever the sub's order; the condition is "d PRED c".
  int64_t c = k.getSExtValue();
  CompareKind pred = compare.getPredicate();
  if (lhsRow) { // i - j PRED c  <=>  j - i PRED' -c
    c = -c;
    pred = mirrored(pred);
  }
  return causalDiagonal(pred, c, negated, *align);
}

/// Whether each element of a constant is nonzero (float, integer or bool elements).
std::optional<SmallVector<bool>> nonZeroElements(DenseElementsAttr attr) {
  SmallVector<bool> out;
  if (isa<FloatType>(attr.getElementType())) {
    for (const APFloat &v : attr.getValues<APFloat>())
      out.push_back(!v.isZero());
  } else if (isa<IntegerType>(attr.getElementType())) {
    for (const APInt &v : attr.getValues<APInt>())
      out.push_back(!v.isZero());
  } else {
    return std::nullopt;
  }
  return out;
}

/// An [Lq, Lk] window of a constant causal pattern: minGPT's registered buffer tril(ones(N, N))
/// sliced [:T, :T] (heed.slice_dynamic from 0 to a length proven to be the scores', or heed.slice
/// to their static size), as a bool or compared with 0; any top-left window of a top-left causal
/// pattern is one. HF GPT-2's rows [k - q, k) of it are the bottom-right pattern. The lengths go to
/// `limits`: the window is the pattern only while they fit in the constant.
std::optional<CausalAlign> matchCausalWindow(Value condition, bool negated, int64_t lq, int64_t lk,
                                             const ScoresInfo &scores,
                                             SmallVectorImpl<RunTimeLimit> &limits) {
  Value window = condition;
  bool flip = negated; // may see iff (element != 0) != flip
  if (auto compare = condition.getDefiningOp<CompareOp>()) {
    CompareKind pred = compare.getPredicate();
    if (splatNonZero(compare.getRhs()) != false ||
        (pred != CompareKind::eq && pred != CompareKind::ne))
      return std::nullopt;
    window = compare.getLhs();
    flip = negated != (pred == CompareKind::eq);
  }
  auto type = cast<RankedTensorType>(window.getType());
  int64_t rank = type.getRank();
  if (rank < 2)
    return std::nullopt;
  // The slices of the last two axes: [0, end) with step 1, or for the rows [end - Lq, end) (HF
  // GPT-2's bias[:, :, k - q : k, :k]: the last Lq rows of a Lk-row window, bottom-right).
  Value ends[2];
  Value rowStart; // k - q
  bool sliced[2] = {false, false}, lastRows = false;
  while (Operation *def = window.getDefiningOp()) {
    std::optional<int64_t> axis;
    Value end;
    if (auto s = dyn_cast<SliceDynamicOp>(def)) {
      APInt start, step;
      if (!matchPattern(s.getStep(), m_ConstantInt(&step)) || !step.isOne())
        return std::nullopt;
      axis = shape::normalizeAxis(static_cast<int64_t>(s.getAxis()), rank);
      end = s.getEnd();
      if (!matchPattern(s.getStart(), m_ConstantInt(&start)) || !start.isZero()) {
        auto sub = s.getStart().getDefiningOp<arith::SubIOp>();
        if (!sub || sub.getLhs() != end || axis != rank - 2 ||
            !provenSize(sub.getRhs(), lq, scores.queryLength))
          return std::nullopt;
        lastRows = true;
        rowStart = s.getStart();
      }
    } else if (auto s = dyn_cast<SliceOp>(def)) {
      // I64Attr getters read back as uint64_t: cast before any sign test.
      if (static_cast<int64_t>(s.getStart()) != 0 || static_cast<int64_t>(s.getStep()) != 1)
        return std::nullopt;
      axis = shape::normalizeAxis(static_cast<int64_t>(s.getAxis()), rank);
      int64_t staticEnd = static_cast<int64_t>(s.getEnd());
      if (!axis || *axis < rank - 2 || staticEnd != (*axis == rank - 2 ? lq : lk) ||
          staticEnd == kDyn)
        return std::nullopt;
    } else {
      break;
    }
    if (!axis || *axis < rank - 2 || sliced[*axis - (rank - 2)])
      return std::nullopt;
    sliced[*axis - (rank - 2)] = true;
    ends[*axis - (rank - 2)] = end; // null for a static slice (its end is the static size)
    window = def->getOperand(0);
  }
  DenseElementsAttr attr;
  if (!matchPattern(window, m_Constant(&attr)) || attr.isSplat())
    return std::nullopt;
  auto ctype = cast<RankedTensorType>(attr.getType());
  int64_t n = ctype.getDimSize(rank - 2), m = ctype.getDimSize(rank - 1);
  if (!llvm::all_of(ctype.getShape().drop_back(2), [](int64_t d) { return d == 1; }))
    return std::nullopt;
  SmallVector<RunTimeLimit> found;
  for (int side = 0; side < 2; ++side) {
    // The last Lq of Lk rows: the row slice ends at Lk.
    int64_t want = side == 0 && !lastRows ? lq : lk, have = side == 0 ? n : m;
    const auto &sources = side == 0 && !lastRows ? scores.queryLength : scores.keyLength;
    if (!sliced[side]) {
      if (want != have) // the whole constant: it must be the scores' size
        return std::nullopt;
    } else if (ends[side]) {
      if (!provenSize(ends[side], want, sources))
        return std::nullopt;
      found.push_back({ends[side], std::numeric_limits<int64_t>::min(), have,
                       "has a causal mask cut from a constant of " + std::to_string(have) +
                           " positions: a longer sequence does not fit it, got"});
    }
  }
  if (lastRows) // k - q < 0 would count from the end: not the pattern
    found.push_back({rowStart, 0, std::numeric_limits<int64_t>::max(),
                     "has a causal mask for more queries than keys, cut from a constant: keys "
                     "minus queries is"});
  std::optional<SmallVector<bool>> values = nonZeroElements(attr);
  if (!values)
    return std::nullopt;
  std::optional<CausalAlign> align = causalConstant(
      n, m, [&](int64_t index) -> std::optional<bool> { return (*values)[index] != flip; });
  // Only a top-left pattern stays causal in every top-left window; its last Lq rows of Lk are
  // the bottom-right pattern.
  if (align != CausalAlign::top_left)
    return std::nullopt;
  limits.append(found.begin(), found.end());
  return lastRows ? CausalAlign::bottom_right : CausalAlign::top_left;
}

/// A boolean "may see" mask that is causal with proven sizes; sizes that must fit a constant the
/// mask was cut from go to `limits`.
std::optional<CausalAlign> matchCausal(Value condition, bool negated, const ScoresInfo &scores,
                                       SmallVectorImpl<RunTimeLimit> &limits) {
  if (!scores.causalAllowed || scores.shape.size() < 2)
    return std::nullopt;
  int64_t lq = scores.shape[scores.shape.size() - 2], lk = scores.shape.back();
  condition = stripLeadingUnitDims(condition);
  if (auto causal = condition.getDefiningOp<CausalMaskOp>()) {
    if (negated || !provenSize(causal.getQueryLength(), lq, scores.queryLength) ||
        !provenSize(causal.getKeyLength(), lk, scores.keyLength))
      return std::nullopt;
    return causal.getAlign();
  }
  if (auto align = matchCausalWindow(condition, negated, lq, lk, scores, limits))
    return align;
  if (auto compare = condition.getDefiningOp<CompareOp>()) {
    if (auto align = matchDiagonalCompare(compare, negated, lq, lk, scores))
      return align;
    bool lhsRow;
    int64_t lhsOffset = 0, rhsOffset = 0;
    std::optional<CausalAlign> align = rowAndColumnAlign(compare.getLhs(), compare.getRhs(), lq, lk,
                                                         scores, lhsRow, &lhsOffset, &rhsOffset);
    if (!align)
      return std::nullopt;
    // As "j - i PRED c": (i + a) PRED (j + b) <=> j - i PRED' a - b (PRED mirrored), and
    // (j + a) PRED (i + b) <=> j - i PRED b - a.
    CompareKind pred = compare.getPredicate();
    if (lhsRow)
      return causalDiagonal(mirrored(pred), lhsOffset - rhsOffset, negated, *align);
    return causalDiagonal(pred, rhsOffset - lhsOffset, negated, *align);
  }
  DenseElementsAttr attr;
  if (matchPattern(condition, m_Constant(&attr)) && attr.getElementType().isInteger(1) &&
      constantFitsScores(attr, scores)) {
    auto values = llvm::to_vector(attr.getValues<bool>());
    if (attr.isSplat())
      return std::nullopt;
    return causalConstant(
        lq, lk, [&](int64_t index) -> std::optional<bool> { return values[index] != negated; });
  }
  return std::nullopt;
}

/// heed.sequence_mask(lengths, Lk), possibly reshaped to [B, 1, .., 1, Lk],
/// with the scores' batch first and a proven Lk: its lengths operand.
Value matchLengths(Value condition, const ScoresInfo &scores) {
  if (!scores.lengthsAllowed)
    return {};
  int64_t rank = scores.shape.size();
  Value mask = condition;
  if (auto reshape = condition.getDefiningOp<ReshapeOp>()) {
    ArrayRef<int64_t> spec = reshape.getShape();
    auto in = reshape.getInput().getType();
    if (in.getRank() != 2 || static_cast<int64_t>(spec.size()) != rank)
      return {};
    bool batchKept = spec[0] == 0 || (in.getDimSize(0) != kDyn && spec[0] == in.getDimSize(0));
    bool keysKept =
        spec.back() == -1 || (in.getDimSize(1) != kDyn && spec.back() == in.getDimSize(1));
    if (!batchKept || !keysKept ||
        !llvm::all_of(spec.drop_front().drop_back(), [](int64_t d) { return d == 1; }))
      return {};
    mask = reshape.getInput();
  } else if (rank != 2) {
    return {};
  }
  auto sequence = mask.getDefiningOp<SequenceMaskOp>();
  if (!sequence || !provenSize(sequence.getMaxLength(), scores.shape.back(), scores.keyLength))
    return {};
  // One row of lengths broadcast over the batch is no per-batch lengths mask.
  int64_t batch = sequence.getLengths().getType().getDimSize(0);
  if (!shape::compatible(batch, scores.shape.front()) ||
      (batch == 1) != (scores.shape.front() == 1))
    return {};
  return sequence.getLengths();
}

LogicalResult setOperand(MaskPlan &plan, MaskKind kind, Value operand, bool negate,
                         std::string &reason) {
  MaskKind operandKinds = plan.kind & (MaskKind::additive | MaskKind::boolean | MaskKind::lengths);
  if (operandKinds == MaskKind::none) {
    plan.kind = plan.kind | kind;
    plan.operand = operand;
    plan.negate = negate;
    return success();
  }
  if (operandKinds == kind && kind == MaskKind::boolean) {
    plan.extraBoolean.push_back({operand, negate});
    return success();
  }
  if (operandKinds == kind && kind == MaskKind::additive) {
    plan.extraAdditive.push_back(operand);
    return success();
  }
  reason = "masks of kinds '" + stringifyMaskKind(operandKinds) + "' and '" +
           stringifyMaskKind(kind) + "' cannot be combined into one operand";
  return failure();
}
} // namespace

namespace {
/// m for heed.broadcast(m, like) (expand / expand_as of a mask) when broadcasting m to the
/// scores gives the same: every dim the like-tensor has is 1 or provably the scores' own (a
/// heed.full size operand read from where the scores' dim comes from, or equal static sizes).
Value withoutExpand(Value mask, const ScoresInfo &scores) {
  auto expand = mask.getDefiningOp<BroadcastOp>();
  if (!expand || !scores.scores)
    return mask;
  Value like = expand.getLike();
  auto likeType = cast<RankedTensorType>(like.getType());
  int64_t rank = scores.shape.size(), likeRank = likeType.getRank();
  if (likeRank > rank)
    return mask;
  auto full = like.getDefiningOp<FullOp>();
  for (int64_t d = 0; d < likeRank; ++d) {
    int64_t size = likeType.getDimSize(d), at = d + rank - likeRank;
    if (size == 1 || (size != kDyn && size == scores.shape[at]))
      continue;
    Value operand = full ? full.getSizeOf(d) : Value();
    if (!operand || !isSizeOf(operand, scores.scores, at))
      return mask;
  }
  return expand.getInput();
}
} // namespace

LogicalResult fusion::addBooleanMask(MaskPlan &plan, Value condition, bool negated,
                                     const ScoresInfo &scores, std::string &reason) {
  condition = withoutExpand(condition, scores);
  if (!shape::broadcastsTo(shapeOf(condition), scores.shape)) {
    reason = "mask does not broadcast to the scores";
    return failure();
  }
  // Under unit-dim reshapes (attn_mask.unsqueeze(0)) the same mask.
  Value decided = stripLeadingUnitDims(condition);
  if (auto notOp = decided.getDefiningOp<NotOp>())
    return addBooleanMask(plan, notOp.getInput(), !negated, scores, reason);
  // bool(where(P, a, b)) with constants a != 0 and b == 0 is P (or with a == 0
  // and b != 0, not P): torch.ones(L, L).triu(1).bool() and tril of a bool
  // ones tensor export this way, around the comparison that decides.
  if (auto cast = decided.getDefiningOp<CastOp>())
    decided = cast.getInput();
  if (auto where = decided.getDefiningOp<WhereOp>()) {
    std::optional<bool> t = splatNonZero(where.getOnTrue()), f = splatNonZero(where.getOnFalse());
    if (t && f && *t != *f)
      return addBooleanMask(plan, where.getCondition(), negated != *f, scores, reason);
  }
  // where(P, a, b) == 0 (or != 0) with those constants: P or not P again, as
  // `torch.tril(torch.ones(L, L)) == 0` exports.
  if (auto compare = decided.getDefiningOp<CompareOp>()) {
    auto where = compare.getLhs().getDefiningOp<WhereOp>();
    std::optional<bool> zero = splatNonZero(compare.getRhs());
    CompareKind pred = compare.getPredicate();
    if (where && zero == false && (pred == CompareKind::eq || pred == CompareKind::ne)) {
      std::optional<bool> t = splatNonZero(where.getOnTrue()), f = splatNonZero(where.getOnFalse());
      // (where != 0) is P when a is the nonzero one; eq negates that.
      if (t && f && *t != *f)
        return addBooleanMask(plan, where.getCondition(),
                              negated != *f != (pred == CompareKind::eq), scores, reason);
    }
  }
  // May see iff both may see: and(a, b), or not(or(masked_a, masked_b)) as
  // torch merges a bool attn_mask with the key padding mask.
  // When the parts do not combine (two padding masks), the whole mask is
  // still an exact boolean operand.
  Operation *def = condition.getDefiningOp();
  if ((isa_and_nonnull<AndOp>(def) && !negated) || (isa_and_nonnull<OrOp>(def) && negated)) {
    MaskPlan trial = plan;
    std::string ignored;
    if (succeeded(addBooleanMask(trial, def->getOperand(0), negated, scores, ignored)) &&
        succeeded(addBooleanMask(trial, def->getOperand(1), negated, scores, ignored))) {
      plan = trial;
      return success();
    }
  }
  SmallVector<RunTimeLimit> limits;
  if (auto align = matchCausal(condition, negated, scores, limits)) {
    if (bitEnumContainsAny(plan.kind, MaskKind::causal) && plan.align != *align) {
      reason = "two causal masks of different alignments";
      return failure();
    }
    plan.kind = plan.kind | MaskKind::causal;
    plan.align = *align;
    plan.limits.append(limits.begin(), limits.end());
    return success();
  }
  MaskKind operandKinds = plan.kind & (MaskKind::additive | MaskKind::boolean | MaskKind::lengths);
  if (!negated && operandKinds == MaskKind::none)
    if (Value lengths = matchLengths(condition, scores))
      return setOperand(plan, MaskKind::lengths, lengths, false, reason);
  return setOperand(plan, MaskKind::boolean, condition, negated, reason);
}

LogicalResult fusion::addAdditiveMask(MaskPlan &plan, Value mask, const ScoresInfo &scores,
                                      std::string &reason) {
  mask = withoutExpand(mask, scores);
  if (!shape::broadcastsTo(shapeOf(mask), scores.shape)) {
    reason = "mask does not broadcast to the scores";
    return failure();
  }
  Type element = getElementTypeOrSelf(mask.getType());
  // Where(C, F, M) with a masking fill F: C masks, M (often 0) is added where
  // C does not; torch's attn_mask.masked_fill(key_padding_mask, -inf).
  if (auto where = stripLeadingUnitDims(mask).getDefiningOp<WhereOp>()) {
    std::optional<double> t = splatFloat(where.getOnTrue()), f = splatFloat(where.getOnFalse());
    bool trueFills = t && isMaskingFill(*t, element), falseFills = f && isMaskingFill(*f, element);
    if (trueFills != falseFills) {
      Value rest = trueFills ? where.getOnFalse() : where.getOnTrue();
      std::optional<double> restValue = splatFloat(rest);
      MaskPlan trial = plan;
      std::string ignored;
      if (double fill = trueFills ? *t : *f; std::isfinite(fill))
        trial.finiteFill = fill;
      if (succeeded(addBooleanMask(trial, where.getCondition(), /*negated=*/trueFills, scores,
                                   ignored)) &&
          ((restValue && *restValue == 0) ||
           succeeded(addAdditiveMask(trial, rest, scores, ignored)))) {
        plan = trial;
        return success();
      }
      // Otherwise the where as a whole is an exact additive mask.
    }
  }
  DenseElementsAttr attr;
  Value stripped = stripLeadingUnitDims(mask);
  if (scores.causalAllowed && matchPattern(stripped, m_Constant(&attr)) && !attr.isSplat() &&
      constantFitsScores(attr, scores)) {
    auto values = llvm::to_vector(attr.getValues<APFloat>());
    int64_t lq = scores.shape[scores.shape.size() - 2], lk = scores.shape.back();
    std::optional<double> finiteFill;
    if (auto align = causalConstant(lq, lk, [&](int64_t index) -> std::optional<bool> {
          double v = values[index].convertToDouble();
          if (v == 0)
            return true;
          if (isMaskingFill(v, element)) {
            if (std::isfinite(v))
              finiteFill = v;
            return false;
          }
          return std::nullopt;
        })) {
      plan.kind = plan.kind | MaskKind::causal;
      plan.align = *align;
      if (finiteFill)
        plan.finiteFill = finiteFill;
      return success();
    }
  }
  return setOperand(plan, MaskKind::additive, mask, false, reason);
}

LogicalResult fusion::peelMask(Value value, MaskPlan &plan, const ScoresInfo &scores, Value &inner,
                               std::string &reason) {
  auto isChain = [&](Value v) {
    return leadsTo(v, [](Operation *op) { return isa<MatmulOp, LinearOp, ReduceOp>(op); });
  };
  if (auto add = value.getDefiningOp<AddOp>()) {
    bool lhs = isChain(add.getLhs()), rhs = isChain(add.getRhs());
    if (lhs == rhs) {
      reason = lhs ? "cannot tell the scores from the mask in an add" : "";
      return failure();
    }
    inner = lhs ? add.getLhs() : add.getRhs();
    Value mask = lhs ? add.getRhs() : add.getLhs();
    if (shapeOf(inner) != add.getType().getShape()) {
      reason = "mask does not broadcast to the scores";
      return failure();
    }
    return addAdditiveMask(plan, mask, scores, reason);
  }
  if (auto where = value.getDefiningOp<WhereOp>()) {
    Type element = getElementTypeOrSelf(where.getType());
    bool trueChain = isChain(where.getOnTrue()), falseChain = isChain(where.getOnFalse());
    if (trueChain == falseChain) {
      reason = trueChain ? "cannot tell the scores from the fill value in a where" : "";
      return failure();
    }
    inner = trueChain ? where.getOnTrue() : where.getOnFalse();
    std::optional<double> fill = splatFloat(trueChain ? where.getOnFalse() : where.getOnTrue());
    if (!fill) {
      reason = "masked_fill value is not a constant";
      return failure();
    }
    if (!isMaskingFill(*fill, element) && !std::isfinite(*fill)) {
      reason = "masked_fill value " + formatDouble(*fill) + " is neither -inf nor finite";
      return failure();
    }
    if (!isMaskingFill(*fill, element) && plan.scoreFill) {
      reason = "a second finite masked_fill value " + formatDouble(*fill) +
               " (one is kept as the hidden keys' score)";
      return failure();
    }
    if (shapeOf(inner) != where.getType().getShape()) {
      reason = "mask does not broadcast to the scores";
      return failure();
    }
    if (!isMaskingFill(*fill, element)) {
      // masked_fill(C, -1e9): the hidden keys keep their score -1e9 (a row C hides entirely
      // gets uniform weights), so C stays a plain boolean operand: as key lengths or causal it
      // would leave those keys out.
      plan.scoreFill = *fill;
      return setOperand(plan, MaskKind::boolean, where.getCondition(), /*negate=*/!trueChain,
                        reason);
    }
    if (std::isfinite(*fill))
      plan.finiteFill = *fill;
    return addBooleanMask(plan, where.getCondition(), /*negated=*/!trueChain, scores, reason);
  }
  reason = "";
  return failure();
}

LogicalResult fusion::checkScoreFill(const MaskPlan &plan, std::string &reason) {
  if (!plan.scoreFill ||
      (plan.kind == MaskKind::boolean && plan.extraBoolean.empty() && plan.extraAdditive.empty()))
    return success();
  reason = "masked_fill value " + formatDouble(*plan.scoreFill) +
           " is finite: it is kept as the hidden keys' score only with no other mask";
  return failure();
}

LogicalResult fusion::checkMaskedRows(const MaskPlan &plan, MaskedRows maskedRows,
                                      std::string &reason) {
  if (maskedRows != MaskedRows::nan || !plan.finiteFill)
    return success();
  reason = "masked_fill value " + formatDouble(*plan.finiteFill) +
           " is finite: with masked-rows=nan the decomposed graph's fully masked rows (uniform "
           "weights) cannot be kept";
  return failure();
}

Value fusion::materializeMask(OpBuilder &builder, Location loc, const MaskPlan &plan) {
  if (!plan.operand)
    return {};
  auto maybeNot = [&](Value v, bool negate) -> Value {
    return negate ? NotOp::create(builder, loc, v).getResult() : v;
  };
  Value mask = maybeNot(plan.operand, plan.negate);
  for (auto [value, negate] : plan.extraBoolean)
    mask = AndOp::create(builder, loc, mask, maybeNot(value, negate));
  for (Value value : plan.extraAdditive)
    mask = AddOp::create(builder, loc, mask, value);
  return mask;
}

LogicalResult fusion::verifiesWhenBuilt(MLIRContext *context,
                                        function_ref<Operation *(OpBuilder &)> build,
                                        std::string &message) {
  Block scratch;
  OpBuilder builder(context);
  builder.setInsertionPointToEnd(&scratch);
  Operation *op = build(builder);
  std::string first;
  LogicalResult result = success();
  {
    // The handler is the context's, shared by every thread of a parallel pass
    // manager: keep only this thread's diagnostics, or a remark or error that
    // another function's pass emits meanwhile would be swallowed (and `first`
    // written from two threads).
    std::thread::id self = std::this_thread::get_id();
    ScopedDiagnosticHandler quiet(context, [&](Diagnostic &diag) {
      if (std::this_thread::get_id() != self)
        return failure();
      if (first.empty())
        first = diag.str();
      return success();
    });
    result = verify(op, /*verifyRecursively=*/false);
  }
  if (failed(result))
    message = first;
  // The scratch block's destructor drops the ops' uses of outside values.
  scratch.clear();
  return result;
}

LogicalResult fusion::placeFusedOp(SoftmaxOp softmax, Value values, Operation *product,
                                   ArrayRef<OpOperand *> weightUses,
                                   function_ref<Operation *(OpBuilder &)> build,
                                   Operation *&insertionPoint, std::string &reason) {
  DominanceInfo dominance(softmax->getParentOp());
  insertionPoint = dominance.properlyDominates(values, softmax) ? softmax.getOperation() : product;
  for (OpOperand *use : weightUses) {
    if (!dominance.properlyDominates(insertionPoint, use->getOwner())) {
      reason = "the attention weights are used before the values are ready";
      return failure();
    }
  }
  // Last, the shape rules of the fused op itself (e.g. values that broadcast
  // the weights to more heads than the scores have).
  std::string message;
  if (failed(verifiesWhenBuilt(softmax.getContext(), build, message))) {
    reason = "the fused op would not verify: " + message;
    return failure();
  }
  return success();
}

ReshapeOp fusion::headMerge(Value value) {
  if (!value.hasOneUse())
    return {};
  auto transpose = dyn_cast<TransposeOp>(*value.getUsers().begin());
  if (!transpose || transpose.getPermutation() != ArrayRef<int64_t>{0, 2, 1, 3} ||
      !transpose.getResult().hasOneUse())
    return {};
  auto reshape = dyn_cast<ReshapeOp>(*transpose.getResult().getUsers().begin());
  if (!reshape || reshape.getType().getRank() != 3)
    return {};
  // Dims 0 and 1 kept, so the last one is all of H * Dv.
  if (!keepsDim(reshape, 0, 0) || !keepsDim(reshape, 1, 1))
    return {};
  return reshape;
}

/// Whether a reshape keeps dims `kept` of its input in place (spec 0 or the
/// same static size) and only inserts or drops unit dims elsewhere.
bool fusion::keepsDim(ReshapeOp reshape, int64_t inDim, int64_t outDim) {
  ArrayRef<int64_t> spec = reshape.getShape();
  auto in = reshape.getInput().getType(), out = reshape.getType();
  if (outDim >= static_cast<int64_t>(spec.size()) || inDim >= in.getRank())
    return false;
  // A reshape is row-major whatever its spec: equal static sizes suffice.
  if (!in.isDynamicDim(inDim) && !out.isDynamicDim(outDim) &&
      in.getDimSize(inDim) == out.getDimSize(outDim))
    return true;
  int64_t s = spec[outDim];
  if ((s == 0 && inDim == outDim) || (!in.isDynamicDim(inDim) && s == in.getDimSize(inDim)))
    return true;
  if (s != -1 || llvm::count(spec, -1) != 1)
    return false;
  // Every other dim is a unit dim or a copied leading dim, so -1 takes
  // exactly this input dim.
  if (llvm::all_of(llvm::enumerate(spec), [&](auto e) {
        return static_cast<int64_t>(e.index()) == outDim || e.value() == 1 ||
               (e.value() == 0 && static_cast<int64_t>(e.index()) != inDim);
      }))
    return true;
  // Or the dims before the -1 hold as many elements as the input dims before
  // `inDim`, and the dims after it as many as those after (static sizes, as
  // torch exports `unsqueeze` with a traced batch: [2, ?] -> [2, 1, -1]).
  // Row-major order then maps index i of input dim `inDim` to index i of
  // output dim `outDim`, and -1 resolves to that dim's size.
  auto product = [](auto sizes, int64_t &result) {
    result = 1;
    for (int64_t size : sizes) {
      if (size <= 0)
        return false;
      result *= size;
    }
    return true;
  };
  // Leading dims the spec copies (0) are the same on both sides, dynamic or not.
  ArrayRef<int64_t> inShape = in.getShape();
  int64_t copied = 0;
  while (copied < std::min(inDim, outDim) && spec[copied] == 0)
    ++copied;
  int64_t inBefore, inAfter, outBefore, outAfter;
  return product(inShape.take_front(inDim).drop_front(copied), inBefore) &&
         product(inShape.drop_front(inDim + 1), inAfter) &&
         product(spec.take_front(outDim).drop_front(copied), outBefore) &&
         product(spec.drop_front(outDim + 1), outAfter) && inBefore == outBefore &&
         inAfter == outAfter;
}

/// [B, X] -> reshape -> [B, 1, X] (a step dim inserted at 1).
Value fusion::insertsStepDim(Value value) {
  auto reshape = value.getDefiningOp<ReshapeOp>();
  if (!reshape || reshape.getInput().getType().getRank() != 2 || reshape.getType().getRank() != 3 ||
      reshape.getType().getDimSize(1) != 1 || !keepsDim(reshape, 0, 0) || !keepsDim(reshape, 1, 2))
    return {};
  return reshape.getInput();
}
