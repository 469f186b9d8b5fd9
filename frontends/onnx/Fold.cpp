//===- Fold.cpp - Import-time folding of integer shape plumbing -----------===//
//
// Shape plumbing (Shape -> Gather -> Unsqueeze -> Concat -> Reshape, ...) is
// evaluated at import time on known values, whose elements are constants or
// index SSA values (heed.dim and arith index ops). A node folds when its
// inputs are known and its result is small; otherwise it is left to its
// import. Shape arithmetic on constants is checked for overflow and division
// by zero.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/Importer.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "llvm/Support/MathExtras.h"

#include <limits>

using namespace mlir;
using namespace mlir::heed;
using namespace mlir::heed::onnx::detail;

using FoldResult = Importer::FoldResult;

/// Not folded: the node is left to its import.
static FoldResult notFolded() { return std::optional<Known>(); }

LogicalResult Importer::foldNode(const NodeProto &node, bool &folded) {
  static const llvm::StringMap<FoldFn> folds = {
      {"Shape", &Importer::foldShape},
      {"Size", &Importer::foldSize},
      {"Identity", &Importer::foldIdentity},
      {"Dropout", &Importer::foldIdentity},
      {"Unsqueeze", &Importer::foldReshapeLike},
      {"Squeeze", &Importer::foldReshapeLike},
      {"Reshape", &Importer::foldReshapeLike},
      {"Flatten", &Importer::foldReshapeLike},
      {"Concat", &Importer::foldConcat},
      {"Gather", &Importer::foldGather},
      {"Slice", &Importer::foldSlice},
      {"Cast", &Importer::foldCast},
      {"Add", &Importer::foldArithmetic},
      {"Sub", &Importer::foldArithmetic},
      {"Mul", &Importer::foldArithmetic},
      {"Div", &Importer::foldArithmetic},
      {"Neg", &Importer::foldNeg},
      {"Equal", &Importer::foldComparison},
      {"Less", &Importer::foldComparison},
      {"Greater", &Importer::foldComparison},
      {"Not", &Importer::foldNot},
      {"Where", &Importer::foldWhere},
      {"ConstantOfShape", &Importer::foldConstantOfShape},
      {"Range", &Importer::foldRange},
      {"Expand", &Importer::foldExpand},
  };
  folded = false;
  if (node.op_type() == "Split") // several outputs
    return foldSplit(node, folded);
  auto fold = folds.find(node.op_type());
  if (fold == folds.end())
    return success();
  FoldResult result = (this->*fold->second)(node);
  if (failed(result))
    return failure();
  if (!*result)
    return success();
  folded = true;
  return define(node, 0, std::move(**result));
}

bool Importer::allKnown(const NodeProto &node, int first, int count) {
  for (int i = first; i < first + count; ++i)
    if (!has(node, i) || !known(node.input(i)))
      return false;
  return true;
}

FoldResult Importer::foldShape(const NodeProto &node) {
  auto t = cast<RankedTensorType>(input(node, 0).getType());
  int64_t rank = t.getRank();
  int64_t start = intAttr(node, "start", 0), end = intAttr(node, "end", rank);
  start = std::clamp<int64_t>(start < 0 ? start + rank : start, 0, rank);
  end = std::clamp<int64_t>(end < 0 ? end + rank : end, 0, rank);
  Known k{{std::max<int64_t>(end - start, 0)}, {}, builder.getI64Type()};
  for (int64_t i = start; i < end; ++i) {
    if (!t.isDynamicDim(i))
      k.elems.push_back({t.getDimSize(i), Value()});
    else
      k.elems.push_back(Sym{0, dimOf(input(node, 0), i)});
  }
  return std::optional<Known>(k);
}

FoldResult Importer::foldSize(const NodeProto &node) {
  auto t = cast<RankedTensorType>(input(node, 0).getType());
  if (!t.hasStaticShape())
    return notFolded();
  return std::optional<Known>(Known{{}, {Sym{t.getNumElements(), Value()}}, builder.getI64Type()});
}

