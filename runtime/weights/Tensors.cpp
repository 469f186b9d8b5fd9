//===- Tensors.cpp - Reading and writing tensor files ---------------------===//
//
// safetensors, .npz (a zip of .npy members, stored or deflated) and .npy.
// Every input is hostile: each size and offset is checked before use with
// overflow-safe arithmetic, and every failure is a message, never a crash.
//
//===----------------------------------------------------------------------===//

#include "runtime/weights/Tensors.h"
#include "runtime/files/SafeFiles.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

namespace heed {

const char *dtypeName(DType dtype) {
  switch (dtype) {
  case DType::f32:
    return "f32";
  case DType::f64:
    return "f64";
  case DType::f16:
    return "f16";
  case DType::bf16:
    return "bf16";
  case DType::i8:
    return "i8";
  case DType::u8:
    return "u8";
  case DType::i32:
    return "i32";
  case DType::i64:
    return "i64";
  case DType::boolean:
    return "bool";
  case DType::u32:
    return "u32";
  case DType::u64:
    return "u64";
  case DType::index:
    return "index";
  }
  return "?";
}

size_t dtypeSize(DType dtype) {
  switch (dtype) {
  case DType::f64:
  case DType::i64:
  case DType::u64:
  case DType::index:
    return 8;
  case DType::f32:
  case DType::i32:
  case DType::u32:
    return 4;
  case DType::f16:
  case DType::bf16:
    return 2;
  case DType::i8:
  case DType::u8:
  case DType::boolean:
    return 1;
  }
  return 1;
}

namespace {
constexpr size_t kMaxRank = 8;

bool mulOverflow(uint64_t a, uint64_t b, uint64_t &out) {
  return __builtin_mul_overflow(a, b, &out);
}
bool addOverflow(uint64_t a, uint64_t b, uint64_t &out) {
  return __builtin_add_overflow(a, b, &out);
}

/// The byte size of a tensor, or false when the shape is invalid or its size
/// does not fit in 63 bits.
bool byteSize(const std::vector<int64_t> &shape, DType dtype, uint64_t &bytes, std::string &why) {
  if (shape.size() > kMaxRank) {
    why = "rank " + std::to_string(shape.size()) + " exceeds the maximum of 8";
    return false;
  }
  uint64_t count = 1;
  for (int64_t dim : shape) {
    if (dim < 0) {
      why = "negative dimension " + std::to_string(dim);
      return false;
    }
    if (mulOverflow(count, static_cast<uint64_t>(dim), count) || count > (uint64_t(1) << 62)) {
      why = "element count overflows";
      return false;
    }
  }
  if (mulOverflow(count, dtypeSize(dtype), bytes) || bytes > (uint64_t(1) << 62)) {
    why = "byte size overflows";
    return false;
  }
  return true;
}

std::string shapeString(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

//===----------------------------------------------------------------------===//
// A minimal JSON reader for safetensors headers
//===----------------------------------------------------------------------===//

struct Json {
  enum Kind { Null, Bool, Number, String, Array, Object } kind = Null;
  bool isInteger = false;
  bool negative = false;
  uint64_t integer = 0; // magnitude when isInteger
  std::string str;
  std::vector<Json> items;
  std::vector<std::pair<std::string, Json>> members;
};

class JsonParser {
public:
  JsonParser(const char *begin, size_t size) : p(begin), end(begin + size) {}

  bool parseDocument(Json &out, std::string &error) {
    if (!parseValue(out, 0))
      return fail(error);
    skipSpace();
    if (p != end) {
      message = "trailing characters after the JSON header";
      return fail(error);
    }
    return true;
  }

private:
  const char *p;
  const char *end;
  const char *start = p;
  std::string message;

  bool fail(std::string &error) {
    error = "malformed JSON header at byte " + std::to_string(p - start) +
            (message.empty() ? std::string() : ": " + message);
    return false;
  }
  void skipSpace() {
    while (p != end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
      ++p;
  }
  bool expect(char c) {
    skipSpace();
    if (p == end || *p != c) {
      message = std::string("expected '") + c + "'";
      return false;
    }
    ++p;
    return true;
  }
  bool parseString(std::string &out) {
    if (!expect('"'))
      return false;
    while (p != end && *p != '"') {
      char c = *p++;
      if (static_cast<unsigned char>(c) < 0x20) {
        message = "control character in string";
        return false;
      }
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      if (p == end)
        break;
      char e = *p++;
      switch (e) {
      case '"':
      case '\\':
      case '/':
        out.push_back(e);
        break;
      case 'n':
        out.push_back('\n');
        break;
      case 't':
        out.push_back('\t');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 'b':
        out.push_back('\b');
        break;
      case 'f':
        out.push_back('\f');
        break;
      case 'u': {
        if (end - p < 4) {
          message = "truncated \\u escape";
          return false;
        }
        unsigned code = 0;
        for (int i = 0; i < 4; ++i) {
          char h = *p++;
          code <<= 4;
          if (h >= '0' && h <= '9')
            code |= h - '0';
          else if (h >= 'a' && h <= 'f')
            code |= h - 'a' + 10;
          else if (h >= 'A' && h <= 'F')
            code |= h - 'A' + 10;
          else {
            message = "bad \\u escape";
            return false;
          }
        }
        // Names are ASCII in practice; keep others as UTF-8 (no surrogate pairs).
        if (code < 0x80) {
          out.push_back(static_cast<char>(code));
        } else if (code < 0x800) {
          out.push_back(static_cast<char>(0xC0 | (code >> 6)));
          out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
        } else {
          out.push_back(static_cast<char>(0xE0 | (code >> 12)));
          out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
          out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
        }
        break;
      }
      default:
        message = "bad escape in string";
        return false;
      }
    }
    if (p == end) {
      message = "unterminated string";
      return false;
    }
    ++p;
    return true;
  }
  bool parseValue(Json &out, int depth) {
    if (depth > 32) {
      message = "nesting too deep";
      return false;
    }
    skipSpace();
    if (p == end) {
      message = "unexpected end";
      return false;
    }
    char c = *p;
    if (c == '{') {
      ++p;
      out.kind = Json::Object;
      skipSpace();
      if (p != end && *p == '}') {
        ++p;
        return true;
      }
      while (true) {
        std::string key;
        if (!parseString(key) || !expect(':'))
          return false;
        Json value;
        if (!parseValue(value, depth + 1))
          return false;
        out.members.emplace_back(std::move(key), std::move(value));
        skipSpace();
        if (p != end && *p == ',') {
          ++p;
          continue;
        }
        return expect('}');
      }
    }
    if (c == '[') {
      ++p;
      out.kind = Json::Array;
      skipSpace();
      if (p != end && *p == ']') {
        ++p;
        return true;
      }
      while (true) {
        Json value;
        if (!parseValue(value, depth + 1))
          return false;
        out.items.push_back(std::move(value));
        skipSpace();
        if (p != end && *p == ',') {
          ++p;
          continue;
        }
        return expect(']');
      }
    }
    if (c == '"') {
      out.kind = Json::String;
      return parseString(out.str);
    }
    auto literal = [&](const char *word, Json::Kind kind) {
      size_t n = std::strlen(word);
      if (static_cast<size_t>(end - p) < n || std::memcmp(p, word, n) != 0) {
        message = "unexpected character";
        return false;
      }
      p += n;
      out.kind = kind;
      return true;
    };
    if (c == 't' || c == 'f')
      return literal(c == 't' ? "true" : "false", Json::Bool);
    if (c == 'n')
      return literal("null", Json::Null);
    if (c == '-' || (c >= '0' && c <= '9')) {
      out.kind = Json::Number;
      out.isInteger = true;
      if (c == '-') {
        out.negative = true;
        ++p;
      }
      bool digits = false;
      while (p != end && *p >= '0' && *p <= '9') {
        digits = true;
        if (mulOverflow(out.integer, 10, out.integer) ||
            addOverflow(out.integer, static_cast<uint64_t>(*p - '0'), out.integer)) {
          message = "integer out of range";
          return false;
        }
        ++p;
      }
      if (!digits) {
        message = "bad number";
        return false;
      }
      // Fractions and exponents are valid JSON but never a size or offset.
      while (p != end && (*p == '.' || *p == 'e' || *p == 'E' || *p == '+' || *p == '-' ||
                          (*p >= '0' && *p <= '9'))) {
        out.isInteger = false;
        ++p;
      }
      return true;
    }
    message = "unexpected character";
    return false;
  }
};

bool safetensorsDType(const std::string &name, DType &out) {
  static const std::pair<const char *, DType> table[] = {
      {"F32", DType::f32},      {"F64", DType::f64}, {"F16", DType::f16}, {"BF16", DType::bf16},
      {"I8", DType::i8},        {"U8", DType::u8},   {"I32", DType::i32}, {"I64", DType::i64},
      {"BOOL", DType::boolean}, {"U32", DType::u32}, {"U64", DType::u64}};
  for (const auto &entry : table)
    if (name == entry.first) {
      out = entry.second;
      return true;
    }
  return false;
}

uint64_t readLE(const uint8_t *p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i)
    v = (v << 8) | p[i];
  return v;
}

//===----------------------------------------------------------------------===//
// The file
//===----------------------------------------------------------------------===//

class MappedTensorFile : public TensorFile {
public:
  ~MappedTensorFile() override {
    if (mapping && mapping != MAP_FAILED)
      munmap(mapping, mappedSize);
  }

  bool load(const std::string &path, std::string &error) {
    int fd = files::openRegularFile(path, error);
    if (fd < 0)
      return false;
    struct stat st;
    if (fstat(fd, &st) != 0) {
      error = path + ": cannot stat: " + std::strerror(errno);
      ::close(fd);
      return false;
    }
    size = static_cast<size_t>(st.st_size);
    if (size > 0) {
      mapping = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
      if (mapping == MAP_FAILED) {
        error = path + ": cannot map: " + std::strerror(errno);
        ::close(fd);
        return false;
      }
      mappedSize = size;
    }
    ::close(fd);
    bytes = static_cast<const uint8_t *>(mapping);
    if (size >= 4 && bytes[0] == 'P' && bytes[1] == 'K' && bytes[2] == 3 && bytes[3] == 4)
      return loadNpz(path, error);
    if (size >= 4 && bytes[0] == 'P' && bytes[1] == 'K' && bytes[2] == 5 && bytes[3] == 6)
      return loadNpz(path, error); // an empty archive
    return loadSafetensors(path, error);
  }

private:
  void *mapping = nullptr;
  size_t mappedSize = 0;
  const uint8_t *bytes = nullptr;
  size_t size = 0;
  std::vector<std::unique_ptr<Tensor>> owned;

  bool loadSafetensors(const std::string &path, std::string &error) {
    if (size < 8) {
      error = path + ": truncated: " + std::to_string(size) +
              " bytes, a safetensors file starts with an 8-byte header length";
      return false;
    }
    uint64_t headerLength = readLE(bytes, 8);
    if (headerLength > size - 8) {
      error = path + ": header length " + std::to_string(headerLength) + " exceeds the file size " +
              std::to_string(size);
      return false;
    }
    Json header;
    std::string why;
    JsonParser parser(reinterpret_cast<const char *>(bytes + 8), headerLength);
    if (!parser.parseDocument(header, why)) {
      error = path + ": " + why;
      return false;
    }
    if (header.kind != Json::Object) {
      error = path + ": the header is not a JSON object";
      return false;
    }
    const uint8_t *data = bytes + 8 + headerLength;
    uint64_t dataSize = size - 8 - headerLength;
    struct Range {
      uint64_t begin, end;
      size_t index;
    };
    std::vector<Range> ranges;
    std::map<std::string, bool> seen;
    for (auto &[name, entry] : header.members) {
      if (name == "__metadata__")
        continue;
      std::string where = path + ": tensor '" + name + "': ";
      if (seen.count(name)) {
        error = where + "defined twice";
        return false;
      }
      seen[name] = true;
      if (entry.kind != Json::Object) {
        error = where + "expected an object with dtype, shape and data_offsets";
        return false;
      }
      const Json *dtype = nullptr, *shape = nullptr, *offsets = nullptr;
      for (auto &[key, value] : entry.members) {
        if (key == "dtype")
          dtype = &value;
        else if (key == "shape")
          shape = &value;
        else if (key == "data_offsets")
          offsets = &value;
      }
      if (!dtype || dtype->kind != Json::String) {
        error = where + "missing or non-string 'dtype'";
        return false;
      }
      TensorView view;
      view.name = name;
      if (!safetensorsDType(dtype->str, view.dtype)) {
        error = where + "unknown dtype '" + dtype->str +
                "' (expected F32, F64, F16, BF16, I8, U8, I32, I64 or BOOL)";
        return false;
      }
      if (!shape || shape->kind != Json::Array) {
        error = where + "missing or non-array 'shape'";
        return false;
      }
      for (const Json &dim : shape->items) {
        if (dim.kind != Json::Number || !dim.isInteger || dim.negative ||
            dim.integer > uint64_t(INT64_MAX)) {
          error = where + "shape entries must be non-negative integers";
          return false;
        }
        view.shape.push_back(static_cast<int64_t>(dim.integer));
      }
      uint64_t expected = 0;
      if (!byteSize(view.shape, view.dtype, expected, why)) {
        error = where + "shape " + shapeString(view.shape) + ": " + why;
        return false;
      }
      if (!offsets || offsets->kind != Json::Array || offsets->items.size() != 2 ||
          offsets->items[0].kind != Json::Number || !offsets->items[0].isInteger ||
          offsets->items[0].negative || offsets->items[1].kind != Json::Number ||
          !offsets->items[1].isInteger || offsets->items[1].negative) {
        error = where + "'data_offsets' must be two non-negative integers";
        return false;
      }
      uint64_t begin = offsets->items[0].integer, end = offsets->items[1].integer;
      if (begin > end) {
        error = where + "data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
                "] end before they begin";
        return false;
      }
      if (end > dataSize) {
        error = where + "data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
                "] are out of range: the data section has " + std::to_string(dataSize) + " bytes";
        return false;
      }
      if (end - begin != expected) {
        error = where + "data_offsets span " + std::to_string(end - begin) + " bytes but " +
                dtypeName(view.dtype) + shapeString(view.shape) + " needs " +
                std::to_string(expected);
        return false;
      }
      view.data = data + begin;
      view.bytes = static_cast<size_t>(expected);
      ranges.push_back({begin, end, views.size()});
      views.push_back(std::move(view));
    }
    std::sort(ranges.begin(), ranges.end(),
              [](const Range &a, const Range &b) { return a.begin < b.begin; });
    for (size_t i = 1; i < ranges.size(); ++i) {
      if (ranges[i].begin < ranges[i - 1].end) {
        error = path + ": tensors '" + views[ranges[i - 1].index].name + "' and '" +
                views[ranges[i].index].name + "' have overlapping data_offsets";
        return false;
      }
    }
    return true;
  }

  bool loadNpz(const std::string &path, std::string &error) {
    // End of central directory: 22 bytes plus a comment of up to 65535.
    if (size < 22) {
      error = path + ": truncated zip archive (" + std::to_string(size) + " bytes)";
      return false;
    }
    size_t eocd = SIZE_MAX;
    size_t lowest = size > 22 + 65535 ? size - 22 - 65535 : 0;
    for (size_t i = size - 22 + 1; i-- > lowest;) {
      if (readLE(bytes + i, 4) == 0x06054b50) {
        eocd = i;
        break;
      }
    }
    if (eocd == SIZE_MAX) {
      error = path + ": not a zip archive (no end of central directory record)";
      return false;
    }
    uint64_t entries = readLE(bytes + eocd + 10, 2);
    uint64_t cdSize = readLE(bytes + eocd + 12, 4);
    uint64_t cdOffset = readLE(bytes + eocd + 16, 4);
    if (entries == 0xFFFF || cdSize == 0xFFFFFFFF || cdOffset == 0xFFFFFFFF) {
      // Zip64: the locator sits right before the record.
      if (eocd < 20 || readLE(bytes + eocd - 20, 4) != 0x07064b50) {
        error = path + ": zip64 archive without a zip64 locator";
        return false;
      }
      uint64_t z64 = readLE(bytes + eocd - 20 + 8, 8);
      if (z64 > size || size - z64 < 56 || readLE(bytes + z64, 4) != 0x06064b50) {
        error = path + ": bad zip64 end of central directory record";
        return false;
      }
      entries = readLE(bytes + z64 + 32, 8);
      cdSize = readLE(bytes + z64 + 40, 8);
      cdOffset = readLE(bytes + z64 + 48, 8);
    }
    uint64_t cdEnd;
    if (addOverflow(cdOffset, cdSize, cdEnd) || cdEnd > size) {
      error = path + ": central directory [" + std::to_string(cdOffset) + ", +" +
              std::to_string(cdSize) + "] is out of range of the file size " + std::to_string(size);
      return false;
    }
    uint64_t at = cdOffset;
    std::map<std::string, bool> seen;
    for (uint64_t n = 0; n < entries; ++n) {
      if (cdEnd - at < 46 || readLE(bytes + at, 4) != 0x02014b50) {
        error = path + ": bad central directory entry " + std::to_string(n);
        return false;
      }
      const uint8_t *e = bytes + at;
      uint64_t flags = readLE(e + 8, 2);
      uint64_t method = readLE(e + 10, 2);
      uint32_t crc = static_cast<uint32_t>(readLE(e + 16, 4));
      uint64_t compressed = readLE(e + 20, 4);
      uint64_t uncompressed = readLE(e + 24, 4);
      uint64_t nameLen = readLE(e + 28, 2), extraLen = readLE(e + 30, 2),
               commentLen = readLE(e + 32, 2);
      uint64_t localOffset = readLE(e + 42, 4);
      if (cdEnd - at - 46 < nameLen + extraLen + commentLen) {
        error = path + ": central directory entry " + std::to_string(n) + " is truncated";
        return false;
      }
      std::string name(reinterpret_cast<const char *>(e + 46), nameLen);
      // Zip64 extended information: the fields that were saturated, in order.
      const uint8_t *extra = e + 46 + nameLen;
      for (uint64_t x = 0; x + 4 <= extraLen;) {
        uint64_t id = readLE(extra + x, 2), len = readLE(extra + x + 2, 2);
        if (x + 4 + len > extraLen)
          break;
        if (id == 1) {
          const uint8_t *f = extra + x + 4;
          uint64_t left = len;
          auto take = [&](uint64_t &field) {
            if (field == 0xFFFFFFFF && left >= 8) {
              field = readLE(f, 8);
              f += 8;
              left -= 8;
            }
          };
          take(uncompressed);
          take(compressed);
          take(localOffset);
        }
        x += 4 + len;
      }
      at += 46 + nameLen + extraLen + commentLen;
      std::string where = path + ": member '" + name + "': ";
      if (flags & 1) {
        error = where + "encrypted members are not supported";
        return false;
      }
      if (method != 0 && method != 8) {
        error = where + "unsupported compression method " + std::to_string(method);
        return false;
      }
      if (localOffset > size || size - localOffset < 30 ||
          readLE(bytes + localOffset, 4) != 0x04034b50) {
        error = where + "local header offset " + std::to_string(localOffset) +
                " is out of range or not a local header";
        return false;
      }
      uint64_t localName = readLE(bytes + localOffset + 26, 2);
      uint64_t localExtra = readLE(bytes + localOffset + 28, 2);
      uint64_t dataStart = localOffset + 30 + localName + localExtra, dataEnd;
      if (dataStart > size || addOverflow(dataStart, compressed, dataEnd) || dataEnd > size) {
        error = where + "data [" + std::to_string(dataStart) + ", +" + std::to_string(compressed) +
                "] is out of range of the file size " + std::to_string(size);
        return false;
      }
      // The size to allocate comes from the archive: bound it by the bytes
      // really present (deflate expands at most 1032:1) before allocating.
      uint64_t bound;
      if (uncompressed > (uint64_t(1) << 40) ||
          mulOverflow(compressed, method == 0 ? 1 : 1032, bound) || uncompressed > bound) {
        error = where + "uncompressed size " + std::to_string(uncompressed) +
                " is impossible for its " + std::to_string(compressed) + " stored bytes";
        return false;
      }
      if (method == 0 && compressed != uncompressed) {
        error = where + "stored member with different compressed and uncompressed sizes";
        return false;
      }
      std::vector<uint8_t> member(static_cast<size_t>(uncompressed));
      if (method == 0) {
        if (uncompressed)
          std::memcpy(member.data(), bytes + dataStart, member.size());
      } else {
        z_stream zs;
        std::memset(&zs, 0, sizeof(zs));
        if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) {
          error = where + "cannot initialize zlib";
          return false;
        }
        zs.next_in = const_cast<Bytef *>(bytes + dataStart);
        zs.avail_in = static_cast<uInt>(std::min<uint64_t>(compressed, UINT32_MAX));
        zs.next_out = member.data();
        zs.avail_out = static_cast<uInt>(std::min<uint64_t>(member.size(), UINT32_MAX));
        int rc = inflate(&zs, Z_FINISH);
        uint64_t produced = zs.total_out;
        inflateEnd(&zs);
        if (rc != Z_STREAM_END || produced != uncompressed) {
          error = where + "corrupt deflate data";
          return false;
        }
      }
      uint32_t actual = static_cast<uint32_t>(
          crc32(crc32(0L, Z_NULL, 0), member.data(), static_cast<uInt>(member.size())));
      if (member.size() <= UINT32_MAX && actual != crc) {
        error = where + "CRC mismatch";
        return false;
      }
      if (name.size() < 4 || name.compare(name.size() - 4, 4, ".npy") != 0) {
        error = where + "expected a .npy member";
        return false;
      }
      name.resize(name.size() - 4);
      if (seen.count(name)) {
        error = where + "defined twice";
        return false;
      }
      seen[name] = true;
      auto tensor = std::make_unique<Tensor>();
      if (!parseNpy(member.data(), member.size(), path + ": member '" + name + ".npy'", *tensor,
                    error))
        return false;
      TensorView view;
      view.name = name;
      view.dtype = tensor->dtype;
      view.shape = tensor->shape;
      view.data = tensor->data.data();
      view.bytes = tensor->data.size();
      views.push_back(std::move(view));
      owned.push_back(std::move(tensor));
    }
    return true;
  }
};

bool npyDType(const std::string &descr, DType &out, std::string &why) {
  if (descr.size() < 2) {
    why = "bad descr '" + descr + "'";
    return false;
  }
  char order = descr[0];
  std::string kind = descr.substr(1);
  if (order == '>' && kind != "i1" && kind != "u1" && kind != "b1") {
    why = "big-endian data ('" + descr + "') is not supported";
    return false;
  }
  if (order != '<' && order != '|' && order != '=' && order != '>') {
    why = "bad descr '" + descr + "'";
    return false;
  }
  static const std::pair<const char *, DType> table[] = {
      {"f4", DType::f32}, {"f8", DType::f64}, {"f2", DType::f16}, {"i1", DType::i8},
      {"u1", DType::u8},  {"i4", DType::i32}, {"i8", DType::i64}, {"b1", DType::boolean},
      {"u4", DType::u32}, {"u8", DType::u64}};
  for (const auto &entry : table)
    if (kind == entry.first) {
      out = entry.second;
      return true;
    }
  why = "unsupported dtype '" + descr + "'";
  return false;
}

/// Finds `'key':` in a .npy header dict and returns the text after it.
bool npyField(const std::string &header, const char *key, size_t &pos) {
  std::string quoted1 = std::string("'") + key + "'";
  std::string quoted2 = std::string("\"") + key + "\"";
  size_t at = header.find(quoted1);
  size_t len = quoted1.size();
  if (at == std::string::npos) {
    at = header.find(quoted2);
    len = quoted2.size();
  }
  if (at == std::string::npos)
    return false;
  at += len;
  while (at < header.size() && header[at] == ' ')
    ++at;
  if (at >= header.size() || header[at] != ':')
    return false;
  ++at;
  while (at < header.size() && header[at] == ' ')
    ++at;
  pos = at;
  return true;
}
} // namespace

std::unique_ptr<TensorFile> TensorFile::open(const std::string &path, std::string &error) {
  auto file = std::make_unique<MappedTensorFile>();
  if (!file->load(path, error))
    return nullptr;
  return file;
}

const TensorView *TensorFile::find(std::string_view name) const {
  for (const TensorView &view : views)
    if (view.name == name)
      return &view;
  return nullptr;
}

size_t Tensor::numElements() const {
  size_t n = 1;
  for (int64_t dim : shape)
    n *= static_cast<size_t>(dim);
  return n;
}

bool parseNpy(const uint8_t *bytes, size_t size, const std::string &origin, Tensor &out,
              std::string &error) {
  static const char magic[] = "\x93NUMPY";
  if (size < 10 || std::memcmp(bytes, magic, 6) != 0) {
    error = origin + ": not a .npy file (bad magic or truncated)";
    return false;
  }
  int major = bytes[6];
  uint64_t headerLength, headerStart;
  if (major == 1) {
    headerLength = readLE(bytes + 8, 2);
    headerStart = 10;
  } else if (major == 2 || major == 3) {
    if (size < 12) {
      error = origin + ": truncated .npy header";
      return false;
    }
    headerLength = readLE(bytes + 8, 4);
    headerStart = 12;
  } else {
    error = origin + ": unsupported .npy version " + std::to_string(major);
    return false;
  }
  if (headerLength > size - headerStart) {
    error = origin + ": .npy header length " + std::to_string(headerLength) +
            " exceeds the data size " + std::to_string(size);
    return false;
  }
  std::string header(reinterpret_cast<const char *>(bytes + headerStart), headerLength);
  size_t pos;
  std::string why;
  if (!npyField(header, "descr", pos) || pos >= header.size() ||
      (header[pos] != '\'' && header[pos] != '"')) {
    error = origin + ": .npy header has no 'descr' string";
    return false;
  }
  size_t close = header.find(header[pos], pos + 1);
  if (close == std::string::npos) {
    error = origin + ": .npy header has an unterminated 'descr'";
    return false;
  }
  if (!npyDType(header.substr(pos + 1, close - pos - 1), out.dtype, why)) {
    error = origin + ": " + why;
    return false;
  }
  if (!npyField(header, "fortran_order", pos)) {
    error = origin + ": .npy header has no 'fortran_order'";
    return false;
  }
  if (header.compare(pos, 4, "True") == 0) {
    error = origin + ": Fortran-order arrays are not supported (save C-contiguous arrays)";
    return false;
  }
  if (header.compare(pos, 5, "False") != 0) {
    error = origin + ": .npy 'fortran_order' must be True or False";
    return false;
  }
  if (!npyField(header, "shape", pos) || pos >= header.size() || header[pos] != '(') {
    error = origin + ": .npy header has no 'shape' tuple";
    return false;
  }
  out.shape.clear();
  ++pos;
  while (true) {
    while (pos < header.size() && (header[pos] == ' ' || header[pos] == ','))
      ++pos;
    if (pos >= header.size()) {
      error = origin + ": .npy 'shape' tuple is not closed";
      return false;
    }
    if (header[pos] == ')')
      break;
    if (header[pos] < '0' || header[pos] > '9') {
      error = origin + ": .npy 'shape' must hold non-negative integers";
      return false;
    }
    uint64_t dim = 0;
    while (pos < header.size() && header[pos] >= '0' && header[pos] <= '9') {
      if (mulOverflow(dim, 10, dim) || addOverflow(dim, uint64_t(header[pos] - '0'), dim) ||
          dim > uint64_t(INT64_MAX)) {
        error = origin + ": .npy dimension out of range";
        return false;
      }
      ++pos;
    }
    if (pos < header.size() && header[pos] == 'L')
      ++pos;
    out.shape.push_back(static_cast<int64_t>(dim));
  }
  uint64_t expected;
  if (!byteSize(out.shape, out.dtype, expected, why)) {
    error = origin + ": shape " + shapeString(out.shape) + ": " + why;
    return false;
  }
  uint64_t available = size - headerStart - headerLength;
  if (available < expected) {
    error = origin + ": truncated: " + dtypeName(out.dtype) + shapeString(out.shape) + " needs " +
            std::to_string(expected) + " bytes of data, found " + std::to_string(available);
    return false;
  }
  out.data.assign(bytes + headerStart + headerLength,
                  bytes + headerStart + headerLength + expected);
  return true;
}

bool readNpy(const std::string &path, Tensor &out, std::string &error) {
  std::string bytes;
  if (!files::readRegularFile(path, bytes, error))
    return false;
  return parseNpy(reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size(), path, out, error);
}

} // namespace heed
