//===- HeedOps.cpp - Shape inference, verifiers and folders ---------------===//
//
// Every op's inferReturnTypes states its shape rules once; the verifier is
// that inference (InferTypeOpInterface), so a rule cannot be checked in one
// place and forgotten in the other. Dim-level arithmetic is in
// ShapeInference.cpp; the recurrent and attention ops' rules are in
// RecurrentOps.cpp and AttentionOps.cpp.
//
//===----------------------------------------------------------------------===//

#include "dialects/heed/IR/HeedOps.h"

#include "dialects/heed/IR/AttrRules.h"
#include "dialects/heed/IR/InferHelpers.h"
#include "runtime/core/TensorLimits.h"

#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/STLExtras.h"

#include <cmath>
#include <numeric>

using namespace mlir;
using namespace mlir::heed;
using namespace mlir::heed::infer;

namespace {
/// The value of an index operand when it is a constant, else dynamic.
int64_t constantDim(Value v) {
  APInt value;
  if (v && matchPattern(v, m_ConstantInt(&value)) && !value.isNegative())
    return value.getSExtValue();
  return kDyn;
}

/// The value of an index operand when it is a constant (of any sign).
std::optional<int64_t> constantIndex(Value v) {
  APInt value;
  if (v && matchPattern(v, m_ConstantInt(&value)))
    return value.getSExtValue();
  return std::nullopt;
}

/// Checks an axis attribute against a rank and normalizes it.
FailureOr<int64_t> checkAxis(const ShapeError &error, int64_t axis, int64_t rank,
                             StringRef what = "axis") {
  if (auto normalized = shape::normalizeAxis(axis, rank))
    return *normalized;
  return error(what, " ", axis, " is out of range for rank ", rank);
}

/// A tensor operand and its axis attribute, checked against the rank and
/// normalized: how every op with an axis starts.
struct TensorAndAxis {
  RankedTensorType type;
  int64_t axis;
};
FailureOr<TensorAndAxis> tensorAndAxis(const ShapeError &error, Value input, int64_t axis) {
  auto type = tensorOf(input);
  if (!type)
    return failure();
  auto normalized = checkAxis(error, axis, type.getRank());
  if (failed(normalized))
    return failure();
  return TensorAndAxis{type, *normalized};
}

/// Broadcasts any number of tensors with NumPy rules.
FailureOr<SmallVector<int64_t>> broadcastAll(const ShapeError &error,
                                             ArrayRef<RankedTensorType> types) {
  SmallVector<int64_t> result;
  for (RankedTensorType type : types) {
    auto next = shape::broadcast(result, type.getShape());
    if (!next)
      return error("operand shapes ", shapeString(result), " and ", shapeString(type.getShape()),
                   " are not broadcastable");
    result = *next;
  }
  return result;
}

LogicalResult inferSameAsInput(Value input, Types &inferred) {
  auto type = tensorOf(input);
  if (!type)
    return failure();
  inferred.push_back(type);
  return success();
}
} // namespace

LogicalResult mlir::heed::verifyInferredTypes(Operation *op) {
  SmallVector<Type> types(op->getResultTypes());
  return cast<InferTypeOpInterface>(op).refineReturnTypes(
      op->getContext(), op->getLoc(), op->getOperands(), op->getRawDictionaryAttrs(),
      op->getPropertiesStorage(), op->getRegions(), types);
}

LogicalResult mlir::heed::verifyTensorSizeLimit(Operation *op) {
  for (Type t : op->getResultTypes()) {
    auto type = dyn_cast<RankedTensorType>(t);
    if (!type || !type.hasStaticShape())
      continue;
    Type element = type.getElementType();
    uint64_t elementBytes =
        element.isIntOrFloat() ? (element.getIntOrFloatBitWidth() + 7) / 8 : uint64_t(8);
    uint64_t bytes = 0;
    if (!::heed::staticTensorBytes(type.getShape(), elementBytes, bytes))
      return op->emitOpError("result type ") << type << " has more than 2^64 bytes";
    if (bytes > ::heed::maxTensorBytes())
      return op->emitOpError("result type ")
             << type << " needs " << bytes << " bytes, over the limit of "
             << ::heed::maxTensorBytes() << " (" << ::heed::kMaxTensorBytesHint << ")";
  }
  return success();
}

namespace rules = ::heed::attr_rules;
// The rule table's enum values are the generated enums' (HeedAttrs.td).
static_assert(getMaxEnumValForCausalAlign() == rules::kCausalAlignMax);
static_assert(getMaxEnumValForMaskedRows() == rules::kMaskedRowsMax);
static_assert(getMaxEnumValForCompareKind() == rules::kCompareKindMax);
static_assert(getMaxEnumValForReduceKind() == rules::kReduceKindMax);
static_assert(getMaxEnumValForGeluApprox() == rules::kGeluApproxMax);
static_assert(getMaxEnumValForRnnActivation() == rules::kRnnActivationMax);
static_assert(getMaxEnumValForActivation() == rules::kActivationMax);
static_assert(int64_t(MaskKind::additive) == rules::kMaskAdditive &&
              int64_t(MaskKind::boolean) == rules::kMaskBoolean &&
              int64_t(MaskKind::lengths) == rules::kMaskLengths &&
              int64_t(MaskKind::causal) == rules::kMaskCausal);

std::optional<int64_t> mlir::heed::integerValue(Attribute a) {
  if (auto b = dyn_cast<BoolAttr>(a))
    return b.getValue() ? 1 : 0;
  if (auto i = dyn_cast<IntegerAttr>(a))
    return i.getType().isInteger(1) ? int64_t(i.getValue().getZExtValue())
                                    : i.getValue().getSExtValue();
  if (auto e = dyn_cast<MaskKindAttr>(a))
    return int64_t(e.getValue());
  if (auto e = dyn_cast<CausalAlignAttr>(a))
    return int64_t(e.getValue());
  if (auto e = dyn_cast<MaskedRowsAttr>(a))
    return int64_t(e.getValue());
  if (auto e = dyn_cast<CompareKindAttr>(a))
    return int64_t(e.getValue());
  if (auto e = dyn_cast<ReduceKindAttr>(a))
    return int64_t(e.getValue());
  if (auto e = dyn_cast<GeluApproxAttr>(a))
    return int64_t(e.getValue());
  if (auto e = dyn_cast<RnnActivationAttr>(a))
    return int64_t(e.getValue());
  if (auto e = dyn_cast<ActivationAttr>(a))
    return int64_t(e.getValue());
  return std::nullopt;
}

