//===- RecurrentRules.cpp - Shape rules of the recurrent ops --------------===//
//
// What both drivers accept of the recurrent ops' operands (see RecurrentRules.h for each rule).
//
//===----------------------------------------------------------------------===//

#include "runtime/drivers/rules/RecurrentRules.h"

namespace heed::rt {

std::string expectF32(TypedShape t, const std::vector<int64_t> &shape, const std::string &what) {
  if (t.type != ElemType::f32)
    return what + " must be f32, got " + elemTypeName(t.type);
  if (t.shape != shape)
    return what + " has shape " + shapeString(t.shape, t.type) + ", expected " +
           shapeString(shape, ElemType::f32);
  return "";
}

std::string cellLayout(const std::vector<TypedShape> &operands, bool lstm, int64_t gates,
                       CellLayout &l) {
  l.weightsAt = lstm ? 3 : 2;
  l.gates = gates;
  if (operands.size() != l.weightsAt + 2 && operands.size() != l.weightsAt + 4)
    return "expects either no biases or both b_ih and b_hh";
  l.biases = operands.size() == l.weightsAt + 4;
  const TypedShape &x = operands[0], &h = operands[1];
  if (x.shape.size() != 2 || h.shape.size() != 2)
    return "expects input [B, I] and hidden [B, H]";
  l.batch = x.shape[0], l.input = x.shape[1], l.hidden = h.shape[1];
  const int64_t B = l.batch, I = l.input, H = l.hidden, G = gates;
  auto expect = [&](size_t i, std::vector<int64_t> shape, const char *what) {
    return expectF32(operands[i], shape, what);
  };
  std::string error = expect(1, {B, H}, "hidden");
  if (error.empty() && lstm)
    error = expect(2, {B, H}, "cell");
  if (error.empty())
    error = expect(0, {B, I}, "input");
  if (error.empty())
    error = expect(l.weightsAt, {G * H, I}, "w_ih");
  if (error.empty())
    error = expect(l.weightsAt + 1, {G * H, H}, "w_hh");
  if (error.empty() && l.biases)
    error = expect(l.weightsAt + 2, {G * H}, "b_ih");
  if (error.empty() && l.biases)
    error = expect(l.weightsAt + 3, {G * H}, "b_hh");
  return error;
}

std::string sequenceLayout(TypedShape x, const SequenceAttrs &a, size_t numWeights,
                           SequenceLayout &l) {
  if (x.shape.size() != 3)
    return "expects a rank-3 input, got " + shapeString(x.shape, x.type);
  if (x.type != ElemType::f32)
    return "supports only f32 input";
  l.steps = a.batchFirst ? x.shape[1] : x.shape[0];
  l.batch = a.batchFirst ? x.shape[0] : x.shape[1];
  l.input = x.shape[2];
  l.hidden = a.hidden;
  l.layers = a.layers;
  l.directions = a.bidirectional ? 2 : 1;
  l.gates = a.gates;
  l.biases = a.biases;
  l.peepholes = a.peepholes;
  if (a.reverse && a.bidirectional)
    return "is both reverse and bidirectional";
  l.cellWeights = a.biases ? 4 : 2;
  l.perDirection = l.cellWeights + (a.peepholes ? 1 : 0);
  const int64_t L = l.layers, D = l.directions, H = l.hidden;
  if (L < 1 || L > 1024 || H < 1 || numWeights != size_t(L * D) * l.perDirection)
    return "expects " + std::to_string(L) + " layers x " + std::to_string(D) + " directions x " +
           std::to_string(l.perDirection) + " weights with hidden_size >= 1, got " +
           std::to_string(numWeights) + " weights and hidden_size " + std::to_string(H);
  l.stateShape = {L * D, l.batch, H};
  l.outShape = a.batchFirst ? std::vector<int64_t>{l.batch, l.steps, D * H}
                            : std::vector<int64_t>{l.steps, l.batch, D * H};
  return "";
}

std::string sequenceWeights(const SequenceLayout &l, const std::vector<TypedShape> &weights) {
  const int64_t D = l.directions, H = l.hidden, GH = l.gates * H;
  for (int64_t layer = 0; layer < l.layers; ++layer)
    for (int64_t d = 0; d < D; ++d) {
      size_t w = size_t(layer * D + d) * l.perDirection;
      std::string which = "layer " + std::to_string(layer) + (d ? " reverse " : " ");
      std::string error = expectF32(weights[w], {GH, layer == 0 ? l.input : D * H}, which + "w_ih");
      if (error.empty())
        error = expectF32(weights[w + 1], {GH, H}, which + "w_hh");
      if (error.empty() && l.biases)
        error = expectF32(weights[w + 2], {GH}, which + "b_ih");
      if (error.empty() && l.biases)
        error = expectF32(weights[w + 3], {GH}, which + "b_hh");
      if (error.empty() && l.peepholes)
        error = expectF32(weights[w + l.cellWeights], {3 * H}, which + "peepholes");
      if (!error.empty())
        return error;
    }
  return "";
}

std::string sequenceInitialState(const SequenceLayout &l, TypedShape state, bool cell) {
  return expectF32(state, l.stateShape, cell ? "initial cell state" : "initial hidden state");
}

std::string sequenceLengths(const SequenceLayout &l, TypedShape lengths) {
  if (lengths.type != ElemType::i32 && lengths.type != ElemType::i64)
    return "expects integer lengths, got " + shapeString(lengths.shape, lengths.type);
  if (lengths.shape.size() != 1 || lengths.shape[0] != l.batch)
    return "expects lengths [" + std::to_string(l.batch) + "], got " +
           shapeString(lengths.shape, lengths.type);
  return "";
}

} // namespace heed::rt
