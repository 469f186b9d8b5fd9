//===- MicroKernels.cpp - AVX2/FMA and scalar inner loops -----------------===//
//
// The AVX2 functions carry target attributes, so this file builds without
// -mavx2 and the scalar versions stay runnable on any x86-64.
//
//===----------------------------------------------------------------------===//

#include "runtime/drivers/cpu/kernels/MicroKernels.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <stdexcept>
#include <string>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define HEED_HAVE_X86 1
#endif

namespace heed::cpu::detail {
namespace {

//===----------------------------------------------------------------------===//
// Scalar
//===----------------------------------------------------------------------===//

void gemmScalar(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const float *b,
                int64_t ldb, float *c, int64_t ldc, bool accumulate) {
  for (int64_t i = 0; i < m; ++i) {
    float *ci = c + i * ldc;
    if (!accumulate)
      for (int64_t j = 0; j < n; ++j)
        ci[j] = 0.0f;
    for (int64_t p = 0; p < k; ++p) {
      float aip = a[i * lda + p];
      const float *bp = b + p * ldb;
      for (int64_t j = 0; j < n; ++j)
        ci[j] += aip * bp[j];
    }
  }
}

void transposeScalar(int64_t rows, int64_t cols, const float *src, int64_t lds, float *dst,
                     int64_t ldd) {
  for (int64_t c = 0; c < cols; ++c)
    for (int64_t r = 0; r < rows; ++r)
      dst[c * ldd + r] = src[r * lds + c];
}

float rowMaxScalar(const float *x, int64_t n) {
  float m = -std::numeric_limits<float>::infinity();
  for (int64_t j = 0; j < n; ++j)
    m = x[j] > m ? x[j] : m;
  return m;
}

float expSumScalar(float *x, int64_t n, float shift) {
  float sum = 0.0f;
  for (int64_t j = 0; j < n; ++j) {
    x[j] = std::exp(x[j] - shift); // exp(-inf) == 0 exactly
    sum += x[j];
  }
  return sum;
}

float dotScalar(const float *a, const float *b, int64_t n) {
  float s = 0.0f;
  for (int64_t j = 0; j < n; ++j)
    s += a[j] * b[j];
  return s;
}

void axpyScalar(int64_t n, float alpha, const float *x, float *y) {
  for (int64_t j = 0; j < n; ++j)
    y[j] += alpha * x[j];
}

bool allFiniteScalar(const float *x, int64_t n) {
  for (int64_t j = 0; j < n; ++j)
    if (!std::isfinite(x[j]))
      return false;
  return true;
}

void scaleScalar(int64_t n, float alpha, const float *x, float *y) {
  for (int64_t j = 0; j < n; ++j)
    y[j] = alpha * x[j];
}

float tanhEnergyScalar(const float *q, const float *k, const float *v, int64_t n) {
  float s = 0.0f;
  for (int64_t j = 0; j < n; ++j)
    s += v[j] * std::tanh(q[j] + k[j]);
  return s;
}

void dotsScalar(const float *q, const float *k, int64_t ldk, int64_t n, int64_t d, float *out) {
  for (int64_t j = 0; j < n; ++j)
    out[j] = dotScalar(q, k + j * ldk, d);
}

void weightedSumScalar(const float *p, const float *v, int64_t ldv, int64_t n, int64_t d,
                       float *o) {
  for (int64_t j = 0; j < n; ++j)
    if (p[j] != 0.0f)
      axpyScalar(d, p[j], v + j * ldv, o);
}

/// The body of every addNormRow: plain loops over W partial sums, which each target's
/// vectorizer turns into W-lane vectors (it inlines into the target-attributed wrappers below and
/// is compiled for their instruction set). The sum is kept in y between the passes.
template <int W>
__attribute__((always_inline)) inline void addNormRowBody(const float *x, const float *r, float *y,
                                                          int64_t n, float eps, const float *g,
                                                          const float *b, bool rms) {
  float part[W] = {};
  int64_t j = 0;
  for (; j + W <= n; j += W)
    for (int l = 0; l < W; ++l) {
      float s = r ? x[j + l] + r[j + l] : x[j + l];
      y[j + l] = s;
      part[l] += s;
    }
  float sum = 0;
  for (; j < n; ++j) {
    float s = r ? x[j] + r[j] : x[j];
    y[j] = s;
    sum += s;
  }
  for (int l = 0; l < W; ++l)
    sum += part[l];
  const float mean = n && !rms ? sum / float(n) : 0.0f;
  float sq[W] = {};
  for (j = 0; j + W <= n; j += W)
    for (int l = 0; l < W; ++l) {
      float d = y[j + l] - mean;
      sq[l] += d * d;
    }
  float var = 0;
  for (; j < n; ++j)
    var += (y[j] - mean) * (y[j] - mean);
  for (int l = 0; l < W; ++l)
    var += sq[l];
  const float inv = 1.0f / std::sqrt((n ? var / float(n) : 0.0f) + eps);
  if (g && b)
    for (j = 0; j < n; ++j)
      y[j] = (y[j] - mean) * inv * g[j] + b[j];
  else if (g)
    for (j = 0; j < n; ++j)
      y[j] = (y[j] - mean) * inv * g[j];
  else if (b)
    for (j = 0; j < n; ++j)
      y[j] = (y[j] - mean) * inv + b[j];
  else
    for (j = 0; j < n; ++j)
      y[j] = (y[j] - mean) * inv;
}

void addNormRowScalar(const float *x, const float *r, float *y, int64_t n, float eps,
                      const float *g, const float *b, bool rms) {
  addNormRowBody<4>(x, r, y, n, eps, g, b, rms);
}

/// The bodies of the additive-mask logit kernels, vectorized per target like addNormRowBody: W
/// lanes of double.
__attribute__((always_inline)) inline void maskedLogitsBody(const float *s, const float *m,
                                                            int64_t n, double *x) {
  for (int64_t j = 0; j < n; ++j)
    x[j] = double(s[j]) + double(m[j]);
}

template <int W>
__attribute__((always_inline)) inline double rowMaxDoubleBody(const double *x, int64_t n) {
  double part[W];
  for (int l = 0; l < W; ++l)
    part[l] = -std::numeric_limits<double>::infinity();
  int64_t j = 0;
  for (; j + W <= n; j += W)
    for (int l = 0; l < W; ++l)
      part[l] = x[j + l] > part[l] ? x[j + l] : part[l]; // a NaN never wins
  double best = -std::numeric_limits<double>::infinity();
  for (; j < n; ++j)
    best = x[j] > best ? x[j] : best;
  for (int l = 0; l < W; ++l)
    best = part[l] > best ? part[l] : best;
  return best;
}

__attribute__((always_inline)) inline void shiftedLogitsBody(const double *x, int64_t n,
                                                             double shift, float *y) {
  for (int64_t j = 0; j < n; ++j)
    y[j] = float(x[j] - shift);
}

void maskedLogitsScalar(const float *s, const float *m, int64_t n, double *x) {
  maskedLogitsBody(s, m, n, x);
}
double rowMaxDoubleScalar(const double *x, int64_t n) { return rowMaxDoubleBody<2>(x, n); }
void shiftedLogitsScalar(const double *x, int64_t n, double shift, float *y) {
  shiftedLogitsBody(x, n, shift, y);
}

/// Rows this far ahead are prefetched by the row walks (dots, weightedSum). Decoding reads K and V
/// rows that are far apart in packed-heads layouts ([B, L, H*D]), where the hardware prefetchers,
/// which follow streams within a page, miss them; at 2 KiB row strides farther prefetches were
/// evicted before use (decode packed, 8 heads x 1024 keys: 0.123 ms -> 0.111 at 8 rows, 0.125 at
/// 16, 0.136 at 32).
constexpr int64_t kPrefetchRows = 8;

inline void prefetchRow(const float *x, int64_t n) {
  for (int64_t i = 0; i < n; i += 16)
    __builtin_prefetch(x + i);
}

//===----------------------------------------------------------------------===//
// AVX2 + FMA
//===----------------------------------------------------------------------===//

#ifdef HEED_HAVE_X86
#define HEED_AVX2 __attribute__((target("avx2,fma")))
#define HEED_AVX2_INLINE __attribute__((target("avx2,fma"), always_inline)) inline

HEED_AVX2_INLINE float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

HEED_AVX2_INLINE float hmax(__m256 v) {
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

/// exp(x) for x <= 0 (softmax exponentiates logits minus their maximum):
/// Cephes' polynomial (~2 ulp), exactly 0 below -87 (so exp(-inf) = 0), NaN
/// stays NaN (MINPS/MAXPS return their second operand on NaN, so x goes
/// second); x > 0 is clamped to 0. 2^n goes straight into y's exponent bits.
HEED_AVX2_INLINE __m256 expNonPositive256(__m256 x) {
  const __m256 lo = _mm256_set1_ps(-87.0f);
  __m256 under = _mm256_cmp_ps(x, lo, _CMP_LT_OQ);
  x = _mm256_max_ps(lo, _mm256_min_ps(_mm256_setzero_ps(), x));
  __m256 fx = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                              _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(0.693359375f), x);
  x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(-2.12194440e-4f), x);
  __m256 y = _mm256_set1_ps(1.9875691500E-4f);
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.3981999507E-3f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(8.3334519073E-3f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(4.1665795894E-2f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.6666665459E-1f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(5.0000001201E-1f));
  y = _mm256_fmadd_ps(y, _mm256_mul_ps(x, x), _mm256_add_ps(x, _mm256_set1_ps(1.0f)));
  __m256i n = _mm256_slli_epi32(_mm256_cvtps_epi32(fx), 23);
  y = _mm256_castsi256_ps(_mm256_add_epi32(_mm256_castps_si256(y), n));
  return _mm256_andnot_ps(under, y);
}

/// tanh(x) as Eigen's rational approximation (odd 13/6), exact sign, +-1 beyond
/// +-7.9; NaN stays NaN.
HEED_AVX2_INLINE __m256 tanh256(__m256 x) {
  const __m256 clamp = _mm256_set1_ps(7.90531110763549805f);
  __m256 small = _mm256_cmp_ps(_mm256_andnot_ps(_mm256_set1_ps(-0.0f), x), _mm256_set1_ps(0.0004f),
                               _CMP_LT_OQ);
  __m256 xc = _mm256_max_ps(_mm256_sub_ps(_mm256_setzero_ps(), clamp), _mm256_min_ps(clamp, x));
  __m256 x2 = _mm256_mul_ps(xc, xc);
  __m256 p = _mm256_set1_ps(-2.76076847742355e-16f);
  p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(2.00018790482477e-13f));
  p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(-8.60467152213735e-11f));
  p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(5.12229709037114e-08f));
  p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(1.48572235717979e-05f));
  p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(6.37261928875436e-04f));
  p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(4.89352455891786e-03f));
  p = _mm256_mul_ps(p, xc);
  __m256 q = _mm256_set1_ps(1.19825839466702e-06f);
  q = _mm256_fmadd_ps(q, x2, _mm256_set1_ps(1.18534705686654e-04f));
  q = _mm256_fmadd_ps(q, x2, _mm256_set1_ps(2.26843463243900e-03f));
  q = _mm256_fmadd_ps(q, x2, _mm256_set1_ps(4.89352518554385e-03f));
  return _mm256_blendv_ps(_mm256_div_ps(p, q), x, small);
}

