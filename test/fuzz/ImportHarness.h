//===- ImportHarness.h - The shared body of the model-importer fuzzers -*- C++ -*-===//
//
// fuzz-native and fuzz-onnx feed the input to an importer as a file at `path`
// and check the one contract every importer has: either it reports an error
// (through a diagnostic handler, or printed to llvm::errs() by an importer
// whose own handler is innermost) or it gives IR that verifies.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_TEST_FUZZ_IMPORTHARNESS_H
#define HEED_TEST_FUZZ_IMPORTHARNESS_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <cstdlib>

// libMLIR.so is not instrumented but the MLIR headers inlined here are: LLVM's
// BumpPtrAllocator then poisons slabs (LLVM_ADDRESS_SANITIZER_BUILD) that the
// library's own inlined copy hands out without unpoisoning, a false
// use-after-poison. Manual poisoning off; ASan's own checks stay. (One
// definition per fuzzer binary: include this header from one file only.)
extern "C" const char *__asan_default_options() { return "allow_user_poisoning=0"; }

namespace heedfuzz {

template <typename Import>
int fuzzImporter(const uint8_t *data, size_t size, const char *path, Import importModel) {
  mlir::MLIRContext context(mlir::MLIRContext::Threading::DISABLED);
  bool reported = false;
  mlir::ScopedDiagnosticHandler quiet(&context, [&](mlir::Diagnostic &diag) {
    if (diag.getSeverity() == mlir::DiagnosticSeverity::Error)
      reported = true;
    return mlir::success();
  });
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(
          llvm::StringRef(reinterpret_cast<const char *>(data), size), path),
      llvm::SMLoc());
  uint64_t printedBefore = llvm::errs().tell();
  mlir::OwningOpRef<mlir::ModuleOp> module = importModel(sourceMgr, context);
  if (!module) {
    if (!reported && llvm::errs().tell() == printedBefore)
      std::abort(); // a rejected model must say why
    return 0;
  }
  if (failed(mlir::verify(*module)))
    std::abort(); // the importer built IR that does not verify
  return 0;
}

} // namespace heedfuzz

#endif // HEED_TEST_FUZZ_IMPORTHARNESS_H
