//===- NnOps.cpp - Vulkan dispatches of the tensor ops ----------------------===//
//
// matmul, linear, softmax, layer_norm, reductions, argmax/top_k, gather and
// the generators (masks, range, positions): shapes checked on the host, one
// dispatch each.
//
//===----------------------------------------------------------------------===//

#include "runtime/drivers/vulkan/OpRun.h"
#include "runtime/drivers/vulkan/abi/Gather.h"
#include "runtime/drivers/vulkan/abi/Generators.h"
#include "runtime/drivers/vulkan/abi/Matmul.h"
#include "runtime/drivers/vulkan/abi/Reduce.h"
#include "runtime/drivers/vulkan/abi/Rows.h"

#include <algorithm>
#include <cstdint>

namespace heed::rt::vk {

void OpRun::runMatmul() {
  const DTensor &a = in(0), &b = in(1);
  if (a.rank() < 2 || b.rank() < 2)
    opFail("expects operands of rank >= 2");
  bool ta = op.getBool(AttrId::transpose_a), tb = op.getBool(AttrId::transpose_b);
  int64_t M = ta ? a.shape[a.shape.size() - 1] : a.shape[a.shape.size() - 2];
  int64_t K = ta ? a.shape[a.shape.size() - 2] : a.shape[a.shape.size() - 1];
  int64_t Kb = tb ? b.shape[b.shape.size() - 1] : b.shape[b.shape.size() - 2];
  int64_t N = tb ? b.shape[b.shape.size() - 2] : b.shape[b.shape.size() - 1];
  if (K != Kb)
    opFail("contracts lhs " + shapeString(a.shape, a.type) + " with rhs " +
           shapeString(b.shape, b.type) + ": inner dims differ");
  std::vector<int64_t> ab(a.shape.begin(), a.shape.end() - 2),
      bb(b.shape.begin(), b.shape.end() - 2);
  size_t rank = std::max(ab.size(), bb.size());
  std::vector<int64_t> ob(rank, 1);
  if (!broadcastInto(ob, ab) || !broadcastInto(ob, bb))
    opFail("cannot broadcast the batch dims of " + shapeString(a.shape, a.type) + " and " +
           shapeString(b.shape, b.type));
  auto strides = [&](const std::vector<int64_t> &s, int64_t mat) {
    std::vector<int64_t> st = broadcastStrides(s, ob);
    for (int64_t &x : st)
      x *= mat;
    return st;
  };
  std::vector<int64_t> shape = ob;
  shape.push_back(M);
  shape.push_back(N);
  DTensor y = alloc(ElemType::f32, shape);
  int batch = int(ob.size());
  vkabi::MatmulPush push;
  push.m = int32_t(M);
  push.n = int32_t(N);
  push.k = int32_t(K);
  push.count = int32_t(y.count());
  pack(push.batch, vkabi::matmulDimsAt(), ob);
  pack(push.batch, vkabi::matmulLhsStridesAt(batch), strides(ab, M * K));
  pack(push.batch, vkabi::matmulRhsStridesAt(batch), strides(bb, K * N));
  const Pipeline &p = kernel(0);
  dispatch(p, {a.buf.get(), b.buf.get(), y.buf.get()}, push, ceilDiv(uint64_t(y.count()), p.local));
  out(0, y);
}

void OpRun::runLinear() {
  const DTensor &x = in(0), &w = in(1);
  bool tw = op.getBool(AttrId::transpose_weight);
  if (x.rank() < 1 || w.rank() != 2)
    opFail("expects input of rank >= 1 and a 2-D weight");
  int64_t K = x.shape.back();
  int64_t N = tw ? w.shape[0] : w.shape[1], Kw = tw ? w.shape[1] : w.shape[0];
  if (K != Kw)
    opFail("multiplies input " + shapeString(x.shape, x.type) + " by weight " +
           shapeString(w.shape, w.type));
  std::vector<int64_t> shape = x.shape;
  shape.back() = N;
  DTensor y = alloc(ElemType::f32, shape);
  int64_t M = elementCount(std::vector<int64_t>(x.shape.begin(), x.shape.end() - 1));
  std::vector<const Buffer *> bufs{x.buf.get(), w.buf.get()};
  if (op.operands.size() > 2) {
    const DTensor &b = in(2);
    if (b.rank() != 1 || b.shape[0] != N)
      opFail("bias has shape " + shapeString(b.shape, b.type) + ", expected [" + std::to_string(N) +
             "]");
    bufs.push_back(b.buf.get());
  }
  bufs.push_back(y.buf.get());
  vkabi::LinearPush push;
  push.rows = int32_t(M);
  push.n = int32_t(N);
  push.k = int32_t(K);
  push.count = int32_t(y.count());
  const Pipeline &p = kernel(0);
  dispatch(p, bufs, push, ceilDiv(uint64_t(y.count()), p.local));
  out(0, y);
}

void OpRun::runSoftmax() {
  const DTensor &x = in(0);
  auto [axis, outer, n, inner] = rowsAlongAxis(x);
  DTensor y = alloc(ElemType::f32, x.shape);
  vkabi::SoftmaxPush push;
  push.rows = int32_t(outer * inner);
  push.n = int32_t(n);
  push.inner = int32_t(inner);
  dispatch(rowKernel(), {x.buf.get(), y.buf.get()}, push, uint64_t(outer * inner));
  out(0, y);
}

void OpRun::runLayerNorm() {
  const DTensor &x = in(0);
  auto [scaleAt, hasScale] = op.segment(1);
  auto [biasAt, hasBias] = op.segment(2);
  if (x.rank() == 0)
    opFail("expects rank >= 1");
  int64_t axis = axisOf(op.getInt(AttrId::axis), x.rank());
  int64_t outer = 1, n = 1;
  for (int64_t d = 0; d < axis; ++d)
    outer *= x.shape[size_t(d)];
  std::vector<int64_t> trailing(x.shape.begin() + axis, x.shape.end());
  for (int64_t d : trailing)
    n *= d;
  std::vector<const Buffer *> bufs{x.buf.get()};
  if (hasScale) {
    const DTensor &s = in(scaleAt);
    if (s.shape != trailing)
      opFail("scale has shape " + shapeString(s.shape, s.type) + ", expected " +
             shapeString(trailing, x.type));
    bufs.push_back(s.buf.get());
  }
  if (hasBias) {
    const DTensor &s = in(biasAt);
    if (s.shape != trailing)
      opFail("bias has shape " + shapeString(s.shape, s.type) + ", expected " +
             shapeString(trailing, x.type));
    bufs.push_back(s.buf.get());
  }
  DTensor y = alloc(ElemType::f32, x.shape);
  bufs.push_back(y.buf.get());
  vkabi::LayerNormPush push;
  push.rows = int32_t(outer);
  push.n = int32_t(n);
  dispatch(rowKernel(), bufs, push, uint64_t(outer));
  out(0, y);
}

void OpRun::runReduce() {
  const DTensor &x = in(0);
  const std::vector<int64_t> &axes = op.getInts(AttrId::axes);
  if (axes.empty())
    opFail("has no axes");
  std::vector<bool> reduced(size_t(x.rank()), false);
  for (int64_t a : axes)
    reduced[size_t(axisOf(a, x.rank()))] = true;
  bool keep = op.getBool(AttrId::keep_dims);
  std::vector<int64_t> shape, keptDims, keptStrides, redDims, redStrides,
      st = contiguousStrides(x.shape);
  int64_t count = 1;
  for (int64_t d = 0; d < x.rank(); ++d) {
    bool r = reduced[size_t(d)];
    if (!r)
      shape.push_back(x.shape[size_t(d)]);
    else if (keep)
      shape.push_back(1);
    keptDims.push_back(r ? 1 : x.shape[size_t(d)]);
    keptStrides.push_back(r ? 0 : st[size_t(d)]);
    redDims.push_back(r ? x.shape[size_t(d)] : 1);
    redStrides.push_back(r ? st[size_t(d)] : 0);
    if (r)
      count *= x.shape[size_t(d)];
  }
  int64_t kind = op.getInt(AttrId::kind);
  if ((kind == 2 || kind == 3) && count == 0)
    opFail("reduces an empty axis with max/min");
  DTensor y = alloc(x.type, shape);
  int rank = int(x.rank());
  vkabi::ReducePush push;
  push.count = int32_t(y.count());
  pack(push.shape, vkabi::reduceKeptDimsAt(), keptDims);
  pack(push.shape, vkabi::reduceKeptStridesAt(rank), keptStrides);
  pack(push.shape, vkabi::reduceDimsAt(rank), redDims);
  pack(push.shape, vkabi::reduceStridesAt(rank), redStrides);
  pack(push.shape, vkabi::reduceCountAt(rank), {count});
  const Pipeline &p = kernel(0);
  dispatch(p, {x.buf.get(), y.buf.get()}, push, ceilDiv(uint64_t(y.count()), p.local));
  out(0, y);
}

void OpRun::runArgmaxTopK() {
  const DTensor &x = in(0);
  auto [axis, outer, n, inner] = rowsAlongAxis(x);
  const Pipeline &p = kernel(0);
  uint64_t rows = uint64_t(outer * inner);
  if (op.opKind == OpKind::Argmax) {
    if (n == 0)
      opFail("takes the argmax of an empty axis");
    std::vector<int64_t> shape = x.shape;
    if (op.getBool(AttrId::keep_dims))
      shape[size_t(axis)] = 1;
    else
      shape.erase(shape.begin() + axis);
    DTensor y = alloc(ElemType::i64, shape);
    vkabi::ArgmaxPush push;
    push.rows = int32_t(rows);
    push.n = int32_t(n);
    push.inner = int32_t(inner);
    dispatch(p, {x.buf.get(), y.buf.get()}, push, ceilDiv(rows, p.local));
    return out(0, y);
  }
  int64_t kk = op.getInt(AttrId::k);
  if (kk > n)
    opFail("k = " + std::to_string(kk) + " exceeds the axis size " + std::to_string(n));
  if (kk < 0)
    opFail("has a negative k");
  std::vector<int64_t> shape = x.shape;
  shape[size_t(axis)] = kk;
  DTensor vals = alloc(ElemType::f32, shape), idxs = alloc(ElemType::i64, shape);
  vkabi::TopKPush push;
  push.rows = int32_t(rows);
  push.n = int32_t(n);
  push.inner = int32_t(inner);
  push.k = int32_t(kk);
  if (kk > 0)
    dispatch(p, {x.buf.get(), vals.buf.get(), idxs.buf.get()}, push, ceilDiv(rows, p.local));
  out(0, vals);
  out(1, idxs);
}

void OpRun::runGather() {
  const DTensor &x = in(0), &ids = in(1);
  bool embedding = op.opKind == OpKind::Embedding;
  if (embedding && x.rank() != 2)
    opFail("expects a [vocab, dim] table");
  if (x.rank() == 0)
    opFail("cannot gather from a scalar");
  if (ids.type != ElemType::i32 && ids.type != ElemType::i64)
    opFail("expects integer indices");
  int64_t axis = embedding ? 0 : axisOf(op.getInt(AttrId::axis), x.rank());
  int64_t n = x.shape[size_t(axis)];
  std::vector<int64_t> shape(x.shape.begin(), x.shape.begin() + axis);
  shape.insert(shape.end(), ids.shape.begin(), ids.shape.end());
  shape.insert(shape.end(), x.shape.begin() + axis + 1, x.shape.end());
  int64_t inner = 1, m = ids.count();
  for (int64_t d = axis + 1; d < x.rank(); ++d)
    inner *= x.shape[size_t(d)];
  DTensor y = alloc(x.type, shape);
  if (y.count() > 0) {
    VulkanDriver::Check c = driver.newCheck();
    c.where = where;
    c.ids = ids;
    c.n = n;
    c.embedding = embedding;
    vkabi::GatherPush push;
    push.count = int32_t(y.count());
    push.ids = int32_t(m);
    push.inner = int32_t(inner);
    push.n = int32_t(n);
    push.statusSlot = int32_t(c.slot);
    const Pipeline &p = kernel(0);
    dispatch(p, {x.buf.get(), ids.buf.get(), y.buf.get(), c.status.get()}, push,
             ceilDiv(uint64_t(y.count()), p.local));
    driver.checks.push_back(std::move(c));
  }
  out(0, y);
}

void OpRun::runGenerator() {
  DTensor y;
  // One invocation per element of y, with the kind's push constants.
  auto run = [&](const std::vector<const Buffer *> &bufs, const auto &push) {
    const Pipeline &p = kernel(0);
    dispatch(p, bufs, push, ceilDiv(uint64_t(y.count()), p.local));
  };
  auto small = [&](int64_t v, const char *what) {
    if (v < INT32_MIN || v > INT32_MAX)
      opFail(std::string("has a ") + what + " beyond the vulkan kernel's 32-bit range");
    return int32_t(v);
  };
  if (op.opKind == OpKind::SequenceMask) {
    const DTensor &len = in(0);
    int64_t n = scalar(1);
    if (len.rank() != 1)
      opFail("expects lengths of rank 1");
    if (n < 0)
      opFail("got a negative max_length " + std::to_string(n));
    y = alloc(ElemType::boolean, {len.shape[0], n});
    vkabi::SequenceMaskPush push;
    push.count = int32_t(y.count());
    push.maxLength = int32_t(n);
    run({len.buf.get(), y.buf.get()}, push);
  } else if (op.opKind == OpKind::CausalMask) {
    int64_t lq = scalar(0), lk = scalar(1);
    if (lq < 0 || lk < 0)
      opFail("got a negative length");
    int64_t shift = op.getInt(AttrId::align) == 1 ? lk - lq : 0;
    y = alloc(ElemType::boolean, {lq, lk});
    vkabi::CausalMaskPush push;
    push.count = int32_t(y.count());
    push.keyLength = int32_t(lk);
    push.shift = small(shift, "shift");
    run({y.buf.get()}, push);
  } else if (op.opKind == OpKind::Range) {
    int64_t start = scalar(0), limit = scalar(1), step = scalar(2);
    if (step == 0)
      opFail("has step 0");
    int64_t n = 0;
    if ((step > 0 && limit > start) || (step < 0 && limit < start))
      n = (limit - start + step + (step > 0 ? -1 : 1)) / step;
    y = alloc(ElemType::i64, {n});
    vkabi::RangePush push;
    push.count = int32_t(n);
    push.start = small(start, "start");
    push.step = small(step, "step");
    run({y.buf.get()}, push);
  } else {
    int64_t offset = scalar(0), length = scalar(1);
    if (length < 0)
      opFail("got a negative length " + std::to_string(length));
    y = alloc(ElemType::f32, {length, op.getInt(AttrId::dim)});
    small(offset + length, "position");
    vkabi::PositionsPush push;
    push.count = int32_t(y.count());
    push.offset = int32_t(offset);
    run({y.buf.get()}, push);
  }
  out(0, y);
}

} // namespace heed::rt::vk
