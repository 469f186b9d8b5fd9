//===- Recurrent.cpp - RNN / GRU / LSTM cells and sequences ---------------===//
//
// PyTorch layouts and gate orders (LSTM i,f,g,o; GRU r,z,n). The input
// projection of a whole sequence is one sgemm ([T*B, I] x [I, G*H]); each step
// adds one [B, H] x [H, G*H] sgemm and the gate arithmetic. Key lengths end
// rows early as packed sequences do: outputs past a row's length are zero and
// its final state is the one at its last valid step (the reverse direction
// starts at the row's last valid step).
//
// Sequence ops run as oneDNN's RNN primitives wherever those compute the same thing
// (DnnlRecurrent.h); this loop is the fallback (per-row lengths, clip, input_forget) and what
// HEED_CPU_RNN=loop selects.
//
//===----------------------------------------------------------------------===//

#include "runtime/drivers/cpu/DnnlRecurrent.h"
#include "runtime/drivers/cpu/Executor.h"
#include "runtime/drivers/cpu/kernels/FastMath.h"
#include "runtime/drivers/cpu/kernels/Parallel.h"
#include "runtime/drivers/rules/RecurrentRules.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <exception>

namespace heed::rt::cpu {
namespace {

enum class Cell { rnnTanh, rnnRelu, gru, gruLbr, lstm };

int64_t gates(Cell k) {
  switch (k) {
  case Cell::lstm:
    return 4;
  case Cell::gru:
  case Cell::gruLbr:
    return 3;
  default:
    return 1;
  }
}

inline float sigm(float x) { return ::heed::cpu::fastSigmoid(x); }
inline float tanhGate(float x) { return ::heed::cpu::fastTanh(x); }

/// The ONNX extras of a sequence op (the cells take none).
struct CellOptions {
  float clip = 0;              // > 0: gate pre-activations are clamped to [-clip, clip]
  const float *peep = nullptr; // LSTM peepholes [3*H]: i, f, o
  bool inputForget = false;    // LSTM: f = 1 - i
  float pre(float v) const { return clip > 0 ? std::min(clip, std::max(-clip, v)) : v; }
};

/// One step for B rows. gi: [B, G*H] input projection incl. b_ih (row stride
/// giStride). Writes hOut (and cOut for LSTM). scratch >= 2*B*G*H floats.
void cellStep(Cell k, int64_t B, int64_t H, const float *gi, int64_t giStride, const float *h,
              const float *cPrev, const GemmWeight &whh, const float *bhh, float *hOut, float *cOut,
              std::vector<float> &scratch, const CellOptions &opt = CellOptions()) {
  int64_t G = gates(k), GH = G * H;
  scratch.resize(size_t(2 * B * GH + B * H));
  float *gh = scratch.data();
  if (k == Cell::gru) {
    // r and z use W_hh h; n uses W_hn (r * h).
    gemmWeight(B, 2 * H, H, h, H, whh, 0.0f, gh, GH);
    for (int64_t b = 0; b < B; ++b)
      for (int64_t j = 0; j < 2 * H; ++j)
        gh[b * GH + j] += bhh ? bhh[j] : 0.0f;
    float *rh = scratch.data() + 2 * B * GH;
    for (int64_t b = 0; b < B; ++b)
      for (int64_t j = 0; j < H; ++j) {
        float r = sigm(opt.pre(gi[b * giStride + j] + gh[b * GH + j]));
        rh[b * H + j] = r * h[b * H + j];
      }
    gemmWeight(B, H, H, rh, H, whh.fromRow(2 * H), 0.0f, gh + 2 * H, GH);
    for (int64_t b = 0; b < B; ++b)
      for (int64_t j = 0; j < H; ++j) {
        const float *x = gi + b * giStride;
        const float *g = gh + b * GH;
        float z = sigm(opt.pre(x[H + j] + g[H + j]));
        float n = tanhGate(opt.pre(x[2 * H + j] + g[2 * H + j] + (bhh ? bhh[2 * H + j] : 0.0f)));
        hOut[b * H + j] = (1.0f - z) * n + z * h[b * H + j];
      }
    return;
  }
  gemmWeight(B, GH, H, h, H, whh, 0.0f, gh, GH);
  if (bhh)
    for (int64_t b = 0; b < B; ++b)
      for (int64_t j = 0; j < GH; ++j)
        gh[b * GH + j] += bhh[j];
  // One loop per cell kind, with the kind outside: the loops vectorize.
  for (int64_t b = 0; b < B; ++b) {
    const float *x = gi + b * giStride;
    const float *g = gh + b * GH;
    float *ho = hOut + b * H;
    const float *hp = h + b * H;
    switch (k) {
    case Cell::rnnTanh:
      for (int64_t j = 0; j < H; ++j)
        ho[j] = tanhGate(opt.pre(x[j] + g[j]));
      break;
    case Cell::rnnRelu:
      for (int64_t j = 0; j < H; ++j)
        ho[j] = std::max(0.0f, opt.pre(x[j] + g[j]));
      break;
    case Cell::gruLbr:
      for (int64_t j = 0; j < H; ++j) {
        float r = sigm(opt.pre(x[j] + g[j]));
        float z = sigm(opt.pre(x[H + j] + g[H + j]));
        float n = tanhGate(opt.pre(x[2 * H + j] + r * g[2 * H + j]));
        ho[j] = (1.0f - z) * n + z * hp[j];
      }
      break;
    case Cell::lstm: {
      const float *cp = cPrev + b * H;
      float *co = cOut + b * H;
      if (!opt.peep && !opt.inputForget) {
        for (int64_t j = 0; j < H; ++j) {
          float i = sigm(opt.pre(x[j] + g[j]));
          float f = sigm(opt.pre(x[H + j] + g[H + j]));
          float gg = tanhGate(opt.pre(x[2 * H + j] + g[2 * H + j]));
          float c = f * cp[j] + i * gg;
          float o = sigm(opt.pre(x[3 * H + j] + g[3 * H + j]));
          co[j] = c;
          ho[j] = o * tanhGate(c);
        }
        break;
      }
      for (int64_t j = 0; j < H; ++j) {
        float pi = 0, pf = 0, po = 0;
        if (opt.peep) {
          pi = opt.peep[j] * cp[j];
          pf = opt.peep[H + j] * cp[j];
          po = opt.peep[2 * H + j];
        }
        float i = sigm(opt.pre(x[j] + g[j] + pi));
        float f = opt.inputForget ? 1.0f - i : sigm(opt.pre(x[H + j] + g[H + j] + pf));
        float gg = tanhGate(opt.pre(x[2 * H + j] + g[2 * H + j]));
        float c = f * cp[j] + i * gg;
        // The output gate's peephole looks at the new cell state.
        float o = sigm(opt.pre(x[3 * H + j] + g[3 * H + j] + po * c));
        co[j] = c;
        ho[j] = o * tanhGate(c);
      }
      break;
    }
    default:
      break;
    }
  }
}

/// Fails with a shape rule's message unless it is empty (RecurrentRules.h).
void check(OpCtx &c, const std::string &error) {
  if (!error.empty())
    c.fail(error);
}

std::vector<TypedShape> operandShapes(OpCtx &c, size_t from, size_t count) {
  std::vector<TypedShape> shapes;
  for (size_t i = from; i < from + count; ++i)
    shapes.push_back(typedShape(c.in(i)));
  return shapes;
}

Cell cellKind(OpCtx &c) {
  const OpKind k = c.op.opKind;
  if (k == OpKind::RnnCell || k == OpKind::Rnn)
    return c.op.getInt(AttrId::activation) == 1 ? Cell::rnnRelu : Cell::rnnTanh;
  if (k == OpKind::GruCell || k == OpKind::Gru)
    return c.op.getBool(AttrId::linear_before_reset) ? Cell::gruLbr : Cell::gru;
  return Cell::lstm;
}

/// gi = x W_ih^T + b_ih for M rows.
void inputProjection(const float *x, int64_t M, int64_t I, const GemmWeight &wih, const float *bih,
                     int64_t GH, float *gi) {
  gemmWeight(M, GH, I, x, I, wih, 0.0f, gi, GH);
  if (bih)
    for (int64_t m = 0; m < M; ++m)
      for (int64_t j = 0; j < GH; ++j)
        gi[m * GH + j] += bih[j];
}

void cell(OpCtx &c) {
  Cell k = cellKind(c);
  bool lstm = k == Cell::lstm;
  CellLayout l;
  check(c, cellLayout(operandShapes(c, 0, c.numOperands()), lstm, gates(k), l));
  const Tensor &x = c.in(0), &h = c.in(1);
  size_t wAt = l.weightsAt;
  int64_t B = l.batch, I = l.input, H = l.hidden, G = l.gates;
  const Tensor *cell = lstm ? &c.in(2) : nullptr;
  const float *bih = l.biases ? c.in(wAt + 2).as<float>() : nullptr;
  const float *bhh = l.biases ? c.in(wAt + 3).as<float>() : nullptr;
  std::vector<float> gi(size_t(B * G * H)), scratch;
  inputProjection(x.as<float>(), B, I, c.weight(wAt, B), bih, G * H, gi.data());
  Tensor hOut = c.allocZeroed(ElemType::f32, {B, H});
  Tensor cOut = lstm ? c.allocZeroed(ElemType::f32, {B, H}) : Tensor();
  cellStep(k, B, H, gi.data(), G * H, h.as<float>(), cell ? cell->as<float>() : nullptr,
           c.weight(wAt + 1, B), bhh, hOut.as<float>(), lstm ? cOut.as<float>() : nullptr, scratch);
  c.out(0, std::move(hOut));
  if (lstm)
    c.out(1, std::move(cOut));
}

/// Which implementation runs the sequence ops: HEED_CPU_RNN=loop forces Heed's loop, =dnnl
/// requires oneDNN's primitives (an op they cannot run then fails: tests use it to know which
/// path they checked), anything else picks oneDNN where it can. HEED_CPU_NO_DNNL=1 means loop.
enum class RnnPath { automatic, loop, dnnl };

RnnPath rnnPath() {
  static const RnnPath path = [] {
    const char *v = std::getenv("HEED_CPU_RNN");
    std::string s = v ? v : "";
    if (s == "loop" || !useDnnlPrimitives())
      return RnnPath::loop;
    return s == "dnnl" ? RnnPath::dnnl : RnnPath::automatic;
  }();
  return path;
}

/// Why oneDNN's RNN primitives cannot run a sequence op ("" when they can): they have no
/// per-row lengths (lengths that all equal T are none), clip or coupled input/forget gate, and no
/// empty dimensions.
std::string dnnlDeclines(const SequenceLayout &sl, const std::vector<int64_t> &lengths,
                         const CellOptions &options) {
  if (std::any_of(lengths.begin(), lengths.end(), [&](int64_t n) { return n != sl.steps; }))
    return "per-row lengths";
  if (options.clip > 0)
    return "clip";
  if (options.inputForget)
    return "input_forget";
  if (sl.steps == 0 || sl.batch == 0 || sl.input == 0 || sl.hidden == 0)
    return "an empty dimension";
  return "";
}

dnnl::RnnCell dnnlCell(Cell k) {
  switch (k) {
  case Cell::rnnTanh:
    return dnnl::RnnCell::tanh;
  case Cell::rnnRelu:
    return dnnl::RnnCell::relu;
  case Cell::gru:
    return dnnl::RnnCell::gru;
  case Cell::gruLbr:
    return dnnl::RnnCell::gruLbr;
  default:
    return dnnl::RnnCell::lstm;
  }
}

void sequence(OpCtx &c) {
  Cell k = cellKind(c);
  bool lstm = k == Cell::lstm;
  // Operand groups: input, initial_hidden, [initial_cell], lengths, weights.
  size_t g = 0;
  auto [xAt, nx] = c.op.segment(g++);
  auto [h0At, nh0] = c.op.segment(g++);
  size_t c0At = 0, nc0 = 0;
  if (lstm)
    std::tie(c0At, nc0) = c.op.segment(g++);
  auto [lenAt, nlen] = c.op.segment(g++);
  auto [wAt, nw] = c.op.segment(g++);
  (void)nx;
  const Tensor &xin = c.in(xAt);
  SequenceAttrs attrs;
  attrs.gates = gates(k);
  attrs.hidden = c.op.getInt(AttrId::hidden_size);
  attrs.layers = c.op.getInt(AttrId::num_layers);
  attrs.batchFirst = c.op.getBool(AttrId::batch_first);
  attrs.bidirectional = c.op.getBool(AttrId::bidirectional);
  attrs.reverse = c.op.getBool(AttrId::reverse);
  attrs.biases = c.op.getBool(AttrId::has_biases);
  attrs.peepholes = lstm && c.op.getBool(AttrId::peepholes);
  SequenceLayout sl;
  check(c, sequenceLayout(typedShape(xin), attrs, nw, sl));
  // Every weight's shape is checked before anything is sized by hidden_size.
  check(c, sequenceWeights(sl, operandShapes(c, wAt, nw)));
  bool batchFirst = attrs.batchFirst, bias = attrs.biases, peepholes = attrs.peepholes;
  bool reverseOnly = attrs.reverse;
  int64_t T = sl.steps, B = sl.batch, I = sl.input, H = sl.hidden, G = sl.gates;
  int64_t L = sl.layers, D = sl.directions;
  size_t cellWeights = sl.cellWeights, perDir = sl.perDirection;
  CellOptions options;
  options.clip = float((c.op.has(AttrId::clip) ? c.op.getFloat(AttrId::clip) : 0.0));
  options.inputForget = lstm && c.op.getBool(AttrId::input_forget);
  const std::vector<int64_t> &stateShape = sl.stateShape;
  if (nh0)
    check(c, sequenceInitialState(sl, typedShape(c.in(h0At)), false));
  if (nc0)
    check(c, sequenceInitialState(sl, typedShape(c.in(c0At)), true));
  std::vector<int64_t> lengths;
  if (nlen) {
    const Tensor &lt = c.in(lenAt);
    check(c, sequenceLengths(sl, typedShape(lt)));
    for (int64_t b = 0; b < B; ++b) {
      int64_t v = lt.type == ElemType::i32 ? lt.as<int32_t>()[b] : lt.as<int64_t>()[b];
      if (v < 0 || v > T)
        c.fail("length " + std::to_string(v) + " of row " + std::to_string(b) + " is outside [0, " +
               std::to_string(T) + "]");
      lengths.push_back(v);
    }
  }
  bool useDnnl = false;
  if (rnnPath() != RnnPath::loop) {
    std::string declines = dnnlDeclines(sl, lengths, options);
    if (!declines.empty() && rnnPath() == RnnPath::dnnl)
      c.fail("HEED_CPU_RNN=dnnl, but oneDNN's RNN primitives cannot run this op: it has " +
             declines);
    useDnnl = declines.empty();
  }
  // Layer input in [T, B, I] order.
  std::vector<float> X(size_t(T * B * I));
  if (batchFirst) {
    for (int64_t b = 0; b < B; ++b)
      for (int64_t t = 0; t < T; ++t)
        std::memcpy(&X[size_t((t * B + b) * I)], xin.as<float>() + (b * T + t) * I,
                    size_t(I) * sizeof(float));
  } else {
    std::memcpy(X.data(), xin.data, X.size() * sizeof(float));
  }
  Tensor hN = c.allocZeroed(ElemType::f32, stateShape);
  Tensor cN = lstm ? c.allocZeroed(ElemType::f32, stateShape) : Tensor();
  struct Direction {
    GemmWeight wih, whh;
    const float *bih = nullptr, *bhh = nullptr;
    CellOptions options;
    int64_t d = 0;
    size_t state = 0; // offset of its [B, H] block in the state tensors
  };
  std::vector<float> Y;
  int64_t inDim = I;
  for (int64_t l = 0; l < L; ++l) {
    Y.assign(size_t(T * B * D * H), 0.0f);
    if (useDnnl) {
      dnnl::RnnLayerWeights w;
      w.cell = dnnlCell(k);
      w.input = inDim;
      w.hidden = H;
      w.reverse = reverseOnly;
      std::vector<const Tensor *> sources;
      for (int64_t d = 0; d < D; ++d) {
        size_t at = wAt + size_t(l * D + d) * perDir;
        for (size_t i = at; i < at + perDir; ++i)
          sources.push_back(&c.in(i));
        w.wih.push_back(c.in(at).as<float>());
        w.whh.push_back(c.in(at + 1).as<float>());
        w.bih.push_back(bias ? c.in(at + 2).as<float>() : nullptr);
        w.bhh.push_back(bias ? c.in(at + 3).as<float>() : nullptr);
        w.peep.push_back(peepholes ? c.in(at + cellWeights).as<float>() : nullptr);
      }
      size_t state = size_t(l * D * B * H);
      dnnl::RnnLayerRun r;
      r.steps = T;
      r.batch = B;
      r.x = X.data();
      r.h0 = nh0 ? c.in(h0At).as<float>() + state : nullptr;
      r.c0 = nc0 ? c.in(c0At).as<float>() + state : nullptr;
      r.y = Y.data();
      r.hN = hN.as<float>() + state;
      r.cN = lstm ? cN.as<float>() + state : nullptr;
      // Constant weights are packed once, kept by the executor; others are packed per call.
      std::shared_ptr<void> packs =
          c.ex.fromConstants(c.module, "dnnl-rnn-layer:" + std::to_string(int(k)), sources,
                             [] { return std::make_shared<dnnl::RnnPackedWeights>(); });
      try {
        dnnl::rnnLayer(w, r, static_cast<dnnl::RnnPackedWeights *>(packs.get()));
        X.swap(Y);
        inDim = D * H;
        continue;
      } catch (const Error &e) {
        // A shape oneDNN refuses to build a primitive for: the loop below computes the layer
        // (it rewrites every output and final state), unless the primitives were required.
        if (rnnPath() == RnnPath::dnnl)
          c.fail(e.what());
      }
    }
    // Everything that can fail or touches the executor happens here, before the directions run.
    std::vector<Direction> dirs(static_cast<size_t>(D));
    for (int64_t d = 0; d < D; ++d) {
      Direction &dir = dirs[size_t(d)];
      size_t w = wAt + size_t(l * D + d) * perDir;
      if (bias) {
        dir.bih = c.in(w + 2).as<float>();
        dir.bhh = c.in(w + 3).as<float>();
      }
      dir.options = options;
      if (peepholes)
        dir.options.peep = c.in(w + cellWeights).as<float>();
      dir.wih = c.weight(w, T * B);
      dir.whh = c.weight(w + 1, B);
      dir.d = d;
      dir.state = size_t((l * D + d) * B * H);
    }
    // Structured bindings cannot be captured before C++20.
    const float *h0 = nh0 ? c.in(h0At).as<float>() : nullptr;
    const float *c0 = nc0 ? c.in(c0At).as<float>() : nullptr;
    auto run = [&](const Direction &dir) {
      std::vector<float> gi(size_t(T * B * G * H)), scratch, h(size_t(B * H)), cs(size_t(B * H)),
          hn(size_t(B * H)), cn(size_t(B * H));
      inputProjection(X.data(), T * B, inDim, dir.wih, dir.bih, G * H, gi.data());
      if (h0)
        std::memcpy(h.data(), h0 + dir.state, h.size() * sizeof(float));
      if (c0)
        std::memcpy(cs.data(), c0 + dir.state, cs.size() * sizeof(float));
      for (int64_t s = 0; s < T; ++s) {
        int64_t t = dir.d == 0 && !reverseOnly ? s : T - 1 - s;
        cellStep(k, B, H, gi.data() + t * B * G * H, G * H, h.data(), cs.data(), dir.whh, dir.bhh,
                 hn.data(), lstm ? cn.data() : nullptr, scratch, dir.options);
        for (int64_t b = 0; b < B; ++b) {
          if (!lengths.empty() && t >= lengths[size_t(b)])
            continue; // past the row's end: state kept, output stays zero
          std::memcpy(&h[size_t(b * H)], &hn[size_t(b * H)], size_t(H) * sizeof(float));
          if (lstm)
            std::memcpy(&cs[size_t(b * H)], &cn[size_t(b * H)], size_t(H) * sizeof(float));
          std::memcpy(&Y[size_t((t * B + b) * D * H + dir.d * H)], &hn[size_t(b * H)],
                      size_t(H) * sizeof(float));
        }
      }
      std::memcpy(hN.as<float>() + dir.state, h.data(), h.size() * sizeof(float));
      if (lstm)
        std::memcpy(cN.as<float>() + dir.state, cs.data(), cs.size() * sizeof(float));
    };
    if (D > 1 && ::heed::cpu::detail::threadCount() > 1) {
      // The two directions side by side, one per thread: each sgemm then runs on one thread
      // (oneDNN does not nest), so a step pays no fork/join and no thread waits for the other's
      // gate arithmetic. Exceptions (an sgemm failure) cross the parallel region as values.
      std::vector<std::exception_ptr> errors(dirs.size());
      ::heed::cpu::detail::parallelTasks(D, [&](auto next) {
        for (int64_t d; (d = next()) >= 0;) {
          try {
            run(dirs[size_t(d)]);
          } catch (...) {
            errors[size_t(d)] = std::current_exception();
          }
        }
      });
      for (const std::exception_ptr &e : errors)
        if (e)
          std::rethrow_exception(e);
    } else {
      for (const Direction &dir : dirs)
        run(dir);
    }
    X.swap(Y);
    inDim = D * H;
  }
  Tensor out = c.allocZeroed(ElemType::f32, batchFirst ? std::vector<int64_t>{B, T, D * H}
                                                       : std::vector<int64_t>{T, B, D * H});
  if (batchFirst) {
    for (int64_t b = 0; b < B; ++b)
      for (int64_t t = 0; t < T; ++t)
        std::memcpy(out.as<float>() + (b * T + t) * D * H, &X[size_t((t * B + b) * D * H)],
                    size_t(D * H) * sizeof(float));
  } else {
    std::memcpy(out.data, X.data(), size_t(T * B * D * H) * sizeof(float));
  }
  c.out(0, std::move(out));
  c.out(1, std::move(hN));
  if (lstm)
    c.out(2, std::move(cN));
}

} // namespace

void registerRecurrentKernels(KernelTable &m) {
  m[OpKind::RnnCell] = cell;
  m[OpKind::GruCell] = cell;
  m[OpKind::LstmCell] = cell;
  m[OpKind::Rnn] = sequence;
  m[OpKind::Gru] = sequence;
  m[OpKind::Lstm] = sequence;
}

} // namespace heed::rt::cpu
