//===- EscapedDiagnostics.h - Diagnostics without raw control bytes -*- C++ -*-===//
//
// Diagnostics quote model text: .heed names and strings, .mlir locations
// (`loc("\x1b[2J")`) and the source line under the caret. The tools print them
// through this handler, which shows control bytes as \xNN (escapeControls,
// runtime/core/Escape.h, the function every Heed message uses), so a model
// cannot drive the terminal of whoever reads its errors.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_COMPILER_DRIVER_ESCAPEDDIAGNOSTICS_H
#define HEED_COMPILER_DRIVER_ESCAPEDDIAGNOSTICS_H

#include "mlir/IR/Diagnostics.h"
#include "llvm/Support/raw_ostream.h"

namespace mlir::heed {

/// Forwards everything written to `out`, control bytes escaped. Unbuffered,
/// so its output stays in order with other writes to `out`.
class EscapingStream : public llvm::raw_ostream {
public:
  explicit EscapingStream(llvm::raw_ostream &out)
      : llvm::raw_ostream(/*unbuffered=*/true), out(out) {}

private:
  void write_impl(const char *data, size_t size) override;
  uint64_t current_pos() const override { return written; }
  llvm::raw_ostream &out;
  uint64_t written = 0;
};

namespace detail {
struct EscapingStreamHolder {
  EscapingStream stream;
};
} // namespace detail

/// SourceMgrDiagnosticHandler printing to `out` (stderr by default) through an
/// EscapingStream; other handlers that print model text can share
/// escapedStream().
class EscapedDiagnosticHandler : private detail::EscapingStreamHolder,
                                 public SourceMgrDiagnosticHandler {
public:
  EscapedDiagnosticHandler(llvm::SourceMgr &sourceMgr, MLIRContext *context,
                           llvm::raw_ostream &out = llvm::errs())
      : detail::EscapingStreamHolder{EscapingStream(out)},
        SourceMgrDiagnosticHandler(sourceMgr, context, stream) {}
  llvm::raw_ostream &escapedStream() { return stream; }
};

} // namespace mlir::heed

#endif // HEED_COMPILER_DRIVER_ESCAPEDDIAGNOSTICS_H
