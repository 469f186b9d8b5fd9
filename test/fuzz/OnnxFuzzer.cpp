//===- OnnxFuzzer.cpp - Fuzzes the ONNX importer (ModelProto bytes) -------===//
//
// Imports the input as a serialized ModelProto named
// corpus/fuzz-onnx/model.onnx (external data resolves under that folder,
// which holds none) and verifies what it builds: the importer must either
// report an error or give IR that verifies.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/Import.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  mlir::MLIRContext context(mlir::MLIRContext::Threading::DISABLED);
  bool reported = false;
  mlir::ScopedDiagnosticHandler quiet(&context, [&](mlir::Diagnostic &diag) {
    if (diag.getSeverity() == mlir::DiagnosticSeverity::Error)
      reported = true;
    return mlir::success();
  });
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(llvm::MemoryBuffer::getMemBufferCopy(
                                   llvm::StringRef(reinterpret_cast<const char *>(data), size),
                                   HEED_FUZZ_ONNX_DIR "/model.onnx"),
                               llvm::SMLoc());
  mlir::OwningOpRef<mlir::ModuleOp> module = mlir::heed::onnx::importModel(sourceMgr, context);
  if (!module) {
    if (!reported)
      std::abort(); // a rejected model must say why
    return 0;
  }
  if (failed(mlir::verify(*module)))
    std::abort(); // the importer built IR that does not verify
  return 0;
}
