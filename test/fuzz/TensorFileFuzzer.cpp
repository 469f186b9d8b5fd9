//===- TensorFileFuzzer.cpp - Fuzzes the safetensors and .npz readers -----===//
//
// fuzz-safetensors and fuzz-npz are this one harness with different seed
// corpora: TensorFile::open picks the format by content. Every tensor it
// accepts must lie inside the file and match its dtype and shape.
//
//===----------------------------------------------------------------------===//

#include "FuzzFile.h"

#include "runtime/weights/Tensors.h"

#include <cstdlib>
#include <cstring>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string &path = heedfuzz::writeInput(data, size, ".weights");
  std::string error;
  auto file = heed::TensorFile::open(path, error);
  if (!file) {
    if (error.empty())
      std::abort(); // a failure must say why
    return 0;
  }
  volatile uint8_t sink = 0;
  for (const heed::TensorView &view : file->tensors()) {
    size_t expected = heed::dtypeSize(view.dtype);
    for (int64_t dim : view.shape) {
      if (dim < 0)
        std::abort();
      expected *= size_t(dim);
    }
    if (expected != view.bytes)
      std::abort();
    // Touch the first and last byte: ASan reports any view outside the file.
    if (view.bytes) {
      sink = sink + static_cast<const uint8_t *>(view.data)[0];
      sink = sink + static_cast<const uint8_t *>(view.data)[view.bytes - 1];
    }
    if (file->find(view.name) == nullptr)
      std::abort();
  }
  return 0;
}
