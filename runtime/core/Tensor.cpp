//===- Tensor.cpp - Host tensors inside the runtime -----------------------===//

#include "runtime/core/Tensor.h"
#include "runtime/core/TensorMemory.h"

#include <cstdlib>
#include <cstring>
#include <unistd.h>

namespace heed::rt {

const char *elemTypeName(ElemType type) {
  switch (type) {
  case ElemType::f32:
    return "f32";
  case ElemType::f64:
    return "f64";
  case ElemType::i32:
    return "i32";
  case ElemType::i64:
    return "i64";
  case ElemType::boolean:
    return "i1";
  case ElemType::index:
    return "index";
  case ElemType::f16:
    return "f16";
  case ElemType::bf16:
    return "bf16";
  case ElemType::u8:
    return "ui8";
  case ElemType::u32:
    return "ui32";
  case ElemType::u64:
    return "ui64";
  case ElemType::i8:
    return "i8";
  }
  return "?";
}

size_t elemTypeSize(ElemType type) {
  switch (type) {
  case ElemType::f32:
  case ElemType::i32:
  case ElemType::u32:
    return 4;
  case ElemType::f64:
  case ElemType::i64:
  case ElemType::u64:
  case ElemType::index:
    return 8;
  case ElemType::f16:
  case ElemType::bf16:
    return 2;
  case ElemType::boolean:
  case ElemType::u8:
  case ElemType::i8:
    return 1;
  }
  return 1;
}

int64_t checkedMul(int64_t a, int64_t b, const char *what) {
  int64_t r;
  if (a < 0 || b < 0 || __builtin_mul_overflow(a, b, &r) || r > (int64_t(1) << 48))
    fail(ErrorKind::runtime, std::string(what) + " is too large");
  return r;
}

int64_t elementCount(const std::vector<int64_t> &shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0)
      fail(ErrorKind::runtime, "negative dimension " + std::to_string(d));
    n = checkedMul(n, d, "element count");
  }
  return n;
}

std::string shapeString(const std::vector<int64_t> &shape, ElemType type) {
  std::string s;
  for (int64_t d : shape)
    s += (d < 0 ? std::string("?") : std::to_string(d)) + "x";
  return s + elemTypeName(type);
}

Tensor makeTensor(ElemType type, std::vector<int64_t> shape) {
  Tensor t;
  t.type = type;
  t.shape = std::move(shape);
  size_t bytes = static_cast<size_t>(checkedMul(t.count(), int64_t(elemTypeSize(type)), "tensor"));
  if (bytes > maxTensorBytes())
    fail(ErrorKind::runtime, "tensor " + shapeString(t.shape, type) + " needs " +
                                 std::to_string(bytes) + " bytes, over the limit of " +
                                 std::to_string(maxTensorBytes()) + " (" + kMaxTensorBytesHint +
                                 ")");
  t.storage = makeTensorStorage(bytes);
  t.data = t.storage.get();
  return t;
}

} // namespace heed::rt
