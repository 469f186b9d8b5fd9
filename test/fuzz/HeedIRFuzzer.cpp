//===- HeedIRFuzzer.cpp - Fuzzes parsing and verifying heed IR ------------===//
//
// What heed-opt, heed-compile and heed-run do first with a .mlir file: check
// its nesting (NestingLimit.h), parse it with the heed, func and arith dialects loaded, then verify
// it (every heed op's shape rules run as its verifier). Diagnostics are swallowed.
//
//===----------------------------------------------------------------------===//

#include "compiler/driver/NestingLimit.h"
#include "dialects/heed/IR/HeedDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"

#include <string>

// libMLIR.so is not instrumented but the MLIR headers inlined here are: LLVM's
// BumpPtrAllocator then poisons slabs (LLVM_ADDRESS_SANITIZER_BUILD) that the
// library's own inlined copy hands out without unpoisoning, a false
// use-after-poison. Manual poisoning off; ASan's own checks stay.
extern "C" const char *__asan_default_options() { return "allow_user_poisoning=0"; }

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static mlir::DialectRegistry *registry = [] {
    auto *r = new mlir::DialectRegistry;
    r->insert<mlir::heed::HeedDialect, mlir::arith::ArithDialect, mlir::func::FuncDialect>();
    return r;
  }();
  mlir::MLIRContext context(*registry, mlir::MLIRContext::Threading::DISABLED);
  context.loadAllAvailableDialects();
  mlir::ScopedDiagnosticHandler quiet(&context, [](mlir::Diagnostic &) { return mlir::success(); });
  // MLIR's lexer expects a NUL after the buffer (every file it reads has
  // one); libFuzzer's bytes end exactly at `size`.
  std::string text(reinterpret_cast<const char *>(data), size);
  // The tools refuse deep nesting before parsing (MLIR's parser recurses per bracket).
  if (mlir::heed::findNestingPastLimit(text))
    return 0;
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(text, &context, "fuzz.mlir");
  if (module)
    (void)mlir::verify(*module);
  return 0;
}
