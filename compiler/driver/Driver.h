//===- Driver.h - Loading models for the Heed tools -------------*- C++ -*-===//
//
// What heed-compile and heed-run share: the dialects every frontend and the
// pipeline need, and loading a model file of any supported kind into heed IR.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_COMPILER_DRIVER_DRIVER_H
#define HEED_COMPILER_DRIVER_DRIVER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

namespace mlir::heed {

/// The dialects heed IR may contain (heed, func, arith).
void registerHeedDialects(DialectRegistry &registry);

/// Loads `path` (.heed, .onnx or .mlir, by extension) into `sourceMgr` and
/// imports it. Errors are reported through the context's diagnostic handler
/// (located in the model file) and give a null module.
OwningOpRef<ModuleOp> loadModel(StringRef path, llvm::SourceMgr &sourceMgr, MLIRContext &context);

/// The diagnostics a SourceMgrDiagnosticHandler cannot place, printed on `os`: those at an ONNX
/// node ("model.onnx: node 'x' (Op): error: ...", not "model.onnx:0:0") and those with no place
/// in a file at all (an unreadable model file: "error: ...", not "<unknown>:0:"). Others fall
/// through to the handlers registered before it. Every tool that loads models installs one.
class ModelDiagnosticHandler : public ScopedDiagnosticHandler {
public:
  explicit ModelDiagnosticHandler(MLIRContext *context, llvm::raw_ostream &os = llvm::errs());
};

} // namespace mlir::heed

#endif // HEED_COMPILER_DRIVER_DRIVER_H
