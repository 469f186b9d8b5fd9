//===- AttentionRules.cpp - Shape rules of the attention ops --------------===//
//
// How both drivers read the attention ops' operands and masks (see AttentionRules.h for each
// rule).
//
//===----------------------------------------------------------------------===//

#include "runtime/drivers/rules/AttentionRules.h"

namespace heed::rt {

namespace {
bool broadcastsTo(int64_t dim, int64_t to) { return dim == to || dim == 1; }
} // namespace

std::string attentionLayout(const std::vector<int64_t> &q, const std::vector<int64_t> &k,
                            const std::vector<int64_t> &v, ElemType type, int64_t numHeads,
                            int64_t numKvHeads, AttentionLayout &l) {
  auto inconsistent = [&] {
    return "has inconsistent query " + shapeString(q, type) + ", key " + shapeString(k, type) +
           " and value " + shapeString(v, type);
  };
  if (numHeads > 0) {
    if (q.size() != 3 || k.size() != 3 || v.size() != 3)
      return "with num_heads expects [B, L, H*D] query, key and value";
    int64_t kvHeads = numKvHeads > 0 ? numKvHeads : numHeads;
    if (numHeads % kvHeads != 0)
      return "num_kv_heads " + std::to_string(kvHeads) + " does not divide num_heads " +
             std::to_string(numHeads);
    if (q[2] % numHeads || k[2] % kvHeads || v[2] % kvHeads)
      return "has feature dims not divisible by the head counts";
    l.batch = q[0], l.heads = numHeads, l.kvHeads = kvHeads;
    l.queryLength = q[1], l.keyLength = k[1];
    l.headDim = q[2] / numHeads, l.valueDim = v[2] / kvHeads;
    // A key or value batch of 1 broadcasts against the queries' (batch stride 0).
    if (!broadcastsTo(k[0], l.batch) || !broadcastsTo(v[0], l.batch) || v[1] != l.keyLength ||
        k[2] / kvHeads != l.headDim)
      return inconsistent();
    l.query = {l.queryLength * q[2], l.headDim, q[2]};
    l.key = {k[0] == 1 ? 0 : l.keyLength * k[2], l.headDim, k[2]};
    l.value = {v[0] == 1 ? 0 : l.keyLength * v[2], l.valueDim, v[2]};
    l.output = {l.queryLength * numHeads * l.valueDim, l.valueDim, numHeads * l.valueDim};
    l.outShape = {l.batch, l.queryLength, numHeads * l.valueDim};
    l.scoresShape = {l.batch, numHeads, l.queryLength, l.keyLength};
    l.scoresPos = {0, 1, 2, 3};
    return "";
  }
  const size_t r = q.size();
  if (r < 2 || r > 4 || k.size() != r || v.size() != r)
    return "expects query, key and value of the same rank 2, 3 or 4";
  auto dimOr1 = [](const std::vector<int64_t> &t, size_t fromEnd) {
    return t.size() >= fromEnd ? t[t.size() - fromEnd] : 1;
  };
  l.batch = r >= 3 ? q[0] : 1;
  l.heads = r == 4 ? q[1] : 1;
  // Key and value batches each either match the queries' or are 1 (broadcast: batch stride 0).
  int64_t kb = r >= 3 ? k[0] : 1, vb = r >= 3 ? v[0] : 1, kh = r == 4 ? k[1] : 1;
  l.queryLength = dimOr1(q, 2), l.keyLength = dimOr1(k, 2);
  l.headDim = dimOr1(q, 1), l.valueDim = dimOr1(v, 1);
  if (!broadcastsTo(kb, l.batch) || !broadcastsTo(vb, l.batch) || kh == 0 || l.heads % kh != 0 ||
      (r == 4 && v[1] != kh) || dimOr1(k, 1) != l.headDim || dimOr1(v, 2) != l.keyLength)
    return inconsistent();
  l.kvHeads = kh;
  const int64_t Lq = l.queryLength, Lk = l.keyLength, D = l.headDim, Dv = l.valueDim;
  l.query = {l.heads * Lq * D, Lq * D, D};
  l.key = {kb == 1 ? 0 : kh * Lk * D, Lk * D, D};
  l.value = {vb == 1 ? 0 : kh * Lk * Dv, Lk * Dv, Dv};
  l.output = {l.heads * Lq * Dv, Lq * Dv, Dv};
  l.outShape.assign(q.begin(), q.end() - 1);
  l.outShape.push_back(Dv);
  l.scoresShape.assign(q.begin(), q.end() - 1);
  l.scoresShape.push_back(Lk);
  l.scoresPos = r == 2   ? std::vector<int>{2, 3}
                : r == 3 ? std::vector<int>{0, 2, 3}
                         : std::vector<int>{0, 1, 2, 3};
  return "";
}

std::string maskStrides(const std::vector<int64_t> &mask, ElemType type,
                        const std::vector<int64_t> &scores, const std::vector<int> &pos,
                        std::array<int64_t, 4> &out) {
  if (mask.size() > scores.size())
    return "mask " + shapeString(mask, type) + " has a higher rank than the scores";
  out = {0, 0, 0, 0};
  int64_t stride = 1;
  size_t off = scores.size() - mask.size();
  for (size_t i = mask.size(); i-- > 0;) {
    int64_t d = mask[i];
    if (d != scores[off + i] && d != 1) {
      std::string dims;
      for (int64_t x : scores)
        dims += (dims.empty() ? "" : "x") + std::to_string(x);
      return "mask " + shapeString(mask, type) + " does not broadcast to the scores " + dims;
    }
    out[size_t(pos[off + i])] = d == 1 ? 0 : stride;
    stride *= d;
  }
  return "";
}

std::string additiveAttentionLayout(const std::vector<TypedShape> &operands,
                                    AdditiveAttentionLayout &l) {
  if (operands.size() < 5)
    return "expects query, keys_proj, values, w_query and v";
  const TypedShape &q = operands[0], &kp = operands[1], &vals = operands[2], &wq = operands[3],
                   &v = operands[4];
  size_t qr = q.shape.size();
  if ((qr != 2 && qr != 3) || kp.shape.size() != 3 || vals.shape.size() != 3 ||
      wq.shape.size() != 2 || v.shape.size() != 1)
    return "expects query [B, Dq] or [B, Lq, Dq], keys_proj [B, Lk, A], values [B, Lk, Dv], "
           "w_query [A, Dq] and v [A]";
  l.step = qr == 2;
  l.batch = q.shape[0];
  l.queryLength = l.step ? 1 : q.shape[1];
  l.queryDim = q.shape.back();
  l.keyLength = kp.shape[1];
  l.attentionDim = kp.shape[2];
  l.valueDim = vals.shape[2];
  if (kp.shape[0] != l.batch || vals.shape[0] != l.batch || vals.shape[1] != l.keyLength ||
      wq.shape[0] != l.attentionDim || wq.shape[1] != l.queryDim || v.shape[0] != l.attentionDim)
    return "has inconsistent shapes: query " + shapeString(q.shape, q.type) + ", keys_proj " +
           shapeString(kp.shape, kp.type) + ", values " + shapeString(vals.shape, vals.type) +
           ", w_query " + shapeString(wq.shape, wq.type) + ", v " + shapeString(v.shape, v.type);
  if (l.step) {
    l.outShape = {l.batch, l.valueDim};
    l.scoresShape = {l.batch, l.keyLength};
    l.scoresPos = {0, 3};
  } else {
    l.outShape = {l.batch, l.queryLength, l.valueDim};
    l.scoresShape = {l.batch, l.queryLength, l.keyLength};
    l.scoresPos = {0, 2, 3};
  }
  return "";
}

std::string attentionMask(const TypedShape *mask, MaskOperand kind, int64_t batch,
                          const std::vector<int64_t> &scores, const std::vector<int> &pos,
                          std::array<int64_t, 4> &strides) {
  strides = {0, 0, 0, 0};
  if (!mask)
    return "has a mask kind that needs a mask operand";
  const TypedShape &m = *mask;
  if (kind == MaskOperand::lengths) {
    if (m.shape.size() != 1 || m.shape[0] != batch)
      return "expects key lengths [" + std::to_string(batch) + "], got " +
             shapeString(m.shape, m.type);
    if (m.type != ElemType::i32 && m.type != ElemType::i64)
      return "expects integer key lengths";
    return "";
  }
  if (std::string error = maskStrides(m.shape, m.type, scores, pos, strides); !error.empty())
    return error;
  if (kind == MaskOperand::additive && m.type != ElemType::f32)
    return "expects an f32 additive mask";
  if (kind == MaskOperand::boolean && m.type != ElemType::boolean)
    return "expects an i1 boolean mask";
  return "";
}

} // namespace heed::rt
