//===- Parser.cpp - Statements, expressions, functions and the header -------===//
//
// The recursive-descent grammar of docs/format.md: each rule parses and builds
// IR as it goes.
//
//===----------------------------------------------------------------------===//

#include "frontends/native/Importer.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/Path.h"

#include <limits>

using namespace mlir;
using namespace mlir::heed;
using namespace mlir::heed::native::detail;

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

FailureOr<Val> Importer::parseExpr() {
  // Hostile files must not exhaust the stack.
  Nesting nesting(depth);
  if (depth > kMaxDepth)
    return fail(tok.loc(),
                "expression nested too deeply (more than " + Twine(kMaxDepth) + " levels)");
  return parseComparison();
}

FailureOr<Val> Importer::parseComparison() {
  auto lhs = parseAdditive();
  if (failed(lhs))
    return failure();
  if (tok.is(Token::less) || tok.is(Token::lessEqual) || tok.is(Token::greater) ||
      tok.is(Token::greaterEqual) || tok.is(Token::equalEqual) || tok.is(Token::notEqual)) {
    Token op = tok;
    advance();
    auto rhs = parseAdditive();
    if (failed(rhs))
      return failure();
    return binary(op.loc(), op.kind, *lhs, *rhs);
  }
  return lhs;
}

FailureOr<Val> Importer::parseLeftAssociative(FailureOr<Val> (Importer::*operand)(),
                                              ArrayRef<Token::Kind> ops) {
  auto lhs = (this->*operand)();
  if (failed(lhs))
    return failure();
  while (llvm::any_of(ops, [&](Token::Kind kind) { return tok.is(kind); })) {
    Token op = tok;
    advance();
    auto rhs = (this->*operand)();
    if (failed(rhs))
      return failure();
    lhs = binary(op.loc(), op.kind, *lhs, *rhs);
    if (failed(lhs))
      return failure();
  }
  return lhs;
}

FailureOr<Val> Importer::parseAdditive() {
  return parseLeftAssociative(&Importer::parseMultiplicative, {Token::plus, Token::minus});
}

FailureOr<Val> Importer::parseMultiplicative() {
  return parseLeftAssociative(&Importer::parseUnary, {Token::star, Token::slash, Token::at});
}

FailureOr<Val> Importer::parseUnary() {
  if (tok.is(Token::minus)) {
    Nesting nesting(depth);
    if (depth > kMaxDepth)
      return fail(tok.loc(),
                  "expression nested too deeply (more than " + Twine(kMaxDepth) + " levels)");
    SMLoc at = tok.loc();
    advance();
    auto operand = parseUnary();
    if (failed(operand))
      return failure();
    if (operand->kind == Val::integer) {
      if (operand->intValue == std::numeric_limits<int64_t>::min())
        return fail(at, "integer arithmetic overflows 64 bits");
      operand->intValue = -operand->intValue;
      operand->loc = at;
      return operand;
    }
    if (operand->kind == Val::number) {
      operand->numValue = -operand->numValue;
      operand->loc = at;
      return operand;
    }
    auto t = asTensor(*operand, "'-'");
    if (failed(t))
      return failure();
    return one(build1<NegOp>(at, *t), at);
  }
  return parsePrimary();
}

