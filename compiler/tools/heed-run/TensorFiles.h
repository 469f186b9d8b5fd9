//===- TensorFiles.h - heed-run's input and output files --------*- C++ -*-===//
//
// .npy (Npy.h) and single-tensor .safetensors files, chosen by extension.
// numpy has no bf16, so bf16 inputs and references come as safetensors.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_TOOLS_HEED_RUN_TENSORFILES_H
#define HEED_TOOLS_HEED_RUN_TENSORFILES_H

#include "Npy.h"

namespace heedrun {

/// A .safetensors file holding exactly one tensor.
bool readSafetensors(const std::string &path, HostTensor &out, std::string &error);
bool writeSafetensors(const std::string &path, const HostTensor &t, std::string &error);
/// By extension: .safetensors, otherwise .npy.
bool readTensorFile(const std::string &path, HostTensor &out, std::string &error);
bool writeTensorFile(const std::string &path, const HostTensor &t, std::string &error);

} // namespace heedrun

#endif
