//===- OpKernels.cpp - One plan op as Vulkan dispatches ---------------------===//
//
// The op context (OpRun.h), dispatch by kind, and the host-side, layout and
// elementwise ops.
//
//===----------------------------------------------------------------------===//

#include "runtime/core/IndexArith.h"
#include "runtime/drivers/rules/DataRules.h"
#include "runtime/drivers/rules/NnRules.h"
#include "runtime/drivers/vulkan/OpRun.h"
#include "runtime/drivers/vulkan/abi/Copy.h"
#include "runtime/drivers/vulkan/abi/Elementwise.h"
#include "runtime/drivers/vulkan/abi/Rows.h"

#include <algorithm>
#include <limits>
#include <string_view>

namespace heed::rt::vk {

// VulkanDriver.h's names for the rules' strides (the executor steps scan with them).
std::vector<int64_t> contiguousStrides(const std::vector<int64_t> &shape) {
  return rt::contiguousStrides(shape);
}

std::vector<int64_t> broadcastStrides(const std::vector<int64_t> &shape,
                                      const std::vector<int64_t> &out) {
  return rt::broadcastStrides(shape, out);
}

//===----------------------------------------------------------------------===//
// The op context
//===----------------------------------------------------------------------===//

OpRun::OpRun(VulkanDriver &driver, VulkanDriver::ModuleState &ms, const Module &module,
             const Function &function, const PlanOp &op, std::vector<Slot> &slots,
             const fb::VkOp *vkop)
    : OpFrame(function, op, slots), driver(driver), ms(ms), module(module), vkop(vkop),
      where(OpFrame::where()) {}

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
    if (op.opKind == OpKind::Reshape || op.opKind == OpKind::ReshapeDynamic)
      return runReshape();
    if (op.opKind == OpKind::Extract)
      return runExtract();
    if (op.opKind == OpKind::Check)
      return evalCheck();
    break;
  case Family::Elementwise:
    return runElementwise();
  case Family::Copy:
    if (op.opKind == OpKind::Transpose)
      return runTranspose();
    if (op.opKind == OpKind::Broadcast)
      return runBroadcast();
    if (op.opKind == OpKind::Slice || op.opKind == OpKind::SliceDynamic)
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
  std::string error = evalIndexBinary(op.opKind, predicate, scalar(0), scalar(1), r);
  if (!error.empty())
    opFail(error);
  outScalar(0, r);
}

void OpRun::runDim() {
  const DTensor &t = in(0);
  outScalar(0, t.shape[size_t(axisOf(op.getInt(AttrId::dim), t.rank()))]);
}