/// One register tile: C[R x 8W] (+)= A[R x k] B[k x 8W].
template <int R, int W>
HEED_AVX2_INLINE void gemmTile(int64_t k, const float *a, int64_t lda, const float *b, int64_t ldb,
                               float *c, int64_t ldc, bool accumulate) {
  __m256 acc[R][W];
  for (int r = 0; r < R; ++r)
    for (int w = 0; w < W; ++w)
      acc[r][w] = accumulate ? _mm256_loadu_ps(c + r * ldc + 8 * w) : _mm256_setzero_ps();
  for (int64_t p = 0; p < k; ++p) {
    __m256 bv[W];
    for (int w = 0; w < W; ++w)
      bv[w] = _mm256_loadu_ps(b + p * ldb + 8 * w);
    for (int r = 0; r < R; ++r) {
      __m256 av = _mm256_broadcast_ss(a + r * lda + p);
      for (int w = 0; w < W; ++w)
        acc[r][w] = _mm256_fmadd_ps(av, bv[w], acc[r][w]);
    }
  }
  for (int r = 0; r < R; ++r)
    for (int w = 0; w < W; ++w)
      _mm256_storeu_ps(c + r * ldc + 8 * w, acc[r][w]);
}

template <int W>
HEED_AVX2_INLINE void gemmRows(int64_t rows, int64_t k, const float *a, int64_t lda, const float *b,
                               int64_t ldb, float *c, int64_t ldc, bool accumulate) {
  int64_t i = 0;
  for (; i + 6 <= rows; i += 6)
    gemmTile<6, W>(k, a + i * lda, lda, b, ldb, c + i * ldc, ldc, accumulate);
  const float *ai = a + i * lda;
  float *ci = c + i * ldc;
  switch (rows - i) {
  case 5:
    gemmTile<5, W>(k, ai, lda, b, ldb, ci, ldc, accumulate);
    break;
  case 4:
    gemmTile<4, W>(k, ai, lda, b, ldb, ci, ldc, accumulate);
    break;
  case 3:
    gemmTile<3, W>(k, ai, lda, b, ldb, ci, ldc, accumulate);
    break;
  case 2:
    gemmTile<2, W>(k, ai, lda, b, ldb, ci, ldc, accumulate);
    break;
  case 1:
    gemmTile<1, W>(k, ai, lda, b, ldb, ci, ldc, accumulate);
    break;
  default:
    break;
  }
}

