//===- Generators.h - ABI of the generator vulkan kernels -------*- C++ -*-===//
//
// sequence_mask, causal_mask, range and sinusoidal_positions: tensors made
// from scalars, one invocation per output element.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_RUNTIME_DRIVERS_VULKAN_ABI_GENERATORS_H
#define HEED_RUNTIME_DRIVERS_VULKAN_ABI_GENERATORS_H

#include "runtime/drivers/vulkan/abi/PushBlock.h"

namespace heed::vkabi {

/// [B, maxLength] from lengths [B]. Bindings: lengths, mask.
#define HEED_VK_SEQUENCE_MASK_PUSH(X, A) X(count) X(maxLength)
HEED_VK_PUSH(SequenceMaskPush, HEED_VK_SEQUENCE_MASK_PUSH);

/// [Lq, keyLength]; key j is visible to row i when j <= i + shift. Bindings: mask.
#define HEED_VK_CAUSAL_MASK_PUSH(X, A) X(count) X(keyLength) X(shift)
HEED_VK_PUSH(CausalMaskPush, HEED_VK_CAUSAL_MASK_PUSH);

/// start + i * step for i < count. Bindings: out (i64).
#define HEED_VK_RANGE_PUSH(X, A) X(count) X(start) X(step)
HEED_VK_PUSH(RangePush, HEED_VK_RANGE_PUSH);

/// Rows of positions offset, offset + 1, ... Bindings: out.
#define HEED_VK_POSITIONS_PUSH(X, A) X(count) X(offset)
HEED_VK_PUSH(PositionsPush, HEED_VK_POSITIONS_PUSH);

} // namespace heed::vkabi

#endif // HEED_RUNTIME_DRIVERS_VULKAN_ABI_GENERATORS_H
