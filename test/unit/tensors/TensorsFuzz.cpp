//===- TensorsFuzz.cpp - libFuzzer harness for the tensor file readers ----===//
//
// Not part of the build. Run by hand:
//   clang++-22 -g -O1 -fsanitize=fuzzer,address,undefined -I. \
//     runtime/weights/Tensors.cpp test/unit/tensors/TensorsFuzz.cpp -lz -o /tmp/tensors-fuzz
//   /tmp/tensors-fuzz -max_total_time=60 test/Frontends/native/Inputs/
// Every input must give a tensor file or an error message, never a crash.
//
//===----------------------------------------------------------------------===//

#include "runtime/weights/Tensors.h"

#include <cstdio>
#include <string>
#include <unistd.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  heed::Tensor tensor;
  std::string error;
  (void)heed::parseNpy(data, size, "fuzz.npy", tensor, error);

  static std::string path = "/tmp/heed-tensors-fuzz-" + std::to_string(getpid());
  FILE *f = std::fopen(path.c_str(), "wb");
  if (!f)
    return 0;
  std::fwrite(data, 1, size, f);
  std::fclose(f);
  auto file = heed::TensorFile::open(path, error);
  if (file) {
    // Touch every byte the views claim, so out-of-range views are caught.
    volatile uint8_t sink = 0;
    for (const heed::TensorView &view : file->tensors())
      for (size_t i = 0; i < view.bytes; ++i)
        sink ^= static_cast<const uint8_t *>(view.data)[i];
  }
  return 0;
}