HEED_AVX2 void gemmAvx2(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda,
                        const float *b, int64_t ldb, float *c, int64_t ldc, bool accumulate) {
  int64_t j = 0;
  for (; j + 16 <= n; j += 16)
    gemmRows<2>(m, k, a, lda, b + j, ldb, c + j, ldc, accumulate);
  if (j < n)
    gemmRows<1>(m, k, a, lda, b + j, ldb, c + j, ldc, accumulate);
}

/// 8 x 8 tiles through registers (unpack/shuffle/permute), scalar edges.
HEED_AVX2 void transposeAvx2(int64_t rows, int64_t cols, const float *src, int64_t lds, float *dst,
                             int64_t ldd) {
  int64_t r0 = 0;
  for (; r0 + 8 <= rows; r0 += 8) {
    int64_t c0 = 0;
    for (; c0 + 8 <= cols; c0 += 8) {
      const float *s = src + r0 * lds + c0;
      __m256 r[8], t[8];
      for (int i = 0; i < 8; ++i)
        r[i] = _mm256_loadu_ps(s + i * lds);
      for (int i = 0; i < 8; i += 2) {
        t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
      }
      for (int i = 0; i < 8; i += 4) {
        r[i] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));
        r[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));
        r[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
        r[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
      }
      float *d = dst + c0 * ldd + r0;
      for (int i = 0; i < 4; ++i) {
        _mm256_storeu_ps(d + i * ldd, _mm256_permute2f128_ps(r[i], r[i + 4], 0x20));
        _mm256_storeu_ps(d + (i + 4) * ldd, _mm256_permute2f128_ps(r[i], r[i + 4], 0x31));
      }
    }
    transposeScalar(8, cols - c0, src + r0 * lds + c0, lds, dst + c0 * ldd + r0, ldd);
  }
  transposeScalar(rows - r0, cols, src + r0 * lds, lds, dst + r0, ldd);
}

