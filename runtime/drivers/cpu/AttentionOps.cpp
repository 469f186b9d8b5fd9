//===- AttentionOps.cpp - heed.attention and heed.additive_attention ------===//
//
// Maps the ops' layouts and masks onto the strided problems of Attention.h.
// The fused kernels come from HeedCpuKernels when the build has it; otherwise
// (and as the reference the tests compare with) a row-at-a-time kernel here:
// one Lk-long score row per query, never an Lq x Lk buffer.
//
//===----------------------------------------------------------------------===//

#include "runtime/drivers/cpu/Executor.h"
#include "runtime/drivers/cpu/kernels/Attention.h"
#include "runtime/drivers/cpu/kernels/FastMath.h"
#include "runtime/drivers/rules/AttentionRules.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <optional>

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
            v = p.booleanFill;
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
          s[size_t(j)] = j >= limit ? -inf : p.booleanFill;
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

/// Checks the op's mask operand (operand `at`, when mask_kind needs one: AttentionRules.h) and
/// points `lengths` or the problem's additive or boolean mask at it, with the mask's
/// [B, H, Lq, Lk] strides in `strides`.
template <typename Problem>
void bindMask(OpCtx &c, size_t at, int64_t batch, const std::vector<int64_t> &scores,
              const std::vector<int> &pos, Problem &p, std::vector<int64_t> &lengths,
              std::array<int64_t, 4> &strides) {
  int64_t bits = c.op.getInt(AttrId::mask_kind);
  if (!(bits & (kAdditive | kBoolean | kLengths)))
    return;
  MaskOperand kind = bits & kLengths    ? MaskOperand::lengths
                     : bits & kAdditive ? MaskOperand::additive
                                        : MaskOperand::boolean;
  std::optional<TypedShape> mask;
  if (c.numOperands() > at)
    mask.emplace(typedShape(c.in(at)));
  if (std::string error = attentionMask(mask ? &*mask : nullptr, kind, batch, scores, pos, strides);
      !error.empty())
    c.fail(error);
  const Tensor &m = c.in(at);
  if (kind == MaskOperand::lengths) {
    for (int64_t b = 0; b < batch; ++b)
      lengths.push_back(m.type == ElemType::i32 ? m.as<int32_t>()[b] : m.as<int64_t>()[b]);
    p.keyLengths = lengths.data();
  } else if (kind == MaskOperand::additive) {
    p.additiveMask = m.as<float>();
  } else {
    p.booleanMask = m.as<uint8_t>();
    if (c.op.has(AttrId::mask_fill))
      p.booleanFill = float(c.op.getFloat(AttrId::mask_fill));
  }
}

// A boolean key mask shared by every query row (the [B, 1, 1, Lk] padding mask of every exported
// Transformer, or nn.MultiheadAttention's copy of it per head) whose visible keys are a leading
// run of each batch row's keys, the same for every head, is a key-length mask: the kernel then
// never visits the hidden keys (read from the mask they cost as much as visible ones: a quarter
// of the work when a quarter is padding) and reads no mask. Exact: either way a hidden key's score
// is -inf whatever q k^T is, so P = 0 there. A finite fill keeps hidden keys in the softmax and is
// never converted; nor are additive masks, where a NaN score at a -inf key must still make the
// row NaN as in the decomposed graph.

/// The per-batch-row lengths of the leading runs of visible keys in `mask` ([batch, heads, keys] by
/// element strides), when every row's visible keys are such a run and the heads agree.
std::optional<std::vector<int64_t>> visiblePrefixes(const uint8_t *mask, int64_t batch,
                                                    int64_t heads, int64_t keys,
                                                    const std::array<int64_t, 3> &strides) {
  std::vector<int64_t> found;
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t h = 0; h < heads; ++h) {
      const uint8_t *row = mask + b * strides[0] + h * strides[1];
      int64_t n = 0;
      while (n < keys && row[n * strides[2]])
        ++n;
      for (int64_t j = n; j < keys; ++j)
        if (row[j * strides[2]])
          return std::nullopt; // a visible key after a hidden one
      if (h == 0)
        found.push_back(n);
      else if (found.back() != n)
        return std::nullopt; // the heads differ
    }
  return found;
}