FailureOr<Val> Importer::parsePrimary() {
  if (failed(lexError()))
    return failure();
  Val out;
  out.loc = tok.loc();
  switch (tok.kind) {
  case Token::integer: {
    out.kind = Val::integer;
    if (tok.spelling.getAsInteger(10, out.intValue))
      return fail(tok.loc(), "integer " + tok.describe() + " is too large");
    advance();
    return out;
  }
  case Token::number: {
    out.kind = Val::number;
    if (tok.spelling.getAsDouble(out.numValue))
      return fail(tok.loc(), "bad number " + tok.describe());
    advance();
    return out;
  }
  case Token::string:
    out.kind = Val::string;
    out.str = tok.value;
    advance();
    return out;
  case Token::lparen: {
    advance();
    auto inner = parseExpr();
    if (failed(inner) || failed(expect(Token::rparen, "')'")))
      return failure();
    return inner;
  }
  case Token::lbracket: {
    advance();
    out.kind = Val::list;
    if (!tok.is(Token::rbracket)) {
      while (true) {
        auto item = parseExpr();
        if (failed(item))
          return failure();
        out.items.push_back(*item);
        if (tok.is(Token::comma)) {
          advance();
          continue;
        }
        break;
      }
    }
    if (failed(expect(Token::rbracket, "',' or ']' in the list")))
      return failure();
    return out;
  }
  case Token::identifier: {
    Token name = tok;
    advance();
    if (name.spelling == "true" || name.spelling == "false") {
      out.kind = Val::boolean;
      out.intValue = name.spelling == "true";
      return out;
    }
    if (tok.is(Token::lparen))
      return parseCall(name);
    const Binding *binding = lookup(name.spelling);
    if (!binding) {
      if (builtins().count(name.spelling.str()))
        return fail(name.loc(),
                    "'" + name.spelling + "' is a builtin; call it as " + name.spelling + "(...)");
      return fail(name.loc(), "unknown name '" + name.spelling + "'");
    }
    Val v = binding->val;
    v.loc = name.loc();
    return v;
  }
  default:
    return fail(tok.loc(), "expected an expression, found " + tok.describe());
  }
}

FailureOr<Val> Importer::parseCall(Token name) {
  Call call;
  call.name = name.spelling.str();
  call.loc = name.loc();
  call.targets = pendingTargets;
  pendingTargets = 1;
  auto it = builtins().find(call.name);
  if (it == builtins().end()) {
    if (lookup(name.spelling))
      return fail(name.loc(), "'" + call.name + "' is a value, not a function");
    // Near misses: a known builtin a letter or two away.
    auto diag = error(name.loc());
    diag << "unknown function '" << call.name << "'";
    for (auto &entry : builtins()) {
      StringRef known(entry.first);
      if (known.edit_distance(call.name) <= 2) {
        diag << "; did you mean '" << known << "'?";
        break;
      }
    }
    return failure();
  }
  if (failed(expect(Token::lparen, "'('")))
    return failure();
  if (!tok.is(Token::rparen)) {
    while (true) {
      Arg arg;
      if (failed(lexError()))
        return failure();
      if (tok.is(Token::identifier)) {
        // A keyword argument is NAME '=' (but not NAME '==').
        const char *save = lexer.position();
        Token first = tok;
        advance();
        if (tok.is(Token::equal)) {
          arg.name = first.spelling.str();
          arg.nameLoc = first.loc();
          advance();
        } else {
          lexer.reset(save);
          tok = first;
        }
      }
      auto value = parseExpr();
      if (failed(value))
        return failure();
      arg.val = *value;
      call.args.push_back(std::move(arg));
      if (tok.is(Token::comma)) {
        advance();
        continue;
      }
      break;
    }
  }
  if (failed(expect(Token::rparen, "',' or ')' after the arguments of '" + call.name + "'")))
    return failure();
  if (failed(bindArgs(call, it->second)))
    return failure();
  return (this->*(it->second.fn))(call);
}

