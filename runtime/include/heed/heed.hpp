//===- heed.hpp - A thin C++ wrapper over the Heed runtime C API -*- C++ -*-===//
//
// RAII handles over heed.h. Nothing here throws: every fallible call returns a
// heed::Status (code + message), so the wrapper works in -fno-exceptions code.
//
//   heed::Runtime rt;
//   if (auto st = heed::Runtime::create("cpu", rt); !st) { puts(st.message.c_str()); }
//   heed::Module m;
//   st = rt.load("model.heedm", m);
//   heed::Function f;
//   st = m.function("encode", f);
//   std::vector<heed::Tensor> outs;
//   st = f.invoke({heed::Tensor::make(HEED_F32, {2, 3}, data)}, outs);
//
//===----------------------------------------------------------------------===//

#ifndef HEED_HEED_HPP
#define HEED_HEED_HPP

#include "heed/heed.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace heed {

struct Status {
  heed_status code = HEED_OK;
  std::string message;
  explicit operator bool() const { return code == HEED_OK; }
  static Status last(heed_status code) {
    return code == HEED_OK ? Status() : Status{code, heed_last_error()};
  }
};

/// Owns a heed_tensor.
class Tensor {
public:
  Tensor() = default;
  explicit Tensor(heed_tensor *t) : t(t) {}
  Tensor(Tensor &&o) noexcept : t(std::exchange(o.t, nullptr)) {}
  Tensor &operator=(Tensor &&o) noexcept {
    std::swap(t, o.t);
    return *this;
  }
  Tensor(const Tensor &) = delete;
  Tensor &operator=(const Tensor &) = delete;
  ~Tensor() { heed_tensor_destroy(t); }

  /// A tensor with a copy of `data` (zeros when null); an empty Tensor on error.
  static Tensor make(heed_dtype dtype, const std::vector<int64_t> &shape,
                     const void *data = nullptr) {
    heed_tensor *out = nullptr;
    heed_tensor_create(dtype, shape.data(), shape.size(), data, &out);
    return Tensor(out);
  }

  /// A tensor over the caller's `data`, not copied (heed_tensor_wrap: the memory must outlive the
  /// Tensor and stay unchanged); an empty Tensor on error.
  static Tensor wrap(heed_dtype dtype, const std::vector<int64_t> &shape, const void *data) {
    heed_tensor *out = nullptr;
    heed_tensor_wrap(dtype, shape.data(), shape.size(), data, &out);
    return Tensor(out);
  }

  explicit operator bool() const { return t != nullptr; }
  heed_tensor *get() const { return t; }
  heed_dtype dtype() const { return heed_tensor_dtype(t); }
  std::vector<int64_t> shape() const {
    return {heed_tensor_shape(t), heed_tensor_shape(t) + heed_tensor_rank(t)};
  }
  size_t count() const { return heed_tensor_element_count(t); }
  size_t bytes() const { return heed_tensor_byte_size(t); }
  template <typename T> const T *data() const {
    return static_cast<const T *>(heed_tensor_data(t));
  }

private:
  heed_tensor *t = nullptr;
};

/// One input or output of a function's signature (heed_function_input_dtype and the rest):
/// dtype HEED_INDEX with no dims for an index scalar; dims -1 where dynamic; per dim the model's
/// symbol (heed.dims) or "".
struct ValueInfo {
  heed_dtype dtype = HEED_F32;
  std::vector<int64_t> dims;
  std::vector<std::string> dimNames;
  bool isIndex() const { return dtype == HEED_INDEX; }
};

/// Borrowed from its Module; valid while the Module lives.
class Function {
public:
  Function() = default;
  explicit Function(heed_function *f) : f(f) {}
  explicit operator bool() const { return f != nullptr; }
  std::string name() const { return heed_function_name(f); }
  size_t inputCount() const { return heed_function_input_count(f); }
  size_t outputCount() const { return heed_function_output_count(f); }
  std::string inputName(size_t i) const { return heed_function_input_name(f, i); }
  std::string inputType(size_t i) const { return heed_function_input_type(f, i); }
  std::string outputName(size_t i) const { return heed_function_output_name(f, i); }
  std::string inputDims(size_t i) const { return heed_function_input_dims(f, i); }
  std::string outputDims(size_t i) const { return heed_function_output_dims(f, i); }
  std::string outputType(size_t i) const { return heed_function_output_type(f, i); }
  /// The typed signature of input (output) `i`; an error Status when `i` is out of range.
  Status input(size_t i, ValueInfo &out) const { return describe(true, i, out); }
  Status output(size_t i, ValueInfo &out) const { return describe(false, i, out); }

