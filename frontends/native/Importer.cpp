//===- Importer.cpp - The importer's core -----------------------------------===//
//
// Diagnostics at model locations, element and tensor types, lexical scopes,
// building ops whose result types their own shape inference gives (so what the
// frontend emits verifies by construction), weights checked against the
// weights file, and typed access to a builtin call's arguments.
//
//===----------------------------------------------------------------------===//

#include "frontends/native/Importer.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"

using namespace mlir;
using namespace mlir::heed;
using namespace mlir::heed::native::detail;

const char *mlir::heed::native::detail::kindName(Val::Kind kind) {
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

std::string mlir::heed::native::detail::typeString(Type type) {
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

std::string mlir::heed::native::detail::shapeString(ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (auto [i, d] : llvm::enumerate(shape))
    s += (i ? ", " : "") + (d == kDyn ? std::string("*") : std::to_string(d));
  return s + "]";
}

Location Importer::loc(SMLoc at) {
  // SourceMgr finds a column by scanning back to the line's start: a 50,000-term expression on
  // one line made every location cost its column, and the import quadratic. Columns on the line
  // of the previous location are an offset from its start instead (SourceMgr's line ends too).
  const char *p = at.getPointer();
  if (!lineCache.start || p < lineCache.start || p > lineCache.end) {
    auto [number, col] = sourceMgr.getLineAndColumn(at, sourceMgr.getMainFileID());
    const char *bufferEnd = sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID())->getBufferEnd();
    lineCache.number = number;
    lineCache.start = p - (col - 1);
    lineCache.end = p;
    while (lineCache.end < bufferEnd && *lineCache.end != '\n' && *lineCache.end != '\r')
      ++lineCache.end;
  }
  return FileLineColLoc::get(context, filename, lineCache.number,
                             unsigned(p - lineCache.start) + 1);
}

Importer::Failed Importer::fail(SMLoc at, const Twine &message) {
  error(at) << message;
  return Failed();
}

LogicalResult Importer::lexError() {
  if (tok.is(Token::error))
    return fail(tok.loc(), tok.value);
  return success();
}

LogicalResult Importer::expect(Token::Kind kind, const Twine &what) {
  if (failed(lexError()))
    return failure();
  if (!tok.is(kind))
    return fail(tok.loc(), "expected " + what + ", found " + tok.describe());
  advance();
  return success();
}

LogicalResult Importer::expectKeyword(StringRef word, const Twine &context) {
  if (failed(lexError()))
    return failure();
  if (!tok.isKeyword(word))
    return fail(tok.loc(), "expected '" + word + "' " + context + ", found " + tok.describe());
  advance();
  return success();
}

FailureOr<std::string> Importer::expectIdentifier(const Twine &what) {
  if (failed(lexError()))
    return failure();
  if (!tok.is(Token::identifier))
    return fail(tok.loc(), "expected " + what + ", found " + tok.describe());
  std::string name = tok.spelling.str();
  advance();
  return name;
}

Type Importer::elementType(StringRef name) {
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

FailureOr<RankedTensorType> Importer::parseType(SmallVectorImpl<std::string> *dimNames) {
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

const Importer::Binding *Importer::lookup(StringRef name) {
  for (auto it = scopes.rbegin(); it != scopes.rend(); ++it) {
    auto found = it->find(name.str());
    if (found != it->end())
      return &found->second;
  }
  return nullptr;
}

LogicalResult Importer::define(StringRef name, SMLoc at, Val val) {
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

Importer::Failed Importer::reportShapeError(SMLoc at) {
  // The op's shape rules say what is wrong; say it in the model's terms,
  // with the operand types, at the construct.
  if (shapeError.opName.empty())
    return fail(at, "internal error: an op was given a null operand");
  std::string why = shapeError.message;
  std::string prefix = "'" + shapeError.opName + "' op ";
  if (StringRef(why).starts_with(prefix))
    why = why.substr(prefix.size());
  if (why.empty())
    why = "the shapes do not fit";
  auto diag = error(at);
  diag << StringRef(shapeError.opName).drop_front(5) << ": " << why << " (operands ";
  llvm::interleave(shapeError.operandTypes, diag, [&](Type t) { diag << typeString(t); }, ", ");
  diag << ")";
  return Failed();
}

Value Importer::indexConstant(SMLoc at, int64_t value) {
  return arith::ConstantIndexOp::create(builder, loc(at), value);
}

FailureOr<Value> Importer::reshape(SMLoc at, Value input, ArrayRef<int64_t> shape) {
  return build1<ReshapeOp>(at, input, shape);
}

int64_t Importer::lastDim(Value v) {
  auto type = tensorType(v);
  return type.getRank() ? type.getShape().back() : kDyn;
}

LogicalResult Importer::requireQuery(Call &c, Value q) {
  if (tensorType(q).getRank() < 1)
    return fail(c.loc, "'" + c.name + "' needs a query [B, D] or [..., L, D], found " +
                           typeString(q.getType()));
  return success();
}

LogicalResult Importer::requireRank2(Call &c, std::initializer_list<Value> values) {
  for (Value v : values)
    if (tensorType(v).getRank() < 2)
      return fail(c.loc, "'" + c.name + "' needs tensors of rank >= 2 ([..., L, D]), found " +
                             typeString(v.getType()));
  return success();
}

FailureOr<Value> Importer::scalarTensor(const Val &literal, Type element) {
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
  return build1<ConstantOp>(literal.loc, attrValue);
}

FailureOr<Value> Importer::weight(SMLoc at, StringRef name,
                                  std::optional<ArrayRef<int64_t>> expected, StringRef purpose) {
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

Attribute Importer::dimsAttr(ArrayRef<std::string> dims) {
  if (llvm::all_of(dims, [](const std::string &d) { return llvm::isDigit(d[0]); }))
    return nullptr;
  SmallVector<Attribute> names;
  for (const std::string &d : dims)
    names.push_back(builder.getStringAttr(d));
  return builder.getArrayAttr(names);
}

FailureOr<Value> Importer::asTensor(const Val &v, const Twine &what) {
  if (v.kind == Val::tensor)
    return v.value;
  if (v.kind == Val::tuple)
    return fail(v.loc, what + " takes one tensor, but this gives " +
                           std::to_string(v.items.size()) +
                           " results; bind them first with `let a, b = ...`");
  return fail(v.loc, "expected a tensor for " + what + ", found " + kindName(v.kind));
}

FailureOr<Value> Importer::asIndex(const Val &v, const Twine &what) {
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

const Val *Importer::get(Call &c, const char *name) {
  auto it = c.bound.find(name);
  return it == c.bound.end() ? nullptr : &it->second;
}

FailureOr<Value> Importer::tensorArg(Call &c, const char *name) {
  const Val *v = get(c, name);
  if (!v)
    return fail(c.loc, "'" + c.name + "' needs the argument '" + name + "'");
  return asTensor(*v, "'" + Twine(name) + "' of '" + c.name + "'");
}

FailureOr<Value> Importer::optTensorArg(Call &c, const char *name) {
  const Val *v = get(c, name);
  if (!v)
    return Value();
  return asTensor(*v, "'" + Twine(name) + "' of '" + c.name + "'");
}

FailureOr<int64_t> Importer::intArg(Call &c, const char *name, std::optional<int64_t> fallback) {
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

FailureOr<double> Importer::numberArg(Call &c, const char *name, std::optional<double> fallback) {
  const Val *v = get(c, name);
  if (!v) {
    if (fallback)
      return *fallback;
    return fail(c.loc, "'" + c.name + "' needs the argument '" + name + "'");
  }
  if (!v->isScalarLiteral())
    return fail(v->loc, "expected a number for '" + Twine(name) + "' of '" + c.name + "', found " +
                            kindName(v->kind));
  return v->asDouble();
}

FailureOr<bool> Importer::boolArg(Call &c, const char *name, bool fallback) {
  const Val *v = get(c, name);
  if (!v)
    return fallback;
  if (v->kind != Val::boolean)
    return fail(v->loc, "expected true or false for '" + Twine(name) + "' of '" + c.name +
                            "', found " + kindName(v->kind));
  return v->intValue != 0;
}

FailureOr<std::string> Importer::stringArg(Call &c, const char *name,
                                           std::optional<std::string> fallback) {
  const Val *v = get(c, name);
  if (!v) {
    if (fallback)
      return *fallback;
    return fail(c.loc, "'" + c.name + "' needs the argument '" + name + "'");
  }
  if (v->kind != Val::string)
    return fail(v->loc, "expected a string for '" + Twine(name) + "' of '" + c.name + "', found " +
                            kindName(v->kind));
  return v->str;
}

FailureOr<SmallVector<int64_t>> Importer::intListArg(Call &c, const char *name, bool allowScalar) {
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

SMLoc Importer::argLoc(Call &c, const char *name) {
  const Val *v = get(c, name);
  return v ? v->loc : c.loc;
}

Val Importer::tensorVal(Value v, SMLoc at) {
  Val out;
  out.kind = Val::tensor;
  out.value = v;
  out.loc = at;
  return out;
}

Val Importer::tupleVal(ArrayRef<Value> values, SMLoc at) {
  Val out;
  out.kind = Val::tuple;
  out.loc = at;
  for (Value v : values)
    out.items.push_back(tensorVal(v, at));
  return out;
}

FailureOr<Val> Importer::one(FailureOr<Value> v, SMLoc at) {
  if (failed(v))
    return failure();
  return tensorVal(*v, at);
}
