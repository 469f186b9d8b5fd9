//===- PanelGemmTest.cpp - The panel GEMM against doubles ------------------===//
//
// Every micro-kernel set, both weight layouts, widths that leave a partial last panel, K across
// the chunk size and zero, row counts around the row block, strided x and y, with and without a
// bias: each against a double-precision product. Columns of y past N must stay untouched.
//
//===----------------------------------------------------------------------===//

#include "runtime/drivers/cpu/kernels/PanelGemm.h"
#include "runtime/drivers/cpu/kernels/MicroKernels.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

using namespace heed::cpu;

namespace {

TEST(PanelGemm, MatchesDoubles) {
  std::mt19937 gen(3);
  std::uniform_real_distribution<float> uni(-1.0f, 1.0f);
  for (const detail::MicroKernels *set : detail::availableMicroKernels()) {
    detail::overrideMicroKernelsForTesting(set);
    for (int64_t m : {1, 5, 47, 49, 100})
      for (int64_t n : {1, 8, 16, 24, 33, 300})
        for (int64_t k : {0, 1, 17, 300})
          for (bool storedNK : {false, true}) {
            const int64_t ldx = k + 3, ldy = n + 5;
            std::vector<float> x(size_t(m * ldx)), w(size_t(n * k)), bias(static_cast<size_t>(n));
            for (float &v : x)
              v = uni(gen);
            for (float &v : w)
              v = uni(gen);
            for (float &v : bias)
              v = uni(gen);
            PanelWeight packed = packPanels(w.data(), k, n, storedNK);
            for (bool withBias : {false, true}) {
              std::vector<float> y(size_t(m * ldy), -7.0f);
              panelGemm(x.data(), m, ldx, packed, withBias ? bias.data() : nullptr, y.data(), ldy);
              for (int64_t i = 0; i < m; ++i) {
                for (int64_t j = 0; j < n; ++j) {
                  double want = withBias ? bias[size_t(j)] : 0.0;
                  for (int64_t p = 0; p < k; ++p)
                    want += double(x[size_t(i * ldx + p)]) *
                            (storedNK ? w[size_t(j * k + p)] : w[size_t(p * n + j)]);
                  ASSERT_NEAR(y[size_t(i * ldy + j)], want, 1e-5 * double(k + 1))
                      << set->name << " m=" << m << " n=" << n << " k=" << k
                      << " storedNK=" << storedNK << " bias=" << withBias;
                }
                for (int64_t j = n; j < ldy; ++j)
                  ASSERT_EQ(y[size_t(i * ldy + j)], -7.0f) << set->name << ": wrote past n";
              }
            }
          }
  }
  detail::overrideMicroKernelsForTesting(nullptr);
}

} // namespace