FailureOr<Val> Importer::binary(SMLoc at, Token::Kind op, Val lhs, Val rhs) {
  // Sizes: index arithmetic.
  bool lhsSize = lhs.kind == Val::index || lhs.kind == Val::integer;
  bool rhsSize = rhs.kind == Val::index || rhs.kind == Val::integer;
  if ((lhs.kind == Val::index || rhs.kind == Val::index) && lhsSize && rhsSize &&
      (op == Token::plus || op == Token::minus || op == Token::star)) {
    auto a = lhs.kind == Val::index ? lhs.value : indexConstant(lhs.loc, lhs.intValue);
    auto b = rhs.kind == Val::index ? rhs.value : indexConstant(rhs.loc, rhs.intValue);
    Val out;
    out.kind = Val::index;
    out.loc = at;
    if (op == Token::plus)
      out.value = arith::AddIOp::create(builder, loc(at), a, b);
    else if (op == Token::minus)
      out.value = arith::SubIOp::create(builder, loc(at), a, b);
    else
      out.value = arith::MulIOp::create(builder, loc(at), a, b);
    return out;
  }
  // Literal arithmetic.
  if (lhs.isScalarLiteral() && rhs.isScalarLiteral()) {
    Val out;
    out.loc = at;
    bool ints = lhs.kind == Val::integer && rhs.kind == Val::integer && op != Token::slash;
    double a = lhs.asDouble(), b = rhs.asDouble(), r;
    switch (op) {
    case Token::plus:
      r = a + b;
      break;
    case Token::minus:
      r = a - b;
      break;
    case Token::star:
      r = a * b;
      break;
    case Token::slash:
      r = a / b;
      break;
    default:
      return fail(at, "this operator needs a tensor operand");
    }
    if (ints) {
      out.kind = Val::integer;
      // Checked: signed overflow is undefined behaviour, and a wrapped size would be wrong.
      bool overflow =
          op == Token::plus    ? llvm::AddOverflow(lhs.intValue, rhs.intValue, out.intValue)
          : op == Token::minus ? llvm::SubOverflow(lhs.intValue, rhs.intValue, out.intValue)
                               : llvm::MulOverflow(lhs.intValue, rhs.intValue, out.intValue);
      if (overflow)
        return fail(at, "integer arithmetic overflows 64 bits");
    } else {
      out.kind = Val::number;
      out.numValue = r;
    }
    return out;
  }
  // Tensors, with a literal taking the element type of the other side.
  if (lhs.kind != Val::tensor && !(lhs.isScalarLiteral() && rhs.kind == Val::tensor)) {
    (void)asTensor(lhs, "the left operand");
    return failure();
  }
  if (rhs.kind != Val::tensor && !(rhs.isScalarLiteral() && lhs.kind == Val::tensor)) {
    (void)asTensor(rhs, "the right operand");
    return failure();
  }
  Value a, b;
  if (lhs.kind == Val::tensor)
    a = lhs.value;
  if (rhs.kind == Val::tensor)
    b = rhs.value;
  if (!a) {
    auto s = scalarTensor(lhs, tensorType(b).getElementType());
    if (failed(s))
      return failure();
    a = *s;
  }
  if (!b) {
    auto s = scalarTensor(rhs, tensorType(a).getElementType());
    if (failed(s))
      return failure();
    b = *s;
  }
  switch (op) {
  case Token::plus:
    return one(build1<AddOp>(at, a, b), at);
  case Token::minus:
    return one(build1<SubOp>(at, a, b), at);
  case Token::star:
    return one(build1<MulOp>(at, a, b), at);
  case Token::slash:
    return one(build1<DivOp>(at, a, b), at);
  case Token::at:
    return one(build1<MatmulOp>(at, a, b), at);
  default:
    break;
  }
  CompareKind kind = op == Token::less           ? CompareKind::lt
                     : op == Token::lessEqual    ? CompareKind::le
                     : op == Token::greater      ? CompareKind::gt
                     : op == Token::greaterEqual ? CompareKind::ge
                     : op == Token::equalEqual   ? CompareKind::eq
                                                 : CompareKind::ne;
  return one(build1<CompareOp>(at, kind, a, b), at);
}

//===----------------------------------------------------------------------===//
// Statements
//===----------------------------------------------------------------------===//

FailureOr<std::vector<Val>> Importer::parseExprList() {
  std::vector<Val> values;
  while (true) {
    auto v = parseExpr();
    if (failed(v))
      return failure();
    values.push_back(*v);
    if (!tok.is(Token::comma))
      break;
    advance();
  }
  return values;
}

