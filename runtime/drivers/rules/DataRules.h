//===- DataRules.h - Shape rules of the data movement ops -------*- C++ -*-===//
//
// Reshape, transpose, concat, slice, broadcast, gather/embedding and elementwise broadcasting:
// what each result's shape is and how the kernels walk their operands, worked out once so the
// CPU and Vulkan drivers accept the same operands with the same messages. Every rule returns ""
// or the error message; the driver reports it with the op's location.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_RUNTIME_DRIVERS_RULES_DATARULES_H
#define HEED_RUNTIME_DRIVERS_RULES_DATARULES_H

#include "runtime/core/Tensor.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace heed::rt {

/// An operand's shape and element type, as the rules see it (the drivers' tensors differ).
struct TypedShape {
  const std::vector<int64_t> &shape;
  ElemType type;
};
template <typename T> TypedShape typedShape(const T &t) { return {t.shape, t.type}; }

/// Row-major element strides of `shape`.
std::vector<int64_t> contiguousStrides(const std::vector<int64_t> &shape);
/// Strides reading `shape` right-aligned into `out` (0 on its size-1 and missing dims).
std::vector<int64_t> broadcastStrides(const std::vector<int64_t> &shape,
                                      const std::vector<int64_t> &out);
/// Right-aligns `dims` against `shape` (NumPy broadcasting, `shape` at least as long) and widens
/// `shape`'s size-1 dims; false when some dim is neither equal nor 1 on one side.
bool broadcastInto(std::vector<int64_t> &shape, const std::vector<int64_t> &dims);

/// Maps a possibly negative `axis` into [0, rank) (the plan runner's wording).
std::string resolveAxis(int64_t axis, int64_t rank, int64_t &out);

/// Elementwise ops: all operands broadcast together (NumPy) to `shape`; strides[i] reads
/// operand i into it.
struct BroadcastLayout {
  std::vector<int64_t> shape;
  std::vector<std::vector<int64_t>> strides;
};
std::string broadcastOperands(const std::vector<TypedShape> &operands, BroadcastLayout &out);

/// heed.broadcast of x like `like`: the shape both broadcast to and x's strides into it.
struct BroadcastLikeLayout {
  std::vector<int64_t> shape, strides;
};
std::string broadcastLike(TypedShape x, TypedShape like, BroadcastLikeLayout &out);

/// heed.reshape of an input of shape `in` by `spec` (ONNX: 0 copies the input's dim, one -1 is
/// inferred) into `out`; with `allowZero` (heed.reshape_dynamic's allowzero) a 0 is a 0-sized dim.
std::string reshapeShape(const std::vector<int64_t> &in, ElemType type,
                         const std::vector<int64_t> &spec, std::vector<int64_t> &out,
                         bool allowZero = false);

/// heed.extract of element `index` of an integer tensor of shape `in`: the checks (0-D or 1-D,
/// i32 or i64, the index inside it).
std::string extractCheck(const std::vector<int64_t> &in, ElemType type, int64_t index);
/// Element i of host memory holding i32 or i64 elements (extractCheck has checked the type).
inline int64_t loadIndex(const void *data, ElemType type, int64_t i) {
  return type == ElemType::i32 ? static_cast<const int32_t *>(data)[i]
                               : static_cast<const int64_t *>(data)[i];
}

/// heed.transpose: result dim i is input dim perm[i], read with the input stride `strides[i]`.
struct TransposeLayout {
  std::vector<int64_t> shape, strides;
};
std::string transposeLayout(const std::vector<int64_t> &in, const std::vector<int64_t> &perm,
                            TransposeLayout &out);

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

/// Elements start, start + step, ... above end of a dim of n, for step < 0 (ONNX Slice walking
/// backwards): a negative start or end counts from the end, then start is clamped to [0, n-1]
/// and end to [-1, n-1]. `start` is the first element read. Overflow-free for any int64 inputs.
inline SliceRange sliceRangeBackwards(int64_t n, int64_t start, int64_t end, int64_t step) {
  auto clamp = [n](int64_t v) {
    if (v < 0)
      v = v < -n ? -1 : v + n;
    return std::min(v, n - 1);
  };
  start = clamp(start);
  end = clamp(end);
  // -1 <= end < start <= n - 1 here; a step below -n reads one element.
  int64_t by = step < -n ? n + 1 : -step;
  return {start, start > end ? (start - end - 1) / by + 1 : 0};
}

/// An input as [outer, n, inner] around `axis`, the view the slice, concat and gather kernels
/// take.
struct AxisView {
  int64_t axis = 0, outer = 1, n = 0, inner = 1;
};
AxisView axisView(const std::vector<int64_t> &shape, int64_t axis);

/// heed.slice: `length` elements from `start` by `step` along view.axis of the input.
struct SliceLayout {
  AxisView view;
  int64_t start = 0, length = 0, step = 1;
  std::vector<int64_t> shape;
};
std::string sliceLayout(const std::vector<int64_t> &in, int64_t axis, int64_t start, int64_t end,
                        int64_t step, SliceLayout &out);
/// heed.slice_dynamic: as sliceLayout, and a negative step walks backwards (sliceRangeBackwards);
/// a zero step is an error.
std::string sliceDynamicLayout(const std::vector<int64_t> &in, int64_t axis, int64_t start,
                               int64_t end, int64_t step, SliceLayout &out);

/// heed.concat along `axis` (outer and inner of the result's view; its n is the sum).
struct ConcatLayout {
  AxisView view;
  std::vector<int64_t> shape;
};
std::string concatLayout(const std::vector<TypedShape> &operands, int64_t axis, ConcatLayout &out);

/// heed.gather along `axis` (negative ids count from the end) or heed.embedding (a [vocab, dim]
/// table, axis 0, ids in [0, vocab)): the result is x's dims before the axis, the ids' dims, then
/// x's dims after it. `ids` is view.outer x ids-count x view.inner elements of the result.
struct GatherLayout {
  AxisView view;
  int64_t ids = 0;
  std::vector<int64_t> shape;
};
std::string gatherLayout(TypedShape x, TypedShape ids, bool embedding, int64_t axis,
                         GatherLayout &out);
/// heed.gather_elements along `axis`: ids of x's rank whose other dims are at most x's; the
/// result has the ids' shape, and its element i reads x at i's coordinates with the axis one
/// replaced by the id there. xStrides: x's element strides with 0 on the axis, axisStride and n
/// its stride and size.
struct GatherElementsLayout {
  int64_t axis = 0, n = 0, axisStride = 0;
  std::vector<int64_t> xStrides, shape;
};
std::string gatherElementsLayout(TypedShape x, TypedShape ids, int64_t axis,
                                 GatherElementsLayout &out);
/// The message for an id that gatherLayout's view does not hold (one wording for both drivers,
/// which find it at different times).
std::string gatherIdOutOfRange(bool embedding, int64_t id, int64_t position, int64_t n);

} // namespace heed::rt

#endif // HEED_RUNTIME_DRIVERS_RULES_DATARULES_H
