//===- TensorFiles.cpp - heed-run's input and output files ----------------===//

#include "TensorFiles.h"

#include "runtime/weights/Tensors.h"

#include <cstring>
#include <fstream>
#include <sys/stat.h>

namespace heedrun {

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
} // namespace

bool readNpy(const std::string &path, HostTensor &out, std::string &error) {
  // Checked here: the runtime's reader would open a directory and then fail to read it.
  struct stat st;
  if (stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
    return fail(error, path, "not a regular file");
  ::heed::Tensor t;
  if (!::heed::readNpy(path, t, error))
    return false;
  return toHost(path, "the array ", t.dtype, std::move(t.shape), t.data.data(), t.data.size(), out,
                error);
}

bool writeNpy(const std::string &path, const HostTensor &t, std::string &error) {
  if (t.dtype == HEED_BF16)
    return fail(error, path, ".npy has no bf16 dtype; write the output to a .safetensors file");
  const FileType *type = typeOf(t.dtype);
  if (!type)
    return fail(error, path, "unknown dtype");
  ::heed::Tensor file;
  file.dtype = type->file;
  file.shape = t.shape;
  file.data = t.data;
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
  const FileType *type = typeOf(t.dtype);
  if (!type)
    return fail(error, path, "unknown dtype");
  std::string header = std::string("{\"output\":{\"dtype\":\"") + type->name + "\",\"shape\":[";
  for (size_t i = 0; i < t.shape.size(); ++i)
    header += (i ? "," : "") + std::to_string(t.shape[i]);
  header += "],\"data_offsets\":[0," + std::to_string(t.data.size()) + "]}}";
  header.append((8 - header.size() % 8) % 8, ' ');
  std::ofstream os(path, std::ios::binary);
  if (!os)
    return fail(error, path, "cannot open for writing");
  uint64_t len = header.size();
  char lenBytes[8];
  for (int i = 0; i < 8; ++i)
    lenBytes[i] = char((len >> (8 * i)) & 0xff);
  os.write(lenBytes, 8);
  os.write(header.data(), std::streamsize(header.size()));
  os.write(reinterpret_cast<const char *>(t.data.data()), std::streamsize(t.data.size()));
  if (!os)
    return fail(error, path, "write failed");
  return true;
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

} // namespace heedrun
