//===- AttentionKernels.cpp - Fused attention kernels for vulkan ----------===//
//
// The GLSL of heed.attention (flash attention with an online softmax) and
// heed.additive_attention, dispatched by runtime/drivers/vulkan/AttentionOps.cpp;
// their push constants, kernel variants and mask bits are abi/Attention.h and
// abi/AdditiveAttention.h.
//
//===----------------------------------------------------------------------===//

#include "compiler/targets/vulkan/Kernels.h"

#include "runtime/drivers/vulkan/abi/AdditiveAttention.h"
#include "runtime/drivers/vulkan/abi/Attention.h"

#include "llvm/ADT/bit.h"

#include <algorithm>
#include <cstdio>
#include <optional>

namespace mlir::heed::vulkan::detail {

namespace {

/// The static facts of one heed.attention op that all its kernels share.
struct AttentionSpec {
  int64_t dMax = 1, dvMax = 1;
  bool additive = false, boolean = false, lengths = false, causal = false;
  bool nanRows = false, weights = false;
  double scale = 1.0;
  std::string lenType; // "int" or "int64_t" with key lengths
  std::string suffix;  // kernel name suffix: dims and mask flags

  std::optional<double> maskFill; // mask_fill: the score of keys the boolean mask hides

  bool hasMask() const { return additive || boolean || lengths; }
  std::string fill() const { return nanRows ? "NAN_" : "0.0"; }
};

/// The mask_fill of `op`, if it has one.
std::optional<double> maskFillOf(Operation &op) {
  if (!op.hasAttr("mask_fill"))
    return std::nullopt;
  return floatAttr(op, "mask_fill", 0.0);
}

/// GLSL for the score of a key the boolean mask hides, and a kernel name suffix for it.
std::string hiddenScore(const std::optional<double> &fill) {
  return fill ? floatLiteral(*fill) : "-INF_";
}
std::string fillSuffix(const std::optional<double> &fill) {
  if (!fill)
    return "";
  char bits[16];
  std::snprintf(bits, sizeof bits, "_fill%08x", llvm::bit_cast<uint32_t>(float(*fill)));
  return bits;
}

/// The buffers every attention kernel starts with: q, k, v and the mask.
void addInputs(Shader &s, const AttentionSpec &a) {
  s.usePush<::heed::vkabi::AttentionPush>();
  s.buffers = {"float", "float", "float"};
  if (a.hasMask())
    s.buffers.push_back(a.additive ? "float" : a.boolean ? "uint8_t" : "int");
}

/// GLSL: `visible_(b, i, j)` says whether key j can be seen by query row i
/// (bounds, key lengths, causal) and `finish_` turns a dot product into the
/// score (scale, additive or boolean mask). Key lengths and masks are b3.
std::string maskHelpers(const AttentionSpec &a) {
  std::string s = "bool visible_(int b, int i, int j) {\n"
                  "  if (i >= pc.queryLength || j >= pc.keyLength) return false;\n";
  if (a.lengths)
    s += a.lenType == "int" ? "  if (j >= b3.d[b]) return false;\n"
                            : "  { int lo = b3.d[2 * b], hi = b3.d[2 * b + 1]; if (hi < 0 || (hi "
                              "== 0 && lo >= 0 && j >= lo)) return false; }\n";
  if (a.causal)
    s += "  if (j > i + pc.causalShift) return false;\n";
  s += "  return true;\n}\n"
       "float finish_(int b, int h, int i, int j, float dot) {\n  float v = dot * " +
       floatLiteral(a.scale) + ";\n";
  if (a.additive || a.boolean) {
    s += "  int mi = b * pc.maskStrides[0] + h * pc.maskStrides[1] + i * pc.maskStrides[2] + j * "
         "pc.maskStrides[3];\n";
    s += a.additive ? "  v += b3.d[mi];\n"
                    : "  if (b3.d[mi] == uint8_t(0)) v = " + hiddenScore(a.maskFill) + ";\n";
  }
  return s + "  return v;\n}\n";
}

/// GLSL statements limiting `kEnd` (the end of the keys a row can see) by the
/// key lengths of batch b.
std::string lengthLimit(const AttentionSpec &a) {
  if (!a.lengths)
    return "";
  return a.lenType == "int" ? "  kEnd = min(kEnd, max(b3.d[b], 0));\n"
                            : "  { int lo = b3.d[2 * b], hi = b3.d[2 * b + 1]; if (hi < 0) kEnd = "
                              "0; else if (hi == 0 && lo >= 0) kEnd = min(kEnd, lo); }\n";
}

/// The flash kernel; with `subgroups` its reductions (the score dot products,
/// each row's max and sum) use GL_KHR_shader_subgroup_arithmetic instead of
/// one invocation walking shared memory. The driver creates that variant only
/// where the device supports subgroup arithmetic in compute shaders and full
/// subgroups of at most 64 lanes.
Shader flashKernel(const AttentionSpec &a, bool subgroups) {
  Shader s;
  s.name = "attention" + a.suffix + (subgroups ? "_sg" : "");
  addInputs(s, a);
  std::string outB = "b" + std::to_string(s.buffers.size());
  s.buffers.push_back("float");
  std::string wB;
  if (a.weights) {
    wB = "b" + std::to_string(s.buffers.size());
    s.buffers.push_back("float");
    s.outputs = 2;
  }
  if (subgroups)
    s.extensions = kSubgroupExtensions;
  std::string D = std::to_string(a.dMax), DV = std::to_string(a.dvMax);
  s.helpers = "const int BQ = " + std::to_string(::heed::vkabi::kQueryBlock) +
              ", BK = 16, DM = " + D + ", DVM = " + DV +
              ";\n"
              "shared float sQ[BQ * DM];\nshared float sK[BK * DM];\nshared float sV[BK * DVM];\n"
              "shared float sS[BQ * BK];\n";
  if (subgroups) // per row: running max, sum, the tile's rescale factor, NaN seen
    s.helpers += "shared float sM[BQ], sL[BQ], sA[BQ], sN[BQ];\n";
  s.helpers += maskHelpers(a);
  // score_(r, c): the masked, scaled score of query row i and key j (tile slots r, c).
  s.helpers += R"(float score_(int b, int h, int i, int j, int r, int c) {
  if (!visible_(b, i, j)) return -INF_;
  int D = pc.headDim;
  float dot = 0.0;
  for (int d = 0; d < D; ++d) dot += sQ[r * DM + d] * sK[c * DM + d];
  return finish_(b, h, i, j, dot);
}
)";
  std::string body = R"(  uint g = group_();
  int B = pc.batch, H = pc.heads, group = pc.group, Lq = pc.queryLength, Lk = pc.keyLength, D = pc.headDim,
      Dv = pc.valueDim, nqb = pc.queryBlocks;
  if (g >= uint(B * H * nqb)) return;
  int qb = int(g) % nqb, bh = int(g) / nqb, h = bh % H, b = bh / H, kh = h / group;
  int i0 = qb * BQ;
  uint lid = gl_LocalInvocationID.x;
  int qBase = b * pc.qStrides[0] + h * pc.qStrides[1], kBase = b * pc.kStrides[0] + kh * pc.kStrides[1],
      vBase = b * pc.vStrides[0] + kh * pc.vStrides[1];
  for (int e = int(lid); e < BQ * DM; e += 64) {
    int r = e / DM, d = e % DM;
    sQ[e] = (i0 + r < Lq && d < D) ? b0.d[qBase + (i0 + r) * pc.qStrides[2] + d] : 0.0;
  }
  // This invocation's row and its share of the output dims.
  int row = int(lid) / 4, part = int(lid) % 4, i = i0 + row;
  float m = -INF_, l = 0.0;
  bool nanRow = false;
  float acc[(DVM + 3) / 4];
  for (int t = 0; t < (DVM + 3) / 4; ++t) acc[t] = 0.0;
  // Keys beyond this block's last visible one are never needed.
  int kEnd = Lk;
)";
  if (subgroups)
    body += R"(  uint lane = gl_SubgroupInvocationID, sg = gl_SubgroupID, NS = gl_NumSubgroups;
  int S = int(gl_SubgroupSize);
  if (lid < uint(BQ)) { sM[lid] = -INF_; sL[lid] = 0.0; sN[lid] = 0.0; }
)";
  if (a.causal)
    body += "  kEnd = clamp(min(Lq, i0 + BQ) - 1 + pc.causalShift + 1, 0, Lk);\n";
  body += lengthLimit(a);
  std::string loadKV = R"(
    barrier();
    for (int e = int(lid); e < BK * DM; e += 64) {
      int c = e / DM, d = e % DM;
      sK[e] = (j0 + c < Lk && d < D) ? b1.d[kBase + (j0 + c) * pc.kStrides[2] + d] : 0.0;
    }
    for (int e = int(lid); e < BK * DVM; e += 64) {
      int c = e / DVM, d = e % DVM;
      sV[e] = (j0 + c < Lk && d < Dv) ? b2.d[vBase + (j0 + c) * pc.vStrides[2] + d] : 0.0;
    }
    barrier();
)";
  // The score tile sS: one invocation per score, or one subgroup per score
  // with the lanes splitting the head dim.
  std::string scoreTile = subgroups ? R"(    for (uint e = sg; e < uint(BQ * BK); e += NS) {
      int r = int(e) / BK, c = int(e) % BK, iq = i0 + r, j = j0 + c;
      float sc = -INF_;
      if (visible_(b, iq, j)) {
        float part_ = 0.0;
        for (int d = int(lane); d < D; d += S) part_ += sQ[r * DM + d] * sK[c * DM + d];
        sc = finish_(b, h, iq, j, subgroupAdd(part_));
      }
      if (lane == 0u) sS[e] = sc;
    }
    barrier();
)"
                                    : R"(    for (int e = int(lid); e < BQ * BK; e += 64)
      sS[e] = score_(b, h, i0 + e / BK, j0 + e % BK, e / BK, e % BK);
    barrier();
)";
  body += "  for (int j0 = 0; j0 < kEnd; j0 += BK) {" + loadKV + scoreTile;
  if (subgroups) {
    // One subgroup per row: its max and sum, turning sS into probabilities.
    body += R"(    for (uint r = sg; r < uint(BQ); r += NS) {
      float mx = -INF_, nan = 0.0;
      for (int c = int(lane); c < BK; c += S) {
        float sc = sS[r * BK + c];
        if (isnan(sc)) nan = 1.0; else mx = max(mx, sc);
      }
      mx = subgroupMax(mx);
      nan = subgroupMax(nan);
      float mOld = sM[r], mNew = max(mOld, mx);
      float sum = 0.0;
      for (int c = int(lane); c < BK; c += S) {
        float sc = sS[r * BK + c];
        float pr = (isnan(sc) || mNew == -INF_) ? 0.0 : exp(sc - mNew);
        sS[r * BK + c] = pr;
        sum += pr;
      }
      sum = subgroupAdd(sum);
      if (lane == 0u) {
        float alpha = mNew == -INF_ ? 1.0 : exp(mOld - mNew);
        sA[r] = alpha;
        sL[r] = sL[r] * alpha + sum;
        sM[r] = mNew;
        sN[r] = max(sN[r], nan);
      }
    }
    barrier();
    float alpha = sA[row];
    for (int t = 0; t < (DVM + 3) / 4; ++t) acc[t] *= alpha;
    for (int c = 0; c < BK; ++c) {
      float pr = sS[row * BK + c];
      if (pr == 0.0) continue; // masked keys never touch the output ("poison V")
      for (int t = 0; t < (DVM + 3) / 4; ++t) {
        int d = part + 4 * t;
        if (d < DVM) acc[t] += pr * sV[c * DVM + d];
      }
    }
  }
  barrier();
  m = sM[row];
  l = sL[row];
  nanRow = sN[row] > 0.0;
)";
  } else {
    body += R"(
    float mt = -INF_;
    for (int c = 0; c < BK; ++c) {
      float sc = sS[row * BK + c];
      if (isnan(sc)) nanRow = true; else mt = max(mt, sc);
    }
    float mNew = max(m, mt);
    if (mNew == -INF_) continue;
    float alpha = exp(m - mNew);
    l *= alpha;
    for (int t = 0; t < (DVM + 3) / 4; ++t) acc[t] *= alpha;
    for (int c = 0; c < BK; ++c) {
      float sc = sS[row * BK + c];
      float pr = isnan(sc) ? 0.0 : exp(sc - mNew);
      if (pr == 0.0) continue; // masked keys never touch the output ("poison V")
      l += pr;
      for (int t = 0; t < (DVM + 3) / 4; ++t) {
        int d = part + 4 * t;
        if (d < DVM) acc[t] += pr * sV[c * DVM + d];
      }
    }
    m = mNew;
  }
)";
  }
  body += R"(  // Keys skipped by the block limits are -inf for every row: they add nothing.
  bool seen = !nanRow && m != -INF_;
  if (i < Lq) {
    int oBase = b * pc.outStrides[0] + h * pc.outStrides[1] + i * pc.outStrides[2];
    for (int t = 0; t < (DVM + 3) / 4; ++t) {
      int d = part + 4 * t;
      if (d < Dv) )" +
          outB + ".d[oBase + d] = seen ? acc[t] / l : (nanRow ? NAN_ : " + a.fill() +
          ");\n    }\n  }\n";
  if (a.weights) {
    body += "  // Weights: recompute the scores with the final max and sum.\n"
            "  for (int j0 = 0; j0 < Lk; j0 += BK) {" +
            loadKV + scoreTile + R"(
    if (i < Lq) {
      for (int c = part; c < BK; c += 4) {
        int j = j0 + c;
        if (j >= Lk) break;
        float sc = sS[row * BK + c];
        )" + wB +
            R"(.d[((b * H + h) * Lq + i) * Lk + j] =
            seen ? exp(sc - m) / l : (nanRow ? NAN_ : )" +
            a.fill() + R"();
      }
    }
  }
)";
  }
  s.body = body;
  return s;
}

