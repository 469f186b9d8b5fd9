//===- AdditiveAndMicroKernelsTest.cpp - Micro-kernels, additive attention ===//
//
// The AVX2 (and AVX-512) micro-kernels against the scalar ones, and the
// additive (Bahdanau) attention kernel against a naive double-precision
// reference; apart from AttentionTest.cpp, which tests the fused scaled
// dot-product attention.
//
//===----------------------------------------------------------------------===//

#include "runtime/drivers/cpu/kernels/Attention.h"
#include "runtime/drivers/cpu/kernels/MicroKernels.h"
#include "test/kernels/KernelTestSupport.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

using namespace heed::cpu;
using namespace heed::kernel_test;

namespace {

//===----------------------------------------------------------------------===//
// Micro-kernels: the AVX2 versions against the scalar ones
//===----------------------------------------------------------------------===//

TEST(MicroKernels, ExpAndTanhMatchTheLibrary) {
  for (const detail::MicroKernels *set : detail::availableMicroKernels()) {
    SCOPED_TRACE(set->name);
    const auto &mk = *set;
    std::vector<float> xs;
    for (float x = -100.0f; x <= 0.0f; x += 0.01f) // softmax exponentiates x - max <= 0
      xs.push_back(x);
    for (float x : {-kInf, kLowest, -87.5f, -87.0f, -86.9f, -1e-30f, 0.0f, -0.0f})
      xs.push_back(x);
    xs.push_back(std::nanf(""));
    while (xs.size() % 8)
      xs.push_back(0.0f);
    std::vector<float> e = xs;
    mk.expSum(e.data(), int64_t(e.size()), 0.0f);
    for (size_t i = 0; i < xs.size(); ++i) {
      double want = std::exp(double(xs[i]));
      if (std::isnan(xs[i]))
        EXPECT_TRUE(std::isnan(e[i]));
      else if (xs[i] == -kInf)
        EXPECT_EQ(e[i], 0.0f); // hidden keys get exactly 0
      else if (xs[i] < -87.0f)
        EXPECT_LE(e[i], 1.7e-38f) << xs[i]; // 0 or a denormal
      else
        EXPECT_NEAR(e[i], want, 3e-7 * want + 1e-37) << xs[i];
    }
    for (float x = -10.0f; x <= 10.0f; x += 0.001f) {
      float v = 1.0f, k = 0.0f;
      float got = mk.tanhEnergy(&x, &k, &v, 1);
      std::vector<float> q8(24, x), k8(24, 0.0f), v8(24, 1.0f);
      float got8 = mk.tanhEnergy(q8.data(), k8.data(), v8.data(), 8) / 8;
      float got24 = mk.tanhEnergy(q8.data(), k8.data(), v8.data(), 24) / 24;
      EXPECT_NEAR(got24, std::tanh(double(x)), 2e-6) << x;
      EXPECT_NEAR(got, std::tanh(double(x)), 1e-6);
      EXPECT_NEAR(got8, std::tanh(double(x)), 2e-6) << x;
    }
  }
}

/// Row walks of decoding: every shape class of the vector loops (16-key blocks and the key
/// tail, full and partial 16-lane chunks, d beyond one 64-column pass, row strides > d).
TEST(MicroKernels, DotsAndWeightedSumMatchDoubles) {
  std::mt19937 gen(11);
  std::uniform_real_distribution<float> uni(-1.0f, 1.0f);
  for (const detail::MicroKernels *set : detail::availableMicroKernels())
    for (int64_t n : {0, 1, 15, 16, 17, 33, 100})
      for (int64_t d : {1, 7, 16, 64, 65, 80, 130}) {
        const int64_t ld = d + 5;
        std::vector<float> q(d), k(n * ld + 1), p(n), out(n + 1, -7.0f), o(d);
        for (float &x : q)
          x = uni(gen);
        for (float &x : k)
          x = uni(gen);
        for (int64_t j = 0; j < n; ++j)
          p[j] = j % 5 == 3 ? 0.0f : uni(gen);
        for (float &x : o)
          x = uni(gen);
        std::vector<float> o0 = o;
        set->dots(q.data(), k.data(), ld, n, d, out.data());
        set->weightedSum(p.data(), k.data(), ld, n, d, o.data());
        for (int64_t j = 0; j < n; ++j) {
          double want = 0;
          for (int64_t c = 0; c < d; ++c)
            want += double(q[c]) * k[j * ld + c];
          ASSERT_NEAR(out[j], want, 1e-5 * double(d)) << set->name << " n=" << n << " d=" << d;
        }
        ASSERT_EQ(out[n], -7.0f) << set->name << ": wrote past n";
        for (int64_t c = 0; c < d; ++c) {
          double want = o0[c];
          for (int64_t j = 0; j < n; ++j)
            want += double(p[j]) * k[j * ld + c];
          ASSERT_NEAR(o[c], want, 1e-5 * double(n + 1)) << set->name << " n=" << n << " d=" << d;
        }
      }
}

/// The residual add + layer norm row against doubles, with and without each optional operand and
/// the RMS form, at
/// lengths around every vector width, a large mean offset (a one-pass variance would lose it), and
/// in place (y == x: the CPU driver's unfused fallback may hand the same row).
TEST(MicroKernels, AddNormRowMatchesDoubles) {
  std::mt19937 gen(5);
  std::uniform_real_distribution<float> uni(-1.0f, 1.0f);
  for (const detail::MicroKernels *set : detail::availableMicroKernels())
    for (int64_t n : {1, 3, 15, 16, 17, 31, 32, 33, 100, 512})
      for (int mask = 0; mask < 16; ++mask) {
        bool hasR = mask & 1, hasG = mask & 2, hasB = mask & 4, rms = mask & 8;
        std::vector<float> x(n), r(n), g(n), b(n), y(n + 1, -7.0f);
        for (int64_t j = 0; j < n; ++j) {
          x[j] = 100.0f + 3.0f * uni(gen);
          r[j] = uni(gen);
          g[j] = uni(gen);
          b[j] = uni(gen);
        }
        const float eps = 1e-5f;
        set->addNormRow(x.data(), hasR ? r.data() : nullptr, y.data(), n, eps,
                        hasG ? g.data() : nullptr, hasB ? b.data() : nullptr, rms);
        std::vector<double> s(n);
        double mean = 0, var = 0;
        for (int64_t j = 0; j < n; ++j)
          mean += s[j] = double(hasR ? x[j] + r[j] : x[j]); // the float sum, as an add stores it
        mean = rms ? 0.0 : mean / double(n);
        for (int64_t j = 0; j < n; ++j)
          var += (s[j] - mean) * (s[j] - mean);
        double inv = 1.0 / std::sqrt(var / double(n) + eps);
        for (int64_t j = 0; j < n; ++j) {
          double want = (s[j] - mean) * inv * (hasG ? g[j] : 1.0) + (hasB ? b[j] : 0.0);
          ASSERT_NEAR(y[j], want, 2e-4 * std::max(1.0, inv))
              << set->name << " n=" << n << " mask=" << mask << " j=" << j;
        }
        ASSERT_EQ(y[n], -7.0f) << set->name << ": wrote past n";
        std::vector<float> inPlace = x;
        set->addNormRow(inPlace.data(), hasR ? r.data() : nullptr, inPlace.data(), n, eps,
                        hasG ? g.data() : nullptr, hasB ? b.data() : nullptr, rms);
        for (int64_t j = 0; j < n; ++j)
          ASSERT_EQ(inPlace[j], y[j]) << set->name << " in place, n=" << n << " j=" << j;
      }
}

/// The additive-mask logits stay exact in double: s + m, its maximum (NaN passed over, -inf when
/// empty or all -inf) and x - shift rounded once to float, on every tail length.
TEST(MicroKernels, MaskedLogitsMatchDoubles) {
  std::mt19937 gen(11);
  std::uniform_real_distribution<float> uni(-8.0f, 8.0f);
  const double inf = std::numeric_limits<double>::infinity();
  for (const detail::MicroKernels *set : detail::availableMicroKernels())
    for (int64_t n : {0, 1, 3, 7, 8, 9, 15, 16, 17, 33, 64, 100}) {
      std::vector<float> s(n), m(n), y(n + 1, -7.0f);
      std::vector<double> x(n + 1, -7.0);
      for (int64_t j = 0; j < n; ++j) {
        s[j] = uni(gen);
        m[j] = j % 3 == 0 ? -1e4f : j % 5 == 0 ? std::numeric_limits<float>::lowest() : 0.0f;
      }
      set->maskedLogits(s.data(), m.data(), n, x.data());
      double want = -inf;
      for (int64_t j = 0; j < n; ++j) {
        ASSERT_EQ(x[j], double(s[j]) + double(m[j])) << set->name << " n=" << n << " j=" << j;
        want = std::max(want, x[j]);
      }
      ASSERT_EQ(x[n], -7.0) << set->name << ": wrote past n";
      ASSERT_EQ(set->rowMaxDouble(x.data(), n), want) << set->name << " n=" << n;
      if (n > 1) {
        x[n / 2] = std::nan(""); // passed over, wherever it sits among the lanes
        double without = -inf;
        for (int64_t j = 0; j < n; ++j)
          if (j != n / 2)
            without = std::max(without, x[j]);
        ASSERT_EQ(set->rowMaxDouble(x.data(), n), without) << set->name << " NaN, n=" << n;
        x[n / 2] = double(s[n / 2]) + double(m[n / 2]);
      }
      set->shiftedLogits(x.data(), n, want, y.data());
      for (int64_t j = 0; j < n; ++j)
        ASSERT_EQ(y[j], float(x[j] - want)) << set->name << " n=" << n << " j=" << j;
      ASSERT_EQ(y[n], -7.0f) << set->name << ": wrote past n";
    }
  std::vector<double> hidden(20, -inf);
  for (const detail::MicroKernels *set : detail::availableMicroKernels())
    ASSERT_EQ(set->rowMaxDouble(hidden.data(), 20), -inf) << set->name;
}

/// A key with weight 0 never touches the output, whatever its value row holds; a NaN weight
/// does (it must show).
TEST(MicroKernels, WeightedSumSkipsZeroWeights) {
  for (const detail::MicroKernels *set : detail::availableMicroKernels())
    for (int64_t n : {1, 2, 3, 18})
      for (float bad : {kInf, -kInf, std::nanf("")}) {
        const int64_t d = 70;
        std::vector<float> v(n * d, 1.0f), p(n, 0.5f), o(d, 0.0f);
        std::fill(v.begin() + (n - 1) * d, v.end(), bad);
        p[n - 1] = 0.0f;
        set->weightedSum(p.data(), v.data(), d, n, d, o.data());
        for (int64_t c = 0; c < d; ++c)
          ASSERT_EQ(o[c], 0.5f * float(n - 1)) << set->name << " n=" << n;
        p[0] = std::nanf("");
        set->weightedSum(p.data(), v.data(), d, n, d, o.data());
        ASSERT_TRUE(std::isnan(o[0])) << set->name;
      }
}

TEST(MicroKernels, AllFinite) {
  for (const detail::MicroKernels *set : detail::availableMicroKernels())
    for (int64_t n : {0, 1, 7, 8, 9, 16, 21})
      for (float bad : {kInf, -kInf, std::nanf("")}) {
        std::vector<float> x(n, 1.0f);
        x.push_back(bad); // just past the end: never read
        EXPECT_TRUE(set->allFinite(x.data(), n)) << set->name << " n=" << n;
        for (int64_t at = 0; at < n; ++at) {
          x[at] = bad;
          EXPECT_FALSE(set->allFinite(x.data(), n)) << set->name << " n=" << n << " at=" << at;
          x[at] = kLowest;
        }
      }
}

TEST(MicroKernels, Transpose) {
  for (const detail::MicroKernels *set : detail::availableMicroKernels())
    for (int64_t rows : {1, 7, 8, 9, 16, 130})
      for (int64_t cols : {1, 5, 8, 13, 64}) {
        std::vector<float> src(rows * (cols + 3)), dst(cols * (rows + 2), -1.0f);
        for (size_t i = 0; i < src.size(); ++i)
          src[i] = float(i);
        set->transpose(rows, cols, src.data(), cols + 3, dst.data(), rows + 2);
        for (int64_t r = 0; r < rows; ++r)
          for (int64_t c = 0; c < cols; ++c)
            ASSERT_EQ(dst[c * (rows + 2) + r], src[r * (cols + 3) + c])
                << set->name << " " << rows << "x" << cols;
        for (int64_t c = 0; c < cols; ++c) // padding untouched
          ASSERT_EQ(dst[c * (rows + 2) + rows], -1.0f);
      }
}

TEST(MicroKernels, GemmMatchesScalar) {
  const auto &slow = *detail::availableMicroKernels().front();
  for (const detail::MicroKernels *set : detail::availableMicroKernels()) {
    SCOPED_TRACE(set->name);
    const auto &fast = *set;
    std::mt19937 gen(7);
    std::uniform_real_distribution<float> uni(-1.0f, 1.0f);
    for (int64_t m : {1, 5, 6, 7, 8, 9, 13, 17})
      for (int64_t n : {8, 16, 24, 32, 40, 72, 128})
        for (int64_t k : {0, 1, 9, 64}) {
          std::vector<float> a(m * k + 1), b(k * n + 1), c1(m * n), c2(m * n);
          for (float &x : a)
            x = uni(gen);
          for (float &x : b)
            x = uni(gen);
          for (float &x : c1)
            x = uni(gen);
          c2 = c1;
          fast.gemm(m, n, k, a.data(), k, b.data(), n, c1.data(), n, m % 2);
          slow.gemm(m, n, k, a.data(), k, b.data(), n, c2.data(), n, m % 2);
          for (int64_t i = 0; i < m * n; ++i)
            ASSERT_NEAR(c1[i], c2[i], 1e-5) << m << "x" << n << "x" << k;
        }
  }
}

//===----------------------------------------------------------------------===//
// Additive (Bahdanau) attention
//===----------------------------------------------------------------------===//

struct AdditiveCase {
  int64_t B = 2, Lq = 3, Lk = 10, Dq = 8, A = 16, Dv = 8;
  int maskKind = 0; // 0 none, 1 additive [B, Lq, Lk], 2 boolean [B, 1, Lk], 3 key lengths
  MaskedRows policy = MaskedRows::zero;
  bool weights = true;
  std::vector<int64_t> lengths;
  unsigned seed = 1;
};

void checkAdditive(const AdditiveCase &c) {
  std::ostringstream os;
  os << "B=" << c.B << " Lq=" << c.Lq << " Lk=" << c.Lk << " Dq=" << c.Dq << " A=" << c.A
     << " Dv=" << c.Dv << " mask=" << c.maskKind << " nan=" << (c.policy == MaskedRows::nan);
  SCOPED_TRACE(os.str());
  std::mt19937 gen(c.seed);
  std::uniform_real_distribution<float> uni(-1.0f, 1.0f), unit(0.0f, 1.0f);
  auto random = [&](int64_t n, float s = 1.0f) {
    std::vector<float> x(n);
    for (float &y : x)
      y = uni(gen) * s;
    return x;
  };
  std::vector<float> q = random(c.B * c.Lq * c.Dq), kp = random(c.B * c.Lk * c.A),
                     vals = random(c.B * c.Lk * c.Dv), wq = random(c.A * c.Dq, 0.5f),
                     v = random(c.A, 2.0f);
  std::vector<float> out(c.B * c.Lq * c.Dv, 12345.0f), w(c.B * c.Lq * c.Lk, 12345.0f);
  std::vector<float> add;
  std::vector<uint8_t> boolean;
  std::vector<int64_t> lengths = c.lengths;
  AdditiveAttentionProblem p;
  p.batch = c.B, p.queryLength = c.Lq, p.keyLength = c.Lk, p.queryDim = c.Dq;
  p.attentionDim = c.A, p.valueDim = c.Dv;
  p.query = q.data(), p.keysProj = kp.data(), p.values = vals.data(), p.wQuery = wq.data();
  p.v = v.data(), p.output = out.data(), p.maskedRows = c.policy;
  if (c.weights)
    p.weights = w.data();
  if (c.maskKind == 1) {
    add.resize(c.B * c.Lq * c.Lk);
    for (float &x : add) {
      float u = unit(gen);
      x = u < 0.2f ? -kInf : u < 0.3f ? kLowest : u < 0.4f ? -1e4f : uni(gen);
    }
    for (int64_t j = 0; j < c.Lk; ++j)
      add[j] = -kInf; // (b=0, i=0) fully masked
    p.additiveMask = add.data();
    p.maskStrides[0] = c.Lq * c.Lk, p.maskStrides[1] = c.Lk, p.maskStrides[2] = 1;
  } else if (c.maskKind == 2) {
    boolean.resize(c.B * c.Lk);
    for (auto &x : boolean)
      x = unit(gen) < 0.7f;
    p.booleanMask = boolean.data();
    p.maskStrides[0] = c.Lk, p.maskStrides[1] = 0, p.maskStrides[2] = 1;
  } else if (c.maskKind == 3) {
    while (int64_t(lengths.size()) < c.B)
      lengths.push_back(std::uniform_int_distribution<int64_t>(0, c.Lk)(gen));
    p.keyLengths = lengths.data();
  }
  // Poison at hidden keys (key lengths) must not leak.
  if (c.maskKind == 3)
    for (int64_t b = 0; b < c.B; ++b)
      for (int64_t j = lengths[b]; j < c.Lk; ++j)
        for (int64_t x = 0; x < c.Dv; ++x)
          vals[(b * c.Lk + j) * c.Dv + x] = kInf;
  ASSERT_TRUE(additiveAttention(p));

  std::vector<double> wantOut(out.size(), 0.0), wantW(w.size(), 0.0);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (int64_t b = 0; b < c.B; ++b)
    for (int64_t i = 0; i < c.Lq; ++i) {
      std::vector<double> qp(c.A, 0.0), e(c.Lk);
      std::vector<bool> vis(c.Lk, true);
      for (int64_t a = 0; a < c.A; ++a)
        for (int64_t d = 0; d < c.Dq; ++d)
          qp[a] += double(wq[a * c.Dq + d]) * q[(b * c.Lq + i) * c.Dq + d];
      double m = -INFINITY;
      for (int64_t j = 0; j < c.Lk; ++j) {
        double s = 0;
        for (int64_t a = 0; a < c.A; ++a)
          s += double(v[a]) * std::tanh(qp[a] + kp[(b * c.Lk + j) * c.A + a]);
        if (c.maskKind == 1)
          s += add[(b * c.Lq + i) * c.Lk + j];
        if (c.maskKind == 2 && !boolean[b * c.Lk + j])
          vis[j] = false;
        if (c.maskKind == 3 && j >= lengths[b])
          vis[j] = false;
        if (s == -INFINITY)
          vis[j] = false;
        e[j] = s;
        if (vis[j])
          m = std::max(m, s);
      }
      double *o = wantOut.data() + (b * c.Lq + i) * c.Dv;
      double *ww = wantW.data() + (b * c.Lq + i) * c.Lk;
      if (m == -INFINITY) {
        double fill = c.policy == MaskedRows::nan ? nan : 0.0;
        std::fill(o, o + c.Dv, fill), std::fill(ww, ww + c.Lk, fill);
        continue;
      }
      double l = 0;
      for (int64_t j = 0; j < c.Lk; ++j)
        l += ww[j] = vis[j] ? std::exp(e[j] - m) : 0.0;
      for (int64_t j = 0; j < c.Lk; ++j) {
        ww[j] /= l;
        if (vis[j])
          for (int64_t x = 0; x < c.Dv; ++x)
            o[x] += ww[j] * vals[(b * c.Lk + j) * c.Dv + x];
      }
    }
  EXPECT_TRUE(closeTo(out.data(), wantOut.data(), out.size(), "output"));
  if (c.weights)
    EXPECT_TRUE(closeTo(w.data(), wantW.data(), w.size(), "weights"));
}

TEST(AdditiveAttention, MatchesReference) {
  struct Reset {
    ~Reset() { detail::overrideMicroKernelsForTesting(nullptr); }
  } reset;
  for (const detail::MicroKernels *set : detail::availableMicroKernels()) {
    SCOPED_TRACE(set->name);
    detail::overrideMicroKernelsForTesting(set);
    unsigned seed = 1;
    for (int mask : {0, 1, 2, 3})
      for (MaskedRows policy : {MaskedRows::zero, MaskedRows::nan})
        for (auto [lq, lk, a] : {std::tuple<int64_t, int64_t, int64_t>{1, 1, 1},
                                 {3, 10, 16},
                                 {5, 33, 7},
                                 {17, 64, 128}}) {
          AdditiveCase c;
          c.Lq = lq, c.Lk = lk, c.A = a, c.maskKind = mask, c.policy = policy, c.seed = seed++;
          checkAdditive(c);
        }
    AdditiveCase zero;
    zero.B = 3, zero.maskKind = 3, zero.lengths = {0, 1, 10}, zero.policy = MaskedRows::nan;
    checkAdditive(zero);
    AdditiveCase wide; // projection tiles and tails, 16-lane tanh
    wide.B = 2, wide.Lq = 3, wide.Lk = 20, wide.Dq = 37, wide.A = 55, wide.Dv = 19;
    wide.maskKind = 1;
    checkAdditive(wide);
    AdditiveCase panels; // more query rows than one projection panel (256)
    panels.B = 2, panels.Lq = 150, panels.Lk = 7, panels.Dq = 5, panels.A = 9, panels.Dv = 3;
    panels.maskKind = 3, panels.seed = 77;
    checkAdditive(panels);
  }
}

} // namespace
