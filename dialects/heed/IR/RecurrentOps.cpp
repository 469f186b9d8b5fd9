//===- RecurrentOps.cpp - Shape rules of the recurrent ops ----------------===//
//
// The inferReturnTypes of the RNN, GRU and LSTM cells and sequences (their
// weights, states and directions), apart from HeedOps.cpp by op family.
//
//===----------------------------------------------------------------------===//

#include "dialects/heed/IR/HeedOps.h"
#include "dialects/heed/IR/InferHelpers.h"

using namespace mlir;
using namespace mlir::heed;
using namespace mlir::heed::infer;

//===----------------------------------------------------------------------===//
// Recurrent cells and sequences
//===----------------------------------------------------------------------===//

namespace {
/// Checks one tensor against an expected shape; `what` names it in errors.
LogicalResult expectShape(const ShapeError &error, Value value, ArrayRef<int64_t> expected,
                          Type element, const Twine &what) {
  auto type = tensorOf(value);
  if (!type)
    return failure();
  bool ok =
      type.getElementType() == element && type.getRank() == static_cast<int64_t>(expected.size());
  for (int64_t d = 0; ok && d < type.getRank(); ++d)
    ok = shape::compatible(type.getDimSize(d), expected[d]);
  if (!ok)
    return error("expects ", what.str(), " of shape ", shapeString(expected), " and type ", element,
                 ", got ", type);
  return success();
}

/// The weights of one recurrent layer (or cell): w_ih [G*H, inputSize],
/// w_hh [G*H, H], and biases [G*H] each.
LogicalResult checkCellWeights(const ShapeError &error, ValueRange weights, int64_t gates,
                               int64_t hidden, int64_t inputSize, Type element,
                               const Twine &where) {
  int64_t rows = shape::mul(gates, hidden);
  if (failed(expectShape(error, weights[0], {rows, inputSize}, element, where + "w_ih")) ||
      failed(expectShape(error, weights[1], {rows, hidden}, element, where + "w_hh")))
    return failure();
  for (size_t i = 2; i < weights.size(); ++i)
    if (failed(expectShape(error, weights[i], {rows}, element, where + (i == 2 ? "b_ih" : "b_hh"))))
      return failure();
  return success();
}

LogicalResult inferCell(std::optional<Location> loc, StringRef opName, int64_t gates, Value input,
                        ValueRange states, Value wIh, Value wHh, ValueRange biases,
                        Types &inferred) {
  ShapeError error(loc, opName);
  auto x = tensorOf(input), h = tensorOf(states.front());
  if (!x || !h)
    return failure();
  if (x.getRank() != 2 || h.getRank() != 2)
    return error("expects input [B, I] and states [B, H], got ", x, " and ", h);
  if (biases.size() != 0 && biases.size() != 2)
    return error("expects no biases or exactly (b_ih, b_hh), got ", biases.size());
  int64_t batch = shape::meet(x.getDimSize(0), h.getDimSize(0));
  // w_hh [G*H, H] also gives H; its full shape is checked below.
  auto hh = tensorOf(wHh);
  int64_t hidden = hh && hh.getRank() == 2 ? hh.getDimSize(1) : kDyn;
  hidden = shape::meet(h.getDimSize(1), hidden);
  SmallVector<Value> weights{wIh, wHh};
  llvm::append_range(weights, biases);
  if (hidden == kDyn) {
    // The states leave H open: take it from the weights' G*H rows, so that
    // they are still checked against each other.
    int64_t rows = kDyn;
    for (Value weight : weights)
      if (auto type = tensorOf(weight); type && type.getRank() >= 1)
        rows = shape::meet(rows, type.getDimSize(0));
    if (rows != kDyn && rows % gates != 0)
      return error("expects weights of ", gates, "*H rows (one block per gate), got ", rows);
    if (rows != kDyn)
      hidden = rows / gates;
  }
  for (Value state : states)
    if (failed(expectShape(error, state, {batch, hidden}, x.getElementType(), "state")))
      return failure();
  if (failed(
          checkCellWeights(error, weights, gates, hidden, x.getDimSize(1), x.getElementType(), "")))
    return failure();
  for (size_t i = 0; i < states.size(); ++i)
    inferred.push_back(tensorLike({batch, hidden}, x.getElementType()));
  return success();
}

struct SequenceSpec {
  Value input, initialHidden, initialCell, lengths;
  ValueRange weights;
  int64_t hiddenSize, numLayers;
  bool bidirectional, batchFirst, hasBiases, reverse = false, peepholes = false;
  std::optional<double> clip;
  int64_t gates, numStates;
};

LogicalResult inferSequence(std::optional<Location> loc, StringRef opName, const SequenceSpec &spec,
                            Types &inferred) {
  ShapeError error(loc, opName);
  auto x = tensorOf(spec.input);
  if (!x)
    return failure();
  if (x.getRank() != 3)
    return error("expects a rank-3 input ([T, B, I], or [B, T, I] batch first), got ", x);
  if (spec.hiddenSize <= 0 || spec.numLayers <= 0)
    return error("expects a positive hidden_size and num_layers");
  if (spec.reverse && spec.bidirectional)
    return error("cannot be both reverse and bidirectional");
  if (spec.clip && !(*spec.clip > 0))
    return error("expects a positive clip, got ", *spec.clip);
  int64_t dirs = spec.bidirectional ? 2 : 1;
  int64_t cellWeights = spec.hasBiases ? 4 : 2;
  int64_t perLayer = cellWeights + (spec.peepholes ? 1 : 0);
  // Sizes come from attributes: multiply without overflow (kDyn on overflow,
  // which no operand count or dim can equal).
  int64_t expected = shape::mul(shape::mul(spec.numLayers, dirs), perLayer);
  if (static_cast<int64_t>(spec.weights.size()) != expected)
    return error("expects ", expected, " weights (", spec.numLayers, " layers x ", dirs,
                 " directions x ", perLayer, "), got ", spec.weights.size());
  Type element = x.getElementType();
  int64_t time = x.getDimSize(spec.batchFirst ? 1 : 0);
  int64_t batch = x.getDimSize(spec.batchFirst ? 0 : 1);
  int64_t h = spec.hiddenSize;
  for (int64_t layer = 0; layer < spec.numLayers; ++layer) {
    for (int64_t dir = 0; dir < dirs; ++dir) {
      int64_t inputSize = layer == 0 ? x.getDimSize(2) : shape::mul(dirs, h);
      ValueRange weights = spec.weights.slice((layer * dirs + dir) * perLayer, cellWeights);
      std::string where =
          "layer " + std::to_string(layer) + (dir ? " reverse " : (dirs == 2 ? " forward " : " "));
      if (failed(checkCellWeights(error, weights, spec.gates, h, inputSize, element, where)))
        return failure();
      if (spec.peepholes &&
          failed(expectShape(error, spec.weights[(layer * dirs + dir) * perLayer + cellWeights],
                             {shape::mul(3, h)}, element, where + "peepholes")))
        return failure();
    }
  }
  // The batch dim is made more static by each state as it is checked, so
  // that two states (or a state and the lengths) cannot disagree behind a
  // dynamic input batch.
  SmallVector<int64_t> stateShape{shape::mul(spec.numLayers, dirs), batch, h};
  for (auto [state, name] : {std::pair<Value, StringRef>{spec.initialHidden, "initial_hidden"},
                             std::pair<Value, StringRef>{spec.initialCell, "initial_cell"}}) {
    if (!state)
      continue;
    if (failed(expectShape(error, state, stateShape, element, name)))
      return failure();
    stateShape[1] = batch = shape::meet(batch, tensorOf(state).getDimSize(1));
  }
  if (spec.lengths) {
    auto lengths = tensorOf(spec.lengths);
    if (!lengths)
      return failure();
    if (lengths.getRank() != 1 || !shape::compatible(lengths.getDimSize(0), batch))
      return error("expects lengths of shape [", dimString(batch), "], got ", lengths);
  }
  int64_t features = shape::mul(dirs, h);
  SmallVector<int64_t> outShape = spec.batchFirst ? SmallVector<int64_t>{batch, time, features}
                                                  : SmallVector<int64_t>{time, batch, features};
  inferred.push_back(tensorLike(outShape, element));
  for (int64_t i = 0; i < spec.numStates; ++i)
    inferred.push_back(tensorLike(stateShape, element));
  return success();
}
} // namespace