/// Split-K for decoding (few query rows, many keys): one workgroup per
/// (batch, head, query row, split of p25 keys) runs the online softmax over
/// its keys, 64 at a time (one score per invocation, workgroup max and sum),
/// and writes a partial record (max, sum, NaN seen, Dv accumulators) to the
/// scratch buffer. Push constants as the flash kernel, plus p25 keys per
/// split and p26 splits. Buffers: q, k, v, [mask], scratch. With `subgroups`
/// the workgroup max and sum reduce by subgroup first (kSubgroupRowHelpers).
Shader splitKernel(const AttentionSpec &a, bool subgroups) {
  Shader s;
  s.name = "attention_split" + a.suffix + (subgroups ? "_sg" : "");
  addInputs(s, a);
  std::string scratch = "b" + std::to_string(s.buffers.size());
  s.buffers.push_back("float");
  if (subgroups)
    s.extensions = kSubgroupExtensions;
  s.helpers = std::string(subgroups ? kSubgroupRowHelpers : kRowHelpers) +
              "const int DM = " + std::to_string(a.dMax) + ", DVM = " + std::to_string(a.dvMax) +
              ", NACC = (DVM + 63) / 64;\nshared float sQ[DM];\nshared float sP[64];\n" +
              maskHelpers(a);
  std::string body = R"(  uint g = group_();
  int B = pc.batch, H = pc.heads, group = pc.group, Lq = pc.queryLength, Lk = pc.keyLength, D = pc.headDim,
      Dv = pc.valueDim, chunk = pc.splitKeys, S = pc.splits;
  if (g >= uint(B * H * Lq * S)) return;
  int sp = int(g) % S, t_ = int(g) / S, i = t_ % Lq;
  t_ /= Lq;
  int h = t_ % H, b = t_ / H, kh = h / group;
  uint lid = gl_LocalInvocationID.x;
  int qBase = b * pc.qStrides[0] + h * pc.qStrides[1] + i * pc.qStrides[2], kBase = b * pc.kStrides[0] + kh * pc.kStrides[1],
      vBase = b * pc.vStrides[0] + kh * pc.vStrides[1];
  for (int d = int(lid); d < DM; d += 64) sQ[d] = d < D ? b0.d[qBase + d] : 0.0;
  barrier();
  int kEnd = Lk;
)";
  if (a.causal)
    body += "  kEnd = clamp(i + pc.causalShift + 1, 0, Lk);\n";
  body += lengthLimit(a);
  body += R"(  int jBegin = sp * chunk, jEnd = min(kEnd, jBegin + chunk);
  float m = -INF_, l = 0.0, nan = 0.0;
  float acc[NACC];
  for (int t = 0; t < NACC; ++t) acc[t] = 0.0;
  for (int j0 = jBegin; j0 < jEnd; j0 += 64) {
    int j = j0 + int(lid);
    float sc = -INF_;
    if (j < jEnd && visible_(b, i, j)) {
      float dot = 0.0;
      int kb = kBase + j * pc.kStrides[2];
      for (int d = 0; d < D; ++d) dot += sQ[d] * b1.d[kb + d];
      sc = finish_(b, h, i, j, dot);
    }
    nan = max(nan, rowMax_(isnan(sc) ? 1.0 : 0.0));
    float mNew = max(m, rowMax_(isnan(sc) ? -INF_ : sc));
    if (mNew == -INF_) continue; // the same for the whole workgroup
    float alpha = exp(m - mNew);
    float pr = isnan(sc) ? 0.0 : exp(sc - mNew);
    l = l * alpha + rowSum_(pr);
    sP[lid] = pr;
    barrier();
    for (int t = 0; t < NACC; ++t) acc[t] *= alpha;
    for (int c = 0; c < 64 && j0 + c < jEnd; ++c) {
      float p = sP[c];
      if (p == 0.0) continue; // masked keys never touch the output ("poison V")
      int vb = vBase + (j0 + c) * pc.vStrides[2];
      for (int t = 0; t < NACC; ++t) {
        int d = int(lid) + 64 * t;
        if (d < Dv) acc[t] += p * b2.d[vb + d];
      }
    }
    m = mNew;
  }
  int rec = int(g) * (Dv + 3);
  if (lid == 0u) {
    )" + scratch +
          R"(.d[rec] = m;
    )" + scratch +
          R"(.d[rec + 1] = l;
    )" + scratch +
          R"(.d[rec + 2] = nan;
  }
  for (int t = 0; t < NACC; ++t) {
    int d = int(lid) + 64 * t;
    if (d < Dv) )" +
          scratch + R"(.d[rec + 3 + d] = acc[t];
  }
)";
  s.body = body;
  return s;
}

