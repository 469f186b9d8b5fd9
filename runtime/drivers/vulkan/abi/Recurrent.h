//===- Recurrent.h - ABI of the recurrent vulkan kernels --------*- C++ -*-===//
//
// rnn/gru/lstm cells (one dispatch, one invocation per row and hidden unit)
// and whole sequences (the step kernel dispatched once per layer, direction
// and time step, the state ping-ponging between two buffers).
//
//===----------------------------------------------------------------------===//

#ifndef HEED_RUNTIME_DRIVERS_VULKAN_ABI_RECURRENT_H
#define HEED_RUNTIME_DRIVERS_VULKAN_ABI_RECURRENT_H

#include "runtime/drivers/vulkan/abi/PushBlock.h"

namespace heed::vkabi {

/// count: B * H; inputSize: I; hiddenSize: H. Bindings: x, h, [c], w_ih,
/// w_hh, [b_ih, b_hh], h_out, [c_out].
#define HEED_VK_CELL_PUSH(X, A) X(count) X(inputSize) X(hiddenSize)
HEED_VK_PUSH(CellPush, HEED_VK_CELL_PUSH);

/// The kernels of one rnn/gru/lstm sequence op, by index in its kernel list:
/// the step, and the copy (Copy.h) that makes a batch-first output.
enum class RecurrentKernel { step = 0, batchFirstCopy = 1 };

/// count: B * H; inputSize: this layer's input features; hiddenSize: H;
/// step: the time step t; x: element strides of x (time, batch); hPrevBase,
/// zeroHPrev: where h_prev starts, or 1 to read zeros (no initial state);
/// yRowStride, yOffset: D * H and d * H (direction d's half of y's rows);
/// stateBase: this layer and direction's offset in h_n and c_n; cPrevBase,
/// zeroCPrev: as for h; steps: T; statusSlot: this op's int in the status
/// buffer (lengths outside [0, T]). Bindings: x, h_prev, [c_prev], w_ih,
/// w_hh, [b_ih, b_hh], [lengths], y, h_next, [c_next], h_n, [c_n], status.
// clang-format off
#define HEED_VK_RECURRENT_STEP_PUSH(X, A)                                                          \
  X(count) X(inputSize) X(hiddenSize) X(step) A(x, 2) X(hPrevBase) X(zeroHPrev) X(yRowStride)      \
  X(yOffset) X(stateBase) X(cPrevBase) X(zeroCPrev) X(steps) X(statusSlot)
// clang-format on
HEED_VK_PUSH(RecurrentStepPush, HEED_VK_RECURRENT_STEP_PUSH);

} // namespace heed::vkabi

#endif // HEED_RUNTIME_DRIVERS_VULKAN_ABI_RECURRENT_H
