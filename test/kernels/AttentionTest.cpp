//===- AttentionTest.cpp - Fused attention kernels vs naive references ----===//
//
// Every case runs the kernel and a naive double-precision reference written
// from the definition (one query row at a time, no blocks) and compares them
// at atol 1e-4 / rtol 1e-3, NaN where and only where the reference has NaN.
// NumpyReference.* checks against float64 numpy outputs that
// attention_ref.py writes (run by numpy-reference.test). The micro-kernels and
// additive attention are tested in AdditiveAndMicroKernelsTest.cpp.
//
//===----------------------------------------------------------------------===//

#include "runtime/drivers/cpu/kernels/Attention.h"
#include "runtime/drivers/cpu/kernels/MicroKernels.h"
#include "test/kernels/KernelTestSupport.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

using namespace heed::cpu;
using namespace heed::kernel_test;

extern "C" {
int omp_get_max_threads();
void omp_set_num_threads(int);
}

namespace {

//===----------------------------------------------------------------------===//
// Naive double-precision reference
//===----------------------------------------------------------------------===//

int64_t offset(const Strides4 &s, int64_t b, int64_t h, int64_t i, int64_t j) {
  return b * s.batch + h * s.head + i * s.row + j * s.col;
}

/// Reference outputs in dense [B, H, Lq, Dv] and [B, H, Lq, Lk] order.
void referenceAttention(const AttentionProblem &p, std::vector<double> &out,
                        std::vector<double> &weights) {
  const int64_t B = p.batch, H = p.heads, Lq = p.queryLength, Lk = p.keyLength;
  const int64_t D = p.headDim, Dv = p.valueDim, group = p.heads / p.kvHeads;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  out.assign(B * H * Lq * Dv, 0.0);
  weights.assign(B * H * Lq * Lk, 0.0);
  std::vector<double> s(Lk);
  std::vector<bool> visible(Lk);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < H; ++h)
      for (int64_t i = 0; i < Lq; ++i) {
        const int64_t hk = h / group;
        bool any = false;
        double m = -INFINITY;
        for (int64_t j = 0; j < Lk; ++j) {
          bool vis = true;
          if (p.keyLengths && j >= p.keyLengths[b])
            vis = false;
          if (p.causal) {
            int64_t off = p.causalAlign == CausalAlign::bottomRight ? Lk - Lq : 0;
            if (j > i + off)
              vis = false;
          }
          if (p.booleanMask && !p.booleanMask[offset(p.maskStrides, b, h, i, j)])
            vis = false;
          double dot = 0;
          for (int64_t d = 0; d < D; ++d)
            dot += double(p.query[offset(p.queryStrides, b, h, i, d)]) *
                   double(p.key[offset(p.keyStrides, b, hk, j, d)]);
          double v = double(p.scale) * dot;
          if (p.additiveMask)
            v += double(p.additiveMask[offset(p.maskStrides, b, h, i, j)]);
          if (v == -INFINITY)
            vis = false;
          visible[j] = vis;
          s[j] = v;
          if (vis) {
            any = true;
            if (std::isnan(v) || v > m)
              m = std::isnan(m) ? m : v;
          }
        }
        double *o = out.data() + ((b * H + h) * Lq + i) * Dv;
        double *w = weights.data() + ((b * H + h) * Lq + i) * Lk;
        if (!any) {
          double fill = p.maskedRows == MaskedRows::nan ? nan : 0.0;
          std::fill(o, o + Dv, fill);
          std::fill(w, w + Lk, fill);
          continue;
        }
        double l = 0;
        for (int64_t j = 0; j < Lk; ++j) {
          w[j] = visible[j] ? std::exp(s[j] - m) : 0.0;
          l += w[j];
        }
        for (int64_t j = 0; j < Lk; ++j) {
          w[j] /= l;
          if (!visible[j])
            continue; // hidden keys never touch the output ("poison V")
          for (int64_t c = 0; c < Dv; ++c)
            o[c] += w[j] * double(p.value[offset(p.valueStrides, b, hk, j, c)]);
        }
      }
}

//===----------------------------------------------------------------------===//
// Cases
//===----------------------------------------------------------------------===//

enum class MaskKind { none, additive, boolean, keyLengths };
enum class MaskShape { keys2d, keyPadding, full }; // [Lq,Lk], [B,1,1,Lk], [B,H,Lq,Lk]

