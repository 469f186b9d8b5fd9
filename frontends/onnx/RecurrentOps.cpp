//===- RecurrentOps.cpp - LSTM, GRU and RNN -------------------------------===//
//
// Recurrent weights are reordered from ONNX gate order (LSTM i,o,f,c; GRU
// z,r,h) to PyTorch's (i,f,g,o; r,z,n) with heed.slice + heed.concat on the
// weight constants; B splits into b_ih, b_hh; ONNX Y [T, dirs, B, H] is a
// reshape + transpose of heed's [T, B, dirs*H]; layout = 1 is batch_first.
// LSTM peepholes P (i,o,f) are reordered to i,f,o and appended to each
// direction's weights. The op itself is built by the shared HeedBuilder.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/Importer.h"

using namespace mlir;
using namespace mlir::heed;
using namespace mlir::heed::onnx::detail;
using frontend::RecurrentKind;
using frontend::RecurrentSpec;

static RecurrentKind kindOf(StringRef type) {
  return type == "LSTM"  ? RecurrentKind::lstm
         : type == "GRU" ? RecurrentKind::gru
                         : RecurrentKind::rnn;
}

/// Direction, clip, layout, LSTM options and activations: what the op's
/// attributes ask beyond the weights.
LogicalResult Importer::recurrentOptions(const NodeProto &node, RecurrentSpec &spec) {
  StringRef type = node.op_type();
  std::string direction = stringAttr(node, "direction", "forward");
  if (direction != "forward" && direction != "reverse" && direction != "bidirectional")
    return error() << "unknown direction '" << direction
                   << "'; expected forward, reverse or bidirectional";
  spec.bidirectional = direction == "bidirectional";
  spec.reverse = direction == "reverse";
  int64_t dirs = spec.bidirectional ? 2 : 1;
  if (const auto *a = attribute(node, "clip")) {
    spec.clip = a->f();
    if (!(*spec.clip > 0))
      return error() << "expects a positive 'clip', got " << *spec.clip;
  }
  spec.peepholes = type == "LSTM" && has(node, 7);
  spec.inputForget = type == "LSTM" && intAttr(node, "input_forget", 0) != 0;
  spec.batchFirst = intAttr(node, "layout", 0) == 1;
  spec.linearBeforeReset = intAttr(node, "linear_before_reset", 0) != 0;
  const auto *a = attribute(node, "activations");
  if (!a)
    return success();
  SmallVector<std::string> acts(a->strings().begin(), a->strings().end());
  SmallVector<std::string> expected;
  if (type == "LSTM")
    expected = {"Sigmoid", "Tanh", "Tanh"};
  else if (type == "GRU")
    expected = {"Sigmoid", "Tanh"};
  else
    expected = {acts.empty() ? "Tanh" : acts[0]};
  SmallVector<std::string> full;
  for (int64_t d = 0; d < dirs; ++d)
    full.append(expected);
  if (type == "RNN" && !acts.empty() && acts[0] == "Relu")
    spec.activation = RnnActivation::relu;
  if (acts != full && !(acts.size() * dirs == full.size() &&
                        SmallVector<std::string>(full.begin(), full.begin() + acts.size()) == acts))
    return error() << "unsupported activations; Heed's cells use the defaults (and Relu "
                      "for RNN)";
  if (type == "RNN" && acts[0] != "Tanh" && acts[0] != "Relu")
    return error() << "unsupported RNN activation '" << acts[0] << "'";
  return success();
}

/// Each direction's w_ih, w_hh, [b_ih, b_hh], [peepholes] in heed's gate order.
LogicalResult Importer::recurrentWeights(const NodeProto &node, RecurrentSpec &spec,
                                         SmallVectorImpl<Value> &weights) {
  Value w = input(node, 1), r = input(node, 2);
  auto wt = cast<RankedTensorType>(w.getType());
  int64_t gates = frontend::gateCount(spec.kind), hidden = spec.hiddenSize;
  int64_t inputSize = wt.getDimSize(2), dirs = spec.bidirectional ? 2 : 1;
  // ONNX gate chunks -> PyTorch order.
  SmallVector<int64_t> order = spec.kind == RecurrentKind::lstm  ? SmallVector<int64_t>{0, 2, 3, 1}
                               : spec.kind == RecurrentKind::gru ? SmallVector<int64_t>{1, 0, 2}
                                                                 : SmallVector<int64_t>{0};
  auto reorder = [&](Value m) -> Value {
    if (gates == 1)
      return m;
    SmallVector<Value> chunks;
    for (int64_t g : order)
      chunks.push_back(slice(m, 0, g * hidden, (g + 1) * hidden));
    return concat(chunks, 0);
  };
  Value b = has(node, 3) ? input(node, 3) : Value();
  spec.hasBiases = bool(b);
  Value p = spec.peepholes ? input(node, 7) : Value();
  if (spec.peepholes && !p)
    return failure();
  if (p) {
    auto pt = cast<RankedTensorType>(p.getType());
    if (pt.getRank() != 2 || pt.getDimSize(0) != dirs || pt.getDimSize(1) != 3 * hidden)
      return error() << "expects peepholes P of shape [" << dirs << ", " << 3 * hidden << "], got "
                     << pt;
  }
  for (int64_t d = 0; d < dirs; ++d) {
    weights.push_back(reorder(reshape(slice(w, 0, d, d + 1), {gates * hidden, inputSize})));
    weights.push_back(reorder(reshape(slice(r, 0, d, d + 1), {gates * hidden, hidden})));
    if (b) {
      Value bd = reshape(slice(b, 0, d, d + 1), {2 * gates * hidden});
      weights.push_back(reorder(slice(bd, 0, 0, gates * hidden)));
      weights.push_back(reorder(slice(bd, 0, gates * hidden, 2 * gates * hidden)));
    }
    if (p) {
      // ONNX P[iof] -> heed.lstm's i, f, o.
      Value pd = reshape(slice(p, 0, d, d + 1), {3 * hidden});
      weights.push_back(concat({slice(pd, 0, 0, hidden), slice(pd, 0, 2 * hidden, 3 * hidden),
                                slice(pd, 0, hidden, 2 * hidden)},
                               0));
    }
  }
  if (llvm::any_of(weights, [](Value v) { return !v; }))
    return failure();
  return success();
}

