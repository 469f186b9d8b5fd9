//===- Import.h - The .heed model description frontend ----------*- C++ -*-===//
//
// Parses a .heed file (the SourceMgr's main buffer, whose identifier is its
// path) and builds heed IR with symbolic dims, binding weights by name against
// the weights file the model names. Errors are MLIR diagnostics located in the
// .heed file and give a null module.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_FRONTENDS_NATIVE_IMPORT_H
#define HEED_FRONTENDS_NATIVE_IMPORT_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/SourceMgr.h"

namespace mlir::heed::native {
OwningOpRef<ModuleOp> importModel(llvm::SourceMgr &sourceMgr, MLIRContext &context);
} // namespace mlir::heed::native

#endif // HEED_FRONTENDS_NATIVE_IMPORT_H
