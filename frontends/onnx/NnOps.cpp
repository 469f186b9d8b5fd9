//===- NnOps.cpp - MatMul, Gemm, softmax, reductions, normalization -------===//
//
// Gemm without transA, alpha 1 and a [N] bias is heed.linear; otherwise
// matmul (with transpose flags) * alpha + beta * C. LayerNormalization fuses
// scale/bias when they have exactly the normalized dims, else multiplies/adds
// them after; its Mean/InvStdDev outputs are computed. Dropout is the
// identity (inference; the mask output is all true).
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/Importer.h"

using namespace mlir;
using namespace mlir::heed;
using namespace mlir::heed::onnx::detail;

static int64_t rankOf(Value v) { return cast<RankedTensorType>(v.getType()).getRank(); }
static Type elementOf(Value v) { return cast<RankedTensorType>(v.getType()).getElementType(); }

LogicalResult Importer::importMatMul(const NodeProto &node) {
  Value a = input(node, 0), b = input(node, 1);
  if (!a || !b)
    return failure();
  bool vecA = rankOf(a) == 1, vecB = rankOf(b) == 1;
  if (vecA)
    a = reshape(a, {1, -1});
  if (vecB)
    b = reshape(b, {-1, 1});
  Value y = op<MatmulOp>(a, b);
  if (y && (vecA || vecB)) {
    auto t = cast<RankedTensorType>(y.getType());
    SmallVector<int64_t> spec;
    for (int64_t i = 0; i < t.getRank() - 2; ++i)
      spec.push_back(0);
    if (!vecA)
      spec.push_back(t.isDynamicDim(t.getRank() - 2) ? -1 : t.getDimSize(t.getRank() - 2));
    if (!vecB)
      spec.push_back(t.isDynamicDim(t.getRank() - 1) ? -1 : t.getDimSize(t.getRank() - 1));
    y = reshape(y, spec);
  }
  return define(node, 0, y);
}

LogicalResult Importer::importGemm(const NodeProto &node) {
  Value a = input(node, 0), b = input(node, 1);
  Value c = has(node, 2) ? input(node, 2) : Value();
  float alpha = floatAttr(node, "alpha", 1.0f), beta = floatAttr(node, "beta", 1.0f);
  bool transA = intAttr(node, "transA", 0), transB = intAttr(node, "transB", 0);
  auto bt = cast<RankedTensorType>(b.getType());
  int64_t n = bt.getRank() == 2 ? bt.getDimSize(transB ? 0 : 1) : kDyn;
  bool cIsBias =
      c && rankOf(c) == 1 && n != kDyn && cast<RankedTensorType>(c.getType()).getDimSize(0) == n;
  if (!transA && alpha == 1.0f && (!c || (beta == 1.0f && cIsBias)))
    return define(node, 0, op<LinearOp>(a, b, c, transB));
  Value y = op<MatmulOp>(a, b, transA, transB);
  if (y && alpha != 1.0f)
    y = op<MulOp>(y, scalarConstant(elementOf(y), alpha));
  if (y && c) {
    if (beta != 1.0f)
      c = op<MulOp>(c, scalarConstant(elementOf(c), beta));
    y = op<AddOp>(y, c);
  }
  return define(node, 0, y);
}

/// Softmax and LogSoftmax.
LogicalResult Importer::importSoftmax(const NodeProto &node) {
  Value x = input(node, 0);
  int64_t axis = intAttr(node, "axis", opset >= 13 ? -1 : 1);
  auto n = axisOf(axis, rankOf(x));
  if (failed(n))
    return failure();
  if (opset < 13 && *n != rankOf(x) - 1)
    return error() << "unsupported opset " << opset << " softmax over the flattened dims from axis "
                   << axis;
  if (node.op_type() == "Softmax")
    return define(node, 0, op<SoftmaxOp>(x, *n));
  return define(node, 0, op<LogSoftmaxOp>(x, *n));
}

