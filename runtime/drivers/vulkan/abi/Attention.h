//===- Attention.h - ABI of the heed.attention vulkan kernels ---*- C++ -*-===//
//
// The flash kernel (one workgroup of 64 invocations per batch, head and block
// of kQueryBlock query rows) and the split-K pair for decoding (one workgroup
// per batch, head, query row and split of keys, then one invocation per output
// element merging the splits). The mask bits are heed.attention's mask_kind.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_RUNTIME_DRIVERS_VULKAN_ABI_ATTENTION_H
#define HEED_RUNTIME_DRIVERS_VULKAN_ABI_ATTENTION_H

#include "runtime/drivers/vulkan/abi/PushBlock.h"
#include "runtime/module/OpTable.h"

namespace heed::vkabi {

/// The bits of mask_kind (the dialect's MaskKind, from the op table). kAdditive, kBoolean and
/// kLengths take the mask operand; kCausal does not.
enum MaskBits : int64_t {
  kAdditive = int64_t(ops::MaskKind::additive),
  kBoolean = int64_t(ops::MaskKind::boolean),
  kLengths = int64_t(ops::MaskKind::lengths),
  kCausal = int64_t(ops::MaskKind::causal),
  kMaskOperand = kAdditive | kBoolean | kLengths
};

/// The kernels of one heed.attention op, by index in its kernel list. Without
/// attention weights the op has all five, with them only the flash pair; the
/// driver picks the split-K pair for few query rows over many keys, and the
/// subgroup variants where the device can run them.
enum class AttentionKernel {
  flash = 0,
  flashSubgroup = 1,
  split = 2,
  combine = 3,
  splitSubgroup = 4
};

/// Query rows per flash workgroup, and the largest head dim the shared-memory
/// tiles hold.
constexpr int kQueryBlock = 16;
constexpr int kMaxHeadDim = 128;

/// batch, heads, group (heads per key/value head), queryLength, keyLength,
/// headDim, valueDim; causalShift: key j is visible to row i when j <= i +
/// causalShift. qStrides, kStrides, vStrides, outStrides: element strides
/// (batch, head, row); maskStrides: (batch, head, row, column), 0 on
/// broadcast dims. (Names are GLSL members too: no GLSL keyword like `out`.) queryBlocks: flash
/// workgroups per (batch, head); splitKeys, splits: the split-K pair only.
/// Bindings: q, k, v, [mask], out, [weights] (flash); q, k, v, [mask],
/// scratch (split); scratch, out (combine).
// clang-format off
#define HEED_VK_ATTENTION_PUSH(X, A)                                                               \
  X(batch) X(heads) X(group) X(queryLength) X(keyLength) X(headDim) X(valueDim) X(causalShift)     \
  A(qStrides, 3) A(kStrides, 3) A(vStrides, 3) A(outStrides, 3) A(maskStrides, 4)                 \
  X(queryBlocks) X(splitKeys) X(splits)
// clang-format on
HEED_VK_PUSH(AttentionPush, HEED_VK_ATTENTION_PUSH);

} // namespace heed::vkabi

#endif // HEED_RUNTIME_DRIVERS_VULKAN_ABI_ATTENTION_H
