//===- ShapeOps.cpp - Constants, reshapes, fills and ranges ---------------===//
//
// What Fold.cpp did not evaluate: Reshape, Flatten, Squeeze and Unsqueeze go
// through one reshapeTo (SymbolicDims.cpp), or RunTimeAxes.cpp where their
// axes are known only at run time; ConstantOfShape is heed.full with dynamic
// dims; Expand broadcasts against a heed.full of the target shape; Range takes
// index operands (static float ranges fold to constants; others compute their
// length on the device).
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
  // Quietly first, without moving dims (transposes copy the tensor): a split of a merged dim
  // may still work through the linear that needed the merge; then, where the dims are index
  // values, as they come when the function runs (a view, as bsz * heads merges are); else
  // loudly, moving dims if need be, or for the error.
  quietReshape = true;
  movingDimsAllowed = false;
  Value y = reshapeTo(x, target, "Reshape");
  if (!y)
    y = reshapeThroughLinear(x, target);
  quietReshape = false;
  movingDimsAllowed = true;
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
  auto axis = flattenAxis(node, in.size());
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
  if (opset >= 13) {
    auto axes = runTimeInts(node, 1, "axes");
    if (failed(axes))
      return failure();
    if (*axes && !(*axes)->empty())
      return squeezeAtRunTime(node, x, **axes);
  }
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
  // Known dims as they are; a shape computed from data or given as an input is read when the
  // function runs (its length, the result's rank, must be static).
  const Known *k = known(node.input(shapeInput));
  int64_t rank = k ? static_cast<int64_t>(k->shape.size())
                   : cast<RankedTensorType>(input(node, shapeInput).getType()).getRank();
  if (rank != 1)
    return error() << "expects a 1-D shape, got rank " << rank;
  auto syms = indexInts(node, shapeInput, kind == "Expand" ? "Expand shape" : "shape");
  if (failed(syms))
    return failure();
  if (static_cast<int64_t>(syms->size()) > kMaxRank)
    return error() << "a shape of rank " << syms->size() << " exceeds the limit " << kMaxRank;
  SmallVector<int64_t> shape;
  SmallVector<Value> dynamic;
  for (const Sym &s : *syms) {
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

/// `x` reshaped to dims given as index values: heed.reshape where they are static and none is
/// 0 (which heed.reshape reads as a copy), else heed.reshape_dynamic with allowzero.
Value Importer::reshapeExact(Value x, ArrayRef<Sym> dims) {
  if (llvm::all_of(dims, [](const Sym &s) { return s.isStatic() && s.value > 0; }))
    return reshape(x, llvm::map_to_vector(dims, [](const Sym &s) { return s.value; }));
  SmallVector<Value> values = llvm::map_to_vector(dims, [&](const Sym &s) { return index(s); });
  return op<ReshapeDynamicOp>(x, values, /*allowzero=*/true);
}

/// Tile(x, repeats): each dim d repeated r times is x's dim spread to [1, d], broadcast to
/// [r, d] and merged to r * d; dims repeated once stay as they are. Repeats known at import or
/// read when the function runs, so both drivers run it with their reshape and broadcast.
LogicalResult Importer::importTile(const NodeProto &node) {
  Value x = input(node, 0);
  if (!x)
    return failure();
  auto t = cast<RankedTensorType>(x.getType());
  auto reps = indexInts(node, 1, "Tile repeats");
  if (failed(reps))
    return failure();
  if (static_cast<int64_t>(reps->size()) != t.getRank())
    return error() << "expects " << t.getRank() << " repeats for " << t << ", got " << reps->size();
  SmallVector<Sym> spread, wide, out;
  for (auto [i, r] : llvm::enumerate(*reps)) {
    if (r.isStatic() && r.value < 0)
      return error() << "negative repeat " << r.value << " for dim " << i;
    int64_t n = t.getDimSize(i);
    Sym d = t.isDynamicDim(i) ? Sym{0, dimOf(x, i)} : Sym{n, Value()};
    if (r.isStatic() && r.value == 1) {
      spread.push_back(d);
      wide.push_back(d);
      out.push_back(d);
      continue;
    }
    spread.append({Sym{1, Value()}, d});
    wide.append({r, d});
    Sym product;
    if (r.isStatic() && d.isStatic()) {
      if (llvm::MulOverflow(r.value, d.value, product.value) || product.value > kMaxDim)
        return error() << "repeating dim " << i << " (" << d.value << ") " << r.value
                       << " times exceeds the limit " << kMaxDim;
    } else {
      product.dyn = arith::MulIOp::create(builder, loc, index(r), index(d));
    }
    out.push_back(product);
  }
  if (spread.size() == out.size())
    return define(node, 0, x); // every repeat is 1
  if (static_cast<int64_t>(wide.size()) > kMaxRank)
    return error() << "unsupported Tile: repeating " << wide.size() - out.size()
                   << " dims of a rank-" << t.getRank() << " tensor needs rank " << wide.size()
                   << ", over the limit " << kMaxRank;
  SmallVector<int64_t> wideShape;
  SmallVector<Value> wideDynamic;
  for (const Sym &s : wide) {
    wideShape.push_back(s.isStatic() ? s.value : kDyn);
    if (!s.isStatic())
      wideDynamic.push_back(s.dyn);
  }
  Value like = FullOp::create(builder, loc, RankedTensorType::get(wideShape, builder.getI1Type()),
                              builder.getBoolAttr(false), wideDynamic);
  Value y = op<BroadcastOp>(reshapeExact(x, spread), like);
  return define(node, 0, y ? reshapeExact(y, out) : y);
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
  // Integer scalars: known ones as index values, others read when the function runs.
  const Known *k0 = known(node.input(0));
  Type et =
      k0 ? k0->elementType : cast<RankedTensorType>(input(node, 0).getType()).getElementType();
  if (isa<FloatType>(et))
    return floatRangeAtRunTime(node);
  if (!et.isSignlessInteger(32) && !et.isSignlessInteger(64))
    return error() << "unsupported Range of " << et;
  SmallVector<Value> operands;
  for (int i = 0; i < 3; ++i) {
    auto syms = indexInts(node, i, "Range operand");
    if (failed(syms))
      return failure();
    if (syms->size() != 1)
      return error() << "expects scalar start, limit and delta, got " << syms->size()
                     << " elements for input " << i;
    operands.push_back(index((*syms)[0]));
  }
  Value r = op<RangeOp>(operands[0], operands[1], operands[2]);
  return define(node, 0, castTo(r, et));
}

/// A float Range whose operands are known only when the function runs: its length,
/// max(ceil((limit - start) / delta), 0), is computed in the operands' type on the device and
/// read back; the elements are start + i * delta.
LogicalResult Importer::floatRangeAtRunTime(const NodeProto &node) {
  Value start = input(node, 0), limit = input(node, 1), delta = input(node, 2);
  for (Value v : {start, limit, delta}) {
    auto t = cast<RankedTensorType>(v.getType());
    if (!t.hasStaticShape() || t.getNumElements() != 1 || t.getRank() > 1)
      return error() << "expects scalar start, limit and delta, got " << t;
  }
  Value count = op<CeilOp>(op<DivOp>(op<SubOp>(limit, start), delta));
  if (!count)
    return failure();
  // NaN operands (or 0 / 0) give no length; an infinite one saturates and is too long for
  // heed.range.
  Value nan = ExtractOp::create(builder, loc, castTo(op<IsNanOp>(count), builder.getI64Type()), 0);
  checkAtRunTime(compareIndex(arith::CmpIPredicate::eq, nan, indexConstant(0)), {},
                 "expects a Range length, but ceil((limit - start) / delta) is NaN");
  Value n = ExtractOp::create(builder, loc, castTo(count, builder.getI64Type()), 0);
  Value iota = op<RangeOp>(indexConstant(0), n, indexConstant(1));
  Type et = cast<RankedTensorType>(start.getType()).getElementType();
  Value y = op<AddOp>(op<MulOp>(castTo(iota, et), delta), start);
  // [n] whatever the operands' ranks (0-D or [1]).
  return define(node, 0, y ? reshape(y, {-1}) : y);
}

void mlir::heed::onnx::detail::registerShapeOps(OpTable &t) {
  t.add("Constant", &Importer::importConstant, 0);
  t.add("Reshape", &Importer::importReshape, 2);
  t.add("Flatten", &Importer::importFlatten);
  t.add("Squeeze", &Importer::importSqueeze);
  t.add("Unsqueeze", &Importer::importSqueeze);
  t.add("Expand", &Importer::importExpand, 2);
  t.add("Tile", &Importer::importTile, 2);
  t.add("ConstantOfShape", &Importer::importConstantOfShape);
  t.add("Shape", &Importer::importDynamicShape);
  t.add("Size", &Importer::importDynamicShape);
  t.add("Range", &Importer::importRange, 3);
}
