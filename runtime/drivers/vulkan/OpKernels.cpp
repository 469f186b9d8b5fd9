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

//===----------------------------------------------------------------------===//
// The op context
//===----------------------------------------------------------------------===//

OpRun::OpRun(VulkanDriver &driver, VulkanDriver::ModuleState &ms, const Module &module,
             const Function &function, const PlanOp &op, std::vector<Slot> &slots,
             const fb::VkOp *vkop)
    : OpFrame(function, op, slots), driver(driver), ms(ms), module(module), vkop(vkop),
      where(OpFrame::where()), k(op.kind) {}

void OpRun::run() {
  // Families (heedFamily in HeedOps.td) in a switch without a default: a new family does not
  // build here (-Werror=switch) until it has a routine; a new op of a family with one routine
  // needs nothing here, and one of a family split by kind reaches the error below.
  switch (ops::family(op.opKind)) {
  case Family::Index:
    return runIndexArith(); // host side, exactly as the CPU driver
  case Family::Constant:
    return runConstant();
  case Family::Shape:
    if (op.opKind == OpKind::Dim)
      return runDim();
    if (op.opKind == OpKind::Reshape)
      return runReshape();
    break;
  case Family::Elementwise:
    return runElementwise();
  case Family::Copy:
    if (op.opKind == OpKind::Transpose)
      return runTranspose();
    if (op.opKind == OpKind::Broadcast)
      return runBroadcast();
    if (op.opKind == OpKind::Slice)
      return runSlice();
    if (op.opKind == OpKind::Concat)
      return runConcat();
    break;
  case Family::Matmul:
    return runMatmul();
  case Family::Linear:
    return runLinear();
  case Family::Softmax:
    return runSoftmax();
  case Family::LayerNorm:
    return runLayerNorm();
  case Family::Reduce:
    return runReduce();
  case Family::Select:
    return runArgmaxTopK();
  case Family::Gather:
    return runGather();
  case Family::Generator:
    return runGenerator();
  case Family::Attention:
    return runAttention();
  case Family::AdditiveAttention:
    return runAdditiveAttention();
  case Family::Cell:
    return runCell();
  case Family::Sequence:
    return runRecurrent();
  case Family::Scan:
    break; // the plan runner steps heed.scan
  }
  opFail("is unimplemented on vulkan");
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
  rows.axis = axisOf(op.getInt(AttrId::axis), x.rank());
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
                 int64_t inBase, int64_t outBase, size_t kernelIndex) const {
  int64_t n = elementCount(dims);
  int rank = int(dims.size());
  vkabi::CopyPush push;
  push.count = int32_t(n);
  push.inBase = int32_t(inBase);
  push.outBase = int32_t(outBase);
  pack(push.shape, vkabi::copyDimsAt(), dims);
  pack(push.shape, vkabi::copyInStridesAt(rank), inStrides);
  pack(push.shape, vkabi::copyOutStridesAt(rank), outStrides);
  const Pipeline &p = kernel(kernelIndex);
  dispatch(p, {src.buf.get(), dst.buf.get()}, push, ceilDiv(uint64_t(n), p.local));
}

//===----------------------------------------------------------------------===//
// Host-side ops: index arithmetic, shapes, constants
//===----------------------------------------------------------------------===//

void OpRun::runIndexArith() {
  if (op.opKind == OpKind::ArithConstant)
    return outScalar(0, op.getInt(AttrId::value));
  if (op.opKind == OpKind::ArithIndexCast)
    return outScalar(0, scalar(0));
  if (op.opKind == OpKind::ArithSelect)
    return outScalar(0, scalar(0) ? scalar(1) : scalar(2));
  int64_t r = 0;
  int64_t predicate = op.opKind == OpKind::ArithCmpi ? op.getInt(AttrId::predicate) : 0;
  std::string error = evalIndexBinary(k, predicate, scalar(0), scalar(1), r);
  if (!error.empty())
    opFail(error);
  outScalar(0, r);
}

void OpRun::runDim() {
  const DTensor &t = in(0);
  outScalar(0, t.shape[size_t(axisOf(op.getInt(AttrId::dim), t.rank()))]);
}

void OpRun::runConstant() {
  size_t idx = size_t(op.getInt(AttrId::constant));
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
  std::vector<int64_t> shape;
  if (std::string error = reshapeShape(x.shape, x.type, op.getInts(AttrId::shape), shape);
      !error.empty())
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
  if (op.opKind == OpKind::Full) {
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
  const std::vector<int64_t> &perm = op.getInts(AttrId::permutation);
  if (int64_t(perm.size()) != x.rank())
    opFail("has a permutation that does not match rank " + std::to_string(x.rank()));
  size_t rank = size_t(x.rank());
  std::vector<int64_t> shape(rank), permStride(rank), inStride = contiguousStrides(x.shape);
  std::vector<bool> seen(rank, false);
  for (size_t i = 0; i < rank; ++i) {
    int64_t p = perm[i];
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
  int64_t axis = axisOf(op.getInt(AttrId::axis), x.rank());
  int64_t n = x.shape[size_t(axis)];
  int64_t step = op.getInt(AttrId::step);
  if (step <= 0)
    opFail("expects a positive step");
  SliceRange range = sliceRange(n, op.getInt(AttrId::start), op.getInt(AttrId::end), step);
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
  int64_t axis = axisOf(op.getInt(AttrId::axis), first.rank());
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
