/*===- decode_c_api.c - The decoding C API from plain C -------------------===//
 *
 * usage: decode_c_api DEVICE MODULE SOURCES NBEST_REF SCORE_REF TARGETS NOT_A_DECODER [N]
 *
 * Decodes the first N (default 20) lines of SOURCES (examples/reverse/heldout.src.txt) with
 * beam 4, n-best 4, length penalty 0.6 through heed_decoder_translate and compares every
 * hypothesis with NBEST_REF (decode_torch.py's SOURCE\tSCORE\tLOGPROB\tTOKENS lines): tokens
 * exact, numbers within 1e-3. Scores TARGETS against SCORE_REF the same way, checks greedy
 * attention rows, then feeds the API bad input (empty or negative ids, bad options, a module
 * without the contract, null pointers) and checks each gives a status and a message. Prints
 * "ok: ..." lines for FileCheck; any mismatch prints "FAIL: ..." and exits 1.
 *
 *===----------------------------------------------------------------------===*/

#include "heed/heed.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SENTENCES 256
#define MAX_TOKENS 64

typedef struct {
  size_t count;
  size_t length[MAX_SENTENCES];
  int64_t ids[MAX_SENTENCES][MAX_TOKENS];
  const int64_t *rows[MAX_SENTENCES];
} Sentences;

static int failures = 0;

static void fail(const char *what) {
  printf("FAIL: %s\n", what);
  ++failures;
}

static int readSentences(const char *path, size_t limit, Sentences *out) {
  FILE *f = fopen(path, "r");
  char line[1024];
  if (!f)
    return 0;
  out->count = 0;
  while (out->count < limit && fgets(line, sizeof line, f)) {
    size_t n = 0;
    char *p = line, *end;
    for (long long v = strtoll(p, &end, 10); end != p && n < MAX_TOKENS; v = strtoll(p, &end, 10)) {
      out->ids[out->count][n++] = v;
      p = end;
    }
    out->length[out->count] = n;
    out->rows[out->count] = out->ids[out->count];
    ++out->count;
  }
  fclose(f);
  return 1;
}

static int near(double a, double b) { return fabs(a - b) <= 1e-3; }

/* Beam search against decode_torch.py's n-best list. */
static void checkNBest(heed_decoder *decoder, const Sentences *src, const char *refPath) {
  heed_decode_options o;
  heed_hypotheses *hyps = NULL;
  FILE *ref = fopen(refPath, "r");
  char line[1024];
  size_t compared = 0, belowFirst = 0;
  heed_decode_options_init(&o);
  o.beam = 4;
  o.n_best = 4;
  o.length_penalty = 0.6;
  o.batch_size = 7; /* batches of mixed lengths, a partial last one */
  if (!ref) {
    fail("cannot read the n-best reference");
    return;
  }
  if (heed_decoder_translate(decoder, src->rows, src->length, src->count, &o, &hyps) != HEED_OK) {
    printf("FAIL: translate: %s\n", heed_last_error());
    ++failures;
    fclose(ref);
    return;
  }
  if (heed_hypotheses_source_count(hyps) != src->count)
    fail("one hypothesis list per source");
  for (size_t s = 0; s < src->count; ++s) {
    size_t n = heed_hypotheses_count(hyps, s);
    if (n != 4)
      fail("4 hypotheses per source");
    for (size_t r = 0; r < n; ++r) {
      heed_hypothesis h;
      unsigned long refSource;
      double refScore, refLogProb;
      int offset = 0;
      char *p;
      size_t k = 0;
      if (heed_hypotheses_get(hyps, s, r, &h) != HEED_OK || !fgets(line, sizeof line, ref) ||
          sscanf(line, "%lu\t%lf\t%lf\t%n", &refSource, &refScore, &refLogProb, &offset) < 3) {
        fail("a hypothesis and its reference line");
        continue;
      }
      {
        /* One log-prob per token, then </s>'s when it ended, summing to log_prob. */
        double sum = 0;
        for (size_t k = 0; k < h.token_log_probs_count; ++k)
          sum += h.token_log_probs[k];
        if (h.token_log_probs_count != h.length + (h.ended ? 1 : 0) || !near(sum, h.log_prob))
          printf("FAIL: source %zu rank %zu: %zu token log-probs summing to %f (log-prob %f)\n", s,
                 r, h.token_log_probs_count, sum, h.log_prob),
              ++failures;
      }
      if (refSource != s || !near(h.score, refScore) || !near(h.log_prob, refLogProb))
        printf("FAIL: source %zu rank %zu: score %f log-prob %f, expected %f %f\n", s, r, h.score,
               h.log_prob, refScore, refLogProb),
            ++failures;
      for (p = line + offset; *p && *p != '\n'; ++k) {
        char *end;
        long long v = strtoll(p, &end, 10);
        if (end == p)
          break;
        if (k >= h.length || h.tokens[k] != v)
          break;
        p = end;
      }
      while (*p == ' ')
        ++p;
      if (k != h.length || (*p && *p != '\n')) {
        printf("FAIL: source %zu rank %zu: tokens differ from '%s'\n", s, r, line + offset);
        ++failures;
      }
      ++compared;
      belowFirst += r > 0;
    }
  }
  heed_hypotheses_destroy(hyps);
  fclose(ref);
  printf("ok: %zu hypotheses equal the torch beam search (%zu below rank 1)\n", compared,
         belowFirst);
}

