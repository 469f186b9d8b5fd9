//===- Kernels.h - GLSL generators per vulkan kernel family -----*- C++ -*-===//
//
// One generator per op family, each in the file named as the driver's file
// that dispatches its kernels (ElementwiseKernels.cpp beside OpKernels.cpp's
// elementwise ops, NnKernels.cpp beside NnOps.cpp, ...). VulkanTarget.cpp
// picks the generator of an op; a family's push constants and kernel variants
// are its header in runtime/drivers/vulkan/abi.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_COMPILER_TARGETS_VULKAN_KERNELS_H
#define HEED_COMPILER_TARGETS_VULKAN_KERNELS_H

#include "compiler/targets/vulkan/ShaderSource.h"

namespace mlir::heed::vulkan::detail {

// ElementwiseKernels.cpp
/// The broadcasting elementwise ops and heed.full (`kind` is the op name).
Lowered lowerElementwise(Operation &op, const std::string &kind);
/// The GLSL of heed.linear's activation (the Activation enum's value) of the float `a`: the
/// expression heed.relu, heed.gelu, heed.tanh or heed.sigmoid computes; "a" for none.
std::string activationGlsl(int64_t activation);

// CopyKernels.cpp
/// The strided copy of `rank` dims of `elem` (layout ops, scan, batch-first).
Lowered lowerCopy(Operation &op, Type elem, int rank);

// NnKernels.cpp
Lowered lowerMatmul(Operation &op);
Lowered lowerLinear(Operation &op);
/// softmax, or log_softmax with `log`.
Lowered lowerSoftmax(Operation &op, bool log);
Lowered lowerLayerNorm(Operation &op);
Lowered lowerReduce(Operation &op);
Lowered lowerArgmax(Operation &op); // and heed.argmin
Lowered lowerCumsum(Operation &op);
Lowered lowerGatherElements(Operation &op);
Lowered lowerTopK(Operation &op);
/// heed.gather, or heed.embedding with `embedding`.
Lowered lowerGather(Operation &op, bool embedding);
/// sequence_mask, causal_mask, range and sinusoidal_positions.
Lowered lowerGenerator(Operation &op, const std::string &kind);

// AttentionKernels.cpp
Lowered lowerAttention(Operation &op);
Lowered lowerAdditiveAttention(Operation &op);

// RecurrentKernels.cpp
/// rnn_cell, gru_cell and lstm_cell.
Lowered lowerCell(Operation &op, const std::string &kind);
/// rnn, gru and lstm sequences.
Lowered lowerSequence(Operation &op, const std::string &kind);

} // namespace mlir::heed::vulkan::detail

#endif // HEED_COMPILER_TARGETS_VULKAN_KERNELS_H
