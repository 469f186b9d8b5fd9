//===- OptMain.h - heed-opt's main ------------------------------*- C++ -*-===//
//
// MlirOptMain with Heed's input checks in front: the input (a file or stdin)
// is read once and refused past the nesting limit (NestingLimit.h) before
// MLIR's parser sees it.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_COMPILER_DRIVER_OPTMAIN_H
#define HEED_COMPILER_DRIVER_OPTMAIN_H

#include "mlir/IR/DialectRegistry.h"
#include "llvm/ADT/StringRef.h"

namespace mlir::heed {

/// Returns the process exit status: 1 for a refused input or a failed run.
int optMain(int argc, char **argv, llvm::StringRef toolName, DialectRegistry &registry);

} // namespace mlir::heed

#endif // HEED_COMPILER_DRIVER_OPTMAIN_H