void OpRun::runExtract() {
  const DTensor &t = in(0);
  int64_t i = op.getInt(AttrId::index);
  check(extractCheck(t.shape, t.type, i));
  driver.note(where + ": reads a tensor back to the host (a submission mid-function)");
  std::vector<uint8_t> bytes = driver.readBackNow(t, function.name);
  outScalar(0, loadIndex(bytes.data(), t.type, i));
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
  if (op.opKind == OpKind::ReshapeDynamic) {
    std::vector<int64_t> spec;
    for (size_t i = 1; i < op.operands.size(); ++i)
      spec.push_back(scalar(i));
    check(reshapeShape(x.shape, x.type, spec, shape, op.getBool(AttrId::allowzero)));
  } else {
    check(reshapeShape(x.shape, x.type, op.getInts(AttrId::shape), shape));
  }
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
  BroadcastLayout layout;
  if (op.opKind == OpKind::Full) {
    std::vector<int64_t> dynamic;
    for (size_t i = 0; i < op.operands.size(); ++i)
      dynamic.push_back(scalar(i));
    check(fullShape(vt.dims, dynamic, shape));
  } else {
    std::vector<TypedShape> shapes;
    for (size_t i = 0; i < op.operands.size(); ++i) {
      ins.push_back(&in(i));
      shapes.push_back(typedShape(in(i)));
    }
    check(op.opKind == OpKind::Rotary ? rotaryLayout(shapes[0], shapes[1], shapes[2], layout)
                                      : broadcastOperands(shapes, layout));
    shape = layout.shape;
  }
  DTensor y = alloc(vt.type, shape);
  int rank = int(shape.size());
  vkabi::ElementwisePush push;
  push.count = int32_t(y.count());
  pack(push.shape, vkabi::elementwiseDimsAt(), shape);
  std::vector<const Buffer *> bufs;
  for (size_t i = 0; i < ins.size(); ++i) {
    pack(push.shape, vkabi::elementwiseStridesAt(rank, int(i)), layout.strides[i]);
    bufs.push_back(ins[i]->buf.get());
  }
  bufs.push_back(y.buf.get());
  const Pipeline &p = kernel(0);
  // Integer heed.div's kernel has a status binding for zero divisors (abi/Elementwise.h).
  if (p.bindings == bufs.size() + 1) {
    VulkanDriver::Check c = driver.newCheck();
    c.where = where;
    c.message = "divides by zero";
    push.statusSlot = int32_t(c.slot);
    bufs.push_back(c.status.get());
    driver.checks.push_back(std::move(c));
  }
  dispatch(p, bufs, push, ceilDiv(uint64_t(y.count()), p.local));
  out(0, y);
}

//===----------------------------------------------------------------------===//
// Layout: strided copies
//===----------------------------------------------------------------------===//

void OpRun::runTranspose() {
  const DTensor &x = in(0);
  TransposeLayout l;
  check(transposeLayout(x.shape, op.getInts(AttrId::permutation), l));
  DTensor y = alloc(x.type, l.shape);
  copy(x, y, l.shape, l.strides, contiguousStrides(l.shape), 0, 0);
  out(0, y);
}

void OpRun::runBroadcast() {
  const DTensor &x = in(0), &like = in(1);
  BroadcastLikeLayout l;
  check(broadcastLike(typedShape(x), typedShape(like), l));
  DTensor y = alloc(x.type, l.shape);
  copy(x, y, l.shape, l.strides, contiguousStrides(l.shape), 0, 0);
  out(0, y);
}

void OpRun::runSlice() {
  const DTensor &x = in(0);
  SliceLayout l;
  int64_t a = op.getInt(AttrId::axis);
  if (op.opKind == OpKind::SliceDynamic)
    check(sliceDynamicLayout(x.shape, a, scalar(1), scalar(2), scalar(3), l));
  else
    check(sliceLayout(x.shape, a, op.getInt(AttrId::start), op.getInt(AttrId::end),
                      op.getInt(AttrId::step), l));
  DTensor y = alloc(x.type, l.shape);
  std::vector<int64_t> inStride = contiguousStrides(x.shape);
  size_t axis = size_t(l.view.axis);
  int64_t base = l.start * inStride[axis];
  inStride[axis] *= l.step;
  copy(x, y, l.shape, inStride, contiguousStrides(l.shape), base, 0);
  out(0, y);
}

void OpRun::runConcat() {
  std::vector<TypedShape> shapes;
  for (size_t i = 0; i < op.operands.size(); ++i)
    shapes.push_back(typedShape(in(i)));
  ConcatLayout l;
  check(concatLayout(shapes, op.getInt(AttrId::axis), l));
  DTensor y = alloc(in(0).type, l.shape);
  std::vector<int64_t> outStride = contiguousStrides(l.shape);
  size_t axis = size_t(l.view.axis);
  int64_t at = 0;
  for (size_t i = 0; i < op.operands.size(); ++i) {
    const DTensor &t = in(i);
    copy(t, y, t.shape, contiguousStrides(t.shape), outStride, 0, at * outStride[axis]);
    at += t.shape[axis];
  }
  out(0, y);
}

} // namespace heed::rt::vk
