//===- DnnlMatmul.h - Linear layers as oneDNN matmul primitives --*- C++ -*-===//
//
// y = x W^T + b with a constant W: a oneDNN matmul primitive reads W in the blocked format it
// chose (memory::format_tag::any), reordered once and kept by the executor with the module's
// constants (PackedMatmulWeight), and adds the bias itself. sgemm re-packs W on every call and
// the bias (and an activation after it) costs another pass over y. Primitives are cached per (M, N,
// K, bias) in a small map that starts over when it fills; each weight keeps at most a few packed
// formats, so inputs of many shapes cost primitive creation time, never unbounded memory. Errors
// are thrown as rt::Error.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_RUNTIME_DRIVERS_CPU_DNNLMATMUL_H
#define HEED_RUNTIME_DRIVERS_CPU_DNNLMATMUL_H

#include "runtime/drivers/cpu/Dnnl.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

namespace heed::rt::cpu::dnnl {

/// A constant weight in the formats the primitives asked for (one per distinct format, at most
/// kMaxPackedFormats, the oldest dropped first).
struct PackedMatmulWeight {
  struct Variant;
  std::vector<std::shared_ptr<Variant>> variants;
};
constexpr size_t kMaxPackedFormats = 4;
/// Primitives kept for linear layers: a few per (N, K) for the row counts met.
constexpr size_t kMaxMatmulPrimitives = 256;

/// The fewest rows for which the primitive beats sgemm (measured: docs/performance.md); below
/// it the primitive's per-call overhead dominates. HEED_CPU_MATMUL_MIN_ROWS overrides it.
int64_t matmulMinRows();

/// y[M, N] = act(x[M, K] W^T (+ bias[N])) for a weight W stored [N, K] (`wStoredNK` false:
/// stored [K, N] and y = x W); the activation, when given, is the primitive's eltwise post-op.
/// `packs` keeps the packed weight between calls (required: a weight that is not constant is
/// cheaper through sgemm).
void linear(const float *x, int64_t M, int64_t N, int64_t K, const float *w, bool wStoredNK,
            const float *bias, float *y, PackedMatmulWeight &packs,
            std::optional<Eltwise> activation = std::nullopt);

/// Whether the matmul primitive keeps W packed between calls: oneDNN 2.6's brgemm matmul, which
/// needs AVX-512 (ONEDNN_MAX_CPU_ISA may cap it). Below it the primitive is gemm:jit, which packs
/// W again on every call.
bool matmulKeepsWeightsPacked();

/// Entries in the matmul primitive cache (for tests).
size_t cachedMatmulPrimitives();

} // namespace heed::rt::cpu::dnnl

#endif // HEED_RUNTIME_DRIVERS_CPU_DNNLMATMUL_H