/// Split-K combine: one invocation per output element merges the splits'
/// records (rescaled to the global max); rows with a NaN score or no visible
/// key follow the flash kernel. Buffers: scratch, output.
Shader combineKernel(const AttentionSpec &a) {
  Shader s;
  s.name = std::string("attention_combine") + (a.nanRows ? "_nan" : "");
  s.usePush<::heed::vkabi::AttentionPush>();
  s.buffers = {"float", "float"};
  s.body =
      R"(  int B = pc.batch, H = pc.heads, Lq = pc.queryLength, Dv = pc.valueDim, S = pc.splits;
  int e = gid_();
  if (e >= B * H * Lq * Dv) return;
  int d = e % Dv, t_ = e / Dv, i = t_ % Lq;
  t_ /= Lq;
  int h = t_ % H, b = t_ / H;
  int first = ((b * H + h) * Lq + i) * S;
  float M = -INF_;
  bool nanRow = false;
  for (int sp = 0; sp < S; ++sp) {
    int rec = (first + sp) * (Dv + 3);
    M = max(M, b0.d[rec]);
    nanRow = nanRow || b0.d[rec + 2] > 0.0;
  }
  float L = 0.0, A = 0.0;
  if (M != -INF_) {
    for (int sp = 0; sp < S; ++sp) {
      int rec = (first + sp) * (Dv + 3);
      float ms = b0.d[rec];
      if (ms == -INF_) continue;
      float w = exp(ms - M);
      L += b0.d[rec + 1] * w;
      A += b0.d[rec + 3 + d] * w;
    }
  }
  bool seen = !nanRow && M != -INF_;
  b1.d[b * pc.outStrides[0] + h * pc.outStrides[1] + i * pc.outStrides[2] + d] = seen ? A / L : (nanRow ? NAN_ : )" +
      a.fill() + ");\n";
  return s;
}

} // namespace