LogicalResult Importer::parseLet() {
  SMLoc letLoc = tok.loc();
  advance();
  std::vector<std::pair<std::string, SMLoc>> targets;
  while (true) {
    SMLoc at = tok.loc();
    auto name = expectIdentifier("a name to define");
    if (failed(name))
      return failure();
    targets.emplace_back(*name, at);
    if (!tok.is(Token::comma))
      break;
    advance();
  }
  if (failed(expect(Token::equal, "'=' after the names being defined")))
    return failure();
  FailureOr<Val> value;
  if (tok.isKeyword("scan")) {
    SMLoc at = tok.loc();
    advance();
    value = parseScan(at);
  } else {
    pendingTargets = targets.size();
    value = parseExpr();
    pendingTargets = 1;
  }
  if (failed(value))
    return failure();
  if (value->kind == Val::tuple) {
    if (targets.size() > value->items.size())
      return fail(targets[value->items.size()].second,
                  "this gives " + std::to_string(value->items.size()) + " results but " +
                      std::to_string(targets.size()) + " names are bound");
    for (auto [i, target] : llvm::enumerate(targets))
      if (failed(define(target.first, target.second, value->items[i])))
        return failure();
    return success();
  }
  if (targets.size() != 1)
    return fail(targets[1].second,
                "this gives one result but " + std::to_string(targets.size()) + " names are bound");
  (void)letLoc;
  return define(targets[0].first, targets[0].second, *value);
}

