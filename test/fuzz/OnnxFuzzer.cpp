//===- OnnxFuzzer.cpp - Fuzzes the ONNX importer (ModelProto bytes) -------===//
//
// Imports the input as a serialized ModelProto named
// corpus/fuzz-onnx/model.onnx (external data resolves under that folder,
// which holds none) and verifies what it builds: the importer must either
// report an error or give IR that verifies. The importer reports through the
// context's handlers (tools install heed::ModelDiagnosticHandler), so this
// harness's handler sees its errors: a rejection counts as reported when the
// handler got an error or something was printed.
//
//===----------------------------------------------------------------------===//

#include "ImportHarness.h"
#include "frontends/onnx/Import.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  return heedfuzz::fuzzImporter(data, size, HEED_FUZZ_ONNX_DIR "/model.onnx",
                                mlir::heed::onnx::importModel);
}
