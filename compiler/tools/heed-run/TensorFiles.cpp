//===- TensorFiles.cpp - heed-run's input and output files ----------------===//

#include "TensorFiles.h"

#include "runtime/weights/Tensors.h"

#include <cstring>
#include <fstream>

namespace heedrun {

namespace {
bool fail(std::string &error, const std::string &path, const std::string &what) {
  error = path + ": " + what;
  return false;
}

struct SafetensorsType {
  heed_dtype dtype;
  ::heed::DType file;
  const char *name;
};
constexpr SafetensorsType kSafetensorsTypes[] = {
    {HEED_F32, ::heed::DType::f32, "F32"},       {HEED_F64, ::heed::DType::f64, "F64"},
    {HEED_F16, ::heed::DType::f16, "F16"},       {HEED_BF16, ::heed::DType::bf16, "BF16"},
    {HEED_I32, ::heed::DType::i32, "I32"},       {HEED_I64, ::heed::DType::i64, "I64"},
    {HEED_BOOL, ::heed::DType::boolean, "BOOL"}, {HEED_U8, ::heed::DType::u8, "U8"},
    {HEED_U32, ::heed::DType::u32, "U32"},       {HEED_U64, ::heed::DType::u64, "U64"}};
} // namespace

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
  const SafetensorsType *type = nullptr;
  for (const SafetensorsType &t : kSafetensorsTypes)
    if (t.file == v.dtype)
      type = &t;
  if (!type)
    return fail(error, path,
                "tensor '" + v.name + "' has dtype " + ::heed::dtypeName(v.dtype) +
                    ", which heed-run does not take");
  out.dtype = type->dtype;
  out.shape = v.shape;
  const uint8_t *p = static_cast<const uint8_t *>(v.data);
  out.data.assign(p, p + v.bytes);
  if (out.dtype == HEED_BOOL)
    for (uint8_t &b : out.data)
      b = b ? 1 : 0;
  return true;
}

bool writeSafetensors(const std::string &path, const HostTensor &t, std::string &error) {
  const char *name = nullptr;
  for (const SafetensorsType &s : kSafetensorsTypes)
    if (s.dtype == t.dtype)
      name = s.name;
  if (!name)
    return fail(error, path, "unknown dtype");
  std::string header = std::string("{\"output\":{\"dtype\":\"") + name + "\",\"shape\":[";
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
