//===- Driver.cpp - Loading models for the Heed tools ---------------------===//

#include "compiler/driver/Driver.h"
#include "runtime/core/Escape.h"

#include "compiler/driver/NestingLimit.h"

#include "dialects/heed/IR/HeedDialect.h"
#include "runtime/files/SafeFiles.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <sys/stat.h>
#include <unistd.h>

#ifdef HEED_HAVE_NATIVE_FRONTEND
#include "frontends/native/Import.h"
#endif
#ifdef HEED_HAVE_ONNX_FRONTEND
#include "frontends/onnx/Import.h"
#endif

using namespace mlir;

void mlir::heed::registerHeedDialects(DialectRegistry &registry) {
  registry.insert<heed::HeedDialect, arith::ArithDialect, func::FuncDialect>();
}

mlir::heed::ModelDiagnosticHandler::ModelDiagnosticHandler(MLIRContext *context,
                                                           llvm::raw_ostream &os)
    : ScopedDiagnosticHandler(context, [&os](Diagnostic &diag) -> LogicalResult {
        if (isa<UnknownLoc>(diag.getLocation())) {
          // The message may quote a path or a model's name: control bytes are escaped.
          os << (diag.getSeverity() == DiagnosticSeverity::Error ? "error: " : "")
             << ::heed::escapeControls(diag.str()) << "\n";
          return success();
        }
#ifdef HEED_HAVE_ONNX_FRONTEND
        return onnx::printNodeDiagnostic(diag, os);
#else
        return failure();
#endif
      }) {
}

llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>>
mlir::heed::readRegularFile(StringRef path, std::string &error, const char *what) {
  int fd = ::heed::files::openRegularFile(path.str(), error, what);
  if (fd < 0)
    return std::make_error_code(std::errc::invalid_argument);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    error = (path + ": cannot stat").str();
    ::close(fd);
    return std::make_error_code(std::errc::io_error);
  }
  auto buffer = llvm::MemoryBuffer::getOpenFile(fd, path, uint64_t(st.st_size),
                                                /*RequiresNullTerminator=*/true);
  ::close(fd);
  if (!buffer)
    error = (path + ": cannot read: " + buffer.getError().message()).str();
  return buffer;
}

bool mlir::heed::writeOutputFile(StringRef path, StringRef bytes, std::string &error) {
  if (::heed::files::isStdoutPath(path)) {
    llvm::outs() << bytes;
    llvm::outs().flush();
    return true;
  }
  return ::heed::files::writeFileReplacing(path.str(), bytes, error);
}

OwningOpRef<ModuleOp> mlir::heed::loadModel(StringRef path, llvm::SourceMgr &sourceMgr,
                                            MLIRContext &context) {
  // Errors about the file as a whole have no line to point at (ModelDiagnosticHandler).
  Location unknown = UnknownLoc::get(&context);
  // "-" is standard input; any other path must be a regular file (a FIFO would block).
  std::string error;
  auto buffer = path == "-" ? llvm::MemoryBuffer::getSTDIN() : readRegularFile(path, error);
  if (!buffer) {
    // "cannot read model file 'm.heed': No such file or directory" / ": is a FIFO, ...".
    StringRef why = error;
    if (!why.consume_front((path + ": ").str()))
      why = error;
    why.consume_front("cannot open: ");
    std::string reason = error.empty() ? buffer.getError().message() : why.str();
    emitError(unknown) << "cannot read model file '" << path << "': " << reason;
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