static void checkScores(heed_decoder *decoder, const Sentences *src, const Sentences *tgt,
                        const char *refPath) {
  heed_scores *scores = NULL;
  FILE *ref = fopen(refPath, "r");
  size_t matched = 0;
  if (!ref || heed_decoder_score(decoder, src->rows, src->length, tgt->rows, tgt->length,
                                 src->count, NULL, &scores) != HEED_OK) {
    printf("FAIL: score: %s\n", heed_last_error());
    ++failures;
    if (ref)
      fclose(ref);
    return;
  }
  for (size_t i = 0; i < heed_scores_count(scores); ++i) {
    const float *lp;
    size_t n, k;
    double ll, want = NAN;
    heed_scores_get(scores, i, &lp, &n, &ll);
    if (n != tgt->length[i] + 1 || fscanf(ref, "%lf", &want) != 1 || !near(ll, want)) {
      printf("FAIL: pair %zu: log-likelihood %f, expected %f\n", i, ll, want);
      ++failures;
      continue;
    }
    for (k = 0; k < n; ++k)
      if (fscanf(ref, "%lf", &want) != 1 || !near(lp[k], want))
        break;
    matched += k == n;
  }
  heed_scores_destroy(scores);
  fclose(ref);
  if (matched != src->count)
    fail("per-token log-probs equal torch's");
  printf("ok: %zu scores equal torch's\n", matched);
}

static void checkAttention(heed_decoder *decoder, const Sentences *src) {
  heed_decode_options o;
  heed_hypotheses *hyps = NULL;
  heed_hypothesis h;
  double worst = 0;
  heed_decode_options_init(&o);
  o.attention = 1;
  if (heed_decoder_translate(decoder, src->rows, src->length, 3, &o, &hyps) != HEED_OK) {
    printf("FAIL: attention: %s\n", heed_last_error());
    ++failures;
    return;
  }
  for (size_t s = 0; s < 3; ++s) {
    heed_hypotheses_get(hyps, s, 0, &h);
    if (!h.attention || h.attention_rows != h.length + (size_t)h.ended ||
        h.attention_cols != src->length[s]) {
      fail("one attention row per generated token, one column per source token");
      continue;
    }
    for (size_t r = 0; r < h.attention_rows; ++r) {
      double sum = 0;
      for (size_t c = 0; c < h.attention_cols; ++c)
        sum += h.attention[r * h.attention_cols + c];
      worst = fmax(worst, fabs(sum - 1));
    }
  }
  heed_hypotheses_destroy(hyps);
  if (worst > 1e-4)
    fail("attention rows sum to 1");
  printf("ok: attention rows sum to 1\n");
}

/* Bad input: a status other than HEED_OK and a message containing `expect`. */
static void expectError(const char *what, heed_status st, const char *expect) {
  if (st == HEED_OK || !strstr(heed_last_error(), expect)) {
    printf("FAIL: %s: status %s, message '%s'\n", what, heed_status_name(st), heed_last_error());
    ++failures;
    return;
  }
  printf("ok: %s: %s: %s\n", what, heed_status_name(st), heed_last_error());
}

