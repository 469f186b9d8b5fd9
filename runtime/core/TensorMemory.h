//===- TensorMemory.h - Where tensor data lives -----------------*- C++ -*-===//
//
// Every buffer the runtime allocates for tensor data (makeTensor, the CPU driver's buffer pool)
// comes from here, in one of two modes:
//   normal  64-byte aligned, rounded up to 64 bytes and zeroed: a kernel reading a vector's tail
//           past the end reads zeros of the runtime's own memory;
//   guard   ($HEED_GUARD_ALLOC=1) the data ends exactly at a page boundary followed by a
//           PROT_NONE page, so a read past the end faults, and starts wherever that puts it
//           (aligned to the element size at worst, as a numpy array may be).
// Guard mode is how the test suite shows that no kernel reads past a tensor: the condition for
// running on a caller's buffer without a copy (heed_tensor_wrap), which has no slack at its end.
//
// Buffers a kernel fills completely are handed out uninitialised (zeroing a recycled 16 MiB
// buffer took as long as the copy that then overwrote it). $HEED_POISON_ALLOC=1 fills them
// with 0xff bytes instead (NaN floats, -1 integers, true booleans), so a kernel that leaves an
// element unwritten gives wrong results in the test suite rather than stale data now and then.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_RUNTIME_CORE_TENSORMEMORY_H
#define HEED_RUNTIME_CORE_TENSORMEMORY_H

#include <cstddef>
#include <cstdint>
#include <memory>

namespace heed::rt {

/// Whether $HEED_GUARD_ALLOC is set to something other than 0 (read once per process).
bool guardAllocation();

/// Whether $HEED_POISON_ALLOC is set to something other than 0 (read once per process).
bool poisonAllocation();

/// The size an allocation for `bytes` bytes of data really has: what to pass to allocateTensorBytes
/// and freeTensorBytes, and what a pool keys on (exact in guard mode, else rounded up to 64).
size_t tensorAllocationSize(size_t bytes, bool guard = guardAllocation());
/// Zeroed memory for `size` (a tensorAllocationSize) bytes; throws std::bad_alloc.
uint8_t *allocateTensorBytes(size_t size, bool guard = guardAllocation());
void freeTensorBytes(uint8_t *p, size_t size, bool guard = guardAllocation());

/// allocateTensorBytes for `bytes` bytes, freed when the last owner lets go.
std::shared_ptr<uint8_t> makeTensorStorage(size_t bytes, bool guard = guardAllocation());

} // namespace heed::rt

#endif // HEED_RUNTIME_CORE_TENSORMEMORY_H