struct Case {
  int64_t B = 1, H = 1, Hkv = 1, Lq = 1, Lk = 1, D = 8, Dv = 8;
  bool causal = false;
  CausalAlign align = CausalAlign::topLeft;
  MaskKind mask = MaskKind::none;
  MaskShape shape = MaskShape::full;
  MaskedRows policy = MaskedRows::zero;
  bool weights = false, packed = false;
  float logitScale = 1.0f; // multiplies Q: logits ~ logitScale^2-ish
  int64_t queryBlock = 0, keyBlock = 0;
  unsigned seed = 1;
  /// Fraction of mask cells hidden (additive: -inf/lowest/-1e4 mix).
  double hiddenFraction = 0.3;
  /// Force these query rows to be fully hidden by the mask tensor.
  std::vector<int64_t> hiddenRows;
  /// Key lengths (MaskKind::keyLengths); defaults to random in [0, Lk].
  std::vector<int64_t> lengths;
};

std::string describe(const Case &c) {
  std::ostringstream os;
  os << "B=" << c.B << " H=" << c.H << " Hkv=" << c.Hkv << " Lq=" << c.Lq << " Lk=" << c.Lk
     << " D=" << c.D << " Dv=" << c.Dv << " causal=" << c.causal
     << " br=" << (c.align == CausalAlign::bottomRight) << " mask=" << int(c.mask)
     << " shape=" << int(c.shape) << " nan=" << (c.policy == MaskedRows::nan)
     << " weights=" << c.weights << " packed=" << c.packed << " logit=" << c.logitScale
     << " qb=" << c.queryBlock << " kb=" << c.keyBlock << " seed=" << c.seed;
  return os.str();
}

struct Instance {
  std::vector<float> q, k, v, o, w, additive;
  std::vector<uint8_t> boolean;
  std::vector<int64_t> lengths;
  AttentionProblem p;
};

Strides4 dense(int64_t h, int64_t l, int64_t d) { return {h * l * d, l * d, d, 1}; }
Strides4 packedHeads(int64_t h, int64_t l, int64_t d) { return {l * h * d, d, h * d, 1}; }

void build(const Case &c, Instance &in) {
  std::mt19937 gen(c.seed);
  std::uniform_real_distribution<float> uni(-1.0f, 1.0f), unit(0.0f, 1.0f);
  in.q.resize(c.B * c.H * c.Lq * c.D);
  in.k.resize(c.B * c.Hkv * c.Lk * c.D);
  in.v.resize(c.B * c.Hkv * c.Lk * c.Dv);
  in.o.assign(c.B * c.H * c.Lq * c.Dv, 12345.0f); // every element must be written
  for (float &x : in.q)
    x = uni(gen) * c.logitScale;
  for (float &x : in.k)
    x = uni(gen);
  for (float &x : in.v)
    x = uni(gen);
  AttentionProblem &p = in.p;
  p = AttentionProblem();
  p.batch = c.B, p.heads = c.H, p.kvHeads = c.Hkv, p.queryLength = c.Lq, p.keyLength = c.Lk;
  p.headDim = c.D, p.valueDim = c.Dv, p.scale = 1.0f / std::sqrt(float(std::max<int64_t>(c.D, 1)));
  p.query = in.q.data(), p.key = in.k.data(), p.value = in.v.data(), p.output = in.o.data();
  auto layout = c.packed ? packedHeads : dense;
  p.queryStrides = layout(c.H, c.Lq, c.D), p.outputStrides = layout(c.H, c.Lq, c.Dv);
  p.keyStrides = layout(c.Hkv, c.Lk, c.D), p.valueStrides = layout(c.Hkv, c.Lk, c.Dv);
  p.causal = c.causal, p.causalAlign = c.align, p.maskedRows = c.policy;
  p.queryBlock = c.queryBlock, p.keyBlock = c.keyBlock;
  if (c.weights) {
    in.w.assign(c.B * c.H * c.Lq * c.Lk, 12345.0f);
    p.weights = in.w.data(), p.weightsStrides = dense(c.H, c.Lq, c.Lk);
  }

  int64_t mb = c.B, mh = c.H, mq = c.Lq;
  if (c.shape == MaskShape::keys2d)
    mb = 1, mh = 1;
  if (c.shape == MaskShape::keyPadding)
    mh = 1, mq = 1;
  Strides4 ms = dense(mh, mq, c.Lk);
  if (mb == 1)
    ms.batch = 0;
  if (mh == 1)
    ms.head = 0;
  if (mq == 1)
    ms.row = 0;
  const int64_t cells = mb * mh * mq * c.Lk;
  auto hideRow = [&](int64_t cell) {
    int64_t i = (cell / c.Lk) % mq;
    for (int64_t r : c.hiddenRows)
      if (r == i || mq == 1)
        return true;
    return false;
  };
  if (c.mask == MaskKind::additive) {
    in.additive.resize(cells);
    for (int64_t x = 0; x < cells; ++x) {
      float u = unit(gen);
      float val = uni(gen);
      if (u < c.hiddenFraction / 3)
        val = -kInf;
      else if (u < 2 * c.hiddenFraction / 3)
        val = kLowest;
      else if (u < c.hiddenFraction)
        val = -1e4f;
      in.additive[x] = hideRow(x) ? -kInf : val;
    }
    p.additiveMask = in.additive.data(), p.maskStrides = ms;
  } else if (c.mask == MaskKind::boolean) {
    in.boolean.resize(cells);
    for (int64_t x = 0; x < cells; ++x)
      in.boolean[x] = hideRow(x) ? 0 : (unit(gen) >= c.hiddenFraction ? 1 : 0);
    p.booleanMask = in.boolean.data(), p.maskStrides = ms;
  } else if (c.mask == MaskKind::keyLengths) {
    in.lengths = c.lengths;
    std::uniform_int_distribution<int64_t> len(0, c.Lk);
    while (int64_t(in.lengths.size()) < c.B)
      in.lengths.push_back(len(gen));
    p.keyLengths = in.lengths.data();
  }
}

