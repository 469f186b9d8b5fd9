//===- TensorLimits.h - The largest tensor Heed makes -----------*- C++ -*-===//
//
// One limit for the compiler and the runtime: a tensor above it is a hostile or
// mistaken shape, better refused with a message than left to the OOM killer
// (or, at compile time, to minutes of expanding a splat). Plain C++, so the
// dialect's verifiers, the frontends and the runtime read the same value.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_RUNTIME_CORE_TENSORLIMITS_H
#define HEED_RUNTIME_CORE_TENSORLIMITS_H

#include <cstdint>
#include <cstdlib>
#include <unistd.h>

namespace heed {

/// $HEED_MAX_TENSOR_BYTES when set to a positive number, else half the
/// machine's physical memory. Read once per process.
inline uint64_t maxTensorBytes() {
  static const uint64_t limit = [] {
    if (const char *env = std::getenv("HEED_MAX_TENSOR_BYTES"))
      if (uint64_t v = std::strtoull(env, nullptr, 10))
        return v;
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    return pages > 0 && page > 0 ? uint64_t(pages) * uint64_t(page) / 2 : uint64_t(1) << 40;
  }();
  return limit;
}

/// How the limit is named in messages.
constexpr const char *kMaxTensorBytesHint =
    "half the memory; set HEED_MAX_TENSOR_BYTES to change it";

/// The byte size of `count(dims) x elementBytes`, or nothing when a dim is
/// negative or the product overflows 64 bits.
template <typename Dims>
bool staticTensorBytes(const Dims &dims, uint64_t elementBytes, uint64_t &bytes) {
  uint64_t n = elementBytes;
  for (int64_t d : dims)
    if (d < 0 || __builtin_mul_overflow(n, uint64_t(d), &n))
      return false;
  bytes = n;
  return true;
}

} // namespace heed

#endif // HEED_RUNTIME_CORE_TENSORLIMITS_H
