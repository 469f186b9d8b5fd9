//===- OptMain.cpp - heed-opt's main ----------------------------------------===//

#include "compiler/driver/OptMain.h"

#include "compiler/driver/NestingLimit.h"
#include "runtime/core/Escape.h"

#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdio>
#include <string_view>
#include <thread>
#include <unistd.h>

namespace mlir::heed {
namespace {
/// While alive, what the process writes to stderr goes through a pipe whose reader writes it to
/// the real stderr with control bytes escaped: MlirOptMain prints its diagnostics (which quote
/// model text: names, strings, the source line) through a handler of its own on stderr.
class EscapedStderr {
public:
  EscapedStderr() {
    llvm::errs().flush();
    std::fflush(stderr);
    int fds[2];
    if (pipe(fds) != 0)
      return;
    saved = dup(STDERR_FILENO);
    if (saved < 0 || dup2(fds[1], STDERR_FILENO) < 0) {
      ::close(fds[0]);
      ::close(fds[1]);
      return;
    }
    ::close(fds[1]);
    reader = std::thread([in = fds[0], out = saved] {
      char buffer[4096];
      ssize_t n;
      while ((n = ::read(in, buffer, sizeof buffer)) > 0) {
        std::string text = ::heed::escapeControls(std::string_view(buffer, size_t(n)));
        for (size_t done = 0; done < text.size();) {
          ssize_t w = ::write(out, text.data() + done, text.size() - done);
          if (w <= 0)
            break;
          done += size_t(w);
        }
      }
      ::close(in);
    });
  }
  ~EscapedStderr() {
    if (saved < 0)
      return;
    llvm::errs().flush();
    std::fflush(stderr);
    dup2(saved, STDERR_FILENO); // closes the pipe's last write end: the reader sees EOF
    reader.join();
    ::close(saved);
  }

private:
  int saved = -1;
  std::thread reader;
};
} // namespace

int optMain(int argc, char **argv, llvm::StringRef toolName, DialectRegistry &registry) {
  auto [input, output] = registerAndParseCLIOptions(argc, argv, toolName, registry);
  EscapedStderr escaped;
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
