//===- AttentionOps.cpp - Vulkan dispatches of the attention ops ------------===//
//
// heed.attention (flash, or split-K when few query rows walk many keys) and
// heed.additive_attention (one row kernel); the layouts match the CPU driver.
//
//===----------------------------------------------------------------------===//

#include "runtime/drivers/rules/AttentionRules.h"
#include "runtime/drivers/vulkan/OpRun.h"
#include "runtime/drivers/vulkan/abi/AdditiveAttention.h"
#include "runtime/drivers/vulkan/abi/Attention.h"

#include <algorithm>
#include <array>
#include <optional>

namespace heed::rt::vk {

const DTensor *OpRun::checkMask(size_t at, int64_t batch, const std::vector<int64_t> &scores,
                                const std::vector<int> &pos,
                                std::array<int64_t, 4> &strides) const {
  strides = {0, 0, 0, 0};
  int64_t bits = op.getInt(AttrId::mask_kind);
  if (!(bits & vkabi::kMaskOperand))
    return nullptr;
  MaskOperand kind = bits & vkabi::kLengths    ? MaskOperand::lengths
                     : bits & vkabi::kAdditive ? MaskOperand::additive
                                               : MaskOperand::boolean;
  std::optional<TypedShape> mask;
  if (op.operands.size() > at)
    mask.emplace(typedShape(in(at)));
  check(attentionMask(mask ? &*mask : nullptr, kind, batch, scores, pos, strides));
  return &in(at);
}

void OpRun::runAttention() {
  const DTensor &q = in(0), &kk = in(1), &v = in(2);
  for (const DTensor *t : {&q, &kk, &v})
    if (t->type != ElemType::f32)
      opFail("supports only f32 query, key and value");
  // Strides (batch, head, row) of q, k, v, out: the CPU driver's layouts (AttentionRules.h).
  AttentionLayout l;
  check(attentionLayout(q.shape, kk.shape, v.shape, q.type, op.getInt(AttrId::num_heads),
                        op.getInt(AttrId::num_kv_heads), l));
  const int64_t B = l.batch, H = l.heads, Hkv = l.kvHeads, Lq = l.queryLength, Lk = l.keyLength,
                D = l.headDim, Dv = l.valueDim;
  const std::array<int64_t, 3> &qs = l.query, &ks = l.key, &vs = l.value, &os = l.output;
  const std::vector<int64_t> &outShape = l.outShape, &sDims = l.scoresShape;
  const std::vector<int> &pos = l.scoresPos;
  if (D > vkabi::kMaxHeadDim || Dv > vkabi::kMaxHeadDim)
    opFail("has a head dim above " + std::to_string(vkabi::kMaxHeadDim) +
           " (the vulkan attention kernel's limit)");
  std::array<int64_t, 4> maskStrides{}; // [B, H, Lq, Lk]
  std::vector<const Buffer *> bufs{q.buf.get(), kk.buf.get(), v.buf.get()};
  if (const DTensor *m = checkMask(3, B, sDims, pos, maskStrides))
    bufs.push_back(m->buf.get());
  DTensor out0 = alloc(ElemType::f32, outShape);
  bufs.push_back(out0.buf.get());
  DTensor w;
  bool wantWeights = op.results.size() > 1;
  if (wantWeights) {
    w = alloc(ElemType::f32, sDims);
    bufs.push_back(w.buf.get());
  }
  int64_t shift = op.getInt(AttrId::causal_align) == 1 ? Lk - Lq : 0;
  int64_t nqb = (Lq + vkabi::kQueryBlock - 1) / vkabi::kQueryBlock;
  vkabi::AttentionPush push;
  push.batch = int32_t(B);
  push.heads = int32_t(H);
  push.group = int32_t(H / std::max<int64_t>(Hkv, 1));
  push.queryLength = int32_t(Lq);
  push.keyLength = int32_t(Lk);
  push.headDim = int32_t(D);
  push.valueDim = int32_t(Dv);
  push.causalShift = int32_t(shift);
  for (int i = 0; i < 3; ++i) {
    push.qStrides[i] = int32_t(qs[size_t(i)]);
    push.kStrides[i] = int32_t(ks[size_t(i)]);
    push.vStrides[i] = int32_t(vs[size_t(i)]);
    push.outStrides[i] = int32_t(os[size_t(i)]);
  }
  for (int i = 0; i < 4; ++i)
    push.maskStrides[i] = int32_t(maskStrides[size_t(i)]);
  push.queryBlocks = int32_t(nqb);
  // Split-K pays off when few query rows leave most of a flash workgroup idle while it walks many
  // keys (decoding); HEED_VULKAN_SPLIT_K=0 never uses it, =1 whenever the op has it.
  using vkabi::AttentionKernel;
  constexpr int64_t kSplitKeys = 256;
  const Pipeline *splitSg = variant(AttentionKernel::splitSubgroup),
                 *split = splitSg ? splitSg : variant(AttentionKernel::split),
                 *combine = variant(AttentionKernel::combine);
  bool splitK = split && combine && !wantWeights && !envIs("HEED_VULKAN_SPLIT_K", "0") &&
                (envIs("HEED_VULKAN_SPLIT_K", "1") || (Lq <= 4 && Lk > kSplitKeys));
  if (B * H * Lq == 0) {
    // Nothing to compute.
  } else if (splitK) {
    int64_t splits = std::max<int64_t>(1, (Lk + kSplitKeys - 1) / kSplitKeys);
    driver.note(where + ": split-K attention, " + std::to_string(splits) + " splits of " +
                std::to_string(kSplitKeys) + " keys, " +
                (splitSg ? "subgroup reductions" : "shared-memory reductions"));
    push.splitKeys = int32_t(kSplitKeys);
    push.splits = int32_t(splits);
    // Per (batch, head, row, split): max, sum, NaN seen, Dv accumulators.
    DTensor scratch = alloc(ElemType::f32, {B * H * Lq * splits, Dv + 3});
    std::vector<const Buffer *> splitBufs = bufs; // q, k, v, [mask], scratch
    splitBufs.back() = scratch.buf.get();
    dispatch(*split, splitBufs, push, uint64_t(B * H * Lq * splits));
    dispatch(*combine, {scratch.buf.get(), out0.buf.get()}, push,
             ceilDiv(uint64_t(B * H * Lq * Dv), combine->local));
  } else {
    const Pipeline *flash = variant(AttentionKernel::flashSubgroup);
    driver.note(where + ": flash attention, " +
                (flash ? "subgroup reductions" : "shared-memory reductions"));
    dispatch(flash ? *flash : kernel(AttentionKernel::flash), bufs, push, uint64_t(B * H * nqb));
  }
  out(0, out0);
  if (wantWeights)
    out(1, w);
}

void OpRun::runAdditiveAttention() {
  std::vector<TypedShape> operands;
  for (size_t i = 0; i < std::min<size_t>(op.operands.size(), 5); ++i) {
    if (in(i).type != ElemType::f32)
      opFail("supports only f32 operands");
    operands.push_back(typedShape(in(i)));
  }
  AdditiveAttentionLayout l;
  check(additiveAttentionLayout(operands, l));
  const DTensor &q = in(0), &kp = in(1), &vals = in(2), &wq = in(3), &v = in(4);
  int64_t B = l.batch, Lq = l.queryLength, Dq = l.queryDim, Lk = l.keyLength, A = l.attentionDim,
          Dv = l.valueDim;
  if (A > vkabi::kMaxAdditiveDim || Dv > vkabi::kMaxAdditiveDim)
    opFail("has an attention or value dim above " + std::to_string(vkabi::kMaxAdditiveDim) +
           " (the vulkan kernel's limit)");
  std::vector<const Buffer *> bufs{q.buf.get(), kp.buf.get(), vals.buf.get(), wq.buf.get(),
                                   v.buf.get()};
  std::array<int64_t, 4> maskStrides{}; // [B, H, Lq, Lk], H unused
  if (const DTensor *m = checkMask(5, B, l.scoresShape, l.scoresPos, maskStrides))
    bufs.push_back(m->buf.get());
  DTensor o = alloc(ElemType::f32, l.outShape);
  bufs.push_back(o.buf.get());
  DTensor w;
  bool wantWeights = op.results.size() > 1;
  if (wantWeights) {
    w = alloc(ElemType::f32, l.scoresShape);
    bufs.push_back(w.buf.get());
  }
  vkabi::AdditiveAttentionPush push;
  push.batch = int32_t(B);
  push.queryLength = int32_t(Lq);
  push.queryDim = int32_t(Dq);
  push.keyLength = int32_t(Lk);
  push.attentionDim = int32_t(A);
  push.valueDim = int32_t(Dv);
  push.maskStrides[0] = int32_t(maskStrides[0]);
  push.maskStrides[1] = int32_t(maskStrides[2]);
  push.maskStrides[2] = int32_t(maskStrides[3]);
  if (B * Lq > 0)
    dispatch(rowKernel(), bufs, push, uint64_t(B * Lq));
  out(0, o);
  if (wantWeights)
    out(1, w);
}

} // namespace heed::rt::vk
