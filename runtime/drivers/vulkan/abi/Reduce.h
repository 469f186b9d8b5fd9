//===- Reduce.h - ABI of the reducing vulkan kernels ------------*- C++ -*-===//
//
// reduce_<kind>_* (one invocation per output element walks its reduced
// elements), argmax_* and top_k (one invocation per row along the axis).
//
//===----------------------------------------------------------------------===//

#ifndef HEED_RUNTIME_DRIVERS_VULKAN_ABI_REDUCE_H
#define HEED_RUNTIME_DRIVERS_VULKAN_ABI_REDUCE_H

#include "runtime/drivers/vulkan/abi/PushBlock.h"

namespace heed::vkabi {

/// count: output elements. shape, packed by the input rank R: R kept dims
/// (1 where reduced), R kept strides (0 where reduced), R reduced dims (1
/// where kept), R reduced strides (0 where kept), then the number of reduced
/// elements. Bindings: x, y.
#define HEED_VK_REDUCE_PUSH(X, A) X(count) A(shape, kPushInts - 1)
HEED_VK_PUSH(ReducePush, HEED_VK_REDUCE_PUSH);

constexpr int reduceKeptDimsAt() { return 0; }
constexpr int reduceKeptStridesAt(int rank) { return rank; }
constexpr int reduceDimsAt(int rank) { return 2 * rank; }
constexpr int reduceStridesAt(int rank) { return 3 * rank; }
constexpr int reduceCountAt(int rank) { return 4 * rank; }
/// The highest rank the block has room for (7).
constexpr int kReduceMaxRank = (int(sizeof(ReducePush::shape) / sizeof(int32_t)) - 1) / 4;

/// x viewed as [outer, n, inner]; rows = outer * inner. Bindings: x, indices.
#define HEED_VK_ARGMAX_PUSH(X, A) X(rows) X(n) X(inner)
HEED_VK_PUSH(ArgmaxPush, HEED_VK_ARGMAX_PUSH);

/// cumsum_*: x viewed as [outer, n, inner]; one invocation per row, rows = outer * inner.
/// Bindings: x, y.
#define HEED_VK_CUMSUM_PUSH(X, A) X(rows) X(n) X(inner)
HEED_VK_PUSH(CumsumPush, HEED_VK_CUMSUM_PUSH);

/// As argmax, with k kept per row. Bindings: x, values, indices.
#define HEED_VK_TOP_K_PUSH(X, A) X(rows) X(n) X(inner) X(k)
HEED_VK_PUSH(TopKPush, HEED_VK_TOP_K_PUSH);

} // namespace heed::vkabi

#endif // HEED_RUNTIME_DRIVERS_VULKAN_ABI_REDUCE_H
