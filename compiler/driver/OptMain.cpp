//===- OptMain.cpp - heed-opt's main ----------------------------------------===//

#include "compiler/driver/OptMain.h"

#include "compiler/driver/NestingLimit.h"

#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdio>
#include <unistd.h>

namespace mlir::heed {

int optMain(int argc, char **argv, llvm::StringRef toolName, DialectRegistry &registry) {
  auto [input, output] = registerAndParseCLIOptions(argc, argv, toolName, registry);
  auto buffer = llvm::MemoryBuffer::getFileOrSTDIN(input, /*IsText=*/false);
  if (!buffer) {
    // MlirOptMain reports a missing or unreadable file itself.
    return asMainReturnCode(MlirOptMain(argc, argv, input, output, registry));
  }
  if (auto at = findNestingPastLimit((*buffer)->getBuffer())) {
    llvm::errs() << (input == "-" ? "<stdin>" : input) << ":" << at->line << ":" << at->column
                 << ": error: " << nestingMessage() << "\n";
    return 1;
  }
  if (input == "-") {
    // Stdin is consumed: MlirOptMain reads it again from a temporary file put in its place.
    std::FILE *copy = std::tmpfile();
    llvm::StringRef text = (*buffer)->getBuffer();
    if (!copy || std::fwrite(text.data(), 1, text.size(), copy) != text.size() ||
        std::fflush(copy) != 0 || std::fseek(copy, 0, SEEK_SET) != 0 ||
        dup2(fileno(copy), STDIN_FILENO) < 0) {
      llvm::errs() << "heed-opt: cannot buffer stdin\n";
      return 1;
    }
  }
  return asMainReturnCode(MlirOptMain(argc, argv, input, output, registry));
}

} // namespace mlir::heed