HEED_AVX2 void addNormRowAvx2(const float *x, const float *r, float *y, int64_t n, float eps,
                              const float *g, const float *b, bool rms) {
  addNormRowBody<16>(x, r, y, n, eps, g, b, rms);
}

HEED_AVX2 void maskedLogitsAvx2(const float *s, const float *m, int64_t n, double *x) {
  maskedLogitsBody(s, m, n, x);
}
HEED_AVX2 double rowMaxDoubleAvx2(const double *x, int64_t n) { return rowMaxDoubleBody<8>(x, n); }
HEED_AVX2 void shiftedLogitsAvx2(const double *x, int64_t n, double shift, float *y) {
  shiftedLogitsBody(x, n, shift, y);
}

HEED_AVX2 float rowMaxAvx2(const float *x, int64_t n) {
  const float ninf = -std::numeric_limits<float>::infinity();
  __m256 m = _mm256_set1_ps(ninf);
  int64_t j = 0;
  for (; j + 8 <= n; j += 8)
    m = _mm256_max_ps(m, _mm256_loadu_ps(x + j));
  float r = hmax(m);
  for (; j < n; ++j)
    r = x[j] > r ? x[j] : r;
  return r;
}

HEED_AVX2 float expSumAvx2(float *x, int64_t n, float shift) {
  __m256 s = _mm256_set1_ps(shift), sum = _mm256_setzero_ps();
  int64_t j = 0;
  for (; j + 8 <= n; j += 8) {
    __m256 e = expNonPositive256(_mm256_sub_ps(_mm256_loadu_ps(x + j), s));
    _mm256_storeu_ps(x + j, e);
    sum = _mm256_add_ps(sum, e);
  }
  float r = hsum(sum);
  for (; j < n; ++j) {
    x[j] = std::exp(x[j] - shift);
    r += x[j];
  }
  return r;
}

HEED_AVX2 float dotAvx2(const float *a, const float *b, int64_t n) {
  __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
  int64_t j = 0;
  for (; j + 16 <= n; j += 16) {
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + j), _mm256_loadu_ps(b + j), s0);
    s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + j + 8), _mm256_loadu_ps(b + j + 8), s1);
  }
  for (; j + 8 <= n; j += 8)
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + j), _mm256_loadu_ps(b + j), s0);
  float r = hsum(_mm256_add_ps(s0, s1));
  for (; j < n; ++j)
    r += a[j] * b[j];
  return r;
}

HEED_AVX2 void axpyAvx2(int64_t n, float alpha, const float *x, float *y) {
  __m256 av = _mm256_set1_ps(alpha);
  int64_t j = 0;
  for (; j + 8 <= n; j += 8)
    _mm256_storeu_ps(y + j, _mm256_fmadd_ps(av, _mm256_loadu_ps(x + j), _mm256_loadu_ps(y + j)));
  for (; j < n; ++j)
    y[j] += alpha * x[j];
}

/// x - x is 0 for finite x and NaN for inf and NaN.
HEED_AVX2 bool allFiniteAvx2(const float *x, int64_t n) {
  __m256 acc = _mm256_setzero_ps();
  int64_t j = 0;
  for (; j + 8 <= n; j += 8) {
    __m256 v = _mm256_loadu_ps(x + j);
    acc = _mm256_or_ps(acc, _mm256_sub_ps(v, v));
  }
  if (_mm256_movemask_ps(_mm256_cmp_ps(acc, acc, _CMP_UNORD_Q)))
    return false;
  return allFiniteScalar(x + j, n - j);
}

HEED_AVX2 void scaleAvx2(int64_t n, float alpha, const float *x, float *y) {
  __m256 av = _mm256_set1_ps(alpha);
  int64_t j = 0;
  for (; j + 8 <= n; j += 8)
    _mm256_storeu_ps(y + j, _mm256_mul_ps(av, _mm256_loadu_ps(x + j)));
  for (; j < n; ++j)
    y[j] = alpha * x[j];
}

HEED_AVX2 float tanhEnergyAvx2(const float *q, const float *k, const float *v, int64_t n) {
  __m256 s = _mm256_setzero_ps();
  int64_t j = 0;
  for (; j + 8 <= n; j += 8) {
    __m256 t = tanh256(_mm256_add_ps(_mm256_loadu_ps(q + j), _mm256_loadu_ps(k + j)));
    s = _mm256_fmadd_ps(_mm256_loadu_ps(v + j), t, s);
  }
  float r = hsum(s);
  for (; j < n; ++j)
    r += v[j] * std::tanh(q[j] + k[j]);
  return r;
}