/// ReduceMean, ReduceSum, ReduceMax, ReduceMin and ReduceProd.
LogicalResult Importer::importReduce(const NodeProto &node) {
  StringRef type = node.op_type();
  Value x = input(node, 0);
  int64_t rank = rankOf(x);
  bool axesAsInput = type == "ReduceSum" ? opset >= 13 : opset >= 18;
  ReduceKind kind = type == "ReduceMean"  ? ReduceKind::mean
                    : type == "ReduceSum" ? ReduceKind::sum
                    : type == "ReduceMax" ? ReduceKind::max
                    : type == "ReduceMin" ? ReduceKind::min
                                          : ReduceKind::prod;
  bool keepDims = intAttr(node, "keepdims", 1) != 0;
  SmallVector<int64_t> axes;
  if (axesAsInput && has(node, 1)) {
    // Axes read when the function runs: their number (the tensor's static length) is known, so
    // the empty case is decided here, and heed.reduce checks the values when it runs.
    auto runTime = runTimeInts(node, 1, "reduction axes");
    if (failed(runTime))
      return failure();
    if (*runTime && !(*runTime)->empty()) {
      SmallVector<Value> values =
          llvm::map_to_vector(**runTime, [&](const Sym &s) { return index(s); });
      return define(node, 0, op<ReduceOp>(kind, x, ArrayRef<int64_t>(), values, keepDims));
    }
    if (!*runTime)
      axes = known(node.input(1))->values();
  } else {
    axes = intsAttr(node, "axes").value_or(SmallVector<int64_t>());
  }
  if (axes.empty()) {
    if (intAttr(node, "noop_with_empty_axes", 0))
      return define(node, 0, x);
    for (int64_t i = 0; i < rank; ++i)
      axes.push_back(i);
  }
  for (int64_t &a : axes) {
    auto n = axisOf(a, rank);
    if (failed(n))
      return failure();
    a = *n;
  }
  return define(node, 0, op<ReduceOp>(kind, x, axes, ValueRange(), keepDims));
}

LogicalResult Importer::importArgMax(const NodeProto &node) {
  Value x = input(node, 0);
  auto axis = axisOf(intAttr(node, "axis", 0), rankOf(x));
  if (failed(axis))
    return failure();
  bool keep = intAttr(node, "keepdims", 1) != 0, last = intAttr(node, "select_last_index", 0) != 0;
  if (node.op_type() == "ArgMin")
    return define(node, 0, op<ArgminOp>(x, *axis, keep, last));
  return define(node, 0, op<ArgmaxOp>(x, *axis, keep, last));
}

LogicalResult Importer::importCumSum(const NodeProto &node) {
  Value x = input(node, 0);
  if (!x)
    return failure();
  bool exclusive = intAttr(node, "exclusive", 0) != 0, reverse = intAttr(node, "reverse", 0) != 0;
  // A constant axis (an exporter's initializer) is the attribute; one the graph computes or takes
  // as an input is an operand the drivers read at run time (the rank is static either way).
  if (const Known *k = known(node.input(1)); k && k->isStatic()) {
    if (k->elems.size() != 1 || k->shape.size() > 1)
      return error() << "expects one axis, got " << k->elems.size() << " values";
    auto axis = axisOf(k->elems[0].value, rankOf(x));
    if (failed(axis))
      return failure();
    return define(node, 0,
                  op<CumsumOp>(x, Value(), builder.getI64IntegerAttr(*axis), exclusive, reverse));
  }
  Value axis = input(node, 1);
  if (!axis)
    return failure();
  auto at = cast<RankedTensorType>(axis.getType());
  if (!at.getElementType().isSignlessInteger(32) && !at.getElementType().isSignlessInteger(64))
    return error() << "expects an int32 or int64 axis, got " << at.getElementType();
  return define(node, 0, op<CumsumOp>(x, axis, IntegerAttr(), exclusive, reverse));
}