FoldResult Importer::foldIdentity(const NodeProto &node) {
  if (!allKnown(node, 0, 1))
    return notFolded();
  if (wants(node, 1))
    return notFolded();
  // A training_mode input is checked where Dropout is imported (training is refused).
  if (node.op_type() == "Dropout" && opset >= 12 && has(node, 2))
    return notFolded();
  return std::optional<Known>(*known(node.input(0)));
}

/// Reshape's target shape for a known input `k`: 0 copies a dim (without
/// allowzero), one -1 is inferred. False when the spec does not fold.
bool Importer::foldReshapeSpec(const NodeProto &node, const Known &k, SmallVector<int64_t> &shape) {
  if (!allKnown(node, 1, 1) || !known(node.input(1))->isStatic())
    return false;
  SmallVector<int64_t> spec = known(node.input(1))->values();
  int64_t inferred = -1, prod = 1;
  for (size_t i = 0; i < spec.size(); ++i) {
    int64_t d = spec[i];
    if (d == 0 && !intAttr(node, "allowzero", 0))
      d = i < k.shape.size() ? k.shape[i] : -1;
    if (d == -1) {
      if (inferred >= 0)
        return false;
      inferred = i;
    } else if (d < 0) {
      return false;
    } else {
      prod *= d;
    }
    shape.push_back(d);
  }
  if (inferred >= 0) {
    if (prod == 0 || k.elems.size() % prod)
      return false;
    shape[inferred] = k.elems.size() / prod;
  }
  return true;
}

FoldResult Importer::foldReshapeLike(const NodeProto &node) {
  if (!allKnown(node, 0, 1))
    return notFolded();
  StringRef type = node.op_type();
  const Known &k = *known(node.input(0));
  int64_t rank = k.shape.size();
  SmallVector<int64_t> shape;
  if (type == "Reshape") {
    if (!foldReshapeSpec(node, k, shape))
      return notFolded();
  } else if (type == "Flatten") {
    auto axis = flattenAxis(node, rank);
    if (failed(axis))
      return failure();
    int64_t a = 1, b = 1;
    for (int64_t i = 0; i < rank; ++i)
      (i < *axis ? a : b) *= k.shape[i];
    shape = {a, b};
  } else {
    // Axes known only at run time: importSqueeze reads them.
    if (opset >= 13 && has(node, 1) && (!known(node.input(1)) || !known(node.input(1))->isStatic()))
      return notFolded();
    auto from = squeezedDims(node, k.shape);
    if (failed(from))
      return failure();
    for (int64_t f : *from)
      shape.push_back(f < 0 ? 1 : k.shape[f]);
  }
  std::optional<int64_t> n = product(shape);
  if (!n || *n != static_cast<int64_t>(k.elems.size()))
    return notFolded(); // let the op report it
  Known r = k;
  r.shape = shape;
  return std::optional<Known>(r);
}

FoldResult Importer::foldConcat(const NodeProto &node) {
  if (!allKnown(node, 0, node.input_size()))
    return notFolded();
  Known r;
  const Known &first = *known(node.input(0));
  int64_t rank = first.shape.size();
  if (rank == 0)
    return notFolded();
  auto axis = axisOf(intAttr(node, "axis", 0), rank);
  if (failed(axis))
    return failure();
  if (*axis != 0)
    return notFolded();
  r.shape = first.shape;
  r.shape[0] = 0;
  r.elementType = first.elementType;
  for (const auto &name : node.input()) {
    const Known &k = *known(name);
    if (k.shape.size() != first.shape.size() ||
        !std::equal(k.shape.begin() + 1, k.shape.end(), first.shape.begin() + 1) ||
        k.elementType != first.elementType)
      return notFolded();
    r.shape[0] += k.shape[0];
    r.elems.append(k.elems.begin(), k.elems.end());
  }
  return std::optional<Known>(r);
}

