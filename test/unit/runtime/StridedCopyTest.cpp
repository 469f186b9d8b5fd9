//===- StridedCopyTest.cpp - The CPU driver's strided gather --------------===//
//
// stridedCopy (heed.transpose and heed.broadcast on the CPU) merges and drops dims before it
// copies: every permutation of shapes with unit dims, and broadcast (zero) strides, against an
// element-by-element reference, for each element size.
//
//===----------------------------------------------------------------------===//

#include "runtime/drivers/cpu/StridedCopy.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <numeric>

using heed::rt::cpu::stridedCopy;

namespace {

using Dims = std::vector<int64_t>;

/// dst[i...] = src[sum i_d * strides[d]], one element at a time.
std::vector<uint8_t> reference(const std::vector<uint8_t> &src, const Dims &shape,
                               const Dims &strides, size_t es) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  std::vector<uint8_t> dst(size_t(n) * es);
  Dims idx(shape.size(), 0);
  for (int64_t i = 0; i < n; ++i) {
    int64_t off = 0;
    for (size_t d = 0; d < shape.size(); ++d)
      off += idx[d] * strides[d];
    std::memcpy(dst.data() + size_t(i) * es, src.data() + size_t(off) * es, es);
    for (size_t d = shape.size(); d-- > 0;) {
      if (++idx[d] < shape[d])
        break;
      idx[d] = 0;
    }
  }
  return dst;
}

std::vector<uint8_t> pattern(size_t bytes) {
  std::vector<uint8_t> v(bytes);
  for (size_t i = 0; i < bytes; ++i)
    v[i] = uint8_t(i * 7 + 3);
  return v;
}

void expectSame(const Dims &shape, const Dims &strides, size_t es, size_t srcElems) {
  std::vector<uint8_t> src = pattern(srcElems * es);
  std::vector<uint8_t> want = reference(src, shape, strides, es);
  std::vector<uint8_t> got(want.size(), 0xAB);
  stridedCopy(src.data(), got.data(), shape, strides, es);
  EXPECT_EQ(got, want);
}

TEST(StridedCopy, EveryPermutationOfShapesWithUnitDims) {
  for (const Dims &in : {Dims{3, 1, 4, 5}, Dims{2, 3, 4, 1}, Dims{1, 6, 1, 2}, Dims{5, 4, 3, 2}}) {
    Dims contiguous(in.size(), 1);
    for (size_t d = in.size() - 1; d-- > 0;)
      contiguous[d] = contiguous[d + 1] * in[d + 1];
    size_t count = size_t(contiguous[0] * in[0]);
    Dims perm(in.size());
    std::iota(perm.begin(), perm.end(), 0);
    do {
      Dims shape, strides;
      for (int64_t p : perm) {
        shape.push_back(in[size_t(p)]);
        strides.push_back(contiguous[size_t(p)]);
      }
      for (size_t es : {1, 2, 4, 8, 3})
        expectSame(shape, strides, es, count);
    } while (std::next_permutation(perm.begin(), perm.end()));
  }
}

TEST(StridedCopy, BroadcastStrides) {
  // [4] broadcast to [3, 4], [3, 1] to [3, 5], a scalar to [2, 3], a row inside [2, 3, 4].
  for (size_t es : {1, 4, 8}) {
    expectSame({3, 4}, {0, 1}, es, 4);
    expectSame({3, 5}, {1, 0}, es, 3);
    expectSame({2, 3}, {0, 0}, es, 1);
    expectSame({2, 3, 4}, {0, 4, 1}, es, 12);
    expectSame({1, 1}, {0, 0}, es, 1);
  }
}

TEST(StridedCopy, EmptyShapesWriteNothing) {
  std::vector<uint8_t> src = pattern(16), dst(4, 0xAB);
  stridedCopy(src.data(), dst.data(), {2, 0, 3}, {0, 3, 1}, 4);
  EXPECT_EQ(dst, std::vector<uint8_t>(4, 0xAB));
  stridedCopy(src.data(), dst.data(), {}, {}, 4); // rank 0: one element
  EXPECT_EQ(0, std::memcmp(dst.data(), src.data(), 4));
}

} // namespace
