//===- Values.cpp - Known values, building helpers, node attributes -------===//
//
// Small integer tensors are tracked as known values whose elements are
// constants or index SSA values; only what a real op needs is materialized
// as a tensor. Ops are built with their typed builders (HeedBuilders.h).
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/Importer.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;
using namespace mlir::heed;
using namespace mlir::heed::onnx::detail;

//===----------------------------------------------------------------------===//
// Values
//===----------------------------------------------------------------------===//

Value Importer::index(const Sym &s) {
  if (s.dyn)
    return s.dyn;
  return arith::ConstantIndexOp::create(builder, loc, s.value);
}

Value Importer::constantI64(ArrayRef<int64_t> vals, ArrayRef<int64_t> shape) {
  auto type = RankedTensorType::get(shape, builder.getI64Type());
  return ConstantOp::create(builder, loc, DenseElementsAttr::get(type, vals)).getResult();
}

Value Importer::scalarConstant(Type elementType, double value) {
  auto type = RankedTensorType::get({}, elementType);
  Attribute a;
  if (isa<FloatType>(elementType))
    a = DenseElementsAttr::get(type, builder.getFloatAttr(elementType, value));
  else if (elementType.isInteger(1))
    a = DenseElementsAttr::get(type, value != 0);
  else
    a = DenseElementsAttr::get(type, builder.getIntegerAttr(elementType, (int64_t)value));
  return ConstantOp::create(builder, loc, cast<DenseElementsAttr>(a)).getResult();
}

Value Importer::dimOf(Value x, int64_t d) {
  return DimOp::create(builder, loc, builder.getIndexType(), x, builder.getI64IntegerAttr(d));
}

Value Importer::materialize(const Known &k) {
  auto type = RankedTensorType::get(k.shape, k.elementType);
  if (k.isStatic()) {
    DenseElementsAttr a;
    if (k.elementType.isInteger(1)) {
      SmallVector<bool> bits =
          llvm::map_to_vector(k.elems, [](const Sym &s) { return s.value != 0; });
      a = DenseElementsAttr::get(type, ArrayRef<bool>(bits));
    } else {
      SmallVector<APInt> ints = llvm::map_to_vector(k.elems, [&](const Sym &s) {
        return APInt(k.elementType.getIntOrFloatBitWidth(), s.value, /*isSigned=*/true);
      });
      a = DenseElementsAttr::get(type, ints);
    }
    return ConstantOp::create(builder, loc, a).getResult();
  }
  // Each dynamic element becomes range(v, v+1, 1) = [v]; then concat, reshape.
  SmallVector<Value> parts;
  Value one = arith::ConstantIndexOp::create(builder, loc, 1);
  for (const Sym &s : k.elems) {
    if (s.isStatic()) {
      parts.push_back(constantI64({s.value}, {1}));
      continue;
    }
    Value next = arith::AddIOp::create(builder, loc, s.dyn, one);
    Value r = op<RangeOp>(s.dyn, next, one);
    if (!r)
      return {};
    // The range has a dynamic length; pin it to 1.
    parts.push_back(reshape(r, {1}));
  }
  Value flat = parts.size() == 1 ? parts[0] : concat(parts, 0);
  if (!flat)
    return {};
  Value shaped = k.shape.size() == 1 ? flat : reshape(flat, k.shape);
  if (shaped && !k.elementType.isInteger(64))
    shaped = op<CastOp>(shaped, k.elementType);
  return shaped;
}

Value Importer::get(StringRef name) {
  auto it = values.find(name);
  if (it == values.end())
    return {}; // names are checked before import; this is defensive
  Entry &e = it->second;
  if (!e.value && e.known)
    e.value = materialize(*e.known);
  return e.value;
}

const Known *Importer::known(StringRef name) {
  if (name.empty())
    return nullptr;
  auto it = values.find(name);
  if (it == values.end() || !it->second.known)
    return nullptr;
  return &*it->second.known;
}

LogicalResult Importer::define(const NodeProto &node, int i, Value value) {
  if (!value)
    return failure();
  if (wants(node, i))
    values[node.output(i)].value = value;
  return success();
}

LogicalResult Importer::define(const NodeProto &node, int i, Known k) {
  if (wants(node, i))
    values[node.output(i)].known = std::move(k);
  return success();
}

//===----------------------------------------------------------------------===//
// Building
//===----------------------------------------------------------------------===//

Value Importer::reshape(Value x, ArrayRef<int64_t> spec) { return op<ReshapeOp>(x, spec); }

Value Importer::slice(Value x, int64_t axis, int64_t start, int64_t end, int64_t step) {
  return op<SliceOp>(x, axis, start, end, step);
}

Value Importer::concat(ValueRange xs, int64_t axis) {
  if (xs.size() == 1)
    return xs[0];
  return op<ConcatOp>(xs, axis);
}

Value Importer::transpose(Value x, ArrayRef<int64_t> perm) { return op<TransposeOp>(x, perm); }

Value Importer::compare(CompareKind kind, Value lhs, Value rhs) {
  return op<CompareOp>(kind, lhs, rhs);
}

Value Importer::castTo(Value v, Type to) {
  if (!v || cast<RankedTensorType>(v.getType()).getElementType() == to)
    return v;
  return op<CastOp>(v, to);
}

//===----------------------------------------------------------------------===//
// Attributes
//===----------------------------------------------------------------------===//

const ::onnx::AttributeProto *Importer::attribute(const NodeProto &node, StringRef name) {
  for (const auto &a : node.attribute())
    if (a.name() == name)
      return &a;
  return nullptr;
}

int64_t Importer::intAttr(const NodeProto &node, StringRef name, int64_t dflt) {
  const auto *a = attribute(node, name);
  return a ? a->i() : dflt;
}

