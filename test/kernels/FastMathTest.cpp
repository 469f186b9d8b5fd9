//===- FastMathTest.cpp - fastExp/fastSigmoid/fastTanh against libm in double -===//

#include "runtime/drivers/cpu/kernels/FastMath.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

using namespace heed::cpu;

namespace {

// A dense sweep of [-100, 100] plus the region near 0 where tanh's ratio is cut off.
template <typename F> void sweep(F check) {
  for (int i = -2000000; i <= 2000000; ++i)
    check(float(i) * 5e-5f);
  for (int i = -10000; i <= 10000; ++i)
    check(float(i) * 1e-7f);
}

TEST(FastMath, ExpRelativeErrorBelow2e7) {
  double worst = 0;
  sweep([&](float x) {
    if (x < -87.0f || x > 88.0f)
      return;
    double ref = std::exp(double(x));
    worst = std::max(worst, std::fabs(fastExp(x) - ref) / ref);
  });
  EXPECT_LT(worst, 2e-7);
}

TEST(FastMath, SigmoidAndTanhAbsoluteErrorBelow5e7) {
  double worstS = 0, worstT = 0;
  sweep([&](float x) {
    double s = 1.0 / (1.0 + std::exp(-double(x)));
    worstS = std::max(worstS, std::fabs(fastSigmoid(x) - s));
    worstT = std::max(worstT, std::fabs(fastTanh(x) - std::tanh(double(x))));
  });
  EXPECT_LT(worstS, 5e-7);
  EXPECT_LT(worstT, 5e-7);
}

TEST(FastMath, SpecialValues) {
  float inf = std::numeric_limits<float>::infinity();
  float nan = std::numeric_limits<float>::quiet_NaN();
  EXPECT_TRUE(std::isnan(fastExp(nan)));
  EXPECT_TRUE(std::isnan(fastSigmoid(nan)));
  EXPECT_TRUE(std::isnan(fastTanh(nan)));
  EXPECT_EQ(fastSigmoid(inf), 1.0f);
  EXPECT_LT(fastSigmoid(-inf), 1e-38f);
  EXPECT_GE(fastSigmoid(-inf), 0.0f);
  EXPECT_NEAR(fastTanh(inf), 1.0f, 1e-6f);
  EXPECT_NEAR(fastTanh(-inf), -1.0f, 1e-6f);
  EXPECT_LE(fastTanh(1e30f), 1.0f);
  EXPECT_EQ(fastTanh(0.0f), 0.0f);
  EXPECT_GT(fastExp(-inf), 0.0f); // clamped to the smallest normal result, as documented
}

} // namespace
