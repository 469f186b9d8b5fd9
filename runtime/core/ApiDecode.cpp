//===- ApiDecode.cpp - The C API of the decoding drivers ------------------===//
//
// heed_decoder_* wrap heed::decode::Decoder (runtime/decode), which itself runs the module
// through the public C API, so decoding works on whatever device the module was loaded on.
// Every argument is checked here or in the Decoder; failures become a status plus
// heed_last_error(), never an abort.
//
//===----------------------------------------------------------------------===//

#include "heed/heed.h"

#include "runtime/core/ApiError.h"
#include "runtime/decode/Decoder.h"

#include <cmath>
#include <memory>
#include <new>

using heed::rt::setLastError;

struct heed_decoder {
  heed::decode::Decoder decoder;
  std::string description;
};

struct heed_hypotheses {
  std::vector<std::vector<heed::decode::Hypothesis>> hypotheses;
  /// Per source, per rank: the attention rows flattened (the C view is one array).
  std::vector<std::vector<std::vector<float>>> attention;
  std::vector<std::vector<size_t>> attentionCols;
};

struct heed_scores {
  std::vector<heed::decode::Scored> scored;
};

namespace {

template <typename F> heed_status guard(F f) {
  try {
    heed::rt::clearLastError();
    return f();
  } catch (const std::bad_alloc &) {
    return setLastError(HEED_OUT_OF_MEMORY, "out of memory");
  } catch (const std::exception &e) {
    return setLastError(HEED_INTERNAL, std::string("internal error: ") + e.what());
  } catch (...) {
    return setLastError(HEED_INTERNAL, "internal error");
  }
}

heed_status report(const heed::Status &st) {
  return st ? HEED_OK : setLastError(st.code, st.message);
}

heed_status readSequences(const char *what, const int64_t *const *seqs, const size_t *lengths,
                          size_t count, std::vector<std::vector<int64_t>> &out);

/// The C options as the driver's, checked (the decoding rules by the Decoder); `count` sources.
heed_status toOptions(const heed_decode_options *in, size_t count, heed::decode::Options &out) {
  heed_decode_options o;
  heed_decode_options_init(&o);
  if (in)
    o = *in;
  if (o.beam < 1 || o.n_best < 1 || o.n_best > o.beam)
    return setLastError(HEED_INVALID_ARGUMENT,
                        "beam must be >= 1 and n_best between 1 and the beam size (beam " +
                            std::to_string(o.beam) + ", n_best " + std::to_string(o.n_best) + ")");
  if (o.max_length < 0)
    return setLastError(HEED_INVALID_ARGUMENT,
                        "max_length must be >= 0 (0: 2 * source length + 10), got " +
                            std::to_string(o.max_length));
  if (o.batch_size < 1)
    return setLastError(HEED_INVALID_ARGUMENT,
                        "batch_size must be >= 1, got " + std::to_string(o.batch_size));
  if (!std::isfinite(o.length_penalty))
    return setLastError(HEED_INVALID_ARGUMENT, "length_penalty must be finite");
  out.bos = o.bos;
  out.eos = o.eos;
  out.pad = o.pad;
  out.beam = o.beam;
  out.nBest = o.n_best;
  out.maxLength = o.max_length;
  out.lengthPenalty = o.length_penalty;
  out.earlyStop = o.early_stop != 0;
  out.attention = o.attention != 0;
  out.batchSize = o.batch_size;
  out.maxBatchTokens = o.max_batch_tokens;
  out.samplingTopK = o.sampling_topk;
  out.samplingTopP = o.sampling_topp;
  out.samplingTemperature = o.sampling_temperature;
  out.seed = o.seed;
  out.minLength = o.min_length;
  out.repetitionPenalty = o.repetition_penalty;
  out.noRepeatNgramSize = o.no_repeat_ngram_size;
  if (o.target_prefix || o.target_prefix_lengths) {
    if (heed_status st = readSequences("target prefix", o.target_prefix, o.target_prefix_lengths,
                                       count, out.targetPrefix))
      return st;
  }
  if (o.progress) {
    auto fn = o.progress;
    void *user = o.progress_user;
    out.progress = [fn, user](size_t done, size_t total) { fn(done, total, user); };
  }
  return HEED_OK;
}

/// Copies `count` token sequences, rejecting null pointers and negative ids.
heed_status readSequences(const char *what, const int64_t *const *seqs, const size_t *lengths,
                          size_t count, std::vector<std::vector<int64_t>> &out) {
  if (count && (!seqs || !lengths))
    return setLastError(HEED_INVALID_ARGUMENT, std::string("null ") + what + " array");
  out.resize(count);
  for (size_t i = 0; i < count; ++i) {
    if (lengths[i] && !seqs[i])
      return setLastError(HEED_INVALID_ARGUMENT, std::string(what) + " " + std::to_string(i + 1) +
                                                     " is null with length " +
                                                     std::to_string(lengths[i]));
    out[i].assign(seqs[i], seqs[i] + lengths[i]);
    for (size_t k = 0; k < lengths[i]; ++k)
      if (out[i][k] < 0)
        return setLastError(HEED_INVALID_ARGUMENT, std::string(what) + " " + std::to_string(i + 1) +
                                                       " has token " + std::to_string(out[i][k]) +
                                                       " at position " + std::to_string(k + 1) +
                                                       " (ids are >= 0)");
  }
  return HEED_OK;
}

} // namespace

