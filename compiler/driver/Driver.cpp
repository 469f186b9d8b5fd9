//===- Driver.cpp - Loading models for the Heed tools ---------------------===//

#include "compiler/driver/Driver.h"

#include "compiler/driver/NestingLimit.h"

#include "dialects/heed/IR/HeedDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#ifdef HEED_HAVE_NATIVE_FRONTEND
#include "frontends/native/Import.h"
#endif
#ifdef HEED_HAVE_ONNX_FRONTEND
#include "frontends/onnx/Import.h"
#endif

using namespace mlir;

void heed::registerHeedDialects(DialectRegistry &registry) {
  registry.insert<heed::HeedDialect, arith::ArithDialect, func::FuncDialect>();
}

heed::ModelDiagnosticHandler::ModelDiagnosticHandler(MLIRContext *context, llvm::raw_ostream &os)
    : ScopedDiagnosticHandler(context, [&os](Diagnostic &diag) -> LogicalResult {
        if (isa<UnknownLoc>(diag.getLocation())) {
          os << (diag.getSeverity() == DiagnosticSeverity::Error ? "error: " : "") << diag.str()
             << "\n";
          return success();
        }
#ifdef HEED_HAVE_ONNX_FRONTEND
        return onnx::printNodeDiagnostic(diag, os);
#else
        return failure();
#endif
      }) {
}

OwningOpRef<ModuleOp> heed::loadModel(StringRef path, llvm::SourceMgr &sourceMgr,
                                      MLIRContext &context) {
  // Errors about the file as a whole have no line to point at (ModelDiagnosticHandler).
  Location unknown = UnknownLoc::get(&context);
  auto buffer = llvm::MemoryBuffer::getFileOrSTDIN(path, /*IsText=*/false);
  if (!buffer) {
    emitError(unknown) << "cannot read model file '" << path
                       << "': " << buffer.getError().message();
    return nullptr;
  }
  sourceMgr.AddNewSourceBuffer(std::move(*buffer), llvm::SMLoc());
  StringRef extension = llvm::sys::path::extension(path);

  OwningOpRef<ModuleOp> module;
  if (extension == ".mlir") {
    StringRef text = sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID())->getBuffer();
    if (auto at = findNestingPastLimit(text)) {
      emitError(FileLineColLoc::get(&context, path, at->line, at->column)) << nestingMessage();
      return nullptr;
    }
    module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  } else if (extension == ".heed") {
#ifdef HEED_HAVE_NATIVE_FRONTEND
    module = native::importModel(sourceMgr, context);
#else
    emitError(unknown) << "'" << path << "': this build has no .heed frontend";
#endif
  } else if (extension == ".onnx") {
#ifdef HEED_HAVE_ONNX_FRONTEND
    module = onnx::importModel(sourceMgr, context);
#else
    emitError(unknown) << "'" << path << "': this build has no ONNX frontend";
#endif
  } else {
    emitError(unknown) << "'" << path
                       << "': unknown model file extension; expected .heed, .onnx or .mlir";
  }
  if (module && failed(verify(*module)))
    return nullptr;
  return module;
}