FoldResult Importer::foldGather(const NodeProto &node) {
  if (!allKnown(node, 0, 2) || !known(node.input(1))->isStatic())
    return notFolded();
  const Known &data = *known(node.input(0));
  const Known &idx = *known(node.input(1));
  int64_t rank = data.shape.size();
  if (rank == 0)
    return notFolded();
  auto axis = axisOf(intAttr(node, "axis", 0), rank);
  if (failed(axis))
    return failure();
  int64_t outer = 1, inner = 1, n = data.shape[*axis];
  for (int64_t i = 0; i < *axis; ++i)
    outer *= data.shape[i];
  for (int64_t i = *axis + 1; i < rank; ++i)
    inner *= data.shape[i];
  Known r;
  r.elementType = data.elementType;
  r.shape.append(data.shape.begin(), data.shape.begin() + *axis);
  r.shape.append(idx.shape.begin(), idx.shape.end());
  r.shape.append(data.shape.begin() + *axis + 1, data.shape.end());
  for (int64_t o = 0; o < outer; ++o)
    for (const Sym &s : idx.elems) {
      int64_t j = s.value < 0 ? s.value + n : s.value;
      if (j < 0 || j >= n)
        return error() << "index " << s.value << " is out of range for a dim of size " << n;
      for (int64_t in = 0; in < inner; ++in)
        r.elems.push_back(data.elems[(o * n + j) * inner + in]);
    }
  return std::optional<Known>(r);
}

FoldResult Importer::foldSlice(const NodeProto &node) {
  if (!allKnown(node, 0, 1))
    return notFolded();
  const Known &data = *known(node.input(0));
  if (data.shape.size() != 1)
    return notFolded();
  SmallVector<int64_t> starts, ends, axes{0}, steps{1};
  if (opset >= 10) {
    auto staticInput = [&](int i) {
      return allKnown(node, i, 1) && known(node.input(i))->isStatic();
    };
    if (!staticInput(1) || !staticInput(2) || (has(node, 3) && !staticInput(3)) ||
        (has(node, 4) && !staticInput(4)))
      return notFolded();
    starts = known(node.input(1))->values();
    ends = known(node.input(2))->values();
    if (has(node, 3))
      axes = known(node.input(3))->values();
    if (has(node, 4))
      steps = known(node.input(4))->values();
  } else {
    starts = intsAttr(node, "starts").value_or(SmallVector<int64_t>{});
    ends = intsAttr(node, "ends").value_or(SmallVector<int64_t>{});
    axes = intsAttr(node, "axes").value_or(SmallVector<int64_t>{0});
  }
  if (starts.size() != 1 || ends.size() != 1 || axes.size() != 1 || steps.size() != 1 ||
      (axes[0] != 0 && axes[0] != -1) || steps[0] == 0)
    return notFolded();
  int64_t n = data.elems.size(), step = steps[0];
  // NumPy/Python slice clamping, for either sign of step.
  auto clampIdx = [&](int64_t v) {
    if (v < 0)
      v += n;
    if (step > 0)
      return std::clamp<int64_t>(v, 0, n);
    return std::clamp<int64_t>(v, -1, n - 1);
  };
  int64_t s = clampIdx(starts[0]), e = clampIdx(ends[0]);
  Known r;
  r.elementType = data.elementType;
  for (int64_t i = s; step > 0 ? i < e : i > e; i += step)
    r.elems.push_back(data.elems[i]);
  r.shape = {static_cast<int64_t>(r.elems.size())};
  return std::optional<Known>(r);
}

