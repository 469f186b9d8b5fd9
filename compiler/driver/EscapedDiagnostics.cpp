//===- EscapedDiagnostics.cpp - Diagnostics without raw control bytes -----===//

#include "compiler/driver/EscapedDiagnostics.h"

#include "runtime/core/Escape.h"

namespace mlir::heed {

void EscapingStream::write_impl(const char *data, size_t size) {
  out << ::heed::escapeControls(std::string_view(data, size));
  written += size;
}

} // namespace mlir::heed
