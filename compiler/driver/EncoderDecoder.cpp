//===- EncoderDecoder.cpp - An encoder and a decoder model as one module --===//
//
// The exported graphs are adapted, not the decoding drivers: what the drivers need (the token
// first, log-probs [B, V] first, a state's output and input under one name) is made true of the
// functions' signatures here, with a few heed ops where a shape or a log-softmax is missing.
//
//===----------------------------------------------------------------------===//

#include "compiler/driver/EncoderDecoder.h"

#include "compiler/driver/Driver.h"
#include "dialects/heed/IR/HeedDialect.h"
#include "dialects/heed/IR/HeedOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"

#include <limits>

using namespace mlir;

namespace {

StringRef argName(func::FuncOp f, unsigned i) {
  auto name = f.getArgAttrOfType<StringAttr>(i, "heed.name");
  return name ? name.getValue() : StringRef();
}
StringRef resultName(func::FuncOp f, unsigned i) {
  auto name = f.getResultAttrOfType<StringAttr>(i, "heed.name");
  return name ? name.getValue() : StringRef();
}

/// The function's only func.func (an imported model has one, `main`).
func::FuncOp onlyFunction(ModuleOp m, StringRef path) {
  func::FuncOp found;
  unsigned count = 0;
  for (auto f : m.getOps<func::FuncOp>()) {
    found = f;
    ++count;
  }
  if (count != 1) {
    emitError(m.getLoc()) << "'" << path << "' must hold one graph (function); it holds " << count;
    return nullptr;
  }
  return found;
}

/// Moves argument `from` of `f` to position 0 (other arguments keep their order).
void moveArgumentFirst(func::FuncOp f, unsigned from) {
  if (from == 0)
    return;
  Block &body = f.getBody().front();
  BlockArgument old = body.getArgument(from);
  DictionaryAttr attrs = f.getArgAttrDict(from);
  SmallVector<Type> types(f.getArgumentTypes());
  types.erase(types.begin() + from);
  types.insert(types.begin(), old.getType());
  BlockArgument moved = body.insertArgument(0u, old.getType(), old.getLoc());
  old.replaceAllUsesWith(moved);
  body.eraseArgument(from + 1);
  SmallVector<DictionaryAttr> argAttrs;
  for (unsigned i = 0; i < f.getNumArguments(); ++i)
    argAttrs.push_back(i == 0 ? attrs : f.getArgAttrDict(i <= from ? i - 1 : i));
  f.setType(FunctionType::get(f.getContext(), types, f.getResultTypes()));
  f.setAllArgAttrs(argAttrs);
}

/// Moves result `from` of `f` to position 0.
void moveResultFirst(func::FuncOp f, unsigned from) {
  if (from == 0)
    return;
  auto ret = cast<func::ReturnOp>(f.getBody().front().getTerminator());
  SmallVector<Value> values(ret.getOperands());
  SmallVector<DictionaryAttr> attrs;
  for (unsigned i = 0; i < f.getNumResults(); ++i)
    attrs.push_back(f.getResultAttrDict(i));
  Value v = values[from];
  DictionaryAttr a = attrs[from];
  values.erase(values.begin() + from);
  attrs.erase(attrs.begin() + from);
  values.insert(values.begin(), v);
  attrs.insert(attrs.begin(), a);
  ret->setOperands(values);
  f.setType(FunctionType::get(f.getContext(), f.getArgumentTypes(), ValueRange(values).getTypes()));
  f.setAllResultAttrs(attrs);
}

/// Replaces result `i` of `f` by `make(old value)` built before the return.
void rewriteResult(func::FuncOp f, unsigned i, function_ref<Value(OpBuilder &, Value)> make) {
  auto ret = cast<func::ReturnOp>(f.getBody().front().getTerminator());
  OpBuilder b(ret);
  Value v = make(b, ret.getOperand(i));
  ret.setOperand(i, v);
  SmallVector<Type> results(f.getResultTypes());
  results[i] = v.getType();
  f.setType(FunctionType::get(f.getContext(), f.getArgumentTypes(), results));
}

void setName(func::FuncOp f, unsigned arg, StringRef name) {
  f.setArgAttr(arg, "heed.name", StringAttr::get(f.getContext(), name));
}

struct Linker {
  func::FuncOp enc, dec;
  const std::vector<std::string> &binds;
  StringRef encoderPath, decoderPath;
  /// A [B, T] token input and no state: every step feeds all tokens so far.
  bool prefixMode = false;
  static constexpr StringLiteral kPrefix = "prefix_ids";
  /// The score output's own name (it becomes log_probs), for --bind's errors.
  std::string scoreName;

