//===- KernelTestSupport.h - Tolerances the kernel tests share --*- C++ -*-===//
//
// The comparison every kernel test uses (atol 1e-4 / rtol 1e-3; NaN and inf
// must match exactly), shared by AttentionTest.cpp and
// AdditiveAndMicroKernelsTest.cpp so that both judge alike.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_TEST_KERNELS_KERNELTESTSUPPORT_H
#define HEED_TEST_KERNELS_KERNELTESTSUPPORT_H

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>

namespace heed::kernel_test {

inline constexpr double kAtol = 1e-4, kRtol = 1e-3;
inline constexpr float kInf = std::numeric_limits<float>::infinity();
inline constexpr float kLowest = std::numeric_limits<float>::lowest();

//===----------------------------------------------------------------------===//
// Comparison
//===----------------------------------------------------------------------===//

/// Counts elements outside tolerance; NaN must match NaN, inf must match inf.
inline ::testing::AssertionResult closeTo(const float *got, const double *want, size_t n,
                                          const char *what) {
  size_t bad = 0, first = n;
  double worst = 0;
  for (size_t i = 0; i < n; ++i) {
    double g = got[i], w = want[i];
    bool ok;
    if (std::isnan(w) || std::isnan(g))
      ok = std::isnan(w) && std::isnan(g);
    else if (std::isinf(w) || std::isinf(g))
      ok = g == w;
    else
      ok = std::abs(g - w) <= kAtol + kRtol * std::abs(w);
    if (!ok) {
      if (first == n)
        first = i;
      ++bad;
      if (!std::isnan(g) && !std::isnan(w))
        worst = std::max(worst, std::abs(g - w));
    }
  }
  if (bad == 0)
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << what << ": " << bad << " of " << n << " elements differ; first at " << first << " got "
         << got[first] << " want " << want[first] << "; worst abs error " << worst;
}

} // namespace heed::kernel_test

#endif // HEED_TEST_KERNELS_KERNELTESTSUPPORT_H
