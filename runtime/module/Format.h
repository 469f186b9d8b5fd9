//===- Format.h - The fixed header of a Heed module file ------------------===//
//
// Shared by the writer (compiler/targets) and the loader (runtime/module).
//
//   offset  size  field
//        0     8  magic "HEEDMOD\0"
//        8     4  format version (little-endian u32)
//       12     4  CRC32 (zlib) of every byte from offset 64 to the end
//       16     8  payload offset (the FlatBuffer)   = 64
//       24     8  payload size
//       32     8  data offset (64-byte aligned, after the payload)
//       40     8  data size (constants and weights)
//       48    16  reserved, zero
//
// The file ends exactly at data offset + data size.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_RUNTIME_MODULE_FORMAT_H
#define HEED_RUNTIME_MODULE_FORMAT_H

#include <cstdint>

namespace heed::format {

constexpr char kMagic[8] = {'H', 'E', 'E', 'D', 'M', 'O', 'D', '\0'};
constexpr uint32_t kVersion = 1;
constexpr uint64_t kHeaderSize = 64;
constexpr uint64_t kDataAlignment = 64;

struct Header {
  char magic[8];
  uint32_t version;
  uint32_t crc32;
  uint64_t payloadOffset;
  uint64_t payloadSize;
  uint64_t dataOffset;
  uint64_t dataSize;
  uint8_t reserved[16];
};
static_assert(sizeof(Header) == kHeaderSize, "header layout");

} // namespace heed::format

#endif // HEED_RUNTIME_MODULE_FORMAT_H
