//===- Import.cpp - Parses .heed files and builds heed IR -----------------===//
//
// One pass: a recursive-descent parser that builds IR as it goes. Values are
// SSA values of ranked tensors (with dynamic dims for the symbolic ones),
// `index` values for sizes, or literals (numbers, strings, lists) that the
// builtins read as attributes. Every op is built with its result types taken
// from the op's own shape inference, so what the frontend emits verifies by
// construction and a shape error is reported at the construct that caused it.
//
// Layer-level constructs (lstm, attention, bahdanau, ...) emit the fused ops;
// op-level spellings (matmul, softmax, ...) stay decomposed for the fusion
// passes to find.
//
//===----------------------------------------------------------------------===//

#include "frontends/native/Import.h"

#include "frontends/native/Lexer.h"

#include "dialects/heed/IR/HeedDialect.h"
#include "dialects/heed/IR/HeedOps.h"
#include "runtime/weights/Tensors.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <cmath>
#include <map>

using namespace mlir;
using namespace mlir::heed;
using namespace mlir::heed::native;
using llvm::SMLoc;

namespace {
constexpr int64_t kDyn = ShapedType::kDynamic;

/// What an expression evaluates to.
struct Val {
  enum Kind { tensor, index, integer, number, string, boolean, list, tuple } kind = tensor;
  Value value; // tensor, index
  int64_t intValue = 0;
  double numValue = 0;
  std::string str;
  std::vector<Val> items; // list, tuple
  SMLoc loc;

  bool isScalarLiteral() const { return kind == integer || kind == number; }
  double asDouble() const { return kind == integer ? double(intValue) : numValue; }
};

const char *kindName(Val::Kind kind) {
  switch (kind) {
  case Val::tensor:
    return "a tensor";
  case Val::index:
    return "a size";
  case Val::integer:
    return "an integer";
  case Val::number:
    return "a number";
  case Val::string:
    return "a string";
  case Val::boolean:
    return "a boolean";
  case Val::list:
    return "a list";
  case Val::tuple:
    return "several results";
  }
  return "a value";
}

struct Arg {
  std::string name; // empty: positional
  SMLoc nameLoc;
  Val val;
};

/// The arguments of one builtin call, bound to its parameter names.
struct Call {
  std::string name;
  SMLoc loc;
  unsigned targets = 1; // how many names the `let` binds
  std::vector<Arg> args;
  std::map<std::string, Val> bound;
  std::vector<Val> rest; // extra positional arguments of variadic builtins
};

std::string typeString(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor) {
    std::string s;
    llvm::raw_string_ostream os(s);
    os << type;
    return s;
  }
  std::string s;
  llvm::raw_string_ostream os(s);
  Type element = tensor.getElementType();
  if (element.isInteger(1))
    os << "bool";
  else
    os << element;
  os << "[";
  llvm::interleave(
      tensor.getShape(), os,
      [&](int64_t d) {
        if (d == kDyn)
          os << "?";
        else
          os << d;
      },
      ", ");
  os << "]";
  return s;
}

std::string shapeString(ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (auto [i, d] : llvm::enumerate(shape))
    s += (i ? ", " : "") + (d == kDyn ? std::string("*") : std::to_string(d));
  return s + "]";
}

class Importer {
public:
  Importer(llvm::SourceMgr &sourceMgr, MLIRContext &context)
      : sourceMgr(sourceMgr), context(&context), builder(&context),
        buffer(sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID())), lexer(buffer->getBuffer()) {
    filename = buffer->getBufferIdentifier().str();
  }

  OwningOpRef<ModuleOp> run();

