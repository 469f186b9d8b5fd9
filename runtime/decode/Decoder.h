//===- Decoder.h - Greedy, beam search and scoring over any module -*- C++ -*-===//
//
// Drives a compiled seq2seq module through its entry points only (no MLIR, no
// device code): `encode(src, src_len) -> state...` and `decode_step(prev, state...)
// -> (log_probs, state..., [attention])`. The contract (docs/decoding.md) is read
// from the module's metadata: heed.name binds decode_step inputs to encode outputs
// or to decode_step outputs of the same name, and heed.dims gives each state's
// batch dim, so hypotheses can be reordered and finished ones dropped.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_RUNTIME_DECODE_DECODER_H
#define HEED_RUNTIME_DECODE_DECODER_H

#include "heed/heed.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace heed::decode {

struct Options {
  int64_t bos = 1, eos = 2, pad = 0;
  int beam = 1;               // 1: greedy
  int nBest = 1;              // hypotheses returned per source (<= beam)
  int maxLength = 0;          // generated tokens incl. </s>; 0: 2 * source length + 10
  double lengthPenalty = 0.0; // GNMT alpha: score = logp / ((5 + len) / 6)^alpha
  bool earlyStop = true;      // stop a source once `beam` hypotheses ended
  bool attention = false;     // collect decode_step's attention output per step
  int batchSize = 32;         // sources per encode call
  int maxBatchTokens = 0;     // > 0: batches of sources sorted by length, padded tokens <= this
  // Decoding rules (docs/decoding.md, "Decoding options"; CTranslate2's meanings).
  int samplingTopK = 1;             // 1: greedy (argmax); 0: sample from the whole vocabulary
  double samplingTopP = 1.0;        // nucleus: keep the smallest top set reaching this mass
  double samplingTemperature = 1.0; // log-probs / T before sampling
  uint64_t seed = 0;                // source i samples with std::mt19937_64(seed + i)
  int minLength = 0;                // </s> forbidden before this many tokens (prefix included)
  double repetitionPenalty = 1.0;   // CTRL: log-prob x R for tokens already generated
  int noRepeatNgramSize = 0;        // no n-gram of this size twice in a hypothesis
  /// Per source (empty: none): tokens forced first; empty vector: no prefixes at all.
  std::vector<std::vector<int64_t>> targetPrefix;
  /// Called after each batch with (sources done, total).
  std::function<void(size_t, size_t)> progress;
};

struct Hypothesis {
  std::vector<int64_t> tokens;      // without <s> and </s>
  double logProb = 0;               // sum of the tokens' log-probs (with </s> when it ended)
  double score = 0;                 // logProb after the length penalty
  std::vector<float> tokenLogProbs; // per token, then </s>'s when it ended; sum = logProb
  bool ended = false;               // produced </s> (else stopped at max length)
  /// attention[t][s]: weight of source position s at target step t (on request).
  std::vector<std::vector<float>> attention;
};

struct Scored {
  std::vector<float> tokenLogProbs; // one per target token, then </s>
  double logLikelihood = 0;         // their sum
};

/// How decode_step's inputs are fed (for messages and tests).
struct Binding {
  enum Kind { token, state, encodeOutput, encodeInput } kind;
  std::string name;
  size_t index = 0; // state: decode_step output; encodeOutput/Input: its index
  int batchDim = 0; // in this input's tensor
};

class Decoder {
public:
  /// Finds `encode` and `decode_step` and binds them; the Module must outlive the Decoder.
  static Status create(const Module &module, Decoder &out);
  static Status create(heed_module *module, Decoder &out);

  /// n-best hypotheses per source, best first.
  Status translate(const std::vector<std::vector<int64_t>> &sources, const Options &options,
                   std::vector<std::vector<Hypothesis>> &out) const;
  /// Teacher-forced log-probs of each target followed by </s>.
  Status score(const std::vector<std::vector<int64_t>> &sources,
               const std::vector<std::vector<int64_t>> &targets, const Options &options,
               std::vector<Scored> &out) const;

  bool hasAttention() const { return attentionOutput >= 0; }
  /// The target vocabulary (log_probs' last dim as declared; 0 when dynamic).
  int64_t vocabSize() const { return vocab; }
  const std::vector<Binding> &bindings() const { return inputs; }
  /// One line per decode_step input: "s: state <- decode_step output 1 (batch dim 0)".
  std::string describe() const;

private:
  struct Batch;
  Status checkOptions(const Options &options) const;
  Status checkTranslateOptions(const std::vector<std::vector<int64_t>> &sources,
                               const Options &options) const;
  Status encodeBatch(const std::vector<std::vector<int64_t>> &sources, Batch &b) const;
  Status step(Batch &b, const std::vector<int64_t> &rowSource, const std::vector<int64_t> &prev,
              std::vector<Tensor> &outputs) const;

  Function encode, decodeStep;
  std::vector<Binding> inputs; // per decode_step input
  std::vector<int> encodeOutputBatchDim;
  std::vector<int> stateOutput; // per decode_step output: the decode_step input it feeds, or -1
  int logProbsOutput = 0, attentionOutput = -1;
  int64_t vocab = 0;
  heed_dtype tokenType = HEED_I64, srcType = HEED_I64, lenType = HEED_I64;
  bool encodeHasLengths = true;
  bool encodeTakesMask = false; // encode's second input is an attention mask [B, S] (1 = token)
};

/// Reorders (or repeats) slices of `t` along `dim`: out[..., r, ...] = t[..., index[r], ...].
Tensor gatherRows(const Tensor &t, int dim, const std::vector<int64_t> &index);
/// gatherRows, but hands `t` back unchanged (no copy) when `index` is 0, 1, ..., rows - 1.
Tensor gatherRows(Tensor &&t, int dim, const std::vector<int64_t> &index);

/// An SVG heatmap of attention[t][s]: source tokens along x, target tokens along y.
std::string attentionSvg(const std::vector<std::vector<float>> &attention,
                         const std::vector<std::string> &sourceLabels,
                         const std::vector<std::string> &targetLabels,
                         const std::string &title = "");

} // namespace heed::decode

#endif // HEED_RUNTIME_DECODE_DECODER_H
