//===- Decode.cpp - heed-run translate / score ----------------------------===//
//
//   heed-run translate MODULE_OR_MODEL --src=ids.txt [--beam=4] [--n-best=N]
//            [--max-length=N] [--length-penalty=A] [--no-early-stop] [--bos=1] [--eos=2]
//            [--batch-size=32] [--max-batch-tokens=N] [--src-vocab=V --tgt-vocab=V]
//            [--sampling-topk=K --sampling-topp=P --sampling-temperature=T --seed=S]
//            [--target-prefix=FILE] [--min-length=N] [--repetition-penalty=R]
//            [--no-repeat-ngram-size=N] [--output-format=text|jsonl] [--attention]
//            [--attention-svg=FILE.svg | --attention-dir=DIR] [--device=cpu] [--verbose]
//            [--repeat=N] [--trace=FILE.json]
//   heed-run score MODULE_OR_MODEL --src=ids.txt --tgt=ids.txt [--bos --eos --batch-size]
//            [--max-batch-tokens=N] [--output-format=text|jsonl]
//            [--src-vocab=V --tgt-vocab=V] [--trace=FILE.json]
//
// --trace writes the last translate (or the scoring) as a Chrome trace: every encode and
// decode_step call on one time line, each op's event inside its call.
//
// Decoding goes through the C API's heed_decoder (heed.hpp's heed::Decoder), the same code
// path as any embedding application; only the SVG heatmap is heed-run's own.
//
// One sentence per line: space-separated token ids, or words of a vocab file (one
// token per line, the line number is its id); with --tgt-vocab outputs print as words.
//
//===----------------------------------------------------------------------===//

#include "Decode.h"
#include "DecodeJson.h"

#include "heed/heed.hpp"
#include "runtime/decode/Decoder.h"
#include "runtime/decode/StepRules.h"
#include "runtime/files/SafeFiles.h"

#include "llvm/Support/CommandLine.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <sstream>
#include <sys/stat.h>
#include <type_traits>
#include <unistd.h>