private:
  llvm::SourceMgr &sourceMgr;
  MLIRContext *context;
  OpBuilder builder;
  const llvm::MemoryBuffer *buffer;
  Lexer lexer;
  Token tok;
  std::string filename;
  OwningOpRef<ModuleOp> module;

  std::unique_ptr<::heed::TensorFile> weights;
  std::string weightsPath; // resolved against the model file's folder
  std::string weightsName; // as the model spells it
  SMLoc weightsLoc;
  SMLoc modelLoc;
  llvm::StringSet<> usedWeights;

  // The function being built.
  func::FuncOp function;
  std::map<std::string, Value> functionWeights;
  Operation *lastWeight = nullptr;
  struct Binding {
    Val val;
    SMLoc loc;
  };
  std::vector<std::map<std::string, Binding>> scopes;
  int depth = 0; // expression and scan nesting
  static constexpr int kMaxDepth = 128;
  struct Nesting {
    int &depth;
    explicit Nesting(int &depth) : depth(depth) { ++depth; }
    ~Nesting() { --depth; }
  };
  unsigned pendingTargets = 1;

  //===--------------------------------------------------------------------===//
  // Diagnostics and tokens
  //===--------------------------------------------------------------------===//

  Location loc(SMLoc at) {
    auto [line, col] = sourceMgr.getLineAndColumn(at, sourceMgr.getMainFileID());
    return FileLineColLoc::get(context, filename, line, col);
  }
  InFlightDiagnostic error(SMLoc at) { return mlir::emitError(loc(at)); }
  /// Converts to a failed LogicalResult or FailureOr<T> alike.
  struct Failed {
    operator LogicalResult() const { return failure(); }
    template <typename T> operator FailureOr<T>() const { return failure(); }
  };
  Failed fail(SMLoc at, const Twine &message) {
    error(at) << message;
    return Failed();
  }

  void advance() { tok = lexer.next(); }
  LogicalResult lexError() {
    if (tok.is(Token::error))
      return fail(tok.loc(), tok.value);
    return success();
  }
  /// Consumes a token of `kind` or reports "expected <what>, found <token>".
  LogicalResult expect(Token::Kind kind, const Twine &what) {
    if (failed(lexError()))
      return failure();
    if (!tok.is(kind))
      return fail(tok.loc(), "expected " + what + ", found " + tok.describe());
    advance();
    return success();
  }
  LogicalResult expectKeyword(StringRef word, const Twine &context) {
    if (failed(lexError()))
      return failure();
    if (!tok.isKeyword(word))
      return fail(tok.loc(), "expected '" + word + "' " + context + ", found " + tok.describe());
    advance();
    return success();
  }
  FailureOr<std::string> expectIdentifier(const Twine &what) {
    if (failed(lexError()))
      return failure();
    if (!tok.is(Token::identifier))
      return fail(tok.loc(), "expected " + what + ", found " + tok.describe());
    std::string name = tok.spelling.str();
    advance();
    return name;
  }

  //===--------------------------------------------------------------------===//
  // Types
  //===--------------------------------------------------------------------===//

  Type elementType(StringRef name) {
    return llvm::StringSwitch<Type>(name)
        .Case("f32", builder.getF32Type())
        .Case("f16", builder.getF16Type())
        .Case("f64", builder.getF64Type())
        .Case("bf16", builder.getBF16Type())
        .Cases({"bool", "i1"}, builder.getI1Type())
        .Case("i8", builder.getI8Type())
        .Case("i32", builder.getI32Type())
        .Case("i64", builder.getI64Type())
        .Default(Type());
  }

  /// type := ELEMENT '[' [dim {',' dim}] ']' ; dim := INT | NAME | '?'
  FailureOr<RankedTensorType> parseType(SmallVectorImpl<std::string> *dimNames = nullptr) {
    if (failed(lexError()))
      return failure();
    SMLoc at = tok.loc();
    if (!tok.is(Token::identifier))
      return fail(at, "expected a tensor type such as f32[B, S, 256], found " + tok.describe());
    Type element = elementType(tok.spelling);
    if (!element)
      return fail(at, "unknown element type " + tok.describe() +
                          "; expected f32, f16, bf16, f64, i64, i32, i8 or bool");
    advance();
    if (failed(expect(Token::lbracket, "'[' and the dims of the tensor type")))
      return failure();
    SmallVector<int64_t> shape;
    if (!tok.is(Token::rbracket)) {
      while (true) {
        if (failed(lexError()))
          return failure();
        if (tok.is(Token::integer)) {
          int64_t d;
          if (tok.spelling.getAsInteger(10, d) || d < 0 || d > (int64_t(1) << 40))
            return fail(tok.loc(), "dimension " + tok.describe() + " is out of range");
          shape.push_back(d);
          if (dimNames)
            dimNames->push_back(tok.spelling.str());
        } else if (tok.is(Token::identifier) || tok.is(Token::question)) {
          shape.push_back(kDyn); // symbolic dims are dynamic in the IR
          if (dimNames)
            dimNames->push_back(tok.spelling.str());
        } else {
          return fail(tok.loc(), "expected a dimension (a number, a name such as B, or '?'), "
                                 "found " +
                                     tok.describe());
        }
        advance();
        if (tok.is(Token::comma)) {
          advance();
          continue;
        }
        break;
      }
    }
    if (failed(expect(Token::rbracket, "',' or ']' in the dims of the tensor type")))
      return failure();
    if (shape.size() > 8)
      return fail(at, "tensor types have at most 8 dims");
    return RankedTensorType::get(shape, element);
  }

  //===--------------------------------------------------------------------===//
  // Scopes
  //===--------------------------------------------------------------------===//

  const Binding *lookup(StringRef name) {
    for (auto it = scopes.rbegin(); it != scopes.rend(); ++it) {
      auto found = it->find(name.str());
      if (found != it->end())
        return &found->second;
    }
    return nullptr;
  }
  LogicalResult define(StringRef name, SMLoc at, Val val) {
    if (name == "_")
      return success();
    if (const Binding *previous = lookup(name)) {
      auto diag = error(at);
      diag << "'" << name << "' is already defined";
      diag.attachNote(loc(previous->loc)) << "'" << name << "' was defined here";
      return failure();
    }
    scopes.back()[name.str()] = Binding{std::move(val), at};
    return success();
  }

  //===--------------------------------------------------------------------===//
  // Building ops
  //===--------------------------------------------------------------------===//

  /// Builds an op whose result types its own shape inference gives. On a
  /// shape error the op's message is reported at `at` and nothing is built.
  FailureOr<Operation *> build(SMLoc at, StringRef name, ValueRange operands,
                               ArrayRef<NamedAttribute> attributes, unsigned numResults) {
    Location location = loc(at);
    OperationState state(location, name);
    state.addOperands(operands);
    state.addAttributes(attributes);
    state.addTypes(SmallVector<Type>(numResults, builder.getNoneType()));
    Operation *op = builder.create(state);
    auto infer = dyn_cast<InferTypeOpInterface>(op);
    SmallVector<Type> types;
    if (!infer) {
      op->erase();
      return fail(at, "internal error: '" + name + "' has no shape inference");
    }
    // The op's shape rules say what is wrong; say it in the model's terms,
    // with the operand types, at the construct.
    std::string why;
    LogicalResult inferred = failure();
    {
      ScopedDiagnosticHandler capture(context, [&](Diagnostic &diag) {
        if (why.empty())
          why = diag.str();
        return success();
      });
      inferred =
          infer.inferReturnTypes(context, location, op->getOperands(), op->getRawDictionaryAttrs(),
                                 op->getPropertiesStorage(), op->getRegions(), types);
    }
    if (failed(inferred)) {
      SmallVector<Type> operandTypes(op->getOperandTypes());
      op->erase();
      std::string prefix = "'" + name.str() + "' op ";
      if (StringRef(why).starts_with(prefix))
        why = why.substr(prefix.size());
      if (why.empty())
        why = "the shapes do not fit";
      auto diag = error(at);
      diag << name.drop_front(5) << ": " << why << " (operands ";
      llvm::interleave(operandTypes, diag, [&](Type t) { diag << typeString(t); }, ", ");
      diag << ")";
      return failure();
    }
    if (types.size() != numResults) {
      op->erase();
      return fail(at, "internal error: '" + name + "' gives " + Twine(types.size()) +
                          " results, expected " + Twine(numResults));
    }
    for (auto [result, type] : llvm::zip(op->getResults(), types))
      result.setType(type);
    return op;
  }
  FailureOr<Value> build1(SMLoc at, StringRef name, ValueRange operands,
                          ArrayRef<NamedAttribute> attributes = {}) {
    auto op = build(at, name, operands, attributes, 1);
    if (failed(op))
      return failure();
    return (*op)->getResult(0);
  }
  NamedAttribute attr(StringRef name, Attribute value) { return builder.getNamedAttr(name, value); }
  NamedAttribute segments(ArrayRef<int32_t> sizes) {
    return attr("operandSegmentSizes", builder.getDenseI32ArrayAttr(sizes));
  }
  Value indexConstant(SMLoc at, int64_t value) {
    return arith::ConstantIndexOp::create(builder, loc(at), value);
  }
  FailureOr<Value> reshape(SMLoc at, Value input, ArrayRef<int64_t> shape) {
    return build1(at, "heed.reshape", input, {attr("shape", builder.getDenseI64ArrayAttr(shape))});
  }
  static RankedTensorType tensorType(Value v) { return cast<RankedTensorType>(v.getType()); }
  static int64_t lastDim(Value v) {
    auto type = tensorType(v);
    return type.getRank() ? type.getShape().back() : kDyn;
  }
  LogicalResult requireQuery(Call &c, Value q) {
    if (tensorType(q).getRank() < 1)
      return fail(c.loc, "'" + c.name + "' needs a query [B, D] or [..., L, D], found " +
                             typeString(q.getType()));
    return success();
  }
  /// Attention operands have at least [L, D].
  LogicalResult requireRank2(Call &c, std::initializer_list<Value> values) {
    for (Value v : values)
      if (tensorType(v).getRank() < 2)
        return fail(c.loc, "'" + c.name + "' needs tensors of rank >= 2 ([..., L, D]), found " +
                               typeString(v.getType()));
    return success();
  }

  /// A literal number as a rank-0 tensor of `like`'s element type.
  FailureOr<Value> scalarTensor(const Val &literal, Type element) {
    Attribute value;
    if (isa<FloatType>(element))
      value = FloatAttr::get(element, literal.asDouble());
    else if (element.isInteger(1))
      value = builder.getBoolAttr(literal.asDouble() != 0);
    else if (isa<IntegerType>(element)) {
      if (literal.kind != Val::integer)
        return fail(literal.loc, "a fractional number cannot combine with an integer tensor");
      value = IntegerAttr::get(element, literal.intValue);
    } else
      return fail(literal.loc, "unsupported element type");
    auto type = RankedTensorType::get({}, element);
    auto attrValue = DenseElementsAttr::get(type, value);
    return build1(literal.loc, "heed.constant", {}, {attr("value", attrValue)});
  }

  //===--------------------------------------------------------------------===//
  // Weights
  //===--------------------------------------------------------------------===//

  bool hasWeight(StringRef name) { return weights && weights->find(name.str()); }

  /// The weight `name` as a heed.weight at the top of the function, checked
  /// against `expected` (kDyn: any size; empty: any shape).
  FailureOr<Value> weight(SMLoc at, StringRef name, std::optional<ArrayRef<int64_t>> expected,
                          StringRef purpose) {
    if (!weights)
      return fail(at, "weight '" + name +
                          "' is used but the model names no weights file; add `weights "
                          "\"FILE.safetensors\"` after the model line");
    const ::heed::TensorView *view = weights->find(name.str());
    if (!view) {
      auto diag = error(at);
      diag << "weight '" << name << "' is not in the weights file '" << weightsName << "'";
      // Suggest names that share the prefix, the usual typo.
      std::string prefix =
          name.str().substr(0, name.rfind('.') == StringRef::npos ? 0 : name.rfind('.') + 1);
      std::vector<std::string> similar;
      for (const ::heed::TensorView &t : weights->tensors())
        if (!prefix.empty() && StringRef(t.name).starts_with(prefix))
          similar.push_back(t.name);
      if (!similar.empty() && similar.size() <= 6) {
        std::sort(similar.begin(), similar.end());
        diag << " (it has " << llvm::join(similar, ", ") << ")";
      }
      return failure();
    }
    Type element;
    switch (view->dtype) {
    case ::heed::DType::f32:
      element = builder.getF32Type();
      break;
    case ::heed::DType::f16:
      element = builder.getF16Type();
      break;
    case ::heed::DType::bf16:
      element = builder.getBF16Type();
      break;
    case ::heed::DType::f64:
      element = builder.getF64Type();
      break;
    default:
      return fail(at, "weight '" + name + "' has dtype " + ::heed::dtypeName(view->dtype) + "; " +
                          purpose + " needs a float tensor");
    }
    if (expected) {
      bool ok = expected->size() == view->shape.size();
      for (size_t i = 0; ok && i < expected->size(); ++i)
        ok = (*expected)[i] == kDyn || (*expected)[i] == view->shape[i];
      if (!ok)
        return fail(at, "weight '" + name + "' has shape " + shapeString(view->shape) + " but " +
                            purpose + " needs " + shapeString(*expected));
    }
    usedWeights.insert(name);
    auto found = functionWeights.find(name.str());
    if (found != functionWeights.end())
      return found->second;
    OpBuilder::InsertionGuard guard(builder);
    Block &entry = function.getBody().front();
    if (lastWeight)
      builder.setInsertionPointAfter(lastWeight);
    else
      builder.setInsertionPointToStart(&entry);
    auto type = RankedTensorType::get(view->shape, element);
    auto op = mlir::heed::WeightOp::create(builder, loc(at), type, builder.getStringAttr(name));
    lastWeight = op;
    functionWeights[name.str()] = op.getResult();
    return op.getResult();
  }

  //===--------------------------------------------------------------------===//
  // Top level
  //===--------------------------------------------------------------------===//

  /// The dims as the model names them (["B", "S", "256"]), when any is symbolic:
  /// the runtime binds sizes by these names (the batch dim of every state).
  Attribute dimsAttr(ArrayRef<std::string> dims) {
    if (llvm::all_of(dims, [](const std::string &d) { return llvm::isDigit(d[0]); }))
      return nullptr;
    SmallVector<Attribute> names;
    for (const std::string &d : dims)
      names.push_back(builder.getStringAttr(d));
    return builder.getArrayAttr(names);
  }

  LogicalResult parseHeader();
  LogicalResult parseFunction();
  LogicalResult parseBlock(bool inScan, SmallVectorImpl<Value> *yielded, SMLoc *yieldLoc);
  LogicalResult parseStatement(bool inScan, SmallVectorImpl<Value> *yielded, SMLoc *yieldLoc,
                               bool &done);
  LogicalResult parseLet();
  FailureOr<Val> parseScan(SMLoc at);
  FailureOr<std::vector<Val>> parseExprList();

  // Expressions.
  FailureOr<Val> parseExpr();
  FailureOr<Val> parseComparison();
  FailureOr<Val> parseAdditive();
  FailureOr<Val> parseMultiplicative();
  FailureOr<Val> parseUnary();
  FailureOr<Val> parsePrimary();
  FailureOr<Val> parseCall(Token name);
  FailureOr<Val> binary(SMLoc at, Token::Kind op, Val lhs, Val rhs);

  FailureOr<Value> asTensor(const Val &v, const Twine &what) {
    if (v.kind == Val::tensor)
      return v.value;
    if (v.kind == Val::tuple)
      return fail(v.loc, what + " takes one tensor, but this gives " +
                             std::to_string(v.items.size()) +
                             " results; bind them first with `let a, b = ...`");
    return fail(v.loc, "expected a tensor for " + what + ", found " + kindName(v.kind));
  }
  FailureOr<Value> asIndex(const Val &v, const Twine &what) {
    if (v.kind == Val::index)
      return v.value;
    if (v.kind == Val::integer) {
      if (v.intValue < 0)
        return fail(v.loc, what + " must not be negative");
      return indexConstant(v.loc, v.intValue);
    }
    return fail(v.loc, "expected a size (an integer or dim(x, axis)) for " + what + ", found " +
                           kindName(v.kind));
  }

  // Builtins.
  using Builtin = FailureOr<Val> (Importer::*)(Call &);
  struct BuiltinInfo {
    Builtin fn;
    std::vector<const char *> params; // in positional order
    bool variadic = false;
  };
  static const std::map<std::string, BuiltinInfo> &builtins();
  LogicalResult bindArgs(Call &call, const BuiltinInfo &info);

  const Val *get(Call &c, const char *name) {
    auto it = c.bound.find(name);
    return it == c.bound.end() ? nullptr : &it->second;
  }
  FailureOr<Value> tensorArg(Call &c, const char *name) {
    const Val *v = get(c, name);
    if (!v)
      return fail(c.loc, "'" + c.name + "' needs the argument '" + name + "'");
    return asTensor(*v, "'" + Twine(name) + "' of '" + c.name + "'");
  }
  FailureOr<Value> optTensorArg(Call &c, const char *name) {
    const Val *v = get(c, name);
    if (!v)
      return Value();
    return asTensor(*v, "'" + Twine(name) + "' of '" + c.name + "'");
  }
  FailureOr<int64_t> intArg(Call &c, const char *name, std::optional<int64_t> fallback) {
    const Val *v = get(c, name);
    if (!v) {
      if (fallback)
        return *fallback;
      return fail(c.loc, "'" + c.name + "' needs the argument '" + name + "'");
    }
    if (v->kind != Val::integer)
      return fail(v->loc, "expected an integer for '" + Twine(name) + "' of '" + c.name +
                              "', found " + kindName(v->kind));
    return v->intValue;
  }
  FailureOr<double> numberArg(Call &c, const char *name, std::optional<double> fallback) {
    const Val *v = get(c, name);
    if (!v) {
      if (fallback)
        return *fallback;
      return fail(c.loc, "'" + c.name + "' needs the argument '" + name + "'");
    }
    if (!v->isScalarLiteral())
      return fail(v->loc, "expected a number for '" + Twine(name) + "' of '" + c.name +
                              "', found " + kindName(v->kind));
    return v->asDouble();
  }
  FailureOr<bool> boolArg(Call &c, const char *name, bool fallback) {
    const Val *v = get(c, name);
    if (!v)
      return fallback;
    if (v->kind != Val::boolean)
      return fail(v->loc, "expected true or false for '" + Twine(name) + "' of '" + c.name +
                              "', found " + kindName(v->kind));
    return v->intValue != 0;
  }
  FailureOr<std::string> stringArg(Call &c, const char *name, std::optional<std::string> fallback) {
    const Val *v = get(c, name);
    if (!v) {
      if (fallback)
        return *fallback;
      return fail(c.loc, "'" + c.name + "' needs the argument '" + name + "'");
    }
    if (v->kind != Val::string)
      return fail(v->loc, "expected a string for '" + Twine(name) + "' of '" + c.name +
                              "', found " + kindName(v->kind));
    return v->str;
  }
  FailureOr<SmallVector<int64_t>> intListArg(Call &c, const char *name, bool allowScalar) {
    const Val *v = get(c, name);
    if (!v)
      return fail(c.loc, "'" + c.name + "' needs the argument '" + name + "'");
    SmallVector<int64_t> out;
    if (allowScalar && v->kind == Val::integer) {
      out.push_back(v->intValue);
      return out;
    }
    if (v->kind != Val::list)
      return fail(v->loc, "expected a list of integers such as [0, 2, 1] for '" + Twine(name) +
                              "' of '" + c.name + "'");
    for (const Val &item : v->items) {
      if (item.kind != Val::integer)
        return fail(item.loc, "expected an integer, found " + Twine(kindName(item.kind)));
      out.push_back(item.intValue);
    }
    return out;
  }
  SMLoc argLoc(Call &c, const char *name) {
    const Val *v = get(c, name);
    return v ? v->loc : c.loc;
  }
  FailureOr<std::string> prefixArg(Call &c) { return stringArg(c, "weights", std::nullopt); }

  Val tensorVal(Value v, SMLoc at) {
    Val out;
    out.kind = Val::tensor;
    out.value = v;
    out.loc = at;
    return out;
  }
  Val tupleVal(ArrayRef<Value> values, SMLoc at) {
    Val out;
    out.kind = Val::tuple;
    out.loc = at;
    for (Value v : values)
      out.items.push_back(tensorVal(v, at));
    return out;
  }
  FailureOr<Val> one(FailureOr<Value> v, SMLoc at) {
    if (failed(v))
      return failure();
    return tensorVal(*v, at);
  }

  // Op-level builtins.
  FailureOr<Val> unaryOp(Call &c, StringRef op) {
    auto x = tensorArg(c, "x");
    if (failed(x))
      return failure();
    return one(build1(c.loc, op, *x), c.loc);
  }
