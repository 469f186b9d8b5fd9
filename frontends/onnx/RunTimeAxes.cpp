//===- RunTimeAxes.cpp - Axes and sizes known only when the function runs -===//
//
// Squeeze/Unsqueeze axes, Slice axes and Split sizes that a model gives as a
// tensor (a graph input, a value computed from data). Their number is the
// tensor's static length, so the result's rank is known at import; which dims
// they name is read when the function runs (heed.extract) and worked out in
// index arithmetic on the host: each result dim is picked from the input's
// dims by comparisons and selects, so the data ops are the existing
// heed.reshape_dynamic and heed.slice_dynamic on both drivers. What the
// values must satisfy and nothing else would catch (distinct axes within the
// rank, squeezed dims of size 1, sizes adding up to the dim) is a heed.check,
// a run-time error naming the node.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/Importer.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

#include <limits>

using namespace mlir;
using namespace mlir::heed;
using namespace mlir::heed::onnx::detail;

using Pred = arith::CmpIPredicate;

//===----------------------------------------------------------------------===//
// Index arithmetic helpers
//===----------------------------------------------------------------------===//

Value Importer::indexConstant(int64_t v) { return arith::ConstantIndexOp::create(builder, loc, v); }

Value Importer::compareIndex(Pred predicate, Value a, Value b) {
  return arith::CmpIOp::create(builder, loc, predicate, a, b);
}

Value Importer::selectIndex(Value bit, Value a, Value b) {
  return arith::SelectOp::create(builder, loc, bit, a, b);
}

Value Importer::countIf(Pred predicate, ArrayRef<Value> values, Value than) {
  Value count = indexConstant(0);
  for (Value v : values)
    count = arith::AddIOp::create(builder, loc, count, indexOf(compareIndex(predicate, v, than)));
  return count;
}

Value Importer::pick(ArrayRef<Value> keys, Value key, ArrayRef<Value> options, Value otherwise) {
  Value picked = otherwise;
  for (size_t j = keys.size(); j-- > 0;)
    picked = selectIndex(compareIndex(Pred::eq, keys[j], key), options[j], picked);
  return picked;
}

void Importer::checkAtRunTime(ArrayRef<Value> conditions, ArrayRef<Value> values,
                              const Twine &message) {
  if (!conditions.empty())
    CheckOp::create(builder, loc, conditions, values, builder.getStringAttr(message));
}

SmallVector<Value> Importer::dimsAsIndex(Value x) {
  auto t = cast<RankedTensorType>(x.getType());
  SmallVector<Value> dims;
  for (int64_t i = 0; i < t.getRank(); ++i)
    dims.push_back(t.isDynamicDim(i) ? dimOf(x, i) : indexConstant(t.getDimSize(i)));
  return dims;
}

//===----------------------------------------------------------------------===//
// Axes
//===----------------------------------------------------------------------===//

FailureOr<SmallVector<Value>> Importer::runTimeAxes(ArrayRef<Sym> axes, int64_t rank,
                                                    StringRef what) {
  SmallVector<Value> normalized, given, ok;
  Value zero = indexConstant(0), r = indexConstant(rank);
  for (const Sym &a : axes) {
    given.push_back(index(a));
    if (a.isStatic()) { // checked now
      auto n = axisOf(a.value, rank);
      if (failed(n))
        return failure();
      normalized.push_back(indexConstant(*n));
      continue;
    }
    Value n = selectIndex(compareIndex(Pred::slt, a.dyn, zero),
                          arith::AddIOp::create(builder, loc, a.dyn, r), a.dyn);
    ok.push_back(compareIndex(Pred::sge, n, zero));
    ok.push_back(compareIndex(Pred::slt, n, r));
    normalized.push_back(n);
  }
  for (size_t i = 0; i < axes.size(); ++i)
    for (size_t j = i + 1; j < axes.size(); ++j) {
      if (axes[i].isStatic() && axes[j].isStatic()) {
        if ((axes[i].value + rank) % rank == (axes[j].value + rank) % rank)
          return error() << "axis " << axes[j].value << " is repeated";
        continue;
      }
      ok.push_back(compareIndex(Pred::ne, normalized[i], normalized[j]));
    }
  checkAtRunTime(ok, given,
                 "expects distinct " + what + " in [" + Twine(-rank) + ", " + Twine(rank) +
                     "), got");
  return normalized;
}

//===----------------------------------------------------------------------===//
// Squeeze and Unsqueeze
//===----------------------------------------------------------------------===//

