//===- ShapeOps.cpp - Constants, reshapes, fills and ranges ---------------===//
//
// What Fold.cpp did not evaluate: Reshape, Flatten, Squeeze and Unsqueeze go
// through one reshapeTo (SymbolicDims.cpp); ConstantOfShape is heed.full with
// dynamic dims; Expand broadcasts against a heed.full of the target shape;
// Range takes index operands (static float ranges fold to constants).
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/Importer.h"

#include "llvm/Support/MathExtras.h"

#include <cmath>

using namespace mlir;
using namespace mlir::heed;
using namespace mlir::heed::onnx::detail;

LogicalResult Importer::importConstant(const NodeProto &node) {
  Entry e;
  if (const auto *a = attribute(node, "value")) {
    if (failed(importTensor(a->t(), e)))
      return failure();
  } else if (const auto *a = attribute(node, "value_int")) {
    e.known = Known{{}, {Sym{a->i(), Value()}}, builder.getI64Type()};
  } else if (const auto *a = attribute(node, "value_ints")) {
    Known k{{a->ints_size()}, {}, builder.getI64Type()};
    for (int64_t v : a->ints())
      k.elems.push_back({v, Value()});
    e.known = k;
  } else if (const auto *a = attribute(node, "value_float")) {
    e.value = scalarConstant(builder.getF32Type(), a->f());
  } else if (const auto *a = attribute(node, "value_floats")) {
    SmallVector<float> fs(a->floats().begin(), a->floats().end());
    auto t = RankedTensorType::get({(int64_t)fs.size()}, builder.getF32Type());
    e.value = ConstantOp::create(builder, loc, DenseElementsAttr::get(t, ArrayRef<float>(fs)));
  } else {
    return error() << "unsupported Constant: expects value, value_int(s) or value_float(s)";
  }
  values[node.output(0)] = std::move(e);
  return success();
}

/// allowzero=1 with a 0 in the target shape: a zero-sized dim, so the result
/// has no elements and is an empty tensor of the target shape (heed.reshape's
/// 0 means "copy the input dim", as ONNX's does without allowzero).
LogicalResult Importer::emptyReshape(const NodeProto &node, Value x, const Known &k) {
  auto xt = cast<RankedTensorType>(x.getType());
  if (!llvm::is_contained(xt.getShape(), 0))
    return error() << "Reshape with allowzero=1 gives a tensor with no elements, but the input "
                   << xt << " is not statically empty";
  SmallVector<int64_t> shape;
  for (const Sym &s : k.elems) {
    if (!s.isStatic())
      return error() << "unsupported Reshape with allowzero=1, a 0 and a dynamic dim in the "
                        "target shape";
    shape.push_back(s.value);
  }
  Type et = xt.getElementType();
  TypedAttr zero = isa<FloatType>(et)        ? TypedAttr(builder.getFloatAttr(et, 0))
                   : et.isSignlessInteger(1) ? TypedAttr(builder.getBoolAttr(false))
                                             : TypedAttr(builder.getIntegerAttr(et, 0));
  return define(node, 0,
                FullOp::create(builder, loc, RankedTensorType::get(shape, et), zero, ValueRange())
                    .getResult());
}