#define HEED_UNARY(fn, op)                                                                         \
  FailureOr<Val> fn(Call &c) { return unaryOp(c, op); }
  HEED_UNARY(bExp, "heed.exp")
  HEED_UNARY(bLog, "heed.log")
  HEED_UNARY(bTanh, "heed.tanh")
  HEED_UNARY(bSigmoid, "heed.sigmoid")
  HEED_UNARY(bRelu, "heed.relu")
  HEED_UNARY(bSqrt, "heed.sqrt")
  HEED_UNARY(bRsqrt, "heed.rsqrt")
  HEED_UNARY(bAbs, "heed.abs")
  HEED_UNARY(bNeg, "heed.neg")
  HEED_UNARY(bErf, "heed.erf")
  HEED_UNARY(bReciprocal, "heed.reciprocal")
  HEED_UNARY(bNot, "heed.not")
#undef HEED_UNARY
  FailureOr<Val> binaryCall(Call &c, Token::Kind kind, StringRef op) {
    const Val *a = get(c, "a");
    const Val *b = get(c, "b");
    if (!a || !b)
      return fail(c.loc, "'" + c.name + "' needs two operands");
    if (!op.empty()) {
      auto lhs = asTensor(*a, "'" + c.name + "'");
      auto rhs = asTensor(*b, "'" + c.name + "'");
      if (failed(lhs) || failed(rhs))
        return failure();
      return one(build1(c.loc, op, {*lhs, *rhs}), c.loc);
    }
    return binary(c.loc, kind, *a, *b);
  }
  FailureOr<Val> bAdd(Call &c) { return binaryCall(c, Token::plus, ""); }
  FailureOr<Val> bSub(Call &c) { return binaryCall(c, Token::minus, ""); }
  FailureOr<Val> bMul(Call &c) { return binaryCall(c, Token::star, ""); }
  FailureOr<Val> bDiv(Call &c) { return binaryCall(c, Token::slash, ""); }
  FailureOr<Val> bMaximum(Call &c) { return binaryCall(c, Token::eof, "heed.max"); }
  FailureOr<Val> bMinimum(Call &c) { return binaryCall(c, Token::eof, "heed.min"); }
  FailureOr<Val> bPow(Call &c) { return binaryCall(c, Token::eof, "heed.pow"); }
  FailureOr<Val> bAnd(Call &c) { return binaryCall(c, Token::eof, "heed.and"); }
  FailureOr<Val> bOr(Call &c) { return binaryCall(c, Token::eof, "heed.or"); }

  FailureOr<Val> bGelu(Call &c) {
    auto x = tensorArg(c, "x");
    auto approx = stringArg(c, "approximate", std::string("none"));
    if (failed(x) || failed(approx))
      return failure();
    if (*approx != "none" && *approx != "tanh")
      return fail(argLoc(c, "approximate"), "expected \"none\" or \"tanh\"");
    return one(build1(c.loc, "heed.gelu", *x,
                      {attr("approximate",
                            GeluApproxAttr::get(context, *approx == "tanh" ? GeluApprox::tanh
                                                                           : GeluApprox::none))}),
               c.loc);
  }
  FailureOr<Val> bMatmul(Call &c) {
    auto a = tensorArg(c, "a");
    auto b = tensorArg(c, "b");
    auto ta = boolArg(c, "transpose_a", false);
    auto tb = boolArg(c, "transpose_b", false);
    if (failed(a) || failed(b) || failed(ta) || failed(tb))
      return failure();
    SmallVector<NamedAttribute> attrs;
    if (*ta)
      attrs.push_back(attr("transpose_a", builder.getBoolAttr(true)));
    if (*tb)
      attrs.push_back(attr("transpose_b", builder.getBoolAttr(true)));
    return one(build1(c.loc, "heed.matmul", {*a, *b}, attrs), c.loc);
  }
  FailureOr<Val> bTranspose(Call &c) {
    auto x = tensorArg(c, "x");
    if (failed(x))
      return failure();
    SmallVector<int64_t> perm;
    if (get(c, "perm")) {
      auto p = intListArg(c, "perm", false);
      if (failed(p))
        return failure();
      perm = *p;
    } else {
      // Swap the last two dims.
      int64_t rank = tensorType(*x).getRank();
      if (rank < 2)
        return fail(c.loc, "'transpose' without a permutation swaps the last two dims and "
                           "needs rank >= 2");
      for (int64_t i = 0; i < rank; ++i)
        perm.push_back(i);
      std::swap(perm[rank - 1], perm[rank - 2]);
    }
    return one(build1(c.loc, "heed.transpose", *x,
                      {attr("permutation", builder.getDenseI64ArrayAttr(perm))}),
               c.loc);
  }
  FailureOr<Val> bReshape(Call &c) {
    auto x = tensorArg(c, "x");
    auto shape = intListArg(c, "shape", false);
    if (failed(x) || failed(shape))
      return failure();
    return one(reshape(c.loc, *x, *shape), c.loc);
  }
  FailureOr<Val> softmaxLike(Call &c, StringRef op) {
    auto x = tensorArg(c, "x");
    auto axis = intArg(c, "axis", -1);
    if (failed(x) || failed(axis))
      return failure();
    return one(build1(c.loc, op, *x, {attr("axis", builder.getI64IntegerAttr(*axis))}), c.loc);
  }
  FailureOr<Val> bSoftmax(Call &c) { return softmaxLike(c, "heed.softmax"); }
  FailureOr<Val> bLogSoftmax(Call &c) { return softmaxLike(c, "heed.log_softmax"); }
  FailureOr<Val> bWhere(Call &c) {
    const Val *cond = get(c, "condition");
    const Val *a = get(c, "a");
    const Val *b = get(c, "b");
    if (!cond || !a || !b)
      return fail(c.loc, "'where' needs a condition and two values");
    auto condition = asTensor(*cond, "the condition of 'where'");
    if (failed(condition))
      return failure();
    // A literal takes the element type of the other branch.
    Value values[2];
    const Val *branches[2] = {a, b};
    for (int i = 0; i < 2; ++i) {
      if (branches[i]->kind == Val::tensor) {
        values[i] = branches[i]->value;
        continue;
      }
      const Val *other = branches[1 - i];
      if (!branches[i]->isScalarLiteral() || other->kind != Val::tensor)
        return fail(branches[i]->loc,
                    "expected a tensor (or a number beside a tensor) for 'where'");
      auto scalar = scalarTensor(*branches[i], tensorType(other->value).getElementType());
      if (failed(scalar))
        return failure();
      values[i] = *scalar;
    }
    return one(build1(c.loc, "heed.where", {*condition, values[0], values[1]}), c.loc);
  }
  FailureOr<Val> bConcat(Call &c) {
    auto axis = intArg(c, "axis", -1);
    if (failed(axis))
      return failure();
    SmallVector<Value> inputs;
    for (const Val &v : c.rest) {
      auto t = asTensor(v, "'concat'");
      if (failed(t))
        return failure();
      inputs.push_back(*t);
    }
    if (inputs.empty())
      return fail(c.loc, "'concat' needs at least one tensor");
    return one(
        build1(c.loc, "heed.concat", inputs, {attr("axis", builder.getI64IntegerAttr(*axis))}),
        c.loc);
  }
  FailureOr<Val> bSlice(Call &c) {
    auto x = tensorArg(c, "x");
    auto axis = intArg(c, "axis", std::nullopt);
    auto start = intArg(c, "start", 0);
    auto end = intArg(c, "end", std::numeric_limits<int64_t>::max());
    auto step = intArg(c, "step", 1);
    if (failed(x) || failed(axis) || failed(start) || failed(end) || failed(step))
      return failure();
    if (*step <= 0)
      return fail(argLoc(c, "step"), "the step of 'slice' must be positive");
    return one(build1(c.loc, "heed.slice", *x,
                      {attr("axis", builder.getI64IntegerAttr(*axis)),
                       attr("start", builder.getI64IntegerAttr(*start)),
                       attr("end", builder.getI64IntegerAttr(*end)),
                       attr("step", builder.getI64IntegerAttr(*step))}),
               c.loc);
  }
  FailureOr<Val> bGather(Call &c) {
    auto x = tensorArg(c, "x");
    auto indices = tensorArg(c, "indices");
    auto axis = intArg(c, "axis", 0);
    if (failed(x) || failed(indices) || failed(axis))
      return failure();
    return one(build1(c.loc, "heed.gather", {*x, *indices},
                      {attr("axis", builder.getI64IntegerAttr(*axis))}),
               c.loc);
  }
  FailureOr<Val> bCast(Call &c) {
    auto x = tensorArg(c, "x");
    auto to = stringArg(c, "to", std::nullopt);
    if (failed(x) || failed(to))
      return failure();
    Type element = elementType(*to);
    if (!element)
      return fail(argLoc(c, "to"), "unknown element type \"" + *to + "\"");
    return one(build1(c.loc, "heed.cast", *x, {attr("to", TypeAttr::get(element))}), c.loc);
  }
  FailureOr<Val> reduce(Call &c, ReduceKind kind) {
    auto x = tensorArg(c, "x");
    auto keep = boolArg(c, "keep_dims", false);
    if (failed(x) || failed(keep))
      return failure();
    SmallVector<int64_t> axes{-1};
    if (get(c, "axes")) {
      auto list = intListArg(c, "axes", true);
      if (failed(list))
        return failure();
      axes = *list;
    }
    return one(build1(c.loc, "heed.reduce", *x,
                      {attr("kind", ReduceKindAttr::get(context, kind)),
                       attr("axes", builder.getDenseI64ArrayAttr(axes)),
                       attr("keep_dims", builder.getBoolAttr(*keep))}),
               c.loc);
  }
  FailureOr<Val> bSum(Call &c) { return reduce(c, ReduceKind::sum); }
  FailureOr<Val> bMean(Call &c) { return reduce(c, ReduceKind::mean); }
  FailureOr<Val> bReduceMax(Call &c) { return reduce(c, ReduceKind::max); }
  FailureOr<Val> bReduceMin(Call &c) { return reduce(c, ReduceKind::min); }
  FailureOr<Val> bArgmax(Call &c) {
    auto x = tensorArg(c, "x");
    auto axis = intArg(c, "axis", -1);
    auto keep = boolArg(c, "keep_dims", false);
    if (failed(x) || failed(axis) || failed(keep))
      return failure();
    return one(build1(c.loc, "heed.argmax", *x,
                      {attr("axis", builder.getI64IntegerAttr(*axis)),
                       attr("keep_dims", builder.getBoolAttr(*keep))}),
               c.loc);
  }
  FailureOr<Val> bDim(Call &c) {
    auto x = tensorArg(c, "x");
    auto axis = intArg(c, "axis", std::nullopt);
    if (failed(x) || failed(axis))
      return failure();
    int64_t rank = tensorType(*x).getRank();
    if (*axis < -rank || *axis >= rank)
      return fail(argLoc(c, "axis"), "axis " + std::to_string(*axis) + " is out of range for " +
                                         typeString(x->getType()));
    Val out;
    out.kind = Val::index;
    out.loc = c.loc;
    out.value = mlir::heed::DimOp::create(builder, loc(c.loc), builder.getIndexType(), *x,
                                          builder.getI64IntegerAttr(*axis));
    return out;
  }
  FailureOr<Val> bFull(Call &c, double fallbackValue) {
    const Val *shape = get(c, "shape");
    if (!shape || shape->kind != Val::list)
      return fail(shape ? shape->loc : c.loc,
                  "'" + c.name + "' needs a shape list such as [dim(x, 0), 0, 32]");
    auto value = numberArg(c, "value", fallbackValue);
    auto dtype = stringArg(c, "dtype", std::string("f32"));
    if (failed(value) || failed(dtype))
      return failure();
    Type element = elementType(*dtype);
    if (!element)
      return fail(argLoc(c, "dtype"), "unknown element type \"" + *dtype + "\"");
    SmallVector<int64_t> dims;
    SmallVector<Value> dynamic;
    for (const Val &item : shape->items) {
      if (item.kind == Val::integer && item.intValue >= 0) {
        dims.push_back(item.intValue);
      } else if (item.kind == Val::index) {
        dims.push_back(kDyn);
        dynamic.push_back(item.value);
      } else {
        return fail(item.loc, "expected a size (an integer or dim(x, axis)) in the shape");
      }
    }
    TypedAttr fill;
    if (isa<FloatType>(element))
      fill = FloatAttr::get(element, *value);
    else
      fill = IntegerAttr::get(element, static_cast<int64_t>(*value));
    auto type = RankedTensorType::get(dims, element);
    return tensorVal(mlir::heed::FullOp::create(builder, loc(c.loc), type, fill, dynamic), c.loc);
  }
  FailureOr<Val> bZeros(Call &c) { return bFull(c, 0.0); }
  FailureOr<Val> bFullValue(Call &c) { return bFull(c, 0.0); }
  FailureOr<Val> bSequenceMask(Call &c) {
    auto lengths = tensorArg(c, "lengths");
    if (failed(lengths))
      return failure();
    const Val *max = get(c, "max_length");
    if (!max)
      return fail(c.loc, "'sequence_mask' needs 'max_length'");
    auto n = asIndex(*max, "'max_length'");
    if (failed(n))
      return failure();
    return one(build1(c.loc, "heed.sequence_mask", {*lengths, *n}), c.loc);
  }
  FailureOr<Val> bCausalMask(Call &c) {
    const Val *q = get(c, "query_length");
    const Val *k = get(c, "key_length");
    if (!q)
      return fail(c.loc, "'causal_mask' needs 'query_length'");
    auto n = asIndex(*q, "'query_length'");
    if (failed(n))
      return failure();
    auto m = k ? asIndex(*k, "'key_length'") : FailureOr<Value>(*n);
    auto align = stringArg(c, "align", std::string("top_left"));
    if (failed(m) || failed(align))
      return failure();
    auto alignment = parseAlign(argLoc(c, "align"), *align);
    if (failed(alignment))
      return failure();
    return one(build1(c.loc, "heed.causal_mask", {*n, *m},
                      {attr("align", CausalAlignAttr::get(context, *alignment))}),
               c.loc);
  }
  FailureOr<CausalAlign> parseAlign(SMLoc at, StringRef align) {
    if (align == "top_left")
      return CausalAlign::top_left;
    if (align == "bottom_right")
      return CausalAlign::bottom_right;
    return fail(at, "expected \"top_left\" or \"bottom_right\"");
  }
  FailureOr<Value> positions(SMLoc at, Value offset, Value length, int64_t dim, double base,
                             bool interleaved) {
    return build1(at, "heed.sinusoidal_positions", {offset, length},
                  {attr("dim", builder.getI64IntegerAttr(dim)),
                   attr("base", builder.getF64FloatAttr(base)),
                   attr("interleaved", builder.getBoolAttr(interleaved))});
  }
  FailureOr<Val> bSinusoidalPositions(Call &c) {
    const Val *length = get(c, "length");
    if (!length)
      return fail(c.loc, "'sinusoidal_positions' needs 'length'");
    auto n = asIndex(*length, "'length'");
    auto dim = intArg(c, "dim", std::nullopt);
    auto base = numberArg(c, "base", 10000.0);
    auto interleaved = boolArg(c, "interleaved", true);
    if (failed(n) || failed(dim) || failed(base) || failed(interleaved))
      return failure();
    FailureOr<Value> offset = indexConstant(c.loc, 0);
    if (const Val *o = get(c, "offset"))
      offset = asIndex(*o, "'offset'");
    if (failed(offset))
      return failure();
    return one(positions(c.loc, *offset, *n, *dim, *base, *interleaved), c.loc);
  }
  FailureOr<Val> bWeight(Call &c) {
    auto name = stringArg(c, "name", std::nullopt);
    if (failed(name))
      return failure();
    return one(weight(argLoc(c, "name"), *name, std::nullopt, "'weight'"), c.loc);
  }

  // Layer-level builtins.
  FailureOr<Val> bEmbedding(Call &c) {
    auto ids = tensorArg(c, "ids");
    auto prefix = prefixArg(c);
    if (failed(ids) || failed(prefix))
      return failure();
    if (!isa<IntegerType>(tensorType(*ids).getElementType()))
      return fail(argLoc(c, "ids"),
                  "'embedding' needs integer token ids, found " + typeString(ids->getType()));
    SmallVector<int64_t> shape{kDyn, kDyn};
    auto table = weight(argLoc(c, "weights"), *prefix + ".weight", ArrayRef<int64_t>(shape),
                        "an embedding table [vocab, dim]");
    if (failed(table))
      return failure();
    return one(build1(c.loc, "heed.embedding", {*table, *ids}), c.loc);
  }
  FailureOr<Value> linear(SMLoc at, SMLoc weightsAt, Value x, StringRef prefix) {
    int64_t in = tensorType(x).getShape().empty() ? kDyn : tensorType(x).getShape().back();
    SmallVector<int64_t> shape{kDyn, in};
    auto w = weight(weightsAt, (prefix + ".weight").str(), ArrayRef<int64_t>(shape),
                    "a linear layer on " + typeString(x.getType()) + " (weight [out, in])");
    if (failed(w))
      return failure();
    SmallVector<Value> operands{x, *w};
    std::string biasName = (prefix + ".bias").str();
    if (hasWeight(biasName)) {
      SmallVector<int64_t> bshape{tensorType(*w).getDimSize(0)};
      auto b = weight(weightsAt, biasName, ArrayRef<int64_t>(bshape), "the linear layer's bias");
      if (failed(b))
        return failure();
      operands.push_back(*b);
    }
    return build1(at, "heed.linear", operands);
  }
  FailureOr<Val> bLinear(Call &c) {
    auto x = tensorArg(c, "x");
    auto prefix = prefixArg(c);
    if (failed(x) || failed(prefix))
      return failure();
    return one(linear(c.loc, argLoc(c, "weights"), *x, *prefix), c.loc);
  }
  FailureOr<Val> bLayerNorm(Call &c) {
    auto x = tensorArg(c, "x");
    auto prefix = prefixArg(c);
    auto eps = numberArg(c, "eps", 1e-5);
    if (failed(x) || failed(prefix) || failed(eps))
      return failure();
    auto type = tensorType(*x);
    SmallVector<int64_t> shape{type.getRank() ? type.getShape().back() : kDyn};
    SMLoc wl = argLoc(c, "weights");
    auto g = weight(wl, *prefix + ".weight", ArrayRef<int64_t>(shape),
                    "layer_norm on " + typeString(type));
    auto b = succeeded(g) ? weight(wl, *prefix + ".bias", ArrayRef<int64_t>(shape),
                                   "layer_norm on " + typeString(type))
                          : FailureOr<Value>(failure());
    if (failed(g) || failed(b))
      return failure();
    return one(build1(c.loc, "heed.layer_norm", {*x, *g, *b},
                      {segments({1, 1, 1}), attr("axis", builder.getI64IntegerAttr(-1)),
                       attr("epsilon", builder.getF32FloatAttr(*eps))}),
               c.loc);
  }
  FailureOr<Val> bFeedForward(Call &c) {
    auto x = tensorArg(c, "x");
    auto prefix = prefixArg(c);
    auto activation = stringArg(c, "activation", std::string("relu"));
    if (failed(x) || failed(prefix) || failed(activation))
      return failure();
    SMLoc wl = argLoc(c, "weights");
    auto hidden = linear(c.loc, wl, *x, *prefix + ".fc1");
    if (failed(hidden))
      return failure();
    FailureOr<Value> act;
    if (*activation == "relu")
      act = build1(c.loc, "heed.relu", *hidden);
    else if (*activation == "gelu")
      act = build1(c.loc, "heed.gelu", *hidden);
    else if (*activation == "tanh")
      act = build1(c.loc, "heed.tanh", *hidden);
    else
      return fail(argLoc(c, "activation"), "expected \"relu\", \"gelu\" or \"tanh\"");
    if (failed(act))
      return failure();
    return one(linear(c.loc, wl, *act, *prefix + ".fc2"), c.loc);
  }
  FailureOr<Val> bResidual(Call &c) {
    auto x = tensorArg(c, "x");
    auto y = tensorArg(c, "y");
    if (failed(x) || failed(y))
      return failure();
    return one(build1(c.loc, "heed.add", {*x, *y}), c.loc);
  }
  FailureOr<Val> bPositionalEncoding(Call &c) {
    auto x = tensorArg(c, "x");
    if (failed(x))
      return failure();
    auto type = tensorType(*x);
    if (type.getRank() != 3 || type.isDynamicDim(2))
      return fail(argLoc(c, "x"), "'positional_encoding' needs [B, S, D] with a static D, "
                                  "found " +
                                      typeString(type));
    FailureOr<Value> offset = indexConstant(c.loc, 0);
    if (const Val *o = get(c, "offset"))
      offset = asIndex(*o, "'offset'");
    if (failed(offset))
      return failure();
    Value length = mlir::heed::DimOp::create(builder, loc(c.loc), builder.getIndexType(), *x,
                                             builder.getI64IntegerAttr(1));
    auto pos = positions(c.loc, *offset, length, type.getDimSize(2), 10000.0, true);
    if (failed(pos))
      return failure();
    return one(build1(c.loc, "heed.add", {*x, *pos}), c.loc);
  }

  FailureOr<Val> recurrent(Call &c, StringRef op, int gates) {
    auto x = tensorArg(c, "x");
    auto prefix = prefixArg(c);
    auto layers = intArg(c, "layers", 1);
    auto bidirectional = boolArg(c, "bidirectional", false);
    auto batchFirst = boolArg(c, "batch_first", true);
    auto lengths = optTensorArg(c, "lengths");
    auto h0 = optTensorArg(c, "h0");
    auto c0 = optTensorArg(c, "c0");
    if (failed(x) || failed(prefix) || failed(layers) || failed(bidirectional) ||
        failed(batchFirst) || failed(lengths) || failed(h0) || failed(c0))
      return failure();
    if (*layers < 1 || *layers > 64)
      return fail(argLoc(c, "layers"), "'layers' must be between 1 and 64");
    bool isLstm = gates == 4;
    if (!isLstm && *c0)
      return fail(argLoc(c, "c0"), "only 'lstm' has a cell state 'c0'");
    if (isLstm && (bool(*h0) != bool(*c0)))
      return fail(c.loc, "'lstm' needs both 'h0' and 'c0', or neither");
    auto type = tensorType(*x);
    if (type.getRank() != 3)
      return fail(argLoc(c, "x"),
                  "'" + c.name + "' needs a [B, T, features] input, found " + typeString(type));
    SMLoc wl = argLoc(c, "weights");
    int dirs = *bidirectional ? 2 : 1;
    std::string first = *prefix + ".weight_hh_l0";
    if (!hasWeight(first)) {
      (void)weight(wl, first, std::nullopt, c.name);
      return failure();
    }
    const ::heed::TensorView *hh = weights->find(first);
    if (hh->shape.size() != 2 || hh->shape[1] <= 0 || hh->shape[0] != gates * hh->shape[1])
      return fail(wl, "weight '" + first + "' has shape " + shapeString(hh->shape) + " but " +
                          c.name + " needs [" + std::to_string(gates) + "*hidden, hidden]");
    int64_t hidden = hh->shape[1];
    bool hasBiases = hasWeight(*prefix + ".bias_ih_l0");
    SmallVector<Value> ws;
    for (int64_t layer = 0; layer < *layers; ++layer) {
      for (int dir = 0; dir < dirs; ++dir) {
        std::string suffix = "_l" + std::to_string(layer) + (dir ? "_reverse" : "");
        int64_t in = layer == 0 ? type.getDimSize(2) : dirs * hidden;
        SmallVector<int64_t> ih{gates * hidden, in}, hhs{gates * hidden, hidden}, b{gates * hidden};
        std::string what = c.name + " layer " + std::to_string(layer) + (dir ? " (reverse)" : "") +
                           " with hidden size " + std::to_string(hidden);
        auto wih = weight(wl, *prefix + ".weight_ih" + suffix, ArrayRef<int64_t>(ih), what);
        if (failed(wih))
          return failure();
        auto whh = weight(wl, *prefix + ".weight_hh" + suffix, ArrayRef<int64_t>(hhs), what);
        if (failed(whh))
          return failure();
        ws.push_back(*wih);
        ws.push_back(*whh);
        if (hasBiases) {
          auto bih = weight(wl, *prefix + ".bias_ih" + suffix, ArrayRef<int64_t>(b), what);
          if (failed(bih))
            return failure();
          auto bhh = weight(wl, *prefix + ".bias_hh" + suffix, ArrayRef<int64_t>(b), what);
          if (failed(bhh))
            return failure();
          ws.push_back(*bih);
          ws.push_back(*bhh);
        }
      }
    }
    SmallVector<Value> operands{*x};
    SmallVector<int32_t> segs{1};
    if (*h0)
      operands.push_back(*h0);
    segs.push_back(*h0 ? 1 : 0);
    if (isLstm) {
      if (*c0)
        operands.push_back(*c0);
      segs.push_back(*c0 ? 1 : 0);
    }
    if (*lengths)
      operands.push_back(*lengths);
    segs.push_back(*lengths ? 1 : 0);
    llvm::append_range(operands, ws);
    segs.push_back(ws.size());
    SmallVector<NamedAttribute> attrs{segments(segs),
                                      attr("hidden_size", builder.getI64IntegerAttr(hidden)),
                                      attr("num_layers", builder.getI64IntegerAttr(*layers)),
                                      attr("bidirectional", builder.getBoolAttr(*bidirectional)),
                                      attr("batch_first", builder.getBoolAttr(*batchFirst)),
                                      attr("has_biases", builder.getBoolAttr(hasBiases))};
    if (gates == 1) {
      auto activation = stringArg(c, "activation", std::string("tanh"));
      if (failed(activation))
        return failure();
      if (*activation != "tanh" && *activation != "relu")
        return fail(argLoc(c, "activation"), "expected \"tanh\" or \"relu\"");
      attrs.push_back(
          attr("activation",
               RnnActivationAttr::get(context, *activation == "relu" ? RnnActivation::relu
                                                                     : RnnActivation::tanh)));
    }
    auto result = build(c.loc, op, operands, attrs, isLstm ? 3 : 2);
    if (failed(result))
      return failure();
    return tupleVal(SmallVector<Value>((*result)->getResults()), c.loc);
  }
  FailureOr<Val> bLstm(Call &c) { return recurrent(c, "heed.lstm", 4); }
  FailureOr<Val> bGru(Call &c) { return recurrent(c, "heed.gru", 3); }
  FailureOr<Val> bRnn(Call &c) { return recurrent(c, "heed.rnn", 1); }

  FailureOr<Val> cell(Call &c, StringRef op, int gates) {
    auto x = tensorArg(c, "x");
    auto h = tensorArg(c, "h");
    bool isLstm = gates == 4;
    FailureOr<Value> cs = isLstm ? tensorArg(c, "c") : FailureOr<Value>(Value());
    auto prefix = prefixArg(c);
    if (failed(x) || failed(h) || failed(cs) || failed(prefix))
      return failure();
    SMLoc wl = argLoc(c, "weights");
    auto ht = tensorType(*h);
    auto xt = tensorType(*x);
    if (ht.getRank() != 2 || xt.getRank() != 2)
      return fail(c.loc, "'" + c.name + "' needs x [B, in] and h [B, hidden], found " +
                             typeString(xt) + " and " + typeString(ht));
    int64_t hidden = ht.getDimSize(1), in = xt.getDimSize(1);
    int64_t rows = hidden == kDyn ? kDyn : gates * hidden;
    SmallVector<int64_t> ih{rows, in}, hh{rows, hidden}, b{rows};
    std::string what = c.name + " with input " + typeString(xt) + " and state " + typeString(ht);
    auto wih = weight(wl, *prefix + ".weight_ih", ArrayRef<int64_t>(ih), what);
    if (failed(wih))
      return failure();
    auto whh = weight(wl, *prefix + ".weight_hh", ArrayRef<int64_t>(hh), what);
    if (failed(whh))
      return failure();
    SmallVector<Value> operands{*x, *h};
    if (isLstm)
      operands.push_back(*cs);
    operands.push_back(*wih);
    operands.push_back(*whh);
    if (hasWeight(*prefix + ".bias_ih")) {
      auto bih = weight(wl, *prefix + ".bias_ih", ArrayRef<int64_t>(b), what);
      auto bhh = succeeded(bih) ? weight(wl, *prefix + ".bias_hh", ArrayRef<int64_t>(b), what)
                                : FailureOr<Value>(failure());
      if (failed(bih) || failed(bhh))
        return failure();
      operands.push_back(*bih);
      operands.push_back(*bhh);
    }
    SmallVector<NamedAttribute> attrs;
    if (gates == 1) {
      auto activation = stringArg(c, "activation", std::string("tanh"));
      if (failed(activation))
        return failure();
      if (*activation != "tanh" && *activation != "relu")
        return fail(argLoc(c, "activation"), "expected \"tanh\" or \"relu\"");
      attrs.push_back(
          attr("activation",
               RnnActivationAttr::get(context, *activation == "relu" ? RnnActivation::relu
                                                                     : RnnActivation::tanh)));
    }
    auto result = build(c.loc, op, operands, attrs, isLstm ? 2 : 1);
    if (failed(result))
      return failure();
    if (isLstm)
      return tupleVal(SmallVector<Value>((*result)->getResults()), c.loc);
    return tensorVal((*result)->getResult(0), c.loc);
  }
  FailureOr<Val> bLstmCell(Call &c) { return cell(c, "heed.lstm_cell", 4); }
  FailureOr<Val> bGruCell(Call &c) { return cell(c, "heed.gru_cell", 3); }
  FailureOr<Val> bRnnCell(Call &c) { return cell(c, "heed.rnn_cell", 1); }

  /// Mask arguments shared by the attention builtins.
  LogicalResult maskArgs(Call &c, uint32_t &kind, Value &mask, bool allowCausal) {
    kind = 0;
    const char *names[] = {"lengths", "mask", "additive_mask"};
    MaskKind kinds[] = {MaskKind::lengths, MaskKind::boolean, MaskKind::additive};
    const Val *seen = nullptr;
    for (int i = 0; i < 3; ++i) {
      const Val *v = get(c, names[i]);
      if (!v)
        continue;
      if (seen)
        return fail(v->loc, "'" + c.name +
                                "' takes at most one of lengths, mask and "
                                "additive_mask");
      seen = v;
      auto t = asTensor(*v, "'" + Twine(names[i]) + "'");
      if (failed(t))
        return failure();
      mask = *t;
      kind |= static_cast<uint32_t>(kinds[i]);
    }
    auto causal = boolArg(c, "causal", false);
    if (failed(causal))
      return failure();
    if (*causal) {
      if (!allowCausal)
        return fail(argLoc(c, "causal"), "'" + c.name + "' has no causal mask");
      kind |= static_cast<uint32_t>(MaskKind::causal);
    }
    return success();
  }

  /// heed.attention; a [B, D] query (one decoder step) is attended as [B, 1, D].
  FailureOr<Val> attention(Call &c, Value q, Value k, Value v, double scale, int64_t heads,
                           int64_t kvHeads, uint32_t maskKind, Value mask, CausalAlign align) {
    if (failed(requireQuery(c, q)) || failed(requireRank2(c, {k, v})))
      return failure();
    bool step = tensorType(q).getRank() == 2 && tensorType(k).getRank() == 3;
    if (step) {
      auto q3 = reshape(
          c.loc, q,
          {0, 1, tensorType(q).getShape().back() == kDyn ? -1 : tensorType(q).getShape().back()});
      if (failed(q3))
        return failure();
      q = *q3;
    }
    SmallVector<Value> operands{q, k, v};
    if (mask)
      operands.push_back(mask);
    bool withWeights = c.targets >= 2;
    SmallVector<NamedAttribute> attrs{attr("scale", builder.getF32FloatAttr(scale))};
    if (heads)
      attrs.push_back(attr("num_heads", builder.getI64IntegerAttr(heads)));
    if (kvHeads)
      attrs.push_back(attr("num_kv_heads", builder.getI64IntegerAttr(kvHeads)));
    if (maskKind)
      attrs.push_back(
          attr("mask_kind", MaskKindAttr::get(context, static_cast<MaskKind>(maskKind))));
    if (align != CausalAlign::top_left)
      attrs.push_back(attr("causal_align", CausalAlignAttr::get(context, align)));
    if (withWeights)
      attrs.push_back(attr("return_weights", builder.getUnitAttr()));
    auto op = build(c.loc, "heed.attention", operands, attrs, withWeights ? 2 : 1);
    if (failed(op))
      return failure();
    SmallVector<Value> results((*op)->getResults());
    if (step) {
      int64_t dv = lastDim(results[0]);
      auto out = reshape(c.loc, results[0], {0, dv == kDyn ? -1 : dv});
      if (failed(out))
        return failure();
      results[0] = *out;
      if (withWeights) {
        auto w = reshape(c.loc, results[1], {0, -1});
        if (failed(w))
          return failure();
        results[1] = *w;
      }
    }
    if (withWeights)
      return tupleVal(results, c.loc);
    return tensorVal(results[0], c.loc);
  }
  FailureOr<double> defaultScale(Call &c, Value q, int64_t heads) {
    if (get(c, "scale"))
      return numberArg(c, "scale", std::nullopt);
    int64_t d = lastDim(q);
    if (d == kDyn || (heads && d % heads))
      return fail(c.loc, "'" + c.name + "' cannot derive 1/sqrt(d) from the query " +
                             typeString(q.getType()) + "; give 'scale'");
    return 1.0 / std::sqrt(double(heads ? d / heads : d));
  }
  FailureOr<Val> bAttention(Call &c) {
    auto q = tensorArg(c, "query");
    auto k = tensorArg(c, "keys");
    auto v = tensorArg(c, "values");
    auto heads = intArg(c, "heads", 0);
    auto kvHeads = intArg(c, "kv_heads", 0);
    auto align = stringArg(c, "align", std::string("top_left"));
    if (failed(q) || failed(k) || failed(v) || failed(heads) || failed(kvHeads) || failed(align))
      return failure();
    auto alignment = parseAlign(argLoc(c, "align"), *align);
    auto scale = defaultScale(c, *q, *heads);
    uint32_t kind;
    Value mask;
    if (failed(alignment) || failed(scale) || failed(maskArgs(c, kind, mask, true)))
      return failure();
    return attention(c, *q, *k, *v, *scale, *heads, *kvHeads, kind, mask, *alignment);
  }
  FailureOr<Val> additive(Call &c, Value q, Value keys, Value values, StringRef prefix, SMLoc wl) {
    uint32_t kind;
    Value mask;
    if (failed(maskArgs(c, kind, mask, false)))
      return failure();
    if (failed(requireQuery(c, q)) || failed(requireRank2(c, {keys, values})))
      return failure();
    int64_t a = lastDim(keys);
    int64_t dq = lastDim(q);
    SmallVector<int64_t> wq{a, dq}, vs{a};
    std::string what = c.name + " with query " + typeString(q.getType()) + " and keys " +
                       typeString(keys.getType());
    auto w = weight(wl, (prefix + ".query.weight").str(), ArrayRef<int64_t>(wq), what);
    if (failed(w))
      return failure();
    auto vv = weight(wl, (prefix + ".v").str(), ArrayRef<int64_t>(vs), what);
    if (failed(vv))
      return failure();
    SmallVector<Value> operands{q, keys, values, *w, *vv};
    if (mask)
      operands.push_back(mask);
    bool withWeights = c.targets >= 2;
    SmallVector<NamedAttribute> attrs;
    if (kind)
      attrs.push_back(attr("mask_kind", MaskKindAttr::get(context, static_cast<MaskKind>(kind))));
    if (withWeights)
      attrs.push_back(attr("return_weights", builder.getUnitAttr()));
    auto op = build(c.loc, "heed.additive_attention", operands, attrs, withWeights ? 2 : 1);
    if (failed(op))
      return failure();
    if (withWeights)
      return tupleVal(SmallVector<Value>((*op)->getResults()), c.loc);
    return tensorVal((*op)->getResult(0), c.loc);
  }
  FailureOr<Val> bBahdanau(Call &c) {
    auto q = tensorArg(c, "query");
    auto k = tensorArg(c, "keys");
    auto v = tensorArg(c, "values");
    auto prefix = prefixArg(c);
    if (failed(q) || failed(k) || failed(v) || failed(prefix))
      return failure();
    return additive(c, *q, *k, *v, *prefix, argLoc(c, "weights"));
  }
  FailureOr<Val> bLuong(Call &c) {
    auto q = tensorArg(c, "query");
    auto k = tensorArg(c, "keys");
    auto v = tensorArg(c, "values");
    auto score = stringArg(c, "score", std::string("dot"));
    if (failed(q) || failed(k) || failed(v) || failed(score))
      return failure();
    if (*score == "concat") {
      auto prefix = prefixArg(c);
      if (failed(prefix))
        return failure();
      return additive(c, *q, *k, *v, *prefix, argLoc(c, "weights"));
    }
    if (*score != "dot" && *score != "general")
      return fail(argLoc(c, "score"), "expected \"dot\", \"general\" or \"concat\"");
    if (get(c, "weights"))
      return fail(argLoc(c, "weights"),
                  "luong " + *score +
                      " takes no weights here: for \"general\", compute the keys once per "
                      "source in encode with linear(memory, \"W_a\")");
    uint32_t kind;
    Value mask;
    if (failed(maskArgs(c, kind, mask, false)))
      return failure();
    return attention(c, *q, *k, *v, 1.0, 0, 0, kind, mask, CausalAlign::top_left);
  }
  /// Multi-head attention with W_q, W_k, W_v, W_o (prefix.q_proj, k_proj,
  /// v_proj, out_proj). Keys and values are projected here from `memory`, or
  /// given already projected (computed once in encode).
  FailureOr<Val> multihead(Call &c, Value x, Value memory) {
    auto prefix = prefixArg(c);
    auto heads = intArg(c, "heads", std::nullopt);
    auto kIn = optTensorArg(c, "keys");
    auto vIn = optTensorArg(c, "values");
    if (failed(prefix) || failed(heads) || failed(kIn) || failed(vIn))
      return failure();
    if (*heads <= 0)
      return fail(argLoc(c, "heads"), "'heads' must be positive");
    if (bool(*kIn) != bool(*vIn))
      return fail(c.loc, "give both 'keys' and 'values' (already projected), or neither");
    if (*kIn && memory)
      return fail(argLoc(c, "keys"), "give either a memory to project or projected 'keys' and "
                                     "'values', not both");
    SMLoc wl = argLoc(c, "weights");
    auto q = linear(c.loc, wl, x, *prefix + ".q_proj");
    if (failed(q))
      return failure();
    Value k = *kIn, v = *vIn;
    if (!k) {
      Value source = memory ? memory : x;
      auto kp = linear(c.loc, wl, source, *prefix + ".k_proj");
      if (failed(kp))
        return failure();
      auto vp = linear(c.loc, wl, source, *prefix + ".v_proj");
      if (failed(vp))
        return failure();
      k = *kp;
      v = *vp;
    }
    auto scale = defaultScale(c, *q, *heads);
    uint32_t kind;
    Value mask;
    if (failed(scale) || failed(maskArgs(c, kind, mask, true)))
      return failure();
    auto align = stringArg(c, "align", std::string("top_left"));
    if (failed(align))
      return failure();
    auto alignment = parseAlign(argLoc(c, "align"), *align);
    if (failed(alignment))
      return failure();
    unsigned targets = c.targets;
    c.targets = std::min(targets, 2u);
    auto att = attention(c, *q, k, v, *scale, *heads, 0, kind, mask, *alignment);
    c.targets = targets;
    if (failed(att))
      return failure();
    Value out = att->kind == Val::tuple ? att->items[0].value : att->value;
    auto projected = linear(c.loc, wl, out, *prefix + ".out_proj");
    if (failed(projected))
      return failure();
    if (att->kind == Val::tuple) {
      att->items[0] = tensorVal(*projected, c.loc);
      return *att;
    }
    return tensorVal(*projected, c.loc);
  }
  FailureOr<Val> bMultiheadAttention(Call &c) {
    auto x = tensorArg(c, "query");
    auto memory = optTensorArg(c, "memory");
    if (failed(x) || failed(memory))
      return failure();
    return multihead(c, *x, *memory);
  }
  FailureOr<Val> bSelfAttention(Call &c) {
    auto x = tensorArg(c, "x");
    if (failed(x))
      return failure();
    return multihead(c, *x, Value());
  }
  FailureOr<Val> bCrossAttention(Call &c) {
    auto x = tensorArg(c, "query");
    auto memory = optTensorArg(c, "memory");
    if (failed(x) || failed(memory))
      return failure();
    return multihead(c, *x, *memory);
  }
};