HEED_AVX2 void dotsAvx2(const float *q, const float *k, int64_t ldk, int64_t n, int64_t d,
                        float *out) {
  for (int64_t j = 0; j < n; ++j) {
    if (j + kPrefetchRows < n)
      prefetchRow(k + (j + kPrefetchRows) * ldk, d);
    out[j] = dotAvx2(q, k + j * ldk, d);
  }
}

HEED_AVX2 void weightedSumAvx2(const float *p, const float *v, int64_t ldv, int64_t n, int64_t d,
                               float *o) {
  for (int64_t j = 0; j < n; ++j) {
    if (j + kPrefetchRows < n)
      prefetchRow(v + (j + kPrefetchRows) * ldv, d);
    if (p[j] != 0.0f)
      axpyAvx2(d, p[j], v + j * ldv, o);
  }
}

//===----------------------------------------------------------------------===//
// AVX-512 (F): the block product, the exponential and the decoding row walks; the rest is AVX2's.
//===----------------------------------------------------------------------===//

#define HEED_AVX512 __attribute__((target("avx512f,avx2,fma")))
#define HEED_AVX512_INLINE __attribute__((target("avx512f,avx2,fma"), always_inline)) inline

/// expNonPositive256 on 16 lanes.
HEED_AVX512_INLINE __m512 expNonPositive512(__m512 x) {
  const __m512 lo = _mm512_set1_ps(-87.0f);
  __mmask16 under = _mm512_cmp_ps_mask(x, lo, _CMP_LT_OQ);
  x = _mm512_max_ps(lo, _mm512_min_ps(_mm512_setzero_ps(), x));
  __m512 fx = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  x = _mm512_fnmadd_ps(fx, _mm512_set1_ps(0.693359375f), x);
  x = _mm512_fnmadd_ps(fx, _mm512_set1_ps(-2.12194440e-4f), x);
  __m512 y = _mm512_set1_ps(1.9875691500E-4f);
  y = _mm512_fmadd_ps(y, x, _mm512_set1_ps(1.3981999507E-3f));
  y = _mm512_fmadd_ps(y, x, _mm512_set1_ps(8.3334519073E-3f));
  y = _mm512_fmadd_ps(y, x, _mm512_set1_ps(4.1665795894E-2f));
  y = _mm512_fmadd_ps(y, x, _mm512_set1_ps(1.6666665459E-1f));
  y = _mm512_fmadd_ps(y, x, _mm512_set1_ps(5.0000001201E-1f));
  y = _mm512_fmadd_ps(y, _mm512_mul_ps(x, x), _mm512_add_ps(x, _mm512_set1_ps(1.0f)));
  y = _mm512_scalef_ps(y, fx); // y * 2^fx in one instruction (fx is integral)
  return _mm512_mask_mov_ps(y, under, _mm512_setzero_ps());
}

/// C[R x 16W] (+)= A[R x k] B[k x 16W].
template <int R, int W>
HEED_AVX512_INLINE void gemmTile512(int64_t k, const float *a, int64_t lda, const float *b,
                                    int64_t ldb, float *c, int64_t ldc, bool accumulate) {
  __m512 acc[R][W];
  for (int r = 0; r < R; ++r)
    for (int w = 0; w < W; ++w)
      acc[r][w] = accumulate ? _mm512_loadu_ps(c + r * ldc + 16 * w) : _mm512_setzero_ps();
  // Row pointers held in registers: each broadcast is then one load with the loop index, where
  // a[r * lda + p] cost an address computation per row and step (S1: ~35% more instructions).
  const float *ar[R];
  for (int r = 0; r < R; ++r) {
    ar[r] = a + r * lda;
    asm("" : "+r"(ar[r])); // opaque: the compiler cannot fold it back into a + r * lda
  }
  for (int64_t p = 0; p < k; ++p, b += ldb) {
    __m512 bv[W];
    for (int w = 0; w < W; ++w)
      bv[w] = _mm512_loadu_ps(b + 16 * w);
    for (int r = 0; r < R; ++r) {
      __m512 av = _mm512_set1_ps(ar[r][p]);
      for (int w = 0; w < W; ++w)
        acc[r][w] = _mm512_fmadd_ps(av, bv[w], acc[r][w]);
    }
  }
  for (int r = 0; r < R; ++r)
    for (int w = 0; w < W; ++w)
      _mm512_storeu_ps(c + r * ldc + 16 * w, acc[r][w]);
}

