//===- DecodeJson.h - heed-run translate / score --output-format=jsonl -*- C++ -*-===//
//
// One JSON object per source line (docs/decoding.md, "jsonl output"): numbers with %.9g so
// that a float round-trips, strings escaped by heed::jsonString, -inf as -Infinity (what
// Python's json module reads).
//
//===----------------------------------------------------------------------===//

#ifndef HEED_TOOLS_HEED_RUN_DECODEJSON_H
#define HEED_TOOLS_HEED_RUN_DECODEJSON_H

#include "heed/heed.hpp"

#include <functional>
#include <string>
#include <vector>

namespace heedrun {

/// A target token id as printed (a vocabulary word, else the id).
using WordFn = std::function<std::string(int64_t)>;

/// {"tokens", "ids", "score", "log_prob", "log_probs", "ended"[, "attention"]} of one
/// hypothesis (log_probs: one per token, then </s>'s when it ended).
std::string hypothesisJson(const heed::Hypothesis &h, const WordFn &word, bool attention);
/// One line for a source: its best hypothesis's object, or {"hypotheses": [...]} when
/// `nBest` > 1.
std::string translationJsonl(const std::vector<heed::Hypothesis> &hyps, const WordFn &word,
                             bool nBest, bool attention);
/// {"tokens": [target..., </s>], "log_probs": [...], "score": log-likelihood}.
std::string scoreJsonl(const std::vector<int64_t> &target, const heed::Scored &scored,
                       const WordFn &word, const std::string &eosWord);

} // namespace heedrun

#endif // HEED_TOOLS_HEED_RUN_DECODEJSON_H
