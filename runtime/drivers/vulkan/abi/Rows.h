//===- Rows.h - ABI of the row-reducing vulkan kernels ----------*- C++ -*-===//
//
// softmax, log_softmax and layer_norm: one workgroup of 64 invocations per
// row, reducing in shared memory or, in the second variant, with subgroup
// arithmetic (additive attention has the same two variants).
//
//===----------------------------------------------------------------------===//

#ifndef HEED_RUNTIME_DRIVERS_VULKAN_ABI_ROWS_H
#define HEED_RUNTIME_DRIVERS_VULKAN_ABI_ROWS_H

#include "runtime/drivers/vulkan/abi/PushBlock.h"

namespace heed::vkabi {

/// The kernels of a row op, by index in the op's kernel list: the driver
/// prefers `subgroup` where the device can run it.
enum class RowKernel { shared = 0, subgroup = 1 };

/// x viewed as [outer, n, inner]; rows = outer * inner. Bindings: x, y.
#define HEED_VK_SOFTMAX_PUSH(X, A) X(rows) X(n) X(inner)
HEED_VK_PUSH(SoftmaxPush, HEED_VK_SOFTMAX_PUSH);

/// rows of n normalized elements. Bindings: x, [scale], [bias], y.
#define HEED_VK_LAYER_NORM_PUSH(X, A) X(rows) X(n)
HEED_VK_PUSH(LayerNormPush, HEED_VK_LAYER_NORM_PUSH);

} // namespace heed::vkabi

#endif // HEED_RUNTIME_DRIVERS_VULKAN_ABI_ROWS_H