/// Gathers the kernel's output (any layout) into dense [B, H, Lq, Dv] order.
std::vector<float> denseOutput(const Instance &in) {
  const AttentionProblem &p = in.p;
  std::vector<float> out;
  for (int64_t b = 0; b < p.batch; ++b)
    for (int64_t h = 0; h < p.heads; ++h)
      for (int64_t i = 0; i < p.queryLength; ++i)
        for (int64_t c = 0; c < p.valueDim; ++c)
          out.push_back(in.o[offset(p.outputStrides, b, h, i, c)]);
  return out;
}

void check(const Case &c, Instance *keep = nullptr) {
  SCOPED_TRACE(describe(c));
  Instance local;
  Instance &in = keep ? *keep : local;
  build(c, in);
  std::vector<double> wantOut, wantW;
  referenceAttention(in.p, wantOut, wantW);
  ASSERT_TRUE(attention(in.p));
  std::vector<float> got = denseOutput(in);
  EXPECT_TRUE(closeTo(got.data(), wantOut.data(), got.size(), "output"));
  if (c.weights)
    EXPECT_TRUE(closeTo(in.w.data(), wantW.data(), in.w.size(), "weights"));
}

//===----------------------------------------------------------------------===//
// Lengths around the block sizes
//===----------------------------------------------------------------------===//

TEST(Attention, LengthsAroundTheTile) {
  for (int64_t len : {1, 2, 7, 8, 9, 63, 64, 65, 127, 128, 129})
    for (bool causal : {false, true}) {
      Case c;
      c.B = 1, c.H = 2, c.Hkv = 2, c.Lq = len, c.Lk = len, c.D = 16, c.Dv = 16;
      c.causal = causal, c.seed = unsigned(len);
      check(c);
    }
}

TEST(Attention, SmallBlocksStressTails) {
  for (int64_t qb : {1, 3, 5, 8})
    for (int64_t kb : {1, 5, 8, 13}) {
      Case c;
      c.H = 2, c.Hkv = 1, c.Lq = 17, c.Lk = 23, c.D = 12, c.Dv = 5, c.causal = kb % 2;
      c.align = qb % 2 ? CausalAlign::bottomRight : CausalAlign::topLeft;
      c.queryBlock = qb, c.keyBlock = kb, c.weights = true, c.seed = unsigned(qb * 16 + kb);
      check(c);
    }
}

TEST(Attention, HugeBlockKnobsAreClamped) {
  Case c;
  c.H = 2, c.Hkv = 1, c.Lq = 9, c.Lk = 70, c.causal = true, c.weights = true;
  c.queryBlock = int64_t(1) << 40, c.keyBlock = int64_t(1) << 40; // would be TiBs of scratch
  check(c);
}

TEST(Attention, CausalBothAlignmentsWithDifferentLengths) {
  const std::pair<int64_t, int64_t> lengths[] = {{1, 1},   {1, 65},   {65, 1},   {5, 130},
                                                 {130, 5}, {64, 200}, {200, 64}, {63, 129}};
  for (auto [lq, lk] : lengths)
    for (CausalAlign align : {CausalAlign::topLeft, CausalAlign::bottomRight})
      for (MaskedRows policy : {MaskedRows::zero, MaskedRows::nan}) {
        Case c;
        c.B = 2, c.H = 2, c.Hkv = 2, c.Lq = lq, c.Lk = lk, c.D = 32, c.Dv = 24;
        c.causal = true, c.align = align, c.policy = policy, c.weights = true;
        c.seed = unsigned(lq * 1000 + lk);
        check(c);
      }
}

//===----------------------------------------------------------------------===//
// Masks
//===----------------------------------------------------------------------===//

TEST(Attention, BroadcastMasks) {
  for (MaskKind kind : {MaskKind::additive, MaskKind::boolean})
    for (MaskShape shape : {MaskShape::keys2d, MaskShape::keyPadding, MaskShape::full})
      for (bool causal : {false, true}) {
        Case c;
        c.B = 2, c.H = 3, c.Hkv = 3, c.Lq = 70, c.Lk = 70, c.D = 16, c.Dv = 16;
        c.mask = kind, c.shape = shape, c.causal = causal, c.weights = true;
        c.seed = unsigned(int(kind) * 10 + int(shape) * 2 + causal);
        check(c);
      }
}

