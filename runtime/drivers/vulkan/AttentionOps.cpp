//===- AttentionOps.cpp - Vulkan dispatches of the attention ops ------------===//
//
// heed.attention (flash, or split-K when few query rows walk many keys) and
// heed.additive_attention (one row kernel); the layouts match the CPU driver.
//
//===----------------------------------------------------------------------===//

#include "runtime/drivers/ShapeRules.h"
#include "runtime/drivers/vulkan/OpRun.h"
#include "runtime/drivers/vulkan/abi/AdditiveAttention.h"
#include "runtime/drivers/vulkan/abi/Attention.h"

#include <algorithm>
#include <array>

namespace heed::rt::vk {

void OpRun::checkMask(const DTensor &m, int64_t bits, int64_t B, const std::vector<int64_t> &sDims,
                      const std::vector<int> &pos, std::array<int64_t, 4> &strides) const {
  if (bits & vkabi::kLengths) {
    if (m.rank() != 1 || m.shape[0] != B)
      opFail("expects key lengths [" + std::to_string(B) + "], got " +
             shapeString(m.shape, m.type));
    if (m.type != ElemType::i32 && m.type != ElemType::i64)
      opFail("expects integer key lengths");
    return;
  }
  if (std::string error = maskStrides(m.shape, m.type, sDims, pos, strides); !error.empty())
    opFail(error);
  if ((bits & vkabi::kAdditive) && m.type != ElemType::f32)
    opFail("expects an f32 additive mask");
  if ((bits & vkabi::kBoolean) && m.type != ElemType::boolean)
    opFail("expects an i1 boolean mask");
}

void OpRun::runAttention() {
  const DTensor &q = in(0), &kk = in(1), &v = in(2);
  for (const DTensor *t : {&q, &kk, &v})
    if (t->type != ElemType::f32)
      opFail("supports only f32 query, key and value");
  // Strides (batch, head, row) of q, k, v, out: the CPU driver's layouts (ShapeRules.h).
  AttentionLayout l;
  if (std::string error =
          attentionLayout(q.shape, kk.shape, v.shape, q.type, op.getInt(AttrId::num_heads),
                          op.getInt(AttrId::num_kv_heads), l);
      !error.empty())
    opFail(error);
  const int64_t B = l.batch, H = l.heads, Hkv = l.kvHeads, Lq = l.queryLength, Lk = l.keyLength,
                D = l.headDim, Dv = l.valueDim;
  const std::array<int64_t, 3> &qs = l.query, &ks = l.key, &vs = l.value, &os = l.output;
  const std::vector<int64_t> &outShape = l.outShape, &sDims = l.scoresShape;
  const std::vector<int> &pos = l.scoresPos;
  if (D > vkabi::kMaxHeadDim || Dv > vkabi::kMaxHeadDim)
    opFail("has a head dim above " + std::to_string(vkabi::kMaxHeadDim) +
           " (the vulkan attention kernel's limit)");
  int64_t bits = op.getInt(AttrId::mask_kind);
  std::array<int64_t, 4> maskStrides{}; // [B, H, Lq, Lk]
  std::vector<const Buffer *> bufs{q.buf.get(), kk.buf.get(), v.buf.get()};
  if (bits & vkabi::kMaskOperand) {
    if (op.operands.size() < 4)
      opFail("has a mask kind that needs a mask operand");
    const DTensor &m = in(3);
    checkMask(m, bits, B, sDims, pos, maskStrides);
    bufs.push_back(m.buf.get());
  }
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
  if (op.operands.size() < 5)
    opFail("expects query, keys_proj, values, w_query and v");
  const DTensor &q = in(0), &kp = in(1), &vals = in(2), &wq = in(3), &v = in(4);
  for (const DTensor *t : {&q, &kp, &vals, &wq, &v})
    if (t->type != ElemType::f32)
      opFail("supports only f32 operands");
  bool step = q.rank() == 2;
  if ((q.rank() != 2 && q.rank() != 3) || kp.rank() != 3 || vals.rank() != 3 || wq.rank() != 2 ||
      v.rank() != 1)
    opFail("expects query [B, Dq] or [B, Lq, Dq], keys_proj [B, Lk, A], values [B, Lk, Dv], "
           "w_query [A, Dq] and v [A]");
  int64_t B = q.shape[0], Lq = step ? 1 : q.shape[1], Dq = q.shape.back(), Lk = kp.shape[1],
          A = kp.shape[2], Dv = vals.shape[2];
  if (kp.shape[0] != B || vals.shape[0] != B || vals.shape[1] != Lk || wq.shape[0] != A ||
      wq.shape[1] != Dq || v.shape[0] != A)
    opFail("has inconsistent shapes: query " + shapeString(q.shape, q.type) + ", keys_proj " +
           shapeString(kp.shape, kp.type) + ", values " + shapeString(vals.shape, vals.type) +
           ", w_query " + shapeString(wq.shape, wq.type) + ", v " + shapeString(v.shape, v.type));
  if (A > vkabi::kMaxAdditiveDim || Dv > vkabi::kMaxAdditiveDim)
    opFail("has an attention or value dim above " + std::to_string(vkabi::kMaxAdditiveDim) +
           " (the vulkan kernel's limit)");
  std::vector<const Buffer *> bufs{q.buf.get(), kp.buf.get(), vals.buf.get(), wq.buf.get(),
                                   v.buf.get()};
  int64_t bits = op.getInt(AttrId::mask_kind);
  std::array<int64_t, 4> maskStrides{}; // [B, Lq, Lk] and one unused
  if (bits & vkabi::kMaskOperand) {
    if (op.operands.size() < 6)
      opFail("has a mask kind that needs a mask operand");
    const DTensor &m = in(5);
    checkMask(m, bits, B, step ? std::vector<int64_t>{B, Lk} : std::vector<int64_t>{B, Lq, Lk},
              step ? std::vector<int>{0, 2} : std::vector<int>{0, 1, 2}, maskStrides);
    bufs.push_back(m.buf.get());
  }
  DTensor o =
      alloc(ElemType::f32, step ? std::vector<int64_t>{B, Dv} : std::vector<int64_t>{B, Lq, Dv});
  bufs.push_back(o.buf.get());
  DTensor w;
  bool wantWeights = op.results.size() > 1;
  if (wantWeights) {
    w = alloc(ElemType::f32, step ? std::vector<int64_t>{B, Lk} : std::vector<int64_t>{B, Lq, Lk});
    bufs.push_back(w.buf.get());
  }
  vkabi::AdditiveAttentionPush push;
  push.batch = int32_t(B);
  push.queryLength = int32_t(Lq);
  push.queryDim = int32_t(Dq);
  push.keyLength = int32_t(Lk);
  push.attentionDim = int32_t(A);
  push.valueDim = int32_t(Dv);
  for (int i = 0; i < 3; ++i)
    push.maskStrides[i] = int32_t(maskStrides[size_t(i)]);
  if (B * Lq > 0)
    dispatch(rowKernel(), bufs, push, uint64_t(B * Lq));
  out(0, o);
  if (wantWeights)
    out(1, w);
}

} // namespace heed::rt::vk
