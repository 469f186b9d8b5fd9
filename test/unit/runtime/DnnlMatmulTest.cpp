//===- DnnlMatmulTest.cpp - The CPU driver's constant-weight matmul -------===//
//
// dnnl::linear (DnnlMatmul.h) against a double-precision loop for both weight layouts, with and
// without bias, over row counts from a decode step to a batch; the packed weight is made once and
// reused (the source is not read again); the primitive cache and the packed formats stay bounded
// however many shapes come.
//
//===----------------------------------------------------------------------===//

#include "runtime/drivers/cpu/DnnlMatmul.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace dnnl = heed::rt::cpu::dnnl;

namespace {

std::vector<float> random(size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float &x : v)
    x = d(gen);
  return v;
}

/// y = x W^T + b with W stored [N, K] (storedNK) or [K, N].
std::vector<float> reference(const std::vector<float> &x, const std::vector<float> &w,
                             const float *bias, int64_t M, int64_t N, int64_t K, bool storedNK) {
  std::vector<float> y(size_t(M * N));
  for (int64_t i = 0; i < M; ++i)
    for (int64_t n = 0; n < N; ++n) {
      double acc = bias ? bias[n] : 0.0;
      for (int64_t k = 0; k < K; ++k)
        acc += double(x[size_t(i * K + k)]) * w[size_t(storedNK ? n * K + k : k * N + n)];
      y[size_t(i * N + n)] = float(acc);
    }
  return y;
}

void expectClose(const std::vector<float> &got, const std::vector<float> &want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i)
    ASSERT_NEAR(got[i], want[i], 1e-4 + 1e-3 * std::fabs(want[i])) << "element " << i;
}

TEST(DnnlMatmul, MatchesReference) {
  for (bool storedNK : {true, false})
    for (bool withBias : {true, false})
      for (auto [N, K] : {std::pair<int64_t, int64_t>{37, 19}, {256, 130}, {1, 64}})
        for (int64_t M : {1, 2, 5, 16, 33, 200}) {
          SCOPED_TRACE(testing::Message()
                       << "M " << M << " N " << N << " K " << K << (storedNK ? " [N,K]" : " [K,N]")
                       << (withBias ? " bias" : ""));
          std::vector<float> x = random(size_t(M * K), 1), w = random(size_t(N * K), 2),
                             b = random(size_t(N), 3), y(size_t(M * N), NAN);
          dnnl::PackedMatmulWeight packs;
          const float *bias = withBias ? b.data() : nullptr;
          dnnl::linear(x.data(), M, N, K, w.data(), storedNK, bias, y.data(), packs);
          expectClose(y, reference(x, w, bias, M, N, K, storedNK));
        }
}

TEST(DnnlMatmul, PacksTheWeightOnce) {
  int64_t M = 8, N = 48, K = 32;
  std::vector<float> x = random(size_t(M * K), 4), w = random(size_t(N * K), 5), y(size_t(M * N));
  std::vector<float> want = reference(x, w, nullptr, M, N, K, true);
  dnnl::PackedMatmulWeight packs;
  dnnl::linear(x.data(), M, N, K, w.data(), true, nullptr, y.data(), packs);
  ASSERT_EQ(packs.variants.size(), 1u);
  // A constant never changes, so the second call must not read it again: scribbling on the
  // source leaves the result as it was.
  std::fill(w.begin(), w.end(), 0.0f);
  std::fill(y.begin(), y.end(), NAN);
  dnnl::linear(x.data(), M, N, K, w.data(), true, nullptr, y.data(), packs);
  expectClose(y, want);
  EXPECT_EQ(packs.variants.size(), 1u);
}

TEST(DnnlMatmul, CachesStayBounded) {
  int64_t N = 24, K = 16;
  std::vector<float> w = random(size_t(N * K), 6), b = random(size_t(N), 7);
  dnnl::PackedMatmulWeight packs;
  // Every row count a hostile caller could send: more shapes than the cache holds.
  for (int64_t M = 1; M <= int64_t(dnnl::kMaxMatmulPrimitives) + 40; ++M) {
    std::vector<float> x = random(size_t(M * K), unsigned(M)), y(size_t(M * N));
    dnnl::linear(x.data(), M, N, K, w.data(), true, b.data(), y.data(), packs);
    if (M % 61 == 0)
      expectClose(y, reference(x, w, b.data(), M, N, K, true));
    ASSERT_LE(dnnl::cachedMatmulPrimitives(), dnnl::kMaxMatmulPrimitives);
    ASSERT_LE(packs.variants.size(), dnnl::kMaxPackedFormats);
  }
}

} // namespace
