//===- Data.cpp - Reshape, transpose, concat, slice, broadcast, gather ----===//

#include "runtime/drivers/ShapeRules.h"
#include "runtime/drivers/cpu/Executor.h"

#include <cstring>
#include <limits>

namespace heed::rt::cpu {
namespace {

void reshape(OpCtx &c) {
  const Tensor &x = c.in(0);
  std::vector<int64_t> shape;
  if (std::string error = reshapeShape(x.shape, x.type, c.op.getInts(AttrId::shape), shape);
      !error.empty())
    c.fail(error);
  Tensor y = x;
  y.shape = shape;
  c.out(0, std::move(y));
}

void transpose(OpCtx &c) {
  const Tensor &x = c.in(0);
  const std::vector<int64_t> &perm = c.op.getInts(AttrId::permutation);
  if (int64_t(perm.size()) != x.rank())
    c.fail("has a permutation that does not match rank " + std::to_string(x.rank()));
  size_t rank = size_t(x.rank());
  std::vector<int64_t> shape(rank), inStride(rank), permStride(rank);
  int64_t s = 1;
  for (size_t d = rank; d-- > 0;) {
    inStride[d] = s;
    s *= x.shape[d];
  }
  std::vector<bool> seen(rank, false);
  for (size_t i = 0; i < rank; ++i) {
    int64_t p = perm[i];
    if (p < 0 || p >= int64_t(rank) || seen[size_t(p)])
      c.fail("has an invalid permutation");
    seen[size_t(p)] = true;
    shape[i] = x.shape[size_t(p)];
    permStride[i] = inStride[size_t(p)];
  }
  Tensor y = c.alloc(x.type, shape);
  size_t es = elemTypeSize(x.type);
  int64_t n = y.count();
  std::vector<int64_t> idx(rank, 0);
  int64_t off = 0;
  for (int64_t i = 0; i < n; ++i) {
    std::memcpy(y.data + size_t(i) * es, x.data + size_t(off) * es, es);
    for (size_t d = rank; d-- > 0;) {
      off += permStride[d];
      if (++idx[d] < shape[d])
        break;
      off -= permStride[d] * shape[d];
      idx[d] = 0;
    }
  }
  c.out(0, std::move(y));
}

void concat(OpCtx &c) {
  if (c.numOperands() == 0)
    c.fail("has no operands");
  const Tensor &first = c.in(0);
  if (first.rank() == 0)
    c.fail("cannot concatenate scalars");
  int64_t axis = c.axis(c.op.getInt(AttrId::axis), first.rank());
  std::vector<int64_t> shape = first.shape;
  shape[size_t(axis)] = 0;
  for (size_t i = 0; i < c.numOperands(); ++i) {
    const Tensor &t = c.in(i);
    if (t.rank() != first.rank() || t.type != first.type)
      c.fail("operand " + std::to_string(i) + " has type " + shapeString(t.shape, t.type) +
             ", unlike operand 0 " + shapeString(first.shape, first.type));
    for (int64_t d = 0; d < t.rank(); ++d)
      if (d != axis && t.dim(d) != first.dim(d))
        c.fail("operand " + std::to_string(i) + " has shape " + shapeString(t.shape, t.type) +
               ", which differs from operand 0 " + shapeString(first.shape, first.type) +
               " off the concatenation axis");
    shape[size_t(axis)] += t.dim(axis);
  }
  Tensor y = c.alloc(first.type, shape);
  size_t es = elemTypeSize(first.type);
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d)
    outer *= shape[size_t(d)];
  for (int64_t d = axis + 1; d < first.rank(); ++d)
    inner *= shape[size_t(d)];
  int64_t rowOut = shape[size_t(axis)] * inner;
  int64_t at = 0;
  for (size_t i = 0; i < c.numOperands(); ++i) {
    const Tensor &t = c.in(i);
    int64_t row = t.dim(axis) * inner;
    for (int64_t o = 0; o < outer; ++o)
      std::memcpy(y.data + size_t(o * rowOut + at) * es, t.data + size_t(o * row) * es,
                  size_t(row) * es);
    at += row;
  }
  c.out(0, std::move(y));
}

void slice(OpCtx &c) {
  const Tensor &x = c.in(0);
  if (x.rank() == 0)
    c.fail("cannot slice a scalar");
  int64_t axis = c.axis(c.op.getInt(AttrId::axis), x.rank());
  int64_t n = x.dim(axis);
  int64_t step = c.op.getInt(AttrId::step);
  if (step <= 0)
    c.fail("expects a positive step");
  SliceRange range = sliceRange(n, c.op.getInt(AttrId::start), c.op.getInt(AttrId::end), step);
  int64_t start = range.start, len = range.length;
  std::vector<int64_t> shape = x.shape;
  shape[size_t(axis)] = len;
  Tensor y = c.alloc(x.type, shape);
  size_t es = elemTypeSize(x.type);
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d)
    outer *= x.dim(d);
  for (int64_t d = axis + 1; d < x.rank(); ++d)
    inner *= x.dim(d);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j = 0; j < len; ++j)
      std::memcpy(y.data + size_t((o * len + j) * inner) * es,
                  x.data + size_t((o * n + start + j * step) * inner) * es, size_t(inner) * es);
  c.out(0, std::move(y));
}

