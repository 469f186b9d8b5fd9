//===- Escape.h - Model-controlled text in messages -------------*- C++ -*-===//
//
// Names, locations and strings from models and modules are arbitrary bytes: a
// name like "\x1b[2J" would clear the terminal of whoever reads the message.
// Every message that quotes such text passes it through escapeControls. Plain
// C++ (no MLIR), so the runtime, the frontends and the tools share it.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_RUNTIME_CORE_ESCAPE_H
#define HEED_RUNTIME_CORE_ESCAPE_H

#include <string>
#include <string_view>

namespace heed {

/// Control bytes other than newline and tab (NUL, ESC, DEL, ...) as \xNN.
/// Newlines stay: diagnostics may print multi-line operations.
inline std::string escapeControls(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if ((c >= 0x20 && c != 0x7f) || c == '\n' || c == '\t') {
      out += static_cast<char>(c);
      continue;
    }
    out += "\\x";
    out += "0123456789abcdef"[c >> 4];
    out += "0123456789abcdef"[c & 15];
  }
  return out;
}

/// `text` as a JSON string literal: quotes, backslashes and control bytes escaped (the
/// runtime's trace and heed-run's jsonl output; no JSON library).
inline std::string jsonString(std::string_view text) {
  std::string q = "\"";
  for (char ch : text) {
    if (ch == '"' || ch == '\\') {
      q += '\\';
      q += ch;
    } else if (static_cast<unsigned char>(ch) < 0x20) {
      q += "\\u00";
      q += "0123456789abcdef"[static_cast<unsigned char>(ch) >> 4];
      q += "0123456789abcdef"[ch & 15];
    } else {
      q += ch;
    }
  }
  return q + "\"";
}

} // namespace heed

#endif // HEED_RUNTIME_CORE_ESCAPE_H