LogicalResult Importer::importReshape(const NodeProto &node) {
  Value x = input(node, 0);
  if (!x)
    return failure();
  const Known *k = known(node.input(1));
  bool allowZero = intAttr(node, "allowzero", 0);
  if (!k)
    return reshapeAtRunTime(node, x, allowZero, {});
  if (k->shape.size() != 1)
    return error() << "expects a 1-D shape, got rank " << k->shape.size();
  auto isStatic = [&](int64_t v) {
    return llvm::any_of(k->elems, [&](const Sym &s) { return s.isStatic() && s.value == v; });
  };
  // ONNX: with allowzero=1 a 0 is a zero-sized dim, and then no dim may be -1.
  if (allowZero && isStatic(0) && isStatic(-1))
    return error() << "Reshape with allowzero=1 cannot have both 0 and -1 in the target shape";
  if (allowZero && isStatic(0))
    return emptyReshape(node, x, *k);
  SmallVector<Monomial> in = dimsOf(x), target;
  for (auto [j, s] : llvm::enumerate(k->elems)) {
    if (s.isStatic() && s.value == 0) {
      if (j >= in.size())
        return error() << "the target shape copies dim " << j << " (0) of a rank-" << in.size()
                       << " input";
      target.push_back(in[j]);
      continue;
    }
    if (s.isStatic() && s.value < -1)
      return error() << "invalid dim " << s.value << " in the target shape";
    target.push_back(monomialOf(s));
  }
  // Quietly first: a split of a merged dim may still work through the linear
  // that needed the merge; then, where the dims are index values, as they come
  // when the function runs; else loudly, for the error.
  quietReshape = true;
  Value y = reshapeTo(x, target, "Reshape");
  if (!y)
    y = reshapeThroughLinear(x, target);
  quietReshape = false;
  if (!y && !k->isStatic() &&
      llvm::count_if(k->elems, [](const Sym &s) { return s.isStatic() && s.value == -1; }) <= 1)
    return reshapeAtRunTime(node, x, allowZero, target);
  if (!y)
    y = reshapeTo(x, target, "Reshape");
  return y ? define(node, 0, y) : failure();
}

LogicalResult Importer::importFlatten(const NodeProto &node) {
  Value x = input(node, 0);
  SmallVector<Monomial> in = dimsOf(x);
  auto axis = axisOf(intAttr(node, "axis", 1), in.size() + 1);
  if (failed(axis))
    return failure();
  SmallVector<Monomial> target(2);
  for (auto [i, m] : llvm::enumerate(in)) {
    Monomial &t = target[static_cast<int64_t>(i) < *axis ? 0 : 1];
    t.opaque |= m.opaque || llvm::MulOverflow(t.coeff, m.coeff, t.coeff);
    t.roots.append(m.roots);
  }
  Value y = reshapeTo(x, target, "Flatten");
  return y ? define(node, 0, y) : failure();
}

/// Squeeze and Unsqueeze.
LogicalResult Importer::importSqueeze(const NodeProto &node) {
  Value x = input(node, 0);
  auto from = squeezedDims(node, cast<RankedTensorType>(x.getType()).getShape());
  if (failed(from))
    return failure();
  SmallVector<Monomial> in = dimsOf(x), target;
  for (int64_t f : *from) {
    if (f < 0)
      target.push_back(Monomial());
    else
      target.push_back(in[f]);
  }
  Value y = reshapeTo(x, target, node.op_type());
  return y ? define(node, 0, y) : failure();
}

/// Expand and ConstantOfShape: a shape known at import, static dims checked.
LogicalResult Importer::importShapeLike(const NodeProto &node, StringRef kind) {
  int shapeInput = kind == "Expand" ? 1 : 0;
  const Known *k = known(node.input(shapeInput));
  if (!k)
    return error() << "unsupported dynamic " << kind
                   << ": the shape must be computable from dims when the model is imported";
  if (k->shape.size() != 1)
    return error() << "expects a 1-D shape, got rank " << k->shape.size();
  if (static_cast<int64_t>(k->elems.size()) > kMaxRank)
    return error() << "a shape of rank " << k->elems.size() << " exceeds the limit " << kMaxRank;
  SmallVector<int64_t> shape;
  SmallVector<Value> dynamic;
  for (const Sym &s : k->elems) {
    if (s.isStatic()) {
      if (s.value < 0)
        return error() << "negative dim " << s.value << " in the shape";
      if (s.value > kMaxDim)
        return error() << "dim " << s.value << " in the shape exceeds the limit " << kMaxDim;
      shape.push_back(s.value);
    } else {
      shape.push_back(kDyn);
      dynamic.push_back(s.dyn);
    }
  }
  if (kind == "ConstantOfShape")
    return fillOfShape(node, shape, dynamic);
  // Expand: broadcast against a tensor of the target shape.
  auto likeType = RankedTensorType::get(shape, builder.getI1Type());
  Value like = FullOp::create(builder, loc, likeType, builder.getBoolAttr(false), dynamic);
  return define(node, 0, op<BroadcastOp>(input(node, 0), like));
}