float Importer::floatAttr(const NodeProto &node, StringRef name, float dflt) {
  const auto *a = attribute(node, name);
  return a ? a->f() : dflt;
}

std::string Importer::stringAttr(const NodeProto &node, StringRef name, StringRef dflt) {
  const auto *a = attribute(node, name);
  return a ? a->s() : dflt.str();
}

std::optional<SmallVector<int64_t>> Importer::intsAttr(const NodeProto &node, StringRef name) {
  const auto *a = attribute(node, name);
  if (!a)
    return std::nullopt;
  return SmallVector<int64_t>(a->ints().begin(), a->ints().end());
}

FailureOr<SmallVector<int64_t>> Importer::staticInts(const NodeProto &node, int i, StringRef what) {
  const Known *k = known(node.input(i));
  if (!k || !k->isStatic())
    return error() << "unsupported dynamic " << what
                   << ": it must be known when the model is imported";
  return k->values();
}

FailureOr<SmallVector<Sym>> Importer::indexInts(const NodeProto &node, int i, StringRef what) {
  if (const Known *k = known(node.input(i))) {
    if (k->shape.size() > 1)
      return error() << "expects a 0-D or 1-D " << what << ", got rank " << k->shape.size();
    return k->elems;
  }
  // Only known when the function runs: one heed.extract per element.
  Value v = input(node, i);
  if (!v)
    return failure();
  auto t = cast<RankedTensorType>(v.getType());
  if (!t.getElementType().isSignlessInteger(32) && !t.getElementType().isSignlessInteger(64))
    return error() << "expects an int32 or int64 " << what << ", got " << t;
  if (t.getRank() > 1)
    return error() << "expects a 0-D or 1-D " << what << ", got " << t;
  if (t.getRank() == 1 && t.isDynamicDim(0))
    return error() << "unsupported " << what << " of a length known only at run time (" << t
                   << "): its length sets the result's rank or the axes it changes";
  int64_t n = t.getRank() == 0 ? 1 : t.getDimSize(0);
  if (n > kMaxKnownElements)
    return error() << "a " << what << " of " << n << " elements is too long";
  SmallVector<Sym> syms;
  for (int64_t j = 0; j < n; ++j)
    syms.push_back(Sym{0, ExtractOp::create(builder, loc, v, j).getResult()});
  return syms;
}

FailureOr<std::optional<SmallVector<Sym>>> Importer::runTimeInts(const NodeProto &node, int i,
                                                                 StringRef what) {
  using Result = std::optional<SmallVector<Sym>>;
  if (!has(node, i))
    return Result();
  if (const Known *k = known(node.input(i)); k && k->isStatic())
    return Result();
  auto syms = indexInts(node, i, what);
  if (failed(syms))
    return failure();
  return Result(std::move(*syms));
}

FailureOr<std::optional<SmallVector<int64_t>>> Importer::intsInputOrAttr(const NodeProto &node,
                                                                         int i, bool asInput,
                                                                         StringRef what,
                                                                         StringRef attrName) {
  if (asInput && has(node, i)) {
    auto v = staticInts(node, i, what);
    if (failed(v))
      return failure();
    return std::optional(*v);
  }
  return intsAttr(node, attrName);
}

FailureOr<SmallVector<int64_t>> Importer::squeezedDims(const NodeProto &node,
                                                       ArrayRef<int64_t> dims) {
  int64_t rank = dims.size();
  SmallVector<int64_t> axes;
  if (opset >= 13 && has(node, 1)) {
    // Constant axes; a tensor known only at run time comes here only when it is empty (the
    // others go to squeezeAtRunTime), which is as if it were absent.
    const Known *k = known(node.input(1));
    auto t = k ? RankedTensorType() : cast<RankedTensorType>(input(node, 1).getType());
    if (k && k->isStatic())
      axes = k->values();
    else if (!t || !t.hasStaticShape() || t.getNumElements() != 0)
      return error() << "unsupported axes: they must be known when the model is imported";
  } else {
    axes = intsAttr(node, "axes").value_or(SmallVector<int64_t>());
  }
  // The dims the axes name: among the result's for Unsqueeze, the input's for Squeeze.
  bool unsqueeze = node.op_type() == "Unsqueeze";
  int64_t outRank = unsqueeze ? rank + int64_t(axes.size()) : rank;
  SmallVector<bool> marked(outRank, false);
  for (int64_t a : axes) {
    auto n = axisOf(a, outRank);
    if (failed(n))
      return failure();
    if (marked[*n])
      return error() << "axis " << a << " is repeated";
    marked[*n] = true;
  }
  SmallVector<int64_t> from;
  if (unsqueeze) {
    for (int64_t i = 0, j = 0; i < outRank; ++i)
      from.push_back(marked[i] ? -1 : j++);
    return from;
  }
  for (int64_t i = 0; i < rank; ++i) {
    bool drop = axes.empty() ? dims[i] == 1 : marked[i];
    if (drop && dims[i] != kDyn && dims[i] != 1)
      return error() << "cannot squeeze dim " << i << " of size " << dims[i];
    if (!drop)
      from.push_back(i);
  }
  return from;
}

FailureOr<int64_t> Importer::axisOf(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    return error() << "axis " << axis << " is out of range for rank " << rank;
  return axis < 0 ? axis + rank : axis;
}

FailureOr<int64_t> Importer::flattenAxis(const NodeProto &node, int64_t rank) {
  int64_t axis = intAttr(node, "axis", 1);
  if (axis < -rank || axis > rank)
    return error() << "Flatten axis " << axis << " is out of range for rank " << rank;
  return axis < 0 ? axis + rank : axis;
}