FailureOr<Val> Importer::parseScan(SMLoc at) {
  Nesting nesting(depth);
  if (depth > kMaxDepth)
    return fail(at, "scans nested too deeply");
  // scan (NAME [: TYPE] = EXPR, ...) [over (NAME in EXPR, ...)] [steps EXPR] [reverse] { ... }
  if (failed(expect(Token::lparen, "'(' and the carried values of the scan")))
    return failure();
  struct Carry {
    std::string name;
    SMLoc loc;
    Value init;
    Type type;
  };
  std::vector<Carry> carries;
  while (true) {
    Carry carry;
    carry.loc = tok.loc();
    auto name = expectIdentifier("the name of a carried value");
    if (failed(name))
      return failure();
    carry.name = *name;
    RankedTensorType declared;
    SMLoc typeLoc = tok.loc();
    if (tok.is(Token::colon)) {
      advance();
      typeLoc = tok.loc();
      auto type = parseType();
      if (failed(type))
        return failure();
      declared = *type;
    }
    if (failed(expect(Token::equal, "'=' and the initial value of '" + carry.name + "'")))
      return failure();
    auto init = parseExpr();
    if (failed(init))
      return failure();
    auto initTensor = asTensor(*init, "the initial value of '" + carry.name + "'");
    if (failed(initTensor))
      return failure();
    carry.init = *initTensor;
    carry.type = initTensor->getType();
    if (declared) {
      if (!isRefinementOf(TypeRange(carry.type), TypeRange(Type(declared))))
        return fail(typeLoc, "declared type " + typeString(declared) +
                                 " does not fit the initial value of type " +
                                 typeString(carry.type));
      carry.type = declared;
    }
    carries.push_back(carry);
    if (!tok.is(Token::comma))
      break;
    advance();
  }
  if (failed(expect(Token::rparen, "',' or ')' after the carried values")))
    return failure();
  struct Sequence {
    std::string name;
    SMLoc loc;
    Value value;
  };
  std::vector<Sequence> sequences;
  if (tok.isKeyword("over")) {
    advance();
    if (failed(expect(Token::lparen, "'(' after 'over'")))
      return failure();
    while (true) {
      Sequence seq;
      seq.loc = tok.loc();
      auto name = expectIdentifier("the name of one step of a sequence");
      if (failed(name) || failed(expectKeyword("in", "after the step's name")))
        return failure();
      seq.name = *name;
      auto value = parseExpr();
      if (failed(value))
        return failure();
      auto t = asTensor(*value, "a scanned sequence");
      if (failed(t))
        return failure();
      if (tensorType(*t).getRank() < 1)
        return fail(value->loc, "a scanned sequence needs rank >= 1 (time first)");
      seq.value = *t;
      sequences.push_back(seq);
      if (!tok.is(Token::comma))
        break;
      advance();
    }
    if (failed(expect(Token::rparen, "',' or ')' after the sequences")))
      return failure();
  }
  Value steps;
  if (tok.isKeyword("steps")) {
    advance();
    auto n = parseExpr();
    if (failed(n))
      return failure();
    auto idx = asIndex(*n, "'steps'");
    if (failed(idx))
      return failure();
    steps = *idx;
  }
  if (sequences.empty() && !steps)
    return fail(tok.loc(), "a scan needs 'over (x in xs)' or 'steps N', found " + tok.describe());
  bool reverse = false;
  if (tok.isKeyword("reverse")) {
    reverse = true;
    advance();
  }
  // The body goes into a detached region first: the number of per-step
  // outputs is known only at its `yield`.
  auto region = std::make_unique<Region>();
  Block *body = new Block();
  region->push_back(body);
  scopes.emplace_back();
  for (Carry &carry : carries)
    if (failed(define(carry.name, carry.loc,
                      tensorVal(body->addArgument(carry.type, loc(carry.loc)), carry.loc))))
      return failure();
  for (Sequence &seq : sequences) {
    auto type = tensorType(seq.value);
    auto step = RankedTensorType::get(type.getShape().drop_front(), type.getElementType());
    if (failed(
            define(seq.name, seq.loc, tensorVal(body->addArgument(step, loc(seq.loc)), seq.loc))))
      return failure();
  }
  SmallVector<Value> yielded;
  SMLoc yieldLoc;
  {
    OpBuilder::InsertionGuard guard(builder);
    builder.setInsertionPointToEnd(body);
    LogicalResult parsed = parseBlock(/*inScan=*/true, &yielded, &yieldLoc);
    if (failed(parsed))
      return failure();
    if (yielded.size() < carries.size())
      return fail(yieldLoc, "the scan carries " + std::to_string(carries.size()) +
                                " values but the step yields " + std::to_string(yielded.size()));
    for (auto [i, carry] : llvm::enumerate(carries)) {
      // The declared type may be general (f32[B, ?, 16]) while the initial value is not
      // (zeros([b, 0, 16])): what the step yields must fit both, or the first step already fails.
      Type initial = carry.init.getType();
      if (isRefinementOf(TypeRange(carry.type), TypeRange(yielded[i].getType())) &&
          !isRefinementOf(TypeRange(initial), TypeRange(yielded[i].getType())))
        return fail(yieldLoc, "the step yields " + typeString(yielded[i].getType()) + " for '" +
                                  carry.name + "', whose initial value is " + typeString(initial) +
                                  ": the first step cannot give that");
      if (isRefinementOf(TypeRange(carry.type), TypeRange(yielded[i].getType())))
        continue;
      // Suggest the carried type with the dims that change made dynamic.
      auto carried = cast<RankedTensorType>(carry.type);
      auto step = dyn_cast<RankedTensorType>(yielded[i].getType());
      std::string suggestion;
      if (step && step.getRank() == carried.getRank() &&
          step.getElementType() == carried.getElementType()) {
        SmallVector<int64_t> general(carried.getShape());
        for (auto [d, other] : llvm::zip(general, step.getShape()))
          if (d != other)
            d = kDyn;
        suggestion = "; declare it with a more general type: " + carry.name + ": " +
                     typeString(RankedTensorType::get(general, carried.getElementType())) +
                     " = ...";
      }
      return fail(yieldLoc, "the step yields " + typeString(yielded[i].getType()) + " for '" +
                                carry.name + "', carried as " + typeString(carry.type) +
                                suggestion);
    }
    mlir::heed::YieldOp::create(builder, loc(yieldLoc), yielded);
  }
  scopes.pop_back();
  int64_t length = kDyn;
  for (Sequence &seq : sequences) {
    int64_t d = tensorType(seq.value).getDimSize(0);
    if (!shape::compatible(length, d))
      return fail(seq.loc, "scanned sequences differ in length");
    length = shape::meet(length, d);
  }
  SmallVector<Type> resultTypes;
  for (Carry &carry : carries)
    resultTypes.push_back(carry.type);
  for (Value v : ArrayRef<Value>(yielded).drop_front(carries.size())) {
    auto type = tensorType(v);
    SmallVector<int64_t> shape{length};
    llvm::append_range(shape, type.getShape());
    resultTypes.push_back(RankedTensorType::get(shape, type.getElementType()));
  }
  SmallVector<Value> initial, over;
  for (Carry &carry : carries)
    initial.push_back(carry.init);
  for (Sequence &seq : sequences)
    over.push_back(seq.value);
  auto scan = ScanOp::create(builder, loc(at), resultTypes, initial, over, steps, reverse);
  scan.getBody().takeBody(*region);
  return tupleVal(SmallVector<Value>(scan->getResults()), at);
}

