//===- Activation.h - heed.linear's activation on the CPU -------*- C++ -*-===//
//
// A linear's `activation` runs as the oneDNN matmul primitive's post-op when the primitive
// computes the product, else over the result right after the GEMM (Elementwise.cpp): with
// oneDNN's eltwise, or without oneDNN with the loops heed.relu, heed.gelu, heed.tanh and
// heed.sigmoid run, so a fused activation gives what the separate op would.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_RUNTIME_DRIVERS_CPU_ACTIVATION_H
#define HEED_RUNTIME_DRIVERS_CPU_ACTIVATION_H

#include "runtime/drivers/cpu/Dnnl.h"

#include <cstdint>
#include <optional>

namespace heed::rt::cpu {

/// The eltwise of heed.linear's `activation` attribute (the dialect's Activation enum as the
/// op table stores it: 0 none, 1 relu, 2 gelu, 3 gelu_tanh, 4 tanh, 5 sigmoid, 6 silu).
std::optional<dnnl::Eltwise> linearActivation(int64_t activation);

/// y = f(y) for n floats.
void applyActivation(dnnl::Eltwise f, float *y, int64_t n);

} // namespace heed::rt::cpu

#endif // HEED_RUNTIME_DRIVERS_CPU_ACTIVATION_H