/// ConstantOfShape's heed.full: its one-element `value` (f32 0 by default).
LogicalResult Importer::fillOfShape(const NodeProto &node, ArrayRef<int64_t> shape,
                                    ValueRange dynamic) {
  TypedAttr value = builder.getF32FloatAttr(0);
  Type et = builder.getF32Type();
  if (const auto *a = attribute(node, "value")) {
    Entry e;
    if (failed(importTensor(a->t(), e)))
      return failure();
    if (e.known) {
      if (e.known->elems.size() != 1)
        return error() << "expects a one-element value";
      et = e.known->elementType;
      value = builder.getIntegerAttr(et, e.known->elems[0].value);
      if (et.isInteger(1))
        value = builder.getBoolAttr(e.known->elems[0].value);
    } else if (auto c = e.value.getDefiningOp<ConstantOp>()) {
      auto dense = cast<DenseElementsAttr>(c.getValue());
      if (dense.getNumElements() != 1)
        return error() << "expects a one-element value";
      et = dense.getElementType();
      value = cast<TypedAttr>(*dense.value_begin<Attribute>());
      c->erase();
    }
  }
  auto type = RankedTensorType::get(shape, et);
  return define(node, 0, FullOp::create(builder, loc, type, value, dynamic).getResult());
}

LogicalResult Importer::importExpand(const NodeProto &node) {
  return importShapeLike(node, "Expand");
}

LogicalResult Importer::importConstantOfShape(const NodeProto &node) {
  return importShapeLike(node, "ConstantOfShape");
}

/// Shape and Size that did not fold: their input's dims are not all known.
LogicalResult Importer::importDynamicShape(const NodeProto &node) {
  return error() << "unsupported dynamic " << node.op_type();
}

/// Static float ranges fold to constants; integer ranges of known scalars
/// become heed.range of index values.
LogicalResult Importer::importRange(const NodeProto &node) {
  SmallVector<double> floats;
  for (int i = 0; i < 3; ++i)
    if (Value v = has(node, i) && !known(node.input(i)) ? input(node, i) : Value())
      if (auto c = v.getDefiningOp<ConstantOp>())
        if (auto dense = dyn_cast<DenseFPElementsAttr>(c.getValue()))
          if (dense.getNumElements() == 1)
            floats.push_back((*dense.getValues<APFloat>().begin()).convertToDouble());
  if (floats.size() == 3) {
    double start = floats[0], limit = floats[1], delta = floats[2];
    if (delta == 0)
      return error() << "Range with a zero delta";
    double count = std::ceil((limit - start) / delta);
    if (!(count <= static_cast<double>(kMaxKnownElements * 256)))
      return error() << "Range of " << count << " elements is too long";
    Type et = cast<RankedTensorType>(input(node, 0).getType()).getElementType();
    SmallVector<Attribute> elems;
    for (int64_t i = 0; i < static_cast<int64_t>(std::max(count, 0.0)); ++i)
      elems.push_back(builder.getFloatAttr(et, start + i * delta));
    auto t = RankedTensorType::get({static_cast<int64_t>(elems.size())}, et);
    return define(node, 0,
                  ConstantOp::create(builder, loc, DenseElementsAttr::get(t, elems)).getResult());
  }
  SmallVector<Value> operands;
  for (int i = 0; i < 3; ++i) {
    const Known *k = known(node.input(i));
    if (!k || k->elems.size() != 1 || !k->elementType.isInteger())
      return error() << "unsupported dynamic Range: start, limit and delta must be integer "
                        "scalars computable from dims";
    operands.push_back(index(k->elems[0]));
  }
  Value r = op<RangeOp>(operands[0], operands[1], operands[2]);
  return define(node, 0, castTo(r, known(node.input(0))->elementType));
}

void mlir::heed::onnx::detail::registerShapeOps(OpTable &t) {
  t.add("Constant", &Importer::importConstant, 0);
  t.add("Reshape", &Importer::importReshape, 2);
  t.add("Flatten", &Importer::importFlatten);
  t.add("Squeeze", &Importer::importSqueeze);
  t.add("Unsqueeze", &Importer::importSqueeze);
  t.add("Expand", &Importer::importExpand, 2);
  t.add("ConstantOfShape", &Importer::importConstantOfShape);
  t.add("Shape", &Importer::importDynamicShape);
  t.add("Size", &Importer::importDynamicShape);
  t.add("Range", &Importer::importRange, 3);
}