LogicalResult Importer::parseStatement(bool inScan, SmallVectorImpl<Value> *yielded,
                                       SMLoc *yieldLoc, bool &done) {
  if (failed(lexError()))
    return failure();
  if (tok.isKeyword("let"))
    return parseLet();
  if (tok.isKeyword("return") || tok.isKeyword("yield")) {
    bool isYield = tok.isKeyword("yield");
    SMLoc at = tok.loc();
    if (isYield && !inScan)
      return fail(at, "'yield' ends a scan step; a function ends with 'return'");
    if (!isYield && inScan)
      return fail(at, "'return' inside a scan; a scan step ends with 'yield'");
    advance();
    auto values = parseExprList();
    if (failed(values))
      return failure();
    for (const Val &v : *values) {
      auto t = asTensor(v, isYield ? "'yield'" : "'return'");
      if (failed(t))
        return failure();
      yielded->push_back(*t);
    }
    *yieldLoc = at;
    done = true;
    return success();
  }
  if (tok.is(Token::identifier) && !tok.isKeyword("func")) {
    // A common slip: `x = ...` without let.
    const char *save = lexer.position();
    Token first = tok;
    advance();
    bool assignment = tok.is(Token::equal) || tok.is(Token::comma);
    lexer.reset(save);
    tok = first;
    if (assignment)
      return fail(first.loc(), "expected a statement, found " + first.describe() +
                                   "; define values with 'let " + first.spelling + " = ...'");
  }
  return fail(tok.loc(), "expected a statement (let, return" +
                             std::string(inScan ? ", yield" : "") + ") or '}', found " +
                             tok.describe());
}

LogicalResult Importer::parseBlock(bool inScan, SmallVectorImpl<Value> *yielded, SMLoc *yieldLoc) {
  if (failed(expect(Token::lbrace, inScan ? "'{' and the scan step" : "'{' and the body")))
    return failure();
  bool done = false;
  while (!done) {
    if (tok.is(Token::rbrace) || tok.is(Token::eof))
      return fail(tok.loc(), inScan ? "the scan step must end with 'yield'"
                                    : "the function must end with 'return'");
    if (failed(parseStatement(inScan, yielded, yieldLoc, done)))
      return failure();
  }
  return expect(Token::rbrace, inScan ? "'}' after 'yield'" : "'}' after 'return'");
}

