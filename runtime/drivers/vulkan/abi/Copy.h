//===- Copy.h - ABI of the strided-copy vulkan kernel -----------*- C++ -*-===//
//
// copy_* kernels (transpose, broadcast, slice, concat, the batch-first copy of
// the recurrent sequences and the per-step slices of heed.scan): one
// invocation per copied element. Bindings: in, out.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_RUNTIME_DRIVERS_VULKAN_ABI_COPY_H
#define HEED_RUNTIME_DRIVERS_VULKAN_ABI_COPY_H

#include "runtime/drivers/vulkan/abi/PushBlock.h"

namespace heed::vkabi {

/// count: copied elements; inBase, outBase: element offsets of the first one.
/// shape, packed by rank R: R dims, R input strides, R output strides.
#define HEED_VK_COPY_PUSH(X, A) X(count) X(inBase) X(outBase) A(shape, kPushInts - 3)
HEED_VK_PUSH(CopyPush, HEED_VK_COPY_PUSH);

constexpr int copyDimsAt() { return 0; }
constexpr int copyInStridesAt(int rank) { return rank; }
constexpr int copyOutStridesAt(int rank) { return 2 * rank; }
/// The highest rank the block has room for (9).
constexpr int kCopyMaxRank = int(sizeof(CopyPush::shape) / sizeof(int32_t)) / 3;

} // namespace heed::vkabi

#endif // HEED_RUNTIME_DRIVERS_VULKAN_ABI_COPY_H