template <int W>
HEED_AVX512_INLINE void gemmRows512(int64_t rows, int64_t k, const float *a, int64_t lda,
                                    const float *b, int64_t ldb, float *c, int64_t ldc,
                                    bool accumulate) {
  int64_t i = 0;
  for (; i + 8 <= rows; i += 8)
    gemmTile512<8, W>(k, a + i * lda, lda, b, ldb, c + i * ldc, ldc, accumulate);
  const float *ai = a + i * lda;
  float *ci = c + i * ldc;
  switch (rows - i) {
  case 7:
    gemmTile512<7, W>(k, ai, lda, b, ldb, ci, ldc, accumulate);
    break;
  case 6:
    gemmTile512<6, W>(k, ai, lda, b, ldb, ci, ldc, accumulate);
    break;
  case 5:
    gemmTile512<5, W>(k, ai, lda, b, ldb, ci, ldc, accumulate);
    break;
  case 4:
    gemmTile512<4, W>(k, ai, lda, b, ldb, ci, ldc, accumulate);
    break;
  case 3:
    gemmTile512<3, W>(k, ai, lda, b, ldb, ci, ldc, accumulate);
    break;
  case 2:
    gemmTile512<2, W>(k, ai, lda, b, ldb, ci, ldc, accumulate);
    break;
  case 1:
    gemmTile512<1, W>(k, ai, lda, b, ldb, ci, ldc, accumulate);
    break;
  default:
    break;
  }
}

HEED_AVX512 void gemmAvx512(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda,
                            const float *b, int64_t ldb, float *c, int64_t ldc, bool accumulate) {
  int64_t j = 0;
  for (; j + 32 <= n; j += 32)
    gemmRows512<2>(m, k, a, lda, b + j, ldb, c + j, ldc, accumulate);
  for (; j + 16 <= n; j += 16)
    gemmRows512<1>(m, k, a, lda, b + j, ldb, c + j, ldc, accumulate);
  if (j < n) // the last 8 columns
    gemmRows<1>(m, k, a, lda, b + j, ldb, c + j, ldc, accumulate);
}

/// tanh256's approximation on 16 lanes.
HEED_AVX512_INLINE __m512 tanh512(__m512 x) {
  const __m512 clamp = _mm512_set1_ps(7.90531110763549805f);
  __mmask16 small = _mm512_cmp_ps_mask(_mm512_abs_ps(x), _mm512_set1_ps(0.0004f), _CMP_LT_OQ);
  __m512 xc = _mm512_max_ps(_mm512_sub_ps(_mm512_setzero_ps(), clamp), _mm512_min_ps(clamp, x));
  __m512 x2 = _mm512_mul_ps(xc, xc);
  __m512 p = _mm512_set1_ps(-2.76076847742355e-16f);
  p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(2.00018790482477e-13f));
  p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(-8.60467152213735e-11f));
  p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(5.12229709037114e-08f));
  p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(1.48572235717979e-05f));
  p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(6.37261928875436e-04f));
  p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(4.89352455891786e-03f));
  p = _mm512_mul_ps(p, xc);
  __m512 q = _mm512_set1_ps(1.19825839466702e-06f);
  q = _mm512_fmadd_ps(q, x2, _mm512_set1_ps(1.18534705686654e-04f));
  q = _mm512_fmadd_ps(q, x2, _mm512_set1_ps(2.26843463243900e-03f));
  q = _mm512_fmadd_ps(q, x2, _mm512_set1_ps(4.89352518554385e-03f));
  return _mm512_mask_mov_ps(_mm512_div_ps(p, q), small, x);
}

HEED_AVX512 float tanhEnergyAvx512(const float *q, const float *k, const float *v, int64_t n) {
  __m512 s = _mm512_setzero_ps();
  int64_t j = 0;
  for (; j + 16 <= n; j += 16) {
    __m512 t = tanh512(_mm512_add_ps(_mm512_loadu_ps(q + j), _mm512_loadu_ps(k + j)));
    s = _mm512_fmadd_ps(_mm512_loadu_ps(v + j), t, s);
  }
  float r = _mm512_reduce_add_ps(s);
  if (j < n)
    r += tanhEnergyAvx2(q + j, k + j, v + j, n - j);
  return r;
}

/// Lanes [0, n) of 16, n clamped to [0, 16].
HEED_AVX512_INLINE __mmask16 lanes(int64_t n) {
  return n >= 16 ? __mmask16(0xFFFF) : n <= 0 ? __mmask16(0) : __mmask16((1u << n) - 1);
}

HEED_AVX512 void addNormRowAvx512(const float *x, const float *r, float *y, int64_t n, float eps,
                                  const float *g, const float *b, bool rms) {
  addNormRowBody<32>(x, r, y, n, eps, g, b, rms);
}

HEED_AVX512 void maskedLogitsAvx512(const float *s, const float *m, int64_t n, double *x) {
  maskedLogitsBody(s, m, n, x);
}
HEED_AVX512 double rowMaxDoubleAvx512(const double *x, int64_t n) {
  return rowMaxDoubleBody<16>(x, n);
}
HEED_AVX512 void shiftedLogitsAvx512(const double *x, int64_t n, double shift, float *y) {
  shiftedLogitsBody(x, n, shift, y);
}

HEED_AVX512 float rowMaxAvx512(const float *x, int64_t n) {
  const __m512 none = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
  __m512 m = none;
  int64_t j = 0;
  for (; j + 16 <= n; j += 16)
    m = _mm512_max_ps(m, _mm512_loadu_ps(x + j));
  if (j < n) // the tail in one masked step (the lanes past n read as -inf)
    m = _mm512_max_ps(m, _mm512_mask_loadu_ps(none, lanes(n - j), x + j));
  return _mm512_reduce_max_ps(m);
}