  /// Whether the decoder carries recurrent state: --bind given, or Hugging Face's present.N.X.
  bool hasState() {
    if (!binds.empty())
      return true;
    for (unsigned o = 0; o < dec.getNumResults(); ++o)
      if (resultName(dec, o).starts_with("present."))
        return true;
    return false;
  }

  /// The token input becomes `prev: [B]`. A [B, 1] input is its reshape; a [B, T] input (prefix
  /// mode) is concat(prefix_ids, prev), where prefix_ids [B, T - 1] is a new state input whose
  /// next value (a new output of that name) is that concatenation: it starts empty, so the first
  /// step sees [<s>], and the drivers reorder it with the beam like any state.
  void feedTokensAsVector(RankedTensorType tokenType) {
    MLIRContext *ctx = dec.getContext();
    Block &body = dec.getBody().front();
    auto flat = RankedTensorType::get({tokenType.getDimSize(0)}, tokenType.getElementType());
    BlockArgument old = body.getArgument(0);
    BlockArgument prev = body.insertArgument(1u, flat, old.getLoc());
    OpBuilder b = OpBuilder::atBlockBegin(&body);
    // The graph's own type in step mode: a [B, ?] input keeps its type, its uses unchanged.
    auto columnType =
        prefixMode ? RankedTensorType::get({tokenType.getDimSize(0), 1}, tokenType.getElementType())
                   : tokenType;
    Value column =
        heed::ReshapeOp::create(b, old.getLoc(), columnType, prev, b.getDenseI64ArrayAttr({-1, 1}));
    Value tokens = column;
    BlockArgument prefix;
    if (prefixMode) {
      prefix = body.addArgument(tokenType, old.getLoc());
      tokens = heed::ConcatOp::create(b, old.getLoc(), tokenType, ValueRange{prefix, column}, 1);
    }
    old.replaceAllUsesWith(tokens);
    DictionaryAttr attrs = dec.getArgAttrDict(0);
    ArrayAttr dims = dec.getArgAttrOfType<ArrayAttr>(0, "heed.dims");
    body.eraseArgument(0);
    SmallVector<Type> types(dec.getArgumentTypes());
    types[0] = flat;
    if (prefixMode)
      types.push_back(tokenType);
    auto ret = cast<func::ReturnOp>(body.getTerminator());
    if (prefixMode)
      ret->insertOperands(ret->getNumOperands(), tokens);
    dec.setType(FunctionType::get(ctx, types, ret.getOperandTypes()));
    dec.setArgAttrs(0, attrs);
    Attribute batch = dims && !dims.empty() ? dims[0] : StringAttr::get(ctx, "B");
    dec.setArgAttr(0, "heed.dims", ArrayAttr::get(ctx, {batch}));
    if (prefixMode) {
      unsigned in = dec.getNumArguments() - 1, out = dec.getNumResults() - 1;
      // The growing dim gets a name of its own, so the drivers start it at 0.
      ArrayAttr prefixDims = ArrayAttr::get(ctx, {batch, StringAttr::get(ctx, "prefix_len")});
      dec.setArgAttr(in, "heed.name", StringAttr::get(ctx, kPrefix));
      dec.setArgAttr(in, "heed.dims", prefixDims);
      dec.setResultAttr(out, "heed.name", StringAttr::get(ctx, kPrefix));
      dec.setResultAttr(out, "heed.dims", prefixDims);
    }
  }