void broadcast(OpCtx &c) {
  const Tensor &x = c.in(0), &like = c.in(1);
  size_t rank = std::max(x.shape.size(), like.shape.size());
  std::vector<int64_t> shape(rank, 1);
  for (const Tensor *t : {&x, &like}) {
    size_t off = rank - t->shape.size();
    for (size_t i = 0; i < t->shape.size(); ++i) {
      int64_t d = t->shape[i], &o = shape[off + i];
      if (d == o || d == 1)
        continue;
      if (o != 1)
        c.fail("cannot broadcast " + shapeString(x.shape, x.type) + " like " +
               shapeString(like.shape, like.type));
      o = d;
    }
  }
  Tensor y = c.alloc(x.type, shape);
  std::vector<int64_t> st(rank, 0);
  int64_t s = 1;
  size_t off = rank - x.shape.size();
  for (size_t i = x.shape.size(); i-- > 0;) {
    st[off + i] = x.shape[i] == 1 ? 0 : s;
    s *= x.shape[i];
  }
  size_t es = elemTypeSize(x.type);
  std::vector<int64_t> idx(rank, 0);
  for (int64_t i = 0, n = y.count(); i < n; ++i) {
    int64_t o = 0;
    for (size_t d = 0; d < rank; ++d)
      o += idx[d] * st[d];
    std::memcpy(y.data + size_t(i) * es, x.data + size_t(o) * es, es);
    for (size_t d = rank; d-- > 0;) {
      if (++idx[d] < shape[d])
        break;
      idx[d] = 0;
    }
  }
  c.out(0, std::move(y));
}

int64_t loadId(OpCtx &c, const Tensor &t, int64_t i) {
  if (t.type == ElemType::i32)
    return t.as<int32_t>()[i];
  if (t.type == ElemType::i64)
    return t.as<int64_t>()[i];
  c.fail("expects integer indices");
}

void gather(OpCtx &c) {
  const Tensor &x = c.in(0), &ids = c.in(1);
  bool embedding = c.op.opKind == OpKind::Embedding;
  if (embedding && x.rank() != 2)
    c.fail("expects a [vocab, dim] table");
  if (x.rank() == 0)
    c.fail("cannot gather from a scalar");
  int64_t axis = embedding ? 0 : c.axis(c.op.getInt(AttrId::axis), x.rank());
  int64_t n = x.dim(axis);
  std::vector<int64_t> shape(x.shape.begin(), x.shape.begin() + axis);
  shape.insert(shape.end(), ids.shape.begin(), ids.shape.end());
  shape.insert(shape.end(), x.shape.begin() + axis + 1, x.shape.end());
  Tensor y = c.alloc(x.type, shape);
  size_t es = elemTypeSize(x.type);
  int64_t outer = 1, inner = 1, m = ids.count();
  for (int64_t d = 0; d < axis; ++d)
    outer *= x.dim(d);
  for (int64_t d = axis + 1; d < x.rank(); ++d)
    inner *= x.dim(d);
  for (int64_t j = 0; j < m; ++j) {
    int64_t id = loadId(c, ids, j);
    int64_t k = (!embedding && id < 0) ? id + n : id;
    if (k < 0 || k >= n)
      c.fail(std::string(embedding ? "id " : "index ") + std::to_string(id) + " at position " +
             std::to_string(j) + " is out of range [" + (embedding ? "0" : std::to_string(-n)) +
             ", " + std::to_string(n) + ")");
    for (int64_t o = 0; o < outer; ++o)
      std::memcpy(y.data + size_t((o * m + j) * inner) * es,
                  x.data + size_t((o * n + k) * inner) * es, size_t(inner) * es);
  }
  c.out(0, std::move(y));
}

} // namespace

void registerDataKernels(KernelTable &m) {
  m[OpKind::Reshape] = reshape;
  m[OpKind::Transpose] = transpose;
  m[OpKind::Concat] = concat;
  m[OpKind::Slice] = slice;
  m[OpKind::Broadcast] = broadcast;
  m[OpKind::Gather] = gather;
  m[OpKind::Embedding] = gather;
}

} // namespace heed::rt::cpu
