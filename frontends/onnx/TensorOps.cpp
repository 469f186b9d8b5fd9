//===- TensorOps.cpp - Data movement: transpose, concat, split, slice, ... -===//
//
// Slice with negative steps becomes a gather of constant indices (static
// dims; NumPy clamping, as the reference outputs). Constant Gather indices are
// range-checked at import. Trilu builds its mask from two heed.ranges.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/Importer.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "llvm/Support/MathExtras.h"

#include <tuple>

using namespace mlir;
using namespace mlir::heed;
using namespace mlir::heed::onnx::detail;

static int64_t rankOf(Value v) { return cast<RankedTensorType>(v.getType()).getRank(); }

LogicalResult Importer::importTranspose(const NodeProto &node) {
  Value x = input(node, 0);
  int64_t rank = rankOf(x);
  SmallVector<int64_t> perm;
  if (auto p = intsAttr(node, "perm"))
    perm = *p;
  else
    for (int64_t i = rank - 1; i >= 0; --i)
      perm.push_back(i);
  return define(node, 0, transpose(x, perm));
}

LogicalResult Importer::importConcat(const NodeProto &node) {
  SmallVector<Value> xs;
  for (int i = 0; i < node.input_size(); ++i)
    xs.push_back(input(node, i));
  if (xs.empty())
    return error() << "expects at least one input";
  auto axis = axisOf(intAttr(node, "axis", 0), rankOf(xs[0]));
  if (failed(axis))
    return failure();
  return define(node, 0, concat(xs, *axis));
}

FailureOr<SmallVector<int64_t>> Importer::splitSizes(const NodeProto &node, RankedTensorType t,
                                                     int64_t axis) {
  auto given = intsInputOrAttr(node, 1, opset >= 13, "split sizes", "split");
  if (failed(given))
    return failure();
  SmallVector<int64_t> sizes;
  if (*given) {
    sizes = **given;
  } else {
    int64_t n = intAttr(node, "num_outputs", node.output_size());
    // Checked before the loop below: n sizes are built, then divided by n.
    if (n < 1 || n != node.output_size())
      return error() << "has " << node.output_size() << " outputs but num_outputs is " << n;
    if (t.isDynamicDim(axis))
      return error() << "unsupported dynamic Split: equal parts of a dynamic dim";
    int64_t d = t.getDimSize(axis), part = (d + n - 1) / n;
    for (int64_t i = 0; i < n; ++i)
      sizes.push_back(std::max<int64_t>(0, std::min(part, d - i * part)));
  }
  if (static_cast<int64_t>(sizes.size()) != node.output_size())
    return error() << "has " << node.output_size() << " outputs but " << sizes.size()
                   << " split sizes";
  return sizes;
}

LogicalResult Importer::importSplit(const NodeProto &node) {
  Value x = input(node, 0);
  auto t = cast<RankedTensorType>(x.getType());
  auto axis = axisOf(intAttr(node, "axis", 0), t.getRank());
  if (failed(axis))
    return failure();
  if (opset >= 13) {
    auto given = runTimeInts(node, 1, "split sizes");
    if (failed(given))
      return failure();
    if (*given && static_cast<int64_t>((*given)->size()) != node.output_size())
      return error() << "has " << node.output_size() << " outputs but " << (*given)->size()
                     << " split sizes";
    if (*given)
      return splitAtRunTime(node, x, *axis, **given);
  }
  FailureOr<SmallVector<int64_t>> sizes = splitSizes(node, t, *axis);
  if (failed(sizes))
    return failure();
  int64_t total = 0;
  for (int64_t s : *sizes) {
    if (s < 0)
      return error() << "negative split size " << s;
    if (llvm::AddOverflow(total, s, total)) // found by fuzz-onnx
      return error() << "the split sizes add up past 2^63";
  }
  // ONNX: the sizes must add up to the dim. Past it slicing would clamp the last parts (short
  // outputs); below it the tail would be dropped silently.
  if (!t.isDynamicDim(*axis) && total != t.getDimSize(*axis))
    return error() << "the split sizes add up to " << total << ", not the " << t.getDimSize(*axis)
                   << " elements of axis " << *axis;
  // On a dynamic dim the sizes are checked when the model runs: a reshape that keeps every
  // other dim and sets this one to the total fails, naming this node, when they differ.
  if (t.isDynamicDim(*axis) && total > 0) {
    SmallVector<int64_t> spec(t.getRank(), 0);
    spec[*axis] = total;
    x = reshape(x, spec);
    if (!x)
      return error() << "cannot check the split sizes against the dynamic dim";
  }
  int64_t start = 0;
  for (auto [i, s] : llvm::enumerate(*sizes)) {
    if (failed(define(node, i, slice(x, *axis, start, start + s))))
      return failure();
    start += s;
  }
  return success();
}