static void checkErrors(heed_decoder *decoder, heed_module *notADecoder) {
  heed_hypotheses *hyps = NULL;
  heed_scores *scores = NULL;
  heed_decoder *bad = NULL;
  heed_decode_options o;
  int64_t good[] = {3, 4, 5}, negative[] = {3, -4}, outside[] = {3, 40};
  const int64_t *rows[2] = {good, NULL};
  size_t lengths[2] = {3, 0};

  expectError("empty source", heed_decoder_translate(decoder, rows, lengths, 2, NULL, &hyps),
              "source 2 is empty");
  rows[1] = negative;
  lengths[1] = 2;
  expectError("negative id", heed_decoder_translate(decoder, rows, lengths, 2, NULL, &hyps),
              "source 2 has token -4");
  rows[1] = outside;
  expectError("id outside the source vocabulary",
              heed_decoder_translate(decoder, rows, lengths, 2, NULL, &hyps), "40");
  heed_decode_options_init(&o);
  o.beam = 2;
  o.n_best = 3;
  expectError("n-best above the beam", heed_decoder_translate(decoder, rows, lengths, 1, &o, &hyps),
              "n_best between 1 and the beam size");
  heed_decode_options_init(&o);
  o.eos = 13;
  expectError("eos outside the vocabulary",
              heed_decoder_translate(decoder, rows, lengths, 1, &o, &hyps),
              "eos id 13 is outside the target vocabulary of 13");
  heed_decode_options_init(&o);
  o.batch_size = 0;
  expectError("batch size 0", heed_decoder_translate(decoder, rows, lengths, 1, &o, &hyps),
              "batch_size must be >= 1");
  expectError("null sources", heed_decoder_translate(decoder, NULL, lengths, 1, NULL, &hyps),
              "null source array");
  rows[1] = outside;
  expectError("target outside the vocabulary",
              heed_decoder_score(decoder, rows, lengths, rows + 1, lengths + 1, 1, NULL, &scores),
              "target 1 has token 40 outside the vocabulary of 13");
  expectError("module without encode", heed_decoder_create(notADecoder, &bad),
              "a decoding module needs an 'encode' function");
  expectError("null module", heed_decoder_create(NULL, &bad), "null argument");
  if (hyps || scores || bad)
    fail("no result on failure");
  /* Nothing was left half-done: the decoder still works. */
  if (heed_decoder_translate(decoder, rows, lengths, 1, NULL, &hyps) != HEED_OK ||
      heed_hypotheses_count(hyps, 0) != 1)
    fail("the decoder works after errors");
  heed_hypotheses_destroy(hyps);
  printf("ok: errors\n");
}

/* The decoding options: defaults, a forced prefix, sampling reproducible for a seed and
 * independent of the batching, and bad values. */