LogicalResult mlir::heed::verifyAttrRules(Operation *op) {
  LogicalResult result = success();
  rules::forEachRule(op->getName().getStringRef(), [&](const rules::Rule &rule) {
    Attribute attr = op->getAttr(rule.attr);
    std::optional<int64_t> value = attr ? integerValue(attr) : std::nullopt;
    if (failed(result) || !value)
      return;
    std::string why = rules::violation(rule, *value);
    if (!why.empty())
      result = op->emitOpError("attribute '") << rule.attr << "' " << why;
  });
  return result;
}

//===----------------------------------------------------------------------===//
// Values
//===----------------------------------------------------------------------===//

LogicalResult ConstantOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                           Adaptor adaptor, Types &inferred) {
  auto type = dyn_cast<RankedTensorType>(adaptor.getValue().getType());
  if (!type)
    return ShapeError(loc, getOperationName())("value must be a ranked tensor");
  inferred.push_back(type);
  return success();
}

LogicalResult ConstantOp::verify() {
  if (failed(verifyInferredTypes(*this)))
    return failure();
  // A constant's type is its value's: the folder returns the value, and a
  // refined result type would make the two disagree.
  if (getType() != getValue().getType())
    return emitOpError("result type ")
           << getType() << " differs from the value's type " << getValue().getType();
  return success();
}

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

LogicalResult WeightOp::verify() {
  if (getName().empty())
    return emitOpError("expects a non-empty weight name");
  return success();
}

LogicalResult DimOp::verify() {
  return checkAxis(ShapeError(getLoc(), getOperationName()), getDim(),
                   getInput().getType().getRank(), "dim");
}

OpFoldResult DimOp::fold(FoldAdaptor) {
  auto type = getInput().getType();
  auto dim = shape::normalizeAxis(getDim(), type.getRank());
  if (!dim || type.isDynamicDim(*dim))
    return {};
  return IntegerAttr::get(IndexType::get(getContext()), type.getDimSize(*dim));
}

LogicalResult ExtractOp::verify() {
  auto type = getInput().getType();
  if (type.getRank() > 1)
    return emitOpError("expects a 0-D or 1-D tensor, got ") << type;
  int64_t n = type.getRank() == 0 ? 1 : type.getDimSize(0);
  // An I64Attr reads back as uint64_t: compare it signed, or a negative index passes.
  auto index = static_cast<int64_t>(getIndex());
  if (index < 0 || (n != kDyn && index >= n))
    return emitOpError("index ") << index << " is out of range for " << type;
  return success();
}

LogicalResult FullOp::verify() {
  auto type = getResult().getType();
  if (getDynamicDims().size() != type.getNumDynamicDims())
    return emitOpError("expects ")
           << type.getNumDynamicDims() << " dynamic dim operands for result type " << type
           << ", got " << getDynamicDims().size();
  if (getValue().getType() != type.getElementType())
    return emitOpError("expects the fill value's type ")
           << getValue().getType() << " to match the element type " << type.getElementType();
  return success();
}

LogicalResult RangeOp::inferReturnTypes(MLIRContext *context, std::optional<Location> loc,
                                        Adaptor adaptor, Types &inferred) {
  int64_t length = kDyn;
  int64_t start = constantDim(adaptor.getStart()), limit = constantDim(adaptor.getLimit()),
          step = constantDim(adaptor.getStep());
  if (step == 0)
    return ShapeError(loc, getOperationName())("expects a non-zero step");
  if (start != kDyn && limit != kDyn && step != kDyn)
    length = limit > start ? (limit - start + step - 1) / step : 0;
  inferred.push_back(tensorLike({length}, IntegerType::get(context, 64)));
  return success();
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

// The unary ops of one type infer theirs in HeedOps.td (Heed_UnaryOp).
#define HEED_SAME_AS_INPUT(OP)                                                                     \
  LogicalResult OP::inferReturnTypes(MLIRContext *, std::optional<Location>, Adaptor adaptor,      \
                                     Types &inferred) {                                            \
    return inferSameAsInput(adaptor.getInput(), inferred);                                         \
  }
HEED_SAME_AS_INPUT(GeluOp)
HEED_SAME_AS_INPUT(NotOp)
#undef HEED_SAME_AS_INPUT

// Float tests: the input's shape, as i1.
#define HEED_FLOAT_TEST(OP)                                                                        \
  LogicalResult OP::inferReturnTypes(MLIRContext *context, std::optional<Location>,                \
                                     Adaptor adaptor, Types &inferred) {                           \
    auto type = tensorOf(adaptor.getInput());                                                      \
    if (!type)                                                                                     \
      return failure();                                                                            \
    inferred.push_back(tensorLike(type.getShape(), IntegerType::get(context, 1)));                 \
    return success();                                                                              \
  }
HEED_FLOAT_TEST(IsNanOp)
HEED_FLOAT_TEST(IsInfOp)
#undef HEED_FLOAT_TEST

OpFoldResult NegOp::fold(FoldAdaptor) {
  if (auto inner = getInput().getDefiningOp<NegOp>())
    if (inner.getInput().getType() == getType())
      return inner.getInput();
  return {};
}

OpFoldResult NotOp::fold(FoldAdaptor) {
  if (auto inner = getInput().getDefiningOp<NotOp>())
    if (inner.getInput().getType() == getType())
      return inner.getInput();
  return {};
}

LogicalResult CastOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
                                       Types &inferred) {
  auto type = tensorOf(adaptor.getInput());
  if (!type)
    return failure();
  Type to = adaptor.getTo();
  if (!to.isF16() && !to.isBF16() && !to.isF32() && !to.isF64() && !to.isSignlessInteger(1) &&
      !to.isSignlessInteger(32) && !to.isSignlessInteger(64) && !to.isUnsignedInteger(8) &&
      !to.isUnsignedInteger(32) && !to.isUnsignedInteger(64))
    return ShapeError(loc, getOperationName())(
        "cannot cast to ", to, "; expected f16, bf16, f32, f64, i1, i32, i64, ui8, ui32 or ui64");
  inferred.push_back(tensorLike(type.getShape(), to));
  return success();
}

