//===- RecurrentOps.cpp - Vulkan dispatches of the recurrent ops ------------===//
//
// One step kernel per cell, and whole sequences as one dispatch per step,
// layer and direction (the state ping-pongs between two buffers).
//
//===----------------------------------------------------------------------===//

#include "runtime/drivers/rules/RecurrentRules.h"
#include "runtime/drivers/vulkan/OpRun.h"
#include "runtime/drivers/vulkan/abi/Copy.h"
#include "runtime/drivers/vulkan/abi/Recurrent.h"

#include <tuple>

namespace heed::rt::vk {

void OpRun::runCell() {
  bool lstm = op.opKind == OpKind::LstmCell;
  int64_t G = lstm ? 4 : op.opKind == OpKind::GruCell ? 3 : 1;
  std::vector<TypedShape> operands;
  for (size_t i = 0; i < op.operands.size(); ++i)
    operands.push_back(typedShape(in(i)));
  CellLayout l;
  check(cellLayout(operands, lstm, G, l));
  int64_t B = l.batch, I = l.input, H = l.hidden;
  std::vector<const Buffer *> bufs;
  for (size_t i = 0; i < op.operands.size(); ++i)
    bufs.push_back(in(i).buf.get());
  DTensor ho = alloc(ElemType::f32, {B, H}), co;
  bufs.push_back(ho.buf.get());
  if (lstm) {
    co = alloc(ElemType::f32, {B, H});
    bufs.push_back(co.buf.get());
  }
  vkabi::CellPush push;
  push.count = int32_t(B * H);
  push.inputSize = int32_t(I);
  push.hiddenSize = int32_t(H);
  const Pipeline &p = kernel(0);
  dispatch(p, bufs, push, ceilDiv(uint64_t(B * H), p.local));
  out(0, ho);
  if (lstm)
    out(1, co);
}

void OpRun::runRecurrent() {
  bool lstm = op.opKind == OpKind::Lstm;
  int64_t G = lstm ? 4 : op.opKind == OpKind::Gru ? 3 : 1;
  size_t g = 0;
  auto [xAt, nx] = op.segment(g++);
  auto [h0At, nh0] = op.segment(g++);
  size_t c0At = 0, nc0 = 0;
  if (lstm)
    std::tie(c0At, nc0) = op.segment(g++);
  auto [lenAt, nlen] = op.segment(g++);
  auto [wAt, nw] = op.segment(g++);
  (void)nx;
  const DTensor &xin = in(xAt);
  if (op.getBool(AttrId::reverse) || op.has(AttrId::clip) ||
      (lstm && (op.getBool(AttrId::peepholes) || op.getBool(AttrId::input_forget))))
    opFail("uses reverse, clip, peepholes or input_forget, which are unimplemented on vulkan");
  SequenceAttrs attrs;
  attrs.gates = G;
  attrs.hidden = op.getInt(AttrId::hidden_size);
  attrs.layers = op.getInt(AttrId::num_layers);
  attrs.batchFirst = op.getBool(AttrId::batch_first);
  attrs.bidirectional = op.getBool(AttrId::bidirectional);
  attrs.biases = op.getBool(AttrId::has_biases);
  SequenceLayout sl;
  check(sequenceLayout(typedShape(xin), attrs, nw, sl));
  std::vector<TypedShape> weights;
  for (size_t i = wAt; i < wAt + nw; ++i)
    weights.push_back(typedShape(in(i)));
  check(sequenceWeights(sl, weights));
  bool batchFirst = attrs.batchFirst;
  int64_t T = sl.steps, B = sl.batch, I = sl.input, H = sl.hidden, L = sl.layers, D = sl.directions;
  size_t perDir = sl.perDirection;
  const std::vector<int64_t> &stateShape = sl.stateShape;
  if (nh0)
    check(sequenceInitialState(sl, typedShape(in(h0At)), false));
  if (nc0)
    check(sequenceInitialState(sl, typedShape(in(c0At)), true));
  const DTensor *lens = nullptr;
  if (nlen) {
    lens = &in(lenAt);
    check(sequenceLengths(sl, typedShape(*lens)));
  }
  DTensor hN = alloc(ElemType::f32, stateShape), cN;
  if (lstm)
    cN = alloc(ElemType::f32, stateShape);
  VulkanDriver::Check lengthCheck; // the lengths, checked on the device
  if (lens) {
    lengthCheck = driver.newCheck();
    lengthCheck.where = where;
    lengthCheck.ids = *lens;
    lengthCheck.n = T;
    lengthCheck.lengths = true;
  }
  if (T == 0)
    opFail("has an empty sequence (T = 0 is unimplemented on vulkan)");
  const Pipeline &step = kernel(vkabi::RecurrentKernel::step);
  std::shared_ptr<Buffer> status = lens ? lengthCheck.status : driver.acquire(4);
  DTensor X = xin, Y;
  int64_t inDim = I, xsT = batchFirst ? I : B * I, xsB = batchFirst ? T * I : I;
  DTensor hA = alloc(ElemType::f32, {B, H}), hB = alloc(ElemType::f32, {B, H});
  DTensor cA, cB;
  if (lstm) {
    cA = alloc(ElemType::f32, {B, H});
    cB = alloc(ElemType::f32, {B, H});
  }
  for (int64_t l = 0; l < L; ++l) {
    Y = alloc(ElemType::f32, {T, B, D * H});
    for (int64_t d = 0; d < D; ++d) {
      size_t w = wAt + size_t(l * D + d) * perDir;
      int64_t state = (l * D + d) * B * H;
      const DTensor *hPrev = nh0 ? &in(h0At) : &hA, *cPrev = nc0 ? &in(c0At) : &cA;
      int64_t hBase = nh0 ? state : 0, cBase = nc0 ? state : 0;
      bool zeroH = !nh0, zeroC = !nc0;
      for (int64_t sIdx = 0; sIdx < T; ++sIdx) {
        int64_t t = d == 0 ? sIdx : T - 1 - sIdx;
        DTensor &hNext = (sIdx % 2 == 0) ? hB : hA;
        DTensor &cNext = (sIdx % 2 == 0) ? cB : cA;
        std::vector<const Buffer *> bufs{X.buf.get(), hPrev->buf.get()};
        if (lstm)
          bufs.push_back(cPrev->buf.get());
        for (size_t i = 0; i < perDir; ++i)
          bufs.push_back(in(w + i).buf.get());
        if (lens)
          bufs.push_back(lens->buf.get());
        bufs.push_back(Y.buf.get());
        bufs.push_back(hNext.buf.get());
        if (lstm)
          bufs.push_back(cNext.buf.get());
        bufs.push_back(hN.buf.get());
        if (lstm)
          bufs.push_back(cN.buf.get());
        bufs.push_back(status.get());
        vkabi::RecurrentStepPush push;
        push.count = int32_t(B * H);
        push.inputSize = int32_t(inDim);
        push.hiddenSize = int32_t(H);
        push.step = int32_t(t);
        push.x[0] = int32_t(xsT);
        push.x[1] = int32_t(xsB);
        push.hPrevBase = int32_t(hBase);
        push.zeroHPrev = zeroH ? 1 : 0;
        push.yRowStride = int32_t(D * H);
        push.yOffset = int32_t(d * H);
        push.stateBase = int32_t(state);
        push.cPrevBase = int32_t(cBase);
        push.zeroCPrev = zeroC ? 1 : 0;
        push.steps = int32_t(T);
        push.statusSlot = int32_t(lens ? lengthCheck.slot : 0);
        dispatch(step, bufs, push, ceilDiv(uint64_t(B * H), step.local));
        hPrev = &hNext;
        cPrev = &cNext;
        hBase = cBase = 0;
        zeroH = zeroC = false;
      }
    }
    X = Y;
    inDim = D * H;
    xsT = B * D * H;
    xsB = D * H;
  }
  if (lens)
    driver.checks.push_back(lengthCheck);
  DTensor result = Y;
  if (batchFirst) {
    result = alloc(ElemType::f32, {B, T, D * H});
    std::vector<int64_t> dims{B, T, D * H}, inSt{D * H, B * D * H, 1};
    int64_t n = elementCount(dims);
    vkabi::CopyPush push;
    push.count = int32_t(n);
    pack(push.shape, vkabi::copyDimsAt(), dims);
    pack(push.shape, vkabi::copyInStridesAt(3), inSt);
    pack(push.shape, vkabi::copyOutStridesAt(3), contiguousStrides(dims));
    const Pipeline &cp = kernel(vkabi::RecurrentKernel::batchFirstCopy);
    dispatch(cp, {Y.buf.get(), result.buf.get()}, push, ceilDiv(uint64_t(n), cp.local));
  }
  out(0, result);
  out(1, hN);
  if (lstm)
    out(2, cN);
}

} // namespace heed::rt::vk