TEST(Attention, FullyMaskedRowsBothPolicies) {
  for (MaskedRows policy : {MaskedRows::zero, MaskedRows::nan}) {
    for (MaskKind kind : {MaskKind::additive, MaskKind::boolean}) {
      Case c;
      c.B = 2, c.H = 2, c.Hkv = 2, c.Lq = 66, c.Lk = 67, c.D = 16, c.Dv = 8;
      c.mask = kind, c.shape = MaskShape::full, c.policy = policy, c.weights = true;
      c.hiddenRows = {0, 5, 64, 65};
      check(c);
    }
    Case c;
    c.B = 4, c.H = 2, c.Hkv = 1, c.Lq = 9, c.Lk = 65, c.D = 16, c.Dv = 8;
    c.mask = MaskKind::keyLengths, c.lengths = {0, 1, 64, 65}, c.policy = policy;
    c.weights = true;
    check(c);
    // Every row hidden by the key-padding mask of one batch.
    Case pad;
    pad.B = 2, pad.H = 2, pad.Hkv = 2, pad.Lq = 9, pad.Lk = 9, pad.mask = MaskKind::boolean;
    pad.shape = MaskShape::keyPadding, pad.hiddenFraction = 1.0, pad.policy = policy;
    pad.weights = true;
    check(pad);
  }
}

TEST(Attention, FullyMaskedRowValues) {
  for (MaskedRows policy : {MaskedRows::zero, MaskedRows::nan}) {
    Case c;
    c.Lq = 3, c.Lk = 4, c.mask = MaskKind::keyLengths, c.lengths = {0}, c.policy = policy;
    c.weights = true;
    Instance in;
    check(c, &in);
    for (float x : in.o)
      EXPECT_TRUE(policy == MaskedRows::nan ? std::isnan(x) : x == 0.0f);
    for (float x : in.w)
      EXPECT_TRUE(policy == MaskedRows::nan ? std::isnan(x) : x == 0.0f);
  }
}

TEST(Attention, MixedInfLowestAndMinus1e4) {
  for (double frac : {0.3, 0.9, 0.99}) {
    Case c;
    c.B = 2, c.H = 2, c.Hkv = 2, c.Lq = 65, c.Lk = 129, c.D = 32, c.Dv = 32;
    c.mask = MaskKind::additive, c.shape = MaskShape::full, c.hiddenFraction = frac;
    c.weights = true, c.causal = frac > 0.5, c.align = CausalAlign::bottomRight;
    c.seed = unsigned(frac * 100);
    check(c);
  }
  // A row whose only unhidden keys are lowest() is uniform over them, not masked.
  Case c;
  c.Lq = 2, c.Lk = 70, c.mask = MaskKind::additive, c.weights = true;
  Instance in;
  build(c, in);
  for (int64_t j = 0; j < 70; ++j)
    in.additive[j] = j % 3 ? -kInf : kLowest;
  std::vector<double> wantOut, wantW;
  referenceAttention(in.p, wantOut, wantW);
  ASSERT_TRUE(attention(in.p));
  EXPECT_TRUE(closeTo(in.o.data(), wantOut.data(), in.o.size(), "output"));
  EXPECT_TRUE(closeTo(in.w.data(), wantW.data(), in.w.size(), "weights"));
  EXPECT_FALSE(std::isnan(in.o[0]));
}

TEST(Attention, LogitsAround1e4) {
  for (bool causal : {false, true}) {
    Case c;
    c.B = 1, c.H = 2, c.Hkv = 2, c.Lq = 65, c.Lk = 130, c.D = 64, c.Dv = 16;
    c.logitScale = 2000.0f; // |scale q.k| up to ~1e4
    c.causal = causal, c.weights = true;
    check(c);
  }
}

