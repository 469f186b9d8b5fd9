//===- Decode.h - heed-run translate / score ---------------------*- C++ -*-===//

#ifndef HEED_TOOLS_HEED_RUN_DECODE_H
#define HEED_TOOLS_HEED_RUN_DECODE_H

#include "llvm/Support/CommandLine.h"

#include <string>

namespace heedrun {

/// `heed-run translate ...` and `heed-run score ...`: llvm::cl subcommands, their options in
/// decodeCategory (Decode.cpp).
extern llvm::cl::SubCommand translateCommand, scoreCommand;
extern llvm::cl::OptionCategory decodeCategory;

/// Compiles a model file (.heed/.onnx/.mlir) into module bytes, printing diagnostics.
using CompileFn = bool (*)(const std::string &path, std::string &bytes);

/// The options heed-run's subcommands share with its plain invocation.
struct DecodeInvocation {
  std::string device, trace;
};

/// Runs the chosen subcommand once the command line is parsed.
int runDecodeCommand(const DecodeInvocation &invocation, CompileFn compile);

} // namespace heedrun

#endif // HEED_TOOLS_HEED_RUN_DECODE_H