LogicalResult Importer::importTopK(const NodeProto &node) {
  Value x = input(node, 0);
  auto axis = axisOf(intAttr(node, "axis", -1), rankOf(x));
  if (failed(axis))
    return failure();
  // heed.top_k returns the k largest in descending order, the first of equal values first:
  // TopK's defaults (largest, sorted; unsorted output may be in any order). The k smallest
  // are the k largest of -x, negated back (negation keeps ties tied, so the order holds).
  bool largest = intAttr(node, "largest", 1) != 0;
  if (!largest && !isa<FloatType>(cast<RankedTensorType>(x.getType()).getElementType()))
    return error() << "unsupported largest=0 on integers";
  // k as the attribute (before opset 10, or a constant input), or read when the function runs.
  int64_t k = intAttr(node, "k", -1);
  Value kValue;
  if (opset >= 10) {
    auto given = indexInts(node, 1, "k");
    if (failed(given))
      return failure();
    if (given->size() != 1)
      return error() << "expects k as one integer, got " << given->size();
    const Sym &s = (*given)[0];
    k = s.value;
    kValue = s.dyn;
  }
  IntegerAttr kAttr = kValue ? IntegerAttr() : builder.getI64IntegerAttr(k);
  auto topK = heed.create<TopKOp>(loc, largest ? x : op<NegOp>(x), kAttr, kValue, *axis);
  if (!topK)
    return failure();
  Value values = topK->getResult(0);
  if (failed(define(node, 0, largest ? values : op<NegOp>(values))))
    return failure();
  return wants(node, 1) ? define(node, 1, topK->getResult(1)) : success();
}

LogicalResult Importer::importLayerNorm(const NodeProto &node) {
  Value x = input(node, 0);
  int64_t rank = rankOf(x);
  auto axis = axisOf(intAttr(node, "axis", -1), rank);
  if (failed(axis))
    return failure();
  if (intAttr(node, "stash_type", 1) != 1)
    return error() << "unsupported stash_type";
  auto trailing = cast<RankedTensorType>(x.getType()).getShape().drop_front(*axis);
  auto exact = [&](Value v) {
    auto vt = cast<RankedTensorType>(v.getType());
    return vt.getShape() == trailing && !vt.hasStaticShape() == false;
  };
  Value scale = has(node, 1) ? input(node, 1) : Value();
  Value bias = has(node, 2) ? input(node, 2) : Value();
  bool fused = (!scale || exact(scale)) && (!bias || exact(bias));
  float epsilon = floatAttr(node, "epsilon", 1e-5f);
  Value y = op<LayerNormOp>(x, fused ? scale : Value(), fused ? bias : Value(), Value(), *axis,
                            APFloat(epsilon));
  if (y && !fused && scale)
    y = op<MulOp>(y, scale);
  if (y && !fused && bias)
    y = op<AddOp>(y, bias);
  if (failed(define(node, 0, y)))
    return failure();
  // The training outputs Mean and InvStdDev, reduced with kept dims.
  for (int i = 1; i < node.output_size(); ++i)
    if (!node.output(i).empty())
      return layerNormStats(node, x, *axis);
  return success();
}

LogicalResult Importer::layerNormStats(const NodeProto &node, Value x, int64_t axis) {
  SmallVector<int64_t> axes;
  for (int64_t i = axis; i < rankOf(x); ++i)
    axes.push_back(i);
  auto mean = [&](Value v) { return op<ReduceOp>(ReduceKind::mean, v, axes, ValueRange(), true); };
  Value mu = mean(x);
  Value d = op<SubOp>(x, mu);
  Value var = mean(op<MulOp>(d, d));
  Value eps = scalarConstant(elementOf(x), floatAttr(node, "epsilon", 1e-5f));
  Value inv = op<RsqrtOp>(op<AddOp>(var, eps));
  if (failed(define(node, 1, mu)))
    return failure();
  return node.output_size() > 2 ? define(node, 2, inv) : success();
}

