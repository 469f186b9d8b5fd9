//===- NnOps.cpp - Vulkan dispatches of the tensor ops ----------------------===//
//
// matmul, linear, softmax, layer_norm, reductions, argmax/top_k, gather and
// the generators (masks, range, positions): shapes checked on the host, one
// dispatch each.
//
//===----------------------------------------------------------------------===//

#include "runtime/drivers/rules/NnRules.h"
#include "runtime/drivers/vulkan/OpRun.h"
#include "runtime/drivers/vulkan/abi/Gather.h"
#include "runtime/drivers/vulkan/abi/Generators.h"
#include "runtime/drivers/vulkan/abi/Matmul.h"
#include "runtime/drivers/vulkan/abi/Reduce.h"
#include "runtime/drivers/vulkan/abi/Rows.h"

#include <algorithm>
#include <cstdint>
#include <optional>

namespace heed::rt::vk {

void OpRun::runMatmul() {
  const DTensor &a = in(0), &b = in(1);
  MatmulLayout l;
  check(matmulLayout(typedShape(a), typedShape(b), op.getBool(AttrId::transpose_a),
                     op.getBool(AttrId::transpose_b), l));
  int64_t M = l.m, N = l.n, K = l.k;
  const std::vector<int64_t> &ob = l.batch;
  DTensor y = alloc(ElemType::f32, l.shape);
  int batch = int(ob.size());
  vkabi::MatmulPush push;
  push.m = int32_t(M);
  push.n = int32_t(N);
  push.k = int32_t(K);
  push.count = int32_t(y.count());
  pack(push.batch, vkabi::matmulDimsAt(), ob);
  pack(push.batch, vkabi::matmulLhsStridesAt(batch), l.lhsStrides);
  pack(push.batch, vkabi::matmulRhsStridesAt(batch), l.rhsStrides);
  const Pipeline &p = kernel(0);
  dispatch(p, {a.buf.get(), b.buf.get(), y.buf.get()}, push, ceilDiv(uint64_t(y.count()), p.local));
  out(0, y);
}

void OpRun::runLinear() {
  const DTensor &x = in(0), &w = in(1);
  std::optional<TypedShape> bias;
  if (op.operands.size() > 2)
    bias.emplace(typedShape(in(2)));
  LinearLayout l;
  check(linearLayout(typedShape(x), typedShape(w), op.getBool(AttrId::transpose_weight),
                     bias ? &*bias : nullptr, l));
  int64_t M = l.rows, N = l.n, K = l.k;
  DTensor y = alloc(ElemType::f32, l.shape);
  std::vector<const Buffer *> bufs{x.buf.get(), w.buf.get()};
  if (bias)
    bufs.push_back(in(2).buf.get());
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
  AxisView rows;
  check(rowsLayout(x.shape, op.getInt(AttrId::axis), rows));
  int64_t outer = rows.outer, n = rows.n, inner = rows.inner;
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
  auto [residualAt, hasResidual] = op.segment(3);
  std::optional<TypedShape> scale, bias, residual;
  std::vector<const Buffer *> bufs{x.buf.get()};
  if (hasResidual) { // bound right after the input (NnKernels.cpp lowerLayerNorm)
    residual.emplace(typedShape(in(residualAt)));
    bufs.push_back(in(residualAt).buf.get());
  }
  if (hasScale) {
    scale.emplace(typedShape(in(scaleAt)));
    bufs.push_back(in(scaleAt).buf.get());
  }
  if (hasBias) {
    bias.emplace(typedShape(in(biasAt)));
    bufs.push_back(in(biasAt).buf.get());
  }
  LayerNormLayout l;
  check(layerNormLayout(typedShape(x), op.getInt(AttrId::axis), scale ? &*scale : nullptr,
                        bias ? &*bias : nullptr, l, residual ? &*residual : nullptr));
  int64_t outer = l.outer, n = l.n;
  DTensor y = alloc(ElemType::f32, x.shape);
  bufs.push_back(y.buf.get());
  vkabi::LayerNormPush push;
  push.rows = int32_t(outer);
  push.n = int32_t(n);
  dispatch(rowKernel(), bufs, push, uint64_t(outer));
  out(0, y);
}

void OpRun::runReduce() {
  if (op.opKind == OpKind::Cumsum)
    return runCumsum();
  const DTensor &x = in(0);
  ReduceLayout l;
  std::vector<int64_t> axes = numOperands() > 1 ? scalarsFrom(1) : op.getInts(AttrId::axes);
  check(reduceLayout(x.shape, axes, op.getBool(AttrId::keep_dims), op.getInt(AttrId::kind), l));
  DTensor y = alloc(x.type, l.shape);
  int rank = int(x.rank());
  vkabi::ReducePush push;
  push.count = int32_t(y.count());
  pack(push.shape, vkabi::reduceKeptDimsAt(), l.keptDims);
  pack(push.shape, vkabi::reduceKeptStridesAt(rank), l.keptStrides);
  pack(push.shape, vkabi::reduceDimsAt(rank), l.reducedDims);
  pack(push.shape, vkabi::reduceStridesAt(rank), l.reducedStrides);
  pack(push.shape, vkabi::reduceCountAt(rank), {l.count});
  const Pipeline &p = kernel(0);
  dispatch(p, {x.buf.get(), y.buf.get()}, push, ceilDiv(uint64_t(y.count()), p.local));
  out(0, y);
}

void OpRun::runCumsum() {
  const DTensor &x = in(0);
  int64_t axis = 0;
  if (op.has(AttrId::axis)) {
    axis = op.getInt(AttrId::axis);
  } else { // the axis as a tensor the graph computes or takes: read back, as heed.extract is
    const DTensor &a = in(1);
    if (a.count() != 1 || (a.type != ElemType::i32 && a.type != ElemType::i64))
      opFail("expects one i32 or i64 axis, got " + shapeString(a.shape, a.type));
    driver.note(where + ": reads its axis back to the host (a submission mid-function)");
    std::vector<uint8_t> bytes = driver.readBackNow(a, function.name);
    axis = loadIndex(bytes.data(), a.type, 0);
  }
  check(resolveAxis(axis, int64_t(x.rank()), axis));
  AxisView v = axisView(x.shape, axis);
  DTensor y = alloc(x.type, x.shape);
  uint64_t rows = uint64_t(v.outer * v.inner);
  if (rows > 0 && v.n > 0) {
    vkabi::CumsumPush push;
    push.rows = int32_t(rows);
    push.n = int32_t(v.n);
    push.inner = int32_t(v.inner);
    const Pipeline &p = kernel(0);
    dispatch(p, {x.buf.get(), y.buf.get()}, push, ceilDiv(rows, p.local));
  }
  out(0, y);
}

void OpRun::runArgmaxTopK() {
  const DTensor &x = in(0);
  SelectLayout l;
  if (op.opKind != OpKind::TopK) { // argmax, argmin
    check(argmaxLayout(x.shape, op.getInt(AttrId::axis), op.getBool(AttrId::keep_dims), l));
    uint64_t rows = uint64_t(l.view.outer * l.view.inner);
    DTensor y = alloc(ElemType::i64, l.shape);
    const Pipeline &p = kernel(0);
    vkabi::ArgmaxPush push;
    push.rows = int32_t(rows);
    push.n = int32_t(l.view.n);
    push.inner = int32_t(l.view.inner);
    dispatch(p, {x.buf.get(), y.buf.get()}, push, ceilDiv(rows, p.local));
    return out(0, y);
  }
  int64_t kk = op.has(AttrId::k) ? op.getInt(AttrId::k) : scalar(1);
  check(topKLayout(x.shape, op.getInt(AttrId::axis), kk, l));
  uint64_t rows = uint64_t(l.view.outer * l.view.inner);
  DTensor vals = alloc(ElemType::f32, l.shape), idxs = alloc(ElemType::i64, l.shape);
  const Pipeline &p = kernel(0);
  vkabi::TopKPush push;
  push.rows = int32_t(rows);
  push.n = int32_t(l.view.n);
  push.inner = int32_t(l.view.inner);
  push.k = int32_t(kk);
  if (kk > 0)
    dispatch(p, {x.buf.get(), vals.buf.get(), idxs.buf.get()}, push, ceilDiv(rows, p.local));
  out(0, vals);
  out(1, idxs);
}

void OpRun::runGatherElements() {
  const DTensor &x = in(0), &ids = in(1);
  GatherElementsLayout l;
  check(gatherElementsLayout(typedShape(x), typedShape(ids), op.getInt(AttrId::axis), l));
  DTensor y = alloc(x.type, l.shape);
  if (y.count() > 0) {
    int rank = int(l.shape.size());
    VulkanDriver::Check c = driver.newCheck();
    c.where = where;
    c.ids = ids;
    c.n = l.n;
    vkabi::GatherElementsPush push;
    push.count = int32_t(y.count());
    push.n = int32_t(l.n);
    push.axisStride = int32_t(l.axisStride);
    push.statusSlot = int32_t(c.slot);
    pack(push.shape, vkabi::gatherElementsDimsAt(), l.shape);
    pack(push.shape, vkabi::gatherElementsStridesAt(rank), l.xStrides);
    const Pipeline &p = kernel(0);
    dispatch(p, {x.buf.get(), ids.buf.get(), y.buf.get(), c.status.get()}, push,
             ceilDiv(uint64_t(y.count()), p.local));
    driver.checks.push_back(std::move(c));
  }
  out(0, y);
}

void OpRun::runGather() {
  if (op.opKind == OpKind::GatherElements)
    return runGatherElements();
  const DTensor &x = in(0), &ids = in(1);
  bool embedding = op.opKind == OpKind::Embedding;
  GatherLayout l;
  check(gatherLayout(typedShape(x), typedShape(ids), embedding,
                     embedding ? 0 : op.getInt(AttrId::axis), l));
  int64_t n = l.view.n, inner = l.view.inner, m = l.ids;
  DTensor y = alloc(x.type, l.shape);
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
    std::vector<int64_t> shape;
    check(sequenceMaskShape(typedShape(len), n, shape));
    y = alloc(ElemType::boolean, shape);
    vkabi::SequenceMaskPush push;
    push.count = int32_t(y.count());
    push.maxLength = int32_t(n);
    run({len.buf.get(), y.buf.get()}, push);
  } else if (op.opKind == OpKind::CausalMask) {
    int64_t lk = scalar(1), shift = 0;
    std::vector<int64_t> shape;
    check(causalMaskShape(scalar(0), lk, op.getInt(AttrId::align), shape, shift));
    y = alloc(ElemType::boolean, shape);
    vkabi::CausalMaskPush push;
    push.count = int32_t(y.count());
    push.keyLength = int32_t(lk);
    push.shift = small(shift, "shift");
    run({y.buf.get()}, push);
  } else if (op.opKind == OpKind::Range) {
    int64_t start = scalar(0), limit = scalar(1), step = scalar(2);
    int64_t n = 0;
    check(rangeLength(start, limit, step, n));
    y = alloc(ElemType::i64, {n});
    vkabi::RangePush push;
    push.count = int32_t(n);
    push.start = small(start, "start");
    push.step = small(step, "step");
    run({y.buf.get()}, push);
  } else {
    int64_t offset = scalar(0), length = scalar(1);
    std::vector<int64_t> shape;
    check(sinusoidalShape(length, op.getInt(AttrId::dim), shape));
    y = alloc(ElemType::f32, shape);
    small(offset + length, "position");
    vkabi::PositionsPush push;
    push.count = int32_t(y.count());
    push.offset = int32_t(offset);
    run({y.buf.get()}, push);
  }
  out(0, y);
}

} // namespace heed::rt::vk
