//===- OpKernels.cpp - One plan op as Vulkan dispatches ---------------------===//
//
// The op context (OpRun.h), dispatch by kind, and the host-side, layout and
// elementwise ops.
//
//===----------------------------------------------------------------------===//

#include "runtime/core/IndexArith.h"
#include "runtime/drivers/ShapeRules.h"
#include "runtime/drivers/vulkan/OpRun.h"
#include "runtime/drivers/vulkan/abi/Copy.h"
#include "runtime/drivers/vulkan/abi/Elementwise.h"
#include "runtime/drivers/vulkan/abi/Rows.h"

#include <algorithm>
#include <limits>
#include <string_view>
#include <unordered_map>

namespace heed::rt::vk {

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

void append(std::vector<int32_t> &push, const std::vector<int64_t> &v) {
  for (int64_t x : v)
    push.push_back(int32_t(x));
}

void VulkanDriver::runOp(ModuleState &ms, const Module &module, const Function &function,
                         const PlanOp &op, std::vector<Slot> &slots, const fb::VkOp *vkop) {
  OpRun(*this, ms, module, function, op, slots, vkop).run();
}

//===----------------------------------------------------------------------===//
// The op context
//===----------------------------------------------------------------------===//

OpRun::OpRun(VulkanDriver &driver, VulkanDriver::ModuleState &ms, const Module &module,
             const Function &function, const PlanOp &op, std::vector<Slot> &slots,
             const fb::VkOp *vkop)
    : driver(driver), ms(ms), module(module), function(function), op(op), slots(slots), vkop(vkop),
      where((op.loc.empty() ? function.name : op.loc) + ": '" + op.kind + "'"), k(op.kind) {}

void OpRun::run() {
  // Index arithmetic: host side, exactly as the CPU driver.
  if (k.rfind("arith.", 0) == 0)
    return runIndexArith();
  using Family = void (OpRun::*)();
  static const std::unordered_map<std::string_view, Family> families = {
      {"heed.dim", &OpRun::runDim},
      {"heed.constant", &OpRun::runConstant},
      {"heed.weight", &OpRun::runConstant},
      {"heed.reshape", &OpRun::runReshape},
      {"heed.abs", &OpRun::runElementwise},
      {"heed.erf", &OpRun::runElementwise},
      {"heed.exp", &OpRun::runElementwise},
      {"heed.log", &OpRun::runElementwise},
      {"heed.neg", &OpRun::runElementwise},
      {"heed.reciprocal", &OpRun::runElementwise},
      {"heed.relu", &OpRun::runElementwise},
      {"heed.rsqrt", &OpRun::runElementwise},
      {"heed.sigmoid", &OpRun::runElementwise},
      {"heed.sqrt", &OpRun::runElementwise},
      {"heed.tanh", &OpRun::runElementwise},
      {"heed.gelu", &OpRun::runElementwise},
      {"heed.not", &OpRun::runElementwise},
      {"heed.cast", &OpRun::runElementwise},
      {"heed.add", &OpRun::runElementwise},
      {"heed.sub", &OpRun::runElementwise},
      {"heed.mul", &OpRun::runElementwise},
      {"heed.div", &OpRun::runElementwise},
      {"heed.max", &OpRun::runElementwise},
      {"heed.min", &OpRun::runElementwise},
      {"heed.pow", &OpRun::runElementwise},
      {"heed.and", &OpRun::runElementwise},
      {"heed.or", &OpRun::runElementwise},
      {"heed.compare", &OpRun::runElementwise},
      {"heed.where", &OpRun::runElementwise},
      {"heed.full", &OpRun::runElementwise},
      {"heed.transpose", &OpRun::runTranspose},
      {"heed.broadcast", &OpRun::runBroadcast},
      {"heed.slice", &OpRun::runSlice},
      {"heed.concat", &OpRun::runConcat},
      {"heed.matmul", &OpRun::runMatmul},
      {"heed.linear", &OpRun::runLinear},
      {"heed.softmax", &OpRun::runSoftmax},
      {"heed.log_softmax", &OpRun::runSoftmax},
      {"heed.layer_norm", &OpRun::runLayerNorm},
      {"heed.reduce", &OpRun::runReduce},
      {"heed.argmax", &OpRun::runArgmaxTopK},
      {"heed.top_k", &OpRun::runArgmaxTopK},
      {"heed.gather", &OpRun::runGather},
      {"heed.embedding", &OpRun::runGather},
      {"heed.sequence_mask", &OpRun::runGenerator},
      {"heed.causal_mask", &OpRun::runGenerator},
      {"heed.range", &OpRun::runGenerator},
      {"heed.sinusoidal_positions", &OpRun::runGenerator},
      {"heed.attention", &OpRun::runAttention},
      {"heed.additive_attention", &OpRun::runAdditiveAttention},
      {"heed.rnn_cell", &OpRun::runCell},
      {"heed.gru_cell", &OpRun::runCell},
      {"heed.lstm_cell", &OpRun::runCell},
      {"heed.rnn", &OpRun::runRecurrent},
      {"heed.gru", &OpRun::runRecurrent},
      {"heed.lstm", &OpRun::runRecurrent}};
  auto family = families.find(k);
  if (family == families.end())
    opFail("is unimplemented on vulkan");
  (this->*family->second)();
}

void OpRun::opFail(const std::string &m) const { fail(ErrorKind::runtime, where + " " + m); }

const DTensor &OpRun::in(size_t i) const {
  if (i >= op.operands.size())
    opFail("is missing operand " + std::to_string(i));
  const Slot &s = slots[size_t(op.operands[i])];
  if (!s.set || s.scalar)
    opFail("operand " + std::to_string(i) + " is not a tensor");
  return s.t;
}

int64_t OpRun::scalar(size_t i) const {
  const Slot &s = slots[size_t(op.operands[i])];
  if (!s.set || !s.scalar)
    opFail("operand " + std::to_string(i) + " is not a scalar");
  return s.s;
}

const ValueType &OpRun::resultType(size_t i) const {
  return function.values[size_t(op.results[i])];
}

void OpRun::out(size_t i, DTensor t) {
  const ValueType &vt = resultType(i);
  bool ok = !vt.scalar && vt.type == t.type && vt.dims.size() == t.shape.size();
  for (size_t d = 0; ok && d < vt.dims.size(); ++d)
    ok = vt.dims[d] < 0 || vt.dims[d] == t.shape[d];
  if (!ok)
    opFail("produced " + shapeString(t.shape, t.type) + " but its result is declared " + vt.str());
  Slot &s = slots[size_t(op.results[i])];
  s.t = std::move(t);
  s.scalar = false;
  s.set = true;
}

void OpRun::outScalar(size_t i, int64_t v) {
  Slot &s = slots[size_t(op.results[i])];
  s = Slot();
  s.s = v;
  s.scalar = true;
  s.set = true;
}

int64_t OpRun::axisOf(int64_t a, int64_t rank) const {
  int64_t r = a < 0 ? a + rank : a;
  if (r < 0 || r >= rank)
    opFail("axis " + std::to_string(a) + " is out of range for rank " + std::to_string(rank));
  return r;
}

void OpRun::expectF32(const DTensor &t, const std::vector<int64_t> &shape,
                      const std::string &what) const {
  if (t.type != ElemType::f32)
    opFail(what + " must be f32, got " + elemTypeName(t.type));
  if (t.shape != shape)
    opFail(what + " has shape " + shapeString(t.shape, t.type) + ", expected " +
           shapeString(shape, ElemType::f32));
}

OpRun::Rows OpRun::rowsAlongAxis(const DTensor &x) const {
  if (x.rank() == 0)
    opFail("expects rank >= 1");
  Rows rows;
  rows.axis = axisOf(op.getInt("axis", -1), x.rank());
  rows.outer = 1;
  rows.inner = 1;
  rows.n = x.shape[size_t(rows.axis)];
  for (int64_t d = 0; d < rows.axis; ++d)
    rows.outer *= x.shape[size_t(d)];
  for (int64_t d = rows.axis + 1; d < x.rank(); ++d)
    rows.inner *= x.shape[size_t(d)];
  return rows;
}

const Pipeline &OpRun::kernel(size_t i) const {
  if (!vkop->kernels() || i >= vkop->kernels()->size())
    opFail("has no vulkan kernel " + std::to_string(i));
  const Pipeline &p = ms.pipelines[size_t(vkop->kernels()->Get(uint32_t(i)))];
  if (!p.available())
    opFail("needs vulkan kernel '" + p.name + "', which this device cannot run");
  return p;
}

const Pipeline *OpRun::variant(size_t i) const {
  if (!vkop->kernels() || i >= vkop->kernels()->size())
    return nullptr;
  const Pipeline &p = ms.pipelines[size_t(vkop->kernels()->Get(uint32_t(i)))];
  return p.available() ? &p : nullptr;
}

const Pipeline &OpRun::rowKernel() const {
  const Pipeline *sg = variant(vkabi::RowKernel::subgroup);
  driver.note(where + ": " + (sg ? "subgroup" : "shared-memory") + " row reductions");
  return sg ? *sg : kernel(vkabi::RowKernel::shared);
}

DTensor OpRun::alloc(ElemType type, std::vector<int64_t> shape) const {
  return driver.alloc(type, std::move(shape), where);
}

void OpRun::copy(const DTensor &src, const DTensor &dst, const std::vector<int64_t> &dims,
                 const std::vector<int64_t> &inStrides, const std::vector<int64_t> &outStrides,
                 int64_t inBase, int64_t outBase) const {
  int64_t n = elementCount(dims);
  int rank = int(dims.size());
  vkabi::CopyPush push;
  push.count = int32_t(n);
  push.inBase = int32_t(inBase);
  push.outBase = int32_t(outBase);
  pack(push.shape, vkabi::copyDimsAt(), dims);
  pack(push.shape, vkabi::copyInStridesAt(rank), inStrides);
  pack(push.shape, vkabi::copyOutStridesAt(rank), outStrides);
  const Pipeline &p = kernel(0);
  dispatch(p, {src.buf.get(), dst.buf.get()}, push, ceilDiv(uint64_t(n), p.local));
}

//===----------------------------------------------------------------------===//
// Host-side ops: index arithmetic, shapes, constants
//===----------------------------------------------------------------------===//

void OpRun::runIndexArith() {
  if (k == "arith.constant")
    return outScalar(0, op.getInt("value", 0));
  if (k == "arith.index_cast")
    return outScalar(0, scalar(0));
  if (k == "arith.select")
    return outScalar(0, scalar(0) ? scalar(1) : scalar(2));
  int64_t r = 0;
  std::string error = evalIndexBinary(k, op.getInt("predicate", 0), scalar(0), scalar(1), r);
  if (!error.empty())
    opFail(error);
  outScalar(0, r);
}

void OpRun::runDim() {
  const DTensor &t = in(0);
  outScalar(0, t.shape[size_t(axisOf(op.getInt("dim", 0), t.rank()))]);
}

void OpRun::runConstant() {
  size_t idx = size_t(op.getInt("constant", 0));
  const Tensor &c = module.constants.at(idx);
  auto &buf = ms.constants[idx];
  if (!buf) {
    // Outside the pool: a pooled buffer could still be in use by a dispatch
    // recorded earlier in this command buffer when the host writes it.
    buf = driver.ownBuffer(c.bytes());
    driver.upload(*buf, c.data, c.bytes());
    driver.newConstants.push_back(idx);
  }
  DTensor t;
  t.buf = buf;
  t.type = c.type;
  t.shape = c.shape;
  out(0, t);
}

void OpRun::runReshape() {
  const DTensor &x = in(0);
  const Attr *spec = op.attr("shape");
  if (!spec)
    opFail("has no shape");
  std::vector<int64_t> shape;
  if (std::string error = reshapeShape(x.shape, x.type, spec->ints, shape); !error.empty())
    opFail(error);
  DTensor y = x;
  y.shape = shape;
  out(0, y);
}

//===----------------------------------------------------------------------===//
// Elementwise (broadcasting) and heed.full
//===----------------------------------------------------------------------===//

void OpRun::runElementwise() {
  const ValueType &vt = resultType(0);
  std::vector<const DTensor *> ins;
  std::vector<int64_t> shape;
  if (k == "heed.full") {
    size_t next = 0;
    for (int64_t d : vt.dims) {
      if (d >= 0) {
        shape.push_back(d);
        continue;
      }
      if (next >= op.operands.size())
        opFail("has fewer dynamic dims than its type needs");
      int64_t v = scalar(next++);
      if (v < 0)
        opFail("got negative dimension " + std::to_string(v));
      shape.push_back(v);
    }
  } else {
    for (size_t i = 0; i < op.operands.size(); ++i)
      ins.push_back(&in(i));
    size_t rank = 0;
    for (const DTensor *t : ins)
      rank = std::max(rank, t->shape.size());
    shape.assign(rank, 1);
    for (const DTensor *t : ins) {
      if (broadcastInto(shape, t->shape))
        continue;
      std::string shapes;
      for (const DTensor *u : ins)
        shapes += (shapes.empty() ? "" : " and ") + shapeString(u->shape, u->type);
      opFail("cannot broadcast operands of shapes " + shapes);
    }
  }
  DTensor y = alloc(vt.type, shape);
  int rank = int(shape.size());
  vkabi::ElementwisePush push;
  push.count = int32_t(y.count());
  pack(push.shape, vkabi::elementwiseDimsAt(), shape);
  std::vector<const Buffer *> bufs;
  for (size_t i = 0; i < ins.size(); ++i) {
    pack(push.shape, vkabi::elementwiseStridesAt(rank, int(i)),
         broadcastStrides(ins[i]->shape, shape));
    bufs.push_back(ins[i]->buf.get());
  }
  bufs.push_back(y.buf.get());
  const Pipeline &p = kernel(0);
  dispatch(p, bufs, push, ceilDiv(uint64_t(y.count()), p.local));
  out(0, y);
}

//===----------------------------------------------------------------------===//
// Layout: strided copies
//===----------------------------------------------------------------------===//

void OpRun::runTranspose() {
  const DTensor &x = in(0);
  const Attr *perm = op.attr("permutation");
  if (!perm || int64_t(perm->ints.size()) != x.rank())
    opFail("has a permutation that does not match rank " + std::to_string(x.rank()));
  size_t rank = size_t(x.rank());
  std::vector<int64_t> shape(rank), permStride(rank), inStride = contiguousStrides(x.shape);
  std::vector<bool> seen(rank, false);
  for (size_t i = 0; i < rank; ++i) {
    int64_t p = perm->ints[i];
    if (p < 0 || p >= int64_t(rank) || seen[size_t(p)])
      opFail("has an invalid permutation");
    seen[size_t(p)] = true;
    shape[i] = x.shape[size_t(p)];
    permStride[i] = inStride[size_t(p)];
  }
  DTensor y = alloc(x.type, shape);
  copy(x, y, shape, permStride, contiguousStrides(shape), 0, 0);
  out(0, y);
}

void OpRun::runBroadcast() {
  const DTensor &x = in(0), &like = in(1);
  size_t rank = std::max(x.shape.size(), like.shape.size());
  std::vector<int64_t> shape(rank, 1);
  if (!broadcastInto(shape, x.shape) || !broadcastInto(shape, like.shape))
    opFail("cannot broadcast " + shapeString(x.shape, x.type) + " like " +
           shapeString(like.shape, like.type));
  DTensor y = alloc(x.type, shape);
  copy(x, y, shape, broadcastStrides(x.shape, shape), contiguousStrides(shape), 0, 0);
  out(0, y);
}

void OpRun::runSlice() {
  const DTensor &x = in(0);
  if (x.rank() == 0)
    opFail("cannot slice a scalar");
  int64_t axis = axisOf(op.getInt("axis", 0), x.rank());
  int64_t n = x.shape[size_t(axis)];
  int64_t step = op.getInt("step", 1);
  if (step <= 0)
    opFail("expects a positive step");
  SliceRange range = sliceRange(n, op.getInt("start", 0),
                                op.getInt("end", std::numeric_limits<int64_t>::max()), step);
  int64_t start = range.start, len = range.length;
  std::vector<int64_t> shape = x.shape;
  shape[size_t(axis)] = len;
  DTensor y = alloc(x.type, shape);
  std::vector<int64_t> inStride = contiguousStrides(x.shape);
  int64_t base = start * inStride[size_t(axis)];
  inStride[size_t(axis)] *= step;
  copy(x, y, shape, inStride, contiguousStrides(shape), base, 0);
  out(0, y);
}

void OpRun::runConcat() {
  if (op.operands.empty())
    opFail("has no operands");
  const DTensor &first = in(0);
  if (first.rank() == 0)
    opFail("cannot concatenate scalars");
  int64_t axis = axisOf(op.getInt("axis", 0), first.rank());
  std::vector<int64_t> shape = first.shape;
  shape[size_t(axis)] = 0;
  for (size_t i = 0; i < op.operands.size(); ++i) {
    const DTensor &t = in(i);
    if (t.rank() != first.rank() || t.type != first.type)
      opFail("operand " + std::to_string(i) + " has type " + shapeString(t.shape, t.type) +
             ", unlike operand 0 " + shapeString(first.shape, first.type));
    for (int64_t d = 0; d < t.rank(); ++d)
      if (d != axis && t.shape[size_t(d)] != first.shape[size_t(d)])
        opFail("operand " + std::to_string(i) + " has shape " + shapeString(t.shape, t.type) +
               ", which differs from operand 0 off the concatenation axis");
    shape[size_t(axis)] += t.shape[size_t(axis)];
  }
  DTensor y = alloc(first.type, shape);
  std::vector<int64_t> outStride = contiguousStrides(shape);
  int64_t at = 0;
  for (size_t i = 0; i < op.operands.size(); ++i) {
    const DTensor &t = in(i);
    copy(t, y, t.shape, contiguousStrides(t.shape), outStride, 0, at * outStride[size_t(axis)]);
    at += t.shape[size_t(axis)];
  }
  out(0, y);
}

} // namespace heed::rt::vk