TEST(Attention, PoisonValuesAtHiddenKeysNeverLeak) {
  // Decode rows, V read in place (Dv % 8 == 0) and V packed (Dv = 5).
  for (int64_t lq : {1, 2, 70})
    for (int64_t dv : {16, 5}) {
      Case c;
      c.B = 2, c.H = 2, c.Hkv = 2, c.Lq = lq, c.Lk = 100, c.D = 16, c.Dv = dv;
      c.mask = MaskKind::keyLengths, c.lengths = {40, 100}, c.causal = lq > 2;
      Instance in;
      build(c, in);
      // Batch 0 sees keys < 40: poison the rest (and, causally, the future).
      for (int64_t h = 0; h < 2; ++h)
        for (int64_t j = 40; j < 100; ++j)
          for (int64_t x = 0; x < dv; ++x)
            in.v[((0 * 2 + h) * 100 + j) * dv + x] = x % 2 ? kInf : std::nanf("");
      for (int64_t h = 0; h < 2; ++h)
        for (int64_t x = 0; x < dv; ++x)
          in.v[((1 * 2 + h) * 100 + 99) * dv + x] = 1000.0f; // hidden by causality
      std::vector<double> wantOut, wantW;
      referenceAttention(in.p, wantOut, wantW);
      ASSERT_TRUE(attention(in.p));
      for (int64_t i = 0; i < 2 * lq * dv; ++i)
        ASSERT_TRUE(std::isfinite(in.o[i])) << "at " << i << " dv=" << dv << " lq=" << lq;
      EXPECT_TRUE(closeTo(in.o.data(), wantOut.data(), in.o.size(), "output"));
    }
  // Additive -inf and boolean masks with poison at hidden cells.
  for (MaskKind kind : {MaskKind::additive, MaskKind::boolean}) {
    Case c;
    c.Lq = 66, c.Lk = 66, c.mask = kind, c.shape = MaskShape::keyPadding;
    c.hiddenFraction = 0.5;
    Instance in;
    build(c, in);
    for (int64_t j = 0; j < 66; ++j) {
      bool hidden = kind == MaskKind::boolean ? !in.boolean[j] : in.additive[j] == -kInf;
      if (hidden)
        for (int64_t x = 0; x < 8; ++x)
          in.v[j * 8 + x] = kInf;
    }
    std::vector<double> wantOut, wantW;
    referenceAttention(in.p, wantOut, wantW);
    ASSERT_TRUE(attention(in.p));
    EXPECT_TRUE(closeTo(in.o.data(), wantOut.data(), in.o.size(), "output"));
  }
}

TEST(Attention, NaNInOneQueryRowStaysInItsRow) {
  for (int64_t lq : {1, 3, 70}) {
    Case c;
    c.H = 2, c.Hkv = 2, c.Lq = lq, c.Lk = 90, c.D = 16, c.Dv = 16, c.weights = true;
    Instance in;
    build(c, in);
    const int64_t bad = lq / 2;
    in.q[bad * 16 + 3] = std::nanf("");
    ASSERT_TRUE(attention(in.p));
    for (int64_t h = 0; h < 2; ++h)
      for (int64_t i = 0; i < lq; ++i)
        for (int64_t x = 0; x < 16; ++x)
          EXPECT_EQ(std::isnan(in.o[(h * lq + i) * 16 + x]), h == 0 && i == bad)
              << "h=" << h << " i=" << i;
  }
}

//===----------------------------------------------------------------------===//
// Heads and layouts
//===----------------------------------------------------------------------===//

TEST(Attention, GroupedQueryHeads) {
  for (int64_t hkv : {1, 2, 4}) {
    Case c;
    c.B = 2, c.H = 8, c.Hkv = hkv, c.Lq = 33, c.Lk = 77, c.D = 16, c.Dv = 16;
    c.causal = true, c.align = CausalAlign::bottomRight, c.weights = true, c.seed = unsigned(hkv);
    check(c);
  }
}

TEST(Attention, PackedHeadsLayout) {
  for (int64_t lq : {1, 3, 65}) {
    Case c;
    c.B = 2, c.H = 4, c.Hkv = 2, c.Lq = lq, c.Lk = 65, c.D = 16, c.Dv = 16, c.packed = true;
    c.causal = true, c.align = CausalAlign::bottomRight, c.mask = MaskKind::additive;
    c.shape = MaskShape::keyPadding, c.weights = true;
    check(c);
  }
}

