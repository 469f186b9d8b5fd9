//===- TensorFiles.h - The tools' input and output tensor files -*- C++ -*-===//
//
// What heed-run and heed-bench read and write (a library of its own so that
// both, and the .npy fuzzer, share one copy without MLIR):
// .npy and single-tensor .safetensors files, chosen by extension, read and
// written by the runtime's tensor file code (runtime/weights/Tensors.h) and
// converted to the C API's element types. numpy has no bf16, so bf16 inputs
// and references come as safetensors.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_TOOLS_TENSORIO_TENSORFILES_H
#define HEED_TOOLS_TENSORIO_TENSORFILES_H

#include "heed/heed.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace heed::tools {

struct HostTensor {
  heed_dtype dtype = HEED_F32;
  std::vector<int64_t> shape;
  std::vector<uint8_t> data;
  size_t count() const;
};

std::string describe(const HostTensor &t); // "2x3xf32"

/// A .npy file (versions 1-3, C order, little-endian).
bool readNpy(const std::string &path, HostTensor &out, std::string &error);
bool writeNpy(const std::string &path, const HostTensor &t, std::string &error);
/// A .safetensors file holding exactly one tensor.
bool readSafetensors(const std::string &path, HostTensor &out, std::string &error);
bool writeSafetensors(const std::string &path, const HostTensor &t, std::string &error);
/// By extension: .safetensors, otherwise .npy.
bool readTensorFile(const std::string &path, HostTensor &out, std::string &error);
bool writeTensorFile(const std::string &path, const HostTensor &t, std::string &error);

/// Named tensors, in file order.
using NamedTensors = std::vector<std::pair<std::string, HostTensor>>;
bool endsWith(const std::string &s, const char *suffix);
/// Every array of a .npz or tensor of a .safetensors file.
bool readTensorArchive(const std::string &path, NamedTensors &out, std::string &error);
/// A .npz (numpy.savez's layout) or, by extension, a .safetensors file of several tensors.
bool writeTensorArchive(const std::string &path, const NamedTensors &tensors, std::string &error);

} // namespace heed::tools

#endif // HEED_TOOLS_TENSORIO_TENSORFILES_H
