//===- ElemType.h - The one element type enum of Heed -----------*- C++ -*-===//
//
// Kept apart from Tensor.h so that pure C++ code outside the runtime (the
// tensor file readers in runtime/weights) names element types with the same
// enum as the runtime, the module file format (heed_module.fbs's DType) and
// the C API (heed.h's heed_dtype), whose values it shares (Module.cpp checks).
//
//===----------------------------------------------------------------------===//

#ifndef HEED_RUNTIME_CORE_ELEMTYPE_H
#define HEED_RUNTIME_CORE_ELEMTYPE_H

#include <cstdint>

namespace heed::rt {

/// Element types the runtime computes with; `index` only for scalars. f16 and bf16 are storage
/// types: the CPU driver computes with them in f32. Values 0-10 are the module format's DType
/// and the C API's heed_dtype values. `i8` exists only in tensor files (.npy, safetensors): the
/// readers accept it so that a tool can name it when it refuses it; no module or C API has it.
enum class ElemType : uint8_t {
  f32 = 0,
  f64 = 1,
  i32 = 2,
  i64 = 3,
  boolean = 4,
  index = 5,
  f16 = 6,
  bf16 = 7,
  u8 = 8,
  u32 = 9,
  u64 = 10,
  i8 = 11,
};

} // namespace heed::rt

#endif // HEED_RUNTIME_CORE_ELEMTYPE_H