/// heed.attention: the flash kernel with shared-memory or subgroup
/// reductions; without weights also the split-K pair for decoding
/// (splitKernel, combineKernel) and the split kernel with subgroup
/// reductions, at their AttentionKernel indices. The driver picks at run time.
///
/// Flash attention: one workgroup of 64 invocations per (batch, head, block
/// of kQueryBlock query rows). Key/value tiles of 16 rows are staged in shared memory
/// and reused by the whole query block; each row keeps an online softmax
/// (running max and sum) and its output accumulator, so no Lq x Lk buffer
/// exists. Tiles past the causal limit or the key length of the block are
/// skipped. With weights, a second pass over the tiles writes the normalized
/// probabilities. Masks, NaN rows, fully masked rows and "poison V" follow
/// the CPU reference exactly (AttentionOps.cpp).

Lowered lowerAttention(Operation &op) {
  auto q = tensorOf(op.getOperand(0)), k = tensorOf(op.getOperand(1)),
       v = tensorOf(op.getOperand(2));
  if (!q || !k || !v || !q.getElementType().isF32() || !k.getElementType().isF32() ||
      !v.getElementType().isF32())
    return unsupported("supports only f32 query, key and value on vulkan");
  int64_t heads = intAttr(op, "num_heads", 0), kvHeads = intAttr(op, "num_kv_heads", 0);
  if (kvHeads <= 0)
    kvHeads = heads;
  constexpr int kMaxDim = ::heed::vkabi::kMaxHeadDim;
  auto staticDim = [&](RankedTensorType t, int64_t div) -> int64_t {
    int64_t d = t.getShape().back();
    if (ShapedType::isDynamic(d) || div <= 0)
      return kMaxDim;
    return d / div;
  };
  AttentionSpec a;
  a.dMax = staticDim(q, heads > 0 ? heads : 1);
  a.dvMax = staticDim(v, heads > 0 ? kvHeads : 1);
  if (a.dMax > kMaxDim || a.dvMax > kMaxDim)
    return unsupported("has a head dim above 128, beyond the vulkan kernel's shared memory");
  a.dMax = std::max<int64_t>(a.dMax, 1);
  a.dvMax = std::max<int64_t>(a.dvMax, 1);
  int64_t bits = intAttr(op, "mask_kind", 0);
  a.additive = bits & ::heed::vkabi::kAdditive;
  a.boolean = bits & ::heed::vkabi::kBoolean;
  a.lengths = bits & ::heed::vkabi::kLengths;
  a.causal = bits & ::heed::vkabi::kCausal;
  a.maskFill = maskFillOf(op);
  a.nanRows = intAttr(op, "masked_rows", 0) == 1;
  a.weights = op.getNumResults() > 1;
  a.scale = floatAttr(op, "scale", 1.0);
  if (a.hasMask() && op.getNumOperands() < 4)
    return unsupported("has a mask kind without a mask operand");
  if (a.lengths) {
    auto m = tensorOf(op.getOperand(3));
    a.lenType = m ? storageType(m.getElementType()) : "";
    if (a.lenType != "int" && a.lenType != "int64_t")
      return unsupported("expects i32 or i64 key lengths on vulkan");
  }
  a.suffix = "_d" + std::to_string(a.dMax) + "_dv" + std::to_string(a.dvMax) +
             (a.additive ? "_add" : "") + (a.boolean ? "_bool" : "") + (a.lengths ? "_len" : "") +
             (a.causal ? "_causal" : "") + fillSuffix(a.maskFill) + (a.weights ? "_w" : "") +
             (a.nanRows ? "_nan" : "");
  using ::heed::vkabi::AttentionKernel;
  Lowered l;
  place(l, AttentionKernel::flash, flashKernel(a, false));
  place(l, AttentionKernel::flashSubgroup, flashKernel(a, true));
  if (!a.weights) {
    place(l, AttentionKernel::split, splitKernel(a, false));
    place(l, AttentionKernel::combine, combineKernel(a));
    place(l, AttentionKernel::splitSubgroup, splitKernel(a, true));
  }
  return l;
}