/// Decoding rows over keys enough to split across threads (few heads, or a packed cache): each
/// thread's key range ends anywhere relative to key lengths, masks and the causal edge, and the
/// partial softmax states must combine to the reference; a range that sees nothing (key lengths
/// below its start, masked rows) must not disturb the others, and poison at hidden keys must
/// stay out. Two threads are forced so the split runs on any machine.
TEST(Attention, DecodeSplitAcrossKeys) {
  const int threads = omp_get_max_threads();
  omp_set_num_threads(2);
  for (int64_t lq : {1, 3})
    for (int64_t lk : {512, 700, 1030})
      for (bool packed : {false, true}) {
        Case c;
        c.B = 2, c.H = packed ? 4 : 1, c.Hkv = packed ? 2 : 1, c.Lq = lq, c.Lk = lk, c.D = 16;
        c.Dv = 24, c.packed = packed, c.seed = unsigned(lk + lq);
        c.mask = MaskKind::keyLengths, c.lengths = {lk / 3, lk}; // row 0 ends in range 0
        check(c);
        c.lengths = {0, lk - 1}; // batch 0 sees no key at all
        c.policy = MaskedRows::nan;
        check(c);
        c.mask = MaskKind::additive, c.shape = MaskShape::keyPadding, c.hiddenFraction = 0.5;
        c.causal = true, c.align = CausalAlign::bottomRight, c.policy = MaskedRows::zero;
        check(c);
        c.mask = MaskKind::additive, c.shape = MaskShape::full, c.hiddenRows = {0};
        c.policy = MaskedRows::nan;
        check(c);
      }
  // Poison in V past the key length of batch 0, in the second thread's range only.
  Case c;
  c.B = 2, c.H = 1, c.Lq = 1, c.Lk = 600, c.D = 16, c.Dv = 16;
  c.mask = MaskKind::keyLengths, c.lengths = {200, 600};
  Instance in;
  build(c, in);
  for (int64_t j = 200; j < 600; ++j)
    for (int64_t x = 0; x < 16; ++x)
      in.v[j * 16 + x] = x % 2 ? kInf : std::nanf("");
  std::vector<double> wantOut, wantW;
  referenceAttention(in.p, wantOut, wantW);
  ASSERT_TRUE(attention(in.p));
  EXPECT_TRUE(closeTo(in.o.data(), wantOut.data(), in.o.size(), "output"));
  for (int64_t x = 0; x < 16; ++x)
    ASSERT_TRUE(std::isfinite(in.o[x])) << x;
  omp_set_num_threads(threads);
}

TEST(Attention, StridedFeaturesAndWeights) {
  // Column strides != 1 in every tensor: features interleaved with a gap.
  Case c;
  c.B = 1, c.H = 2, c.Hkv = 2, c.Lq = 20, c.Lk = 30, c.D = 8, c.Dv = 8;
  Instance in;
  build(c, in);
  auto spread = [](const std::vector<float> &x) {
    std::vector<float> y(x.size() * 2, std::nanf(""));
    for (size_t i = 0; i < x.size(); ++i)
      y[2 * i] = x[i];
    return y;
  };
  std::vector<float> q2 = spread(in.q), k2 = spread(in.k), v2 = spread(in.v);
  std::vector<float> o2(in.o.size() * 2, 777.0f), w2(2 * 20 * 30 * 2, 777.0f);
  AttentionProblem p = in.p;
  auto twice = [](Strides4 s) { return Strides4{2 * s.batch, 2 * s.head, 2 * s.row, 2}; };
  p.query = q2.data(), p.key = k2.data(), p.value = v2.data(), p.output = o2.data();
  p.queryStrides = twice(p.queryStrides), p.keyStrides = twice(p.keyStrides);
  p.valueStrides = twice(p.valueStrides), p.outputStrides = twice(p.outputStrides);
  p.weights = w2.data(), p.weightsStrides = {2 * 20 * 30 * 2, 20 * 30 * 2, 30 * 2, 2};
  std::vector<double> wantOut, wantW;
  referenceAttention(in.p, wantOut, wantW);
  ASSERT_TRUE(attention(p));
  for (size_t i = 0; i < wantOut.size(); ++i)
    EXPECT_NEAR(o2[2 * i], wantOut[i], kAtol + kRtol * std::abs(wantOut[i]));
  for (size_t i = 0; i < wantW.size(); ++i)
    EXPECT_NEAR(w2[2 * i], wantW[i], kAtol + kRtol * std::abs(wantW[i]));
  for (size_t i = 1; i < o2.size(); i += 2)
    EXPECT_EQ(o2[i], 777.0f); // gaps untouched
}

TEST(Attention, RandomShapes) {
  std::mt19937 gen(2024);
  auto pick = [&](std::initializer_list<int64_t> xs) {
    std::vector<int64_t> v(xs);
    return v[std::uniform_int_distribution<size_t>(0, v.size() - 1)(gen)];
  };
  for (int t = 0; t < 80; ++t) {
    Case c;
    c.B = pick({1, 2, 3});
    c.Hkv = pick({1, 2});
    c.H = c.Hkv * pick({1, 2, 3});
    c.Lq = pick({1, 2, 5, 31, 63, 64, 65, 100, 129});
    c.Lk = pick({1, 3, 8, 63, 64, 65, 127, 150});
    c.D = pick({1, 7, 16, 33, 64});
    c.Dv = pick({1, 5, 16, 64});
    c.causal = pick({0, 1});
    c.align = pick({0, 1}) ? CausalAlign::bottomRight : CausalAlign::topLeft;
    c.mask = MaskKind(pick({0, 1, 2, 3}));
    c.shape = MaskShape(pick({0, 1, 2}));
    c.policy = pick({0, 1}) ? MaskedRows::nan : MaskedRows::zero;
    c.weights = pick({0, 1});
    c.packed = pick({0, 1});
    c.queryBlock = pick({0, 0, 16, 32});
    c.keyBlock = pick({0, 0, 16, 40});
    c.seed = unsigned(t + 100);
    check(c);
  }
}

