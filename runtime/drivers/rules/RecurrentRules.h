//===- RecurrentRules.h - Shape rules of the recurrent ops ------*- C++ -*-===//
//
// rnn/gru/lstm cells and whole sequences: gate sizes, weight, bias and state shapes, checked once
// for both drivers (a CPU run and a Vulkan run of one model accept the same operands, with the
// same messages). Every rule returns "" or the error message; the driver reports it with the op's
// location.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_RUNTIME_DRIVERS_RULES_RECURRENTRULES_H
#define HEED_RUNTIME_DRIVERS_RULES_RECURRENTRULES_H

#include "runtime/drivers/rules/DataRules.h"

namespace heed::rt {

/// `t` is f32 of exactly `shape`; `what` names it in the message ("hidden", "layer 0 w_ih").
std::string expectF32(TypedShape t, const std::vector<int64_t> &shape, const std::string &what);

/// rnn_cell, gru_cell and lstm_cell: input [B, I], hidden [B, H], (lstm) cell [B, H], then
/// w_ih [G*H, I], w_hh [G*H, H] from `weightsAt`, and either no biases or b_ih and b_hh [G*H].
/// G is the cell's gate count (1, 3 or 4).
struct CellLayout {
  int64_t batch = 0, input = 0, hidden = 0, gates = 1;
  size_t weightsAt = 2;
  bool biases = false;
};
std::string cellLayout(const std::vector<TypedShape> &operands, bool lstm, int64_t gates,
                       CellLayout &out);

/// The attributes of heed.rnn, heed.gru and heed.lstm that shape their operands.
struct SequenceAttrs {
  int64_t gates = 1, hidden = 0, layers = 1;
  bool batchFirst = false, bidirectional = false, reverse = false, biases = false,
       peepholes = false;
};
/// A whole sequence: input [T, B, I] ([B, T, I] batch first), num_layers x directions groups of
/// `perDirection` weights (w_ih, w_hh, [b_ih, b_hh], [peepholes]); states [L*D, B, H].
struct SequenceLayout {
  int64_t steps = 0, batch = 0, input = 0, hidden = 0, layers = 1, directions = 1, gates = 1;
  size_t cellWeights = 2, perDirection = 2;
  bool biases = false, peepholes = false;
  std::vector<int64_t> stateShape, outShape;
};
std::string sequenceLayout(TypedShape input, const SequenceAttrs &attrs, size_t numWeights,
                           SequenceLayout &out);
/// All of a sequence's weights, in operand order (layer-major, then direction).
std::string sequenceWeights(const SequenceLayout &l, const std::vector<TypedShape> &weights);
/// An optional initial hidden (or, `cell`, cell) state: f32 of the layout's stateShape.
std::string sequenceInitialState(const SequenceLayout &l, TypedShape state, bool cell);
/// The optional [B] integer lengths.
std::string sequenceLengths(const SequenceLayout &l, TypedShape lengths);

} // namespace heed::rt

#endif // HEED_RUNTIME_DRIVERS_RULES_RECURRENTRULES_H
