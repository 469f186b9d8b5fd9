//===- Tensor.h - Host tensors and errors inside the runtime ----*- C++ -*-===//
//
// Internal to the runtime (the public face is heed.h). Errors inside the
// runtime are exceptions of type heed::rt::Error; the C API turns them into
// status values, so nothing escapes to the caller.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_RUNTIME_CORE_TENSOR_H
#define HEED_RUNTIME_CORE_TENSOR_H

#include "runtime/core/ElemType.h"
#include "runtime/core/TensorLimits.h"

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace heed::rt {

const char *elemTypeName(ElemType type);
size_t elemTypeSize(ElemType type);

enum class ErrorKind : uint8_t { invalidArgument, invalidModule, notFound, unimplemented, runtime };

struct Error : std::runtime_error {
  Error(ErrorKind kind, const std::string &message) : std::runtime_error(message), kind(kind) {}
  ErrorKind kind;
};

[[noreturn]] inline void fail(ErrorKind kind, const std::string &message) {
  throw Error(kind, message);
}

/// Checked arithmetic on element counts and byte sizes.
int64_t checkedMul(int64_t a, int64_t b, const char *what);
/// Product of dims, checking that each is >= 0 and that nothing overflows.
int64_t elementCount(const std::vector<int64_t> &shape);
std::string shapeString(const std::vector<int64_t> &shape, ElemType type);

/// A dense, C-order tensor. `data` points into `storage` (owned or shared:
/// reshape and constants are views).
struct Tensor {
  ElemType type = ElemType::f32;
  std::vector<int64_t> shape;
  std::shared_ptr<uint8_t> storage;
  uint8_t *data = nullptr;

  int64_t rank() const { return static_cast<int64_t>(shape.size()); }
  int64_t count() const { return elementCount(shape); }
  size_t bytes() const { return static_cast<size_t>(count()) * elemTypeSize(type); }
  template <typename T> T *as() const { return reinterpret_cast<T *>(data); }
  int64_t dim(int64_t i) const { return shape[static_cast<size_t>(i)]; }
};

/// A tensor with fresh, zeroed storage; fails above maxTensorBytes()
/// (TensorLimits.h, shared with the compiler).
Tensor makeTensor(ElemType type, std::vector<int64_t> shape);

} // namespace heed::rt

#endif // HEED_RUNTIME_CORE_TENSOR_H
