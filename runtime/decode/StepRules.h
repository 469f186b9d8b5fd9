//===- StepRules.h - Decoding rules applied to one step's log-probs -*- C++ -*-===//
//
// What CTranslate2 calls logits processors and samplers, over the log-probs decode_step returns
// (docs/decoding.md, "Decoding options"): the repetition penalty, the tokens the minimum length
// and no-repeat-ngram rules forbid, and random sampling (temperature, top-k, top-p) with a
// fixed PRNG so that a seed gives the same output whatever the batching.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_RUNTIME_DECODE_STEPRULES_H
#define HEED_RUNTIME_DECODE_STEPRULES_H

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace heed::decode {

struct Options;

/// The options' decoding rules, checked (an empty string) or the first bad value named.
std::string checkRules(const Options &options);

class StepRules {
public:
  explicit StepRules(const Options &options);
  /// Whether any rule can change a row (else the model's log-probs rank candidates as they are).
  bool active() const { return penalty != 1.0 || minLength > 0 || ngram > 0; }
  /// The log-probs of a hypothesis whose tokens so far (target prefix included, no <s>) are
  /// `tokens`: each token already generated gets the repetition penalty, forbidden tokens get
  /// -inf, and a row the rules changed is renormalized (log-softmax, in double).
  void apply(const float *row, size_t vocab, const std::vector<int64_t> &tokens,
             std::vector<float> &out) const;

private:
  double penalty;
  size_t minLength, ngram;
  int64_t eos;
};

/// Random sampling for one hypothesis (docs/decoding.md): log-probs / temperature, the top-k
/// (0: all) highest, then the smallest prefix of those whose probability reaches top-p; a token
/// drawn from what is left in proportion to exp(log-prob / temperature) with one 53-bit uniform
/// of `rng`. -inf tokens are never drawn; returns -1 when every token is -inf.
int64_t sampleToken(const std::vector<float> &logProbs, int topK, double topP, double temperature,
                    std::mt19937_64 &rng);

} // namespace heed::decode

#endif // HEED_RUNTIME_DECODE_STEPRULES_H
