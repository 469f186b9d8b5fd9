//===- ModuleFuzzer.cpp - Fuzzes the module loader and the executor -------===//
//
// Loads the input as a module file through the C API. A mutated file almost
// always fails its CRC32 first, so the harness rewrites the CRC field of any
// input with the right magic: the fuzzer reaches the FlatBuffer verifier and
// the semantic checks (the CRC check itself is one comparison). A module that
// loads is run once with zero inputs (dynamic dims 1, small tensors only), so
// hostile plans reach the executor and its kernels too.
//
//===----------------------------------------------------------------------===//

#include "heed/heed.h"
#include "runtime/module/Format.h"

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>
#include <zlib.h>

namespace {

/// Input `i`'s dtype and a small shape for it (dynamic dims 1), from the typed signature; an
/// index is a rank-0 i64 tensor. False for other element types and large tensors.
bool inputShape(const heed_function *function, size_t i, heed_dtype &dtype,
                std::vector<int64_t> &shape) {
  size_t rank = 0;
  shape.clear();
  if (heed_function_input_dtype(function, i, &dtype) != HEED_OK ||
      heed_function_input_rank(function, i, &rank) != HEED_OK)
    std::abort(); // i is in range: the queries cannot fail
  if (dtype == HEED_INDEX) {
    dtype = HEED_I64;
    return true;
  }
  if (dtype != HEED_F32 && dtype != HEED_F64 && dtype != HEED_I32 && dtype != HEED_I64 &&
      dtype != HEED_BOOL)
    return false;
  int64_t count = 1;
  for (size_t d = 0; d < rank; ++d) {
    int64_t size = 0;
    if (heed_function_input_dim(function, i, d, &size) != HEED_OK)
      std::abort();
    size = size < 0 ? 1 : size;
    if (size > 64 || (count *= size) > 4096)
      return false;
    shape.push_back(size);
  }
  return true;
}

void runOnce(heed_function *function) {
  size_t n = heed_function_input_count(function);
  std::vector<heed_tensor *> inputs;
  bool ok = true;
  for (size_t i = 0; i < n && ok; ++i) {
    heed_dtype dtype;
    std::vector<int64_t> shape;
    heed_tensor *t = nullptr;
    ok = inputShape(function, i, dtype, shape) &&
         heed_tensor_create(dtype, shape.data(), shape.size(), nullptr, &t) == HEED_OK;
    if (ok)
      inputs.push_back(t);
  }
  if (ok) {
    std::vector<heed_tensor *> outputs(heed_function_output_count(function), nullptr);
    if (heed_function_invoke(function, inputs.data(), inputs.size(), outputs.data(),
                             outputs.size()) == HEED_OK)
      for (heed_tensor *t : outputs)
        heed_tensor_destroy(t);
    else if (!*heed_last_error())
      std::abort(); // a failure must say why
  }
  for (heed_tensor *t : inputs)
    heed_tensor_destroy(t);
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  // A hostile plan's heed.full or broadcast must meet the runtime's tensor limit (an error that
  // names the op), not the fuzzer's 2 GiB malloc limit: found as an out-of-memory on a 2 GiB
  // heed.full (regressions/fuzz-module/).
  setenv("HEED_MAX_TENSOR_BYTES", "16777216", 1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::vector<uint8_t> bytes(data, data + size);
  if (size >= heed::format::kHeaderSize &&
      std::memcmp(data, heed::format::kMagic, sizeof heed::format::kMagic) == 0) {
    uLong crc = crc32(crc32(0L, Z_NULL, 0), bytes.data() + heed::format::kHeaderSize,
                      uInt(size - heed::format::kHeaderSize));
    uint32_t c = uint32_t(crc);
    std::memcpy(bytes.data() + 12, &c, 4);
  }
  static heed_runtime *runtime = [] {
    heed_runtime *r = nullptr;
    if (heed_runtime_create("cpu", &r) != HEED_OK)
      std::abort();
    return r;
  }();
  heed_module *module = nullptr;
  if (heed_module_load_memory(runtime, bytes.data(), bytes.size(), "fuzz.heedm", &module) !=
      HEED_OK) {
    if (!*heed_last_error())
      std::abort();
    return 0;
  }
  for (size_t i = 0, e = heed_module_function_count(module); i < e; ++i)
    runOnce(heed_module_function_at(module, i));
  heed_module_destroy(module);
  return 0;
}