/// A float splat constant of `type` (static shape) holding `v`, or nothing.
static OpFoldResult floatSplat(Type type, double v) {
  auto shaped = dyn_cast<RankedTensorType>(type);
  auto element = shaped ? dyn_cast<FloatType>(shaped.getElementType()) : FloatType();
  if (!element || !shaped.hasStaticShape())
    return {};
  return DenseElementsAttr::get(shaped, FloatAttr::get(element, v).getValue());
}

OpFoldResult CastOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  // An integer or float scalar constant cast to a float (a scale computed from a static head
  // size: q.size(-1) ** -0.5 exports as Cast(64) then Pow): folded so that it reads as a constant.
  auto splat = dyn_cast_if_present<SplatElementsAttr>(adaptor.getInput());
  if (!splat)
    return {};
  Type from = splat.getElementType();
  if (isa<FloatType>(from))
    return floatSplat(getType(), splat.getSplatValue<APFloat>().convertToDouble());
  int64_t i = 0;
  if (from.isSignlessInteger(32) || from.isSignlessInteger(64))
    i = splat.getSplatValue<APInt>().getSExtValue();
  else
    return {};
  if (i > (int64_t(1) << 53) || i < -(int64_t(1) << 53))
    return {}; // not exact in a double: left to the kernel's single rounding
  return floatSplat(getType(), double(i));
}

/// Shared by every broadcasting binary op: equal element types, NumPy shapes.
static LogicalResult inferBinary(std::optional<Location> loc, StringRef opName, Value lhs,
                                 Value rhs, Type resultElement, Types &inferred) {
  auto l = tensorOf(lhs), r = tensorOf(rhs);
  if (!l || !r)
    return failure();
  ShapeError error(loc, opName);
  if (l.getElementType() != r.getElementType())
    return error("expects operands of one element type, got ", l.getElementType(), " and ",
                 r.getElementType());
  auto shape = broadcastAll(error, {l, r});
  if (failed(shape))
    return failure();
  inferred.push_back(tensorLike(*shape, resultElement ? resultElement : l.getElementType()));
  return success();
}

#define HEED_BINARY(OP)                                                                            \
  LogicalResult OP::inferReturnTypes(MLIRContext *, std::optional<Location> loc, Adaptor adaptor,  \
                                     Types &inferred) {                                            \
    return inferBinary(loc, getOperationName(), adaptor.getLhs(), adaptor.getRhs(), Type(),        \
                       inferred);                                                                  \
  }
HEED_BINARY(AddOp)
HEED_BINARY(SubOp)
HEED_BINARY(MulOp)
HEED_BINARY(DivOp)
HEED_BINARY(MaxOp)
HEED_BINARY(MinOp)
HEED_BINARY(PowOp)
HEED_BINARY(AndOp)
HEED_BINARY(OrOp)
#undef HEED_BINARY

LogicalResult CompareOp::inferReturnTypes(MLIRContext *context, std::optional<Location> loc,
                                          Adaptor adaptor, Types &inferred) {
  return inferBinary(loc, getOperationName(), adaptor.getLhs(), adaptor.getRhs(),
                     IntegerType::get(context, 1), inferred);
}

/// Whether `value` is a splat constant equal to `scalar`.
static bool isSplatOf(Value value, double scalar) {
  DenseElementsAttr attr;
  if (!matchPattern(value, m_Constant(&attr)) || !attr.isSplat())
    return false;
  Type element = attr.getElementType();
  if (isa<FloatType>(element))
    return attr.getSplatValue<APFloat>().convertToDouble() == scalar;
  if (element.isInteger(32) || element.isInteger(64))
    return attr.getSplatValue<APInt>().getSExtValue() == static_cast<int64_t>(scalar);
  return false;
}

/// Whether broadcasting `x` with `other` gives x's shape for every run-time
/// shape: other has no more dims, and each of its dims is 1 or equals x's
/// static dim. A dynamic dim of x may be 1 at run time and grow.
static bool cannotGrow(Value x, Value other) {
  ArrayRef<int64_t> xs = cast<RankedTensorType>(x.getType()).getShape();
  ArrayRef<int64_t> os = cast<RankedTensorType>(other.getType()).getShape();
  if (os.size() > xs.size())
    return false;
  for (auto [o, d] : llvm::zip(os, xs.take_back(os.size())))
    if (o != 1 && (o == kDyn || o != d))
      return false;
  return true;
}

/// x op identity -> x, when the identity operand cannot broadcast x to a
/// bigger shape. For floats, x + 0.0 and x - (-0.0) differ from x only for
/// x = -0.0 (they give +0.0); like other ML compilers we fold them anyway,
/// since exporters spell no-ops that way.
static OpFoldResult foldIdentityOperand(Value x, Value other, Type resultType, double identity) {
  if (x.getType() == resultType && isSplatOf(other, identity) && cannotGrow(x, other))
    return x;
  return {};
}

OpFoldResult AddOp::fold(FoldAdaptor) {
  if (auto folded = foldIdentityOperand(getLhs(), getRhs(), getType(), 0.0))
    return folded;
  return foldIdentityOperand(getRhs(), getLhs(), getType(), 0.0);
}

OpFoldResult SubOp::fold(FoldAdaptor) {
  return foldIdentityOperand(getLhs(), getRhs(), getType(), 0.0);
}

OpFoldResult MulOp::fold(FoldAdaptor) {
  if (auto folded = foldIdentityOperand(getLhs(), getRhs(), getType(), 1.0))
    return folded;
  return foldIdentityOperand(getRhs(), getLhs(), getType(), 1.0);
}

OpFoldResult DivOp::fold(FoldAdaptor) {
  return foldIdentityOperand(getLhs(), getRhs(), getType(), 1.0);
}

