//===- MicroKernels.h - Inner loops of Heed's CPU kernels -------*- C++ -*-===//
//
// Block products and row operations used by the fused attention kernels, in an
// AVX2/FMA version and a scalar one; kernels() picks one at the first call from
// what the CPU supports. Internal to HeedCpuKernels.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_RUNTIME_DRIVERS_CPU_KERNELS_MICROKERNELS_H
#define HEED_RUNTIME_DRIVERS_CPU_KERNELS_MICROKERNELS_H

#include <cstdint>

namespace heed::cpu::detail {

struct MicroKernels {
  /// C[m x n] = A[m x k] B[k x n] (+ C when accumulate). Row-major with leading
  /// dimensions in elements; n is a multiple of 8.
  void (*gemm)(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const float *b,
               int64_t ldb, float *c, int64_t ldc, bool accumulate);
  /// Largest element of x[0..n) (NaNs may or may not be seen; callers do not rely on it).
  float (*rowMax)(const float *x, int64_t n);
  /// x[j] = exp(x[j] - shift) with exp(-inf) = 0 exactly and NaN kept; returns the sum.
  float (*expSum)(float *x, int64_t n, float shift);
  /// sum_j a[j] * b[j].
  float (*dot)(const float *a, const float *b, int64_t n);
  /// y[j] += alpha * x[j].
  void (*axpy)(int64_t n, float alpha, const float *x, float *y);
  /// sum_j v[j] * tanh(q[j] + k[j]) (additive attention's energy).
  float (*tanhEnergy)(const float *q, const float *k, const float *v, int64_t n);
  const char *name;
};

/// The best kernels this CPU runs (AVX2+FMA or scalar), chosen once.
const MicroKernels &microKernels();
/// The scalar kernels, for tests.
const MicroKernels &scalarMicroKernels();

} // namespace heed::cpu::detail

#endif // HEED_RUNTIME_DRIVERS_CPU_KERNELS_MICROKERNELS_H
