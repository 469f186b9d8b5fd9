//===- Elementwise.h - ABI of the elementwise vulkan kernels ----*- C++ -*-===//
//
// ew_* kernels: N broadcasting inputs (0 for heed.full), one output of rank
// R, one invocation per output element. Bindings: inputs..., output.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_RUNTIME_DRIVERS_VULKAN_ABI_ELEMENTWISE_H
#define HEED_RUNTIME_DRIVERS_VULKAN_ABI_ELEMENTWISE_H

#include "runtime/drivers/vulkan/abi/PushBlock.h"

namespace heed::vkabi {

/// count: output elements. shape, packed by rank: R output dims, then R
/// element strides per input (0 on its broadcast dims).
#define HEED_VK_ELEMENTWISE_PUSH(X, A) X(count) A(shape, kPushInts - 1)
HEED_VK_PUSH(ElementwisePush, HEED_VK_ELEMENTWISE_PUSH);

constexpr int elementwiseDimsAt() { return 0; }
constexpr int elementwiseStridesAt(int rank, int input) { return rank + input * rank; }
constexpr bool elementwiseFits(int rank, int inputs) {
  return rank + inputs * rank <= int(sizeof(ElementwisePush::shape) / sizeof(int32_t));
}

} // namespace heed::vkabi

#endif // HEED_RUNTIME_DRIVERS_VULKAN_ABI_ELEMENTWISE_H
