//===- DnnlRecurrent.cpp - Recurrent layers as oneDNN primitives ----------===//
//
// Gate orders: oneDNN's LSTM is i,f,c,o like PyTorch's; its GRU is u,r,o where PyTorch's is
// r,z,n (u is z), so GRU weights swap their first two gate blocks when packed. Biases: oneDNN
// has one per gate, b_ih + b_hh, except the linear-before-reset GRU whose fourth gate holds
// b_hn, added to W_hn h inside r * (...). The user weights go in as ldgoi ([G, H, I] per
// direction: PyTorch's w_ih) and are reordered into the format the primitive asked for.
//
//===----------------------------------------------------------------------===//

#include "runtime/drivers/cpu/DnnlRecurrent.h"

#include "runtime/drivers/cpu/DnnlCache.h"

#include <cstring>

namespace heed::rt::cpu::dnnl {

using ::dnnl::memory;
using ::dnnl::primitive;
using ::dnnl::prop_kind;
using ::dnnl::rnn_direction;
using tag = memory::format_tag;

struct RnnPackedWeights::Variant {
  memory::desc layerDesc, iterDesc;
  memory layer, iter, bias, peep;
};

namespace {

int64_t gatesOf(RnnCell k) {
  switch (k) {
  case RnnCell::lstm:
    return 4;
  case RnnCell::gru:
  case RnnCell::gruLbr:
    return 3;
  default:
    return 1;
  }
}

/// Heed's gate for each of oneDNN's: GRU (u, r, o) = (z, r, n).
int64_t heedGate(RnnCell k, int64_t g) {
  if ((k == RnnCell::gru || k == RnnCell::gruLbr) && g < 2)
    return 1 - g;
  return g;
}

/// A primitive and the formats it chose for its weights.
struct RnnPrimitive {
  primitive p;
  memory::desc layer, iter, bias, peep;
};

memory::desc f32(const memory::dims &dims, tag t) {
  return memory::desc(dims, memory::data_type::f32, t);
}

template <typename P> RnnPrimitive finish(const typename P::primitive_desc &pd) {
  return RnnPrimitive{P(pd), pd.weights_layer_desc(), pd.weights_iter_desc(), pd.bias_desc(),
                      pd.weights_peephole_desc()};
}

RnnPrimitive makePrimitive(const RnnLayerWeights &w, const RnnLayerRun &r, bool states,
                           const ::dnnl::engine &eng) {
  int64_t T = r.steps, B = r.batch, I = w.input, H = w.hidden, D = w.directions();
  int64_t G = gatesOf(w.cell), biasGates = w.cell == RnnCell::gruLbr ? 4 : G;
  rnn_direction dir = D == 2      ? rnn_direction::bidirectional_concat
                      : w.reverse ? rnn_direction::unidirectional_right2left
                                  : rnn_direction::unidirectional_left2right;
  memory::desc srcLayer = f32({T, B, I}, tag::tnc), dstLayer = f32({T, B, D * H}, tag::tnc);
  memory::desc state = f32({1, D, B, H}, tag::ldnc), none;
  memory::desc layer = f32({1, D, I, G, H}, tag::any), iter = f32({1, D, H, G, H}, tag::any);
  memory::desc bias = f32({1, D, biasGates, H}, tag::ldgo);
  memory::desc peep = w.peep.empty() || !w.peep[0] ? none : f32({1, D, 3, H}, tag::ldgo);
  const memory::desc &src = states ? state : none;
  prop_kind fi = prop_kind::forward_inference;
  switch (w.cell) {
  case RnnCell::lstm:
    return finish<::dnnl::lstm_forward>(::dnnl::lstm_forward::primitive_desc(
        {fi, dir, srcLayer, src, src, layer, iter, peep, bias, dstLayer, state, state}, eng));
  case RnnCell::gru:
    return finish<::dnnl::gru_forward>(::dnnl::gru_forward::primitive_desc(
        {fi, dir, srcLayer, src, layer, iter, bias, dstLayer, state}, eng));
  case RnnCell::gruLbr:
    return finish<::dnnl::lbr_gru_forward>(::dnnl::lbr_gru_forward::primitive_desc(
        {fi, dir, srcLayer, src, layer, iter, bias, dstLayer, state}, eng));
  default:
    return finish<::dnnl::vanilla_rnn_forward>(::dnnl::vanilla_rnn_forward::primitive_desc(
        {fi,
         w.cell == RnnCell::relu ? ::dnnl::algorithm::eltwise_relu
                                 : ::dnnl::algorithm::eltwise_tanh,
         dir, srcLayer, src, layer, iter, bias, dstLayer, state},
        eng));
  }
}

/// The primitives made so far, by shape: a few per model (one per sequence length and batch
/// met), so a small map that starts over when it fills is enough.
RnnPrimitive &primitiveFor(Cache &c, const RnnLayerWeights &w, const RnnLayerRun &r, bool states) {
  static auto *made = new std::unordered_map<std::string, RnnPrimitive>;
  std::string k = key("rnn", {r.steps, r.batch, w.input, w.hidden, w.directions()},
                      std::to_string(int(w.cell)) + (w.reverse ? "r" : "") + (states ? "s" : "") +
                          (!w.peep.empty() && w.peep[0] ? "p" : ""));
  auto it = made->find(k);
  if (it != made->end())
    return it->second;
  if (made->size() >= 64)
    made->clear();
  return made->emplace(k, makePrimitive(w, r, states, c.eng)).first->second;
}

/// `user` (dense, in `from`'s layout) reordered into a new memory of layout `to`.
memory reordered(Cache &c, const memory::desc &from, const float *user, const memory::desc &to) {
  memory src(from, c.eng, const_cast<float *>(user)), dst(to, c.eng);
  ::dnnl::reorder(src, dst).execute(c.strm, src, dst);
  c.strm.wait();
  return dst;
}

std::shared_ptr<RnnPackedWeights::Variant> pack(Cache &c, const RnnLayerWeights &w,
                                                const RnnPrimitive &p) {
  int64_t I = w.input, H = w.hidden, D = w.directions(), G = gatesOf(w.cell);
  auto v = std::make_shared<RnnPackedWeights::Variant>();
  v->layerDesc = p.layer;
  v->iterDesc = p.iter;
  // [D, G, H, K] in oneDNN's gate order: ldgoi, PyTorch's layout of each direction.
  auto gatesReordered = [&](const std::vector<const float *> &src, int64_t K) {
    std::vector<float> buf(size_t(D * G * H * K));
    for (int64_t d = 0; d < D; ++d)
      for (int64_t g = 0; g < G; ++g)
        std::memcpy(&buf[size_t((d * G + g) * H * K)], src[size_t(d)] + heedGate(w.cell, g) * H * K,
                    size_t(H * K) * sizeof(float));
    return buf;
  };
  v->layer =
      reordered(c, f32({1, D, I, G, H}, tag::ldgoi), gatesReordered(w.wih, I).data(), p.layer);
  v->iter = reordered(c, f32({1, D, H, G, H}, tag::ldgoi), gatesReordered(w.whh, H).data(), p.iter);
  int64_t biasGates = p.bias.dims()[2];
  std::vector<float> bias(size_t(D * biasGates * H), 0.0f);
  for (int64_t d = 0; d < D; ++d) {
    const float *bih = w.bih[size_t(d)], *bhh = w.bhh[size_t(d)];
    if (!bih)
      continue;
    for (int64_t g = 0; g < biasGates; ++g) {
      float *b = &bias[size_t((d * biasGates + g) * H)];
      for (int64_t j = 0; j < H; ++j) {
        if (w.cell == RnnCell::gruLbr && g >= 2) // o = tanh(W_in x + b_in + r * (W_hn h + b_hn))
          b[j] = g == 2 ? bih[2 * H + j] : bhh[2 * H + j];
        else
          b[j] = bih[heedGate(w.cell, g) * H + j] + bhh[heedGate(w.cell, g) * H + j];
      }
    }
  }
  v->bias = reordered(c, f32({1, D, biasGates, H}, tag::ldgo), bias.data(), p.bias);
  if (!p.peep.is_zero()) {
    std::vector<float> peep(size_t(D * 3 * H));
    for (int64_t d = 0; d < D; ++d)
      std::memcpy(&peep[size_t(d * 3 * H)], w.peep[size_t(d)], size_t(3 * H) * sizeof(float));
    v->peep = reordered(c, f32({1, D, 3, H}, tag::ldgo), peep.data(), p.peep);
  }
  return v;
}

} // namespace

void rnnLayer(const RnnLayerWeights &w, const RnnLayerRun &r, RnnPackedWeights *packs) {
  guarded("recurrent layer", [&] {
    Cache &c = cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    int64_t D = w.directions(), B = r.batch, H = w.hidden;
    bool lstm = w.cell == RnnCell::lstm;
    // oneDNN takes the initial states together (LSTM: h and c); a missing one is zeros.
    bool states = r.h0 || (lstm && r.c0);
    std::vector<float> zeros(states && (!r.h0 || (lstm && !r.c0)) ? size_t(D * B * H) : 0, 0.0f);
    RnnPrimitive &p = primitiveFor(c, w, r, states);
    std::shared_ptr<RnnPackedWeights::Variant> v;
    if (packs)
      for (const auto &have : packs->variants)
        if (have->layerDesc == p.layer && have->iterDesc == p.iter)
          v = have;
    if (!v) {
      v = pack(c, w, p);
      if (packs) {
        if (packs->variants.size() >= 4)
          packs->variants.erase(packs->variants.begin());
        packs->variants.push_back(v);
      }
    }
    memory::desc state = f32({1, D, B, H}, tag::ldnc);
    auto user = [&](const memory::desc &md, const float *data) {
      return memory(md, c.eng, const_cast<float *>(data));
    };
    std::unordered_map<int, memory> args{
        {DNNL_ARG_SRC_LAYER, user(f32({r.steps, B, w.input}, tag::tnc), r.x)},
        {DNNL_ARG_WEIGHTS_LAYER, v->layer},
        {DNNL_ARG_WEIGHTS_ITER, v->iter},
        {DNNL_ARG_BIAS, v->bias},
        {DNNL_ARG_DST_LAYER, user(f32({r.steps, B, D * H}, tag::tnc), r.y)},
        {DNNL_ARG_DST_ITER, user(state, r.hN)}};
    if (states) {
      args.emplace(DNNL_ARG_SRC_ITER, user(state, r.h0 ? r.h0 : zeros.data()));
      if (lstm)
        args.emplace(DNNL_ARG_SRC_ITER_C, user(state, r.c0 ? r.c0 : zeros.data()));
    }
    if (lstm)
      args.emplace(DNNL_ARG_DST_ITER_C, user(state, r.cN));
    if (!p.peep.is_zero())
      args.emplace(DNNL_ARG_WEIGHTS_PEEPHOLE, v->peep);
    p.p.execute(c.strm, args);
    c.strm.wait();
  });
}

} // namespace heed::rt::cpu::dnnl
