//===- TensorWriters.cpp - Writing .npy, .npz and safetensors files -------===//
//
// What heed-run --output writes. Files are built in memory and written in one go through the
// safe writer, so a failed write never leaves a half-made file behind a good name.
//
//===----------------------------------------------------------------------===//

#include "runtime/files/SafeFiles.h"
#include "runtime/weights/Tensors.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <zlib.h>

namespace heed {
namespace {

/// numpy's dtype string, or null for bf16 (numpy has none).
const char *npyDescr(DType dtype) {
  switch (dtype) {
  case DType::f32:
    return "<f4";
  case DType::f64:
    return "<f8";
  case DType::f16:
    return "<f2";
  case DType::i8:
    return "|i1";
  case DType::u8:
    return "|u1";
  case DType::i32:
    return "<i4";
  case DType::i64:
    return "<i8";
  case DType::u32:
    return "<u4";
  case DType::u64:
    return "<u8";
  case DType::boolean:
    return "|b1";
  case DType::bf16:
  case DType::index: // never read from a file
    return nullptr;
  }
  return nullptr;
}

/// The safetensors dtype string ("F32", "BOOL", ...).
const char *safetensorsName(DType dtype) {
  switch (dtype) {
  case DType::f32:
    return "F32";
  case DType::f64:
    return "F64";
  case DType::f16:
    return "F16";
  case DType::bf16:
    return "BF16";
  case DType::i8:
    return "I8";
  case DType::u8:
    return "U8";
  case DType::i32:
    return "I32";
  case DType::i64:
  case DType::index: // never read from a file; an index is an i64
    return "I64";
  case DType::boolean:
    return "BOOL";
  case DType::u32:
    return "U32";
  case DType::u64:
    return "U64";
  }
  return "?";
}

/// False (with `error`) when the data's size is not dtype x shape.
bool checkSize(const std::string &where, const Tensor &t, std::string &error) {
  uint64_t count = 1;
  for (int64_t d : t.shape)
    if (d < 0 || __builtin_mul_overflow(count, uint64_t(d), &count)) {
      error = where + ": invalid shape";
      return false;
    }
  uint64_t bytes;
  if (__builtin_mul_overflow(count, uint64_t(dtypeSize(t.dtype)), &bytes) ||
      bytes != t.data.size()) {
    error = where + ": tensor data does not match its shape";
    return false;
  }
  return true;
}

bool encodeNpy(const std::string &where, const Tensor &t, std::string &out, std::string &error) {
  const char *descr = npyDescr(t.dtype);
  if (!descr) {
    error = where + ": .npy has no bf16 dtype; write it to a .safetensors file";
    return false;
  }
  if (!checkSize(where, t, error))
    return false;
  std::string header = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < t.shape.size(); ++i)
    header += (i ? ", " : "") + std::to_string(t.shape[i]);
  header += t.shape.size() == 1 ? ",), }" : "), }";
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  const char magic[8] = {'\x93', 'N', 'U', 'M', 'P', 'Y', 1, 0};
  out.assign(magic, 8);
  out += char(header.size() & 0xFF);
  out += char(header.size() >> 8);
  out += header;
  out.append(reinterpret_cast<const char *>(t.data.data()), t.data.size());
  return true;
}

/// Through the safe writer (runtime/files/SafeFiles.h): a temporary file renamed into place, and
/// a target that is not a regular file (a device, FIFO, directory or link) refused.
bool writeBytes(const std::string &path, const std::string &bytes, std::string &error) {
  return files::writeFileReplacing(path, bytes, error);
}

void put16(std::string &s, uint32_t v) {
  s += char(v & 0xFF);
  s += char((v >> 8) & 0xFF);
}
void put32(std::string &s, uint32_t v) {
  put16(s, v & 0xFFFF);
  put16(s, v >> 16);
}

} // namespace

