//===- DecodeJson.cpp - heed-run translate / score --output-format=jsonl --===//

#include "DecodeJson.h"

#include "runtime/core/Escape.h"

#include <cmath>
#include <cstdio>

namespace heedrun {
namespace {

std::string number(double v) {
  if (std::isnan(v))
    return "NaN";
  if (std::isinf(v))
    return v < 0 ? "-Infinity" : "Infinity";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

template <typename T, typename F> std::string list(const std::vector<T> &items, F item) {
  std::string s = "[";
  for (size_t i = 0; i < items.size(); ++i)
    s += (i ? ", " : "") + item(items[i]);
  return s + "]";
}

std::string words(const std::vector<int64_t> &ids, const WordFn &word) {
  return list(ids, [&](int64_t id) { return heed::jsonString(word(id)); });
}

std::string floats(const std::vector<float> &v) {
  return list(v, [](float x) { return number(double(x)); });
}

} // namespace

std::string hypothesisJson(const heed::Hypothesis &h, const WordFn &word, bool attention) {
  std::string s = "{\"tokens\": " + words(h.tokens, word) +
                  ", \"ids\": " + list(h.tokens, [](int64_t id) { return std::to_string(id); }) +
                  ", \"score\": " + number(h.score) + ", \"log_prob\": " + number(h.logProb) +
                  ", \"log_probs\": " + floats(h.tokenLogProbs) +
                  ", \"ended\": " + (h.ended ? "true" : "false");
  if (attention) {
    std::vector<std::vector<float>> rows;
    for (size_t r = 0; r < h.attentionRows; ++r)
      rows.emplace_back(h.attention.begin() + long(r * h.attentionCols),
                        h.attention.begin() + long((r + 1) * h.attentionCols));
    s += ", \"attention\": " + list(rows, floats);
  }
  return s + "}";
}

std::string translationJsonl(const std::vector<heed::Hypothesis> &hyps, const WordFn &word,
                             bool nBest, bool attention) {
  if (nBest)
    return "{\"hypotheses\": " +
           list(hyps,
                [&](const heed::Hypothesis &h) { return hypothesisJson(h, word, attention); }) +
           "}";
  return hyps.empty() ? hypothesisJson(heed::Hypothesis(), word, attention)
                      : hypothesisJson(hyps.front(), word, attention);
}

std::string scoreJsonl(const std::vector<int64_t> &target, const heed::Scored &scored,
                       const WordFn &word, const std::string &eosWord) {
  std::string tokens = words(target, word);
  tokens.insert(tokens.size() - 1, (target.empty() ? "" : ", ") + heed::jsonString(eosWord));
  return "{\"tokens\": " + tokens + ", \"log_probs\": " + floats(scored.tokenLogProbs) +
         ", \"score\": " + number(scored.logLikelihood) + "}";
}

} // namespace heedrun
