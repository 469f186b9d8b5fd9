//===- Import.cpp - Parses .heed files and builds heed IR -----------------===//
//
// One pass: a recursive-descent parser that builds IR as it goes. Values are
// SSA values of ranked tensors (with dynamic dims for the symbolic ones),
// `index` values for sizes, or literals (numbers, strings, lists) that the
// builtins read as attributes. Every op is built with its result types taken
// from the op's own shape inference, so what the frontend emits verifies by
// construction and a shape error is reported at the construct that caused it.
// The importer itself is in Importer.h and the files it names.
//
//===----------------------------------------------------------------------===//

#include "frontends/native/Import.h"

#include "frontends/native/Importer.h"

#include "dialects/heed/IR/HeedDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"

using namespace mlir;
using namespace mlir::heed::native::detail;

OwningOpRef<ModuleOp> mlir::heed::native::importModel(llvm::SourceMgr &sourceMgr,
                                                      MLIRContext &context) {
  context.loadDialect<mlir::heed::HeedDialect, func::FuncDialect, arith::ArithDialect>();
  // Every failure must say why: count the errors on their way to the tool's handler.
  unsigned errors = 0;
  OwningOpRef<ModuleOp> module;
  {
    ScopedDiagnosticHandler counter(&context, [&](Diagnostic &diag) {
      if (diag.getSeverity() == DiagnosticSeverity::Error)
        ++errors;
      return failure(); // not handled: the tool's handler prints it
    });
    Importer importer(sourceMgr, context);
    module = importer.run();
  }
  if (!module && errors == 0) {
    StringRef path = sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID())->getBufferIdentifier();
    emitError(FileLineColLoc::get(&context, path, 0, 0))
        << "internal error: the .heed import failed without a message";
  }
  return module;
}
