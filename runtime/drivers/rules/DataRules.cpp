//===- DataRules.cpp - Shape rules of the data movement ops ---------------===//
//
// What both drivers accept of the data movement ops, and how they lay out the results (see
// DataRules.h for each rule).
//
//===----------------------------------------------------------------------===//

#include "runtime/drivers/rules/DataRules.h"

#include <algorithm>

namespace heed::rt {

std::vector<int64_t> contiguousStrides(const std::vector<int64_t> &shape) {
  std::vector<int64_t> s(shape.size());
  int64_t acc = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

std::vector<int64_t> broadcastStrides(const std::vector<int64_t> &shape,
                                      const std::vector<int64_t> &out) {
  std::vector<int64_t> st(out.size(), 0);
  int64_t acc = 1;
  size_t off = out.size() - shape.size();
  for (size_t i = shape.size(); i-- > 0;) {
    st[off + i] = shape[i] == 1 ? 0 : acc;
    acc *= shape[i];
  }
  return st;
}

bool broadcastInto(std::vector<int64_t> &shape, const std::vector<int64_t> &dims) {
  size_t off = shape.size() - dims.size();
  for (size_t i = 0; i < dims.size(); ++i) {
    int64_t d = dims[i], &o = shape[off + i];
    if (d == o || d == 1)
      continue;
    if (o != 1)
      return false;
    o = d;
  }
  return true;
}

std::string resolveAxis(int64_t axis, int64_t rank, int64_t &out) {
  out = axis < 0 ? axis + rank : axis;
  if (out < 0 || out >= rank)
    return "axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank);
  return "";
}

std::string broadcastOperands(const std::vector<TypedShape> &operands, BroadcastLayout &out) {
  size_t rank = 0;
  for (const TypedShape &t : operands)
    rank = std::max(rank, t.shape.size());
  out.shape.assign(rank, 1);
  for (const TypedShape &t : operands) {
    if (broadcastInto(out.shape, t.shape))
      continue;
    std::string shapes;
    for (const TypedShape &u : operands)
      shapes += (shapes.empty() ? "" : " and ") + shapeString(u.shape, u.type);
    return "cannot broadcast operands of shapes " + shapes;
  }
  out.strides.clear();
  for (const TypedShape &t : operands)
    out.strides.push_back(broadcastStrides(t.shape, out.shape));
  return "";
}

std::string broadcastLike(TypedShape x, TypedShape like, BroadcastLikeLayout &out) {
  out.shape.assign(std::max(x.shape.size(), like.shape.size()), 1);
  if (!broadcastInto(out.shape, x.shape) || !broadcastInto(out.shape, like.shape))
    return "cannot broadcast " + shapeString(x.shape, x.type) + " like " +
           shapeString(like.shape, like.type);
  out.strides = broadcastStrides(x.shape, out.shape);
  return "";
}

std::string reshapeShape(const std::vector<int64_t> &in, ElemType type,
                         const std::vector<int64_t> &spec, std::vector<int64_t> &out,
                         bool allowZero) {
  out.clear();
  int64_t inferAt = -1, known = 1;
  for (size_t i = 0; i < spec.size(); ++i) {
    int64_t d = spec[i];
    if (d == 0 && !allowZero) {
      if (i >= in.size())
        return "copies dim " + std::to_string(i) + " of a rank-" + std::to_string(in.size()) +
               " input";
      d = in[i];
    } else if (d == -1) {
      if (inferAt >= 0)
        return "has more than one -1";
      inferAt = int64_t(i);
      out.push_back(1);
      continue;
    } else if (d < 0) {
      return "has an invalid dim " + std::to_string(d);
    }
    out.push_back(d);
    // Dims given at run time may be hostile: an overflow is an error naming the op, not a throw.
    if (__builtin_mul_overflow(known, d, &known))
      return "has dims whose product overflows at entry " + std::to_string(i) + " (" +
             std::to_string(d) + ")";
  }
  int64_t count = elementCount(in);
  if (inferAt >= 0) {
    if (known == 0 || count % known != 0)
      return "cannot reshape " + shapeString(in, type) + " with a -1 into " +
             std::to_string(known) + "-element pieces";
    out[size_t(inferAt)] = count / known;
  } else if (known != count) {
    return "cannot reshape " + shapeString(in, type) + " (" + std::to_string(count) +
           " elements) into " + shapeString(out, type);
  }
  return "";
}

std::string extractCheck(const std::vector<int64_t> &in, ElemType type, int64_t index) {
  if (type != ElemType::i32 && type != ElemType::i64)
    return "expects an i32 or i64 tensor, got " + shapeString(in, type);
  if (in.size() > 1)
    return "expects a 0-D or 1-D tensor, got " + shapeString(in, type);
  int64_t n = in.empty() ? 1 : in[0];
  if (index < 0 || index >= n)
    return "reads element " + std::to_string(index) + " of " + shapeString(in, type) +
           ", which has " + std::to_string(n);
  return "";
}

std::string transposeLayout(const std::vector<int64_t> &in, const std::vector<int64_t> &perm,
                            TransposeLayout &out) {
  size_t rank = in.size();
  if (perm.size() != rank)
    return "has a permutation that does not match rank " + std::to_string(rank);
  std::vector<int64_t> inStride = contiguousStrides(in);
  out.shape.assign(rank, 0);
  out.strides.assign(rank, 0);
  std::vector<bool> seen(rank, false);
  for (size_t i = 0; i < rank; ++i) {
    int64_t p = perm[i];
    if (p < 0 || p >= int64_t(rank) || seen[size_t(p)])
      return "has an invalid permutation";
    seen[size_t(p)] = true;
    out.shape[i] = in[size_t(p)];
    out.strides[i] = inStride[size_t(p)];
  }
  return "";
}

AxisView axisView(const std::vector<int64_t> &shape, int64_t axis) {
  AxisView v;
  v.axis = axis;
  v.n = shape[size_t(axis)];
  for (int64_t d = 0; d < axis; ++d)
    v.outer *= shape[size_t(d)];
  for (size_t d = size_t(axis) + 1; d < shape.size(); ++d)
    v.inner *= shape[d];
  return v;
}

namespace {
std::string sliceLayoutOf(const std::vector<int64_t> &in, int64_t axis, int64_t start, int64_t end,
                          int64_t step, SliceLayout &out) {
  if (in.empty())
    return "cannot slice a scalar";
  if (std::string error = resolveAxis(axis, int64_t(in.size()), axis); !error.empty())
    return error;
  out.view = axisView(in, axis);
  SliceRange range = step > 0 ? sliceRange(out.view.n, start, end, step)
                              : sliceRangeBackwards(out.view.n, start, end, step);
  out.start = range.start;
  out.length = range.length;
  // A step past the dim reads at most one element: any larger stride reads the same.
  out.step = std::clamp<int64_t>(step, -std::max<int64_t>(out.view.n, 1),
                                 std::max<int64_t>(out.view.n, 1));
  out.shape = in;
  out.shape[size_t(axis)] = range.length;
  return "";
}
} // namespace

std::string sliceLayout(const std::vector<int64_t> &in, int64_t axis, int64_t start, int64_t end,
                        int64_t step, SliceLayout &out) {
  if (!in.empty() && step <= 0)
    return "expects a positive step";
  return sliceLayoutOf(in, axis, start, end, step, out);
}

std::string sliceDynamicLayout(const std::vector<int64_t> &in, int64_t axis, int64_t start,
                               int64_t end, int64_t step, SliceLayout &out) {
  if (!in.empty() && step == 0)
    return "got a zero step";
  return sliceLayoutOf(in, axis, start, end, step, out);
}

std::string concatLayout(const std::vector<TypedShape> &operands, int64_t axis, ConcatLayout &out) {
  if (operands.empty())
    return "has no operands";
  const TypedShape &first = operands[0];
  if (first.shape.empty())
    return "cannot concatenate scalars";
  if (std::string error = resolveAxis(axis, int64_t(first.shape.size()), axis); !error.empty())
    return error;
  out.shape = first.shape;
  out.shape[size_t(axis)] = 0;
  for (size_t i = 0; i < operands.size(); ++i) {
    const TypedShape &t = operands[i];
    if (t.shape.size() != first.shape.size() || t.type != first.type)
      return "operand " + std::to_string(i) + " has type " + shapeString(t.shape, t.type) +
             ", unlike operand 0 " + shapeString(first.shape, first.type);
    for (size_t d = 0; d < t.shape.size(); ++d)
      if (int64_t(d) != axis && t.shape[d] != first.shape[d])
        return "operand " + std::to_string(i) + " has shape " + shapeString(t.shape, t.type) +
               ", which differs from operand 0 " + shapeString(first.shape, first.type) +
               " off the concatenation axis";
    out.shape[size_t(axis)] += t.shape[size_t(axis)];
  }
  out.view = axisView(out.shape, axis);
  return "";
}

std::string gatherLayout(TypedShape x, TypedShape ids, bool embedding, int64_t axis,
                         GatherLayout &out) {
  if (embedding && x.shape.size() != 2)
    return "expects a [vocab, dim] table";
  if (x.shape.empty())
    return "cannot gather from a scalar";
  if (ids.type != ElemType::i32 && ids.type != ElemType::i64)
    return "expects integer indices";
  if (embedding)
    axis = 0;
  else if (std::string error = resolveAxis(axis, int64_t(x.shape.size()), axis); !error.empty())
    return error;
  out.view = axisView(x.shape, axis);
  out.ids = elementCount(ids.shape);
  out.shape.assign(x.shape.begin(), x.shape.begin() + axis);
  out.shape.insert(out.shape.end(), ids.shape.begin(), ids.shape.end());
  out.shape.insert(out.shape.end(), x.shape.begin() + axis + 1, x.shape.end());
  return "";
}

std::string gatherElementsLayout(TypedShape x, TypedShape ids, int64_t axis,
                                 GatherElementsLayout &out) {
  if (x.shape.empty())
    return "cannot gather from a scalar";
  if (ids.type != ElemType::i32 && ids.type != ElemType::i64)
    return "expects integer indices";
  int64_t rank = int64_t(x.shape.size());
  if (int64_t(ids.shape.size()) != rank)
    return "expects indices of rank " + std::to_string(rank) + ", got " +
           shapeString(ids.shape, ids.type);
  if (std::string error = resolveAxis(axis, rank, axis); !error.empty())
    return error;
  for (int64_t d = 0; d < rank; ++d)
    if (d != axis && ids.shape[size_t(d)] > x.shape[size_t(d)])
      return "has indices " + shapeString(ids.shape, ids.type) + " larger than the input " +
             shapeString(x.shape, x.type) + " off the axis";
  out.axis = axis;
  out.n = x.shape[size_t(axis)];
  out.xStrides = contiguousStrides(x.shape);
  out.axisStride = out.xStrides[size_t(axis)];
  out.xStrides[size_t(axis)] = 0;
  out.shape = ids.shape;
  return "";
}

std::string gatherIdOutOfRange(bool embedding, int64_t id, int64_t position, int64_t n) {
  return std::string(embedding ? "id " : "index ") + std::to_string(id) + " at position " +
         std::to_string(position) + " is out of range [" + (embedding ? "0" : std::to_string(-n)) +
         ", " + std::to_string(n) + ")";
}

} // namespace heed::rt
