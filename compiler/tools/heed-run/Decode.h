//===- Decode.h - heed-run translate / score ---------------------*- C++ -*-===//

#ifndef HEED_TOOLS_HEED_RUN_DECODE_H
#define HEED_TOOLS_HEED_RUN_DECODE_H

#include <string>

namespace heedrun {

/// Compiles a model file (.heed/.onnx/.mlir) into module bytes, printing diagnostics.
using CompileFn = bool (*)(const std::string &path, std::string &bytes);

/// `heed-run translate ...` and `heed-run score ...` (argv[1] is the subcommand).
int runDecodeCommand(int argc, char **argv, CompileFn compile);

} // namespace heedrun

#endif // HEED_TOOLS_HEED_RUN_DECODE_H
