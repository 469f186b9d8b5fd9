//===- Driver.h - Loading models for the Heed tools -------------*- C++ -*-===//
//
// What heed-compile and heed-run share: the dialects every frontend and the
// pipeline need, and loading a model file of any supported kind into heed IR.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_COMPILER_DRIVER_DRIVER_H
#define HEED_COMPILER_DRIVER_DRIVER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/SourceMgr.h"

namespace mlir::heed {

/// The dialects heed IR may contain (heed, func, arith).
void registerHeedDialects(DialectRegistry &registry);

/// Loads `path` (.heed, .onnx or .mlir, by extension) into `sourceMgr` and
/// imports it. Errors are reported through the context's diagnostic handler
/// (located in the model file) and give a null module.
OwningOpRef<ModuleOp> loadModel(StringRef path, llvm::SourceMgr &sourceMgr, MLIRContext &context);

/// A diagnostic handler for everything after loadModel (passes, targets): ops imported from
/// ONNX are reported at their node ("model.onnx: node 'x' (Op): error: ..."), not at
/// "model.onnx:0:0"; fails (leaving them to the SourceMgr handler) for other locations.
LogicalResult printModelDiagnostic(Diagnostic &diag);

} // namespace mlir::heed

#endif // HEED_COMPILER_DRIVER_DRIVER_H