LogicalResult Importer::squeezeAtRunTime(const NodeProto &node, Value x, ArrayRef<Sym> axes) {
  auto t = cast<RankedTensorType>(x.getType());
  int64_t rank = t.getRank(), n = axes.size();
  bool unsqueeze = node.op_type() == "Unsqueeze";
  int64_t outRank = unsqueeze ? rank + n : rank - n;
  if (outRank < 0)
    return error() << "squeezes " << n << " axes of a rank-" << rank << " input";
  if (outRank > kMaxRank)
    return error() << "a result rank of " << outRank << " exceeds the limit " << kMaxRank;
  // The axes name dims of the result for Unsqueeze, of the input for Squeeze.
  auto named = runTimeAxes(axes, unsqueeze ? outRank : rank, node.op_type() + " axes");
  if (failed(named))
    return failure();
  SmallVector<Value> inDims = dimsAsIndex(x), outDims;
  Value one = indexConstant(1), none = indexConstant(-1);
  // Position p (of the result, or of the input) is named by an axis; if not, it is the
  // (p - axes below p)-th of the positions no axis names.
  auto unnamedIndex = [&](int64_t p) {
    Value at = indexConstant(p);
    Value isNamed = compareIndex(Pred::ne, countIf(Pred::eq, *named, at), indexConstant(0));
    Value rest = arith::SubIOp::create(builder, loc, at, countIf(Pred::slt, *named, at));
    return std::make_pair(isNamed, rest);
  };
  if (unsqueeze) {
    // Result dim i: 1 where an axis names it, else the input dim it is.
    SmallVector<Value> positions;
    for (int64_t k = 0; k < rank; ++k)
      positions.push_back(indexConstant(k));
    for (int64_t i = 0; i < outRank; ++i) {
      auto [isNamed, rest] = unnamedIndex(i);
      outDims.push_back(selectIndex(isNamed, one, pick(positions, rest, inDims, one)));
    }
  } else {
    // Result dim k: the input dim no axis names whose rank among those is k; a named dim must
    // be 1.
    SmallVector<Value> keys, ok;
    for (int64_t i = 0; i < rank; ++i) {
      auto [isNamed, rest] = unnamedIndex(i);
      keys.push_back(selectIndex(isNamed, none, rest));
      ok.push_back(compareIndex(Pred::eq, selectIndex(isNamed, inDims[i], one), one));
    }
    checkAtRunTime(ok, inDims, "cannot squeeze a dim whose size is not 1: the input's dims are");
    for (int64_t k = 0; k < outRank; ++k)
      outDims.push_back(pick(keys, indexConstant(k), inDims, one));
  }
  SmallVector<Sym> dims = llvm::map_to_vector(outDims, [](Value v) { return Sym{0, v}; });
  return define(node, 0, reshapeExact(x, dims));
}

//===----------------------------------------------------------------------===//
// Slice axes
//===----------------------------------------------------------------------===//

Value Importer::sliceAtRunTime(Value x, ArrayRef<Sym> axes, ArrayRef<Sym> starts,
                               ArrayRef<Sym> ends, ArrayRef<Sym> steps) {
  int64_t rank = cast<RankedTensorType>(x.getType()).getRank();
  auto named = runTimeAxes(axes, rank, "Slice axes");
  if (failed(named))
    return {};
  auto indices = [&](ArrayRef<Sym> syms) {
    return llvm::map_to_vector(syms, [&](const Sym &s) { return index(s); });
  };
  SmallVector<Value> s = indices(starts), e = indices(ends), st = indices(steps);
  Value zero = indexConstant(0), all = indexConstant(std::numeric_limits<int64_t>::max()),
        one = indexConstant(1);
  // Each dim takes the bounds of the axis that names it, or the whole dim.
  for (int64_t d = 0; d < rank && x; ++d) {
    Value at = indexConstant(d);
    x = op<SliceDynamicOp>(x, pick(*named, at, s, zero), pick(*named, at, e, all),
                           pick(*named, at, st, one), d);
  }
  return x;
}

//===----------------------------------------------------------------------===//
// Split sizes
//===----------------------------------------------------------------------===//

LogicalResult Importer::splitAtRunTime(const NodeProto &node, Value x, int64_t axis,
                                       ArrayRef<Sym> sizes) {
  auto t = cast<RankedTensorType>(x.getType());
  SmallVector<Value> given, ok;
  Value zero = indexConstant(0), start = zero, one = indexConstant(1);
  SmallVector<Value> starts{start};
  for (const Sym &s : sizes) {
    if (s.isStatic() && s.value < 0)
      return error() << "negative split size " << s.value;
    given.push_back(index(s));
    ok.push_back(compareIndex(Pred::sge, given.back(), zero));
    start = arith::AddIOp::create(builder, loc, start, given.back());
    starts.push_back(start);
  }
  Value dim = dimsAsIndex(x)[axis];
  ok.push_back(compareIndex(Pred::eq, start, dim));
  std::string total = t.isDynamicDim(axis) ? "the size of axis " + std::to_string(axis)
                                           : std::to_string(t.getDimSize(axis));
  checkAtRunTime(ok, given, "expects non-negative split sizes that add up to " + total + ", got");
  for (size_t i = 0; i < sizes.size(); ++i)
    if (failed(define(node, i, op<SliceDynamicOp>(x, starts[i], starts[i + 1], one, axis))))
      return failure();
  return success();
}
