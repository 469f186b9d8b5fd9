//===- Importer.h - The .heed parser and IR builder, shared by its parts -*- C++ -*-===//
//
// The importer is one recursive-descent parser that builds IR as it goes; its
// member functions are spread over files by topic: Importer.cpp (diagnostics,
// types, scopes, op building, weights, argument access), Parser.cpp
// (statements and expressions), BuiltinTable.cpp (the builtin functions'
// names and parameters), TensorBuiltins.cpp, RecurrentBuiltins.cpp and
// AttentionBuiltins.cpp (what each builtin builds). Heed ops are built with
// their typed builders through frontends/common/HeedBuilders.h, which also
// builds the recurrent and attention ops for both frontends. Internal to the
// frontend.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_FRONTENDS_NATIVE_IMPORTER_H
#define HEED_FRONTENDS_NATIVE_IMPORTER_H

#include "frontends/common/HeedBuilders.h"
#include "frontends/native/Lexer.h"

#include "dialects/heed/IR/HeedOps.h"
#include "runtime/weights/Tensors.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/SourceMgr.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace mlir::heed::native::detail {
using llvm::SMLoc;
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

const char *kindName(Val::Kind kind);

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

std::string typeString(Type type);

std::string shapeString(ArrayRef<int64_t> shape);

class Importer {
public:
  Importer(llvm::SourceMgr &sourceMgr, MLIRContext &context)
      : sourceMgr(sourceMgr), context(&context), builder(&context), heed(builder, &shapeError),
        buffer(sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID())), lexer(buffer->getBuffer()) {
    filename = buffer->getBufferIdentifier().str();
  }

  OwningOpRef<ModuleOp> run();

