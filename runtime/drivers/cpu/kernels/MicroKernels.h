//===- MicroKernels.h - Inner loops of Heed's CPU kernels -------*- C++ -*-===//
//
// Block products and row operations used by the fused attention kernels, in an
// AVX2/FMA version AVX-512 and scalar ones; microKernels() picks one at the first call from
// what the CPU supports. Internal to HeedCpuKernels.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_RUNTIME_DRIVERS_CPU_KERNELS_MICROKERNELS_H
#define HEED_RUNTIME_DRIVERS_CPU_KERNELS_MICROKERNELS_H

#include <cstdint>
#include <vector>

namespace heed::cpu::detail {

struct MicroKernels {
  /// C[m x n] = A[m x k] B[k x n] (+ C when accumulate). Row-major with leading
  /// dimensions in elements; n is a multiple of 8.
  void (*gemm)(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const float *b,
               int64_t ldb, float *c, int64_t ldc, bool accumulate);
  /// dst[c * ldd + r] = src[r * lds + c] for r < rows, c < cols.
  void (*transpose)(int64_t rows, int64_t cols, const float *src, int64_t lds, float *dst,
                    int64_t ldd);
  /// Largest element of x[0..n) (NaNs may or may not be seen; callers do not rely on it).
  float (*rowMax)(const float *x, int64_t n);
  /// x[j] = exp(x[j] - shift) for x[j] <= shift (softmax: shift is the
  /// maximum), exp(-inf) = 0 exactly, NaN kept; returns the sum. Vector
  /// versions clamp x[j] - shift > 0 to 0.
  float (*expSum)(float *x, int64_t n, float shift);
  /// True iff no x[j] is inf or NaN.
  bool (*allFinite)(const float *x, int64_t n);
  /// y[j] += alpha * x[j].
  void (*axpy)(int64_t n, float alpha, const float *x, float *y);
  /// y[j] = alpha * x[j] (x may be y).
  void (*scale)(int64_t n, float alpha, const float *x, float *y);
  /// sum_j v[j] * tanh(q[j] + k[j]) (additive attention's energy).
  float (*tanhEnergy)(const float *q, const float *k, const float *v, int64_t n);
  /// out[j] = sum_c q[c] * k[j * ldk + c] (c < d) for j < n: one query row's scores against n
  /// key rows, read in place (decoding: no packing pays off for one row).
  void (*dots)(const float *q, const float *k, int64_t ldk, int64_t n, int64_t d, float *out);
  /// o[c] += sum_j p[j] * v[j * ldv + c] (c < d) over the j < n with p[j] != 0: a hidden key
  /// never touches o, whatever its row of V holds (inf, NaN).
  void (*weightedSum)(const float *p, const float *v, int64_t ldv, int64_t n, int64_t d, float *o);
  /// y[j] = (s[j] - mean(s)) / sqrt(var(s) + eps) * g[j] + b[j] for s = x + r over one row of n
  /// (r, g, b may be null): a post-norm layer's residual add and layer norm reading x and r once.
  /// Biased variance; the sums in float partials, as oneDNN's layer norm keeps them. With `rms`
  /// the mean is taken as 0 (RMSNorm: s / sqrt(mean(s^2) + eps)).
  void (*addNormRow)(const float *x, const float *r, float *y, int64_t n, float eps, const float *g,
                     const float *b, bool rms);
  /// The additive-mask logits, kept in double (Attention.cpp's numerics): x[j] = double(s[j]) +
  /// double(m[j]) for j < n.
  void (*maskedLogits)(const float *s, const float *m, int64_t n, double *x);
  /// Largest of x[0..n) (-inf for n = 0; NaNs are passed over).
  double (*rowMaxDouble)(const double *x, int64_t n);
  /// y[j] = float(x[j] - shift) for j < n.
  void (*shiftedLogits)(const double *x, int64_t n, double shift, float *y);
  const char *name;
};

/// The kernels the attention entry points use: the best this CPU runs
/// (AVX-512, AVX2+FMA or scalar, chosen once) unless a test overrode them.
const MicroKernels &microKernels();
/// Every kernel set this CPU can run, scalar first, best last (for tests).
std::vector<const MicroKernels *> availableMicroKernels();
/// Makes microKernels() return `kernels` (nullptr: back to the best). Tests only;
/// not thread-safe against concurrent kernel calls.
void overrideMicroKernelsForTesting(const MicroKernels *kernels);

} // namespace heed::cpu::detail

#endif // HEED_RUNTIME_DRIVERS_CPU_KERNELS_MICROKERNELS_H