  // The decoder as a whole has no line to point at: "error: DECODER: ..." (no file:0:0).
  InFlightDiagnostic error() {
    return emitError(UnknownLoc::get(dec.getContext())) << decoderPath << ": ";
  }
  InFlightDiagnostic encoderError() {
    return emitError(UnknownLoc::get(dec.getContext())) << encoderPath << ": ";
  }

  LogicalResult adaptEncoder() {
    // The token input (input_ids, else the first) first; a lengths [B] or mask [B, S] input
    // second (the drivers fill both kinds); nothing else.
    unsigned token = 0;
    for (unsigned i = 0; i < enc.getNumArguments(); ++i)
      if (argName(enc, i) == "input_ids")
        token = i;
    moveArgumentFirst(enc, token);
    auto src = dyn_cast<RankedTensorType>(enc.getArgumentTypes()[0]);
    if (!src || src.getRank() != 2 || !src.getElementType().isSignlessInteger())
      return encoderError() << "the encoder's token input '" << argName(enc, 0)
                            << "' must be integer token ids [B, S]; it is "
                            << enc.getArgumentTypes()[0];
    if (enc.getNumArguments() > 2)
      return encoderError()
             << "the encoder takes " << enc.getNumArguments() << " inputs; decoding feeds "
             << "token ids and, optionally, lengths [B] or an attention mask [B, S]: input '"
             << argName(enc, 2) << "' binds to nothing";
    return success();
  }

  LogicalResult adaptDecoder() {
    // Token input: input_ids, else the first; [B] or [B, 1] (a [B, T] token input with no
    // recurrent state is the prefix mode, not done yet).
    unsigned token = 0;
    for (unsigned i = 0; i < dec.getNumArguments(); ++i)
      if (argName(dec, i) == "input_ids")
        token = i;
    if (dec.getNumArguments() == 0)
      return error() << "the decoder has no inputs: it needs a token input (input_ids, or the "
                        "first input)";
    moveArgumentFirst(dec, token);
    auto tokenType = dyn_cast<RankedTensorType>(dec.getArgumentTypes()[0]);
    if (!tokenType || !tokenType.getElementType().isSignlessInteger() || tokenType.getRank() < 1 ||
        tokenType.getRank() > 2)
      return error() << "the decoder's token input '" << argName(dec, 0)
                     << "' must be integer token ids [B], [B, 1] or [B, T]; it is "
                     << dec.getArgumentTypes()[0];
    // A dynamic T with state is a step decoder exported with the encoder's dynamic_axes
    // ({0: batch, 1: seq}): it is fed [B, 1] like a static one. A static T > 1 is not.
    bool state = hasState();
    bool oneOrDynamic =
        tokenType.getRank() == 2 && (tokenType.getDimSize(1) == 1 || tokenType.isDynamicDim(1));
    prefixMode = tokenType.getRank() == 2 && tokenType.getDimSize(1) != 1 && !state;
    if (tokenType.getRank() == 2 && state && !oneOrDynamic)
      return error() << "the decoder's token input '" << argName(dec, 0) << "' is " << tokenType
                     << " (all tokens so far) but the decoder also has recurrent "
                     << "state: a step decoder takes [B] or [B, 1]";
    if (tokenType.getRank() == 2)
      feedTokensAsVector(tokenType);

    // Scores: the output named logits or log_probs, else the first; exactly one candidate. A
    // step decoder's [B, ?, V] (Optimum's logits axes, or torch's shape inference losing the 1)
    // reads the last position, like the prefix mode.
    int scores = -1;
    for (unsigned o = 0; o < dec.getNumResults(); ++o) {
      StringRef n = resultName(dec, o);
      if (n != "logits" && n != "log_probs")
        continue;
      if (scores >= 0)
        return error() << "two candidate score outputs, '" << resultName(dec, unsigned(scores))
                       << "' and '" << n << "': keep one (logits or log_probs)";
      scores = int(o);
    }
    bool logProbs = scores >= 0 && resultName(dec, unsigned(scores)) == "log_probs";
    if (scores < 0)
      scores = 0;
    auto scoreType = dyn_cast<RankedTensorType>(dec.getResultTypes()[unsigned(scores)]);
    if (!scoreType || !scoreType.getElementType().isF32() ||
        !(scoreType.getRank() == 2 ||
          (scoreType.getRank() == 3 &&
           (prefixMode || scoreType.getDimSize(1) == 1 || scoreType.isDynamicDim(1)))))
      return error() << "the decoder's score output '" << resultName(dec, unsigned(scores))
                     << "' must be f32 [B, V] or [B, 1, V]" << (prefixMode ? " or [B, T, V]" : "")
                     << "; it is " << dec.getResultTypes()[unsigned(scores)];
    rewriteResult(dec, unsigned(scores), [&](OpBuilder &b, Value v) {
      if (scoreType.getRank() == 3 && scoreType.getDimSize(1) != 1) // the last position
        v = heed::SliceOp::create(
            b, v.getLoc(),
            RankedTensorType::get({scoreType.getDimSize(0), 1, scoreType.getDimSize(2)},
                                  scoreType.getElementType()),
            v, /*axis=*/1, /*start=*/-1, /*end=*/std::numeric_limits<int64_t>::max(), /*step=*/1);
      if (scoreType.getRank() == 3)
        v = heed::ReshapeOp::create(
            b, v.getLoc(),
            RankedTensorType::get({scoreType.getDimSize(0), scoreType.getDimSize(2)},
                                  scoreType.getElementType()),
            v, b.getDenseI64ArrayAttr({0, -1}));
      if (!logProbs)
        v = heed::LogSoftmaxOp::create(b, v.getLoc(), v.getType(), v, -1);
      return v;
    });
    if (auto dims = dec.getResultAttrOfType<ArrayAttr>(unsigned(scores), "heed.dims");
        dims && dims.size() == 3)
      dec.setResultAttr(unsigned(scores), "heed.dims",
                        ArrayAttr::get(dec.getContext(), {dims[0], dims[2]}));
    scoreName = resultName(dec, unsigned(scores)).str();
    dec.setResultAttr(unsigned(scores), "heed.name",
                      StringAttr::get(dec.getContext(), "log_probs"));
    moveResultFirst(dec, unsigned(scores));
    return success();
  }

