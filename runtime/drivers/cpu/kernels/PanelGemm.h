//===- PanelGemm.h - Products by a constant weight packed once ---*- C++ -*-===//
//
// y = x W (+ bias) with W packed once into 16-column panels, each [K][16] contiguous, so every
// call streams the weight in the order the register tiles read it and never packs it again.
// oneDNN 2.6 offers that only through its brgemm matmul, which needs AVX-512; below it the
// matmul primitive and sgemm both re-pack W on every call, which costs as much as the product
// itself at a few hundred rows (128 x 512 x 2048 on AVX2: 44 GFLOP/s on one core against the
// core's 96). Internal to HeedCpuKernels; the CPU driver keeps the packed weight with the
// module's constants.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_RUNTIME_DRIVERS_CPU_KERNELS_PANELGEMM_H
#define HEED_RUNTIME_DRIVERS_CPU_KERNELS_PANELGEMM_H

#include <cstdint>
#include <vector>

namespace heed::cpu {

/// The logical [K, N] weight in ceil(N / 16) panels of [K][16] floats, the last one zero-padded.
struct PanelWeight {
  int64_t k = 0, n = 0;
  std::vector<float> panels;
};

/// Packs W, stored [N, K] when `storedNK` (y = x W^T, nn.Linear's layout) else [K, N].
PanelWeight packPanels(const float *w, int64_t k, int64_t n, bool storedNK);

/// y[M, N] (row stride ldy) = x[M, K] (row stride ldx) W (+ bias[N] when not null), the blocks of
/// rows and panels shared among the threads.
void panelGemm(const float *x, int64_t m, int64_t ldx, const PanelWeight &w, const float *bias,
               float *y, int64_t ldy);

} // namespace heed::cpu

#endif // HEED_RUNTIME_DRIVERS_CPU_KERNELS_PANELGEMM_H
