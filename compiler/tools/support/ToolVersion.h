//===- ToolVersion.h - The --version text of every Heed tool -------*- C++ -*-===//
//
// heed-compile, heed-run, heed-opt and heed-bench print the same thing for --version: Heed's
// version and git revision, then the versions of LLVM/MLIR, oneDNN, Vulkan and ONNX the build used
// (what a bug report needs; LLVM's own printer says only "Debian LLVM version 22").
//
//===----------------------------------------------------------------------===//

#ifndef HEED_TOOLS_SUPPORT_TOOLVERSION_H
#define HEED_TOOLS_SUPPORT_TOOLVERSION_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/raw_ostream.h"

namespace mlir::heed::tools {

/// Writes the version text of `tool`.
void printVersion(llvm::StringRef tool, llvm::raw_ostream &os);

/// Makes llvm::cl's --version print printVersion(tool) instead of LLVM's text.
void installVersionPrinter(llvm::StringRef tool);

} // namespace mlir::heed::tools

#endif // HEED_TOOLS_SUPPORT_TOOLVERSION_H
