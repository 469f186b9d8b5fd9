//===- Decoder.cpp - Greedy, beam search and scoring over any module ------===//

#include "runtime/decode/Decoder.h"
#include "runtime/decode/StepRules.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <sstream>

namespace heed::decode {
namespace {

Status invalid(const std::string &message) { return Status{HEED_INVALID_ARGUMENT, message}; }

/// A NaN log-probability has no rank and no meaningful score: the call fails, naming the
/// sentence (1-based, as the input files count), the step and the token.
Status nanLogProb(size_t sentence, size_t step, int64_t token) {
  return Status{HEED_RUNTIME_ERROR, "sentence " + std::to_string(sentence + 1) +
                                        ": decode_step gave a NaN log-probability (token " +
                                        std::to_string(token) + " at step " +
                                        std::to_string(step + 1) + ")"};
}

std::vector<std::string> split(const std::string &s, char sep) {
  std::vector<std::string> parts;
  if (s.empty())
    return parts;
  std::stringstream in(s);
  std::string part;
  while (std::getline(in, part, sep))
    parts.push_back(part);
  return parts;
}

/// Input (or output) `i` of `f` as a tensor decoding can feed or read: its dims (-1 dynamic) and
/// element type from the typed signature. False for an index scalar or an element type other
/// than f32, f64, i64, i32 and bool.
bool tensorType(const Function &f, bool input, size_t i, std::vector<int64_t> &dims,
                heed_dtype &dtype) {
  ValueInfo v;
  if (!(input ? f.input(i, v) : f.output(i, v)))
    return false;
  switch (v.dtype) {
  case HEED_F32:
  case HEED_F64:
  case HEED_I64:
  case HEED_I32:
  case HEED_BOOL:
    break;
  default:
    return false;
  }
  dims = std::move(v.dims);
  dtype = v.dtype;
  return true;
}

/// Input (or output) `index` of a function, for messages and its batch dim.
struct SignatureRef {
  const Function *function;
  bool input;
  size_t index;
  std::string type() const {
    return input ? function->inputType(index) : function->outputType(index);
  }
  std::string dims() const {
    return input ? function->inputDims(index) : function->outputDims(index);
  }
};

/// The batch dim of a value (`what` names it in messages): where its heed.dims names
/// `batchName`, else its first dynamic dim, else 0. heed.dims comes from the module file: a
/// count that differs from the type's rank, or a value of rank 0, is refused here, since every
/// reordering of hypotheses indexes the tensor at this dim.
Status batchDimOf(const SignatureRef &value, const std::string &batchName, const std::string &what,
                  int &dim, size_t &rank) {
  std::vector<int64_t> shape;
  heed_dtype dtype;
  std::string type = value.type(), dims = value.dims();
  if (!tensorType(*value.function, value.input, value.index, shape, dtype))
    return invalid(what + " has type '" + type + "', not a tensor decoding can reorder");
  rank = shape.size();
  // A trailing empty name is still a name: count separators, not getline's parts.
  size_t count = dims.empty() ? 0 : size_t(std::count(dims.begin(), dims.end(), ',')) + 1;
  if (count != 0 && count != rank)
    return invalid(what + " has heed.dims '" + dims + "' (" + std::to_string(count) +
                   " dims) but its type " + type + " has rank " + std::to_string(rank));
  if (rank == 0)
    return invalid(what + " has rank 0: it has no batch dim to reorder");
  dim = 0;
  std::vector<std::string> names = split(dims, ',');
  auto named = std::find(names.begin(), names.end(), batchName);
  if (named != names.end()) {
    dim = int(named - names.begin());
    return Status();
  }
  for (size_t i = 0; i < shape.size(); ++i)
    if (shape[i] < 0) {
      dim = int(i);
      break;
    }
  return Status();
}

Tensor ids(heed_dtype dtype, const std::vector<int64_t> &shape, const std::vector<int64_t> &v) {
  if (dtype == HEED_I32) {
    std::vector<int32_t> narrow(v.begin(), v.end());
    return Tensor::make(dtype, shape, narrow.data());
  }
  return Tensor::make(HEED_I64, shape, v.data());
}

/// What the module's metadata cannot promise about a tensor a function returned: that it has
/// the batch dim the binding names and that every row index lies in it. Checked before each
/// gatherRows, which trusts both.
Status checkRows(const Tensor &t, int dim, const std::vector<int64_t> &index,
                 const std::string &what) {
  if (!t)
    return invalid(what + " is missing");
  const std::vector<int64_t> &shape = t.shape();
  if (dim < 0 || size_t(dim) >= shape.size())
    return invalid(what + " has rank " + std::to_string(shape.size()) + ", no batch dim " +
                   std::to_string(dim));
  for (int64_t r : index)
    if (r < 0 || r >= shape[size_t(dim)])
      return invalid(what + " has " + std::to_string(shape[size_t(dim)]) +
                     " rows along its batch dim " + std::to_string(dim) + ", row " +
                     std::to_string(r) + " was asked for");
  return Status();
}

/// gatherRows (copying or moving `t`) after checkRows; a failed allocation is an error too.
template <typename T>
Status reorder(T &&t, int dim, const std::vector<int64_t> &index, const std::string &what,
               Tensor &out) {
  if (Status st = checkRows(t, dim, index, what); !st)
    return st;
  out = gatherRows(std::forward<T>(t), dim, index);
  if (!out)
    return Status{HEED_OUT_OF_MEMORY, what + ": cannot allocate the reordered tensor"};
  return Status();
}

double lengthNorm(double logProb, size_t length, double alpha) {
  if (alpha == 0)
    return logProb;
  return logProb / std::pow((5.0 + double(length)) / 6.0, alpha);
}

} // namespace

Tensor gatherRows(const Tensor &t, int dim, const std::vector<int64_t> &index) {
  std::vector<int64_t> shape = t.shape();
  if (shape.empty())
    return Tensor::make(t.dtype(), shape, t.data<char>());
  size_t elem = heed_dtype_size(t.dtype());
  size_t outer = 1, inner = elem;
  for (int i = 0; i < dim; ++i)
    outer *= size_t(shape[i]);
  for (size_t i = size_t(dim) + 1; i < shape.size(); ++i)
    inner *= size_t(shape[i]);
  size_t rows = size_t(shape[dim]);
  shape[dim] = int64_t(index.size());
  // Gathered straight into the new tensor: it is ours alone until returned, so writing through
  // the C API's const view is safe, and it saves a staging buffer and a second copy per state
  // per step.
  Tensor result = Tensor::make(t.dtype(), shape);
  if (!result)
    return result;
  char *out = const_cast<char *>(result.data<char>());
  const char *src = t.data<char>();
  for (size_t o = 0; o < outer; ++o)
    for (size_t r = 0; r < index.size(); ++r)
      std::memcpy(out + (o * index.size() + r) * inner, src + (o * rows + size_t(index[r])) * inner,
                  inner);
  return result;
}

Tensor gatherRows(Tensor &&t, int dim, const std::vector<int64_t> &index) {
  std::vector<int64_t> shape = t.shape();
  bool identity = !shape.empty() && size_t(shape[size_t(dim)]) == index.size();
  for (size_t r = 0; identity && r < index.size(); ++r)
    identity = index[r] == int64_t(r);
  if (identity)
    return std::move(t);
  return gatherRows(static_cast<const Tensor &>(t), dim, index);
}

struct Decoder::Batch {
  std::vector<int64_t> lengths; // per source
  std::vector<Tensor> encodeInputs, encodeOutputs;
  std::vector<Tensor> states;    // per decode_step input (state bindings only)
  std::vector<Tensor> constants; // per decode_step input, gathered for `constantRows`
  std::vector<int64_t> constantRows;
  bool haveConstants = false;
};

Status Decoder::create(const Module &module, Decoder &out) { return create(module.get(), out); }

Status Decoder::create(heed_module *module, Decoder &out) {
  Decoder d;
  heed_function *f = nullptr;
  if (heed_status st = heed_module_find_function(module, "encode", &f); st != HEED_OK)
    return invalid("a decoding module needs an 'encode' function: " + Status::last(st).message);
  d.encode = Function(f);
  if (heed_status st = heed_module_find_function(module, "decode_step", &f); st != HEED_OK)
    return invalid("a decoding module needs a 'decode_step' function: " + Status::last(st).message);
  d.decodeStep = Function(f);
  const Function &enc = d.encode, &dec = d.decodeStep;
  if (enc.inputCount() < 1 || enc.inputCount() > 2)
    return invalid("encode must take (src) or (src, src_len); it takes " +
                   std::to_string(enc.inputCount()) + " inputs");
  if (dec.inputCount() < 1 || dec.outputCount() < 1)
    return invalid("decode_step must take the previous token and return log-probs first");
  std::vector<int64_t> shape;
  if (!tensorType(enc, true, 0, shape, d.srcType) || shape.size() != 2)
    return invalid("encode's first input must be token ids [B, S]; it is " + enc.inputType(0));
  d.encodeHasLengths = enc.inputCount() == 2;
  if (d.encodeHasLengths) {
    // Lengths [B] (i64/i32), or an attention mask [B, S] (1 = token, 0 = pad; i64, i32 or bool)
    // as Hugging Face encoders take.
    bool ok = tensorType(enc, true, 1, shape, d.lenType);
    d.encodeTakesMask = ok && shape.size() == 2;
    if (!ok || shape.size() < 1 || shape.size() > 2 ||
        (d.lenType != HEED_I64 && d.lenType != HEED_I32 &&
         !(d.encodeTakesMask && d.lenType == HEED_BOOL)))
      return invalid("encode's second input must be lengths [B] or an attention mask [B, S] "
                     "(integers or bool); it is " +
                     enc.inputType(1));
  }
  if (!tensorType(dec, true, 0, shape, d.tokenType) || shape.size() != 1)
    return invalid("decode_step's first input must be the previous token [B]; it is " +
                   dec.inputType(0));
  std::vector<std::string> prevDims = split(dec.inputDims(0), ',');
  std::string batchName = prevDims.empty() ? "B" : prevDims[0];

  bool named = false;
  for (size_t o = 0; o < dec.outputCount(); ++o)
    named |= !dec.outputName(o).empty();
  for (size_t o = 0; o < enc.outputCount(); ++o)
    named |= !enc.outputName(o).empty();
  if (!named)
    return invalid("the module records no output names; recompile it with this heed-compile "
                   "(decoding binds decode_step inputs by name)");

  // Each decode_step input's batch dim, checked against its type's rank; the tensor that feeds
  // it (a decode_step output, an encode output or input) is gathered at that dim, so its
  // declared rank must be the same.
  d.encodeOutputBatchDim.assign(enc.outputCount(), -1);
  d.stateOutput.assign(dec.outputCount(), -1);
  d.inputs.push_back({Binding::token, dec.inputName(0), 0, 0});
  for (size_t i = 1; i < dec.inputCount(); ++i) {
    Binding b{Binding::state, dec.inputName(i), 0, 0};
    std::string what = "decode_step input '" + b.name + "'";
    size_t rank = 0, sourceRank = 0;
    if (Status st = batchDimOf({&dec, true, i}, batchName, what, b.batchDim, rank); !st)
      return st;
    bool found = false;
    std::string sourceWhat;
    SignatureRef source{&dec, false, 0};
    for (size_t o = 1; o < dec.outputCount() && !found; ++o)
      if (dec.outputName(o) == b.name) {
        b.index = o;
        d.stateOutput[o] = int(i);
        found = true;
        sourceWhat = "decode_step output " + std::to_string(o) + " '" + b.name + "'";
        source = {&dec, false, o};
      }
    for (size_t o = 0; o < enc.outputCount() && !found; ++o)
      if (enc.outputName(o) == b.name) {
        b.kind = Binding::encodeOutput;
        b.index = o;
        found = true;
        sourceWhat = "encode output " + std::to_string(o) + " '" + b.name + "'";
        source = {&enc, false, o};
      }
    for (size_t o = 0; o < enc.inputCount() && !found; ++o)
      if (enc.inputName(o) == b.name) {
        b.kind = Binding::encodeInput;
        b.index = o;
        found = true;
        sourceWhat = "encode input " + std::to_string(o) + " '" + b.name + "'";
        source = {&enc, true, o};
      }
    if (!found)
      return invalid("decode_step input '" + b.name +
                     "' is not a decode_step output, an encode output or an encode input of "
                     "that name");
    int sourceDim = 0;
    if (Status st = batchDimOf(source, batchName, sourceWhat, sourceDim, sourceRank); !st)
      return st;
    if (sourceRank != rank)
      return invalid(what + " has rank " + std::to_string(rank) + " but " + sourceWhat +
                     ", which feeds it, has rank " + std::to_string(sourceRank));
    // A state's initial value: encode's output of the same name, gathered at its own batch dim.
    if (b.kind == Binding::state)
      for (size_t o = 0; o < enc.outputCount(); ++o)
        if (enc.outputName(o) == b.name) {
          std::string initWhat = "encode output " + std::to_string(o) + " '" + b.name + "'";
          size_t initRank = 0;
          if (Status st = batchDimOf({&enc, false, o}, batchName, initWhat,
                                     d.encodeOutputBatchDim[o], initRank);
              !st)
            return st;
          if (initRank != rank)
            return invalid(what + " has rank " + std::to_string(rank) + " but " + initWhat +
                           ", its initial value, has rank " + std::to_string(initRank));
        }
    d.inputs.push_back(b);
  }
  for (size_t o = 0; o < dec.outputCount(); ++o)
    if (dec.outputName(o) == "log_probs")
      d.logProbsOutput = int(o);
  heed_dtype lpType;
  if (!tensorType(dec, false, size_t(d.logProbsOutput), shape, lpType) || shape.size() != 2 ||
      lpType != HEED_F32)
    return invalid("decode_step's log-probs must be f32 [B, V]; they are " +
                   dec.outputType(size_t(d.logProbsOutput)));
  d.vocab = std::max<int64_t>(shape[1], 0);
  for (size_t o = 0; o < dec.outputCount(); ++o)
    if (int(o) != d.logProbsOutput && d.stateOutput[o] < 0 &&
        (d.attentionOutput < 0 || dec.outputName(o) == "attention"))
      d.attentionOutput = int(o);
  out = std::move(d);
  return Status();
}

std::string Decoder::describe() const {
  static const char *kinds[] = {"previous token", "state <- decode_step output",
                                "per-source constant <- encode output",
                                "per-source constant <- encode input"};
  std::string s;
  for (const Binding &b : inputs) {
    s += b.name + ": " + kinds[b.kind];
    if (b.kind != Binding::token)
      s += " " + std::to_string(b.index) + " (batch dim " + std::to_string(b.batchDim) + ")";
    s += "\n";
  }
  if (attentionOutput >= 0)
    s += "attention: decode_step output " + std::to_string(attentionOutput) + "\n";
  return s;
}

Status Decoder::encodeBatch(const std::vector<std::vector<int64_t>> &sources, Batch &b) const {
  int64_t n = int64_t(sources.size()), width = 1;
  for (const auto &s : sources)
    width = std::max<int64_t>(width, int64_t(s.size()));
  std::vector<int64_t> src(size_t(n * width), 0);
  for (int64_t i = 0; i < n; ++i) {
    std::copy(sources[i].begin(), sources[i].end(), src.begin() + i * width);
    b.lengths.push_back(int64_t(sources[i].size()));
  }
  b.encodeInputs.push_back(ids(srcType, {n, width}, src));
  if (encodeHasLengths && encodeTakesMask) {
    std::vector<int64_t> mask(size_t(n * width), 0);
    for (int64_t i = 0; i < n; ++i)
      std::fill_n(mask.begin() + i * width, b.lengths[size_t(i)], 1);
    if (lenType == HEED_BOOL) {
      std::vector<uint8_t> bytes(mask.begin(), mask.end());
      b.encodeInputs.push_back(Tensor::make(HEED_BOOL, {n, width}, bytes.data()));
    } else {
      b.encodeInputs.push_back(ids(lenType, {n, width}, mask));
    }
  } else if (encodeHasLengths) {
    b.encodeInputs.push_back(ids(lenType, {n}, b.lengths));
  }
  std::vector<const Tensor *> in;
  for (const Tensor &t : b.encodeInputs)
    in.push_back(&t);
  if (Status st = encode.invoke(in, b.encodeOutputs); !st)
    return Status{st.code, "encode: " + st.message};
  // Initial states: encode's output of the same name, else empty along the non-batch
  // dynamic dims (a KV cache with no positions yet).
  std::vector<int64_t> identity(static_cast<size_t>(n));
  std::iota(identity.begin(), identity.end(), 0);
  b.states.clear();
  b.states.resize(inputs.size());
  for (size_t i = 1; i < inputs.size(); ++i) {
    if (inputs[i].kind != Binding::state)
      continue;
    bool fromEncode = false;
    for (size_t o = 0; o < encode.outputCount(); ++o)
      if (encode.outputName(o) == inputs[i].name) {
        if (Status st = reorder(b.encodeOutputs[o], encodeOutputBatchDim[o], identity,
                                "encode output '" + inputs[i].name + "'", b.states[i]);
            !st)
          return st;
        fromEncode = true;
      }
    if (fromEncode)
      continue;
    std::vector<int64_t> shape;
    heed_dtype dtype;
    if (!tensorType(decodeStep, true, i, shape, dtype))
      return invalid("state '" + inputs[i].name + "' has no initial value in encode and type " +
                     decodeStep.inputType(i));
    for (size_t k = 0; k < shape.size(); ++k)
      shape[k] = int(k) == inputs[i].batchDim ? n : std::max<int64_t>(shape[k], 0);
    b.states[i] = Tensor::make(dtype, shape);
  }
  return Status();
}

Status Decoder::step(Batch &b, const std::vector<int64_t> &rowSource,
                     const std::vector<int64_t> &prev, std::vector<Tensor> &outputs) const {
  if (!b.haveConstants || b.constantRows != rowSource) {
    b.constants.clear();
    b.constants.resize(inputs.size());
    for (size_t i = 1; i < inputs.size(); ++i) {
      const Binding &bd = inputs[i];
      Status st;
      if (bd.kind == Binding::encodeOutput)
        st = reorder(b.encodeOutputs[bd.index], bd.batchDim, rowSource,
                     "encode output '" + bd.name + "'", b.constants[i]);
      else if (bd.kind == Binding::encodeInput)
        st = reorder(b.encodeInputs[bd.index], bd.batchDim, rowSource,
                     "encode input '" + bd.name + "'", b.constants[i]);
      if (!st)
        return st;
    }
    b.constantRows = rowSource;
    b.haveConstants = true;
  }
  Tensor token = ids(tokenType, {int64_t(prev.size())}, prev);
  std::vector<const Tensor *> in{&token};
  for (size_t i = 1; i < inputs.size(); ++i)
    in.push_back(inputs[i].kind == Binding::state ? &b.states[i] : &b.constants[i]);
  if (Status st = decodeStep.invoke(in, outputs); !st)
    return Status{st.code, "decode_step: " + st.message};
  const Tensor &lp = outputs[size_t(logProbsOutput)];
  if (lp.dtype() != HEED_F32 || lp.shape().size() != 2 || lp.shape()[0] != int64_t(prev.size()))
    return invalid("decode_step's log-probs must be f32 [batch, vocab]");
  return Status();
}

Status Decoder::checkOptions(const Options &options) const {
  for (auto [name, id] : {std::pair<const char *, int64_t>{"bos", options.bos},
                          {"eos", options.eos},
                          {"pad", options.pad}})
    if (id < 0 || (vocab > 0 && id >= vocab))
      return invalid(std::string(name) + " id " + std::to_string(id) +
                     " is outside the target vocabulary of " + std::to_string(vocab));
  if (options.maxBatchTokens < 0)
    return invalid("max_batch_tokens must be >= 0 (0: batches of batch_size sources), got " +
                   std::to_string(options.maxBatchTokens));
  return Status();
}

Status Decoder::checkTranslateOptions(const std::vector<std::vector<int64_t>> &sources,
                                      const Options &options) const {
  if (options.beam < 1 || options.nBest < 1 || options.nBest > options.beam)
    return invalid("beam must be >= 1 and n-best between 1 and the beam size");
  if (Status st = checkOptions(options); !st)
    return st;
  if (std::string bad = checkRules(options); !bad.empty())
    return invalid(bad);
  if (options.attention && attentionOutput < 0)
    return invalid("attention requested but decode_step returns no attention output");
  for (size_t i = 0; i < sources.size(); ++i)
    if (sources[i].empty())
      return invalid("source " + std::to_string(i + 1) + " is empty");
  const auto &prefixes = options.targetPrefix;
  if (!prefixes.empty() && prefixes.size() != sources.size())
    return invalid("target_prefix has " + std::to_string(prefixes.size()) + " entries for " +
                   std::to_string(sources.size()) + " sources");
  for (size_t i = 0; i < prefixes.size(); ++i)
    for (size_t k = 0; k < prefixes[i].size(); ++k) {
      int64_t v = prefixes[i][k];
      if (v < 0 || (vocab > 0 && v >= vocab) || v == options.eos)
        return invalid("target prefix of sentence " + std::to_string(i + 1) + " has token " +
                       std::to_string(v) + " at position " + std::to_string(k + 1) + " (" +
                       (v == options.eos
                            ? std::string("</s> cannot be forced")
                            : "outside the target vocabulary of " + std::to_string(vocab)) +
                       ")");
    }
  return Status();
}

/// Sources per encode call, as indices into `sources`: `batchSize` at a time in input order, or
/// with `maxBatchTokens` sorted by length and cut where the padded token count would exceed it
/// (a longer source alone). Results go back to input order.
static std::vector<std::vector<size_t>>
planBatches(const std::vector<std::vector<int64_t>> &sources, const Options &options) {
  std::vector<std::vector<size_t>> batches;
  size_t most = size_t(std::max(1, options.batchSize));
  if (options.maxBatchTokens <= 0) {
    for (size_t first = 0; first < sources.size(); first += most) {
      batches.emplace_back(std::min(most, sources.size() - first));
      std::iota(batches.back().begin(), batches.back().end(), first);
    }
    return batches;
  }
  // Shortest first, so each batch pads little; equal lengths keep their input order.
  std::vector<size_t> order(sources.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return sources[a].size() < sources[b].size() ||
           (sources[a].size() == sources[b].size() && a < b);
  });
  size_t limit = size_t(options.maxBatchTokens);
  for (size_t i : order) {
    // Sorted: this source is the batch's longest, so the padded size is count x its length.
    size_t width = std::max<size_t>(sources[i].size(), 1);
    if (batches.empty() || batches.back().size() >= most ||
        (batches.back().size() + 1) * width > limit)
      batches.emplace_back();
    batches.back().push_back(i);
  }
  return batches;
}

