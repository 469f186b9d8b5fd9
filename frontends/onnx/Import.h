//===- Import.h - ONNX model importer ---------------------------*- C++ -*-===//
//
// Reads an ONNX ModelProto and builds heed dialect IR: one func.func @main
// whose arguments are the graph inputs in order (dim_param dims dynamic).
//
//===----------------------------------------------------------------------===//

#ifndef HEED_FRONTENDS_ONNX_IMPORT_H
#define HEED_FRONTENDS_ONNX_IMPORT_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

namespace mlir::heed::onnx {

/// Imports the ONNX model in the main buffer of `sourceMgr`. Errors are
/// emitted as diagnostics located at the file and the offending node; the
/// result is null on error.
OwningOpRef<ModuleOp> importModel(llvm::SourceMgr &sourceMgr, MLIRContext &context);

/// Prints "file: node 'x' (Op): severity: message" on `os` for a diagnostic at an ONNX node's
/// location (what the importer gives every op: the node's name around the model file at 0:0) or
/// at the model file; fails for other locations, which a SourceMgr handler prints. The importer
/// reports through the context's handlers: a tool installs one that calls this
/// (heed::ModelDiagnosticHandler).
LogicalResult printNodeDiagnostic(Diagnostic &diag, llvm::raw_ostream &os);

} // namespace mlir::heed::onnx

#endif // HEED_FRONTENDS_ONNX_IMPORT_H
