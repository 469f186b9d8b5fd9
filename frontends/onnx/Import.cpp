//===- Import.cpp - ONNX model importer: the public entry points ----------===//
//
// ModelProto -> heed IR. Reads the protobuf, then hands the model to the
// Importer (Importer.h), whose parts live in this directory by topic.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/Import.h"
#include "frontends/onnx/Importer.h"

#include "dialects/heed/IR/HeedDialect.h"
#include "runtime/core/Escape.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <limits>

using namespace mlir;
using namespace mlir::heed;

/// The model's names are arbitrary bytes: shown escaped (runtime/core/Escape.h).
LogicalResult mlir::heed::onnx::printNodeDiagnostic(Diagnostic &diag, llvm::raw_ostream &os) {
  Location l = diag.getLocation();
  std::string prefix;
  if (auto name = dyn_cast<NameLoc>(l)) {
    auto file = dyn_cast<FileLineColLoc>(name.getChildLoc());
    if (!file || file.getLine() != 0)
      return failure();
    prefix = (file.getFilename().str() + ": " + name.getName().str() + ": ");
  } else if (auto file = dyn_cast<FileLineColLoc>(l)) {
    if (file.getLine() != 0)
      return failure();
    prefix = file.getFilename().str() + ": ";
  } else {
    return failure();
  }
  StringRef severity = diag.getSeverity() == DiagnosticSeverity::Error     ? "error: "
                       : diag.getSeverity() == DiagnosticSeverity::Warning ? "warning: "
                       : diag.getSeverity() == DiagnosticSeverity::Note    ? "note: "
                                                                           : "remark: ";
  os << ::heed::escapeControls(prefix + severity.str() + diag.str()) << "\n";
  for (const Diagnostic &note : diag.getNotes())
    os << ::heed::escapeControls(prefix + "note: " + note.str()) << "\n";
  return success();
}

OwningOpRef<ModuleOp> mlir::heed::onnx::importModel(llvm::SourceMgr &sourceMgr,
                                                    MLIRContext &context) {
  context.loadDialect<HeedDialect, arith::ArithDialect, func::FuncDialect>();
  const llvm::MemoryBuffer *buffer = sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID());
  StringRef path = buffer->getBufferIdentifier();
  Location fileLoc = FileLineColLoc::get(&context, path, 0, 0);
  if (buffer->getBufferSize() > static_cast<size_t>(std::numeric_limits<int>::max())) {
    emitError(fileLoc) << "the model is larger than 2 GiB, protobuf's limit; keep the weights "
                          "in external data files";
    return nullptr;
  }
  if (buffer->getBufferSize() == 0) {
    emitError(fileLoc) << "the model file is empty";
    return nullptr;
  }
  ::onnx::ModelProto model;
  if (!model.ParseFromArray(buffer->getBufferStart(), static_cast<int>(buffer->getBufferSize()))) {
    emitError(fileLoc) << "not a valid ONNX model: the protobuf could not be parsed (truncated "
                          "or not an .onnx file)";
    return nullptr;
  }
  onnx::detail::Importer importer(context, path, model);
  return importer.run();
}