LogicalResult Importer::parseFunction() {
  SMLoc funcLoc = tok.loc();
  advance(); // func
  SMLoc nameLoc = tok.loc();
  auto name = expectIdentifier("the function's name");
  if (failed(name))
    return failure();
  if (module->lookupSymbol(*name)) {
    error(nameLoc) << "function '" << *name << "' is already defined";
    return failure();
  }
  if (failed(expect(Token::lparen, "'(' and the function's inputs")))
    return failure();
  scopes.clear();
  scopes.emplace_back();
  std::vector<std::pair<std::string, SMLoc>> params;
  SmallVector<Type> inputs;
  std::vector<SmallVector<std::string>> inputDims;
  if (!tok.is(Token::rparen)) {
    while (true) {
      SMLoc at = tok.loc();
      auto param = expectIdentifier("an input name");
      if (failed(param))
        return failure();
      if (failed(expect(Token::colon, "':' and the type of '" + *param + "'")))
        return failure();
      SmallVector<std::string> dims;
      auto type = parseType(&dims);
      if (failed(type))
        return failure();
      inputDims.push_back(dims);
      for (auto &p : params)
        if (p.first == *param) {
          error(at) << "input '" << *param << "' is already defined";
          return failure();
        }
      params.emplace_back(*param, at);
      inputs.push_back(*type);
      if (!tok.is(Token::comma))
        break;
      advance();
    }
  }
  if (failed(expect(Token::rparen, "',' or ')' after the inputs")))
    return failure();
  if (failed(expect(Token::arrow, "'->' and the function's outputs")))
    return failure();
  if (failed(expect(Token::lparen, "'(' and the function's outputs")))
    return failure();
  struct Output {
    std::string name;
    SMLoc loc;
    RankedTensorType type;
    SmallVector<std::string> dims;
  };
  std::vector<Output> outputs;
  if (!tok.is(Token::rparen)) {
    while (true) {
      Output out;
      out.loc = tok.loc();
      // NAME ':' TYPE or just TYPE.
      if (tok.is(Token::identifier) && !elementType(tok.spelling)) {
        out.name = tok.spelling.str();
        advance();
        if (failed(expect(Token::colon, "':' and the type of output '" + out.name + "'")))
          return failure();
      }
      auto type = parseType(&out.dims);
      if (failed(type))
        return failure();
      out.type = *type;
      outputs.push_back(out);
      if (!tok.is(Token::comma))
        break;
      advance();
    }
  }
  if (failed(expect(Token::rparen, "',' or ')' after the outputs")))
    return failure();

  builder.setInsertionPointToEnd(module->getBody());
  SmallVector<Type> declared;
  for (Output &o : outputs)
    declared.push_back(o.type);
  function =
      func::FuncOp::create(builder, loc(funcLoc), *name, builder.getFunctionType(inputs, declared));
  Block *entry = function.addEntryBlock();
  functionWeights.clear();
  lastWeight = nullptr;
  for (auto [i, p] : llvm::enumerate(params)) {
    if (failed(define(p.first, p.second, tensorVal(entry->getArgument(i), p.second))))
      return failure();
    if (!p.first.empty())
      function.setArgAttr(i, "heed.name", builder.getStringAttr(p.first));
    if (Attribute dims = dimsAttr(inputDims[i]))
      function.setArgAttr(i, "heed.dims", dims);
  }
  builder.setInsertionPointToEnd(entry);
  SmallVector<Value> returned;
  SMLoc returnLoc;
  if (failed(parseBlock(/*inScan=*/false, &returned, &returnLoc)))
    return failure();
  if (returned.size() != outputs.size())
    return fail(returnLoc, "'" + *name + "' declares " + std::to_string(outputs.size()) +
                               " outputs but returns " + std::to_string(returned.size()));
  SmallVector<Type> results;
  for (auto [i, value] : llvm::enumerate(returned)) {
    Type actual = value.getType();
    if (!isRefinementOf(TypeRange(actual), TypeRange(Type(outputs[i].type))))
      return fail(returnLoc, "output " + std::to_string(i) +
                                 (outputs[i].name.empty() ? "" : " ('" + outputs[i].name + "')") +
                                 " is declared " + typeString(outputs[i].type) +
                                 " but the returned value is " + typeString(actual));
    // The signature takes the value's type: the IR keeps what is known.
    results.push_back(actual);
  }
  func::ReturnOp::create(builder, loc(returnLoc), returned);
  function.setType(builder.getFunctionType(inputs, results));
  for (auto [i, o] : llvm::enumerate(outputs)) {
    if (!o.name.empty())
      function.setResultAttr(i, "heed.name", builder.getStringAttr(o.name));
    if (Attribute dims = dimsAttr(o.dims))
      function.setResultAttr(i, "heed.dims", dims);
  }
  return success();
}