  Status invoke(const std::vector<const Tensor *> &inputs, std::vector<Tensor> &outputs) const {
    std::vector<heed_tensor *> in;
    for (const Tensor *t : inputs)
      in.push_back(t ? t->get() : nullptr);
    std::vector<heed_tensor *> out(outputCount(), nullptr);
    heed_status st = heed_function_invoke(f, in.data(), in.size(), out.data(), out.size());
    outputs.clear();
    if (st == HEED_OK)
      for (heed_tensor *t : out)
        outputs.emplace_back(t);
    return Status::last(st);
  }
  Status stats(heed_stats &out) const { return Status::last(heed_function_stats(f, &out)); }

private:
  Status describe(bool input, size_t i, ValueInfo &out) const {
    out = ValueInfo();
    size_t rank = 0;
    heed_status st = input ? heed_function_input_dtype(f, i, &out.dtype)
                           : heed_function_output_dtype(f, i, &out.dtype);
    if (st == HEED_OK)
      st = input ? heed_function_input_rank(f, i, &rank) : heed_function_output_rank(f, i, &rank);
    for (size_t d = 0; d < rank && st == HEED_OK; ++d) {
      int64_t size = -1;
      const char *name = "";
      st = input ? heed_function_input_dim(f, i, d, &size)
                 : heed_function_output_dim(f, i, d, &size);
      if (st == HEED_OK)
        st = input ? heed_function_input_dim_name(f, i, d, &name)
                   : heed_function_output_dim_name(f, i, d, &name);
      out.dims.push_back(size);
      out.dimNames.push_back(name);
    }
    return Status::last(st);
  }

  heed_function *f = nullptr;
};

class Module {
public:
  Module() = default;
  Module(Module &&o) noexcept : m(std::exchange(o.m, nullptr)) {}
  Module &operator=(Module &&o) noexcept {
    std::swap(m, o.m);
    return *this;
  }
  Module(const Module &) = delete;
  Module &operator=(const Module &) = delete;
  ~Module() { heed_module_destroy(m); }

  explicit operator bool() const { return m != nullptr; }
  heed_module *get() const { return m; }
  size_t functionCount() const { return heed_module_function_count(m); }
  Function functionAt(size_t i) const { return Function(heed_module_function_at(m, i)); }
  /// `name` empty: the only function, or `main`.
  Status function(const std::string &name, Function &out) const {
    heed_function *f = nullptr;
    heed_status st = heed_module_find_function(m, name.empty() ? nullptr : name.c_str(), &f);
    out = Function(f);
    return Status::last(st);
  }

private:
  friend class Runtime;
  heed_module *m = nullptr;
};

class Runtime {
public:
  Runtime() = default;
  Runtime(Runtime &&o) noexcept : r(std::exchange(o.r, nullptr)) {}
  Runtime &operator=(Runtime &&o) noexcept {
    std::swap(r, o.r);
    return *this;
  }
  Runtime(const Runtime &) = delete;
  Runtime &operator=(const Runtime &) = delete;
  ~Runtime() { heed_runtime_destroy(r); }

  static Status create(const std::string &device, Runtime &out) {
    heed_runtime *r = nullptr;
    heed_status st = heed_runtime_create(device.c_str(), &r);
    out = Runtime();
    out.r = r;
    return Status::last(st);
  }
  explicit operator bool() const { return r != nullptr; }
  heed_runtime *get() const { return r; }

  /// The Module must not outlive this Runtime.
  Status load(const std::string &path, Module &out) const {
    Module m;
    heed_status st = heed_module_load_file(r, path.c_str(), &m.m);
    out = std::move(m);
    return Status::last(st);
  }
  Status load(const void *data, size_t size, const std::string &name, Module &out) const {
    Module m;
    heed_status st = heed_module_load_memory(r, data, size, name.c_str(), &m.m);
    out = std::move(m);
    return Status::last(st);
  }
  /// Switching tracing on starts a new time line of every call on this runtime (writeTrace).
  Status setTracing(bool enabled) const {
    return Status::last(heed_runtime_set_tracing(r, enabled ? 1 : 0));
  }
  Status writeTrace(const std::string &path) const {
    return Status::last(heed_runtime_write_trace(r, path.c_str()));
  }

private:
  heed_runtime *r = nullptr;
};

/// heed_decode_options with the defaults filled in.
struct DecodeOptions : heed_decode_options {
  DecodeOptions() : heed_decode_options() { heed_decode_options_init(this); }
};

