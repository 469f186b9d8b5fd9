//===- Attention.h - Heed's fused attention kernels on the CPU --*- C++ -*-===//
//
// Bounded-memory attention: online softmax over key blocks (FlashAttention's
// algorithm), never an Lq x Lk buffer unless the caller asks for the weights.
// Fully masked key blocks of causal masks are skipped; key-length masks need
// no mask tensor. Threads split batch x heads x query blocks (libgomp, the
// OpenMP runtime oneDNN uses; OMP_NUM_THREADS applies). Link HeedCpuKernels.
//
// All tensors are f32 and addressed through element strides, so any layout the
// compiler picks (packed heads [B, L, H*D] or split [B, H, L, D]) needs no copy.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_RUNTIME_DRIVERS_CPU_KERNELS_ATTENTION_H
#define HEED_RUNTIME_DRIVERS_CPU_KERNELS_ATTENTION_H

#include <cstdint>
#include <limits>

namespace heed::cpu {

/// Strides in elements for a 4-D [batch, heads, length, features] view.
struct Strides4 {
  int64_t batch = 0, head = 0, row = 0, col = 1;
};

enum class CausalAlign : uint8_t { topLeft, bottomRight };
enum class MaskedRows : uint8_t { zero, nan };

struct AttentionProblem {
  int64_t batch = 1, heads = 1, kvHeads = 1; // kvHeads divides heads (grouped-query)
  int64_t queryLength = 0, keyLength = 0, headDim = 0, valueDim = 0;
  float scale = 1.0f;

  const float *query = nullptr; // [B, H, Lq, D]
  const float *key = nullptr;   // [B, Hkv, Lk, D]
  const float *value = nullptr; // [B, Hkv, Lk, Dv]
  float *output = nullptr;      // [B, H, Lq, Dv]
  Strides4 queryStrides, keyStrides, valueStrides, outputStrides;

  // Masks: any combination of additive / boolean / keyLengths / causal (they
  // compose: a key is visible iff every mask lets it through). A row that sees
  // no key at all gets zeros or NaN (output and weights) per maskedRows.
  const float *additiveMask = nullptr;  // broadcast to [B, H, Lq, Lk] by strides (0 = broadcast)
  const uint8_t *booleanMask = nullptr; // nonzero = key visible; same broadcasting
  // The score of a key the boolean mask hides: -inf leaves it out; a finite value (heed's
  // mask_fill, masked_fill(mask, -1e9)) keeps it at that score, as the decomposed graph does.
  float booleanFill = -std::numeric_limits<float>::infinity();
  Strides4 maskStrides;
  const int64_t *keyLengths = nullptr; // [B]: key j visible iff j < keyLengths[b]
  bool causal = false;
  CausalAlign causalAlign = CausalAlign::topLeft;
  MaskedRows maskedRows = MaskedRows::zero;

  float *weights = nullptr; // optional [B, H, Lq, Lk] softmax weights
  Strides4 weightsStrides;

  // Tuning: rows of Q and keys per block (0 = the kernel's defaults, 64 and 128).
  // Scratch memory is O(threads x block x (block + D + Dv)) floats, plus per
  // thread the packed K^T of one (batch, kv head) when it fits in 8 MiB.
  int64_t queryBlock = 0, keyBlock = 0;
};

/// Computes softmax(scale * Q K^T + mask) V. The caller has checked shapes.
/// Returns false (and sets nothing) only if the problem is malformed
/// (negative sizes, kvHeads not dividing heads, a missing tensor), which
/// callers must prevent. Thread-safe: concurrent calls share nothing.
bool attention(const AttentionProblem &problem);

struct AdditiveAttentionProblem {
  int64_t batch = 1, queryLength = 1, keyLength = 0;
  int64_t queryDim = 0, attentionDim = 0, valueDim = 0;

  const float *query = nullptr;    // [B, Lq, Dq] contiguous
  const float *keysProj = nullptr; // [B, Lk, A] contiguous (W_k keys + b)
  const float *values = nullptr;   // [B, Lk, Dv] contiguous
  const float *wQuery = nullptr;   // [A, Dq] contiguous
  const float *v = nullptr;        // [A]
  float *output = nullptr;         // [B, Lq, Dv] contiguous

  const float *additiveMask = nullptr; // [B, Lq, Lk] view by strides (0 = broadcast)
  const uint8_t *booleanMask = nullptr;
  float booleanFill = -std::numeric_limits<float>::infinity(); // as in AttentionProblem
  int64_t maskStrides[3] = {0, 0, 0};
  const int64_t *keyLengths = nullptr; // [B]: key j visible iff j < keyLengths[b]
  MaskedRows maskedRows = MaskedRows::zero;

  float *weights = nullptr; // optional [B, Lq, Lk] contiguous
};

/// Computes softmax(v^T tanh(W_q q + K')) V (Bahdanau / Luong concat).
bool additiveAttention(const AdditiveAttentionProblem &problem);

} // namespace heed::cpu

#endif // HEED_RUNTIME_DRIVERS_CPU_KERNELS_ATTENTION_H
