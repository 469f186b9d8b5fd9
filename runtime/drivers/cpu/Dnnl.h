//===- Dnnl.h - oneDNN primitives for the CPU driver ------------*- C++ -*-===//
//
// Softmax, log-softmax, layer normalization and eltwise as oneDNN primitives,
// created once per (kind, shape, parameters) and cached: a new sequence length
// makes one new primitive, never a recompilation. f32 only; the callers keep
// their own loops for other types. Errors are thrown as rt::Error.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_RUNTIME_DRIVERS_CPU_DNNL_H
#define HEED_RUNTIME_DRIVERS_CPU_DNNL_H

#include <cstddef>
#include <cstdint>
#include <vector>

namespace heed::rt::cpu::dnnl {

/// softmax (or log-softmax) of `src` (dims, C order) along `axis` into `dst`.
void softmax(const float *src, float *dst, const std::vector<int64_t> &dims, int64_t axis,
             bool log);

/// Layer normalization of `rows` rows of `n` elements; scale/shift [n] may be null.
void layerNorm(const float *src, float *dst, int64_t rows, int64_t n, float epsilon,
               const float *scale, const float *shift);

enum class Eltwise {
  abs,
  exp,
  log,
  neg,
  reciprocal,
  relu,
  rsqrt,
  sigmoid,
  sqrt,
  tanh,
  geluErf,
  geluTanh,
  silu
};

/// dst[i] = f(src[i]) for `count` elements.
void eltwise(Eltwise kind, const float *src, float *dst, int64_t count);

/// Entries in the primitive cache (for tests and --print-stats).
size_t cachedPrimitives();

} // namespace heed::rt::cpu::dnnl

#endif // HEED_RUNTIME_DRIVERS_CPU_DNNL_H
