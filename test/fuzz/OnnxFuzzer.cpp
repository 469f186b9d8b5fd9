//===- OnnxFuzzer.cpp - Fuzzes the ONNX importer (ModelProto bytes) -------===//
//
// Imports the input as a serialized ModelProto named
// corpus/fuzz-onnx/model.onnx (external data resolves under that folder,
// which holds none) and verifies what it builds: the importer must either
// report an error or give IR that verifies. The importer prints its own
// diagnostics to llvm::errs() (its handler is innermost, so this harness's
// handler never sees them): a rejection counts as reported when either
// handler got an error or something was printed.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/Import.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>

// libMLIR.so is not instrumented but the MLIR headers inlined here are: LLVM's
// BumpPtrAllocator then poisons slabs (LLVM_ADDRESS_SANITIZER_BUILD) that the
// library's own inlined copy hands out without unpoisoning, a false
// use-after-poison. Manual poisoning off; ASan's own checks stay.
extern "C" const char *__asan_default_options() { return "allow_user_poisoning=0"; }

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
  uint64_t printedBefore = llvm::errs().tell();
  mlir::OwningOpRef<mlir::ModuleOp> module = mlir::heed::onnx::importModel(sourceMgr, context);
  if (!module) {
    if (!reported && llvm::errs().tell() == printedBefore)
      std::abort(); // a rejected model must say why
    return 0;
  }
  if (failed(mlir::verify(*module)))
    std::abort(); // the importer built IR that does not verify
  return 0;
}
