//===- NnRules.cpp - Shape rules of the tensor ops ------------------------===//
//
// What both drivers accept of the tensor ops, and the sizes their kernels loop over (see NnRules.h
// for each rule).
//
//===----------------------------------------------------------------------===//

#include "runtime/drivers/rules/NnRules.h"

namespace heed::rt {

std::string rowsLayout(const std::vector<int64_t> &shape, int64_t axis, AxisView &out) {
  if (shape.empty())
    return "expects rank >= 1";
  if (std::string error = resolveAxis(axis, int64_t(shape.size()), axis); !error.empty())
    return error;
  out = axisView(shape, axis);
  return "";
}

std::string layerNormLayout(TypedShape x, int64_t axis, const TypedShape *scale,
                            const TypedShape *bias, LayerNormLayout &out,
                            const TypedShape *residual) {
  if (x.shape.empty())
    return "expects rank >= 1";
  if (residual && (residual->shape != x.shape || residual->type != x.type))
    return "residual has shape " + shapeString(residual->shape, residual->type) + ", expected " +
           shapeString(x.shape, x.type);
  if (std::string error = resolveAxis(axis, int64_t(x.shape.size()), axis); !error.empty())
    return error;
  out.outer = 1;
  for (int64_t d = 0; d < axis; ++d)
    out.outer *= x.shape[size_t(d)];
  out.trailing.assign(x.shape.begin() + axis, x.shape.end());
  out.n = 1;
  for (int64_t d : out.trailing)
    out.n *= d;
  for (auto [t, what] : {std::pair{scale, "scale"}, std::pair{bias, "bias"}})
    if (t && t->shape != out.trailing)
      return std::string(what) + " has shape " + shapeString(t->shape, t->type) + ", expected " +
             shapeString(out.trailing, x.type);
  return "";
}

std::string rotaryLayout(TypedShape x, TypedShape cos, TypedShape sin, BroadcastLayout &out) {
  if (x.shape.empty() || x.shape.back() <= 0 || x.shape.back() % 2 != 0)
    return "expects an input whose last dim is positive and even, got " +
           shapeString(x.shape, x.type);
  for (TypedShape t : {cos, sin})
    if (t.shape.empty() || t.shape.back() != x.shape.back())
      return "expects cos and sin with the input's last dim " + std::to_string(x.shape.back()) +
             ", got " + shapeString(cos.shape, cos.type) + " and " +
             shapeString(sin.shape, sin.type);
  return broadcastOperands({x, cos, sin}, out);
}

std::string matmulLayout(TypedShape a, TypedShape b, bool ta, bool tb, MatmulLayout &out) {
  const std::vector<int64_t> &as = a.shape, &bs = b.shape;
  if (as.size() < 2 || bs.size() < 2)
    return "expects operands of rank >= 2";
  size_t ra = as.size(), rb = bs.size();
  out.m = ta ? as[ra - 1] : as[ra - 2];
  out.k = ta ? as[ra - 2] : as[ra - 1];
  int64_t kb = tb ? bs[rb - 1] : bs[rb - 2];
  out.n = tb ? bs[rb - 2] : bs[rb - 1];
  if (out.k != kb)
    return "contracts lhs " + shapeString(as, a.type) + " with rhs " + shapeString(bs, b.type) +
           ": inner dims " + std::to_string(out.k) + " and " + std::to_string(kb) + " differ";
  std::vector<int64_t> ab(as.begin(), as.end() - 2), bb(bs.begin(), bs.end() - 2);
  out.batch.assign(std::max(ab.size(), bb.size()), 1);
  if (!broadcastInto(out.batch, ab) || !broadcastInto(out.batch, bb))
    return "cannot broadcast the batch dims of " + shapeString(as, a.type) + " and " +
           shapeString(bs, b.type);
  auto strides = [&](const std::vector<int64_t> &s, int64_t matrix) {
    std::vector<int64_t> st = broadcastStrides(s, out.batch);
    for (int64_t &x : st)
      x *= matrix;
    return st;
  };
  out.lhsStrides = strides(ab, out.m * out.k);
  out.rhsStrides = strides(bb, out.k * out.n);
  out.lhsBatches = elementCount(ab);
  out.rhsBatches = elementCount(bb);
  out.shape = out.batch;
  out.shape.push_back(out.m);
  out.shape.push_back(out.n);
  return "";
}

std::string linearLayout(TypedShape x, TypedShape w, bool tw, const TypedShape *bias,
                         LinearLayout &out) {
  if (x.shape.empty() || w.shape.size() != 2)
    return "expects input of rank >= 1 and a 2-D weight";
  out.k = x.shape.back();
  out.n = tw ? w.shape[0] : w.shape[1];
  int64_t kw = tw ? w.shape[1] : w.shape[0];
  if (out.k != kw)
    return "multiplies input " + shapeString(x.shape, x.type) + " by weight " +
           shapeString(w.shape, w.type) + ": " + std::to_string(out.k) + " vs " +
           std::to_string(kw);
  if (bias && (bias->shape.size() != 1 || bias->shape[0] != out.n))
    return "bias has shape " + shapeString(bias->shape, bias->type) + ", expected [" +
           std::to_string(out.n) + "]";
  out.shape = x.shape;
  out.shape.back() = out.n;
  out.rows = elementCount(std::vector<int64_t>(x.shape.begin(), x.shape.end() - 1));
  return "";
}

std::string reduceLayout(const std::vector<int64_t> &in, const std::vector<int64_t> &axes,
                         bool keepDims, int64_t kind, ReduceLayout &out) {
  if (axes.empty())
    return "has no axes";
  int64_t rank = int64_t(in.size());
  out.reduced.assign(in.size(), false);
  for (int64_t a : axes) {
    int64_t d;
    if (std::string error = resolveAxis(a, rank, d); !error.empty())
      return error;
    if (out.reduced[size_t(d)]) // axes given at run time (the compiler checks constant ones)
      return "reduces axis " + std::to_string(a) + " twice";
    out.reduced[size_t(d)] = true;
  }
  std::vector<int64_t> st = contiguousStrides(in);
  out.shape.clear(), out.keptDims.clear(), out.keptStrides.clear();
  out.reducedDims.clear(), out.reducedStrides.clear();
  out.count = 1;
  for (size_t d = 0; d < in.size(); ++d) {
    bool r = out.reduced[d];
    if (!r)
      out.shape.push_back(in[d]);
    else if (keepDims)
      out.shape.push_back(1);
    out.keptDims.push_back(r ? 1 : in[d]);
    out.keptStrides.push_back(r ? 0 : st[d]);
    out.reducedDims.push_back(r ? in[d] : 1);
    out.reducedStrides.push_back(r ? st[d] : 0);
    if (r)
      out.count *= in[d];
  }
  if ((kind == 2 || kind == 3) && out.count == 0)
    return "reduces an empty axis with max/min";
  return "";
}

std::string argmaxLayout(const std::vector<int64_t> &in, int64_t axis, bool keepDims,
                         SelectLayout &out) {
  if (std::string error = rowsLayout(in, axis, out.view); !error.empty())
    return error;
  if (out.view.n == 0)
    return "takes the argmax of an empty axis";
  out.shape = in;
  if (keepDims)
    out.shape[size_t(out.view.axis)] = 1;
  else
    out.shape.erase(out.shape.begin() + out.view.axis);
  return "";
}

std::string topKLayout(const std::vector<int64_t> &in, int64_t axis, int64_t k, SelectLayout &out) {
  if (std::string error = rowsLayout(in, axis, out.view); !error.empty())
    return error;
  if (k > out.view.n)
    return "k = " + std::to_string(k) + " exceeds the axis size " + std::to_string(out.view.n);
  if (k < 0)
    return "has a negative k";
  out.shape = in;
  out.shape[size_t(out.view.axis)] = k;
  return "";
}

std::string sequenceMaskShape(TypedShape lengths, int64_t maxLength, std::vector<int64_t> &out) {
  if (lengths.shape.size() != 1)
    return "expects lengths of rank 1";
  if (lengths.type != ElemType::i32 && lengths.type != ElemType::i64)
    return "expects integer lengths or indices";
  if (maxLength < 0)
    return "got a negative max_length " + std::to_string(maxLength);
  out = {lengths.shape[0], maxLength};
  return "";
}

std::string causalMaskShape(int64_t queryLength, int64_t keyLength, int64_t align,
                            std::vector<int64_t> &shape, int64_t &shift) {
  if (queryLength < 0 || keyLength < 0)
    return "got a negative length";
  shift = align == 1 ? keyLength - queryLength : 0;
  shape = {queryLength, keyLength};
  return "";
}

std::string fullShape(const std::vector<int64_t> &declared, const std::vector<int64_t> &dynamic,
                      std::vector<int64_t> &out) {
  out.clear();
  size_t next = 0;
  for (int64_t d : declared) {
    if (d >= 0) {
      out.push_back(d);
      continue;
    }
    if (next >= dynamic.size())
      return "has fewer dynamic dims than its type needs";
    int64_t v = dynamic[next++];
    if (v < 0)
      return "got negative dimension " + std::to_string(v);
    out.push_back(v);
  }
  return "";
}

std::string rangeLength(int64_t start, int64_t limit, int64_t step, int64_t &out) {
  if (step == 0)
    return "has step 0";
  // In 128 bits: limit - start overflows int64 for hostile operands.
  __int128 count = 0;
  if ((step > 0 && limit > start) || (step < 0 && limit < start))
    count = (__int128(limit) - start + step + (step > 0 ? -1 : 1)) / step;
  if (count > (__int128(1) << 48))
    return "would give more than 2^48 elements";
  out = int64_t(count);
  return "";
}

std::string sinusoidalShape(int64_t length, int64_t dim, std::vector<int64_t> &out) {
  if (length < 0)
    return "got a negative length " + std::to_string(length);
  out = {length, dim};
  return "";
}

} // namespace heed::rt