  /// States and per-source inputs: rename so that the drivers' by-name binding finds them.
  LogicalResult bindByName() {
    MLIRContext *ctx = dec.getContext();
    auto rename = [&](unsigned o, StringRef to) {
      dec.setResultAttr(o, "heed.name", StringAttr::get(ctx, to));
    };
    for (const std::string &bind : binds) {
      auto [out, in] = StringRef(bind).split(':');
      if (out.empty() || in.empty())
        return error() << "--bind=" << bind << ": expected OUTPUT:INPUT";
      int found = -1;
      for (unsigned o = 1; o < dec.getNumResults(); ++o)
        if (resultName(dec, o) == out)
          found = int(o);
      if (found < 0 && out == scoreName)
        return error() << "--bind=" << bind << ": '" << out
                       << "' is the decoder's score output, not a state";
      if (found < 0)
        return error() << "--bind=" << bind << ": the decoder has no output '" << out << "'";
      if (in == argName(dec, 0))
        return error() << "--bind=" << bind << ": '" << in
                       << "' is the decoder's token input (the drivers feed it), not a state";
      bool hasInput = false;
      for (unsigned i = 1; i < dec.getNumArguments(); ++i)
        hasInput |= argName(dec, i) == in;
      if (!hasInput)
        return error() << "--bind=" << bind << ": the decoder has no input '" << in << "'";
      rename(unsigned(found), in);
    }
    // Hugging Face names: present.N.X feeds past_key_values.N.X; encoder_hidden_states is the
    // encoder's last_hidden_state; encoder_attention_mask is the encoder's attention_mask.
    for (unsigned o = 1; o < dec.getNumResults(); ++o)
      if (resultName(dec, o).starts_with("present."))
        rename(o, ("past_key_values." + resultName(dec, o).drop_front(8)).str());
    for (unsigned i = 1; i < dec.getNumArguments(); ++i) {
      if (argName(dec, i) == "encoder_hidden_states")
        setName(dec, i, "last_hidden_state");
      else if (argName(dec, i) == "encoder_attention_mask")
        setName(dec, i, "attention_mask");
    }
    // Every input binds: to a decoder output (state), an encoder output or an encoder input;
    // a state's output and input agree in element type and rank.
    for (unsigned i = 1; i < dec.getNumArguments(); ++i) {
      StringRef name = argName(dec, i);
      Type inType = dec.getArgumentTypes()[i];
      bool bound = false;
      for (unsigned o = 1; o < dec.getNumResults() && !bound; ++o) {
        if (resultName(dec, o) != name)
          continue;
        auto a = dyn_cast<RankedTensorType>(inType);
        auto r = dyn_cast<RankedTensorType>(dec.getResultTypes()[o]);
        if (!a || !r || a.getElementType() != r.getElementType() || a.getRank() != r.getRank())
          return error() << "state '" << name << "': the output is " << dec.getResultTypes()[o]
                         << " but the input is " << inType << "; they must agree";
        bound = true;
      }
      for (unsigned o = 0; o < enc.getNumResults() && !bound; ++o)
        bound = resultName(enc, o) == name;
      for (unsigned e = 0; e < enc.getNumArguments() && !bound; ++e)
        bound = argName(enc, e) == name;
      if (!bound)
        return error() << "decoder input '" << name
                       << "' binds to nothing: it is not a decoder output (a state: --bind="
                          "OUTPUT:"
                       << name << ", or Hugging Face's present.N.X -> past_key_values.N.X), "
                       << "an encoder output or an encoder input of that name";
    }
    // Every output other than the scores feeds an input (a state), except one: the attention
    // (named attention, else the last). An unbound state output would leave its input fed from
    // the encoder at every step: decoding would run and be wrong.
    SmallVector<unsigned> unbound;
    for (unsigned o = 1; o < dec.getNumResults(); ++o) {
      bool feeds = false;
      for (unsigned i = 1; i < dec.getNumArguments() && !feeds; ++i)
        feeds = argName(dec, i) == resultName(dec, o);
      if (!feeds)
        unbound.push_back(o);
    }
    if (unbound.size() > 1) {
      unsigned attention = unbound.back();
      for (unsigned o : unbound)
        if (resultName(dec, o) == "attention")
          attention = o;
      for (unsigned o : unbound)
        if (o != attention)
          return error() << "decoder output '" << resultName(dec, o)
                         << "' binds to nothing: it feeds no decoder input (a state's next value "
                            "needs --bind="
                         << resultName(dec, o) << ":INPUT) and '" << resultName(dec, attention)
                         << "' is taken as the attention output";
    }
    return success();
  }
};

} // namespace