/// Additive (Bahdanau) attention: one workgroup per (batch, query row). The
/// projected query W_q q lives in shared memory; keys go in chunks of 64 (one
/// score per invocation), folded into an online softmax whose output
/// accumulator is split over the invocations by value dim. No score row is
/// stored; weights come from a second pass with the final max and sum.
Lowered lowerAdditiveAttention(Operation &op) {
  for (unsigned i = 0; i < 5; ++i)
    if (!tensorOf(op.getOperand(i)) || !tensorOf(op.getOperand(i)).getElementType().isF32())
      return unsupported("supports only f32 operands on vulkan");
  auto kp = tensorOf(op.getOperand(1)), vals = tensorOf(op.getOperand(2));
  constexpr int64_t kMaxA = ::heed::vkabi::kMaxAdditiveDim, kMaxDv = ::heed::vkabi::kMaxAdditiveDim;
  int64_t aMax = ShapedType::isDynamic(kp.getShape().back()) ? kMaxA : kp.getShape().back();
  int64_t dvMax = ShapedType::isDynamic(vals.getShape().back()) ? kMaxDv : vals.getShape().back();
  if (aMax > kMaxA || dvMax > kMaxDv)
    return unsupported("has an attention or value dim above 1024 (the vulkan kernel's limit)");
  aMax = std::max<int64_t>(aMax, 1);
  dvMax = std::max<int64_t>(dvMax, 1);
  int64_t bits = intAttr(op, "mask_kind", 0);
  bool additive = bits & ::heed::vkabi::kAdditive, boolean = bits & ::heed::vkabi::kBoolean,
       lengths = bits & ::heed::vkabi::kLengths;
  bool nanRows = intAttr(op, "masked_rows", 0) == 1;
  bool weights = op.getNumResults() > 1;
  std::string lenType;
  if ((additive || boolean || lengths) && op.getNumOperands() < 6)
    return unsupported("has a mask kind without a mask operand");
  if (lengths) {
    auto m = tensorOf(op.getOperand(5));
    lenType = m ? storageType(m.getElementType()) : "";
    if (lenType != "int" && lenType != "int64_t")
      return unsupported("expects i32 or i64 key lengths on vulkan");
  }
  Shader s;
  s.name = "additive_attention_a" + std::to_string(aMax) + "_dv" + std::to_string(dvMax) +
           (additive ? "_add" : "") + (boolean ? "_bool" : "") + (lengths ? "_len" : "") +
           fillSuffix(maskFillOf(op)) + (weights ? "_w" : "") + (nanRows ? "_nan" : "");
  s.usePush<::heed::vkabi::AdditiveAttentionPush>();
  s.buffers = {"float", "float", "float", "float", "float"};
  std::string maskB;
  if (additive || boolean || lengths) {
    maskB = "b5";
    s.buffers.push_back(additive ? "float" : boolean ? "uint8_t" : "int");
  }
  std::string outB = "b" + std::to_string(s.buffers.size());
  s.buffers.push_back("float");
  std::string wB;
  if (weights) {
    wB = "b" + std::to_string(s.buffers.size());
    s.buffers.push_back("float");
    s.outputs = 2;
  }
  s.helpers = std::string(kMathHelpers) + kRowHelpers + "const int AM = " + std::to_string(aMax) +
              ", DVM = " + std::to_string(dvMax) +
              ", NACC = (DVM + 63) / 64;\nshared float sQp[AM];\nshared float sS[64];\n";
  std::string score = R"(
float score_(int b, int i, int j) {
  int Lq = pc.queryLength, Lk = pc.keyLength, A = pc.attentionDim;
  if (j >= Lk) return -INF_;
)";
  if (lengths)
    score += lenType == "int" ? "  if (j >= " + maskB + ".d[b]) return -INF_;\n"
                              : "  { int lo = " + maskB + ".d[2 * b], hi = " + maskB +
                                    ".d[2 * b + 1]; if (hi < 0 || (hi == 0 && lo >= 0 && j >= "
                                    "lo)) return -INF_; }\n";
  if (additive || boolean)
    score += "  int mi = b * pc.maskStrides[0] + i * pc.maskStrides[1] + j * pc.maskStrides[2];\n";
  if (boolean)
    score +=
        "  if (" + maskB + ".d[mi] == uint8_t(0)) return " + hiddenScore(maskFillOf(op)) + ";\n";
  score += "  int kb = (b * Lk + j) * A;\n  float e = 0.0;\n"
           "  for (int a = 0; a < A; ++a) e += b4.d[a] * tanh_(sQp[a] + b1.d[kb + a]);\n";
  if (additive)
    score += "  e += " + maskB + ".d[mi];\n";
  score += "  return e;\n}\n";
  s.helpers += score;
  std::string fill = nanRows ? "NAN_" : "0.0";
  std::string body = R"(  uint g = group_();
  int B = pc.batch, Lq = pc.queryLength, Dq = pc.queryDim, Lk = pc.keyLength, A = pc.attentionDim, Dv = pc.valueDim;
  if (g >= uint(B * Lq)) return;
  int b = int(g) / Lq, i = int(g) % Lq;
  uint lid = gl_LocalInvocationID.x;
  int qBase = (b * Lq + i) * Dq;
  for (int a = int(lid); a < A; a += 64) {
    float acc = 0.0;
    for (int d = 0; d < Dq; ++d) acc += b3.d[a * Dq + d] * b0.d[qBase + d];
    sQp[a] = acc;
  }
  barrier();
  float m = -INF_, l = 0.0, nanRow = 0.0;
  float acc[NACC];
  for (int t = 0; t < NACC; ++t) acc[t] = 0.0;
  for (int j0 = 0; j0 < Lk; j0 += 64) {
    float sc = score_(b, i, j0 + int(lid));
    float isNan = isnan(sc) ? 1.0 : 0.0;
    nanRow = max(nanRow, rowMax_(isNan));
    float mt = rowMax_(isnan(sc) ? -INF_ : sc);
    barrier();
    sS[lid] = sc;
    barrier();
    float mNew = max(m, mt);
    if (mNew == -INF_) continue;
    float alpha = exp(m - mNew);
    l *= alpha;
    for (int t = 0; t < NACC; ++t) acc[t] *= alpha;
    for (int c = 0; c < 64 && j0 + c < Lk; ++c) {
      float p = isnan(sS[c]) ? 0.0 : exp(sS[c] - mNew);
      if (p == 0.0) continue; // masked keys never touch the output
      l += p;
      int vb = (b * Lk + j0 + c) * Dv;
      for (int t = 0; t < NACC; ++t) {
        int d = int(lid) + 64 * t;
        if (d < Dv) acc[t] += p * b2.d[vb + d];
      }
    }
    m = mNew;
  }
  bool seen = nanRow == 0.0 && m != -INF_;
  int oBase = (b * Lq + i) * Dv;
  for (int t = 0; t < NACC; ++t) {
    int d = int(lid) + 64 * t;
    if (d < Dv) )" + outB +
                     ".d[oBase + d] = seen ? acc[t] / l : (nanRow > 0.0 ? NAN_ : " + fill +
                     ");\n  }\n";
  if (weights)
    body += "  for (int j = int(lid); j < Lk; j += 64) {\n    float sc = score_(b, i, j);\n    " +
            wB +
            ".d[(b * Lq + i) * Lk + j] = seen ? exp(sc - m) / l : (nanRow > 0.0 ? NAN_ : " + fill +
            ");\n  }\n";
  s.body = body;
  return withSubgroupRows(s);
}

} // namespace mlir::heed::vulkan::detail
