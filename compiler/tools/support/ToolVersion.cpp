//===- ToolVersion.cpp - The --version text of every Heed tool ------------===//

#include "ToolVersion.h"

#include "HeedRevision.h"

#include "llvm/Config/llvm-config.h"
#include "llvm/Support/CommandLine.h"

#include <string>

namespace mlir::heed::tools {

void printVersion(llvm::StringRef tool, llvm::raw_ostream &os) {
  os << tool << " (Heed) " << HEED_VERSION << ", git " << HEED_GIT_REVISION << "\n"
     << "  built with LLVM/MLIR " << LLVM_VERSION_STRING << ", oneDNN " << HEED_ONEDNN_VERSION
     << ", Vulkan headers " << HEED_VULKAN_VERSION << ", ONNX " << HEED_ONNX_VERSION << "\n";
}

void installVersionPrinter(llvm::StringRef tool) {
  static std::string name;
  name = tool.str();
  llvm::cl::SetVersionPrinter([](llvm::raw_ostream &os) { printVersion(name, os); });
}

} // namespace mlir::heed::tools
