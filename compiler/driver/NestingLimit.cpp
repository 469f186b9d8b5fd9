//===- NestingLimit.cpp - Refusing deeply nested .mlir before parsing -----===//

#include "compiler/driver/NestingLimit.h"

#include "llvm/ADT/SmallVector.h"

namespace mlir::heed {

std::optional<NestingPosition> findNestingPastLimit(llvm::StringRef text, unsigned limit) {
  llvm::SmallVector<char, 64> open; // the expected closer of every open bracket
  unsigned line = 1, column = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    ++column;
    if (c == '\n') {
      ++line;
      column = 0;
      continue;
    }
    if (c == '"') { // a string: skip to its unescaped closing quote (or the line's end)
      for (++i; i < text.size() && text[i] != '"' && text[i] != '\n'; ++i, ++column)
        if (text[i] == '\\' && i + 1 < text.size() && text[i + 1] != '\n') {
          ++i;
          ++column;
        }
      ++column;
      if (i < text.size() && text[i] == '\n') {
        ++line;
        column = 0;
      }
      continue;
    }
    if (c == '/' && i + 1 < text.size() && text[i + 1] == '/') {
      while (i + 1 < text.size() && text[i + 1] != '\n')
        ++i;
      continue;
    }
    char closer = c == '(' ? ')' : c == '[' ? ']' : c == '{' ? '}' : c == '<' ? '>' : 0;
    if (closer) {
      open.push_back(closer);
      if (open.size() > limit)
        return NestingPosition{line, column};
      continue;
    }
    if (c == '>') {
      // Only a `>` closing the innermost `<`: arrows and comparisons leave the depth alone.
      if ((i == 0 || text[i - 1] != '-') && !open.empty() && open.back() == '>')
        open.pop_back();
      continue;
    }
    if (c == ')' || c == ']' || c == '}') {
      // Unclosed `<` (a comparison in custom syntax) end with the bracket around them.
      while (!open.empty() && open.back() == '>')
        open.pop_back();
      if (!open.empty() && open.back() == c)
        open.pop_back();
    }
  }
  return std::nullopt;
}

std::string nestingMessage(unsigned limit) {
  return "brackets nested deeper than " + std::to_string(limit) +
         " levels (Heed's limit for .mlir input, below what overflows MLIR's recursive parser)";
}

} // namespace mlir::heed
