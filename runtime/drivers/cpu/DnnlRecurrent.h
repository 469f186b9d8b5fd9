//===- DnnlRecurrent.h - Recurrent layers as oneDNN primitives --*- C++ -*-===//
//
// One layer of heed.lstm / heed.gru / heed.rnn (every direction at once) as oneDNN's
// lstm_forward, gru_forward, lbr_gru_forward or vanilla_rnn_forward in inference mode. The
// primitives want their weights packed in a format of their own, with oneDNN's gate orders;
// packing costs about as much as a short run, so the packed copies of constant weights are kept
// (RnnPackedWeights, held by the executor's cache of things made from constants). Primitives are
// cached by shape. Errors are thrown as rt::Error.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_RUNTIME_DRIVERS_CPU_DNNLRECURRENT_H
#define HEED_RUNTIME_DRIVERS_CPU_DNNLRECURRENT_H

#include <cstdint>
#include <memory>
#include <vector>

namespace heed::rt::cpu::dnnl {

enum class RnnCell { tanh, relu, gru, gruLbr, lstm };

/// One layer's weights, per direction, in Heed's layouts and gate orders (PyTorch's: LSTM
/// i,f,g,o; GRU r,z,n): w_ih [G*H, I], w_hh [G*H, H], b_ih and b_hh [G*H] (null: no biases),
/// LSTM peepholes [3*H] for i, f, o (null: none).
struct RnnLayerWeights {
  RnnCell cell = RnnCell::lstm;
  int64_t input = 0, hidden = 0;
  bool reverse = false; // one direction, from the last step to the first
  std::vector<const float *> wih, whh, bih, bhh, peep;
  int64_t directions() const { return int64_t(wih.size()); }
};

/// One run of a layer over a whole sequence.
struct RnnLayerRun {
  int64_t steps = 0, batch = 0;
  const float *x = nullptr;                 // [T, B, I]
  const float *h0 = nullptr, *c0 = nullptr; // [D, B, H]; null: zeros
  float *y = nullptr;                       // [T, B, D*H], directions side by side
  float *hN = nullptr, *cN = nullptr;       // [D, B, H]; cN for LSTM only
};

/// A layer's weights packed for the primitives met so far: the packed format may change with
/// the shape, so a few variants are kept.
struct RnnPackedWeights {
  struct Variant;
  std::vector<std::shared_ptr<Variant>> variants;
};

/// Runs one layer. `packs` keeps the packed weights between calls (constant weights), or is
/// null to pack them for this call only.
void rnnLayer(const RnnLayerWeights &w, const RnnLayerRun &r, RnnPackedWeights *packs);

} // namespace heed::rt::cpu::dnnl

#endif // HEED_RUNTIME_DRIVERS_CPU_DNNLRECURRENT_H
