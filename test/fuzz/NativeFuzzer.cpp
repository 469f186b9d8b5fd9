//===- NativeFuzzer.cpp - Fuzzes the .heed model description frontend -----===//
//
// Imports the input as a .heed file that lives in corpus/fuzz-native/ (the
// seeds name their weights relative to it, e.g. the examples' safetensors)
// and verifies what it builds: the importer must either report an error or
// give IR that verifies.
//
//===----------------------------------------------------------------------===//

#include "ImportHarness.h"
#include "frontends/native/Import.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  return heedfuzz::fuzzImporter(data, size, HEED_FUZZ_NATIVE_DIR "/model.heed",
                                mlir::heed::native::importModel);
}
