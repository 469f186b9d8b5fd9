//===- CommandLine.h - What llvm::cl gets wrong for Heed's tools -*- C++ -*-===//
//
// llvm::cl reads an unknown option that starts with "h" (`--heed-pipline`, a typo) as the
// `-h` alias of --help: it prints the whole help and exits 0, which a script takes for success.
// Tools call refuseHelpLookalikes just before cl::ParseCommandLineOptions.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_TOOLS_SUPPORT_COMMANDLINE_H
#define HEED_TOOLS_SUPPORT_COMMANDLINE_H

#include "llvm/ADT/StringRef.h"

#include <string>

namespace mlir::heed::tools {

/// Exits with status 1 and one line naming the option (and the nearest known one) when an
/// argument before "--" looks like `-h...`/`--h...` but names no registered option of any
/// subcommand.
void refuseHelpLookalikes(int argc, char **argv);

/// Removes `--threads=N` from argv (LLVM registers an option of that name in every tool, so
/// Heed's cannot be a cl::opt) and returns N; 0 when absent; -1 with `error` set when N is not a
/// count from 1 to 4096.
int takeThreadsOption(int &argc, char **argv, std::string &error);

} // namespace mlir::heed::tools

#endif // HEED_TOOLS_SUPPORT_COMMANDLINE_H
