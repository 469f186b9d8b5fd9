//===- AdditiveAttention.h - ABI of the additive attention ------*- C++ -*-===//
//
// heed.additive_attention (Bahdanau): one workgroup of 64 invocations per
// batch and query row, with the two row-reduction variants of Rows.h
// (RowKernel). The mask bits are those of Attention.h, without kCausal.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_RUNTIME_DRIVERS_VULKAN_ABI_ADDITIVEATTENTION_H
#define HEED_RUNTIME_DRIVERS_VULKAN_ABI_ADDITIVEATTENTION_H

#include "runtime/drivers/vulkan/abi/Attention.h"
#include "runtime/drivers/vulkan/abi/Rows.h"

namespace heed::vkabi {

/// The largest attention and value dims the kernel's shared memory holds.
constexpr int kMaxAdditiveDim = 1024;

/// batch, queryLength (1 for a decoder step), queryDim, keyLength,
/// attentionDim, valueDim; maskStrides: element strides (batch, row, column), 0 on
/// broadcast dims. Bindings: query, keys_proj, values, w_query, v, [mask],
/// out, [weights].
// clang-format off
#define HEED_VK_ADDITIVE_ATTENTION_PUSH(X, A)                                                      \
  X(batch) X(queryLength) X(queryDim) X(keyLength) X(attentionDim) X(valueDim) A(maskStrides, 3)
// clang-format on
HEED_VK_PUSH(AdditiveAttentionPush, HEED_VK_ADDITIVE_ATTENTION_PUSH);

} // namespace heed::vkabi

#endif // HEED_RUNTIME_DRIVERS_VULKAN_ABI_ADDITIVEATTENTION_H