LogicalResult WhereOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
                                        Types &inferred) {
  auto c = tensorOf(adaptor.getCondition()), t = tensorOf(adaptor.getOnTrue()),
       f = tensorOf(adaptor.getOnFalse());
  if (!c || !t || !f)
    return failure();
  ShapeError error(loc, getOperationName());
  if (t.getElementType() != f.getElementType())
    return error("expects both branches of one element type, got ", t.getElementType(), " and ",
                 f.getElementType());
  auto shape = broadcastAll(error, {c, t, f});
  if (failed(shape))
    return failure();
  inferred.push_back(tensorLike(*shape, t.getElementType()));
  return success();
}

LogicalResult RotaryOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         Adaptor adaptor, Types &inferred) {
  auto x = tensorOf(adaptor.getInput()), c = tensorOf(adaptor.getCos()),
       s = tensorOf(adaptor.getSin());
  if (!x || !c || !s)
    return failure();
  ShapeError error(loc, getOperationName());
  // The kernels pair element i with i +- D/2 of the same row: D is static and even, and cos
  // and sin are never broadcast along it.
  int64_t d = x.getRank() ? x.getShape().back() : ShapedType::kDynamic;
  if (ShapedType::isDynamic(d) || d <= 0 || d % 2 != 0)
    return error("expects an input whose last dim is static, positive and even, got ",
                 shapeString(x.getShape()));
  for (auto [name, t] : {std::pair<StringRef, RankedTensorType>{"cos", c}, {"sin", s}})
    if (t.getRank() == 0 || t.getShape().back() != d)
      return error("expects ", name, " with the input's last dim ", d, ", got ",
                   shapeString(t.getShape()));
  auto shape = broadcastAll(error, {x, c, s});
  if (failed(shape))
    return failure();
  inferred.push_back(tensorLike(*shape, x.getElementType()));
  return success();
}

//===----------------------------------------------------------------------===//
// Normalization
//===----------------------------------------------------------------------===//

static LogicalResult inferAxisPreserving(std::optional<Location> loc, StringRef opName, Value input,
                                         int64_t axis, Types &inferred) {
  auto operand = tensorAndAxis(ShapeError(loc, opName), input, axis);
  if (failed(operand))
    return failure();
  inferred.push_back(operand->type);
  return success();
}

LogicalResult SoftmaxOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                          Adaptor adaptor, Types &inferred) {
  return inferAxisPreserving(loc, getOperationName(), adaptor.getInput(), adaptor.getAxis(),
                             inferred);
}

LogicalResult LogSoftmaxOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                             Adaptor adaptor, Types &inferred) {
  return inferAxisPreserving(loc, getOperationName(), adaptor.getInput(), adaptor.getAxis(),
                             inferred);
}

LogicalResult LayerNormOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                            Adaptor adaptor, Types &inferred) {
  ShapeError error(loc, getOperationName());
  auto operand = tensorAndAxis(error, adaptor.getInput(), adaptor.getAxis());
  if (failed(operand))
    return failure();
  auto [type, axis] = *operand;
  if (!(adaptor.getEpsilon().convertToDouble() >= 0)) // NaN too
    return error("expects a non-negative epsilon");
  // The normalized dims, made more static by scale and bias as they are
  // checked, so that a scale and a bias cannot disagree behind a dynamic dim.
  SmallVector<int64_t> shape(type.getShape());
  if (Value residual = adaptor.getResidual()) {
    auto residualType = tensorOf(residual);
    if (!residualType)
      return failure();
    if (residualType.getElementType() != type.getElementType() ||
        residualType.getRank() != type.getRank() ||
        !llvm::all_of(llvm::zip(residualType.getShape(), shape),
                      [](auto p) { return shape::compatible(std::get<0>(p), std::get<1>(p)); }))
      return error("expects a residual of the input's shape ", shapeString(type.getShape()),
                   " and element type ", type.getElementType(), ", got ",
                   shapeString(residualType.getShape()), " of ", residualType.getElementType());
    for (auto [d, r] : llvm::zip(shape, residualType.getShape()))
      d = shape::meet(d, r);
  }
  MutableArrayRef<int64_t> normalized = MutableArrayRef<int64_t>(shape).drop_front(axis);
  for (auto [name, param] : {std::pair<StringRef, Value>{"scale", adaptor.getScale()},
                             std::pair<StringRef, Value>{"bias", adaptor.getBias()}}) {
    auto paramType = tensorOf(param);
    if (!param)
      continue;
    if (!paramType)
      return failure();
    if (paramType.getElementType() != type.getElementType())
      return error("expects ", name, " of element type ", type.getElementType());
    if (paramType.getRank() != static_cast<int64_t>(normalized.size()) ||
        !llvm::all_of(llvm::zip(paramType.getShape(), normalized),
                      [](auto p) { return shape::compatible(std::get<0>(p), std::get<1>(p)); }))
      return error("expects ", name, " of shape ", shapeString(normalized),
                   " (the normalized dims), got ", shapeString(paramType.getShape()));
    for (auto [d, p] : llvm::zip(normalized, paramType.getShape()))
      d = shape::meet(d, p);
  }
  inferred.push_back(tensorLike(shape, type.getElementType()));
  return success();
}

//===----------------------------------------------------------------------===//
// Linear algebra
//===----------------------------------------------------------------------===//

LogicalResult MatmulOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         Adaptor adaptor, Types &inferred) {
  auto a = tensorOf(adaptor.getLhs()), b = tensorOf(adaptor.getRhs());
  if (!a || !b)
    return failure();
  ShapeError error(loc, getOperationName());
  if (a.getRank() < 2 || b.getRank() < 2)
    return error("expects operands of rank >= 2, got ", a.getRank(), " and ", b.getRank());
  if (a.getElementType() != b.getElementType())
    return error("expects operands of one element type");
  int64_t m = a.getDimSize(a.getRank() - (adaptor.getTransposeA() ? 1 : 2));
  int64_t ka = a.getDimSize(a.getRank() - (adaptor.getTransposeA() ? 2 : 1));
  int64_t kb = b.getDimSize(b.getRank() - (adaptor.getTransposeB() ? 1 : 2));
  int64_t n = b.getDimSize(b.getRank() - (adaptor.getTransposeB() ? 2 : 1));
  if (!shape::compatible(ka, kb))
    return error("contracting dims differ: ", ka, " vs ", kb);
  auto batch = shape::broadcast(a.getShape().drop_back(2), b.getShape().drop_back(2));
  if (!batch)
    return error("batch dims ", shapeString(a.getShape().drop_back(2)), " and ",
                 shapeString(b.getShape().drop_back(2)), " are not broadcastable");
  SmallVector<int64_t> shape = *batch;
  shape.append({m, n});
  inferred.push_back(tensorLike(shape, a.getElementType()));
  return success();
}