namespace heedrun {
namespace cl = llvm::cl;

cl::SubCommand translateCommand("translate",
                                "Decodes each source line: greedy or beam search, n-best lists, "
                                "attention heatmaps (docs/decoding.md)");
cl::SubCommand scoreCommand("score", "Prints the log-likelihood of each target line given its "
                                     "source, then each token's log-probability");

cl::OptionCategory decodeCategory("heed-run translate / score options");

namespace {

int fail(const std::string &message) {
  std::fflush(stdout);
  std::fprintf(stderr, "heed-run: %s\n", message.c_str());
  return 1;
}

struct Vocab {
  std::vector<std::string> words;
  std::map<std::string, int64_t> ids;
  bool empty() const { return words.empty(); }
  std::string word(int64_t id) const {
    return id >= 0 && size_t(id) < words.size() ? words[size_t(id)] : std::to_string(id);
  }
};

bool readVocab(const std::string &path, Vocab &v, std::string &error) {
  if (path.empty())
    return true;
  std::string text;
  if (!::heed::files::readRegularFile(path, text, error, "vocab file"))
    return false;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::string word = line.substr(0, line.find_first_of(" \t\r"));
    v.ids.emplace(word, int64_t(v.words.size()));
    v.words.push_back(word);
  }
  return true;
}

/// `given` (--unk), else the vocabulary's <unk>, else -1 (an unknown word is an error).
int64_t unkId(const Vocab &vocab, int64_t given) {
  if (given >= 0)
    return given;
  auto it = vocab.ids.find("<unk>");
  return it == vocab.ids.end() ? -1 : it->second;
}

/// One sentence per line of `path` ("-": standard input). With a vocabulary, a word it lacks is
/// `unk` when that is >= 0, else an error naming the line.
bool readSentences(const std::string &path, const Vocab &vocab, int64_t unk,
                   std::vector<std::vector<int64_t>> &out, std::string &error) {
  std::string text;
  if (path == "-") {
    std::ostringstream all;
    all << std::cin.rdbuf();
    text = all.str();
  } else if (!::heed::files::readRegularFile(path, text, error)) {
    return false;
  }
  std::istringstream in(text);
  std::string line;
  for (size_t lineNo = 1; std::getline(in, line); ++lineNo) {
    std::istringstream words(line);
    std::vector<int64_t> ids;
    std::string w;
    while (words >> w) {
      // A vocab word, else a token id.
      if (auto it = vocab.ids.find(w); it != vocab.ids.end()) {
        ids.push_back(it->second);
        continue;
      }
      char *end = nullptr;
      long long id = std::strtoll(w.c_str(), &end, 10);
      if ((w.empty() || *end || id < 0) && !vocab.empty() && unk >= 0) {
        ids.push_back(unk);
        continue;
      }
      if (w.empty() || *end || id < 0) {
        error = path + ":" + std::to_string(lineNo) + ": '" + w + "' is " +
                (vocab.empty() ? "not a token id (give --src-vocab/--tgt-vocab to read words)"
                               : "neither in the vocabulary nor a token id (the vocabulary has "
                                 "no <unk>; --unk=ID names one)");
        return false;
      }
      ids.push_back(id);
    }
    out.push_back(std::move(ids));
  }
  return true;
}

WordFn wordOf(const Vocab &vocab) {
  return [&vocab](int64_t id) { return vocab.word(id); };
}

std::string join(const std::vector<int64_t> &ids, const Vocab &vocab) {
  std::string s;
  for (size_t i = 0; i < ids.size(); ++i)
    s += (i ? " " : "") + vocab.word(ids[i]);
  return s;
}

// Options of both subcommands (cl::sub twice), then translate's own.
#define HEED_DECODE_SUBS cl::sub(translateCommand), cl::sub(scoreCommand), cl::cat(decodeCategory)
// (A positional of every subcommand cannot come from heed-run.cpp: llvm::cl copies only named
// options of SubCommand::getAll() into a subcommand registered later.)
cl::opt<std::string> modelPath(cl::Positional,
                               cl::desc("<module .heedm | model .heed/.onnx/.mlir>"), cl::Required,
                               HEED_DECODE_SUBS);
cl::opt<std::string> srcPath("src", cl::desc("Source sentences, one per line"),
                             cl::value_desc("FILE"), cl::Required, HEED_DECODE_SUBS);
cl::opt<std::string> tgtPath("tgt", cl::desc("Target sentences to score, one per line"),
                             cl::value_desc("FILE"), cl::sub(scoreCommand),
                             cl::cat(decodeCategory));
cl::opt<std::string> srcVocabPath("src-vocab",
                                  cl::desc("Source words, one per line (line number = id)"),
                                  cl::value_desc("FILE"), HEED_DECODE_SUBS);
cl::opt<std::string> tgtVocabPath("tgt-vocab",
                                  cl::desc("Target words, one per line (line number = id)"),
                                  cl::value_desc("FILE"), HEED_DECODE_SUBS);
cl::opt<int64_t> bos("bos", cl::desc("Start token id"), cl::init(1), HEED_DECODE_SUBS);
cl::opt<int64_t> eos("eos", cl::desc("End token id"), cl::init(2), HEED_DECODE_SUBS);
cl::opt<int64_t> pad("pad", cl::desc("Padding token id"), cl::init(0), HEED_DECODE_SUBS);
cl::opt<unsigned> batchSize("batch-size", cl::desc("Sources per encode call"), cl::init(32),
                            HEED_DECODE_SUBS);
cl::opt<int64_t> unk("unk",
                     cl::desc("Token id of words the vocabulary lacks (default: its <unk> line, "
                              "else such a word is an error)"),
                     cl::init(-1), HEED_DECODE_SUBS);
cl::opt<bool> verbose("verbose", cl::desc("Describe how decode_step's inputs are fed (stderr)"),
                      HEED_DECODE_SUBS);
#undef HEED_DECODE_SUBS
#define HEED_TRANSLATE cl::sub(translateCommand), cl::cat(decodeCategory)
cl::opt<unsigned> beam("beam", cl::desc("Beam size (1: greedy)"), cl::init(1), HEED_TRANSLATE);
cl::opt<unsigned> nBest("n-best", cl::desc("Hypotheses printed per source (<= beam)"), cl::init(1),
                        HEED_TRANSLATE);
cl::opt<unsigned> maxLength("max-length",
                            cl::desc("Generated tokens counting </s> (0: 2 x source + 10)"),
                            cl::init(0), HEED_TRANSLATE);
cl::opt<double> lengthPenalty("length-penalty",
                              cl::desc("GNMT alpha: score = logp / ((5 + len) / 6)^alpha"),
                              cl::init(0.0), HEED_TRANSLATE);
cl::opt<bool> noEarlyStop("no-early-stop",
                          cl::desc("Keep searching after `beam` hypotheses have ended"),
                          HEED_TRANSLATE);
cl::opt<std::string> attentionSvg("attention-svg",
                                  cl::desc("Attention heatmap of the first sentence"),
                                  cl::value_desc("FILE.svg"), HEED_TRANSLATE);
cl::opt<std::string> attentionDir("attention-dir",
                                  cl::desc("One attention heatmap per sentence (DIR/N.svg)"),
                                  cl::value_desc("DIR"), HEED_TRANSLATE);
cl::opt<unsigned> repeat("repeat", cl::desc("Translate N more times, timing each (stderr)"),
                         cl::init(0), HEED_TRANSLATE);

// Decoding rules (docs/decoding.md, "Decoding options"; CTranslate2's names and meanings).
cl::opt<int> samplingTopK("sampling-topk",
                          cl::desc("Sample from the K most likely tokens (1: greedy, 0: all)"),
                          cl::init(1), HEED_TRANSLATE);
cl::opt<double> samplingTopP("sampling-topp",
                             cl::desc("Sample from the smallest top set of this mass (0, 1]"),
                             cl::init(1.0), HEED_TRANSLATE);
cl::opt<double> samplingTemperature("sampling-temperature",
                                    cl::desc("Divide log-probs by T before sampling"),
                                    cl::init(1.0), HEED_TRANSLATE);
cl::opt<unsigned long long> seed("seed",
                                 cl::desc("Sampling seed: sentence i uses mt19937_64(seed + i)"),
                                 cl::init(0), HEED_TRANSLATE);
cl::opt<std::string> targetPrefixPath("target-prefix",
                                      cl::desc("Tokens forced first, one line per source"),
                                      cl::value_desc("FILE"), HEED_TRANSLATE);
cl::opt<int> minLength("min-length",
                       cl::desc("</s> forbidden before N tokens (target prefix included)"),
                       cl::init(0), HEED_TRANSLATE);
cl::opt<double> repetitionPenalty("repetition-penalty",
                                  cl::desc("Log-prob x R for tokens already generated (1: none)"),
                                  cl::init(1.0), HEED_TRANSLATE);
cl::opt<int> noRepeatNgramSize("no-repeat-ngram-size",
                               cl::desc("Forbid any n-gram of this size twice (0: none)"),
                               cl::init(0), HEED_TRANSLATE);
cl::opt<bool> attentionFlag("attention", cl::desc("Collect attention (printed by jsonl)"),
                            HEED_TRANSLATE);
#undef HEED_TRANSLATE
cl::opt<int> maxBatchTokens("max-batch-tokens",
                            cl::desc("Batch sources sorted by length, padded tokens <= N "
                                     "(0: --batch-size sources in input order)"),
                            cl::init(0), cl::sub(translateCommand), cl::sub(scoreCommand),
                            cl::cat(decodeCategory));
cl::opt<std::string> outputFormat("output-format",
                                  cl::desc("text (default) or jsonl: one JSON object per line"),
                                  cl::init("text"), cl::sub(translateCommand),
                                  cl::sub(scoreCommand), cl::cat(decodeCategory));

/// The options' values, checked: numbers that the option's type admits but decoding does not.
bool readOptions(heed::DecodeOptions &o, std::string &error) {
  constexpr unsigned kMaxBeam = 1024, kMaxLength = 1u << 20, kMaxBatch = 1u << 16;
  if (beam < 1 || beam > kMaxBeam) {
    error = "--beam=" + std::to_string(beam) + " is out of range: 1 to " + std::to_string(kMaxBeam);
    return false;
  }
  if (nBest < 1 || nBest > beam) {
    error = "--n-best=" + std::to_string(nBest) + " must be between 1 and the beam size (" +
            std::to_string(beam) + ")";
    return false;
  }
  if (maxLength > kMaxLength) {
    error = "--max-length=" + std::to_string(maxLength) + " is out of range: 0 to " +
            std::to_string(kMaxLength);
    return false;
  }
  if (batchSize < 1 || batchSize > kMaxBatch) {
    error = "--batch-size=" + std::to_string(batchSize) + " is out of range: 1 to " +
            std::to_string(kMaxBatch);
    return false;
  }
  if (!std::isfinite(lengthPenalty)) {
    error = "--length-penalty must be a finite number";
    return false;
  }
  if (!attentionSvg.empty() && !attentionDir.empty()) {
    error = "give --attention-svg or --attention-dir, not both";
    return false;
  }
  o.beam = int32_t(beam);
  o.n_best = int32_t(nBest);
  o.max_length = int32_t(maxLength);
  o.length_penalty = lengthPenalty;
  o.batch_size = int32_t(batchSize);
  o.bos = bos;
  o.eos = eos;
  o.pad = pad;
  o.early_stop = noEarlyStop ? 0 : 1;
  o.attention = !attentionSvg.empty() || !attentionDir.empty();
  return true;
}

/// The decoding rules' options, checked by the decoder's own rules (runtime/decode/StepRules)
/// with the option names as spelled on the command line.
bool readRuleOptions(heed::DecodeOptions &o, std::string &error) {
  o.sampling_topk = samplingTopK;
  o.sampling_topp = samplingTopP;
  o.sampling_temperature = samplingTemperature;
  o.seed = seed;
  o.min_length = minLength;
  o.repetition_penalty = repetitionPenalty;
  o.no_repeat_ngram_size = noRepeatNgramSize;
  o.max_batch_tokens = maxBatchTokens;
  o.attention |= attentionFlag ? 1 : 0;
  if (outputFormat != "text" && outputFormat != "jsonl") {
    error = "--output-format=" + outputFormat + " is unknown: text or jsonl";
    return false;
  }
  heed::decode::Options d;
  d.beam = o.beam;
  d.maxLength = o.max_length;
  d.samplingTopK = o.sampling_topk;
  d.samplingTopP = o.sampling_topp;
  d.samplingTemperature = o.sampling_temperature;
  d.minLength = o.min_length;
  d.repetitionPenalty = o.repetition_penalty;
  d.noRepeatNgramSize = o.no_repeat_ngram_size;
  d.maxBatchTokens = o.max_batch_tokens;
  error = heed::decode::checkRules(d);
  // The decoder's names (the C API's fields) as this command spells them.
  for (auto [from, to] : {std::pair<const char *, const char *>{"sampling_topk", "--sampling-topk"},
                          {"sampling_topp", "--sampling-topp"},
                          {"sampling_temperature", "--sampling-temperature"},
                          {"min_length", "--min-length"},
                          {"max_length", "--max-length"},
                          {"repetition_penalty", "--repetition-penalty"},
                          {"no_repeat_ngram_size", "--no-repeat-ngram-size"},
                          {"max_batch_tokens", "--max-batch-tokens"},
                          {"batch_size", "--batch-size"}})
    for (size_t at = error.find(from); at != std::string::npos; at = error.find(from, at))
      error.replace(at, std::strlen(from), to), at += std::strlen(to);
  return error.empty();
}

/// --target-prefix: one line per source line (the same count), read like the targets.
bool readTargetPrefix(size_t sourceLines, const Vocab &tgtVocab,
                      std::vector<std::vector<int64_t>> &prefixes, std::string &error) {
  if (targetPrefixPath.empty())
    return true;
  if (!readSentences(targetPrefixPath, tgtVocab, unkId(tgtVocab, unk), prefixes, error))
    return false;
  if (prefixes.size() != sourceLines) {
    error = targetPrefixPath + ": " + std::to_string(prefixes.size()) + " lines for " +
            std::to_string(sourceLines) + " source lines (one prefix line per source)";
    return false;
  }
  return true;
}

/// A progress line on stderr for long inputs (when it is a terminal or the input is long).
std::function<void(size_t, size_t)> progressLine(size_t total) {
  if (total < 200 && !isatty(2))
    return {};
  auto start = std::chrono::steady_clock::now();
  bool terminal = isatty(2);
  return [start, terminal](size_t done, size_t total) {
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::fprintf(stderr, "%s%zu/%zu sentences, %.1f s, %.0f sentences/s%s", terminal ? "\r" : "",
                 done, total, s, s > 0 ? double(done) / s : 0.0,
                 !terminal || done == total ? "\n" : "");
    std::fflush(stderr);
  };
}

bool writeFile(const std::string &path, const std::string &text, std::string &error) {
  return ::heed::files::writeFileReplacing(path, text, error);
}

} // namespace

