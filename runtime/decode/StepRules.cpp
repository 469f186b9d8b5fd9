//===- StepRules.cpp - Decoding rules applied to one step's log-probs -----===//

#include "runtime/decode/StepRules.h"

#include "runtime/decode/Decoder.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace heed::decode {

std::string checkRules(const Options &o) {
  if (o.samplingTopK < 0)
    return "sampling_topk must be >= 0 (0: the whole vocabulary, 1: greedy), got " +
           std::to_string(o.samplingTopK);
  if (!(o.samplingTopP > 0 && o.samplingTopP <= 1))
    return "sampling_topp must be in (0, 1], got " + std::to_string(o.samplingTopP);
  if (!(o.samplingTemperature > 0) || !std::isfinite(o.samplingTemperature))
    return "sampling_temperature must be a finite number > 0, got " +
           std::to_string(o.samplingTemperature);
  if (o.samplingTopK != 1 && o.beam != 1)
    return "random sampling (sampling_topk " + std::to_string(o.samplingTopK) +
           ") needs beam 1: Heed does not sample within a beam (beam " + std::to_string(o.beam) +
           ")";
  if (o.minLength < 0)
    return "min_length must be >= 0, got " + std::to_string(o.minLength);
  if (o.maxLength > 0 && o.minLength > o.maxLength)
    return "min_length " + std::to_string(o.minLength) + " is above max_length " +
           std::to_string(o.maxLength);
  if (!(o.repetitionPenalty > 0) || !std::isfinite(o.repetitionPenalty))
    return "repetition_penalty must be a finite number > 0 (1: none), got " +
           std::to_string(o.repetitionPenalty);
  if (o.noRepeatNgramSize < 0)
    return "no_repeat_ngram_size must be >= 0 (0: none), got " +
           std::to_string(o.noRepeatNgramSize);
  if (o.maxBatchTokens < 0)
    return "max_batch_tokens must be >= 0 (0: batches of batch_size sources), got " +
           std::to_string(o.maxBatchTokens);
  return "";
}

StepRules::StepRules(const Options &o)
    : penalty(o.repetitionPenalty), minLength(size_t(std::max(0, o.minLength))),
      ngram(size_t(std::max(0, o.noRepeatNgramSize))), eos(o.eos) {}

void StepRules::apply(const float *row, size_t vocab, const std::vector<int64_t> &tokens,
                      std::vector<float> &out) const {
  out.assign(row, row + vocab);
  bool changed = false;
  auto inVocab = [&](int64_t v) { return v >= 0 && size_t(v) < vocab; };
  // CTRL's penalty on scores: x / R when positive, x * R otherwise (log-probs are <= 0, so
  // x * R: a token already generated becomes R times less likely in log space). Once per
  // distinct token.
  if (penalty != 1.0) {
    std::vector<int64_t> seen(tokens);
    std::sort(seen.begin(), seen.end());
    seen.erase(std::unique(seen.begin(), seen.end()), seen.end());
    for (int64_t v : seen)
      if (inVocab(v)) {
        float &x = out[size_t(v)];
        x = x > 0 ? float(double(x) / penalty) : float(double(x) * penalty);
        changed = true;
      }
  }
  auto forbid = [&](int64_t v) {
    if (inVocab(v) && out[size_t(v)] != -INFINITY) {
      out[size_t(v)] = -INFINITY;
      changed = true;
    }
  };
  if (tokens.size() < minLength)
    forbid(eos);
  // No n-gram twice: the last n - 1 tokens followed by v must not occur earlier.
  if (ngram > 0 && tokens.size() + 1 >= ngram) {
    size_t context = ngram - 1, n = tokens.size();
    for (size_t i = 0; i + ngram <= n; ++i)
      if (std::equal(tokens.begin() + long(i), tokens.begin() + long(i + context),
                     tokens.end() - long(context)))
        forbid(tokens[i + context]);
  }
  if (!changed)
    return;
  double top = -INFINITY;
  for (float x : out)
    top = std::max(top, double(x));
  if (top == -INFINITY)
    return; // nothing left to normalize: the caller sees every token forbidden
  double sum = 0;
  for (float x : out)
    sum += std::exp(double(x) - top);
  double shift = top + std::log(sum);
  for (float &x : out)
    x = float(double(x) - shift);
}

int64_t sampleToken(const std::vector<float> &logProbs, int topK, double topP, double temperature,
                    std::mt19937_64 &rng) {
  std::vector<int64_t> order;
  for (size_t v = 0; v < logProbs.size(); ++v)
    if (logProbs[v] != -INFINITY)
      order.push_back(int64_t(v));
  if (order.empty())
    return -1;
  // Highest first; equal log-probs: the lower id first.
  auto before = [&](int64_t a, int64_t b) {
    float x = logProbs[size_t(a)], y = logProbs[size_t(b)];
    return x > y || (x == y && a < b);
  };
  if (topK > 0 && size_t(topK) < order.size()) {
    std::partial_sort(order.begin(), order.begin() + topK, order.end(), before);
    order.resize(size_t(topK));
  } else {
    std::sort(order.begin(), order.end(), before);
  }
  double top = double(logProbs[size_t(order[0])]) / temperature;
  std::vector<double> weight(order.size());
  for (size_t i = 0; i < order.size(); ++i)
    weight[i] = std::exp(double(logProbs[size_t(order[i])]) / temperature - top);
  double total = std::accumulate(weight.begin(), weight.end(), 0.0);
  if (topP < 1) {
    // The smallest prefix whose probability sum reaches top-p (at least one token).
    double sum = 0;
    size_t keep = 0;
    while (keep < order.size()) {
      sum += weight[keep++];
      if (sum >= topP * total)
        break;
    }
    order.resize(keep);
    weight.resize(keep);
    total = sum;
  }
  double u = double(rng() >> 11) * 0x1.0p-53; // [0, 1)
  double target = u * total, acc = 0;
  for (size_t i = 0; i < order.size(); ++i) {
    acc += weight[i];
    if (target < acc)
      return order[i];
  }
  return order.back();
}

} // namespace heed::decode
