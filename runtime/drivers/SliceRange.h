//===- SliceRange.h - The elements heed.slice takes along one dim -*- C++ -*-===//
//
// Shared by the CPU and Vulkan drivers so both clamp alike (ONNX and numpy rules).
//
//===----------------------------------------------------------------------===//

#ifndef HEED_RUNTIME_DRIVERS_SLICERANGE_H
#define HEED_RUNTIME_DRIVERS_SLICERANGE_H

#include <algorithm>
#include <cstdint>

namespace heed::rt {

struct SliceRange {
  int64_t start = 0, length = 0;
};

/// Elements start, start + step, ... below end of a dim of n, for step > 0: a negative start or
/// end counts from the end, then both are clamped to [0, n]. Overflow-free for any int64 inputs
/// (the step may be huge: a model's "to the end" sentinel).
inline SliceRange sliceRange(int64_t n, int64_t start, int64_t end, int64_t step) {
  auto clamp = [n](int64_t v) {
    if (v < 0)
      v = v < -n ? 0 : v + n;
    return std::min(v, n);
  };
  start = clamp(start);
  end = clamp(end);
  // 0 <= start < end <= n here, so this cannot overflow whatever the step.
  return {start, end > start ? (end - start - 1) / step + 1 : 0};
}

} // namespace heed::rt

#endif // HEED_RUNTIME_DRIVERS_SLICERANGE_H
