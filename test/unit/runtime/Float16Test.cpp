//===- Float16Test.cpp - runtime/core/Float16.h against the compiler's -----===//
//
// The f16 conversions are checked against clang's _Float16 (its double ->
// half conversion, libgcc's __truncdfhf2, rounds once to nearest-even):
// every half bit pattern widens exactly, and doubles near every rounding
// boundary narrow to the same bits. bf16 from f64 is checked against bf16
// from f32 where the double is a float (one rounding either way) and on
// hand-made ties that a detour through f32 would get wrong.
//
//===----------------------------------------------------------------------===//

#include "runtime/core/Float16.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

using namespace heed::rt;

namespace {

uint16_t bitsOf(_Float16 h) {
  uint16_t b;
  std::memcpy(&b, &h, 2);
  return b;
}

_Float16 halfOf(uint16_t b) {
  _Float16 h;
  std::memcpy(&h, &b, 2);
  return h;
}

TEST(Float16, EveryHalfWidensExactly) {
  for (uint32_t b = 0; b < 0x10000; ++b) {
    float want = float(halfOf(uint16_t(b)));
    float got = halfBitsToFloat(uint16_t(b));
    if (std::isnan(want)) {
      EXPECT_TRUE(std::isnan(got)) << std::hex << b;
      continue;
    }
    EXPECT_EQ(got, want) << std::hex << b;
    EXPECT_EQ(std::signbit(got), std::signbit(want)) << std::hex << b;
    // And back: a half survives the round trip bit for bit.
    EXPECT_EQ(floatToHalfBits(got), b) << std::hex << b;
  }
}

TEST(Float16, DoublesNarrowLikeTheCompiler) {
  std::mt19937_64 rng(42);
  auto check = [](double d) {
    _Float16 h = _Float16(d);
    uint16_t want = bitsOf(h);
    EXPECT_EQ(doubleToHalfBits(d), want) << d;
  };
  // Around every finite half: the value, the midpoints to its neighbours (ties) and a hair
  // either side of each midpoint, in both signs; this covers subnormals, overflow to infinity
  // and the largest finite half.
  for (uint32_t b = 0; b < 0x7c00; ++b) {
    double v = double(halfOf(uint16_t(b)));
    double next = b + 1 < 0x7c00 ? double(halfOf(uint16_t(b + 1))) : 65536.0;
    double mid = (v + next) / 2;
    for (double d : {v, mid, std::nextafter(mid, 0.0), std::nextafter(mid, 1e9)}) {
      check(d);
      check(-d);
    }
  }
  std::uniform_real_distribution<double> exp(-30, 17), mant(1, 2);
  for (int i = 0; i < 200000; ++i)
    check(std::ldexp(mant(rng), int(exp(rng))) * (i & 1 ? -1 : 1));
  check(INFINITY);
  check(-INFINITY);
  check(1e300);
  check(5e-324);
  EXPECT_EQ(doubleToHalfBits(NAN) & 0x7e00, 0x7e00);
}

TEST(Bf16, DoubleAndFloatPathsAgreeOnFloats) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<uint32_t> bits;
  for (int i = 0; i < 1000000; ++i) {
    uint32_t b = bits(rng);
    float f;
    std::memcpy(&f, &b, 4);
    if (std::isnan(f) || std::fabs(f) < 1.2e-38f) // NaN payloads and subnormals differ on purpose
      continue;
    ASSERT_EQ(doubleToBf16Bits(double(f)), floatToBf16Bits(f)) << std::hex << b;
  }
}

TEST(Bf16, RoundsOnceFromDouble) {
  // 1 + 2^-8 is the tie between bf16 1.0 and 1 + 2^-7; a hair above it rounds up. Through f32
  // the hair is lost and the tie goes to even (1.0).
  double d = 1 + std::ldexp(1.0, -8) + std::ldexp(1.0, -40);
  EXPECT_EQ(floatToBf16Bits(float(d)), 0x3f80);
  EXPECT_EQ(doubleToBf16Bits(d), 0x3f81);
  EXPECT_EQ(doubleToBf16Bits(1 + std::ldexp(1.0, -8)), 0x3f80);     // tie, even
  EXPECT_EQ(doubleToBf16Bits(1 + 3 * std::ldexp(1.0, -8)), 0x3f82); // tie, up to even
  EXPECT_EQ(doubleToBf16Bits(-1e39), 0xff80);                       // overflow
  EXPECT_EQ(bf16BitsToFloat(0x3f81), 1.0078125f);
  EXPECT_EQ(floatToBf16Bits(NAN) & 0x7fc0, 0x7fc0);
}

} // namespace
