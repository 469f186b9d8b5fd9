//===- Gather.h - ABI of the gather and embedding kernels -------*- C++ -*-===//
//
// gather_* and embedding_*: one invocation per output element; an index out
// of range writes 0 and records its position in the status buffer, which the
// driver reads back after the run (KernelChecks.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef HEED_RUNTIME_DRIVERS_VULKAN_ABI_GATHER_H
#define HEED_RUNTIME_DRIVERS_VULKAN_ABI_GATHER_H

#include "runtime/drivers/vulkan/abi/PushBlock.h"

namespace heed::vkabi {

/// count: output elements; ids: index count; x viewed as [outer, n, inner]
/// around the axis; statusSlot: this dispatch's int in the status buffer.
/// Bindings: x, ids, y, status.
#define HEED_VK_GATHER_PUSH(X, A) X(count) X(ids) X(inner) X(n) X(statusSlot)
HEED_VK_PUSH(GatherPush, HEED_VK_GATHER_PUSH);

/// gather_elements_*: count: output (= index) elements; n, axisStride: the axis's size and
/// stride in x; shape, packed by rank R: the R output dims, then x's R strides with 0 on the axis.
/// Bindings: x, ids, y, status.
#define HEED_VK_GATHER_ELEMENTS_PUSH(X, A)                                                         \
  X(count) X(n) X(axisStride) X(statusSlot) A(shape, kPushInts - 4)
HEED_VK_PUSH(GatherElementsPush, HEED_VK_GATHER_ELEMENTS_PUSH);

constexpr int gatherElementsDimsAt() { return 0; }
constexpr int gatherElementsStridesAt(int rank) { return rank; }
/// The highest rank the block has room for (14).
constexpr int kGatherElementsMaxRank = int(sizeof(GatherElementsPush::shape) / sizeof(int32_t)) / 2;

} // namespace heed::vkabi

#endif // HEED_RUNTIME_DRIVERS_VULKAN_ABI_GATHER_H