LogicalResult LinearOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         Adaptor adaptor, Types &inferred) {
  auto x = tensorOf(adaptor.getInput()), w = tensorOf(adaptor.getWeight());
  if (!x || !w)
    return failure();
  ShapeError error(loc, getOperationName());
  if (x.getRank() < 1 || w.getRank() != 2)
    return error("expects an input of rank >= 1 and a weight of rank 2");
  if (x.getElementType() != w.getElementType())
    return error("expects input and weight of one element type");
  bool transposed = adaptor.getTransposeWeight();
  int64_t n = w.getDimSize(transposed ? 0 : 1), k = w.getDimSize(transposed ? 1 : 0);
  if (!shape::compatible(x.getShape().back(), k))
    return error("input features ", x.getShape().back(), " do not match the weight's ", k);
  if (Value bias = adaptor.getBias()) {
    auto b = tensorOf(bias);
    if (!b)
      return failure();
    if (b.getElementType() != x.getElementType())
      return error("expects a bias of element type ", x.getElementType(), ", got ",
                   b.getElementType());
    if (b.getRank() != 1 || !shape::compatible(b.getDimSize(0), n))
      return error("expects a bias of shape [", dimString(n), "], got ", shapeString(b.getShape()));
  }
  SmallVector<int64_t> shape(x.getShape());
  shape.back() = n;
  inferred.push_back(tensorLike(shape, x.getElementType()));
  return success();
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

LogicalResult ReshapeOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                          Adaptor adaptor, Types &inferred) {
  auto type = tensorOf(adaptor.getInput());
  if (!type)
    return failure();
  std::string message;
  auto shape = shape::reshape(type.getShape(), adaptor.getShape(), message);
  if (failed(shape))
    return ShapeError(loc, getOperationName())(message);
  inferred.push_back(tensorLike(*shape, type.getElementType()));
  return success();
}

LogicalResult ReshapeDynamicOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                                 Adaptor adaptor, Types &inferred) {
  auto type = tensorOf(adaptor.getInput());
  if (!type)
    return failure();
  ShapeError error(loc, getOperationName());
  SmallVector<int64_t> shape;
  bool allowZero = adaptor.getAllowzero();
  for (auto [i, v] : llvm::enumerate(adaptor.getShape())) {
    std::optional<int64_t> d = constantIndex(v);
    int64_t i64 = static_cast<int64_t>(i);
    if (d && *d < -1)
      return error("shape entry ", i64, " is ", *d,
                   "; expected a positive size, 0 (copy) or -1 (infer)");
    if (d && *d == 0 && !allowZero) {
      if (i64 >= type.getRank())
        return error("shape entry ", i64, " is 0 (copy) but the input has rank ", type.getRank());
      shape.push_back(type.getDimSize(i64));
    } else {
      shape.push_back(d && *d >= 0 ? *d : kDyn);
    }
  }
  inferred.push_back(tensorLike(shape, type.getElementType()));
  return success();
}

OpFoldResult ReshapeOp::fold(FoldAdaptor) {
  if (getInput().getType() != getType())
    return {};
  if (getType().hasStaticShape())
    return getInput();
  // Dynamic shapes: the identity when every entry but at most one -1 keeps
  // its dim (0, or the same static size); the -1 then gets the rest.
  ArrayRef<int64_t> spec = getShape(), dims = getType().getShape();
  if (spec.size() != dims.size() || llvm::count(spec, -1) > 1)
    return {};
  for (auto [s, d] : llvm::zip(spec, dims))
    if (s != 0 && s != -1 && s != d)
      return {};
  return getInput();
}

namespace {
/// reshape(reshape(x, s1), s2) -> reshape(x, s2'), where s2' is s2 with each
/// 0 entry (a copy of an inner result dim) made to copy x's dim when s1 also
/// copied it, or replaced by the inner dim when that is static.
struct ComposeReshapes : OpRewritePattern<ReshapeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ReshapeOp op, PatternRewriter &rewriter) const override {
    auto inner = op.getInput().getDefiningOp<ReshapeOp>();
    if (!inner)
      return failure();
    ArrayRef<int64_t> innerSpec = inner.getShape();
    ArrayRef<int64_t> innerDims = inner.getType().getShape();
    SmallVector<int64_t> spec(op.getShape());
    for (auto [i, s] : llvm::enumerate(spec)) {
      if (s != 0)
        continue;
      if (i < innerSpec.size() && innerSpec[i] == 0)
        continue;
      if (i >= innerDims.size() || innerDims[i] == kDyn)
        return rewriter.notifyMatchFailure(op, "copies an inner dim that is not known");
      s = innerDims[i];
    }
    rewriter.replaceOpWithNewOp<ReshapeOp>(op, op.getType(), inner.getInput(), spec);
    return success();
  }
};
} // namespace

void ReshapeOp::getCanonicalizationPatterns(RewritePatternSet &patterns, MLIRContext *context) {
  patterns.add<ComposeReshapes>(context);
}

LogicalResult TransposeOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                            Adaptor adaptor, Types &inferred) {
  auto type = tensorOf(adaptor.getInput());
  if (!type)
    return failure();
  ArrayRef<int64_t> perm = adaptor.getPermutation();
  ShapeError error(loc, getOperationName());
  if (static_cast<int64_t>(perm.size()) != type.getRank())
    return error("expects a permutation of ", type.getRank(), " dims, got ", perm.size());
  SmallVector<bool> seen(perm.size(), false);
  SmallVector<int64_t> shape;
  for (int64_t p : perm) {
    if (p < 0 || p >= type.getRank() || seen[p])
      return error("permutation ", shapeString(perm), " is not a permutation of 0..",
                   type.getRank() - 1);
    seen[p] = true;
    shape.push_back(type.getDimSize(p));
  }
  inferred.push_back(tensorLike(shape, type.getElementType()));
  return success();
}

