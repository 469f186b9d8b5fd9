//===- Targets.h - Code generation into Heed modules ------------*- C++ -*-===//
//
// The compiler's last step: lower a fused heed module for a target and write
// the module file the runtime loads (runtime/module/). Each target lives in
// its own folder (cpu/, vulkan/) behind this one entry point.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_COMPILER_TARGETS_TARGETS_H
#define HEED_COMPILER_TARGETS_TARGETS_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringRef.h"

#include <string>

namespace mlir::heed {

/// Lowers `module` (after the heed pipeline) for `target` ("cpu", "vulkan" or
/// "all") and writes the module file to `outputPath`, with the weights the
/// module's heed.weight ops name. Errors are emitted at the offending op.
LogicalResult writeModuleFile(ModuleOp module, llvm::StringRef target, llvm::StringRef outputPath);

/// The same, into memory (heed-run compiles models on the fly with this).
LogicalResult serializeModule(ModuleOp module, llvm::StringRef target, std::string &bytes);

} // namespace mlir::heed

#endif // HEED_COMPILER_TARGETS_TARGETS_H
