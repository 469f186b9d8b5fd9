//===- NnRules.h - Shape rules of the tensor ops ----------------*- C++ -*-===//
//
// Matmul, linear, softmax and layer_norm rows, reductions, argmax/top_k and the generators
// (sequence and causal masks, range, sinusoidal positions): result shapes and the sizes the
// kernels loop over, checked once for the CPU and Vulkan drivers. Every rule returns "" or the
// error message; the driver reports it with the op's location. Which element types a driver's
// kernels take is the driver's own business and is not checked here.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_RUNTIME_DRIVERS_RULES_NNRULES_H
#define HEED_RUNTIME_DRIVERS_RULES_NNRULES_H

#include "runtime/drivers/rules/DataRules.h"

namespace heed::rt {

/// Softmax, argmax and top_k: an input of rank >= 1 as rows along `axis`.
std::string rowsLayout(const std::vector<int64_t> &shape, int64_t axis, AxisView &out);

/// heed.layer_norm: outer rows of the n elements from `axis` on; scale and bias (when given)
/// have the trailing dims x.shape[axis:], a residual (when given) x's shape.
struct LayerNormLayout {
  int64_t outer = 1, n = 1;
  std::vector<int64_t> trailing;
};
std::string layerNormLayout(TypedShape x, int64_t axis, const TypedShape *scale,
                            const TypedShape *bias, LayerNormLayout &out,
                            const TypedShape *residual = nullptr);

/// heed.rotary: x, cos and sin broadcast together (NumPy rules) with one last dim D, even and
/// not broadcast: each result row pairs element i with i + D/2 of the same x row.
std::string rotaryLayout(TypedShape x, TypedShape cos, TypedShape sin, BroadcastLayout &out);

/// heed.matmul: [..., M, K] x [..., K, N] (either side transposed) with NumPy-broadcast batch
/// dims; lhsStrides/rhsStrides step each operand's matrices along the result's batch dims.
struct MatmulLayout {
  int64_t m = 0, n = 0, k = 0;
  std::vector<int64_t> batch, shape, lhsStrides, rhsStrides;
  int64_t lhsBatches = 1, rhsBatches = 1; // matrices each operand holds
};
std::string matmulLayout(TypedShape a, TypedShape b, bool transposeA, bool transposeB,
                         MatmulLayout &out);

/// heed.linear: rows x k inputs by a [k, n] weight ([n, k] transposed), an optional [n] bias.
struct LinearLayout {
  int64_t rows = 0, n = 0, k = 0;
  std::vector<int64_t> shape;
};
std::string linearLayout(TypedShape x, TypedShape w, bool transposeWeight, const TypedShape *bias,
                         LinearLayout &out);

/// heed.reduce over `axes`: the result's shape, which input dims are reduced, and the input's
/// dims and strides split into kept (reduced ones are 1/0) and reduced (kept ones are 1/0)
/// halves; `count` is the number of elements each result element reduces.
struct ReduceLayout {
  std::vector<int64_t> shape, keptDims, keptStrides, reducedDims, reducedStrides;
  std::vector<bool> reduced;
  int64_t count = 1;
};
/// `kind` is heed.reduce's (2 and 3, max and min, have no value for an empty axis).
std::string reduceLayout(const std::vector<int64_t> &in, const std::vector<int64_t> &axes,
                         bool keepDims, int64_t kind, ReduceLayout &out);

/// heed.argmax and heed.top_k: rows along the axis and the results' shape.
struct SelectLayout {
  AxisView view;
  std::vector<int64_t> shape;
};
std::string argmaxLayout(const std::vector<int64_t> &in, int64_t axis, bool keepDims,
                         SelectLayout &out);
std::string topKLayout(const std::vector<int64_t> &in, int64_t axis, int64_t k, SelectLayout &out);

/// heed.sequence_mask: [B] integer lengths and a max_length give a [B, max_length] mask.
std::string sequenceMaskShape(TypedShape lengths, int64_t maxLength, std::vector<int64_t> &out);
/// heed.causal_mask: [lq, lk]; key j is visible from query i when j <= i + shift (align 1 puts
/// the last query on the last key).
std::string causalMaskShape(int64_t queryLength, int64_t keyLength, int64_t align,
                            std::vector<int64_t> &shape, int64_t &shift);
/// heed.full: the declared dims with each dynamic one (-1) taken, in order, from `dynamic` (the
/// op's index operands).
std::string fullShape(const std::vector<int64_t> &declared, const std::vector<int64_t> &dynamic,
                      std::vector<int64_t> &out);
/// heed.range: how many of start, start + step, ... lie before limit.
std::string rangeLength(int64_t start, int64_t limit, int64_t step, int64_t &out);
/// heed.sinusoidal_positions: [length, dim].
std::string sinusoidalShape(int64_t length, int64_t dim, std::vector<int64_t> &out);

} // namespace heed::rt

#endif // HEED_RUNTIME_DRIVERS_RULES_NNRULES_H