int runDecodeCommand(const DecodeInvocation &a, CompileFn compile) {
  bool scoring = bool(scoreCommand);
  std::string error;
  heed::DecodeOptions options;
  if (!readOptions(options, error) || !readRuleOptions(options, error))
    return fail(error);
  if (scoring && tgtPath.empty())
    return fail("score needs --tgt=FILE: the target sentences to score");
  Vocab srcVocab, tgtVocab;
  if (!readVocab(srcVocabPath, srcVocab, error) || !readVocab(tgtVocabPath, tgtVocab, error))
    return fail(error);
  std::vector<std::vector<int64_t>> sources, targets;
  if (srcPath == "-" && tgtPath == "-")
    return fail("--src and --tgt cannot both be standard input");
  if (!readSentences(srcPath, srcVocab, unkId(srcVocab, unk), sources, error) ||
      (scoring && !readSentences(tgtPath, tgtVocab, unkId(tgtVocab, unk), targets, error)))
    return fail(error);
  std::vector<std::vector<int64_t>> allPrefixes, prefixes;
  if (!scoring && !readTargetPrefix(sources.size(), tgtVocab, allPrefixes, error))
    return fail(error);

  heed::Runtime rt;
  if (heed::Status st = heed::Runtime::create(a.device, rt); !st)
    return fail(st.message);
  heed::Module module;
  std::string ext = modelPath.getValue().substr(modelPath.getValue().find_last_of('.') + 1);
  heed::Status st;
  if (ext == "heed" || ext == "onnx" || ext == "mlir") {
    std::string bytes;
    if (!compile(modelPath.getValue(), bytes))
      return 1;
    st = rt.load(bytes.data(), bytes.size(), modelPath.getValue(), module);
  } else {
    st = rt.load(modelPath.getValue(), module);
  }
  if (!st)
    return fail(st.message);
  heed::Decoder decoder;
  if (st = heed::Decoder::create(module, decoder); !st)
    return fail(modelPath.getValue() + ": " + st.message);
  if (verbose)
    std::fprintf(stderr, "%s", decoder.describe().c_str());

  // An empty source line gives an empty output line (translate); scoring needs a source.
  std::vector<size_t> kept; // input line of each decoded source
  std::vector<std::vector<int64_t>> all = std::move(sources);
  for (size_t i = 0; i < all.size(); ++i) {
    if (!all[i].empty()) {
      kept.push_back(i);
      sources.push_back(all[i]);
      if (!allPrefixes.empty())
        prefixes.push_back(allPrefixes[i]);
    } else if (scoring) {
      return fail(srcPath + ":" + std::to_string(i + 1) +
                  ": empty source sentence (score needs "
                  "a source to condition on)");
    }
  }
  std::vector<const int64_t *> prefixIds;
  std::vector<size_t> prefixLengths;
  for (const auto &p : prefixes) {
    prefixIds.push_back(p.data());
    prefixLengths.push_back(p.size());
  }
  if (!prefixes.empty()) {
    options.target_prefix = prefixIds.data();
    options.target_prefix_lengths = prefixLengths.data();
  }
  std::function<void(size_t, size_t)> progress = progressLine(sources.size());
  if (progress) {
    options.progress = [](size_t done, size_t total, void *user) {
      (*static_cast<std::function<void(size_t, size_t)> *>(user))(done, total);
    };
    options.progress_user = &progress;
  }

  // --trace: the last run only (after --repeat's warm-up and timed runs).
  auto traceFrom = [&](bool last) {
    return a.trace.empty() || !last ? heed::Status() : rt.setTracing(true);
  };
  auto writeTrace = [&] { return a.trace.empty() ? heed::Status() : rt.writeTrace(a.trace); };

  if (scoring) {
    std::vector<heed::Scored> scored;
    if (st = traceFrom(true); !st)
      return fail(st.message);
    if (st = decoder.score(sources, targets, options, scored); !st)
      return fail(st.message);
    if (st = writeTrace(); !st)
      return fail(st.message);
    bool jsonl = outputFormat == "jsonl";
    for (size_t i = 0; i < scored.size(); ++i) {
      const heed::Scored &s = scored[i];
      if (jsonl) {
        std::printf("%s\n", scoreJsonl(targets[i], s, wordOf(tgtVocab),
                                       tgtVocab.empty() ? "</s>" : tgtVocab.word(options.eos))
                                .c_str());
        continue;
      }
      std::printf("%.6f", s.logLikelihood);
      for (float v : s.tokenLogProbs)
        std::printf(" %.6f", double(v));
      std::printf("\n");
    }
    return 0;
  }

  std::vector<std::vector<heed::Hypothesis>> hyps;
  if (st = traceFrom(repeat == 0); !st)
    return fail(st.message);
  if (st = decoder.translate(sources, options, hyps); !st)
    return fail(st.message);
  // --repeat=N: the first call above warmed up (oneDNN primitives, buffer pools); time N more.
  for (unsigned r = 0; r < repeat; ++r) {
    if (st = traceFrom(r + 1 == repeat); !st)
      return fail(st.message);
    auto start = std::chrono::steady_clock::now();
    if (st = decoder.translate(sources, options, hyps); !st)
      return fail(st.message);
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    size_t tokens = 0;
    for (const auto &list : hyps)
      for (const auto &h : list)
        tokens += h.tokens.size() + (h.ended ? 1 : 0);
    std::fprintf(stderr, "repeat %u: %zu sentences, %zu output tokens, %.3f ms, %.0f tokens/s\n",
                 r + 1, sources.size(), tokens, s * 1e3, s > 0 ? double(tokens) / s : 0.0);
  }
  if (st = writeTrace(); !st)
    return fail(st.message);
  if (!attentionDir.empty())
    ::mkdir(attentionDir.c_str(), 0777);
  bool jsonl = outputFormat == "jsonl";
  for (size_t line = 0, next = 0; line < all.size(); ++line) {
    bool empty = next == kept.size() || kept[next] != line;
    if (jsonl) {
      std::vector<heed::Hypothesis> none(1);
      std::printf("%s\n", translationJsonl(empty ? none : hyps[next], wordOf(tgtVocab),
                                           options.n_best > 1, options.attention != 0)
                              .c_str());
    }
    if (empty) {
      // An empty source: one empty hypothesis.
      if (jsonl)
        continue;
      if (options.n_best > 1)
        std::printf("%zu\t%.6f\t%.6f\t", line, 0.0, 0.0);
      std::printf("\n");
      continue;
    }
    size_t i = next++;
    for (const auto &h : hyps[i]) {
      if (jsonl)
        break;
      if (options.n_best > 1)
        std::printf("%zu\t%.6f\t%.6f\t", line, h.score, h.logProb);
      std::printf("%s\n", join(h.tokens, tgtVocab).c_str());
    }
    // Heatmaps only on request (--attention alone collects attention for jsonl).
    bool heatmap = !attentionSvg.empty() || !attentionDir.empty();
    if (!heatmap || hyps[i].empty() || (!attentionSvg.empty() && i > 0))
      continue;
    const auto &best = hyps[i].front();
    std::vector<std::string> srcLabels, tgtLabels;
    for (int64_t id : sources[i])
      srcLabels.push_back(srcVocab.word(id));
    for (int64_t id : best.tokens)
      tgtLabels.push_back(tgtVocab.word(id));
    if (best.ended)
      tgtLabels.push_back(tgtVocab.empty() ? std::to_string(options.eos)
                                           : tgtVocab.word(options.eos));
    std::string path = !attentionSvg.empty() ? attentionSvg.getValue()
                                             : attentionDir + "/" + std::to_string(line) + ".svg";
    std::string title = "sentence " + std::to_string(line) + ": " + join(sources[i], srcVocab);
    std::vector<std::vector<float>> rows;
    for (size_t r = 0; r < best.attentionRows; ++r)
      rows.emplace_back(best.attention.begin() + long(r * best.attentionCols),
                        best.attention.begin() + long((r + 1) * best.attentionCols));
    if (!writeFile(path, heed::decode::attentionSvg(rows, srcLabels, tgtLabels, title), error))
      return fail(error);
  }
  return 0;
}

} // namespace heedrun