OwningOpRef<ModuleOp> heed::loadEncoderDecoder(StringRef encoderPath, StringRef decoderPath,
                                               const std::vector<std::string> &binds,
                                               llvm::SourceMgr &sourceMgr, MLIRContext &context) {
  OwningOpRef<ModuleOp> encoder = loadModel(encoderPath, sourceMgr, context);
  if (!encoder)
    return nullptr;
  // A SourceMgr of its own: the frontends read their SourceMgr's main (first) buffer.
  llvm::SourceMgr decoderSources;
  OwningOpRef<ModuleOp> decoder = loadModel(decoderPath, decoderSources, context);
  if (!decoder)
    return nullptr;
  func::FuncOp enc = onlyFunction(*encoder, encoderPath);
  func::FuncOp dec = onlyFunction(*decoder, decoderPath);
  if (!enc || !dec)
    return nullptr;
  enc.setName("encode");
  dec->remove();
  dec.setName("decode_step");
  encoder->getBody()->push_back(dec);
  Linker linker{enc, dec, binds, encoderPath, decoderPath};
  if (failed(linker.adaptEncoder()) || failed(linker.adaptDecoder()) ||
      failed(linker.bindByName()) || failed(verify(*encoder)))
    return nullptr;
  // decode_step's signature is ours to change: heed-hoist-step-invariants may move its
  // per-source work into encode.
  (*encoder)->setAttr("heed.linked_decoder", UnitAttr::get(&context));
  return encoder;
}
