//===- Data.cpp - Reshape, transpose, concat, slice, broadcast, gather ----===//

#include "runtime/drivers/cpu/Executor.h"
#include "runtime/drivers/cpu/StridedCopy.h"
#include "runtime/drivers/cpu/kernels/Parallel.h"
#include "runtime/drivers/rules/DataRules.h"

#include <cstring>
#include <limits>
#include <vector>

namespace heed::rt::cpu {
namespace {

/// Copies of at least this many bytes in all are shared among the threads: one core's memcpy
/// does not reach the memory bandwidth (a 2 x 16 MiB KV-cache concat: 5.8 ms on one thread).
constexpr size_t kParallelCopyBytes = 1 << 20;

/// Fails with the rule's message unless it is empty.
void check(OpCtx &c, const std::string &error) {
  if (!error.empty())
    c.fail(error);
}

void reshape(OpCtx &c) {
  const Tensor &x = c.in(0);
  std::vector<int64_t> shape;
  check(c, reshapeShape(x.shape, x.type, c.op.getInts(AttrId::shape), shape));
  Tensor y = x;
  y.shape = shape;
  c.out(0, std::move(y));
}

/// heed.reshape_dynamic: operand i + 1 is target dim i, with heed.reshape's rules.
void reshapeDynamic(OpCtx &c) {
  const Tensor &x = c.in(0);
  std::vector<int64_t> spec, shape;
  for (size_t i = 1; i < c.numOperands(); ++i)
    spec.push_back(c.scalar(i));
  check(c, reshapeShape(x.shape, x.type, spec, shape, c.op.getBool(AttrId::allowzero)));
  Tensor y = x;
  y.shape = shape;
  c.out(0, std::move(y));
}

std::vector<TypedShape> operandShapes(OpCtx &c) {
  std::vector<TypedShape> shapes;
  for (size_t i = 0; i < c.numOperands(); ++i)
    shapes.push_back(typedShape(c.in(i)));
  return shapes;
}

void transpose(OpCtx &c) {
  const Tensor &x = c.in(0);
  TransposeLayout l;
  check(c, transposeLayout(x.shape, c.op.getInts(AttrId::permutation), l));
  Tensor y = c.alloc(x.type, l.shape);
  stridedCopy(x.data, y.data, l.shape, l.strides, elemTypeSize(x.type));
  c.out(0, std::move(y));
}

void concat(OpCtx &c) {
  ConcatLayout l;
  check(c, concatLayout(operandShapes(c), c.op.getInt(AttrId::axis), l));
  const Tensor &first = c.in(0);
  Tensor y = c.alloc(first.type, l.shape);
  size_t es = elemTypeSize(first.type);
  int64_t axis = l.view.axis, outer = l.view.outer, inner = l.view.inner;
  int64_t rowOut = l.view.n * inner;
  // One copy per (outer index, operand), in output order so that any contiguous share of them
  // holds a like mix of large and small ones: a KV cache grown by a step is tens of MiB.
  struct Copy {
    size_t dst, src, bytes;
  };
  std::vector<Copy> copies;
  copies.reserve(size_t(outer) * c.numOperands());
  for (int64_t o = 0; o < outer; ++o) {
    int64_t at = 0;
    for (size_t i = 0; i < c.numOperands(); ++i) {
      int64_t row = c.in(i).dim(axis) * inner;
      copies.push_back({size_t(o * rowOut + at) * es, size_t(o * row) * es, size_t(row) * es});
      at += row;
    }
  }
  size_t operands = c.numOperands();
  auto run = [&](int64_t begin, int64_t end) {
    for (int64_t k = begin; k < end; ++k) {
      const Copy &cp = copies[size_t(k)];
      std::memcpy(y.data + cp.dst, c.in(size_t(k) % operands).data + cp.src, cp.bytes);
    }
  };
  if (y.bytes() >= kParallelCopyBytes)
    ::heed::cpu::detail::parallelStatic(int64_t(copies.size()),
                                        [&](int64_t begin, int64_t end) { run(begin, end); });
  else
    run(0, int64_t(copies.size()));
  c.out(0, std::move(y));
}

/// heed.slice and heed.slice_dynamic (whose step may be negative).
void slice(OpCtx &c) {
  const Tensor &x = c.in(0);
  SliceLayout l;
  int64_t axis = c.op.getInt(AttrId::axis);
  if (c.op.opKind == OpKind::SliceDynamic)
    check(c, sliceDynamicLayout(x.shape, axis, c.scalar(1), c.scalar(2), c.scalar(3), l));
  else
    check(c, sliceLayout(x.shape, axis, c.op.getInt(AttrId::start), c.op.getInt(AttrId::end),
                         c.op.getInt(AttrId::step), l));
  int64_t start = l.start, len = l.length, step = l.step, n = l.view.n;
  int64_t outer = l.view.outer, inner = l.view.inner;
  size_t es = elemTypeSize(x.type);
  if (step == 1 && (outer == 1 || (start == 0 && len == n))) {
    // One contiguous run of x (a whole-range slice, T5's bias[:, :, :L, :L] at L = its size, or a
    // leading-axis window): a view of x's storage, as reshape gives, instead of a copy.
    Tensor y = x;
    y.shape = l.shape;
    y.data = x.data + size_t(start * inner) * es;
    c.out(0, std::move(y));
    return;
  }
  Tensor y = c.alloc(x.type, l.shape);
  if (step == 1) { // one run of len * inner elements per outer index (a last-axis slice: not 4
                   // bytes a copy)
    size_t run = size_t(len * inner) * es;
    for (int64_t o = 0; o < outer; ++o)
      std::memcpy(y.data + size_t(o) * run, x.data + size_t((o * n + start) * inner) * es, run);
  } else {
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t j = 0; j < len; ++j)
        std::memcpy(y.data + size_t((o * len + j) * inner) * es,
                    x.data + size_t((o * n + start + j * step) * inner) * es, size_t(inner) * es);
  }
  c.out(0, std::move(y));
}

void broadcast(OpCtx &c) {
  const Tensor &x = c.in(0), &like = c.in(1);
  BroadcastLikeLayout l;
  check(c, broadcastLike(typedShape(x), typedShape(like), l));
  Tensor y = c.alloc(x.type, l.shape);
  stridedCopy(x.data, y.data, l.shape, l.strides, elemTypeSize(x.type));
  c.out(0, std::move(y));
}

/// Id i of `t`, which gatherLayout has checked is i32 or i64.
int64_t loadId(const Tensor &t, int64_t i) {
  return t.type == ElemType::i32 ? t.as<int32_t>()[i] : t.as<int64_t>()[i];
}

void gather(OpCtx &c) {
  const Tensor &x = c.in(0), &ids = c.in(1);
  bool embedding = c.op.opKind == OpKind::Embedding;
  GatherLayout l;
  check(c, gatherLayout(typedShape(x), typedShape(ids), embedding,
                        embedding ? 0 : c.op.getInt(AttrId::axis), l));
  Tensor y = c.alloc(x.type, l.shape);
  size_t es = elemTypeSize(x.type);
  int64_t n = l.view.n, outer = l.view.outer, inner = l.view.inner, m = l.ids;
  for (int64_t j = 0; j < m; ++j) {
    int64_t id = loadId(ids, j);
    int64_t k = (!embedding && id < 0) ? id + n : id;
    if (k < 0 || k >= n)
      c.fail(gatherIdOutOfRange(embedding, id, j, n));
    for (int64_t o = 0; o < outer; ++o)
      std::memcpy(y.data + size_t((o * m + j) * inner) * es,
                  x.data + size_t((o * n + k) * inner) * es, size_t(inner) * es);
  }
  c.out(0, std::move(y));
}

void gatherElements(OpCtx &c) {
  const Tensor &x = c.in(0), &ids = c.in(1);
  GatherElementsLayout l;
  check(c, gatherElementsLayout(typedShape(x), typedShape(ids), c.op.getInt(AttrId::axis), l));
  Tensor y = c.alloc(x.type, l.shape);
  size_t es = elemTypeSize(x.type), rank = l.shape.size();
  std::vector<int64_t> idx(rank, 0);
  int64_t base = 0; // x's offset of idx, the axis coordinate left out
  for (int64_t j = 0, m = y.count(); j < m; ++j) {
    int64_t id = loadId(ids, j);
    int64_t k = id < 0 ? id + l.n : id;
    if (k < 0 || k >= l.n)
      c.fail(gatherIdOutOfRange(false, id, j, l.n));
    std::memcpy(y.data + size_t(j) * es, x.data + size_t(base + k * l.axisStride) * es, es);
    for (size_t d = rank; d-- > 0;) {
      base += l.xStrides[d];
      if (++idx[d] < l.shape[d])
        break;
      base -= idx[d] * l.xStrides[d];
      idx[d] = 0;
    }
  }
  c.out(0, std::move(y));
}

} // namespace

void registerDataKernels(KernelTable &m) {
  m[OpKind::Reshape] = reshape;
  m[OpKind::Transpose] = transpose;
  m[OpKind::Concat] = concat;
  m[OpKind::Slice] = slice;
  m[OpKind::SliceDynamic] = slice;
  m[OpKind::ReshapeDynamic] = reshapeDynamic;
  m[OpKind::Broadcast] = broadcast;
  m[OpKind::Gather] = gather;
  m[OpKind::Embedding] = gather;
  m[OpKind::GatherElements] = gatherElements;
}

} // namespace heed::rt::cpu