/// The tests above use the best kernels of this CPU; these cases run every
/// set it can run (scalar, AVX2, AVX-512), so no path goes untested.
TEST(Attention, EveryKernelSet) {
  struct Reset {
    ~Reset() { detail::overrideMicroKernelsForTesting(nullptr); }
  } reset;
  for (const detail::MicroKernels *set : detail::availableMicroKernels()) {
    SCOPED_TRACE(set->name);
    detail::overrideMicroKernelsForTesting(set);
    std::mt19937 gen(99);
    auto pick = [&](std::initializer_list<int64_t> xs) {
      std::vector<int64_t> v(xs);
      return v[std::uniform_int_distribution<size_t>(0, v.size() - 1)(gen)];
    };
    for (int t = 0; t < 25; ++t) {
      Case c;
      c.B = pick({1, 2}), c.Hkv = pick({1, 2}), c.H = c.Hkv * pick({1, 2});
      c.Lq = pick({1, 3, 17, 64, 65, 129}), c.Lk = pick({1, 9, 64, 65, 130, 257});
      c.D = pick({5, 16, 64}), c.Dv = pick({3, 16, 64});
      c.causal = pick({0, 1}),
      c.align = pick({0, 1}) ? CausalAlign::bottomRight : CausalAlign::topLeft;
      c.mask = MaskKind(pick({0, 1, 2, 3})), c.shape = MaskShape(pick({0, 1, 2}));
      c.policy = pick({0, 1}) ? MaskedRows::nan : MaskedRows::zero;
      c.weights = pick({0, 1}), c.packed = pick({0, 1}), c.seed = unsigned(t + 500);
      c.logitScale = pick({1, 1, 300});
      check(c);
    }
    Case masked;
    masked.B = 2, masked.H = 2, masked.Hkv = 2, masked.Lq = 66, masked.Lk = 67;
    masked.mask = MaskKind::additive, masked.hiddenRows = {0, 65}, masked.weights = true;
    masked.policy = MaskedRows::nan;
    check(masked);
  }
}

TEST(Attention, EmptyAndMalformedProblems) {
  AttentionProblem p;
  p.heads = 4, p.kvHeads = 3;
  EXPECT_FALSE(attention(p));
  p.kvHeads = 0;
  EXPECT_FALSE(attention(p));
  p.kvHeads = 2, p.queryLength = -1;
  EXPECT_FALSE(attention(p));
  p.queryLength = 0;
  EXPECT_TRUE(attention(p)); // nothing to do
  p.queryLength = 3, p.keyLength = 2, p.headDim = 4, p.valueDim = 4;
  EXPECT_FALSE(attention(p)); // no tensors
  AdditiveAttentionProblem a;
  a.keyLength = 3, a.queryDim = 2, a.attentionDim = 2, a.valueDim = 2;
  EXPECT_FALSE(additiveAttention(a));
  a.queryLength = -1;
  EXPECT_FALSE(additiveAttention(a));
  // Lk = 0: every row masked.
  for (MaskedRows policy : {MaskedRows::zero, MaskedRows::nan}) {
    Case c;
    c.Lq = 5, c.Lk = 0, c.policy = policy;
    check(c);
  }
}

//===----------------------------------------------------------------------===//
// Float64 numpy references (attention_ref.py writes them; numpy-reference.test)
//===----------------------------------------------------------------------===//

struct Npy {
  std::string dtype; // "<f4", "<f8", "|b1", "<i8", "|u1"
  std::vector<int64_t> shape;
  std::vector<char> data;
  int64_t count() const {
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    return n;
  }
};

bool readNpy(const std::string &path, Npy &out) {
  std::ifstream f(path, std::ios::binary);
  if (!f)
    return false;
  char magic[8];
  f.read(magic, 8);
  if (!f || std::memcmp(magic, "\x93NUMPY", 6) != 0)
    return false;
  uint32_t headerLen = 0;
  if (magic[6] == 1) {
    unsigned char b[2];
    f.read(reinterpret_cast<char *>(b), 2);
    headerLen = b[0] | (b[1] << 8);
  } else {
    unsigned char b[4];
    f.read(reinterpret_cast<char *>(b), 4);
    headerLen = b[0] | (b[1] << 8) | (b[2] << 16) | (uint32_t(b[3]) << 24);
  }
  std::string header(headerLen, '\0');
  f.read(header.data(), headerLen);
  auto descr = header.find("'descr': '");
  if (descr == std::string::npos || header.find("'fortran_order': False") == std::string::npos)
    return false;
  out.dtype = header.substr(descr + 10, 3);
  auto lp = header.find('(', header.find("'shape'")), rp = header.find(')', lp);
  std::stringstream shape(header.substr(lp + 1, rp - lp - 1));
  out.shape.clear();
  for (std::string tok; std::getline(shape, tok, ',');)
    if (tok.find_first_not_of(' ') != std::string::npos)
      out.shape.push_back(std::stoll(tok));
  size_t size = out.dtype[2] - '0';
  out.data.resize(out.count() * size);
  f.read(out.data.data(), out.data.size());
  return bool(f) || out.data.empty();
}

