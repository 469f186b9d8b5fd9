//===- Elementwise.h - ABI of the elementwise vulkan kernels ----*- C++ -*-===//
//
// ew_* kernels: N broadcasting inputs (0 for heed.full), one output of rank
// R, one invocation per output element. Bindings: inputs..., output, and
// for integer heed.div the status buffer (VulkanDriver::Check), where the
// kernel records the first position of a zero divisor at statusSlot.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_RUNTIME_DRIVERS_VULKAN_ABI_ELEMENTWISE_H
#define HEED_RUNTIME_DRIVERS_VULKAN_ABI_ELEMENTWISE_H

#include "runtime/drivers/vulkan/abi/PushBlock.h"

namespace heed::vkabi {

/// count: output elements. shape, packed by rank: R output dims, then R
/// element strides per input (0 on its broadcast dims). statusSlot comes last,
/// so that shape keeps the position modules without it rely on.
#define HEED_VK_ELEMENTWISE_PUSH(X, A) X(count) A(shape, kPushInts - 2) X(statusSlot)
HEED_VK_PUSH(ElementwisePush, HEED_VK_ELEMENTWISE_PUSH);

constexpr int elementwiseDimsAt() { return 0; }
constexpr int elementwiseStridesAt(int rank, int input) { return rank + input * rank; }
constexpr bool elementwiseFits(int rank, int inputs) {
  return rank + inputs * rank <= int(sizeof(ElementwisePush::shape) / sizeof(int32_t));
}

} // namespace heed::vkabi

#endif // HEED_RUNTIME_DRIVERS_VULKAN_ABI_ELEMENTWISE_H
