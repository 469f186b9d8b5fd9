//===- AttentionOps.cpp - heed.attention and heed.additive_attention ------===//
//
// Maps the ops' layouts and masks onto the strided problems of Attention.h.
// The fused kernels come from HeedCpuKernels when the build has it; otherwise
// (and as the reference the tests compare with) a row-at-a-time kernel here:
// one Lk-long score row per query, never an Lq x Lk buffer.
//
//===----------------------------------------------------------------------===//

#include "runtime/drivers/ShapeRules.h"
#include "runtime/drivers/cpu/Executor.h"
#include "runtime/drivers/cpu/kernels/Attention.h"
#include "runtime/drivers/cpu/kernels/FastMath.h"

#include <array>
#include <cmath>
#include <limits>

namespace heed::rt::cpu {
namespace {

using heed::cpu::AdditiveAttentionProblem;
using heed::cpu::AttentionProblem;
using heed::cpu::CausalAlign;
using heed::cpu::MaskedRows;
using heed::cpu::Strides4;

/// Softmax of `s` (n entries, -inf = masked) into `p`; returns false when
/// the row sees no key.
bool softmaxRow(std::vector<float> &s, int64_t n) {
  float mx = -std::numeric_limits<float>::infinity();
  for (int64_t j = 0; j < n; ++j)
    mx = std::max(mx, s[size_t(j)]);
  if (mx == -std::numeric_limits<float>::infinity())
    return false;
  double sum = 0;
  for (int64_t j = 0; j < n; ++j) {
    float e = std::isinf(s[size_t(j)]) && s[size_t(j)] < 0 ? 0.0f : std::exp(s[size_t(j)] - mx);
    s[size_t(j)] = e;
    sum += e;
  }
  float r = float(1.0 / sum);
  for (int64_t j = 0; j < n; ++j)
    s[size_t(j)] *= r;
  return true;
}

void referenceAttention(const AttentionProblem &p) {
  int64_t group = p.heads / p.kvHeads;
  std::vector<float> s(size_t(p.keyLength));
  const float inf = std::numeric_limits<float>::infinity();
  for (int64_t b = 0; b < p.batch; ++b)
    for (int64_t h = 0; h < p.heads; ++h) {
      int64_t kh = h / group;
      for (int64_t i = 0; i < p.queryLength; ++i) {
        const float *q =
            p.query + b * p.queryStrides.batch + h * p.queryStrides.head + i * p.queryStrides.row;
        int64_t limit = p.keyLength;
        if (p.keyLengths)
          limit = std::min(limit, std::max<int64_t>(0, p.keyLengths[b]));
        int64_t causalLimit = p.keyLength;
        if (p.causal)
          causalLimit =
              i + 1 + (p.causalAlign == CausalAlign::bottomRight ? p.keyLength - p.queryLength : 0);
        for (int64_t j = 0; j < p.keyLength; ++j) {
          if (j >= limit || j >= causalLimit) {
            s[size_t(j)] = -inf;
            continue;
          }
          const float *k =
              p.key + b * p.keyStrides.batch + kh * p.keyStrides.head + j * p.keyStrides.row;
          float dot = 0;
          for (int64_t d = 0; d < p.headDim; ++d)
            dot += q[d * p.queryStrides.col] * k[d * p.keyStrides.col];
          float v = dot * p.scale;
          int64_t m = b * p.maskStrides.batch + h * p.maskStrides.head + i * p.maskStrides.row +
                      j * p.maskStrides.col;
          if (p.additiveMask)
            v += p.additiveMask[m];
          if (p.booleanMask && !p.booleanMask[m])
            v = -inf;
          s[size_t(j)] = v;
        }
        bool nanRow = false;
        for (int64_t j = 0; j < p.keyLength; ++j)
          nanRow |= std::isnan(s[size_t(j)]);
        bool seen = !nanRow && softmaxRow(s, p.keyLength);
        float fill = (nanRow || p.maskedRows == MaskedRows::nan) ? NAN : 0.0f;
        float *o = p.output + b * p.outputStrides.batch + h * p.outputStrides.head +
                   i * p.outputStrides.row;
        for (int64_t d = 0; d < p.valueDim; ++d)
          o[d * p.outputStrides.col] = seen ? 0.0f : fill;
        if (p.weights) {
          float *w = p.weights + b * p.weightsStrides.batch + h * p.weightsStrides.head +
                     i * p.weightsStrides.row;
          for (int64_t j = 0; j < p.keyLength; ++j)
            w[j * p.weightsStrides.col] = seen ? s[size_t(j)] : fill;
        }
        if (!seen)
          continue;
        for (int64_t j = 0; j < p.keyLength; ++j) {
          if (s[size_t(j)] == 0.0f)
            continue; // masked keys never touch the output ("poison V")
          const float *v = p.value + b * p.valueStrides.batch + kh * p.valueStrides.head +
                           j * p.valueStrides.row;
          for (int64_t d = 0; d < p.valueDim; ++d)
            o[d * p.outputStrides.col] += s[size_t(j)] * v[d * p.valueStrides.col];
        }
      }
    }
}

void referenceAdditive(const AdditiveAttentionProblem &p) {
  std::vector<float> qp(size_t(p.attentionDim)), s(size_t(p.keyLength));
  const float inf = std::numeric_limits<float>::infinity();
  for (int64_t b = 0; b < p.batch; ++b)
    for (int64_t i = 0; i < p.queryLength; ++i) {
      const float *q = p.query + (b * p.queryLength + i) * p.queryDim;
      for (int64_t a = 0; a < p.attentionDim; ++a) {
        float acc = 0;
        for (int64_t d = 0; d < p.queryDim; ++d)
          acc += p.wQuery[a * p.queryDim + d] * q[d];
        qp[size_t(a)] = acc;
      }
      int64_t limit =
          p.keyLengths ? std::min(p.keyLength, std::max<int64_t>(0, p.keyLengths[b])) : p.keyLength;
      bool nanRow = false;
      for (int64_t j = 0; j < p.keyLength; ++j) {
        int64_t m = b * p.maskStrides[0] + i * p.maskStrides[1] + j * p.maskStrides[2];
        if (j >= limit || (p.booleanMask && !p.booleanMask[m])) {
          s[size_t(j)] = -inf;
          continue;
        }
        const float *k = p.keysProj + (b * p.keyLength + j) * p.attentionDim;
        float e = 0;
        for (int64_t a = 0; a < p.attentionDim; ++a)
          e += p.v[a] * ::heed::cpu::fastTanh(qp[size_t(a)] + k[a]);
        if (p.additiveMask)
          e += p.additiveMask[m];
        nanRow |= std::isnan(e);
        s[size_t(j)] = e;
      }
      bool seen = !nanRow && softmaxRow(s, p.keyLength);
      float fill = (nanRow || p.maskedRows == MaskedRows::nan) ? NAN : 0.0f;
      float *o = p.output + (b * p.queryLength + i) * p.valueDim;
      for (int64_t d = 0; d < p.valueDim; ++d)
        o[d] = seen ? 0.0f : fill;
      if (p.weights)
        for (int64_t j = 0; j < p.keyLength; ++j)
          p.weights[(b * p.queryLength + i) * p.keyLength + j] = seen ? s[size_t(j)] : fill;
      if (!seen)
        continue;
      for (int64_t j = 0; j < p.keyLength; ++j) {
        if (s[size_t(j)] == 0.0f)
          continue;
        const float *v = p.values + (b * p.keyLength + j) * p.valueDim;
        for (int64_t d = 0; d < p.valueDim; ++d)
          o[d] += s[size_t(j)] * v[d];
      }
    }
}

// mask_kind's bits: the dialect's MaskKind (OpTable.h), as the vulkan kernels read them.
constexpr int64_t kAdditive = int64_t(ops::MaskKind::additive);
constexpr int64_t kBoolean = int64_t(ops::MaskKind::boolean);
constexpr int64_t kCausal = int64_t(ops::MaskKind::causal);
constexpr int64_t kLengths = int64_t(ops::MaskKind::lengths);

/// Strides of a right-aligned, broadcast `mask` viewed as S (`sDims`), mapped
/// onto the 4-D positions `pos` of [B, H, Lq, Lk] (ShapeRules.h).
Strides4 maskStrides(OpCtx &c, const Tensor &mask, const std::vector<int64_t> &sDims,
                     const std::vector<int> &pos) {
  std::array<int64_t, 4> st;
  if (std::string error = ::heed::rt::maskStrides(mask.shape, mask.type, sDims, pos, st);
      !error.empty())
    c.fail(error);
  Strides4 r;
  r.batch = st[0];
  r.head = st[1];
  r.row = st[2];
  r.col = st[3];
  return r;
}

std::vector<int64_t> loadLengths(OpCtx &c, const Tensor &t, int64_t batch) {
  if (t.rank() != 1 || t.dim(0) != batch)
    c.fail("expects key lengths [" + std::to_string(batch) + "], got " +
           shapeString(t.shape, t.type));
  std::vector<int64_t> r(static_cast<size_t>(batch), 0);
  for (int64_t b = 0; b < batch; ++b) {
    if (t.type == ElemType::i32)
      r[size_t(b)] = t.as<int32_t>()[b];
    else if (t.type == ElemType::i64)
      r[size_t(b)] = t.as<int64_t>()[b];
    else
      c.fail("expects integer key lengths");
  }
  return r;
}

void attention(OpCtx &c) {
  const Tensor &q = c.in(0), &k = c.in(1), &v = c.in(2);
  for (const Tensor *t : {&q, &k, &v})
    if (t->type != ElemType::f32)
      c.fail("supports only f32 query, key and value on the CPU");
  AttentionProblem p;
  p.scale = float(c.op.getFloat(AttrId::scale));
  AttentionLayout l;
  if (std::string error =
          attentionLayout(q.shape, k.shape, v.shape, q.type, c.op.getInt(AttrId::num_heads),
                          c.op.getInt(AttrId::num_kv_heads), l);
      !error.empty())
    c.fail(error);
  p.batch = l.batch, p.heads = l.heads, p.kvHeads = l.kvHeads;
  p.queryLength = l.queryLength, p.keyLength = l.keyLength;
  p.headDim = l.headDim, p.valueDim = l.valueDim;
  auto strides4 = [](const std::array<int64_t, 3> &s) { return Strides4{s[0], s[1], s[2], 1}; };
  p.queryStrides = strides4(l.query);
  p.keyStrides = strides4(l.key);
  p.valueStrides = strides4(l.value);
  p.outputStrides = strides4(l.output);
  const std::vector<int64_t> &outShape = l.outShape, &sDims = l.scoresShape;
  const std::vector<int> &pos = l.scoresPos;
  int64_t bits = c.op.getInt(AttrId::mask_kind);
  p.causal = bits & kCausal;
  p.causalAlign =
      c.op.getInt(AttrId::causal_align) == 1 ? CausalAlign::bottomRight : CausalAlign::topLeft;
  p.maskedRows = c.op.getInt(AttrId::masked_rows) == 1 ? MaskedRows::nan : MaskedRows::zero;
  std::vector<int64_t> lengths;
  bool hasMask = c.numOperands() > 3;
  if (bits & (kAdditive | kBoolean | kLengths)) {
    if (!hasMask)
      c.fail("has a mask kind that needs a mask operand");
    const Tensor &m = c.in(3);
    if (bits & kLengths) {
      lengths = loadLengths(c, m, p.batch);
      p.keyLengths = lengths.data();
    } else {
      p.maskStrides = maskStrides(c, m, sDims, pos);
      if (bits & kAdditive) {
        if (m.type != ElemType::f32)
          c.fail("expects an f32 additive mask");
        p.additiveMask = m.as<float>();
      } else {
        if (m.type != ElemType::boolean)
          c.fail("expects an i1 boolean mask");
        p.booleanMask = m.as<uint8_t>();
      }
    }
  }
  Tensor out = c.alloc(ElemType::f32, outShape);
  p.output = out.as<float>();
  p.query = q.as<float>();
  p.key = k.as<float>();
  p.value = v.as<float>();
  Tensor weights;
  bool wantWeights = c.op.results.size() > 1;
  if (wantWeights) {
    weights = c.alloc(ElemType::f32, sDims);
    p.weights = weights.as<float>();
    int64_t H = p.heads, Lq = p.queryLength, Lk = p.keyLength;
    p.weightsStrides = {H * Lq * Lk, Lq * Lk, Lk, 1};
  }
  if (p.batch * p.heads * p.queryLength > 0) {
#ifdef HEED_HAVE_CPU_KERNELS
    if (!heed::cpu::attention(p))
      c.fail("was rejected by the attention kernel");
#else
    referenceAttention(p);
#endif
  }
  c.out(0, std::move(out));
  if (wantWeights)
    c.out(1, std::move(weights));
}

void additiveAttention(OpCtx &c) {
  const Tensor &q = c.in(0), &kp = c.in(1), &vals = c.in(2), &wq = c.in(3), &v = c.in(4);
  for (const Tensor *t : {&q, &kp, &vals, &wq, &v})
    if (t->type != ElemType::f32)
      c.fail("supports only f32 operands on the CPU");
  bool step = q.rank() == 2;
  if ((q.rank() != 2 && q.rank() != 3) || kp.rank() != 3 || vals.rank() != 3 || wq.rank() != 2 ||
      v.rank() != 1)
    c.fail("expects query [B, Dq] or [B, Lq, Dq], keys_proj [B, Lk, A], values [B, Lk, Dv], "
           "w_query [A, Dq] and v [A]");
  AdditiveAttentionProblem p;
  p.batch = q.dim(0);
  p.queryLength = step ? 1 : q.dim(1);
  p.queryDim = q.dim(q.rank() - 1);
  p.keyLength = kp.dim(1);
  p.attentionDim = kp.dim(2);
  p.valueDim = vals.dim(2);
  if (kp.dim(0) != p.batch || vals.dim(0) != p.batch || vals.dim(1) != p.keyLength ||
      wq.dim(0) != p.attentionDim || wq.dim(1) != p.queryDim || v.dim(0) != p.attentionDim)
    c.fail("has inconsistent shapes: query " + shapeString(q.shape, q.type) + ", keys_proj " +
           shapeString(kp.shape, kp.type) + ", values " + shapeString(vals.shape, vals.type) +
           ", w_query " + shapeString(wq.shape, wq.type) + ", v " + shapeString(v.shape, v.type));
  p.query = q.as<float>();
  p.keysProj = kp.as<float>();
  p.values = vals.as<float>();
  p.wQuery = wq.as<float>();
  p.v = v.as<float>();
  p.maskedRows = c.op.getInt(AttrId::masked_rows) == 1 ? MaskedRows::nan : MaskedRows::zero;
  int64_t bits = c.op.getInt(AttrId::mask_kind);
  std::vector<int64_t> lengths;
  if (bits & (kAdditive | kBoolean | kLengths)) {
    if (c.numOperands() < 6)
      c.fail("has a mask kind that needs a mask operand");
    const Tensor &m = c.in(5);
    if (bits & kLengths) {
      lengths = loadLengths(c, m, p.batch);
      p.keyLengths = lengths.data();
    } else {
      std::vector<int64_t> sDims = step ? std::vector<int64_t>{p.batch, p.keyLength}
                                        : std::vector<int64_t>{p.batch, p.queryLength, p.keyLength};
      std::vector<int> pos = step ? std::vector<int>{0, 3} : std::vector<int>{0, 2, 3};
      Strides4 s = maskStrides(c, m, sDims, pos);
      p.maskStrides[0] = s.batch;
      p.maskStrides[1] = s.row;
      p.maskStrides[2] = s.col;
      if (bits & kAdditive) {
        if (m.type != ElemType::f32)
          c.fail("expects an f32 additive mask");
        p.additiveMask = m.as<float>();
      } else {
        if (m.type != ElemType::boolean)
          c.fail("expects an i1 boolean mask");
        p.booleanMask = m.as<uint8_t>();
      }
    }
  }
  std::vector<int64_t> outShape = step ? std::vector<int64_t>{p.batch, p.valueDim}
                                       : std::vector<int64_t>{p.batch, p.queryLength, p.valueDim};
  Tensor out = c.alloc(ElemType::f32, outShape);
  p.output = out.as<float>();
  Tensor weights;
  bool wantWeights = c.op.results.size() > 1;
  if (wantWeights) {
    weights =
        c.alloc(ElemType::f32, step ? std::vector<int64_t>{p.batch, p.keyLength}
                                    : std::vector<int64_t>{p.batch, p.queryLength, p.keyLength});
    p.weights = weights.as<float>();
  }
  if (p.batch * p.queryLength > 0) {
#ifdef HEED_HAVE_CPU_KERNELS
    if (!heed::cpu::additiveAttention(p))
      c.fail("was rejected by the additive attention kernel");
#else
    referenceAdditive(p);
#endif
  }
  c.out(0, std::move(out));
  if (wantWeights)
    c.out(1, std::move(weights));
}

} // namespace

void registerAttentionKernels(KernelTable &m) {
  m[OpKind::Attention] = attention;
  m[OpKind::AdditiveAttention] = additiveAttention;
}

} // namespace heed::rt::cpu
