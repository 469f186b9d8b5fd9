//===- Lexer.h - Tokens of the .heed language -------------------*- C++ -*-===//

#ifndef HEED_FRONTENDS_NATIVE_LEXER_H
#define HEED_FRONTENDS_NATIVE_LEXER_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/SMLoc.h"

#include <string>

namespace mlir::heed::native {

struct Token {
  enum Kind {
    eof,
    error, // an unexpected character or an unterminated string
    identifier,
    integer,
    number, // a float literal
    string,
    // Punctuation.
    lparen,
    rparen,
    lbracket,
    rbracket,
    lbrace,
    rbrace,
    comma,
    colon,
    equal,
    arrow,
    plus,
    minus,
    star,
    slash,
    at,
    question,
    less,
    lessEqual,
    greater,
    greaterEqual,
    equalEqual,
    notEqual,
  };
  Kind kind = eof;
  llvm::StringRef spelling; // the text in the buffer
  std::string value;        // a string literal's contents, an error's message

  llvm::SMLoc loc() const { return llvm::SMLoc::getFromPointer(spelling.data()); }
  bool is(Kind k) const { return kind == k; }
  bool isKeyword(llvm::StringRef word) const { return kind == identifier && spelling == word; }
  /// How the token reads in a message: 'x', or "end of file".
  std::string describe() const;
};

/// Splits a buffer into tokens; `#` starts a comment to the end of the line.
class Lexer {
public:
  explicit Lexer(llvm::StringRef buffer) : buffer(buffer), cur(buffer.begin()) {
    if (buffer.starts_with("\xEF\xBB\xBF")) // a UTF-8 byte order mark
      cur += 3;
  }
  Token next();
  const char *position() const { return cur; }
  void reset(const char *at) { cur = at; }

private:
  llvm::StringRef buffer;
  const char *cur;
  Token make(Token::Kind kind, const char *start);
};

} // namespace mlir::heed::native

#endif // HEED_FRONTENDS_NATIVE_LEXER_H