Status Decoder::translate(const std::vector<std::vector<int64_t>> &sources, const Options &options,
                          std::vector<std::vector<Hypothesis>> &out) const {
  if (Status st = checkTranslateOptions(sources, options); !st)
    return st;
  out.assign(sources.size(), {});
  const StepRules rules(options);
  const bool sampling = options.samplingTopK != 1;
  std::vector<float> processed; // one row after the rules
  size_t translated = 0;
  for (const std::vector<size_t> &batch : planBatches(sources, options)) {
    std::vector<std::vector<int64_t>> part;
    for (size_t i : batch)
      part.push_back(sources[i]);
    Batch b;
    if (Status st = encodeBatch(part, b); !st)
      return st;
    struct Live {
      int64_t source;
      std::vector<int64_t> tokens;
      std::vector<float> tokenLogProbs;
      double logProb;
      std::vector<std::vector<float>> attention;
    };
    std::vector<Live> rows;
    // When sampling, one generator per source, seeded from its index in the call: the same
    // draws whatever the batching.
    std::vector<std::mt19937_64> rngs;
    for (size_t i = 0; i < part.size(); ++i) {
      rows.push_back({int64_t(i), {}, {}, 0.0, {}});
      if (sampling)
        rngs.emplace_back(options.seed + uint64_t(batch[i]));
    }
    std::vector<std::vector<Hypothesis>> finished(part.size());
    struct Cand {
      double logProb;
      size_t row;
      int64_t token;
      float tokenLogProb;
    };
    std::vector<Cand> cands;
    const size_t beam = size_t(options.beam);
    bool early = options.earlyStop || beam == 1;
    for (size_t t = 0; !rows.empty(); ++t) {
      std::vector<int64_t> prev, rowSource;
      for (const Live &r : rows) {
        prev.push_back(r.tokens.empty() ? options.bos : r.tokens.back());
        rowSource.push_back(r.source);
      }
      std::vector<Tensor> outputs;
      if (Status st = step(b, rowSource, prev, outputs); !st)
        return st;
      const Tensor &lpT = outputs[size_t(logProbsOutput)];
      const float *lp = lpT.data<float>();
      size_t vocab = size_t(lpT.shape()[1]);
      const float *att = nullptr;
      size_t attWidth = 0;
      if (options.attention) {
        const Tensor &a = outputs[size_t(attentionOutput)];
        if (a.dtype() != HEED_F32)
          return invalid("decode_step's attention output must be f32");
        att = a.data<float>();
        attWidth = a.count() / rows.size();
      }
      std::vector<Live> next;
      std::vector<int64_t> parents;
      for (size_t lo = 0; lo < rows.size();) {
        size_t hi = lo;
        int64_t s = rows[lo].source;
        size_t sentence = batch[size_t(s)];
        while (hi < rows.size() && rows[hi].source == s)
          ++hi;
        size_t maxLength =
            options.maxLength > 0 ? size_t(options.maxLength) : 2 * part[size_t(s)].size() + 10;
        const std::vector<int64_t> *prefix =
            options.targetPrefix.empty() ? nullptr : &options.targetPrefix[sentence];
        bool forced = prefix && t < prefix->size();
        // The best 2 * beam candidates, kept sorted while scanning rows then tokens in order,
        // so that among equal log-probs the earlier (row, token) wins; most candidates fail the
        // one comparison with the current worst, and no rows x vocab array is built.
        size_t keep = std::min((hi - lo) * vocab, 2 * beam);
        cands.clear();
        auto offer = [&](double p, size_t r, int64_t v, float tokenLp) {
          if (cands.size() == keep && !(p > cands.back().logProb))
            return;
          if (cands.size() == keep)
            cands.pop_back();
          size_t at = cands.size();
          while (at > 0 && p > cands[at - 1].logProb)
            --at;
          cands.insert(cands.begin() + long(at), Cand{p, r, v, tokenLp});
        };
        for (size_t r = lo; r < hi; ++r) {
          const float *row = lp + r * vocab;
          double base = rows[r].logProb;
          // NaN cannot be ranked (docs/decoding.md, "NaN log-probabilities").
          for (size_t v = 0; v < vocab; ++v)
            if (std::isnan(row[v]))
              return nanLogProb(sentence, t, int64_t(v));
          if (forced) { // the model's own log-prob of the forced token, no rule applied
            int64_t v = (*prefix)[t];
            if (size_t(v) >= vocab)
              return invalid("target prefix of sentence " + std::to_string(sentence + 1) +
                             " has token " + std::to_string(v) + " outside the vocabulary of " +
                             std::to_string(vocab));
            offer(base + double(row[v]), r, v, row[v]);
            continue;
          }
          // With rules, tokens they forbid (-inf) are never candidates.
          bool skipForbidden = rules.active() || sampling;
          if (rules.active()) {
            rules.apply(row, vocab, rows[r].tokens, processed);
            row = processed.data();
          }
          if (sampling) {
            if (!rules.active())
              processed.assign(row, row + vocab);
            int64_t v = sampleToken(processed, options.samplingTopK, options.samplingTopP,
                                    options.samplingTemperature, rngs[size_t(s)]);
            if (v >= 0)
              offer(base + double(row[v]), r, v, row[v]);
            continue;
          }
          for (size_t v = 0; v < vocab; ++v)
            if (!skipForbidden || row[v] != -INFINITY)
              offer(base + double(row[v]), r, int64_t(v), row[v]);
        }
        bool last = t + 1 >= maxLength;
        size_t live = 0, firstNext = next.size();
        auto withAttention = [&](size_t r) {
          std::vector<std::vector<float>> a;
          if (att) {
            a = rows[r].attention;
            const float *row = att + r * attWidth;
            a.emplace_back(row, row + std::min<size_t>(attWidth, part[size_t(s)].size()));
          }
          return a;
        };
        auto &done = finished[size_t(s)];
        auto finish = [&](const Live &parent, double logProb, int64_t token, size_t r,
                          float tokenLp) {
          Hypothesis h;
          h.tokens = parent.tokens;
          h.tokenLogProbs = parent.tokenLogProbs;
          h.ended = token == options.eos;
          if (token >= 0) {
            if (!h.ended)
              h.tokens.push_back(token);
            h.tokenLogProbs.push_back(tokenLp);
          }
          h.logProb = logProb;
          h.score =
              lengthNorm(h.logProb, h.tokens.size() + (h.ended ? 1 : 0), options.lengthPenalty);
          if (token >= 0)
            h.attention = withAttention(r);
          else
            h.attention = parent.attention;
          done.push_back(std::move(h));
        };
        // Every token forbidden (the rules left no candidate): each hypothesis stops, cut.
        if (cands.empty())
          for (size_t r = lo; r < hi; ++r)
            finish(rows[r], rows[r].logProb, -1, r, 0);
        // At the last step the first `beam` candidates all finish (cut when not </s>); before
        // it, </s> candidates finish and the walk stops once `beam` others stay live.
        size_t walk = last ? std::min(cands.size(), beam) : cands.size();
        for (size_t c = 0; c < walk && live < beam; ++c) {
          const Cand &cand = cands[c];
          const Live &parent = rows[cand.row];
          if (cand.token == options.eos || last) {
            finish(parent, cand.logProb, cand.token, cand.row, cand.tokenLogProb);
            continue;
          }
          Live l{s, parent.tokens, parent.tokenLogProbs, cand.logProb, withAttention(cand.row)};
          l.tokens.push_back(cand.token);
          l.tokenLogProbs.push_back(cand.tokenLogProb);
          next.push_back(std::move(l));
          parents.push_back(int64_t(cand.row));
          ++live;
        }
        bool stop = last || live == 0 || (early && done.size() >= beam);
        if (!stop && !early && done.size() >= size_t(options.nBest)) {
          // Stop once no live hypothesis can beat the n-th best ended one (exact without a
          // length penalty: log-probs only fall).
          std::vector<double> scores;
          for (const Hypothesis &h : done)
            scores.push_back(h.score);
          std::sort(scores.rbegin(), scores.rend());
          double nth = scores[size_t(options.nBest) - 1], bestLive = -INFINITY;
          for (size_t k = firstNext; k < next.size(); ++k)
            bestLive = std::max(bestLive, lengthNorm(next[k].logProb, next[k].tokens.size(),
                                                     options.lengthPenalty));
          stop = bestLive < nth;
        }
        if (stop) { // finished sources leave the batch
          next.resize(firstNext);
          parents.resize(firstNext);
        }
        lo = hi;
      }
      for (size_t i = 1; i < inputs.size(); ++i)
        if (inputs[i].kind == Binding::state)
          if (Status st = reorder(std::move(outputs[inputs[i].index]), inputs[i].batchDim, parents,
                                  "decode_step output '" + inputs[i].name + "'", b.states[i]);
              !st)
            return st;
      rows = std::move(next);
    }
    for (size_t i = 0; i < part.size(); ++i) {
      auto &list = finished[i];
      std::sort(list.begin(), list.end(), [](const Hypothesis &a, const Hypothesis &b) {
        if (a.score != b.score)
          return a.score > b.score;
        return a.tokens < b.tokens;
      });
      if (list.size() > size_t(options.nBest))
        list.resize(size_t(options.nBest));
      out[batch[i]] = std::move(list);
    }
    translated += part.size();
    if (options.progress)
      options.progress(translated, sources.size());
  }
  return Status();
}

