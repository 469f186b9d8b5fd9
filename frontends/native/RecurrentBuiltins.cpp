//===- RecurrentBuiltins.cpp - lstm/gru/rnn layers and cells ----------------===//
//
// Recurrent layers and cells take PyTorch's weight names under a prefix and
// become the fused heed recurrent ops.
//
//===----------------------------------------------------------------------===//

#include "frontends/native/Importer.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace mlir::heed;
using namespace mlir::heed::native::detail;

FailureOr<Val> Importer::recurrent(Call &c, StringRef op, int gates) {
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
    auto activation = rnnActivation(c);
    if (failed(activation))
      return failure();
    attrs.push_back(*activation);
  }
  auto result = build(c.loc, op, operands, attrs, isLstm ? 3 : 2);
  if (failed(result))
    return failure();
  return tupleVal(SmallVector<Value>((*result)->getResults()), c.loc);
}

FailureOr<Val> Importer::cell(Call &c, StringRef op, int gates) {
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
    auto activation = rnnActivation(c);
    if (failed(activation))
      return failure();
    attrs.push_back(*activation);
  }
  auto result = build(c.loc, op, operands, attrs, isLstm ? 2 : 1);
  if (failed(result))
    return failure();
  if (isLstm)
    return tupleVal(SmallVector<Value>((*result)->getResults()), c.loc);
  return tensorVal((*result)->getResult(0), c.loc);
}

FailureOr<NamedAttribute> Importer::rnnActivation(Call &c) {
  auto activation = stringArg(c, "activation", std::string("tanh"));
  if (failed(activation))
    return failure();
  if (*activation != "tanh" && *activation != "relu")
    return fail(argLoc(c, "activation"), "expected \"tanh\" or \"relu\"");
  return attr("activation",
              RnnActivationAttr::get(context, *activation == "relu" ? RnnActivation::relu
                                                                    : RnnActivation::tanh));
}