/// Backwards: a gather of the indices, for a static dim. As NumPy (which
/// produced the ONNX reference outputs): after adding n, indices below 0 are
/// "before the first" (-1), above n-1 the last.
Value Importer::sliceBackwards(Value x, int64_t axis, int64_t start, int64_t end, int64_t step) {
  // A static dim (importSlice gives a dynamic one to heed.slice_dynamic).
  int64_t n = cast<RankedTensorType>(x.getType()).getDimSize(axis);
  auto clampIndex = [&](int64_t v) {
    if (v < 0)
      v = v < -n ? -1 : v + n;
    return std::clamp<int64_t>(v, -1, n - 1);
  };
  SmallVector<int64_t> indices;
  for (int64_t k = clampIndex(start), e = clampIndex(end); k > e; k += step)
    indices.push_back(k);
  return op<GatherOp>(x, constantI64(indices, {static_cast<int64_t>(indices.size())}), axis);
}

LogicalResult Importer::importSlice(const NodeProto &node) {
  Value x = input(node, 0);
  int64_t rank = rankOf(x);
  SmallVector<Sym> starts, ends, steps;
  SmallVector<int64_t> axes;
  std::optional<SmallVector<Sym>> givenAxes;
  auto staticSyms = [](ArrayRef<int64_t> v) {
    return llvm::map_to_vector(v, [](int64_t i) { return Sym{i, Value()}; });
  };
  if (opset >= 10) {
    // Bounds may be known only when the function runs; the axes decide which dims change.
    auto s = indexInts(node, 1, "Slice starts");
    if (failed(s))
      return failure();
    auto e = indexInts(node, 2, "Slice ends");
    if (failed(e))
      return failure();
    starts = *s;
    ends = *e;
    if (has(node, 3)) {
      // Axes read when the function runs, or constants.
      auto given = runTimeInts(node, 3, "Slice axes");
      if (failed(given))
        return failure();
      givenAxes = std::move(*given);
      if (!givenAxes)
        axes = known(node.input(3))->values();
    }
    if (has(node, 4)) {
      auto v = indexInts(node, 4, "Slice steps");
      if (failed(v))
        return failure();
      steps = *v;
    }
  } else {
    starts = staticSyms(intsAttr(node, "starts").value_or(SmallVector<int64_t>{}));
    ends = staticSyms(intsAttr(node, "ends").value_or(SmallVector<int64_t>{}));
    axes = intsAttr(node, "axes").value_or(SmallVector<int64_t>{});
  }
  if (axes.empty() && !givenAxes)
    for (size_t i = 0; i < starts.size(); ++i)
      axes.push_back(i);
  if (steps.empty())
    steps.assign(starts.size(), Sym{1, Value()});
  size_t axesCount = givenAxes ? givenAxes->size() : axes.size();
  if (ends.size() != starts.size() || axesCount != starts.size() || steps.size() != starts.size())
    return error() << "starts, ends, axes and steps differ in length";
  for (const Sym &step : steps)
    if (step.isStatic() && step.value == 0)
      return error() << "Slice step 0";
  if (givenAxes)
    return define(node, 0, sliceAtRunTime(x, *givenAxes, starts, ends, steps));
  for (size_t i = 0; i < starts.size() && x; ++i) {
    auto axis = axisOf(axes[i], rank);
    if (failed(axis))
      return failure();
    const Sym &start = starts[i], &end = ends[i], &step = steps[i];
    bool dynamicDim = cast<RankedTensorType>(x.getType()).isDynamicDim(*axis);
    if (!start.isStatic() || !end.isStatic() || !step.isStatic() ||
        (step.value < 0 && dynamicDim)) {
      x = op<SliceDynamicOp>(x, index(start), index(end), index(step), *axis);
      continue;
    }
    if (step.value < 0) {
      x = sliceBackwards(x, *axis, start.value, end.value, step.value);
      if (!x)
        return failure();
      continue;
    }
    x = slice(x, *axis, start.value, end.value, step.value);
  }
  return define(node, 0, x);
}

