//===- TensorFiles.cpp - The tools' input and output tensor files ---------===//

#include "compiler/tools/tensorio/TensorFiles.h"

#include "runtime/weights/Tensors.h"

#include <cstring>

namespace heed::tools {

size_t HostTensor::count() const {
  size_t n = 1;
  for (int64_t d : shape)
    n *= size_t(d);
  return n;
}

std::string describe(const HostTensor &t) {
  std::string s;
  for (int64_t d : t.shape)
    s += std::to_string(d) + "x";
  return s + heed_dtype_name(t.dtype);
}

namespace {
bool fail(std::string &error, const std::string &path, const std::string &what) {
  error = path + ": " + what;
  return false;
}

/// The element types heed-run takes from files: the C API's type, the tensor file code's, and
/// the safetensors spelling.
struct FileType {
  heed_dtype dtype;
  ::heed::DType file;
  const char *name;
};
constexpr FileType kFileTypes[] = {
    {HEED_F32, ::heed::DType::f32, "F32"},       {HEED_F64, ::heed::DType::f64, "F64"},
    {HEED_F16, ::heed::DType::f16, "F16"},       {HEED_BF16, ::heed::DType::bf16, "BF16"},
    {HEED_I32, ::heed::DType::i32, "I32"},       {HEED_I64, ::heed::DType::i64, "I64"},
    {HEED_BOOL, ::heed::DType::boolean, "BOOL"}, {HEED_U8, ::heed::DType::u8, "U8"},
    {HEED_U32, ::heed::DType::u32, "U32"},       {HEED_U64, ::heed::DType::u64, "U64"}};

const FileType *typeOf(heed_dtype dtype) {
  for (const FileType &t : kFileTypes)
    if (t.dtype == dtype)
      return &t;
  return nullptr;
}

/// A tensor read from `path` as heed-run's: an element type the C API has, and bools as 0/1
/// (a file may hold any nonzero byte for true). `name` ("tensor 'x' ") starts the message.
bool toHost(const std::string &path, const std::string &name, ::heed::DType dtype,
            std::vector<int64_t> shape, const uint8_t *data, size_t bytes, HostTensor &out,
            std::string &error) {
  const FileType *type = nullptr;
  for (const FileType &t : kFileTypes)
    if (t.file == dtype)
      type = &t;
  if (!type)
    return fail(error, path,
                name + "has dtype " + ::heed::dtypeName(dtype) + ", which heed-run does not take");
  out.dtype = type->dtype;
  out.shape = std::move(shape);
  out.data.assign(data, data + bytes);
  if (out.dtype == HEED_BOOL)
    for (uint8_t &b : out.data)
      b = b ? 1 : 0;
  return true;
}
bool toFile(const std::string &path, const HostTensor &t, ::heed::Tensor &out, std::string &error) {
  const FileType *type = typeOf(t.dtype);
  if (!type)
    return fail(error, path, "unknown dtype");
  out.dtype = type->file;
  out.shape = t.shape;
  out.data = t.data;
  return true;
}
} // namespace

bool readNpy(const std::string &path, HostTensor &out, std::string &error) {
  // The runtime's reader opens through files::openRegularFile: a FIFO, directory or device
  // is refused there, without blocking.
  ::heed::Tensor t;
  if (!::heed::readNpy(path, t, error))
    return false;
  return toHost(path, "the array ", t.dtype, std::move(t.shape), t.data.data(), t.data.size(), out,
                error);
}

bool writeNpy(const std::string &path, const HostTensor &t, std::string &error) {
  if (t.dtype == HEED_BF16)
    return fail(error, path, ".npy has no bf16 dtype; write the output to a .safetensors file");
  ::heed::Tensor file;
  if (!toFile(path, t, file, error))
    return false;
  return ::heed::writeNpy(path, file, error);
}

bool readSafetensors(const std::string &path, HostTensor &out, std::string &error) {
  std::unique_ptr<::heed::TensorFile> file = ::heed::TensorFile::open(path, error);
  if (!file)
    return false;
  if (file->tensors().size() != 1) {
    std::string names;
    for (const ::heed::TensorView &v : file->tensors())
      names += (names.empty() ? "'" : ", '") + v.name + "'";
    return fail(error, path,
                "holds " + std::to_string(file->tensors().size()) +
                    " tensors; an input or expected output file must hold exactly one" +
                    (names.empty() ? "" : " (it has " + names + ")"));
  }
  const ::heed::TensorView &v = file->tensors()[0];
  return toHost(path, "tensor '" + v.name + "' ", v.dtype, v.shape,
                static_cast<const uint8_t *>(v.data), v.bytes, out, error);
}

bool writeSafetensors(const std::string &path, const HostTensor &t, std::string &error) {
  return writeTensorArchive(path, {{"output", t}}, error);
}

bool endsWith(const std::string &s, const char *suffix) {
  size_t n = std::strlen(suffix);
  return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

bool readTensorFile(const std::string &path, HostTensor &out, std::string &error) {
  if (endsWith(path, ".safetensors"))
    return readSafetensors(path, out, error);
  return readNpy(path, out, error);
}

bool writeTensorFile(const std::string &path, const HostTensor &t, std::string &error) {
  if (endsWith(path, ".safetensors"))
    return writeSafetensors(path, t, error);
  return writeNpy(path, t, error);
}

bool readTensorArchive(const std::string &path, NamedTensors &out, std::string &error) {
  // TensorFile::open refuses a FIFO, directory or device (files::openRegularFile).
  std::unique_ptr<::heed::TensorFile> file = ::heed::TensorFile::open(path, error);
  if (!file)
    return false;
  for (const ::heed::TensorView &v : file->tensors()) {
    HostTensor t;
    if (!toHost(path, "array '" + v.name + "' ", v.dtype, v.shape,
                static_cast<const uint8_t *>(v.data), v.bytes, t, error))
      return false;
    out.emplace_back(v.name, std::move(t));
  }
  return true;
}

bool writeTensorArchive(const std::string &path, const NamedTensors &tensors, std::string &error) {
  std::vector<std::pair<std::string, ::heed::Tensor>> files;
  for (const auto &[name, t] : tensors) {
    files.emplace_back(name, ::heed::Tensor());
    if (!toFile(path, t, files.back().second, error))
      return false;
  }
  if (endsWith(path, ".safetensors"))
    return ::heed::writeSafetensors(path, files, error);
  return ::heed::writeNpz(path, files, error);
}

} // namespace heed::tools