const std::map<std::string, Importer::BuiltinInfo> &Importer::builtins() {
  static const std::map<std::string, BuiltinInfo> table = {
      // Op level.
      {"exp", {&Importer::bExp, {"x"}}},
      {"log", {&Importer::bLog, {"x"}}},
      {"tanh", {&Importer::bTanh, {"x"}}},
      {"sigmoid", {&Importer::bSigmoid, {"x"}}},
      {"relu", {&Importer::bRelu, {"x"}}},
      {"sqrt", {&Importer::bSqrt, {"x"}}},
      {"rsqrt", {&Importer::bRsqrt, {"x"}}},
      {"abs", {&Importer::bAbs, {"x"}}},
      {"neg", {&Importer::bNeg, {"x"}}},
      {"erf", {&Importer::bErf, {"x"}}},
      {"reciprocal", {&Importer::bReciprocal, {"x"}}},
      {"logical_not", {&Importer::bNot, {"x"}}},
      {"gelu", {&Importer::bGelu, {"x", "approximate"}}},
      {"add", {&Importer::bAdd, {"a", "b"}}},
      {"sub", {&Importer::bSub, {"a", "b"}}},
      {"mul", {&Importer::bMul, {"a", "b"}}},
      {"div", {&Importer::bDiv, {"a", "b"}}},
      {"maximum", {&Importer::bMaximum, {"a", "b"}}},
      {"minimum", {&Importer::bMinimum, {"a", "b"}}},
      {"pow", {&Importer::bPow, {"a", "b"}}},
      {"logical_and", {&Importer::bAnd, {"a", "b"}}},
      {"logical_or", {&Importer::bOr, {"a", "b"}}},
      {"matmul", {&Importer::bMatmul, {"a", "b", "transpose_a", "transpose_b"}}},
      {"transpose", {&Importer::bTranspose, {"x", "perm"}}},
      {"reshape", {&Importer::bReshape, {"x", "shape"}}},
      {"softmax", {&Importer::bSoftmax, {"x", "axis"}}},
      {"log_softmax", {&Importer::bLogSoftmax, {"x", "axis"}}},
      {"where", {&Importer::bWhere, {"condition", "a", "b"}}},
      {"concat", {&Importer::bConcat, {"axis"}, /*variadic=*/true}},
      {"slice", {&Importer::bSlice, {"x", "axis", "start", "end", "step"}}},
      {"gather", {&Importer::bGather, {"x", "indices", "axis"}}},
      {"cast", {&Importer::bCast, {"x", "to"}}},
      {"sum", {&Importer::bSum, {"x", "axes", "keep_dims"}}},
      {"mean", {&Importer::bMean, {"x", "axes", "keep_dims"}}},
      {"reduce_max", {&Importer::bReduceMax, {"x", "axes", "keep_dims"}}},
      {"reduce_min", {&Importer::bReduceMin, {"x", "axes", "keep_dims"}}},
      {"argmax", {&Importer::bArgmax, {"x", "axis", "keep_dims"}}},
      {"dim", {&Importer::bDim, {"x", "axis"}}},
      {"zeros", {&Importer::bZeros, {"shape", "dtype"}}},
      {"full", {&Importer::bFullValue, {"shape", "value", "dtype"}}},
      {"sequence_mask", {&Importer::bSequenceMask, {"lengths", "max_length"}}},
      {"causal_mask", {&Importer::bCausalMask, {"query_length", "key_length", "align"}}},
      {"sinusoidal_positions",
       {&Importer::bSinusoidalPositions, {"length", "dim", "offset", "base", "interleaved"}}},
      {"weight", {&Importer::bWeight, {"name"}}},
      // Layer level.
      {"embedding", {&Importer::bEmbedding, {"ids", "weights"}}},
      {"linear", {&Importer::bLinear, {"x", "weights"}}},
      {"layer_norm", {&Importer::bLayerNorm, {"x", "weights", "eps"}}},
      {"feed_forward", {&Importer::bFeedForward, {"x", "weights", "activation"}}},
      {"residual", {&Importer::bResidual, {"x", "y"}}},
      {"positional_encoding", {&Importer::bPositionalEncoding, {"x", "offset"}}},
      {"lstm",
       {&Importer::bLstm,
        {"x", "weights", "layers", "bidirectional", "lengths", "h0", "c0", "batch_first"}}},
      {"gru",
       {&Importer::bGru,
        {"x", "weights", "layers", "bidirectional", "lengths", "h0", "batch_first"}}},
      {"rnn",
       {&Importer::bRnn,
        {"x", "weights", "layers", "bidirectional", "lengths", "h0", "batch_first", "activation"}}},
      {"lstm_cell", {&Importer::bLstmCell, {"x", "h", "c", "weights"}}},
      {"gru_cell", {&Importer::bGruCell, {"x", "h", "weights"}}},
      {"rnn_cell", {&Importer::bRnnCell, {"x", "h", "weights", "activation"}}},
      {"attention",
       {&Importer::bAttention,
        {"query", "keys", "values", "scale", "heads", "kv_heads", "lengths", "mask",
         "additive_mask", "causal", "align"}}},
      {"luong",
       {&Importer::bLuong,
        {"query", "keys", "values", "score", "weights", "lengths", "mask", "additive_mask"}}},
      {"bahdanau",
       {&Importer::bBahdanau,
        {"query", "keys", "values", "weights", "lengths", "mask", "additive_mask"}}},
      {"multihead_attention",
       {&Importer::bMultiheadAttention,
        {"query", "memory", "weights", "heads", "keys", "values", "scale", "lengths", "mask",
         "additive_mask", "causal", "align"}}},
      {"self_attention",
       {&Importer::bSelfAttention,
        {"x", "weights", "heads", "scale", "lengths", "mask", "additive_mask", "causal", "align"}}},
      {"cross_attention",
       {&Importer::bCrossAttention,
        {"query", "memory", "weights", "heads", "keys", "values", "scale", "lengths", "mask",
         "additive_mask"}}},
  };
  return table;
}