extern "C" {

void heed_decode_options_init(heed_decode_options *o) {
  if (!o)
    return;
  *o = heed_decode_options{};
  heed::decode::Options d;
  o->bos = d.bos;
  o->eos = d.eos;
  o->pad = d.pad;
  o->beam = d.beam;
  o->n_best = d.nBest;
  o->max_length = d.maxLength;
  o->length_penalty = d.lengthPenalty;
  o->early_stop = d.earlyStop;
  o->attention = d.attention;
  o->batch_size = d.batchSize;
  o->max_batch_tokens = d.maxBatchTokens;
  o->sampling_topk = d.samplingTopK;
  o->sampling_topp = d.samplingTopP;
  o->sampling_temperature = d.samplingTemperature;
  o->seed = d.seed;
  o->min_length = d.minLength;
  o->repetition_penalty = d.repetitionPenalty;
  o->no_repeat_ngram_size = d.noRepeatNgramSize;
  o->target_prefix = nullptr;
  o->target_prefix_lengths = nullptr;
}

heed_status heed_decoder_create(heed_module *module, heed_decoder **out) {
  return guard([&] {
    if (!module || !out)
      return setLastError(HEED_INVALID_ARGUMENT, "heed_decoder_create: null argument");
    *out = nullptr;
    auto d = std::make_unique<heed_decoder>();
    if (heed_status st = report(heed::decode::Decoder::create(module, d->decoder)))
      return st;
    d->description = d->decoder.describe();
    *out = d.release();
    return HEED_OK;
  });
}

void heed_decoder_destroy(heed_decoder *decoder) { delete decoder; }

const char *heed_decoder_describe(const heed_decoder *decoder) {
  return decoder ? decoder->description.c_str() : "";
}

int64_t heed_decoder_vocab_size(const heed_decoder *decoder) {
  return decoder ? decoder->decoder.vocabSize() : 0;
}

heed_status heed_decoder_translate(const heed_decoder *decoder, const int64_t *const *sources,
                                   const size_t *lengths, size_t count,
                                   const heed_decode_options *options, heed_hypotheses **out) {
  return guard([&] {
    if (!decoder || !out)
      return setLastError(HEED_INVALID_ARGUMENT, "heed_decoder_translate: null argument");
    *out = nullptr;
    heed::decode::Options o;
    std::vector<std::vector<int64_t>> src;
    if (heed_status st = toOptions(options, count, o))
      return st;
    if (heed_status st = readSequences("source", sources, lengths, count, src))
      return st;
    auto h = std::make_unique<heed_hypotheses>();
    if (heed_status st = report(decoder->decoder.translate(src, o, h->hypotheses)))
      return st;
    h->attention.resize(h->hypotheses.size());
    h->attentionCols.resize(h->hypotheses.size());
    for (size_t s = 0; s < h->hypotheses.size(); ++s)
      for (heed::decode::Hypothesis &hyp : h->hypotheses[s]) {
        std::vector<float> flat;
        size_t cols = hyp.attention.empty() ? 0 : hyp.attention.front().size();
        for (const std::vector<float> &row : hyp.attention)
          flat.insert(flat.end(), row.begin(), row.end());
        hyp.attention.clear();
        h->attention[s].push_back(std::move(flat));
        h->attentionCols[s].push_back(cols);
      }
    *out = h.release();
    return HEED_OK;
  });
}

size_t heed_hypotheses_source_count(const heed_hypotheses *h) {
  return h ? h->hypotheses.size() : 0;
}

size_t heed_hypotheses_count(const heed_hypotheses *h, size_t source) {
  return h && source < h->hypotheses.size() ? h->hypotheses[source].size() : 0;
}

heed_status heed_hypotheses_get(const heed_hypotheses *h, size_t source, size_t rank,
                                heed_hypothesis *out) {
  if (!h || !out)
    return setLastError(HEED_INVALID_ARGUMENT, "heed_hypotheses_get: null argument");
  if (source >= h->hypotheses.size() || rank >= h->hypotheses[source].size())
    return setLastError(HEED_INVALID_ARGUMENT, "no hypothesis " + std::to_string(rank) +
                                                   " of source " + std::to_string(source) + " (" +
                                                   std::to_string(h->hypotheses.size()) +
                                                   " sources)");
  const heed::decode::Hypothesis &hyp = h->hypotheses[source][rank];
  const std::vector<float> &att = h->attention[source][rank];
  size_t cols = h->attentionCols[source][rank];
  out->tokens = hyp.tokens.data();
  out->length = hyp.tokens.size();
  out->score = hyp.score;
  out->log_prob = hyp.logProb;
  out->ended = hyp.ended;
  out->attention = att.empty() ? nullptr : att.data();
  out->attention_rows = cols ? att.size() / cols : 0;
  out->attention_cols = att.empty() ? 0 : cols;
  out->token_log_probs = hyp.tokenLogProbs.data();
  out->token_log_probs_count = hyp.tokenLogProbs.size();
  return HEED_OK;
}

void heed_hypotheses_destroy(heed_hypotheses *h) { delete h; }

heed_status heed_decoder_score(const heed_decoder *decoder, const int64_t *const *sources,
                               const size_t *sourceLengths, const int64_t *const *targets,
                               const size_t *targetLengths, size_t count,
                               const heed_decode_options *options, heed_scores **out) {
  return guard([&] {
    if (!decoder || !out)
      return setLastError(HEED_INVALID_ARGUMENT, "heed_decoder_score: null argument");
    *out = nullptr;
    heed::decode::Options o;
    std::vector<std::vector<int64_t>> src, tgt;
    if (heed_status st = toOptions(options, count, o))
      return st;
    if (heed_status st = readSequences("source", sources, sourceLengths, count, src))
      return st;
    if (heed_status st = readSequences("target", targets, targetLengths, count, tgt))
      return st;
    auto s = std::make_unique<heed_scores>();
    if (heed_status st = report(decoder->decoder.score(src, tgt, o, s->scored)))
      return st;
    *out = s.release();
    return HEED_OK;
  });
}

size_t heed_scores_count(const heed_scores *s) { return s ? s->scored.size() : 0; }

heed_status heed_scores_get(const heed_scores *s, size_t index, const float **tokenLogProbs,
                            size_t *count, double *logLikelihood) {
  if (!s || index >= s->scored.size())
    return setLastError(HEED_INVALID_ARGUMENT, "heed_scores_get: no pair " + std::to_string(index) +
                                                   " (" + std::to_string(s ? s->scored.size() : 0) +
                                                   " scored)");
  const heed::decode::Scored &sc = s->scored[index];
  if (tokenLogProbs)
    *tokenLogProbs = sc.tokenLogProbs.data();
  if (count)
    *count = sc.tokenLogProbs.size();
  if (logLikelihood)
    *logLikelihood = sc.logLikelihood;
  return HEED_OK;
}

void heed_scores_destroy(heed_scores *s) { delete s; }

} // extern "C"
