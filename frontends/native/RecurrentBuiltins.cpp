//===- RecurrentBuiltins.cpp - lstm/gru/rnn layers and cells ----------------===//
//
// Recurrent layers and cells take PyTorch's weight names under a prefix and
// become the fused heed recurrent ops, built by the shared HeedBuilder.
//
//===----------------------------------------------------------------------===//

#include "frontends/native/Importer.h"

#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace mlir::heed;
using namespace mlir::heed::native::detail;
using frontend::CellSpec;
using frontend::RecurrentKind;
using frontend::RecurrentSpec;

FailureOr<Val> Importer::recurrent(Call &c, RecurrentKind kind) {
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
  bool isLstm = kind == RecurrentKind::lstm;
  if (!isLstm && *c0)
    return fail(argLoc(c, "c0"), "only 'lstm' has a cell state 'c0'");
  if (isLstm && (bool(*h0) != bool(*c0)))
    return fail(c.loc, "'lstm' needs both 'h0' and 'c0', or neither");
  auto type = tensorType(*x);
  if (type.getRank() != 3)
    return fail(argLoc(c, "x"),
                "'" + c.name + "' needs a [B, T, features] input, found " + typeString(type));
  RecurrentSpec spec;
  spec.kind = kind;
  spec.input = *x;
  spec.initialHidden = *h0;
  spec.initialCell = *c0;
  spec.lengths = *lengths;
  spec.numLayers = *layers;
  spec.bidirectional = *bidirectional;
  spec.batchFirst = *batchFirst;
  SmallVector<Value> ws;
  if (failed(recurrentWeights(c, spec, *prefix, ws)))
    return failure();
  spec.weights = ws;
  if (kind == RecurrentKind::rnn && failed(rnnActivation(c, spec.activation)))
    return failure();
  auto result = orShapeError(c.loc, heed.recurrent(loc(c.loc), spec));
  if (failed(result))
    return failure();
  return tupleVal(SmallVector<Value>((*result)->getResults()), c.loc);
}

LogicalResult Importer::recurrentWeights(Call &c, RecurrentSpec &spec, StringRef prefix,
                                         SmallVectorImpl<Value> &ws) {
  int64_t gates = frontend::gateCount(spec.kind);
  SMLoc wl = argLoc(c, "weights");
  int dirs = spec.bidirectional ? 2 : 1;
  std::string first = (prefix + ".weight_hh_l0").str();
  if (!hasWeight(first)) {
    (void)weight(wl, first, std::nullopt, c.name);
    return failure();
  }
  const ::heed::TensorView *hh = weights->find(first);
  if (hh->shape.size() != 2 || hh->shape[1] <= 0 || hh->shape[0] != gates * hh->shape[1])
    return fail(wl, "weight '" + first + "' has shape " + shapeString(hh->shape) + " but " +
                        c.name + " needs [" + std::to_string(gates) + "*hidden, hidden]");
  int64_t hidden = hh->shape[1];
  spec.hiddenSize = hidden;
  spec.hasBiases = hasWeight((prefix + ".bias_ih_l0").str());
  for (int64_t layer = 0; layer < spec.numLayers; ++layer) {
    for (int dir = 0; dir < dirs; ++dir) {
      std::string suffix = "_l" + std::to_string(layer) + (dir ? "_reverse" : "");
      int64_t in = layer == 0 ? tensorType(spec.input).getDimSize(2) : dirs * hidden;
      SmallVector<int64_t> ih{gates * hidden, in}, hhs{gates * hidden, hidden}, b{gates * hidden};
      std::string what = c.name + " layer " + std::to_string(layer) + (dir ? " (reverse)" : "") +
                         " with hidden size " + std::to_string(hidden);
      auto wih = weight(wl, (prefix + ".weight_ih" + suffix).str(), ArrayRef<int64_t>(ih), what);
      if (failed(wih))
        return failure();
      auto whh = weight(wl, (prefix + ".weight_hh" + suffix).str(), ArrayRef<int64_t>(hhs), what);
      if (failed(whh))
        return failure();
      ws.push_back(*wih);
      ws.push_back(*whh);
      if (spec.hasBiases) {
        auto bih = weight(wl, (prefix + ".bias_ih" + suffix).str(), ArrayRef<int64_t>(b), what);
        if (failed(bih))
          return failure();
        auto bhh = weight(wl, (prefix + ".bias_hh" + suffix).str(), ArrayRef<int64_t>(b), what);
        if (failed(bhh))
          return failure();
        ws.push_back(*bih);
        ws.push_back(*bhh);
      }
    }
  }
  return success();
}

FailureOr<Val> Importer::cell(Call &c, RecurrentKind kind) {
  auto x = tensorArg(c, "x");
  auto h = tensorArg(c, "h");
  bool isLstm = kind == RecurrentKind::lstm;
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
  int64_t rows = hidden == kDyn ? kDyn : frontend::gateCount(kind) * hidden;
  SmallVector<int64_t> ih{rows, in}, hh{rows, hidden}, b{rows};
  std::string what = c.name + " with input " + typeString(xt) + " and state " + typeString(ht);
  auto wih = weight(wl, *prefix + ".weight_ih", ArrayRef<int64_t>(ih), what);
  if (failed(wih))
    return failure();
  auto whh = weight(wl, *prefix + ".weight_hh", ArrayRef<int64_t>(hh), what);
  if (failed(whh))
    return failure();
  SmallVector<Value> biases;
  if (hasWeight(*prefix + ".bias_ih")) {
    auto bih = weight(wl, *prefix + ".bias_ih", ArrayRef<int64_t>(b), what);
    auto bhh = succeeded(bih) ? weight(wl, *prefix + ".bias_hh", ArrayRef<int64_t>(b), what)
                              : FailureOr<Value>(failure());
    if (failed(bih) || failed(bhh))
      return failure();
    biases = {*bih, *bhh};
  }
  CellSpec spec{kind, *x, *h, *cs, *wih, *whh, biases};
  if (kind == RecurrentKind::rnn && failed(rnnActivation(c, spec.activation)))
    return failure();
  auto result = orShapeError(c.loc, heed.cell(loc(c.loc), spec));
  if (failed(result))
    return failure();
  if (isLstm)
    return tupleVal(SmallVector<Value>((*result)->getResults()), c.loc);
  return tensorVal((*result)->getResult(0), c.loc);
}

LogicalResult Importer::rnnActivation(Call &c, RnnActivation &activation) {
  auto name = stringArg(c, "activation", std::string("tanh"));
  if (failed(name))
    return failure();
  if (*name != "tanh" && *name != "relu")
    return fail(argLoc(c, "activation"), "expected \"tanh\" or \"relu\"");
  activation = *name == "relu" ? RnnActivation::relu : RnnActivation::tanh;
  return success();
}
