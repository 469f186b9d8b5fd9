//===- MicroKernels.cpp - AVX2/FMA and scalar inner loops -----------------===//
//
// The AVX2 functions carry target attributes, so this file builds without
// -mavx2 and the scalar versions stay runnable on any x86-64.
//
//===----------------------------------------------------------------------===//

#include "runtime/drivers/cpu/kernels/MicroKernels.h"

#include <cmath>
#include <limits>

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

float tanhEnergyScalar(const float *q, const float *k, const float *v, int64_t n) {
  float s = 0.0f;
  for (int64_t j = 0; j < n; ++j)
    s += v[j] * std::tanh(q[j] + k[j]);
  return s;
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

/// exp(x) (Cephes' polynomial, ~2 ulp): exactly 0 below -87 (so exp(-inf) = 0),
/// +inf above 88.37, NaN stays NaN (MINPS/MAXPS return their second operand
/// on NaN, so x goes second).
HEED_AVX2_INLINE __m256 exp256(__m256 x) {
  const __m256 hi = _mm256_set1_ps(88.3762626647949f);
  const __m256 lo = _mm256_set1_ps(-87.0f);
  __m256 under = _mm256_cmp_ps(x, lo, _CMP_LT_OQ);
  __m256 over = _mm256_cmp_ps(x, hi, _CMP_GT_OQ);
  x = _mm256_min_ps(hi, x);
  x = _mm256_max_ps(lo, x);
  __m256 fx = _mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504088896341f), _mm256_set1_ps(0.5f));
  fx = _mm256_floor_ps(fx);
  x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(0.693359375f), x);
  x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(-2.12194440e-4f), x);
  __m256 y = _mm256_set1_ps(1.9875691500E-4f);
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.3981999507E-3f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(8.3334519073E-3f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(4.1665795894E-2f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.6666665459E-1f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(5.0000001201E-1f));
  y = _mm256_fmadd_ps(y, _mm256_mul_ps(x, x), _mm256_add_ps(x, _mm256_set1_ps(1.0f)));
  __m256i e = _mm256_add_epi32(_mm256_cvttps_epi32(fx), _mm256_set1_epi32(127));
  y = _mm256_mul_ps(y, _mm256_castsi256_ps(_mm256_slli_epi32(e, 23)));
  y = _mm256_andnot_ps(under, y);
  return _mm256_blendv_ps(y, _mm256_set1_ps(std::numeric_limits<float>::infinity()), over);
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
    __m256 e = exp256(_mm256_sub_ps(_mm256_loadu_ps(x + j), s));
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
#endif // HEED_HAVE_X86

const MicroKernels kScalar = {gemmScalar, rowMaxScalar,     expSumScalar, dotScalar,
                              axpyScalar, tanhEnergyScalar, "scalar"};
#ifdef HEED_HAVE_X86
const MicroKernels kAvx2 = {gemmAvx2, rowMaxAvx2,     expSumAvx2, dotAvx2,
                            axpyAvx2, tanhEnergyAvx2, "avx2"};
#endif

} // namespace

const MicroKernels &scalarMicroKernels() { return kScalar; }

const MicroKernels &microKernels() {
#ifdef HEED_HAVE_X86
  static const MicroKernels *chosen = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? &kAvx2 : &kScalar;
  }();
  return *chosen;
#else
  return kScalar;
#endif
}

} // namespace heed::cpu::detail