static void checkOptions(heed_decoder *decoder, const Sentences *src) {
  heed_decode_options o;
  heed_hypotheses *a = NULL, *b = NULL;
  int64_t prefix0[] = {5, 6};
  const int64_t *prefixes[2] = {prefix0, NULL};
  size_t prefixLengths[2] = {2, 0}, differ = 0;
  heed_hypothesis h;
  heed_decode_options_init(&o);
  if (o.sampling_topk != 1 || o.sampling_topp != 1.0 || o.sampling_temperature != 1.0 ||
      o.seed != 0 || o.min_length != 0 || o.repetition_penalty != 1.0 ||
      o.no_repeat_ngram_size != 0 || o.max_batch_tokens != 0 || o.target_prefix ||
      o.target_prefix_lengths)
    fail("heed_decode_options_init fills the decoding options' defaults");
  o.target_prefix = prefixes;
  o.target_prefix_lengths = prefixLengths;
  if (heed_decoder_translate(decoder, src->rows, src->length, 2, &o, &a) != HEED_OK ||
      heed_hypotheses_get(a, 0, 0, &h) != HEED_OK || h.length < 2 || h.tokens[0] != 5 ||
      h.tokens[1] != 6)
    fail("a target prefix is forced first");
  heed_hypotheses_destroy(a);
  a = NULL;
  heed_decode_options_init(&o);
  o.sampling_topk = 0;
  o.sampling_temperature = 3;
  o.seed = 11;
  o.batch_size = 3;
  if (heed_decoder_translate(decoder, src->rows, src->length, src->count, &o, &a) != HEED_OK)
    fail("sampling");
  o.batch_size = 32;
  o.max_batch_tokens = 25;
  if (heed_decoder_translate(decoder, src->rows, src->length, src->count, &o, &b) != HEED_OK)
    fail("sampling with max_batch_tokens");
  for (size_t s = 0; a && b && s < src->count; ++s) {
    heed_hypothesis x, y;
    heed_hypotheses_get(a, s, 0, &x);
    heed_hypotheses_get(b, s, 0, &y);
    if (x.length != y.length || memcmp(x.tokens, y.tokens, x.length * sizeof(int64_t)))
      ++differ;
  }
  if (differ)
    printf("FAIL: %zu sampled outputs depend on the batching\n", differ), ++failures;
  heed_hypotheses_destroy(a);
  heed_hypotheses_destroy(b);
  a = NULL;
  heed_decode_options_init(&o);
  o.sampling_topk = -1;
  expectError("negative top-k", heed_decoder_translate(decoder, src->rows, src->length, 1, &o, &a),
              "sampling_topk must be >= 0");
  heed_decode_options_init(&o);
  o.sampling_topp = NAN;
  expectError("NaN top-p", heed_decoder_translate(decoder, src->rows, src->length, 1, &o, &a),
              "sampling_topp must be in (0, 1]");
  heed_decode_options_init(&o);
  o.sampling_temperature = 0;
  expectError("temperature 0", heed_decoder_translate(decoder, src->rows, src->length, 1, &o, &a),
              "sampling_temperature must be a finite number > 0");
  heed_decode_options_init(&o);
  o.sampling_topk = 5;
  o.beam = 2;
  expectError("sampling with a beam",
              heed_decoder_translate(decoder, src->rows, src->length, 1, &o, &a), "needs beam 1");
  heed_decode_options_init(&o);
  o.min_length = 9;
  o.max_length = 5;
  expectError("min length above max length",
              heed_decoder_translate(decoder, src->rows, src->length, 1, &o, &a),
              "min_length 9 is above max_length 5");
  heed_decode_options_init(&o);
  o.repetition_penalty = -1;
  expectError("negative repetition penalty",
              heed_decoder_translate(decoder, src->rows, src->length, 1, &o, &a),
              "repetition_penalty must be a finite number > 0");
  heed_decode_options_init(&o);
  o.no_repeat_ngram_size = -2;
  expectError("negative n-gram size",
              heed_decoder_translate(decoder, src->rows, src->length, 1, &o, &a),
              "no_repeat_ngram_size must be >= 0");
  heed_decode_options_init(&o);
  o.max_batch_tokens = -1;
  expectError("negative max batch tokens",
              heed_decoder_translate(decoder, src->rows, src->length, 1, &o, &a),
              "max_batch_tokens must be >= 0");
  heed_decode_options_init(&o);
  prefix0[1] = 2;
  o.target_prefix = prefixes;
  o.target_prefix_lengths = prefixLengths;
  expectError("</s> in a target prefix",
              heed_decoder_translate(decoder, src->rows, src->length, 2, &o, &a),
              "target prefix of sentence 1 has token 2 at position 2 (</s> cannot be forced)");
  prefix0[1] = 13;
  expectError("target prefix outside the vocabulary",
              heed_decoder_translate(decoder, src->rows, src->length, 2, &o, &a),
              "outside the target vocabulary of 13");
  prefix0[1] = -1;
  expectError("negative target prefix id",
              heed_decoder_translate(decoder, src->rows, src->length, 2, &o, &a),
              "target prefix 1 has token -1");
  if (a)
    fail("no result on failure");
  printf("ok: decoding options\n");
}

int main(int argc, char **argv) {
  heed_runtime *rt = NULL;
  heed_module *module = NULL, *other = NULL;
  heed_decoder *decoder = NULL;
  static Sentences src, tgt;
  size_t n = argc > 8 ? (size_t)atoi(argv[8]) : 20;
  if (argc < 8) {
    fprintf(stderr, "usage: decode_c_api DEVICE MODULE SOURCES NBEST_REF SCORE_REF TARGETS "
                    "NOT_A_DECODER [N]\n");
    return 2;
  }
  if (heed_runtime_create(argv[1], &rt) != HEED_OK ||
      heed_module_load_file(rt, argv[2], &module) != HEED_OK ||
      heed_module_load_file(rt, argv[7], &other) != HEED_OK ||
      heed_decoder_create(module, &decoder) != HEED_OK) {
    printf("FAIL: setup: %s\n", heed_last_error());
    return 1;
  }
  if (!readSentences(argv[3], n, &src) || !readSentences(argv[6], n, &tgt) || src.count != n) {
    printf("FAIL: cannot read %zu sentences\n", n);
    return 1;
  }
  printf("vocabulary %lld\n%s", (long long)heed_decoder_vocab_size(decoder),
         heed_decoder_describe(decoder));
  checkNBest(decoder, &src, argv[4]);
  checkScores(decoder, &src, &tgt, argv[5]);
  checkAttention(decoder, &src);
  checkErrors(decoder, other);
  checkOptions(decoder, &src);
  heed_decoder_destroy(decoder);
  heed_module_destroy(other);
  heed_module_destroy(module);
  heed_runtime_destroy(rt);
  printf(failures ? "%d failures\n" : "all passed\n", failures);
  return failures ? 1 : 0;
}
