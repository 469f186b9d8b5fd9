//===- ShapeRules.cpp - Op shape rules the CPU and Vulkan drivers share ---===//

#include "runtime/drivers/ShapeRules.h"

namespace heed::rt {

std::string reshapeShape(const std::vector<int64_t> &in, ElemType type,
                         const std::vector<int64_t> &spec, std::vector<int64_t> &out) {
  out.clear();
  int64_t inferAt = -1, known = 1;
  for (size_t i = 0; i < spec.size(); ++i) {
    int64_t d = spec[i];
    if (d == 0) {
      if (i >= in.size())
        return "copies dim " + std::to_string(i) + " of a rank-" + std::to_string(in.size()) +
               " input";
      d = in[i];
    } else if (d == -1) {
      if (inferAt >= 0)
        return "has more than one -1";
      inferAt = int64_t(i);
      out.push_back(1);
      continue;
    } else if (d < 0) {
      return "has an invalid dim " + std::to_string(d);
    }
    out.push_back(d);
    known = checkedMul(known, d, "reshape");
  }
  int64_t count = elementCount(in);
  if (inferAt >= 0) {
    if (known == 0 || count % known != 0)
      return "cannot reshape " + shapeString(in, type) + " with a -1 into " +
             std::to_string(known) + "-element pieces";
    out[size_t(inferAt)] = count / known;
  } else if (known != count) {
    return "cannot reshape " + shapeString(in, type) + " (" + std::to_string(count) +
           " elements) into " + shapeString(out, type);
  }
  return "";
}

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

} // namespace heed::rt