private:
  llvm::SourceMgr &sourceMgr;
  MLIRContext *context;
  OpBuilder builder;
  /// Why the last op refused its operands (HeedBuilder captures it for build()).
  frontend::InferenceError shapeError;
  frontend::HeedBuilder heed;
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

  Location loc(SMLoc at);
  /// The line of the last location loc() computed: [start, end) and its number.
  struct LineCache {
    const char *start = nullptr, *end = nullptr;
    unsigned number = 0;
  } lineCache;
  InFlightDiagnostic error(SMLoc at) { return mlir::emitError(loc(at)); }
  /// Converts to a failed LogicalResult or FailureOr<T> alike.
  struct Failed {
    operator LogicalResult() const { return failure(); }
    template <typename T> operator FailureOr<T>() const { return failure(); }
  };
  Failed fail(SMLoc at, const Twine &message);

  void advance() { tok = lexer.next(); }
  LogicalResult lexError();
  /// Consumes a token of `kind` or reports "expected <what>, found <token>".
  LogicalResult expect(Token::Kind kind, const Twine &what);
  LogicalResult expectKeyword(StringRef word, const Twine &context);
  FailureOr<std::string> expectIdentifier(const Twine &what);

  //===--------------------------------------------------------------------===//
  // Types
  //===--------------------------------------------------------------------===//

  Type elementType(StringRef name);

  /// type := ELEMENT '[' [dim {',' dim}] ']' ; dim := INT | NAME | '?'
  FailureOr<RankedTensorType> parseType(SmallVectorImpl<std::string> *dimNames = nullptr);

  //===--------------------------------------------------------------------===//
  // Scopes
  //===--------------------------------------------------------------------===//

  const Binding *lookup(StringRef name);
  LogicalResult define(StringRef name, SMLoc at, Val val);

  //===--------------------------------------------------------------------===//
  // Building ops
  //===--------------------------------------------------------------------===//

  /// Builds OpTy with its typed builder (HeedBuilders.h), its result types
  /// from its own shape inference. On a shape error the op's message is
  /// reported at `at` in the model's terms and nothing is built.
  template <typename OpTy, typename... Args> FailureOr<OpTy> build(SMLoc at, Args &&...args) {
    return orShapeError(at, heed.create<OpTy>(loc(at), std::forward<Args>(args)...));
  }
  /// build<OpTy>(...)'s first result.
  template <typename OpTy, typename... Args> FailureOr<Value> build1(SMLoc at, Args &&...args) {
    auto op = build<OpTy>(at, std::forward<Args>(args)...);
    if (failed(op))
      return failure();
    return (*op)->getResult(0);
  }
  /// What a HeedBuilder call built, or its shape error reported at `at`.
  template <typename T> FailureOr<T> orShapeError(SMLoc at, T built) {
    if (built)
      return built;
    return reportShapeError(at);
  }
  Failed reportShapeError(SMLoc at);
  Value indexConstant(SMLoc at, int64_t value);
  FailureOr<Value> reshape(SMLoc at, Value input, ArrayRef<int64_t> shape);
  static RankedTensorType tensorType(Value v) { return cast<RankedTensorType>(v.getType()); }
  static int64_t lastDim(Value v);
  LogicalResult requireQuery(Call &c, Value q);
  /// Attention operands have at least [L, D].
  LogicalResult requireRank2(Call &c, std::initializer_list<Value> values);

  /// A literal number as a rank-0 tensor of `like`'s element type.
  FailureOr<Value> scalarTensor(const Val &literal, Type element);

  //===--------------------------------------------------------------------===//
  // Weights
  //===--------------------------------------------------------------------===//

  bool hasWeight(StringRef name) { return weights && weights->find(name.str()); }

  /// The weight `name` as a heed.weight at the top of the function, checked
  /// against `expected` (kDyn: any size; empty: any shape).
  FailureOr<Value> weight(SMLoc at, StringRef name, std::optional<ArrayRef<int64_t>> expected,
                          StringRef purpose);

  //===--------------------------------------------------------------------===//
  // Top level
  //===--------------------------------------------------------------------===//

  /// The dims as the model names them (["B", "S", "256"]), when any is symbolic:
  /// the runtime binds sizes by these names (the batch dim of every state).
  Attribute dimsAttr(ArrayRef<std::string> dims);

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
  /// operand {op operand}, for each of `ops`, folded to the left.
  FailureOr<Val> parseLeftAssociative(FailureOr<Val> (Importer::*operand)(),
                                      ArrayRef<Token::Kind> ops);
  FailureOr<Val> parseMultiplicative();
  FailureOr<Val> parseUnary();
  FailureOr<Val> parsePrimary();
  FailureOr<Val> parseCall(Token name);
  FailureOr<Val> binary(SMLoc at, Token::Kind op, Val lhs, Val rhs);

  FailureOr<Value> asTensor(const Val &v, const Twine &what);
  FailureOr<Value> asIndex(const Val &v, const Twine &what);

  // Builtins.
  using Builtin = FailureOr<Val> (Importer::*)(Call &);
  struct BuiltinInfo {
    Builtin fn;
    std::vector<const char *> params; // in positional order
    bool variadic = false;
  };
  static const std::map<std::string, BuiltinInfo> &builtins();
  LogicalResult bindArgs(Call &call, const BuiltinInfo &info);

  const Val *get(Call &c, const char *name);
  FailureOr<Value> tensorArg(Call &c, const char *name);
  FailureOr<Value> optTensorArg(Call &c, const char *name);
  FailureOr<int64_t> intArg(Call &c, const char *name, std::optional<int64_t> fallback);
  FailureOr<double> numberArg(Call &c, const char *name, std::optional<double> fallback);
  FailureOr<bool> boolArg(Call &c, const char *name, bool fallback);
  FailureOr<std::string> stringArg(Call &c, const char *name, std::optional<std::string> fallback);
  FailureOr<SmallVector<int64_t>> intListArg(Call &c, const char *name, bool allowScalar);
  SMLoc argLoc(Call &c, const char *name);
  FailureOr<std::string> prefixArg(Call &c) { return stringArg(c, "weights", std::nullopt); }

  Val tensorVal(Value v, SMLoc at);
  Val tupleVal(ArrayRef<Value> values, SMLoc at);
  FailureOr<Val> one(FailureOr<Value> v, SMLoc at);

  // Op-level builtins.
  /// The builtins that are one heed op of one tensor (exp, tanh, ...) and of
  /// two (maximum, pow, ...); the table names them with their op.
  template <typename OpTy> FailureOr<Val> unaryOp(Call &c) {
    auto x = tensorArg(c, "x");
    if (failed(x))
      return failure();
    return one(build1<OpTy>(c.loc, *x), c.loc);
  }
  template <typename OpTy> FailureOr<Val> binaryOp(Call &c) {
    auto operands = twoTensors(c);
    if (failed(operands))
      return failure();
    return one(build1<OpTy>(c.loc, operands->first, operands->second), c.loc);
  }
  FailureOr<std::pair<Value, Value>> twoTensors(Call &c);
  /// add, sub, mul, div: the arithmetic operators', literals included.
  FailureOr<Val> arithmeticCall(Call &c, Token::Kind kind);
  FailureOr<Val> bAdd(Call &c) { return arithmeticCall(c, Token::plus); }
  FailureOr<Val> bSub(Call &c) { return arithmeticCall(c, Token::minus); }
  FailureOr<Val> bMul(Call &c) { return arithmeticCall(c, Token::star); }
  FailureOr<Val> bDiv(Call &c) { return arithmeticCall(c, Token::slash); }

  FailureOr<Val> bGelu(Call &c);
  FailureOr<Val> bMatmul(Call &c);
  FailureOr<Val> bTranspose(Call &c);
  FailureOr<Val> bReshape(Call &c);
  template <typename OpTy> FailureOr<Val> softmaxLike(Call &c) {
    auto x = tensorArg(c, "x");
    auto axis = intArg(c, "axis", -1);
    if (failed(x) || failed(axis))
      return failure();
    return one(build1<OpTy>(c.loc, *x, *axis), c.loc);
  }
  FailureOr<Val> bWhere(Call &c);
  FailureOr<Val> bRotary(Call &c);
  FailureOr<Val> bConcat(Call &c);
  FailureOr<Val> bSlice(Call &c);
  FailureOr<Val> bGather(Call &c);
  FailureOr<Val> bCast(Call &c);
  FailureOr<Val> reduce(Call &c, ReduceKind kind);
  FailureOr<Val> bSum(Call &c) { return reduce(c, ReduceKind::sum); }
  FailureOr<Val> bMean(Call &c) { return reduce(c, ReduceKind::mean); }
  FailureOr<Val> bReduceMax(Call &c) { return reduce(c, ReduceKind::max); }
  FailureOr<Val> bReduceMin(Call &c) { return reduce(c, ReduceKind::min); }
  FailureOr<Val> bArgmax(Call &c);
  FailureOr<Val> bDim(Call &c);
  FailureOr<Val> bFull(Call &c, double fallbackValue);
  FailureOr<Val> bZeros(Call &c) { return bFull(c, 0.0); }
  FailureOr<Val> bFullValue(Call &c) { return bFull(c, 0.0); }
  FailureOr<Val> bSequenceMask(Call &c);
  FailureOr<Val> bCausalMask(Call &c);
  FailureOr<CausalAlign> parseAlign(SMLoc at, StringRef align);
  FailureOr<Value> positions(SMLoc at, Value offset, Value length, int64_t dim, double base,
                             bool interleaved);
  FailureOr<Val> bSinusoidalPositions(Call &c);
  FailureOr<Val> bWeight(Call &c);

  // Layer-level builtins.
  FailureOr<Val> bEmbedding(Call &c);
  FailureOr<Value> linear(SMLoc at, SMLoc weightsAt, Value x, StringRef prefix);
  FailureOr<Val> bLinear(Call &c);
  FailureOr<Val> bLayerNorm(Call &c);
  FailureOr<Val> bFeedForward(Call &c);
  FailureOr<Val> bResidual(Call &c);
  FailureOr<Val> bPositionalEncoding(Call &c);

  FailureOr<Val> recurrent(Call &c, frontend::RecurrentKind kind);
  /// The layers' weights under the prefix, PyTorch's names and flat order.
  LogicalResult recurrentWeights(Call &c, frontend::RecurrentSpec &spec, StringRef prefix,
                                 SmallVectorImpl<Value> &ws);
  FailureOr<Val> bLstm(Call &c) { return recurrent(c, frontend::RecurrentKind::lstm); }
  FailureOr<Val> bGru(Call &c) { return recurrent(c, frontend::RecurrentKind::gru); }
  FailureOr<Val> bRnn(Call &c) { return recurrent(c, frontend::RecurrentKind::rnn); }

  FailureOr<Val> cell(Call &c, frontend::RecurrentKind kind);
  /// The `activation` of rnn and rnn_cell ("tanh" or "relu").
  LogicalResult rnnActivation(Call &c, RnnActivation &activation);
  FailureOr<Val> bLstmCell(Call &c) { return cell(c, frontend::RecurrentKind::lstm); }
  FailureOr<Val> bGruCell(Call &c) { return cell(c, frontend::RecurrentKind::gru); }
  FailureOr<Val> bRnnCell(Call &c) { return cell(c, frontend::RecurrentKind::rnn); }

  /// Mask arguments shared by the attention builtins.
  LogicalResult maskArgs(Call &c, uint32_t &kind, Value &mask, bool allowCausal);

  /// heed.attention; a [B, D] query (one decoder step) is attended as [B, 1, D].
  FailureOr<Val> attention(Call &c, Value q, Value k, Value v, double scale, int64_t heads,
                           int64_t kvHeads, uint32_t maskKind, Value mask, CausalAlign align);
  FailureOr<double> defaultScale(Call &c, Value q, int64_t heads);
  FailureOr<Val> bAttention(Call &c);
  FailureOr<Val> additive(Call &c, Value q, Value keys, Value values, StringRef prefix, SMLoc wl);
  FailureOr<Val> bBahdanau(Call &c);
  FailureOr<Val> bLuong(Call &c);
  /// Multi-head attention with W_q, W_k, W_v, W_o (prefix.q_proj, k_proj,
  /// v_proj, out_proj). Keys and values are projected here from `memory`, or
  /// given already projected (computed once in encode).
  FailureOr<Val> multihead(Call &c, Value x, Value memory);
  FailureOr<Val> bMultiheadAttention(Call &c);
  FailureOr<Val> bSelfAttention(Call &c);
  FailureOr<Val> bCrossAttention(Call &c);
};

} // namespace mlir::heed::native::detail

#endif // HEED_FRONTENDS_NATIVE_IMPORTER_H
