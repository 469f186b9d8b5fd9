//===- CompileModel.h - A model file compiled in memory ----------*- C++ -*-===//
//
// heed-compile's whole path (load, pipeline, serialize) as one call, for the
// tools and tests that run a model file without writing a module first
// (heed-run, heed-bench, the runtime and decoder unit tests).
//
//===----------------------------------------------------------------------===//

#ifndef HEED_COMPILER_DRIVER_COMPILEMODEL_H
#define HEED_COMPILER_DRIVER_COMPILEMODEL_H

#include "compiler/driver/Pipeline.h"

#include "mlir/Support/LLVM.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

namespace mlir::heed {

/// Loads `path` (.heed, .onnx or .mlir), runs the heed pipeline with `options`
/// and serializes the result for `target` ("cpu", "vulkan" or "all") into
/// `bytes`. Errors are printed to stderr, located in the model file.
/// Compiles the model file at `path` for `target` (cpu, vulkan or all) into module bytes.
/// Diagnostics go to stderr, or into `diagnostics` when it is given (the Python binding's
/// exceptions carry them).
/// With `decoderPath`, `path` is the encoder and the module gets `encode` and `decode_step`
/// (loadEncoderDecoder; `binds` are OUTPUT:INPUT pairs).
LogicalResult compileModel(StringRef path, const PipelineOptions &options, StringRef target,
                           std::string &bytes, llvm::raw_ostream *diagnostics = nullptr,
                           StringRef decoderPath = "", ArrayRef<std::string> binds = {});

} // namespace mlir::heed

#endif // HEED_COMPILER_DRIVER_COMPILEMODEL_H