LogicalResult Importer::parseHeader() {
  if (failed(expectKeyword("model", "at the start of the file (model NAME)")))
    return failure();
  SMLoc nameLoc = tok.loc();
  auto name = expectIdentifier("the model's name");
  if (failed(name))
    return failure();
  module = ModuleOp::create(loc(nameLoc), StringRef(*name));
  modelLoc = nameLoc;
  if (!tok.isKeyword("weights"))
    return success();
  advance();
  if (failed(lexError()))
    return failure();
  if (!tok.is(Token::string))
    return fail(tok.loc(), "expected the weights file's path as a string, found " + tok.describe());
  weightsLoc = tok.loc();
  std::string path = tok.value;
  advance();
  llvm::SmallString<256> resolved(path);
  if (!llvm::sys::path::is_absolute(path)) {
    resolved = llvm::sys::path::parent_path(filename);
    llvm::sys::path::append(resolved, path);
  }
  // Absolute, so a module written elsewhere still finds its weights.
  llvm::SmallString<256> real;
  if (!llvm::sys::fs::real_path(resolved, real))
    resolved = real;
  else
    llvm::sys::fs::make_absolute(resolved);
  weightsPath = std::string(resolved);
  std::string message;
  weights = ::heed::TensorFile::open(weightsPath, message);
  if (!weights) {
    // Name the file as the model spells it; the location shows which model.
    if (StringRef(message).starts_with(weightsPath))
      message = path + message.substr(weightsPath.size());
    return fail(weightsLoc, "cannot load weights: " + message);
  }
  weightsName = path;
  (*module)->setAttr("heed.weights", builder.getStringAttr(weightsPath));
  return success();
}

OwningOpRef<ModuleOp> Importer::run() {
  advance();
  if (failed(parseHeader()))
    return nullptr;
  while (!tok.is(Token::eof)) {
    if (failed(lexError()))
      return nullptr;
    if (!tok.isKeyword("func")) {
      fail(tok.loc(), "expected 'func' or the end of the file, found " + tok.describe());
      return nullptr;
    }
    if (failed(parseFunction()))
      return nullptr;
  }
  if (module->getBody()->empty()) {
    fail(modelLoc, "model '" + module->getName().value_or("").str() +
                       "' has no functions; expected at least one 'func'");
    return nullptr;
  }
  if (weights) {
    std::vector<std::string> unused;
    for (const ::heed::TensorView &t : weights->tensors())
      if (!usedWeights.contains(t.name))
        unused.push_back(t.name);
    if (!unused.empty()) {
      std::sort(unused.begin(), unused.end());
      auto diag = error(weightsLoc);
      diag << "the weights file has " << unused.size() << " tensor"
           << (unused.size() == 1 ? "" : "s") << " the model does not use: ";
      for (size_t i = 0; i < unused.size() && i < 8; ++i)
        diag << (i ? ", " : "") << "'" << unused[i] << "'";
      if (unused.size() > 8)
        diag << ", ...";
      return nullptr;
    }
  }
  return std::move(module);
}
