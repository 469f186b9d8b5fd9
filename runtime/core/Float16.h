//===- Float16.h - IEEE half and bfloat16 bit conversions -------*- C++ -*-===//
//
// Header-only, no dependencies: the CPU driver and heed-run both convert.
// Narrowing rounds to nearest, ties to even, directly from the source value
// (a double narrowed through float would round twice); overflow gives
// infinity, NaN stays NaN (quiet, sign kept). Widening is exact.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_RUNTIME_CORE_FLOAT16_H
#define HEED_RUNTIME_CORE_FLOAT16_H

#include <cstdint>
#include <cstring>

namespace heed::rt {

/// Rounds the finite magnitude `bits` (an IEEE double's bits without the sign)
/// to a float format with `mant` stored mantissa bits and exponent bias
/// `bias`, returning its bits without the sign.
inline uint32_t roundDoubleMagnitude(uint64_t bits, int mant, int bias, int maxExp) {
  int exp = int(bits >> 52) - 1023; // unbiased exponent of the double
  uint64_t sig = bits & ((1ull << 52) - 1);
  if ((bits >> 52) == 0) // a double subnormal: far below both formats
    return 0;
  sig |= 1ull << 52;     // the implicit bit
  int e = exp + bias;    // biased exponent in the target
  int shift = 52 - mant; // drop this many bits for a normal result
  if (e <= 0) {          // subnormal in the target: shift further
    shift += 1 - e;
    e = 0;
    if (shift > 63)
      return 0;
  }
  uint64_t kept = sig >> shift;
  uint64_t rest = sig & ((1ull << shift) - 1), half = 1ull << (shift - 1);
  if (rest > half || (rest == half && (kept & 1)))
    ++kept; // may carry into the exponent, which the arithmetic below handles
  uint32_t r;
  if (e == 0)
    r = uint32_t(kept); // subnormal (a carry makes it the smallest normal)
  else
    r = (uint32_t(e) << mant) + uint32_t(kept - (1ull << mant));
  if ((r >> mant) >= uint32_t(maxExp))
    r = uint32_t(maxExp) << mant; // overflow: infinity
  return r;
}

inline uint16_t doubleToHalfBits(double v) {
  uint64_t b;
  std::memcpy(&b, &v, 8);
  uint16_t sign = uint16_t((b >> 48) & 0x8000);
  uint64_t mag = b & 0x7fffffffffffffffull;
  if (mag >= 0x7ff0000000000000ull) // inf or NaN
    return uint16_t(sign | (mag == 0x7ff0000000000000ull ? 0x7c00 : 0x7e00));
  return uint16_t(sign | roundDoubleMagnitude(mag, 10, 15, 31));
}

inline uint16_t doubleToBf16Bits(double v) {
  uint64_t b;
  std::memcpy(&b, &v, 8);
  uint16_t sign = uint16_t((b >> 48) & 0x8000);
  uint64_t mag = b & 0x7fffffffffffffffull;
  if (mag >= 0x7ff0000000000000ull)
    return uint16_t(sign | (mag == 0x7ff0000000000000ull ? 0x7f80 : 0x7fc0));
  return uint16_t(sign | roundDoubleMagnitude(mag, 7, 127, 255));
}

/// f32 -> bf16 keeps the top half of the float's bits, rounded; a NaN's
/// payload survives in the top bits (made quiet).
inline uint16_t floatToBf16Bits(float v) {
  uint32_t b;
  std::memcpy(&b, &v, 4);
  if ((b & 0x7fffffffu) > 0x7f800000u)
    return uint16_t((b >> 16) | 0x0040);
  b += 0x7fffu + ((b >> 16) & 1);
  return uint16_t(b >> 16);
}

inline uint16_t floatToHalfBits(float v) { return doubleToHalfBits(double(v)); }

inline float halfBitsToFloat(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  uint32_t bits;
  if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (mant << 13);
  } else if (exp == 0) {
    // Subnormal (or zero): value = mant * 2^-24, exact in a float.
    float f = float(mant) * (1.0f / 16777216.0f);
    return sign ? -f : f;
  } else {
    bits = sign | ((exp + 112) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

inline float bf16BitsToFloat(uint16_t h) {
  uint32_t bits = uint32_t(h) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

} // namespace heed::rt

#endif // HEED_RUNTIME_CORE_FLOAT16_H
