//===- Lexer.cpp - Tokens of the .heed language ---------------------------===//

#include "frontends/native/Lexer.h"

#include "llvm/ADT/StringExtras.h"

using namespace mlir::heed::native;

std::string Token::describe() const {
  if (kind == eof)
    return "end of file";
  if (kind == string)
    return "string \"" + value + "\"";
  return "'" + spelling.str() + "'";
}

Token Lexer::make(Token::Kind kind, const char *start) {
  Token token;
  token.kind = kind;
  token.spelling = llvm::StringRef(start, cur - start);
  return token;
}

Token Lexer::next() {
  const char *end = buffer.end();
  while (cur != end) {
    if (*cur == '#') {
      while (cur != end && *cur != '\n')
        ++cur;
    } else if (*cur == ' ' || *cur == '\t' || *cur == '\n' || *cur == '\r') {
      ++cur;
    } else {
      break;
    }
  }
  const char *start = cur;
  if (cur == end)
    return make(Token::eof, start);
  char c = *cur++;
  if (llvm::isAlpha(c) || c == '_') {
    while (cur != end && (llvm::isAlnum(*cur) || *cur == '_'))
      ++cur;
    return make(Token::identifier, start);
  }
  if (llvm::isDigit(c) || (c == '.' && cur != end && llvm::isDigit(*cur))) {
    bool isFloat = c == '.';
    while (cur != end && llvm::isDigit(*cur))
      ++cur;
    if (cur != end && *cur == '.') {
      isFloat = true;
      ++cur;
      while (cur != end && llvm::isDigit(*cur))
        ++cur;
    }
    if (cur != end && (*cur == 'e' || *cur == 'E')) {
      const char *save = cur++;
      if (cur != end && (*cur == '+' || *cur == '-'))
        ++cur;
      if (cur != end && llvm::isDigit(*cur)) {
        isFloat = true;
        while (cur != end && llvm::isDigit(*cur))
          ++cur;
      } else {
        cur = save;
      }
    }
    return make(isFloat ? Token::number : Token::integer, start);
  }
  if (c == '"') {
    std::string value;
    while (cur != end && *cur != '"' && *cur != '\n') {
      if (*cur == '\\' && cur + 1 != end && (cur[1] == '"' || cur[1] == '\\'))
        ++cur;
      value.push_back(*cur++);
    }
    if (cur == end || *cur != '"') {
      Token token = make(Token::error, start);
      token.value = "unterminated string";
      return token;
    }
    ++cur;
    Token token = make(Token::string, start);
    token.value = std::move(value);
    return token;
  }
  auto two = [&](char second, Token::Kind yes, Token::Kind no) {
    if (cur != end && *cur == second) {
      ++cur;
      return make(yes, start);
    }
    return make(no, start);
  };
  switch (c) {
  case '(':
    return make(Token::lparen, start);
  case ')':
    return make(Token::rparen, start);
  case '[':
    return make(Token::lbracket, start);
  case ']':
    return make(Token::rbracket, start);
  case '{':
    return make(Token::lbrace, start);
  case '}':
    return make(Token::rbrace, start);
  case ',':
    return make(Token::comma, start);
  case ':':
    return make(Token::colon, start);
  case '+':
    return make(Token::plus, start);
  case '*':
    return make(Token::star, start);
  case '/':
    return make(Token::slash, start);
  case '@':
    return make(Token::at, start);
  case '?':
    return make(Token::question, start);
  case '-':
    return two('>', Token::arrow, Token::minus);
  case '=':
    return two('=', Token::equalEqual, Token::equal);
  case '<':
    return two('=', Token::lessEqual, Token::less);
  case '>':
    return two('=', Token::greaterEqual, Token::greater);
  case '!':
    if (cur != end && *cur == '=') {
      ++cur;
      return make(Token::notEqual, start);
    }
    break;
  default:
    break;
  }
  // Consume one whole UTF-8 character so the message shows it intact.
  while (cur != end && (static_cast<unsigned char>(*cur) & 0xC0) == 0x80)
    ++cur;
  Token token = make(Token::error, start);
  // Control characters and bytes that are not UTF-8 are shown as \xNN.
  unsigned char first = static_cast<unsigned char>(token.spelling.front());
  if (first < 0x20 || first == 0x7F || (first >= 0x80 && first < 0xC2) || first > 0xF4) {
    static const char hex[] = "0123456789abcdef";
    token.value = std::string("unexpected byte '\\x") + hex[first >> 4] + hex[first & 15] + "'";
  } else {
    token.value = "unexpected character '" + token.spelling.str() + "'";
  }
  return token;
}
