//===- StridedCopy.h - Gathers a strided view into a dense tensor -*- C++ -*-===//
//
// heed.transpose and heed.broadcast both read their input through per-dim element strides
// (permuted, or 0 on broadcast dims) and write a dense result. Copying element by element with
// an index carry per element made them the slowest ops of whole Transformer layers (the head
// split/merge transposes of nn.MultiheadAttention move megabytes per call); stridedCopy first
// merges dims that are contiguous together and drops size-1 dims, then moves whole contiguous
// runs with memcpy, or, when the innermost dim is strided, runs a typed loop.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_RUNTIME_DRIVERS_CPU_STRIDEDCOPY_H
#define HEED_RUNTIME_DRIVERS_CPU_STRIDEDCOPY_H

#include <cstddef>
#include <cstdint>
#include <vector>

namespace heed::rt::cpu {

/// dst (dense, C order, `shape`) [i...] = src[sum i_d * strides[d]], elements of `elemSize`
/// bytes. Strides are in elements and may be 0 (broadcast).
void stridedCopy(const uint8_t *src, uint8_t *dst, const std::vector<int64_t> &shape,
                 const std::vector<int64_t> &strides, size_t elemSize);

} // namespace heed::rt::cpu

#endif // HEED_RUNTIME_DRIVERS_CPU_STRIDEDCOPY_H