FoldResult Importer::foldCast(const NodeProto &node) {
  if (!allKnown(node, 0, 1))
    return notFolded();
  FailureOr<Type> to = elementType(intAttr(node, "to", 0), "Cast's 'to'");
  if (failed(to))
    return failure();
  if (!to->isSignlessInteger())
    return notFolded();
  Known r = *known(node.input(0));
  r.elementType = *to;
  for (Sym &s : r.elems) {
    if (!s.isStatic())
      continue;
    if (to->isInteger(1))
      s.value = s.value != 0;
    else if (to->isInteger(32))
      s.value = static_cast<int32_t>(s.value);
  }
  return std::optional<Known>(r);
}

/// Elementwise binary op on known tensors (same shape, or one is a scalar).
static std::optional<Known> knownBinary(const Known &a, const Known &b,
                                        llvm::function_ref<Sym(const Sym &, const Sym &)> fn) {
  Known r;
  if (a.elems.size() == b.elems.size() && a.shape == b.shape) {
    r.shape = a.shape;
  } else if (b.elems.size() == 1 && b.shape.size() <= a.shape.size()) {
    r.shape = a.shape;
  } else if (a.elems.size() == 1 && a.shape.size() <= b.shape.size()) {
    r.shape = b.shape;
  } else {
    return std::nullopt;
  }
  r.elementType = a.elementType;
  size_t n = std::max(a.elems.size(), b.elems.size());
  for (size_t i = 0; i < n; ++i)
    r.elems.push_back(
        fn(a.elems[a.elems.size() == 1 ? 0 : i], b.elems[b.elems.size() == 1 ? 0 : i]));
  return r;
}

FoldResult Importer::foldArithmetic(const NodeProto &node) {
  if (!allKnown(node, 0, 2))
    return notFolded();
  StringRef type = node.op_type();
  const Known &a = *known(node.input(0)), &b = *known(node.input(1));
  if (a.elementType.isInteger(1))
    return notFolded();
  bool divByZero = false, overflow = false;
  auto fn = [&](const Sym &x, const Sym &y) -> Sym {
    if (x.isStatic() && y.isStatic()) {
      int64_t v = 0;
      if (type == "Add")
        overflow |= llvm::AddOverflow(x.value, y.value, v);
      else if (type == "Sub")
        overflow |= llvm::SubOverflow(x.value, y.value, v);
      else if (type == "Mul")
        overflow |= llvm::MulOverflow(x.value, y.value, v);
      else if (y.value == 0)
        divByZero = true;
      else if (y.value == -1 && x.value == std::numeric_limits<int64_t>::min())
        overflow = true;
      else
        v = x.value / y.value;
      return {v, Value()};
    }
    Value l = index(x), r = index(y), v;
    if (type == "Add")
      v = arith::AddIOp::create(builder, loc, l, r);
    else if (type == "Sub")
      v = arith::SubIOp::create(builder, loc, l, r);
    else if (type == "Mul")
      v = arith::MulIOp::create(builder, loc, l, r);
    else
      v = arith::DivSIOp::create(builder, loc, l, r);
    return {0, v};
  };
  std::optional<Known> r = knownBinary(a, b, fn);
  if (!r)
    return notFolded();
  if (divByZero)
    return error() << "integer division by zero";
  if (overflow)
    return error() << "integer overflow in shape arithmetic";
  return r;
}

/// Neg of a known tensor (LayerNormalization's function body negates its axis to size a shape).
FoldResult Importer::foldNeg(const NodeProto &node) {
  if (!allKnown(node, 0, 1) || known(node.input(0))->elementType.isInteger(1))
    return notFolded();
  Known r = *known(node.input(0));
  for (Sym &s : r.elems) {
    if (!s.isStatic()) {
      s.dyn = arith::SubIOp::create(builder, loc, index(Sym{0, Value()}), s.dyn);
      continue;
    }
    if (s.value == std::numeric_limits<int64_t>::min())
      return error() << "integer overflow in shape arithmetic";
    s.value = -s.value;
    if (r.elementType.isInteger(32)) // -INT32_MIN wraps, as the op would
      s.value = static_cast<int32_t>(s.value);
  }
  return std::optional<Known>(r);
}

