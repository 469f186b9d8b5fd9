//===- Tensors.h - Reading and writing tensor files (.npy, .npz, safetensors)
//
// Pure C++ (no MLIR/LLVM): used by the runtime to load weights and inputs,
// and by the compiler to check weights against a model at compile time.
// Every reader treats its file as hostile: sizes are checked arithmetic,
// offsets are bounded by the file, and errors are returned, never thrown.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_RUNTIME_WEIGHTS_TENSORS_H
#define HEED_RUNTIME_WEIGHTS_TENSORS_H

#include "runtime/core/ElemType.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace heed {

/// The element type of a tensor in a file: the runtime's one enum (never `index` here; `i8` is
/// read so that a tool can name it when it refuses it).
using DType = rt::ElemType;

/// "f32", "i64", "bool", ... as Heed spells element types.
const char *dtypeName(DType dtype);
size_t dtypeSize(DType dtype);

/// A tensor whose bytes live elsewhere (a mapped file, an owned buffer).
/// `data` need not be aligned for the dtype (safetensors data starts right
/// after a header of any length): copy it with memcpy, never cast and load.
struct TensorView {
  std::string name;
  DType dtype = DType::f32;
  std::vector<int64_t> shape;
  const void *data = nullptr;
  size_t bytes = 0;
};

/// A weights file opened read-only: safetensors or .npz (stored or deflated
/// members), chosen by content. Tensors point into memory the file owns.
class TensorFile {
public:
  virtual ~TensorFile() = default;
  /// Opens `path`; on failure returns null and sets `error` to a message
  /// naming the file and the place ("model.safetensors: header length 9999
  /// exceeds the file size 100").
  static std::unique_ptr<TensorFile> open(const std::string &path, std::string &error);
  const std::vector<TensorView> &tensors() const { return views; }
  /// The tensor called `name`, or null.
  const TensorView *find(std::string_view name) const;

protected:
  std::vector<TensorView> views;
};

/// An owned tensor (what .npy reading gives).
struct Tensor {
  DType dtype = DType::f32;
  std::vector<int64_t> shape;
  std::vector<uint8_t> data; // little-endian, C order
  size_t numElements() const;
};

/// Reads a .npy file (versions 1-3, C order, little-endian; f32 f64 f16 i8 u8
/// i32 u32 i64 u64 bool). `origin` names the data in messages.
bool parseNpy(const uint8_t *bytes, size_t size, const std::string &origin, Tensor &out,
              std::string &error);
bool readNpy(const std::string &path, Tensor &out, std::string &error);

// Writers (TensorWriters.cpp). Each checks that the data matches dtype x shape and reports
// "PATH: what" in `error`.

/// A .npy file (version 1; bf16 has no numpy dtype and is refused).
bool writeNpy(const std::string &path, const Tensor &tensor, std::string &error);
/// A .npz archive as numpy.savez writes it: one stored `NAME.npy` member per tensor, in order.
bool writeNpz(const std::string &path, const std::vector<std::pair<std::string, Tensor>> &tensors,
              std::string &error);
/// A safetensors file holding `tensors` under their names, in order (any dtype, bf16 included).
bool writeSafetensors(const std::string &path,
                      const std::vector<std::pair<std::string, Tensor>> &tensors,
                      std::string &error);

} // namespace heed

#endif // HEED_RUNTIME_WEIGHTS_TENSORS_H