/// The tail in one masked step: a row of 64 floats is 4 multiplies, not 8 AVX2 ones.
HEED_AVX512 void scaleAvx512(int64_t n, float alpha, const float *x, float *y) {
  __m512 av = _mm512_set1_ps(alpha);
  int64_t j = 0;
  for (; j + 16 <= n; j += 16)
    _mm512_storeu_ps(y + j, _mm512_mul_ps(av, _mm512_loadu_ps(x + j)));
  if (j < n) {
    __mmask16 m = lanes(n - j);
    _mm512_mask_storeu_ps(y + j, m, _mm512_mul_ps(av, _mm512_maskz_loadu_ps(m, x + j)));
  }
}

HEED_AVX512 float expSumAvx512(float *x, int64_t n, float shift) {
  __m512 s = _mm512_set1_ps(shift), sum = _mm512_setzero_ps();
  int64_t j = 0;
  for (; j + 16 <= n; j += 16) {
    __m512 e = expNonPositive512(_mm512_sub_ps(_mm512_loadu_ps(x + j), s));
    _mm512_storeu_ps(x + j, e);
    sum = _mm512_add_ps(sum, e);
  }
  if (j < n) { // the tail in one masked step (causal rows end anywhere; no scalar expf)
    __mmask16 m = lanes(n - j);
    __m512 e = expNonPositive512(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + j), s));
    e = _mm512_maskz_mov_ps(m, e);
    _mm512_mask_storeu_ps(x + j, m, e);
    sum = _mm512_add_ps(sum, e);
  }
  return _mm512_reduce_add_ps(sum);
}

/// The 16 horizontal sums of a[0..15], in order, as one vector: three rounds of pairwise adds
/// of interleaved halves (about 3 instructions per sum instead of 8 for a reduction each).
HEED_AVX512_INLINE __m512 sum16(const __m512 *a) {
  __m512 b[8], c[4];
  for (int i = 0; i < 8; ++i) // per 128-bit lane: [x0+x2, y0+y2, x1+x3, y1+y3]
    b[i] = _mm512_add_ps(_mm512_unpacklo_ps(a[2 * i], a[2 * i + 1]),
                         _mm512_unpackhi_ps(a[2 * i], a[2 * i + 1]));
  for (int i = 0; i < 4; ++i) // per lane: the partial sums of a[4i .. 4i+3]
    c[i] = _mm512_add_ps(_mm512_shuffle_ps(b[2 * i], b[2 * i + 1], _MM_SHUFFLE(1, 0, 1, 0)),
                         _mm512_shuffle_ps(b[2 * i], b[2 * i + 1], _MM_SHUFFLE(3, 2, 3, 2)));
  __m512 f0 = _mm512_add_ps(_mm512_shuffle_f32x4(c[0], c[1], _MM_SHUFFLE(1, 0, 1, 0)),
                            _mm512_shuffle_f32x4(c[0], c[1], _MM_SHUFFLE(3, 2, 3, 2)));
  __m512 f1 = _mm512_add_ps(_mm512_shuffle_f32x4(c[2], c[3], _MM_SHUFFLE(1, 0, 1, 0)),
                            _mm512_shuffle_f32x4(c[2], c[3], _MM_SHUFFLE(3, 2, 3, 2)));
  return _mm512_add_ps(_mm512_shuffle_f32x4(f0, f1, _MM_SHUFFLE(2, 0, 2, 0)),
                       _mm512_shuffle_f32x4(f0, f1, _MM_SHUFFLE(3, 1, 3, 1)));
}

/// 16 keys at a time: one accumulator per key, q's chunks loaded once per chunk.
HEED_AVX512 void dotsAvx512(const float *q, const float *k, int64_t ldk, int64_t n, int64_t d,
                            float *out) {
  int64_t j = 0;
  for (; j + 16 <= n; j += 16) {
    for (int64_t r = 16; r < 16 + kPrefetchRows && j + r < n; ++r)
      prefetchRow(k + (j + r) * ldk, d);
    __m512 acc[16];
    for (int r = 0; r < 16; ++r)
      acc[r] = _mm512_setzero_ps();
    for (int64_t c = 0; c < d; c += 16) {
      __mmask16 m = lanes(d - c);
      __m512 qv = _mm512_maskz_loadu_ps(m, q + c);
      for (int r = 0; r < 16; ++r)
        acc[r] = _mm512_fmadd_ps(qv, _mm512_maskz_loadu_ps(m, k + (j + r) * ldk + c), acc[r]);
    }
    _mm512_storeu_ps(out + j, sum16(acc));
  }
  for (; j < n; ++j) {
    __m512 acc = _mm512_setzero_ps();
    for (int64_t c = 0; c < d; c += 16) {
      __mmask16 m = lanes(d - c);
      acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, q + c),
                            _mm512_maskz_loadu_ps(m, k + j * ldk + c), acc);
    }
    out[j] = _mm512_reduce_add_ps(acc);
  }
}