LogicalResult Importer::importGather(const NodeProto &node) {
  Value x = input(node, 0);
  auto axis = axisOf(intAttr(node, "axis", 0), rankOf(x));
  if (failed(axis))
    return failure();
  // Constant indices are checked now; others at run time.
  auto xt = cast<RankedTensorType>(x.getType());
  if (const Known *k = known(node.input(1)); k && !xt.isDynamicDim(*axis)) {
    int64_t n = xt.getDimSize(*axis);
    for (const Sym &i : k->elems)
      if (i.isStatic() && (i.value < -n || i.value >= n))
        return error() << "index " << i.value << " is out of range for a dim of size " << n;
  }
  return define(node, 0, op<GatherOp>(x, input(node, 1), *axis));
}

LogicalResult Importer::importGatherElements(const NodeProto &node) {
  Value x = input(node, 0), indices = input(node, 1);
  auto axis = axisOf(intAttr(node, "axis", 0), rankOf(x));
  if (failed(axis))
    return failure();
  return define(node, 0, op<GatherElementsOp>(x, indices, *axis));
}

LogicalResult Importer::importTrilu(const NodeProto &node) {
  Value x = input(node, 0);
  auto t = cast<RankedTensorType>(x.getType());
  int64_t rank = t.getRank();
  if (rank < 2)
    return error() << "expects rank >= 2, got " << rank;
  // k as a constant, or as a one-element int64 tensor compared as it is when it is known only
  // at run time (the node tests feed it as a graph input).
  Value kValue = constantI64({0}, {});
  if (has(node, 1)) {
    const Known *knownK = known(node.input(1));
    if (knownK && knownK->isStatic()) {
      SmallVector<int64_t> v = knownK->values();
      if (v.size() != 1)
        return error() << "expects a one-element k, got " << v.size() << " elements";
      kValue = constantI64({v[0]}, {});
    } else {
      kValue = input(node, 1);
      auto kt = cast<RankedTensorType>(kValue.getType());
      if (!kt.getElementType().isSignlessInteger(64) || kt.getRank() > 1 ||
          (kt.getRank() == 1 && kt.getDimSize(0) != 1))
        return error() << "expects a one-element int64 k, got " << kt;
    }
  }
  bool upper = intAttr(node, "upper", 1);
  Value zero = arith::ConstantIndexOp::create(builder, loc, 0);
  Value one = arith::ConstantIndexOp::create(builder, loc, 1);
  Value rows = op<RangeOp>(zero, dimOf(x, rank - 2), one);
  Value cols = op<RangeOp>(zero, dimOf(x, rank - 1), one);
  // keep where (col - row) >= k (upper) or <= k (lower)
  rows = reshape(rows, {-1, 1});
  cols = reshape(cols, {1, -1});
  Value diff = op<SubOp>(cols, rows);
  Value keep = compare(upper ? CompareKind::ge : CompareKind::le, diff, kValue);
  Value zeroX = scalarConstant(t.getElementType(), 0);
  return define(node, 0, op<WhereOp>(keep, x, zeroX));
}

void mlir::heed::onnx::detail::registerTensorOps(OpTable &t) {
  t.add("Transpose", &Importer::importTranspose);
  t.add("Concat", &Importer::importConcat, OpImport::kAllInputs);
  t.add("Split", &Importer::importSplit);
  // Slice-1 takes starts/ends/axes as attributes; from Slice-10 on they are inputs.
  t.add("Slice", &Importer::importSlice, 1);
  t.add("Slice", &Importer::importSlice, 3, /*sinceVersion=*/10);
  t.add("Gather", &Importer::importGather, 2);
  t.add("GatherElements", &Importer::importGatherElements, 2, 11);
  t.add("Trilu", &Importer::importTrilu);
}
