//===- NestingLimit.h - Refusing deeply nested .mlir before parsing -*- C++ -*-===//
//
// MLIR's parser recurses once per nested bracket: 7,000 `[` in a 14 KB
// attribute overflowed the stack (SIGSEGV in heed-compile, heed-run and
// heed-opt). `.heed` limits its own nesting; for `.mlir` text a cheap scan
// refuses nesting past kMaxMlirNesting before the parser sees it.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_COMPILER_DRIVER_NESTINGLIMIT_H
#define HEED_COMPILER_DRIVER_NESTINGLIMIT_H

#include "llvm/ADT/StringRef.h"

#include <optional>
#include <string>

namespace mlir::heed {

/// Deeper than any real model (a region in a region in a function, rank-8
/// dense literals, nested types); far below what overflows an 8 MB stack.
constexpr unsigned kMaxMlirNesting = 256;

struct NestingPosition {
  unsigned line = 0, column = 0; // 1-based, of the bracket past the limit
};

/// The first bracket, brace, parenthesis or angle bracket nested deeper than
/// `limit` in `text`, MLIR syntax: strings ("..." with escapes) and `//`
/// comments do not count; `>` counts only where it closes a `<` (not in `->`
/// or `>=`).
std::optional<NestingPosition> findNestingPastLimit(llvm::StringRef text,
                                                    unsigned limit = kMaxMlirNesting);

/// What the tools say at that position.
std::string nestingMessage(unsigned limit = kMaxMlirNesting);

} // namespace mlir::heed

#endif // HEED_COMPILER_DRIVER_NESTINGLIMIT_H
