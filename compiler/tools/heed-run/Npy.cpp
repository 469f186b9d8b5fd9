//===- Npy.cpp - .npy files for heed-run ----------------------------------===//

#include "Npy.h"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
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

/// Finds 'key': VALUE in the header dict; returns VALUE's text.
bool field(const std::string &header, const std::string &key, std::string &value) {
  size_t at = header.find("'" + key + "'");
  if (at == std::string::npos)
    return false;
  at = header.find(':', at);
  if (at == std::string::npos)
    return false;
  ++at;
  while (at < header.size() && header[at] == ' ')
    ++at;
  size_t end = at;
  if (at < header.size() && header[at] == '(') {
    end = header.find(')', at);
    if (end == std::string::npos)
      return false;
    ++end;
  } else if (at < header.size() && header[at] == '\'') {
    end = header.find('\'', at + 1);
    if (end == std::string::npos)
      return false;
    ++end;
  } else {
    while (end < header.size() && header[end] != ',' && header[end] != '}')
      ++end;
  }
  value = header.substr(at, end - at);
  return true;
}
} // namespace

bool readNpy(const std::string &path, HostTensor &out, std::string &error) {
  struct stat st;
  if (stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
    return fail(error, path, "not a regular file");
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return fail(error, path, "cannot open file");
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  if (bytes.size() < 10 || std::memcmp(bytes.data(), "\x93NUMPY", 6) != 0)
    return fail(error, path, "not a .npy file (bad magic)");
  uint8_t major = bytes[6];
  size_t headerLen, start;
  if (major == 1) {
    headerLen = size_t(bytes[8]) | size_t(bytes[9]) << 8;
    start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12)
      return fail(error, path, "truncated header");
    headerLen = size_t(bytes[8]) | size_t(bytes[9]) << 8 | size_t(bytes[10]) << 16 |
                size_t(bytes[11]) << 24;
    start = 12;
  } else {
    return fail(error, path, "unsupported .npy version " + std::to_string(major));
  }
  if (headerLen > bytes.size() - start)
    return fail(error, path, "header length " + std::to_string(headerLen) + " exceeds the file");
  std::string header(bytes.begin() + long(start), bytes.begin() + long(start + headerLen));
  std::string descr, fortran, shape;
  if (!field(header, "descr", descr) || !field(header, "fortran_order", fortran) ||
      !field(header, "shape", shape))
    return fail(error, path, "malformed header: " + header);
  if (fortran.rfind("False", 0) != 0)
    return fail(error, path, "Fortran-order arrays are not supported");
  if (descr == "'<f4'")
    out.dtype = HEED_F32;
  else if (descr == "'<f8'")
    out.dtype = HEED_F64;
  else if (descr == "'<f2'")
    out.dtype = HEED_F16;
  else if (descr == "'<i4'")
    out.dtype = HEED_I32;
  else if (descr == "'<i8'")
    out.dtype = HEED_I64;
  else if (descr == "'|b1'")
    out.dtype = HEED_BOOL;
  else if (descr == "'|u1'")
    out.dtype = HEED_U8;
  else if (descr == "'<u4'")
    out.dtype = HEED_U32;
  else if (descr == "'<u8'")
    out.dtype = HEED_U64;
  else
    return fail(error, path,
                "unsupported dtype " + descr +
                    "; expected f32, f64, f16, i32, i64, bool, u8, u32 or u64 (bf16: use a "
                    ".safetensors file)");
  out.shape.clear();
  size_t n = 1;
  const char *p = shape.c_str() + 1;
  while (*p && *p != ')') {
    while (*p == ' ' || *p == ',')
      ++p;
    if (*p == ')' || !*p)
      break;
    char *end;
    long long d = std::strtoll(p, &end, 10);
    if (end == p || d < 0 || d > (1LL << 40))
      return fail(error, path, "bad shape " + shape);
    out.shape.push_back(d);
    if (__builtin_mul_overflow(n, size_t(d), &n) || out.shape.size() > 16)
      return fail(error, path, "shape " + shape + " is too large");
    p = end;
  }
  size_t bytesNeeded;
  if (__builtin_mul_overflow(n, heed_dtype_size(out.dtype), &bytesNeeded))
    return fail(error, path, "shape " + shape + " is too large");
  size_t have = bytes.size() - start - headerLen;
  if (have != bytesNeeded)
    return fail(error, path,
                "holds " + std::to_string(have) + " data bytes, shape " + shape + " needs " +
                    std::to_string(bytesNeeded));
  out.data.assign(bytes.begin() + long(start + headerLen), bytes.end());
  if (out.dtype == HEED_BOOL)
    for (uint8_t &b : out.data)
      b = b ? 1 : 0;
  return true;
}

bool writeNpy(const std::string &path, const HostTensor &t, std::string &error) {
  const char *descr = nullptr;
  switch (t.dtype) {
  case HEED_F32:
    descr = "<f4";
    break;
  case HEED_F64:
    descr = "<f8";
    break;
  case HEED_F16:
    descr = "<f2";
    break;
  case HEED_I32:
    descr = "<i4";
    break;
  case HEED_I64:
    descr = "<i8";
    break;
  case HEED_BOOL:
    descr = "|b1";
    break;
  case HEED_U8:
    descr = "|u1";
    break;
  case HEED_U32:
    descr = "<u4";
    break;
  case HEED_U64:
    descr = "<u8";
    break;
  case HEED_BF16:
    return fail(error, path, ".npy has no bf16 dtype; write the output to a .safetensors file");
  }
  if (!descr)
    return fail(error, path, "unknown dtype");
  std::string shape = "(";
  for (int64_t d : t.shape)
    shape += std::to_string(d) + ", ";
  if (t.shape.size() > 1)
    shape.resize(shape.size() - 2);
  else if (t.shape.size() == 1)
    shape.resize(shape.size() - 1);
  shape += ")";
  std::string header =
      std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::ofstream os(path, std::ios::binary);
  if (!os)
    return fail(error, path, "cannot open for writing");
  os.write("\x93NUMPY\x01\x00", 8);
  uint16_t len = uint16_t(header.size());
  char lenBytes[2] = {char(len & 0xff), char(len >> 8)};
  os.write(lenBytes, 2);
  os.write(header.data(), std::streamsize(header.size()));
  os.write(reinterpret_cast<const char *>(t.data.data()), std::streamsize(t.data.size()));
  if (!os)
    return fail(error, path, "write failed");
  return true;
}

} // namespace heedrun
