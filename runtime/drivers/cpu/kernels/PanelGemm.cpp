//===- PanelGemm.cpp - Products by a constant weight packed once ----------===//
//
// Blocking: a task is up to kRowBlock rows times a group of panels whose whole K fits
// kGroupBytes (consecutive tasks take the next rows of the same group, which then comes from L2);
// it walks K in chunks of kChunkK, so the rows' chunk (48 x 256 floats, 48 KiB) stays in L2
// while each panel's chunk (256 x 16 floats, 16 KiB) stays in L1 for the row tiles that read
// it. The register tiles are the micro-kernels' (6 x 16 on AVX2).
//
//===----------------------------------------------------------------------===//

#include "runtime/drivers/cpu/kernels/PanelGemm.h"

#include "runtime/drivers/cpu/kernels/MicroKernels.h"
#include "runtime/drivers/cpu/kernels/Parallel.h"

#include <algorithm>
#include <cstring>

namespace heed::cpu {
namespace {
constexpr int64_t kPanel = 16;
constexpr int64_t kRowBlock = 48;
constexpr int64_t kMaxPanelsPerTask = 8;
constexpr int64_t kGroupBytes = 256 << 10;
constexpr int64_t kChunkK = 256;
} // namespace

PanelWeight packPanels(const float *w, int64_t k, int64_t n, bool storedNK) {
  PanelWeight p;
  p.k = k;
  p.n = n;
  int64_t panels = (n + kPanel - 1) / kPanel;
  p.panels.assign(size_t(panels * k * kPanel), 0.0f);
  for (int64_t j = 0; j < panels; ++j)
    for (int64_t r = 0; r < k; ++r) {
      float *dst = p.panels.data() + (j * k + r) * kPanel;
      for (int64_t c = 0, col = j * kPanel; c < kPanel && col < n; ++c, ++col)
        dst[c] = storedNK ? w[col * k + r] : w[r * n + col];
    }
  return p;
}

void panelGemm(const float *x, int64_t m, int64_t ldx, const PanelWeight &w, const float *bias,
               float *y, int64_t ldy) {
  const int64_t k = w.k, n = w.n;
  if (m == 0 || n == 0)
    return;
  const detail::MicroKernels &mk = detail::microKernels();
  const int64_t panels = (n + kPanel - 1) / kPanel;
  const int64_t rowBlocks = (m + kRowBlock - 1) / kRowBlock;
  const int64_t perTask =
      std::clamp<int64_t>(kGroupBytes / (std::max<int64_t>(k, 1) * kPanel * int64_t(sizeof(float))),
                          1, kMaxPanelsPerTask);
  const int64_t groups = (panels + perTask - 1) / perTask;
  detail::parallelTasks(rowBlocks * groups, [&](auto next) {
    float edge[kRowBlock * kPanel]; // the last panel's columns past n land here
    for (int64_t t = next(); t >= 0; t = next()) {
      // Consecutive tasks share their panels (a thread's next block of rows re-reads them).
      const int64_t group = t / rowBlocks, r0 = (t % rowBlocks) * kRowBlock;
      const int64_t rows = std::min(kRowBlock, m - r0);
      const int64_t p0 = group * perTask, p1 = std::min(panels, p0 + perTask);
      const float *xb = x + r0 * ldx;
      float *yb = y + r0 * ldy;
      if (k == 0)
        for (int64_t i = 0; i < rows; ++i)
          std::fill(yb + i * ldy + p0 * kPanel, yb + i * ldy + std::min(n, p1 * kPanel), 0.0f);
      for (int64_t k0 = 0; k0 < k; k0 += kChunkK) {
        const int64_t kc = std::min(kChunkK, k - k0);
        for (int64_t j = p0; j < p1; ++j) {
          const float *panel = w.panels.data() + (j * k + k0) * kPanel;
          const int64_t col = j * kPanel;
          if (col + kPanel <= n) {
            mk.gemm(rows, kPanel, kc, xb + k0, ldx, panel, kPanel, yb + col, ldy, k0 > 0);
            continue;
          }
          mk.gemm(rows, kPanel, kc, xb + k0, ldx, panel, kPanel, edge, kPanel, k0 > 0);
          if (k0 + kc == k)
            for (int64_t i = 0; i < rows; ++i)
              std::memcpy(yb + i * ldy + col, edge + i * kPanel, size_t(n - col) * sizeof(float));
        }
      }
      if (bias)
        for (int64_t i = 0; i < rows; ++i)
          for (int64_t c = p0 * kPanel, end = std::min(n, p1 * kPanel); c < end; ++c)
            yb[i * ldy + c] += bias[c];
    }
  });
}

} // namespace heed::cpu