FoldResult Importer::foldComparison(const NodeProto &node) {
  if (!allKnown(node, 0, 2))
    return notFolded();
  StringRef type = node.op_type();
  arith::CmpIPredicate predicate =
      type == "Equal" ? arith::CmpIPredicate::eq
                      : (type == "Less" ? arith::CmpIPredicate::slt : arith::CmpIPredicate::sgt);
  std::optional<Known> r =
      knownBinary(*known(node.input(0)), *known(node.input(1)), [&](const Sym &x, const Sym &y) {
        if (x.isStatic() && y.isStatic()) {
          bool v = type == "Equal" ? x.value == y.value
                                   : (type == "Less" ? x.value < y.value : x.value > y.value);
          return Sym{v, Value()};
        }
        // A dim compared at run time (torch's expand: Where(Equal(shape, -1), 1, shape)): 0 or 1.
        return Sym{0, indexOf(arith::CmpIOp::create(builder, loc, predicate, index(x), index(y)))};
      });
  if (!r)
    return notFolded();
  r->elementType = builder.getI1Type();
  return r;
}

/// An i1 as an index 0 or 1 (a known bool's element).
Value Importer::indexOf(Value bit) {
  Value one = arith::ConstantIndexOp::create(builder, loc, 1);
  Value zero = arith::ConstantIndexOp::create(builder, loc, 0);
  return arith::SelectOp::create(builder, loc, bit, one, zero);
}

FoldResult Importer::foldNot(const NodeProto &node) {
  if (!allKnown(node, 0, 1) || !known(node.input(0))->isStatic())
    return notFolded();
  Known r = *known(node.input(0));
  for (Sym &s : r.elems)
    s.value = !s.value;
  return std::optional<Known>(r);
}

FoldResult Importer::foldWhere(const NodeProto &node) {
  if (!allKnown(node, 0, 3))
    return notFolded();
  const Known &c = *known(node.input(0)), &x = *known(node.input(1)), &y = *known(node.input(2));
  if (c.shape != x.shape || x.shape != y.shape)
    return notFolded();
  Known r = x;
  for (size_t i = 0; i < r.elems.size(); ++i) {
    const Sym &ci = c.elems[i];
    if (ci.isStatic()) {
      r.elems[i] = ci.value ? x.elems[i] : y.elems[i];
      continue;
    }
    Value zero = arith::ConstantIndexOp::create(builder, loc, 0);
    Value bit = arith::CmpIOp::create(builder, loc, arith::CmpIPredicate::ne, ci.dyn, zero);
    r.elems[i] =
        Sym{0, arith::SelectOp::create(builder, loc, bit, index(x.elems[i]), index(y.elems[i]))};
  }
  return std::optional<Known>(r);
}

FoldResult Importer::foldConstantOfShape(const NodeProto &node) {
  if (!allKnown(node, 0, 1) || !known(node.input(0))->isStatic())
    return notFolded();
  Type et = builder.getF32Type();
  int64_t v = 0;
  if (const auto *a = attribute(node, "value")) {
    Entry e;
    if (failed(importTensor(a->t(), e)))
      return failure();
    if (!e.known || e.known->elems.size() != 1)
      return notFolded();
    et = e.known->elementType;
    v = e.known->elems[0].value;
  }
  if (!et.isInteger())
    return notFolded();
  SmallVector<int64_t> shape = known(node.input(0))->values();
  std::optional<int64_t> n = product(shape);
  if (!n || *n > kMaxKnownElements)
    return notFolded();
  return std::optional<Known>(Known{shape, SmallVector<Sym>(*n, Sym{v, Value()}), et});
}

