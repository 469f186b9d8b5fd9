//===- StridedCopy.cpp - Gathers a strided view into a dense tensor -------===//

#include "runtime/drivers/cpu/StridedCopy.h"

#include <cstring>

namespace heed::rt::cpu {
namespace {

/// `n` elements of T from src (every `stride` elements) to dense dst.
template <typename T> void gatherRun(const uint8_t *src, uint8_t *dst, int64_t n, int64_t stride) {
  const T *s = reinterpret_cast<const T *>(src);
  T *d = reinterpret_cast<T *>(dst);
  if (stride == 0) {
    T v;
    std::memcpy(&v, s, sizeof(T));
    for (int64_t i = 0; i < n; ++i)
      d[i] = v;
    return;
  }
  for (int64_t i = 0; i < n; ++i)
    d[i] = s[i * stride];
}

/// One innermost run of `n` elements read every `stride` elements.
void copyRun(const uint8_t *src, uint8_t *dst, int64_t n, int64_t stride, size_t es) {
  if (stride == 1) {
    std::memcpy(dst, src, size_t(n) * es);
    return;
  }
  switch (es) {
  case 1:
    return gatherRun<uint8_t>(src, dst, n, stride);
  case 2:
    return gatherRun<uint16_t>(src, dst, n, stride);
  case 4:
    return gatherRun<uint32_t>(src, dst, n, stride);
  case 8:
    return gatherRun<uint64_t>(src, dst, n, stride);
  default:
    for (int64_t i = 0; i < n; ++i)
      std::memcpy(dst + size_t(i) * es, src + size_t(i * stride) * es, es);
  }
}

} // namespace

void stridedCopy(const uint8_t *src, uint8_t *dst, const std::vector<int64_t> &shape,
                 const std::vector<int64_t> &strides, size_t es) {
  // Drop size-1 dims, then merge each dim into the one before it when the pair reads as one dim
  // (outer stride = inner stride * inner size): [L, B, E] -> [B, L, E] keeps E as one run.
  std::vector<int64_t> dims, st;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 0)
      return;
    if (shape[d] == 1)
      continue;
    if (!dims.empty() && st.back() == strides[d] * shape[d]) {
      dims.back() *= shape[d];
      st.back() = strides[d];
      continue;
    }
    dims.push_back(shape[d]);
    st.push_back(strides[d]);
  }
  if (dims.empty()) { // one element
    std::memcpy(dst, src, es);
    return;
  }
  size_t rank = dims.size();
  int64_t inner = dims.back(), innerStride = st.back();
  int64_t runs = 1;
  for (size_t d = 0; d + 1 < rank; ++d)
    runs *= dims[d];
  std::vector<int64_t> idx(rank, 0);
  int64_t off = 0;
  for (int64_t r = 0; r < runs; ++r) {
    copyRun(src + size_t(off) * es, dst + size_t(r * inner) * es, inner, innerStride, es);
    for (size_t d = rank - 1; d-- > 0;) {
      off += st[d];
      if (++idx[d] < dims[d])
        break;
      off -= st[d] * dims[d];
      idx[d] = 0;
    }
  }
}

} // namespace heed::rt::cpu