bool writeNpy(const std::string &path, const Tensor &tensor, std::string &error) {
  std::string bytes;
  return encodeNpy(path, tensor, bytes, error) && writeBytes(path, bytes, error);
}

bool writeNpz(const std::string &path, const std::vector<std::pair<std::string, Tensor>> &tensors,
              std::string &error) {
  // A zip of stored members (no compression, as numpy.savez), without zip64: each member and the
  // whole archive must stay under 4 GiB.
  std::string zip, directory;
  for (const auto &[name, tensor] : tensors) {
    std::string member, file = name + ".npy";
    if (!encodeNpy(path + ": array '" + name + "'", tensor, member, error))
      return false;
    if (member.size() >= 0xFFFFFFFFu || zip.size() + member.size() >= 0xFFFFFFFFu ||
        file.size() > 0xFFFF) {
      error = path + ": array '" + name + "' does not fit in a .npz without zip64 (4 GiB)";
      return false;
    }
    uint32_t crc = uint32_t(crc32(
        crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef *>(member.data()), uInt(member.size())));
    uint32_t offset = uint32_t(zip.size());
    auto common = [&](std::string &s) {
      put16(s, 20);   // version needed: 2.0
      put16(s, 0);    // flags
      put16(s, 0);    // stored
      put16(s, 0);    // time
      put16(s, 0x21); // date: 1980-01-01
      put32(s, crc);
      put32(s, uint32_t(member.size()));
      put32(s, uint32_t(member.size()));
      put16(s, uint32_t(file.size()));
      put16(s, 0); // extra field
    };
    put32(zip, 0x04034b50);
    common(zip);
    zip += file;
    zip += member;
    put32(directory, 0x02014b50);
    put16(directory, 20); // made by
    common(directory);
    put16(directory, 0); // comment
    put16(directory, 0); // disk
    put16(directory, 0); // internal attributes
    put32(directory, 0); // external attributes
    put32(directory, offset);
    directory += file;
  }
  if (tensors.size() > 0xFFFF || zip.size() + directory.size() >= 0xFFFFFFFFu) {
    error = path + ": too many or too large arrays for a .npz without zip64";
    return false;
  }
  uint32_t directoryOffset = uint32_t(zip.size());
  zip += directory;
  put32(zip, 0x06054b50);
  put16(zip, 0);
  put16(zip, 0);
  put16(zip, uint32_t(tensors.size()));
  put16(zip, uint32_t(tensors.size()));
  put32(zip, uint32_t(directory.size()));
  put32(zip, directoryOffset);
  put16(zip, 0); // comment
  return writeBytes(path, zip, error);
}

bool writeSafetensors(const std::string &path,
                      const std::vector<std::pair<std::string, Tensor>> &tensors,
                      std::string &error) {
  std::string header = "{", data;
  for (const auto &[name, tensor] : tensors) {
    if (!checkSize(path + ": tensor '" + name + "'", tensor, error))
      return false;
    for (char c : name)
      if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) {
        error =
            path + ": tensor name '" + name + "' needs JSON escaping, which Heed does not write";
        return false;
      }
    header += (header.size() > 1 ? ",\"" : "\"") + name + "\":{\"dtype\":\"" +
              safetensorsName(tensor.dtype) + "\",\"shape\":[";
    for (size_t i = 0; i < tensor.shape.size(); ++i)
      header += (i ? "," : "") + std::to_string(tensor.shape[i]);
    header += "],\"data_offsets\":[" + std::to_string(data.size()) + ",";
    data.append(reinterpret_cast<const char *>(tensor.data.data()), tensor.data.size());
    header += std::to_string(data.size()) + "]}";
  }
  header += "}";
  header.append((8 - header.size() % 8) % 8, ' ');
  std::string bytes;
  uint64_t length = header.size();
  for (int i = 0; i < 8; ++i)
    bytes += char((length >> (8 * i)) & 0xFF);
  bytes += header;
  bytes += data;
  return writeBytes(path, bytes, error);
}

} // namespace heed