OpFoldResult TransposeOp::fold(FoldAdaptor) {
  ArrayRef<int64_t> perm = getPermutation();
  bool identity = llvm::all_of(llvm::enumerate(perm),
                               [](auto p) { return static_cast<int64_t>(p.index()) == p.value(); });
  if (identity && getInput().getType() == getType())
    return getInput();
  return {};
}

namespace {
/// transpose(transpose(x, p1), p2) -> transpose(x, p) with p[i] = p1[p2[i]];
/// the folder then removes it if p is the identity.
struct ComposeTransposes : OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TransposeOp op, PatternRewriter &rewriter) const override {
    auto inner = op.getInput().getDefiningOp<TransposeOp>();
    if (!inner)
      return failure();
    ArrayRef<int64_t> p1 = inner.getPermutation();
    SmallVector<int64_t> perm;
    for (int64_t p : op.getPermutation())
      perm.push_back(p1[p]);
    rewriter.replaceOpWithNewOp<TransposeOp>(op, op.getType(), inner.getInput(), perm);
    return success();
  }
};
} // namespace

void TransposeOp::getCanonicalizationPatterns(RewritePatternSet &patterns, MLIRContext *context) {
  patterns.add<ComposeTransposes>(context);
}

LogicalResult ConcatOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         Adaptor adaptor, Types &inferred) {
  ShapeError error(loc, getOperationName());
  if (adaptor.getInputs().empty())
    return error("expects at least one input");
  auto first = tensorOf(adaptor.getInputs().front());
  if (!first)
    return failure();
  auto axis = checkAxis(error, adaptor.getAxis(), first.getRank());
  if (failed(axis))
    return failure();
  SmallVector<int64_t> shape(first.getShape());
  for (Value input : adaptor.getInputs().drop_front()) {
    auto type = tensorOf(input);
    if (!type)
      return failure();
    if (type.getRank() != first.getRank() || type.getElementType() != first.getElementType())
      return error("expects inputs of one rank and element type");
    for (int64_t d = 0; d < type.getRank(); ++d) {
      if (d == *axis) {
        shape[d] =
            (shape[d] == kDyn || type.getDimSize(d) == kDyn) ? kDyn : shape[d] + type.getDimSize(d);
      } else if (!shape::compatible(shape[d], type.getDimSize(d))) {
        return error("inputs differ in dim ", d, " (", shape[d], " vs ", type.getDimSize(d),
                     ") off the concatenation axis");
      } else {
        shape[d] = shape::meet(shape[d], type.getDimSize(d));
      }
    }
  }
  inferred.push_back(tensorLike(shape, first.getElementType()));
  return success();
}

OpFoldResult ConcatOp::fold(FoldAdaptor) {
  if (getInputs().size() == 1 && getInputs().front().getType() == getType())
    return getInputs().front();
  return {};
}

LogicalResult SliceOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
                                        Types &inferred) {
  ShapeError error(loc, getOperationName());
  auto operand = tensorAndAxis(error, adaptor.getInput(), adaptor.getAxis());
  if (failed(operand))
    return failure();
  auto [type, axis] = *operand;
  int64_t step = adaptor.getStep();
  if (step <= 0)
    return error("expects a positive step, got ", step);
  SmallVector<int64_t> shape(type.getShape());
  shape[axis] = shape::sliceLength(shape[axis], adaptor.getStart(), adaptor.getEnd(), step);
  inferred.push_back(tensorLike(shape, type.getElementType()));
  return success();
}

LogicalResult SliceDynamicOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                               Adaptor adaptor, Types &inferred) {
  ShapeError error(loc, getOperationName());
  auto operand = tensorAndAxis(error, adaptor.getInput(), adaptor.getAxis());
  if (failed(operand))
    return failure();
  auto [type, axis] = *operand;
  if (constantIndex(adaptor.getStep()) == 0)
    return error("expects a non-zero step");
  SmallVector<int64_t> shape(type.getShape());
  shape[axis] = kDyn;
  inferred.push_back(tensorLike(shape, type.getElementType()));
  return success();
}

OpFoldResult SliceOp::fold(FoldAdaptor) {
  if (getStart() != 0 || getStep() != 1 || getInput().getType() != getType())
    return {};
  auto type = getInput().getType();
  auto axis = shape::normalizeAxis(getAxis(), type.getRank());
  if (!axis)
    return {};
  int64_t n = type.getDimSize(*axis);
  auto end = static_cast<int64_t>(getEnd()); // an I64Attr reads back as uint64_t
  if (end == std::numeric_limits<int64_t>::max() || (n != kDyn && end >= n))
    return getInput();
  return {};
}

LogicalResult BroadcastOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                            Adaptor adaptor, Types &inferred) {
  auto x = tensorOf(adaptor.getInput()), like = tensorOf(adaptor.getLike());
  if (!x || !like)
    return failure();
  auto shape = broadcastAll(ShapeError(loc, getOperationName()), {x, like});
  if (failed(shape))
    return failure();
  inferred.push_back(tensorLike(*shape, x.getElementType()));
  return success();
}

LogicalResult GatherOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         Adaptor adaptor, Types &inferred) {
  auto indices = tensorOf(adaptor.getIndices());
  if (!indices)
    return failure();
  auto operand =
      tensorAndAxis(ShapeError(loc, getOperationName()), adaptor.getInput(), adaptor.getAxis());
  if (failed(operand))
    return failure();
  auto [x, axis] = *operand;
  SmallVector<int64_t> shape(x.getShape().take_front(axis));
  llvm::append_range(shape, indices.getShape());
  llvm::append_range(shape, x.getShape().drop_front(axis + 1));
  inferred.push_back(tensorLike(shape, x.getElementType()));
  return success();
}

LogicalResult GatherElementsOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                                 Adaptor adaptor, Types &inferred) {
  auto indices = tensorOf(adaptor.getIndices());
  if (!indices)
    return failure();
  ShapeError error(loc, getOperationName());
  auto operand = tensorAndAxis(error, adaptor.getInput(), adaptor.getAxis());
  if (failed(operand))
    return failure();
  auto [x, axis] = *operand;
  if (indices.getRank() != x.getRank())
    return error("expects indices of the input's rank ", x.getRank(), ", got rank ",
                 indices.getRank());
  for (int64_t d = 0; d < x.getRank(); ++d)
    if (d != axis && !x.isDynamicDim(d) && !indices.isDynamicDim(d) &&
        indices.getDimSize(d) > x.getDimSize(d))
      return error("has indices dim ", d, " of ", indices.getDimSize(d), ", above the input's ",
                   x.getDimSize(d));
  inferred.push_back(tensorLike(indices.getShape(), x.getElementType()));
  return success();
}