/// Points the problem's keyLengths at `lengths` in place of its boolean mask when the mask is
/// shared by the query rows and each batch row's visible keys are a leading run (above).
template <typename Problem>
void booleanPrefixToLengths(Problem &p, int64_t heads, int64_t rows,
                            const std::array<int64_t, 4> &strides, std::vector<int64_t> &lengths) {
  if (!p.booleanMask || p.booleanFill != -std::numeric_limits<float>::infinity() ||
      (strides[2] != 0 && rows > 1))
    return;
  if (auto found = visiblePrefixes(p.booleanMask, p.batch, strides[1] != 0 ? heads : 1, p.keyLength,
                                   {strides[0], strides[1], strides[3]})) {
    lengths = std::move(*found);
    p.keyLengths = lengths.data();
    p.booleanMask = nullptr;
  }
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
  int64_t bits = c.op.getInt(AttrId::mask_kind);
  p.causal = bits & kCausal;
  p.causalAlign =
      c.op.getInt(AttrId::causal_align) == 1 ? CausalAlign::bottomRight : CausalAlign::topLeft;
  p.maskedRows = c.op.getInt(AttrId::masked_rows) == 1 ? MaskedRows::nan : MaskedRows::zero;
  std::vector<int64_t> lengths;
  std::array<int64_t, 4> ms{};
  bindMask(c, 3, p.batch, sDims, l.scoresPos, p, lengths, ms);
  p.maskStrides = Strides4{ms[0], ms[1], ms[2], ms[3]};
  booleanPrefixToLengths(p, p.heads, p.queryLength, ms, lengths);
  Tensor out = c.alloc(ElemType::f32, outShape);
  p.output = out.as<float>();
  p.query = q.as<float>();
  p.key = k.as<float>();
  p.value = v.as<float>();
  Tensor weights;
  bool wantWeights = c.op.results.size() > 1;
  if (wantWeights) {
    weights = c.allocZeroed(ElemType::f32, sDims);
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
  std::vector<TypedShape> operands;
  for (size_t i = 0; i < std::min<size_t>(c.numOperands(), 5); ++i) {
    if (c.in(i).type != ElemType::f32)
      c.fail("supports only f32 operands on the CPU");
    operands.push_back(typedShape(c.in(i)));
  }
  AdditiveAttentionLayout l;
  if (std::string error = additiveAttentionLayout(operands, l); !error.empty())
    c.fail(error);
  const Tensor &q = c.in(0), &kp = c.in(1), &vals = c.in(2), &wq = c.in(3), &v = c.in(4);
  AdditiveAttentionProblem p;
  p.batch = l.batch;
  p.queryLength = l.queryLength;
  p.queryDim = l.queryDim;
  p.keyLength = l.keyLength;
  p.attentionDim = l.attentionDim;
  p.valueDim = l.valueDim;
  p.query = q.as<float>();
  p.keysProj = kp.as<float>();
  p.values = vals.as<float>();
  p.wQuery = wq.as<float>();
  p.v = v.as<float>();
  p.maskedRows = c.op.getInt(AttrId::masked_rows) == 1 ? MaskedRows::nan : MaskedRows::zero;
  std::vector<int64_t> lengths;
  std::array<int64_t, 4> ms{};
  bindMask(c, 5, p.batch, l.scoresShape, l.scoresPos, p, lengths, ms);
  p.maskStrides[0] = ms[0];
  p.maskStrides[1] = ms[2];
  p.maskStrides[2] = ms[3];
  booleanPrefixToLengths(p, 1, p.queryLength, ms, lengths);
  Tensor out = c.alloc(ElemType::f32, l.outShape);
  p.output = out.as<float>();
  Tensor weights;
  bool wantWeights = c.op.results.size() > 1;
  if (wantWeights) {
    weights = c.allocZeroed(ElemType::f32, l.scoresShape);
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