LogicalResult Importer::bindArgs(Call &call, const BuiltinInfo &info) {
  size_t nextPositional = 0;
  for (Arg &arg : call.args) {
    if (arg.name.empty()) {
      if (info.variadic && arg.val.kind != Val::list && arg.val.kind != Val::string &&
          arg.val.kind != Val::boolean) {
        call.rest.push_back(arg.val);
        continue;
      }
      if (nextPositional >= info.params.size())
        return fail(arg.val.loc, "'" + call.name + "' takes at most " +
                                     std::to_string(info.params.size()) + " positional arguments");
      call.bound[info.params[nextPositional++]] = arg.val;
      continue;
    }
    if (!llvm::is_contained(
            llvm::map_range(info.params, [](const char *p) { return StringRef(p); }),
            StringRef(arg.name))) {
      std::string known;
      for (const char *p : info.params)
        known += (known.empty() ? "" : ", ") + std::string(p);
      return fail(arg.nameLoc,
                  "'" + call.name + "' has no argument '" + arg.name + "'; it takes " + known);
    }
    if (call.bound.count(arg.name))
      return fail(arg.nameLoc, "argument '" + arg.name + "' of '" + call.name + "' is given twice");
    call.bound[arg.name] = arg.val;
  }
  return success();
}

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

FailureOr<Val> Importer::parseAdditive() {
  auto lhs = parseMultiplicative();
  if (failed(lhs))
    return failure();
  while (tok.is(Token::plus) || tok.is(Token::minus)) {
    Token op = tok;
    advance();
    auto rhs = parseMultiplicative();
    if (failed(rhs))
      return failure();
    lhs = binary(op.loc(), op.kind, *lhs, *rhs);
    if (failed(lhs))
      return failure();
  }
  return lhs;
}

