//===- TensorMemory.cpp - Where tensor data lives -------------------------===//

#include "runtime/core/TensorMemory.h"

#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

#include <sys/mman.h>
#include <unistd.h>

namespace heed::rt {

namespace {

size_t pageSize() {
  static const size_t page = size_t(sysconf(_SC_PAGESIZE));
  return page;
}

/// The whole pages that hold `size` bytes of data (the guard page comes after them).
size_t dataPages(size_t size) { return (size + pageSize() - 1) / pageSize() * pageSize(); }

bool envFlag(const char *name) {
  const char *v = std::getenv(name);
  return v && *v && std::string(v) != "0";
}

} // namespace

bool guardAllocation() {
  static const bool on = envFlag("HEED_GUARD_ALLOC");
  return on;
}

bool poisonAllocation() {
  static const bool on = envFlag("HEED_POISON_ALLOC");
  return on;
}

size_t tensorAllocationSize(size_t bytes, bool guard) {
  if (guard)
    return bytes;
  size_t rounded = (bytes + 63) / 64 * 64;
  return rounded ? rounded : 64;
}

uint8_t *allocateTensorBytes(size_t size, bool guard) {
  if (!guard) {
    void *p = std::aligned_alloc(64, size);
    if (!p)
      throw std::bad_alloc();
    std::memset(p, 0, size);
    return static_cast<uint8_t *>(p);
  }
  // Fresh anonymous pages are zero.
  size_t span = dataPages(size);
  void *base =
      mmap(nullptr, span + pageSize(), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED)
    throw std::bad_alloc();
  uint8_t *bytes = static_cast<uint8_t *>(base);
  if (mprotect(bytes + span, pageSize(), PROT_NONE) != 0) {
    munmap(base, span + pageSize());
    throw std::bad_alloc();
  }
  return bytes + span - size;
}

void freeTensorBytes(uint8_t *p, size_t size, bool guard) {
  if (!guard) {
    std::free(p);
    return;
  }
  size_t span = dataPages(size);
  munmap(p + size - span, span + pageSize());
}

std::shared_ptr<uint8_t> makeTensorStorage(size_t bytes, bool guard) {
  size_t size = tensorAllocationSize(bytes, guard);
  return std::shared_ptr<uint8_t>(allocateTensorBytes(size, guard),
                                  [size, guard](uint8_t *p) { freeTensorBytes(p, size, guard); });
}

} // namespace heed::rt
