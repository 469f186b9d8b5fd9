//===- Matmul.h - ABI of the matmul and linear vulkan kernels ---*- C++ -*-===//
//
// matmul_r<rank>[_ta][_tb] (batched, broadcasting batch dims; bindings a, b,
// out) and linear[_tw][_bias] (bindings x, w, [bias], out): one invocation
// per output element.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_RUNTIME_DRIVERS_VULKAN_ABI_MATMUL_H
#define HEED_RUNTIME_DRIVERS_VULKAN_ABI_MATMUL_H

#include "runtime/drivers/vulkan/abi/PushBlock.h"

namespace heed::vkabi {

/// m, n, k: the matrix dims; count: output elements. batch, packed by the
/// batch rank B: B output batch dims, then B lhs and B rhs batch strides (in
/// elements, 0 on broadcast dims).
#define HEED_VK_MATMUL_PUSH(X, A) X(m) X(n) X(k) X(count) A(batch, kPushInts - 4)
HEED_VK_PUSH(MatmulPush, HEED_VK_MATMUL_PUSH);

constexpr int matmulDimsAt() { return 0; }
constexpr int matmulLhsStridesAt(int batchRank) { return batchRank; }
constexpr int matmulRhsStridesAt(int batchRank) { return 2 * batchRank; }
constexpr bool matmulFits(int batchRank) {
  return 3 * batchRank <= int(sizeof(MatmulPush::batch) / sizeof(int32_t));
}

/// rows: the input's rows (all dims but the last); n, k: output and input
/// features; count: output elements.
#define HEED_VK_LINEAR_PUSH(X, A) X(rows) X(n) X(k) X(count)
HEED_VK_PUSH(LinearPush, HEED_VK_LINEAR_PUSH);

} // namespace heed::vkabi

#endif // HEED_RUNTIME_DRIVERS_VULKAN_ABI_MATMUL_H
