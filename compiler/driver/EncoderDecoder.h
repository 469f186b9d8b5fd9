//===- EncoderDecoder.h - An encoder and a decoder model as one module -*- C++ -*-===//
//
// `heed-compile ENCODER.onnx --decoder=DECODER.onnx [--bind=OUT:IN]...`: the two graphs a PyTorch
// or Hugging Face export gives become the `encode` and `decode_step` of one module, adapted to the
// decoding contract of docs/decoding.md (token input first, log-probs [B, V] first, states and
// per-source inputs bound by name). Binding rules and their errors: docs/decoding.md, "Decoding a
// PyTorch export".
//
//===----------------------------------------------------------------------===//

#ifndef HEED_COMPILER_DRIVER_ENCODERDECODER_H
#define HEED_COMPILER_DRIVER_ENCODERDECODER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/SourceMgr.h"

#include <string>
#include <vector>

namespace mlir::heed {

/// Loads both models (any format loadModel reads) and links them into one module with `encode`
/// and `decode_step`. `binds` are "OUTPUT:INPUT" pairs: the decoder output OUTPUT feeds the
/// decoder input INPUT at the next step. Errors are located diagnostics; null on failure.
OwningOpRef<ModuleOp> loadEncoderDecoder(StringRef encoderPath, StringRef decoderPath,
                                         const std::vector<std::string> &binds,
                                         llvm::SourceMgr &sourceMgr, MLIRContext &context);

} // namespace mlir::heed

#endif // HEED_COMPILER_DRIVER_ENCODERDECODER_H