/// Y: heed [T, B, dirs*H] -> ONNX [T, dirs, B, H] (batch first: [B, T, dirs, H]);
/// the final states back to batch first where the layout asks.
LogicalResult Importer::recurrentOutputs(const NodeProto &node, const RecurrentSpec &spec,
                                         Operation *o) {
  if (wants(node, 0)) {
    Value y = reshape(o->getResult(0), {0, 0, spec.bidirectional ? 2 : 1, spec.hiddenSize});
    if (!spec.batchFirst)
      y = transpose(y, {0, 2, 1, 3});
    if (failed(define(node, 0, y)))
      return failure();
  }
  for (int i = 1; i < static_cast<int>(o->getNumResults()); ++i) {
    Value s = o->getResult(i);
    if (spec.batchFirst)
      s = transpose(s, {1, 0, 2});
    if (node.output_size() > i && failed(define(node, i, s)))
      return failure();
  }
  return success();
}

LogicalResult Importer::importRecurrent(const NodeProto &node) {
  RecurrentSpec spec;
  spec.kind = kindOf(node.op_type());
  if (failed(recurrentOptions(node, spec)))
    return failure();
  Value x = input(node, 0), w = input(node, 1), r = input(node, 2);
  if (!x || !w || !r)
    return failure();
  auto wt = cast<RankedTensorType>(w.getType()), rt = cast<RankedTensorType>(r.getType());
  if (wt.getRank() != 3 || rt.getRank() != 3 || wt.isDynamicDim(1) || rt.isDynamicDim(2))
    return error() << "expects W [dirs, G*H, I] and R [dirs, G*H, H] with static sizes";
  int64_t gates = frontend::gateCount(spec.kind);
  spec.hiddenSize = intAttr(node, "hidden_size", rt.getDimSize(2));
  if (spec.hiddenSize <= 0 || wt.getDimSize(1) != gates * spec.hiddenSize ||
      rt.getDimSize(2) != spec.hiddenSize)
    return error() << "W/R shapes " << wt << " and " << rt << " do not match hidden_size "
                   << spec.hiddenSize << " with " << gates << " gates";
  SmallVector<Value> weights;
  if (failed(recurrentWeights(node, spec, weights)))
    return failure();
  auto stateIn = [&](int i) -> Value {
    if (!has(node, i))
      return {};
    Value s = input(node, i);
    return spec.batchFirst ? transpose(s, {1, 0, 2}) : s;
  };
  bool lstm = spec.kind == RecurrentKind::lstm;
  Value h0 = stateIn(5), c0 = lstm ? stateIn(6) : Value();
  spec.lengths = has(node, 4) ? input(node, 4) : Value();
  if (lstm && (bool(h0) != bool(c0))) {
    // heed.lstm takes both initial states or neither: fill in zeros.
    Value given = h0 ? h0 : c0;
    Value zero = op<MulOp>(
        given, scalarConstant(cast<RankedTensorType>(given.getType()).getElementType(), 0));
    (h0 ? c0 : h0) = zero;
  }
  spec.input = x;
  spec.initialHidden = h0;
  spec.initialCell = c0;
  spec.weights = weights;
  Operation *o = heed.recurrent(loc, spec);
  if (!o)
    return failure();
  return recurrentOutputs(node, spec, o);
}

void mlir::heed::onnx::detail::registerRecurrentOps(OpTable &t) {
  t.add("LSTM", &Importer::importRecurrent, 3);
  t.add("GRU", &Importer::importRecurrent, 3);
  t.add("RNN", &Importer::importRecurrent, 3);
}