Status Decoder::score(const std::vector<std::vector<int64_t>> &sources,
                      const std::vector<std::vector<int64_t>> &targets, const Options &options,
                      std::vector<Scored> &out) const {
  if (sources.size() != targets.size())
    return invalid(std::to_string(sources.size()) + " sources but " +
                   std::to_string(targets.size()) + " targets");
  if (Status st = checkOptions(options); !st)
    return st;
  for (size_t i = 0; i < sources.size(); ++i)
    if (sources[i].empty())
      return invalid("source " + std::to_string(i + 1) + " is empty");
  out.assign(sources.size(), {});
  size_t scored = 0;
  for (const std::vector<size_t> &batch : planBatches(sources, options)) {
    size_t n = batch.size(), steps = 0;
    std::vector<std::vector<int64_t>> part;
    for (size_t i : batch) {
      part.push_back(sources[i]);
      steps = std::max(steps, targets[i].size() + 1);
    }
    Batch b;
    if (Status st = encodeBatch(part, b); !st)
      return st;
    std::vector<int64_t> rowSource(n);
    std::iota(rowSource.begin(), rowSource.end(), 0);
    for (size_t t = 0; t < steps; ++t) {
      std::vector<int64_t> prev(n);
      for (size_t r = 0; r < n; ++r) {
        const auto &tgt = targets[batch[r]];
        prev[r] = t == 0 ? options.bos : t - 1 < tgt.size() ? tgt[t - 1] : options.pad;
      }
      std::vector<Tensor> outputs;
      if (Status st = step(b, rowSource, prev, outputs); !st)
        return st;
      const Tensor &lpT = outputs[size_t(logProbsOutput)];
      size_t vocab = size_t(lpT.shape()[1]);
      for (size_t r = 0; r < n; ++r) {
        const auto &tgt = targets[batch[r]];
        if (t > tgt.size())
          continue;
        int64_t y = t < tgt.size() ? tgt[t] : options.eos;
        if (y < 0 || size_t(y) >= vocab)
          return invalid("target " + std::to_string(batch[r] + 1) + " has token " +
                         std::to_string(y) + " outside the vocabulary of " + std::to_string(vocab));
        float v = lpT.data<float>()[r * vocab + size_t(y)];
        if (std::isnan(v))
          return nanLogProb(batch[r], t, y);
        out[batch[r]].tokenLogProbs.push_back(v);
        out[batch[r]].logLikelihood += double(v);
      }
      for (size_t i = 1; i < inputs.size(); ++i)
        if (inputs[i].kind == Binding::state)
          b.states[i] = std::move(outputs[inputs[i].index]);
    }
    scored += n;
    if (options.progress)
      options.progress(scored, sources.size());
  }
  return Status();
}

} // namespace heed::decode