/// One hypothesis of heed_decoder_translate, copied out of the C result.
struct Hypothesis {
  std::vector<int64_t> tokens; // without <s> and </s>
  double score = 0, logProb = 0;
  bool ended = false;
  std::vector<float> attention; // attentionRows x attentionCols, row-major (on request)
  size_t attentionRows = 0, attentionCols = 0;
  std::vector<float> tokenLogProbs; // per token, then </s>'s when it ended
};

struct Scored {
  std::vector<float> tokenLogProbs; // one per target token, then </s>
  double logLikelihood = 0;
};

/// Owns a heed_decoder (greedy, beam search and scoring; docs/decoding.md).
class Decoder {
public:
  Decoder() = default;
  Decoder(Decoder &&o) noexcept : d(std::exchange(o.d, nullptr)) {}
  Decoder &operator=(Decoder &&o) noexcept {
    std::swap(d, o.d);
    return *this;
  }
  Decoder(const Decoder &) = delete;
  Decoder &operator=(const Decoder &) = delete;
  ~Decoder() { heed_decoder_destroy(d); }

  /// The Module must outlive the Decoder.
  static Status create(const Module &module, Decoder &out) {
    heed_decoder *d = nullptr;
    heed_status st = heed_decoder_create(module.get(), &d);
    out = Decoder();
    out.d = d;
    return Status::last(st);
  }
  explicit operator bool() const { return d != nullptr; }
  heed_decoder *get() const { return d; }
  std::string describe() const { return heed_decoder_describe(d); }
  int64_t vocabSize() const { return heed_decoder_vocab_size(d); }

  /// n-best hypotheses per source, best first.
  Status translate(const std::vector<std::vector<int64_t>> &sources,
                   const heed_decode_options &options,
                   std::vector<std::vector<Hypothesis>> &out) const {
    std::vector<const int64_t *> ptrs;
    std::vector<size_t> lengths;
    for (const auto &s : sources) {
      ptrs.push_back(s.data());
      lengths.push_back(s.size());
    }
    heed_hypotheses *h = nullptr;
    heed_status st =
        heed_decoder_translate(d, ptrs.data(), lengths.data(), sources.size(), &options, &h);
    out.clear();
    if (st != HEED_OK)
      return Status::last(st);
    out.resize(heed_hypotheses_source_count(h));
    for (size_t s = 0; s < out.size(); ++s)
      for (size_t r = 0; r < heed_hypotheses_count(h, s); ++r) {
        heed_hypothesis c;
        heed_hypotheses_get(h, s, r, &c);
        Hypothesis hyp;
        hyp.tokens.assign(c.tokens, c.tokens + c.length);
        hyp.score = c.score;
        hyp.logProb = c.log_prob;
        hyp.ended = c.ended != 0;
        if (c.attention)
          hyp.attention.assign(c.attention, c.attention + c.attention_rows * c.attention_cols);
        hyp.attentionRows = c.attention_rows;
        hyp.attentionCols = c.attention_cols;
        if (c.token_log_probs)
          hyp.tokenLogProbs.assign(c.token_log_probs, c.token_log_probs + c.token_log_probs_count);
        out[s].push_back(std::move(hyp));
      }
    heed_hypotheses_destroy(h);
    return Status();
  }

  /// Teacher-forced log-probs of each target followed by </s>.
  Status score(const std::vector<std::vector<int64_t>> &sources,
               const std::vector<std::vector<int64_t>> &targets, const heed_decode_options &options,
               std::vector<Scored> &out) const {
    std::vector<const int64_t *> sp, tp;
    std::vector<size_t> sl, tl;
    for (const auto &s : sources) {
      sp.push_back(s.data());
      sl.push_back(s.size());
    }
    for (const auto &t : targets) {
      tp.push_back(t.data());
      tl.push_back(t.size());
    }
    out.clear();
    if (sources.size() != targets.size())
      return Status{HEED_INVALID_ARGUMENT, std::to_string(sources.size()) + " sources but " +
                                               std::to_string(targets.size()) + " targets"};
    heed_scores *sc = nullptr;
    heed_status st = heed_decoder_score(d, sp.data(), sl.data(), tp.data(), tl.data(),
                                        sources.size(), &options, &sc);
    if (st != HEED_OK)
      return Status::last(st);
    out.resize(heed_scores_count(sc));
    for (size_t i = 0; i < out.size(); ++i) {
      const float *lp = nullptr;
      size_t n = 0;
      heed_scores_get(sc, i, &lp, &n, &out[i].logLikelihood);
      out[i].tokenLogProbs.assign(lp, lp + n);
    }
    heed_scores_destroy(sc);
    return Status();
  }

private:
  heed_decoder *d = nullptr;
};

} // namespace heed

#endif // HEED_HEED_HPP