LogicalResult EmbeddingOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                            Adaptor adaptor, Types &inferred) {
  auto table = tensorOf(adaptor.getTable()), ids = tensorOf(adaptor.getIds());
  if (!table || !ids)
    return failure();
  if (table.getRank() != 2)
    return ShapeError(loc, getOperationName())("expects a [vocab, dim] table, got rank ",
                                               table.getRank());
  SmallVector<int64_t> shape(ids.getShape());
  shape.push_back(table.getDimSize(1));
  inferred.push_back(tensorLike(shape, table.getElementType()));
  return success();
}

//===----------------------------------------------------------------------===//
// Masks and positions
//===----------------------------------------------------------------------===//

LogicalResult SequenceMaskOp::inferReturnTypes(MLIRContext *context, std::optional<Location> loc,
                                               Adaptor adaptor, Types &inferred) {
  auto lengths = tensorOf(adaptor.getLengths());
  if (!lengths)
    return failure();
  if (lengths.getRank() != 1)
    return ShapeError(loc, getOperationName())("expects lengths of rank 1, got rank ",
                                               lengths.getRank());
  inferred.push_back(tensorLike({lengths.getDimSize(0), constantDim(adaptor.getMaxLength())},
                                IntegerType::get(context, 1)));
  return success();
}

LogicalResult CausalMaskOp::inferReturnTypes(MLIRContext *context, std::optional<Location>,
                                             Adaptor adaptor, Types &inferred) {
  inferred.push_back(
      tensorLike({constantDim(adaptor.getQueryLength()), constantDim(adaptor.getKeyLength())},
                 IntegerType::get(context, 1)));
  return success();
}

LogicalResult SinusoidalPositionsOp::inferReturnTypes(MLIRContext *context,
                                                      std::optional<Location> loc, Adaptor adaptor,
                                                      Types &inferred) {
  int64_t dim = adaptor.getDim();
  ShapeError error(loc, getOperationName());
  if (dim <= 0 || dim % 2 != 0)
    return error("expects a positive even dim, got ", dim);
  if (!(adaptor.getBase().convertToDouble() > 1.0)) // NaN too
    return error("expects a base greater than 1");
  inferred.push_back(
      tensorLike({constantDim(adaptor.getLength()), dim}, Float32Type::get(context)));
  return success();
}

//===----------------------------------------------------------------------===//
// Reductions and selection
//===----------------------------------------------------------------------===//

LogicalResult ReduceOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         Adaptor adaptor, Types &inferred) {
  auto type = tensorOf(adaptor.getInput());
  if (!type)
    return failure();
  ShapeError error(loc, getOperationName());
  if (type.getElementType().isInteger(1))
    return error("cannot reduce i1 tensors");
  int64_t rank = type.getRank();
  if (size_t n = adaptor.getAxisValues().size()) {
    // Axes read at run time: their number fixes the rank; a dim is static only where every dim
    // it may be is the same size (with keep_dims, the input's or 1).
    if (!adaptor.getAxes().empty())
      return error("expects the axes as an attribute or as operands, not both");
    if (static_cast<int64_t>(n) > rank)
      return error("reduces ", n, " axes of a rank-", rank, " tensor");
    SmallVector<int64_t> shape;
    int64_t outRank = adaptor.getKeepDims() ? rank : rank - static_cast<int64_t>(n);
    for (int64_t k = 0; k < outRank; ++k) {
      ArrayRef<int64_t> candidates = adaptor.getKeepDims()
                                         ? type.getShape().slice(k, 1)
                                         : type.getShape().slice(k, static_cast<int64_t>(n) + 1);
      bool same = llvm::all_equal(candidates) && candidates[0] != kDyn;
      shape.push_back(same && (!adaptor.getKeepDims() || candidates[0] == 1) ? candidates[0]
                                                                             : kDyn);
    }
    inferred.push_back(tensorLike(shape, type.getElementType()));
    return success();
  }
  if (adaptor.getAxes().empty())
    return error("expects at least one axis");
  SmallVector<bool> reduced(type.getRank(), false);
  for (int64_t axis : adaptor.getAxes()) {
    auto normalized = checkAxis(error, axis, type.getRank());
    if (failed(normalized))
      return failure();
    if (reduced[*normalized])
      return error("reduces axis ", axis, " twice");
    reduced[*normalized] = true;
  }
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < type.getRank(); ++d) {
    if (!reduced[d])
      shape.push_back(type.getDimSize(d));
    else if (adaptor.getKeepDims())
      shape.push_back(1);
  }
  inferred.push_back(tensorLike(shape, type.getElementType()));
  return success();
}

namespace {
/// heed.argmax and heed.argmin: the input's shape less the axis (or with 1 there), as i64.
LogicalResult inferArgResult(MLIRContext *context, const ShapeError &error, Value input,
                             int64_t axisAttr, bool keepDims, Types &inferred) {
  auto operand = tensorAndAxis(error, input, axisAttr);
  if (failed(operand))
    return failure();
  auto [type, axis] = *operand;
  SmallVector<int64_t> shape(type.getShape());
  if (keepDims)
    shape[axis] = 1;
  else
    shape.erase(shape.begin() + axis);
  inferred.push_back(tensorLike(shape, IntegerType::get(context, 64)));
  return success();
}
} // namespace

#define HEED_ARG_OP(OP)                                                                            \
  LogicalResult OP::inferReturnTypes(MLIRContext *context, std::optional<Location> loc,            \
                                     Adaptor adaptor, Types &inferred) {                           \
    return inferArgResult(context, ShapeError(loc, getOperationName()), adaptor.getInput(),        \
                          adaptor.getAxis(), adaptor.getKeepDims(), inferred);                     \
  }
