//===- Npy.h - .npy files for heed-run --------------------------*- C++ -*-===//
//
// A small, careful .npy reader/writer (versions 1-3, C order, little-endian;
// f32 f64 f16 i32 i64 bool u8 u32 u64). Every size is checked against the file.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_TOOLS_HEED_RUN_NPY_H
#define HEED_TOOLS_HEED_RUN_NPY_H

#include "heed/heed.h"

#include <cstdint>
#include <string>
#include <vector>

namespace heedrun {

struct HostTensor {
  heed_dtype dtype = HEED_F32;
  std::vector<int64_t> shape;
  std::vector<uint8_t> data;
  size_t count() const;
};

bool readNpy(const std::string &path, HostTensor &out, std::string &error);
bool writeNpy(const std::string &path, const HostTensor &t, std::string &error);

std::string describe(const HostTensor &t); // "2x3xf32"

} // namespace heedrun

#endif