FailureOr<Val> Importer::parseMultiplicative() {
  auto lhs = parseUnary();
  if (failed(lhs))
    return failure();
  while (tok.is(Token::star) || tok.is(Token::slash) || tok.is(Token::at)) {
    Token op = tok;
    advance();
    auto rhs = parseUnary();
    if (failed(rhs))
      return failure();
    lhs = binary(op.loc(), op.kind, *lhs, *rhs);
    if (failed(lhs))
      return failure();
  }
  return lhs;
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
    return one(build1(at, "heed.neg", *t), at);
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
      out.intValue = op == Token::plus    ? lhs.intValue + rhs.intValue
                     : op == Token::minus ? lhs.intValue - rhs.intValue
                                          : lhs.intValue * rhs.intValue;
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
    return one(build1(at, "heed.add", {a, b}), at);
  case Token::minus:
    return one(build1(at, "heed.sub", {a, b}), at);
  case Token::star:
    return one(build1(at, "heed.mul", {a, b}), at);
  case Token::slash:
    return one(build1(at, "heed.div", {a, b}), at);
  case Token::at:
    return one(build1(at, "heed.matmul", {a, b}), at);
  default:
    break;
  }
  CompareKind kind = op == Token::less           ? CompareKind::lt
                     : op == Token::lessEqual    ? CompareKind::le
                     : op == Token::greater      ? CompareKind::gt
                     : op == Token::greaterEqual ? CompareKind::ge
                     : op == Token::equalEqual   ? CompareKind::eq
                                                 : CompareKind::ne;
  return one(
      build1(at, "heed.compare", {a, b}, {attr("predicate", CompareKindAttr::get(context, kind))}),
      at);
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
  OperationState state(loc(at), "heed.scan");
  for (Carry &carry : carries)
    state.addOperands(carry.init);
  for (Sequence &seq : sequences)
    state.addOperands(seq.value);
  if (steps)
    state.addOperands(steps);
  state.addAttribute("operandSegmentSizes",
                     builder.getDenseI32ArrayAttr(
                         {int32_t(carries.size()), int32_t(sequences.size()), steps ? 1 : 0}));
  if (reverse)
    state.addAttribute("reverse", builder.getBoolAttr(true));
  state.addTypes(resultTypes);
  state.addRegion(std::move(region));
  Operation *scan = builder.create(state);
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
} // namespace

OwningOpRef<ModuleOp> mlir::heed::native::importModel(llvm::SourceMgr &sourceMgr,
                                                      MLIRContext &context) {
  context.loadDialect<mlir::heed::HeedDialect, func::FuncDialect, arith::ArithDialect>();
  // Every failure must say why: count the errors on their way to the tool's handler.
  unsigned errors = 0;
  OwningOpRef<ModuleOp> module;
  {
    ScopedDiagnosticHandler counter(&context, [&](Diagnostic &diag) {
      if (diag.getSeverity() == DiagnosticSeverity::Error)
        ++errors;
      return failure(); // not handled: the tool's handler prints it
    });
    Importer importer(sourceMgr, context);
    module = importer.run();
  }
  if (!module && errors == 0) {
    StringRef path = sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID())->getBufferIdentifier();
    emitError(FileLineColLoc::get(&context, path, 0, 0))
        << "internal error: the .heed import failed without a message";
  }
  return module;
}