LogicalResult RnnCellOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                          Adaptor adaptor, Types &inferred) {
  return inferCell(loc, getOperationName(), 1, adaptor.getInput(), adaptor.getHidden(),
                   adaptor.getWIh(), adaptor.getWHh(), adaptor.getBiases(), inferred);
}

LogicalResult GruCellOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                          Adaptor adaptor, Types &inferred) {
  return inferCell(loc, getOperationName(), 3, adaptor.getInput(), adaptor.getHidden(),
                   adaptor.getWIh(), adaptor.getWHh(), adaptor.getBiases(), inferred);
}

LogicalResult LstmCellOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                           Adaptor adaptor, Types &inferred) {
  SmallVector<Value> states{adaptor.getHidden(), adaptor.getCell()};
  return inferCell(loc, getOperationName(), 4, adaptor.getInput(), states, adaptor.getWIh(),
                   adaptor.getWHh(), adaptor.getBiases(), inferred);
}

/// The fields every recurrent sequence op shares, read from its adaptor.
template <typename Adaptor>
static SequenceSpec sequenceSpec(Adaptor adaptor, Value initialCell, int64_t gates,
                                 int64_t numStates) {
  SequenceSpec spec;
  spec.input = adaptor.getInput();
  spec.initialHidden = adaptor.getInitialHidden();
  spec.initialCell = initialCell;
  spec.lengths = adaptor.getLengths();
  spec.weights = adaptor.getWeights();
  spec.hiddenSize = static_cast<int64_t>(adaptor.getHiddenSize());
  spec.numLayers = static_cast<int64_t>(adaptor.getNumLayers());
  spec.bidirectional = adaptor.getBidirectional();
  spec.batchFirst = adaptor.getBatchFirst();
  spec.hasBiases = adaptor.getHasBiases();
  spec.reverse = adaptor.getReverse();
  if (auto clip = adaptor.getClip())
    spec.clip = clip->convertToDouble();
  spec.gates = gates;
  spec.numStates = numStates;
  return spec;
}

LogicalResult RnnOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
                                      Types &inferred) {
  return inferSequence(loc, getOperationName(), sequenceSpec(adaptor, Value(), 1, 1), inferred);
}

LogicalResult GruOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
                                      Types &inferred) {
  return inferSequence(loc, getOperationName(), sequenceSpec(adaptor, Value(), 3, 1), inferred);
}

LogicalResult LstmOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
                                       Types &inferred) {
  SequenceSpec spec = sequenceSpec(adaptor, adaptor.getInitialCell(), 4, 2);
  spec.peepholes = adaptor.getPeepholes();
  return inferSequence(loc, getOperationName(), spec, inferred);
}
