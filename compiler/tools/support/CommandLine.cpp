//===- CommandLine.cpp - What llvm::cl gets wrong for Heed's tools --------===//

#include "CommandLine.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>

namespace mlir::heed::tools {
namespace {
bool isRegistered(llvm::StringRef name, std::string &nearest) {
  unsigned best = ~0u;
  for (llvm::cl::SubCommand *sub : llvm::cl::getRegisteredSubcommands())
    for (auto &[known, option] : sub->OptionsMap) {
      if (known == name)
        return true;
      unsigned distance = name.edit_distance(known, true, 3);
      if (distance < best && option->getOptionHiddenFlag() == llvm::cl::NotHidden) {
        best = distance;
        nearest = known.str();
      }
    }
  if (best > 3)
    nearest.clear();
  return false;
}
} // namespace

void refuseHelpLookalikes(int argc, char **argv) {
  llvm::StringRef tool = llvm::sys::path::filename(argv[0]);
  for (int i = 1; i < argc; ++i) {
    llvm::StringRef arg = argv[i];
    if (arg == "--")
      return;
    if (!arg.starts_with("-h") && !arg.starts_with("--h"))
      continue;
    llvm::StringRef name = arg.ltrim('-').split('=').first;
    std::string nearest;
    if (name == "h" || isRegistered(name, nearest))
      continue;
    llvm::errs() << tool << ": unknown option '" << arg << "'";
    if (!nearest.empty())
      llvm::errs() << "; did you mean '--" << nearest << "'?";
    llvm::errs() << " (--help lists the options)\n";
    std::exit(1);
  }
}

int takeThreadsOption(int &argc, char **argv, std::string &error) {
  int threads = 0, kept = 1;
  for (int i = 1; i < argc; ++i) {
    llvm::StringRef arg(argv[i]);
    if (arg == "--") {
      for (; i < argc; ++i)
        argv[kept++] = argv[i];
      break;
    }
    if (arg.consume_front("--threads=") || arg.consume_front("-threads=")) {
      if (arg.getAsInteger(10, threads) || threads < 1 || threads > 4096) {
        error = "--threads expects a count from 1 to 4096, got '" + arg.str() + "'";
        return -1;
      }
      continue;
    }
    argv[kept++] = argv[i];
  }
  argc = kept;
  return threads;
}

} // namespace mlir::heed::tools
