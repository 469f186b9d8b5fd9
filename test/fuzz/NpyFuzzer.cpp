//===- NpyFuzzer.cpp - Fuzzes the .npy reader, in memory and from a file --===//
//
// heed::parseNpy (runtime/weights, used for .npz members) reads the bytes in
// memory; heed-run's --input=@x.npy (compiler/tools/tensorio/TensorFiles.cpp:
// heed::readNpy plus the conversion to C API types) reads the same bytes from
// a file. Both must reject or give a tensor whose data matches its shape.
//
//===----------------------------------------------------------------------===//

#include "FuzzFile.h"

#include "compiler/tools/tensorio/TensorFiles.h"
#include "runtime/weights/Tensors.h"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string error;
  heed::Tensor tensor;
  if (heed::parseNpy(data, size, "fuzz.npy", tensor, error)) {
    if (tensor.numElements() * heed::dtypeSize(tensor.dtype) != tensor.data.size())
      std::abort();
  } else if (error.empty()) {
    std::abort();
  }

  const std::string &path = heedfuzz::writeInput(data, size, ".npy");
  heed::tools::HostTensor host;
  error.clear();
  if (heed::tools::readNpy(path, host, error)) {
    if (host.count() * heed_dtype_size(host.dtype) != host.data.size())
      std::abort();
  } else if (error.empty()) {
    std::abort();
  }
  return 0;
}