HEED_ARG_OP(ArgmaxOp)
HEED_ARG_OP(ArgminOp)
#undef HEED_ARG_OP

LogicalResult CumsumOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         Adaptor adaptor, Types &inferred) {
  auto type = tensorOf(adaptor.getInput());
  if (!type)
    return failure();
  ShapeError error(loc, getOperationName());
  if (type.getRank() == 0)
    return error("expects an input of rank >= 1");
  if (type.getElementType().isInteger(1))
    return error("cannot sum i1 tensors");
  std::optional<int64_t> axis = adaptor.getAxis();
  if (bool(axis) == bool(adaptor.getAxisTensor()))
    return error("expects exactly one of the axis attribute and the axis operand");
  if (axis && failed(checkAxis(error, *axis, type.getRank())))
    return failure();
  if (auto axisType = tensorOf(adaptor.getAxisTensor()))
    if (axisType.getRank() > 1 || (axisType.hasStaticShape() && axisType.getNumElements() != 1))
      return error("expects one integer as the axis operand, got ", axisType);
  inferred.push_back(type);
  return success();
}

LogicalResult TopKOp::inferReturnTypes(MLIRContext *context, std::optional<Location> loc,
                                       Adaptor adaptor, Types &inferred) {
  ShapeError error(loc, getOperationName());
  auto operand = tensorAndAxis(error, adaptor.getInput(), adaptor.getAxis());
  if (failed(operand))
    return failure();
  auto [type, axis] = *operand;
  std::optional<uint64_t> kAttr = adaptor.getK();
  if (bool(kAttr) == bool(adaptor.getKValue()))
    return error("expects exactly one of the k attribute and the k_value operand");
  // A k read at run time gives a dynamic dim (checked against the axis when the function runs).
  int64_t k = kAttr ? static_cast<int64_t>(*kAttr) : kDyn;
  if (kAttr && k <= 0)
    return error("expects a positive k, got ", k);
  if (kAttr && !type.isDynamicDim(axis) && type.getDimSize(axis) < k)
    return error("k = ", k, " exceeds the axis size ", type.getDimSize(axis));
  SmallVector<int64_t> shape(type.getShape());
  shape[axis] = k;
  inferred.push_back(tensorLike(shape, type.getElementType()));
  inferred.push_back(tensorLike(shape, IntegerType::get(context, 64)));
  return success();
}

//===----------------------------------------------------------------------===//
// Scan
//===----------------------------------------------------------------------===//

LogicalResult ScanOp::verify() {
  if (getSequences().empty() && !getLength())
    return emitOpError("needs sequences or a `steps` count");
  int64_t steps = kDyn;
  for (Value sequence : getSequences()) {
    auto type = cast<RankedTensorType>(sequence.getType());
    if (type.getRank() < 1)
      return emitOpError("expects sequences of rank >= 1");
    if (!shape::compatible(steps, type.getDimSize(0)))
      return emitOpError("sequences differ in length: ") << steps << " vs " << type.getDimSize(0);
    steps = shape::meet(steps, type.getDimSize(0));
  }
  // The body is free of side effects, so a scan without results computes
  // nothing (and its custom form could not spell an empty result list).
  if (getResults().empty())
    return emitOpError("expects at least one result");
  if (getResults().size() < getInitial().size())
    return emitOpError("expects at least one result per carried value");
  for (auto [i, init, result] : llvm::enumerate(getInitial(), getResults()))
    if (!isRefinementOf(init.getType(), result.getType()))
      return emitOpError("carried value ") << i << " has type " << init.getType()
                                           << " but its result has type " << result.getType();
  return success();
}

LogicalResult ScanOp::verifyRegions() {
  Block &body = getBody().front();
  size_t numCarried = getInitial().size();
  if (body.getNumArguments() != numCarried + getSequences().size())
    return emitOpError("expects ") << numCarried + getSequences().size()
                                   << " body arguments (carried values, then one step of each "
                                      "sequence), got "
                                   << body.getNumArguments();
  for (auto [i, init] : llvm::enumerate(getInitial()))
    if (!isRefinementOf(init.getType(), body.getArgument(i).getType()))
      return emitOpError("body argument ") << i << " has type " << body.getArgument(i).getType()
                                           << " but the carried value has type " << init.getType();
  for (auto [i, sequence] : llvm::enumerate(getSequences())) {
    auto type = cast<RankedTensorType>(sequence.getType());
    Type step = tensorLike(type.getShape().drop_front(), type.getElementType());
    Type arg = body.getArgument(numCarried + i).getType();
    if (!isRefinementOf(step, arg))
      return emitOpError("body argument ") << numCarried + i << " has type " << arg
                                           << " but one step of the sequence has type " << step;
  }
  // T: the sequences' leading dim (verify() checked they agree), else a
  // constant `steps` count.
  int64_t steps = getSequences().empty() ? constantDim(getLength()) : kDyn;
  for (Value sequence : getSequences())
    steps = shape::meet(steps, cast<RankedTensorType>(sequence.getType()).getDimSize(0));
  auto yield = dyn_cast_or_null<YieldOp>(body.empty() ? nullptr : &body.back());
  if (!yield)
    return emitOpError("expects its body to end in heed.yield");
  if (yield.getValues().size() != getResults().size())
    return emitOpError("body yields ") << yield.getValues().size() << " values but the scan has "
                                       << getResults().size() << " results";
  for (auto [i, value] : llvm::enumerate(yield.getValues())) {
    Type result = getResults()[i].getType();
    if (i < numCarried) {
      if (!isRefinementOf(value.getType(), getInitial()[i].getType()))
        return emitOpError("body yields ") << value.getType() << " for carried value " << i
                                           << " of type " << getInitial()[i].getType();
      continue;
    }
    auto stepType = cast<RankedTensorType>(value.getType());
    SmallVector<int64_t> shape{steps};
    llvm::append_range(shape, stepType.getShape());
    Type stacked = tensorLike(shape, stepType.getElementType());
    if (!isRefinementOf(stacked, result))
      return emitOpError("result ") << i << " has type " << result << " but stacking the yielded "
                                    << value.getType() << " over the steps gives " << stacked;
  }
  return success();
}

#define GET_OP_CLASSES
#include "dialects/heed/IR/HeedOps.cpp.inc"