FoldResult Importer::foldRange(const NodeProto &node) {
  if (!allKnown(node, 0, 3))
    return notFolded();
  const Known &s = *known(node.input(0)), &l = *known(node.input(1)), &d = *known(node.input(2));
  if (s.elems.size() != 1 || l.elems.size() != 1 || d.elems.size() != 1)
    return notFolded();
  if (!s.isStatic() || !l.isStatic() || !d.isStatic())
    return notFolded();
  int64_t start = s.elems[0].value, limit = l.elems[0].value, delta = d.elems[0].value;
  if (delta == 0)
    return error() << "Range with a zero delta";
  __int128 count = (static_cast<__int128>(limit) - start + delta + (delta > 0 ? -1 : 1)) / delta;
  if (count > kMaxKnownElements)
    return notFolded();
  int64_t n = std::max<int64_t>(0, static_cast<int64_t>(count));
  Known r{{n}, {}, s.elementType};
  for (int64_t i = 0; i < n; ++i)
    r.elems.push_back({start + i * delta, Value()});
  return std::optional<Known>(r);
}

/// Expand of a known value to a known shape (NumPy broadcasting both ways): torch's
/// repeat_interleave expands its repeat count to one per slice this way.
FoldResult Importer::foldExpand(const NodeProto &node) {
  if (!allKnown(node, 0, 2) || !known(node.input(1))->isStatic())
    return notFolded();
  const Known &data = *known(node.input(0));
  SmallVector<int64_t> to = known(node.input(1))->values();
  int64_t rank = std::max(data.shape.size(), to.size());
  // Both right-aligned; each dim pair equal or one of them 1.
  SmallVector<int64_t> shape(rank), in(rank, 1);
  std::copy(data.shape.begin(), data.shape.end(), in.end() - data.shape.size());
  for (int64_t d = 0; d < rank; ++d) {
    int64_t t = d >= rank - static_cast<int64_t>(to.size()) ? to[d - (rank - to.size())] : 1;
    if (t < 0 || (in[d] != t && in[d] != 1 && t != 1))
      return notFolded(); // let the op report it
    shape[d] = in[d] == 1 ? t : in[d];
  }
  std::optional<int64_t> n = product(shape);
  if (!n || *n > kMaxKnownElements)
    return notFolded();
  Known r{shape, {}, data.elementType};
  for (int64_t i = 0; i < *n; ++i) {
    // Row-major index i of the result -> the input element it repeats.
    int64_t rest = i, source = 0, stride = 1;
    for (int64_t d = rank - 1; d >= 0; --d) {
      int64_t index = rest % shape[d];
      rest /= shape[d];
      source += (in[d] == 1 ? 0 : index) * stride;
      stride *= in[d];
    }
    r.elems.push_back(data.elems[source]);
  }
  return std::optional<Known>(r);
}

/// Split of a known 1-D value into known parts (torch's repeat_interleave splits its repeat
/// counts, one per slice of the repeated tensor).
LogicalResult Importer::foldSplit(const NodeProto &node, bool &folded) {
  folded = false;
  if (!allKnown(node, 0, 1) || known(node.input(0))->shape.size() != 1)
    return success();
  const Known data = *known(node.input(0));
  auto axis = axisOf(intAttr(node, "axis", 0), 1);
  if (failed(axis))
    return failure();
  auto type = RankedTensorType::get(data.shape, data.elementType);
  FailureOr<SmallVector<int64_t>> sizes = splitSizes(node, type, 0);
  if (failed(sizes))
    return failure();
  int64_t start = 0;
  for (int64_t size : *sizes)
    if (size < 0 || llvm::AddOverflow(start, size, start))
      return success(); // let the import report it
  if (start != data.shape[0])
    return success();
  folded = true;
  start = 0;
  for (auto [i, size] : llvm::enumerate(*sizes)) {
    Known part{
        {size}, {data.elems.begin() + start, data.elems.begin() + start + size}, data.elementType};
    if (failed(define(node, i, std::move(part))))
      return failure();
    start += size;
  }
  return success();
}