LogicalResult Importer::importDropout(const NodeProto &node) {
  if (opset >= 12 && has(node, 2)) {
    // Training with ratio 0 keeps everything; any other ratio is random.
    bool zeroRatio = false;
    if (has(node, 1))
      if (auto c = input(node, 1).getDefiningOp<ConstantOp>())
        if (auto dense = dyn_cast<DenseFPElementsAttr>(c.getValue()))
          zeroRatio = dense.isSplat() && dense.getSplatValue<APFloat>().isZero();
    // training_mode as a bool tensor: a constant, or read when the function runs (in i64).
    const Known *training = known(node.input(2));
    Value mode = training ? Value() : input(node, 2);
    auto modeType = mode ? cast<RankedTensorType>(mode.getType()) : RankedTensorType();
    int64_t count = training                    ? static_cast<int64_t>(training->elems.size())
                    : modeType.hasStaticShape() ? modeType.getNumElements()
                                                : kDyn;
    if (count != 1 && training)
      return error() << "expects a one-element training_mode, got " << count << " elements";
    if (count != 1)
      return error() << "expects a one-element training_mode, got " << modeType;
    if (training && !training->isStatic())
      return error() << "unsupported Dropout with a computed training_mode";
    bool inference = training && !training->elems[0].value;
    // A ratio given as a graph input (or computed) is known only when the function runs.
    bool ratioKnown = !has(node, 1) || input(node, 1).getDefiningOp<ConstantOp>();
    if (!inference && !zeroRatio) {
      if (training && ratioKnown)
        return error() << "unsupported Dropout in training mode";
      // Refused when it runs unless training_mode is false or the ratio is 0.
      auto first = [&](Value bits) -> Value {
        Value flag = castTo(bits, builder.getI64Type());
        return flag ? ExtractOp::create(builder, loc, flag, 0).getResult() : Value();
      };
      // Whether it may run, as an index 0 or 1 (the plan's index arithmetic has no `or`).
      Value allowed = indexConstant(0);
      if (mode) {
        Value flag = first(mode);
        if (!flag)
          return failure();
        allowed = indexOf(compareIndex(arith::CmpIPredicate::eq, flag, indexConstant(0)));
      }
      if (!ratioKnown) {
        Value ratio = input(node, 1);
        Type et = cast<RankedTensorType>(ratio.getType()).getElementType();
        Value isZero = first(compare(CompareKind::eq, ratio, scalarConstant(et, 0)));
        if (!isZero)
          return failure();
        allowed = selectIndex(compareIndex(arith::CmpIPredicate::ne, isZero, indexConstant(0)),
                              indexConstant(1), allowed);
      }
      Value ok = compareIndex(arith::CmpIPredicate::ne, allowed, indexConstant(0));
      checkAtRunTime(ok, {},
                     "unsupported Dropout in training mode: training_mode is true and the ratio "
                     "is not 0");
    }
  }
  Value x = input(node, 0);
  if (wants(node, 1)) {
    // The mask keeps every element.
    auto t = cast<RankedTensorType>(x.getType());
    SmallVector<Value> dynamic;
    for (int64_t i = 0; i < t.getRank(); ++i)
      if (t.isDynamicDim(i))
        dynamic.push_back(dimOf(x, i));
    auto maskType = RankedTensorType::get(t.getShape(), builder.getI1Type());
    Value mask = FullOp::create(builder, loc, maskType, builder.getBoolAttr(true), dynamic);
    if (failed(define(node, 1, mask)))
      return failure();
  }
  return define(node, 0, x);
}

void mlir::heed::onnx::detail::registerNnOps(OpTable &t) {
  t.add("MatMul", &Importer::importMatMul, 2);
  t.add("Gemm", &Importer::importGemm, 2);
  t.add("Softmax", &Importer::importSoftmax);
  t.add("LogSoftmax", &Importer::importSoftmax);
  for (StringRef reduce : {"ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd"})
    t.add(reduce, &Importer::importReduce);
  t.add("LayerNormalization", &Importer::importLayerNorm);
  t.add("ArgMax", &Importer::importArgMax);
  t.add("ArgMin", &Importer::importArgMax);
  t.add("CumSum", &Importer::importCumSum, 2, 11);
  t.add("Einsum", &Importer::importEinsum, OpImport::kAllInputs, 12);
  t.add("TopK", &Importer::importTopK);
  t.add("Dropout", &Importer::importDropout);
}