/// acc[0..3] += pj * row[0..64) (lanes masked by m).
HEED_AVX512_INLINE void addRow(__m512 *acc, const __mmask16 *m, float pj, const float *row) {
  __m512 pv = _mm512_set1_ps(pj);
  for (int i = 0; i < 4; ++i)
    acc[i] = _mm512_fmadd_ps(pv, _mm512_maskz_loadu_ps(m[i], row + 16 * i), acc[i]);
}

/// 64 columns at a time held in registers across all keys (two sets of accumulators for
/// alternate keys, so consecutive FMAs do not wait on each other), added to o once.
HEED_AVX512 void weightedSumAvx512(const float *p, const float *v, int64_t ldv, int64_t n,
                                   int64_t d, float *o) {
  for (int64_t c0 = 0; c0 < d; c0 += 64) {
    const int64_t w = std::min<int64_t>(64, d - c0);
    __mmask16 m[4];
    __m512 a[4], b[4];
    for (int i = 0; i < 4; ++i) {
      m[i] = lanes(w - 16 * i);
      a[i] = b[i] = _mm512_setzero_ps();
    }
    int64_t j = 0;
    for (; j + 2 <= n; j += 2) {
      if (j + kPrefetchRows + 1 < n) {
        prefetchRow(v + (j + kPrefetchRows) * ldv + c0, w);
        prefetchRow(v + (j + kPrefetchRows + 1) * ldv + c0, w);
      }
      if (p[j] != 0.0f)
        addRow(a, m, p[j], v + j * ldv + c0);
      if (p[j + 1] != 0.0f)
        addRow(b, m, p[j + 1], v + (j + 1) * ldv + c0);
    }
    if (j < n && p[j] != 0.0f)
      addRow(a, m, p[j], v + j * ldv + c0);
    for (int i = 0; i < 4; ++i) {
      float *dst = o + c0 + 16 * i;
      __m512 sum = _mm512_add_ps(a[i], b[i]);
      _mm512_mask_storeu_ps(dst, m[i], _mm512_add_ps(_mm512_maskz_loadu_ps(m[i], dst), sum));
    }
  }
}
#endif // HEED_HAVE_X86

const MicroKernels kScalar = {gemmScalar,         transposeScalar,     rowMaxScalar,
                              expSumScalar,       allFiniteScalar,     axpyScalar,
                              scaleScalar,        tanhEnergyScalar,    dotsScalar,
                              weightedSumScalar,  addNormRowScalar,    maskedLogitsScalar,
                              rowMaxDoubleScalar, shiftedLogitsScalar, "scalar"};
#ifdef HEED_HAVE_X86
const MicroKernels kAvx512 = {gemmAvx512,         transposeAvx2,       rowMaxAvx512,
                              expSumAvx512,       allFiniteAvx2,       axpyAvx2,
                              scaleAvx512,        tanhEnergyAvx512,    dotsAvx512,
                              weightedSumAvx512,  addNormRowAvx512,    maskedLogitsAvx512,
                              rowMaxDoubleAvx512, shiftedLogitsAvx512, "avx512"};
const MicroKernels kAvx2 = {gemmAvx2,         transposeAvx2,     rowMaxAvx2,     expSumAvx2,
                            allFiniteAvx2,    axpyAvx2,          scaleAvx2,      tanhEnergyAvx2,
                            dotsAvx2,         weightedSumAvx2,   addNormRowAvx2, maskedLogitsAvx2,
                            rowMaxDoubleAvx2, shiftedLogitsAvx2, "avx2"};
#endif

const MicroKernels *testOverride = nullptr;

} // namespace

std::vector<const MicroKernels *> availableMicroKernels() {
  std::vector<const MicroKernels *> sets = {&kScalar};
#ifdef HEED_HAVE_X86
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    sets.push_back(&kAvx2);
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2") &&
      __builtin_cpu_supports("fma"))
    sets.push_back(&kAvx512);
#endif
  return sets;
}

/// The best set this CPU runs, or the one HEED_CPU_ISA names (scalar, avx2, avx512): users compare
/// the paths a smaller machine would take (beside oneDNN's ONEDNN_MAX_CPU_ISA). A name this CPU
/// cannot run, or an unknown one, is an error rather than a silent fallback.
static const MicroKernels *chosenMicroKernels() {
  std::vector<const MicroKernels *> sets = availableMicroKernels();
  const char *wanted = std::getenv("HEED_CPU_ISA");
  if (!wanted || !*wanted)
    return sets.back();
  for (const MicroKernels *set : sets)
    if (std::string(set->name) == wanted)
      return set;
  std::string runnable;
  for (const MicroKernels *set : sets)
    runnable += std::string(runnable.empty() ? "" : ", ") + set->name;
  throw std::runtime_error("HEED_CPU_ISA=" + std::string(wanted) +
                           ": not an instruction set this CPU runs (it runs: " + runnable + ")");
}

const MicroKernels &microKernels() {
  static const MicroKernels *best = chosenMicroKernels();
  return testOverride ? *testOverride : *best;
}

void overrideMicroKernelsForTesting(const MicroKernels *kernels) { testOverride = kernels; }

} // namespace heed::cpu::detail
