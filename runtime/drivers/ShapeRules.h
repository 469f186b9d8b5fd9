//===- ShapeRules.h - Op shape rules the CPU and Vulkan drivers share -*- C++ -*-===//
//
// What an op's result shapes and operand layouts are, worked out once for both drivers so they
// cannot disagree (a slice length, a reshape's inferred dim, how attention operands are read).
// The functions return "" or the error message; each driver reports it with the op's location.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_RUNTIME_DRIVERS_SHAPERULES_H
#define HEED_RUNTIME_DRIVERS_SHAPERULES_H

#include "runtime/core/Tensor.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace heed::rt {

struct SliceRange {
  int64_t start = 0, length = 0;
};

/// Elements start, start + step, ... below end of a dim of n, for step > 0: a negative start or
/// end counts from the end, then both are clamped to [0, n]. Overflow-free for any int64 inputs
/// (the step may be huge: a model's "to the end" sentinel).
inline SliceRange sliceRange(int64_t n, int64_t start, int64_t end, int64_t step) {
  auto clamp = [n](int64_t v) {
    if (v < 0)
      v = v < -n ? 0 : v + n;
    return std::min(v, n);
  };
  start = clamp(start);
  end = clamp(end);
  // 0 <= start < end <= n here, so this cannot overflow whatever the step.
  return {start, end > start ? (end - start - 1) / step + 1 : 0};
}

/// heed.reshape of an input of shape `in` by `spec` (ONNX: 0 copies the input's dim, one -1 is
/// inferred) into `out`.
std::string reshapeShape(const std::vector<int64_t> &in, ElemType type,
                         const std::vector<int64_t> &spec, std::vector<int64_t> &out);

/// How heed.attention reads its operands: packed heads [B, L, H*D] when num_heads > 0, else
/// [.., L, D] of rank 2-4 with optional batch and head dims (K/V may broadcast over the batch and
/// group heads).
struct AttentionLayout {
  int64_t batch = 0, heads = 0, kvHeads = 0, queryLength = 0, keyLength = 0, headDim = 0,
          valueDim = 0;
  /// (batch, head, row) strides of query, key, value and output; features are contiguous.
  std::array<int64_t, 3> query{}, key{}, value{}, output{};
  std::vector<int64_t> outShape;    // the output's
  std::vector<int64_t> scoresShape; // the weights output's, and what masks broadcast to
  std::vector<int> scoresPos;       // each scores dim's position in [B, H, Lq, Lk]
};
std::string attentionLayout(const std::vector<int64_t> &q, const std::vector<int64_t> &k,
                            const std::vector<int64_t> &v, ElemType type, int64_t numHeads,
                            int64_t numKvHeads, AttentionLayout &out);

/// [B, H, Lq, Lk] strides of a mask of shape `mask`, right-aligned and broadcast to scores of
/// shape `scores` whose dims sit at `pos` of [B, H, Lq, Lk] (AttentionLayout's, or additive
/// attention's [B, Lq, Lk]).
std::string maskStrides(const std::vector<int64_t> &mask, ElemType type,
                        const std::vector<int64_t> &scores, const std::vector<int> &pos,
                        std::array<int64_t, 4> &out);

} // namespace heed::rt

#endif // HEED_RUNTIME_DRIVERS_SHAPERULES_H