template <typename T> std::vector<T> values(const Npy &n) {
  std::vector<T> v(n.count());
  if (!v.empty())
    std::memcpy(v.data(), n.data.data(), v.size() * sizeof(T));
  return v;
}

TEST(NumpyReference, Cases) {
  const char *dir = std::getenv("HEED_ATTENTION_CASES");
  if (!dir)
    GTEST_SKIP() << "HEED_ATTENTION_CASES not set (numpy-reference.test sets it)";
  std::ifstream list(std::string(dir) + "/cases.txt");
  ASSERT_TRUE(list) << "no cases.txt in " << dir;
  int cases = 0;
  for (std::string line; std::getline(list, line);) {
    std::istringstream is(line);
    std::string name;
    std::map<std::string, std::string> kv;
    is >> name;
    for (std::string tok; is >> tok;)
      kv[tok.substr(0, tok.find('='))] = tok.substr(tok.find('=') + 1);
    SCOPED_TRACE(line);
    auto num = [&](const char *k) { return std::stoll(kv.at(k)); };
    const std::string base = std::string(dir) + "/" + name + "_";
    Npy q, k, v, want, wantW, mask;
    ASSERT_TRUE(readNpy(base + "q.npy", q) && readNpy(base + "k.npy", k) &&
                readNpy(base + "v.npy", v) && readNpy(base + "out.npy", want) &&
                readNpy(base + "weights.npy", wantW));
    std::vector<float> qv = values<float>(q), kv2 = values<float>(k), vv = values<float>(v);
    const int64_t B = num("B"), H = num("H"), Hkv = num("Hkv"), Lq = num("Lq"), Lk = num("Lk");
    const int64_t D = num("D"), Dv = num("Dv");
    std::vector<float> out(B * H * Lq * Dv, 12345.0f), w(B * H * Lq * Lk, 12345.0f);
    AttentionProblem p;
    p.batch = B, p.heads = H, p.kvHeads = Hkv, p.queryLength = Lq, p.keyLength = Lk;
    p.headDim = D, p.valueDim = Dv, p.scale = std::stof(kv.at("scale"));
    p.query = qv.data(), p.key = kv2.data(), p.value = vv.data(), p.output = out.data();
    p.queryStrides = dense(H, Lq, D), p.outputStrides = dense(H, Lq, Dv);
    p.keyStrides = dense(Hkv, Lk, D), p.valueStrides = dense(Hkv, Lk, Dv);
    p.weights = w.data(), p.weightsStrides = dense(H, Lq, Lk);
    p.causal = num("causal"),
    p.causalAlign = num("bottom_right") ? CausalAlign::bottomRight : CausalAlign::topLeft;
    p.maskedRows = num("nan_rows") ? MaskedRows::nan : MaskedRows::zero;
    std::vector<float> addMask;
    std::vector<uint8_t> boolMask;
    std::vector<int64_t> lengths;
    const std::string maskKind = kv.at("mask");
    if (maskKind != "none") {
      ASSERT_TRUE(readNpy(base + "mask.npy", mask));
      if (maskKind == "keylen") {
        lengths = values<int64_t>(mask);
        p.keyLengths = lengths.data();
      } else {
        // A mask of rank <= 4 broadcast to [B, H, Lq, Lk] (numpy rules: align right).
        std::vector<int64_t> dims(4 - mask.shape.size(), 1);
        dims.insert(dims.end(), mask.shape.begin(), mask.shape.end());
        int64_t st[4], s = 1;
        for (int x = 3; x >= 0; --x)
          st[x] = dims[x] == 1 ? 0 : s, s *= dims[x];
        p.maskStrides = {st[0], st[1], st[2], st[3]};
        if (maskKind == "additive") {
          addMask = values<float>(mask);
          p.additiveMask = addMask.data();
        } else {
          boolMask = values<uint8_t>(mask);
          p.booleanMask = boolMask.data();
        }
      }
    }
    ASSERT_TRUE(attention(p));
    std::vector<double> wo = values<double>(want), ww = values<double>(wantW);
    EXPECT_TRUE(closeTo(out.data(), wo.data(), out.size(), "output"));
    EXPECT_TRUE(closeTo(w.data(), ww.data(), w.size(), "weights"));
    ++cases;
  }
  EXPECT_GT(cases, 0);
  std::printf("numpy reference: %d cases\n", cases);
}

} // namespace
