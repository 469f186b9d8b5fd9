//===- Decode.cpp - heed-run translate / score ----------------------------===//
//
//   heed-run translate MODULE_OR_MODEL --src=ids.txt [--beam=4] [--n-best=N]
//            [--max-length=N] [--length-penalty=A] [--no-early-stop] [--bos=1] [--eos=2]
//            [--batch-size=32] [--max-batch-tokens=N] [--src-vocab=V --tgt-vocab=V]
//            [--src-spm=M --tgt-spm=M] [--output=FILE]
//            [--sampling-topk=K --sampling-topp=P --sampling-temperature=T --seed=S]
//            [--target-prefix=FILE] [--min-length=N] [--repetition-penalty=R]
//            [--no-repeat-ngram-size=N] [--output-format=text|jsonl] [--attention]
//            [--attention-svg=FILE.svg | --attention-dir=DIR] [--device=cpu] [--verbose]
//            [--repeat=N] [--trace=FILE.json]
//   heed-run score MODULE_OR_MODEL --src=ids.txt --tgt=ids.txt [--bos --eos --batch-size]
//            [--max-batch-tokens=N] [--output-format=text|jsonl]
//            [--src-vocab=V --tgt-vocab=V] [--src-spm=M --tgt-spm=M] [--output=FILE]
//            [--trace=FILE.json]
//
// --trace writes the last translate (or the scoring) as a Chrome trace: every encode and
// decode_step call on one time line, each op's event inside its call.
//
// Decoding goes through the C API's heed_decoder (heed.hpp's heed::Decoder), the same code
// path as any embedding application; only the SVG heatmap is heed-run's own.
//
// One sentence per line: space-separated token ids, or words of a vocab file (one
// token per line, the line number is its id); with --tgt-vocab outputs print as words. With
// --src-spm/--tgt-spm lines are text, tokenized and detokenized by SentencePiece (DecodeText.h).
// translate writes each batch's lines as soon as it is decoded, in input order.
//
//===----------------------------------------------------------------------===//

#include "Decode.h"
#include "DecodeJson.h"
#include "DecodeText.h"

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

/// Every line of `path` ("-": standard input) as token ids.
bool readSentences(const std::string &path, const TextSide &side,
                   std::vector<std::vector<int64_t>> &out, std::string &error) {
  LineReader reader;
  if (!reader.open(path, error))
    return false;
  std::string line;
  for (size_t lineNo = 1; reader.next(line); ++lineNo) {
    out.emplace_back();
    if (!side.encode(line, path, lineNo, out.back(), error))
      return false;
  }
  return true;
}

/// A target token as jsonl prints it: its SentencePiece piece or word, else the id.
WordFn wordOf(const TextSide &side) {
  return [&side](int64_t id) { return side.label(id); };
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
cl::opt<std::string> srcSpmPath("src-spm",
                                cl::desc("SentencePiece model tokenizing the source text"),
                                cl::value_desc("FILE.model"), HEED_DECODE_SUBS);
cl::opt<std::string> tgtSpmPath("tgt-spm",
                                cl::desc("SentencePiece model of the target text (outputs are "
                                         "detokenized)"),
                                cl::value_desc("FILE.model"), HEED_DECODE_SUBS);
cl::opt<std::string> outputPath("output",
                                cl::desc("Write the results to FILE (default: standard output)"),
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

/// --target-prefix: one line of forced first tokens per source line, read like the targets
/// (checked against the number of source lines as they are decoded).
bool readTargetPrefix(const TextSide &tgt, std::vector<std::vector<int64_t>> &prefixes,
                      std::string &error) {
  return targetPrefixPath.empty() || readSentences(targetPrefixPath, tgt, prefixes, error);
}

/// A progress line on stderr for long inputs (when it is a terminal or the input is long); a
/// total of 0 is unknown (standard input).
std::function<void(size_t, size_t)> progressLine(size_t total) {
  if (total < 200 && !isatty(2))
    return {};
  auto start = std::chrono::steady_clock::now();
  bool terminal = isatty(2);
  return [start, terminal](size_t done, size_t total) {
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::string of = total ? "/" + std::to_string(total) : "";
    std::fprintf(stderr, "%s%zu%s sentences, %.1f s, %.0f sentences/s%s", terminal ? "\r" : "",
                 done, of.c_str(), s, s > 0 ? double(done) / s : 0.0,
                 !terminal || done == total ? "\n" : "");
    std::fflush(stderr);
  };
}

bool writeFile(const std::string &path, const std::string &text, std::string &error) {
  return ::heed::files::writeFileReplacing(path, text, error);
}

/// Without a vocabulary file a SentencePiece model's ids are the model's: the special ids the
/// decoder uses must be the SentencePiece model's own (the target's <s>, </s> and <pad>, the
/// source's <pad>).
bool checkSpecialIds(const TextSide &src, const TextSide &tgt, std::string &error) {
  if (src.spm && !src.spm->checkSpecialId("pad", pad, "<pad>", error))
    return false;
  return !tgt.spm || (tgt.spm->checkSpecialId("bos", bos, "<s>", error) &&
                      tgt.spm->checkSpecialId("eos", eos, "</s>", error) &&
                      tgt.spm->checkSpecialId("pad", pad, "<pad>", error));
}

/// Source lines read for one translate call: up to --batch-size sentences (all of them with
/// --repeat), with the empty lines among them.
struct Chunk {
  size_t firstLine = 0, lines = 0;
  std::vector<size_t> kept; // line (from 0, in the whole input) of each source
  std::vector<std::vector<int64_t>> sources;
};

bool readChunk(LineReader &reader, const TextSide &src, size_t limit, size_t firstLine,
               Chunk &chunk, std::string &error) {
  chunk = Chunk();
  chunk.firstLine = firstLine;
  std::string line;
  while ((limit == 0 || chunk.sources.size() < limit) && reader.next(line)) {
    size_t lineNo = firstLine + chunk.lines++;
    std::vector<int64_t> ids;
    if (!src.encode(line, srcPath, lineNo + 1, ids, error))
      return false;
    // An empty source line gives an empty output line.
    if (!ids.empty()) {
      chunk.kept.push_back(lineNo);
      chunk.sources.push_back(std::move(ids));
    }
  }
  return true;
}

/// The output lines of a chunk: each source's n-best list, an empty hypothesis for an empty line.
std::string formatChunk(const Chunk &chunk, const std::vector<std::vector<heed::Hypothesis>> &hyps,
                        const heed::DecodeOptions &options, const TextSide &tgt) {
  std::string out;
  char prefix[96];
  bool jsonl = outputFormat == "jsonl";
  for (size_t line = chunk.firstLine, next = 0; line < chunk.firstLine + chunk.lines; ++line) {
    bool empty = next == chunk.kept.size() || chunk.kept[next] != line;
    if (jsonl) {
      // An empty source line: one empty hypothesis.
      out += translationJsonl(empty ? std::vector<heed::Hypothesis>(1) : hyps[next++], wordOf(tgt),
                              options.n_best > 1, options.attention != 0) +
             "\n";
      continue;
    }
    if (empty) {
      if (options.n_best > 1) {
        std::snprintf(prefix, sizeof prefix, "%zu\t%.6f\t%.6f\t", line, 0.0, 0.0);
        out += prefix;
      }
      out += "\n";
      continue;
    }
    for (const auto &h : hyps[next]) {
      if (options.n_best > 1) {
        std::snprintf(prefix, sizeof prefix, "%zu\t%.6f\t%.6f\t", line, h.score, h.logProb);
        out += prefix;
      }
      out += tgt.text(h.tokens) + "\n";
    }
    ++next;
  }
  return out;
}

/// --attention-svg (the first source) / --attention-dir (one file per source line).
bool writeAttention(const Chunk &chunk, const std::vector<std::vector<heed::Hypothesis>> &hyps,
                    const heed::DecodeOptions &options, const TextSide &src, const TextSide &tgt,
                    bool first, std::string &error) {
  for (size_t i = 0; i < chunk.sources.size(); ++i) {
    if (hyps[i].empty() || (!attentionSvg.empty() && (i > 0 || !first)))
      continue;
    const auto &best = hyps[i].front();
    std::vector<std::string> srcLabels, tgtLabels;
    for (int64_t id : chunk.sources[i])
      srcLabels.push_back(src.label(id));
    for (int64_t id : best.tokens)
      tgtLabels.push_back(tgt.label(id));
    if (best.ended)
      tgtLabels.push_back(tgt.label(options.eos));
    size_t line = chunk.kept[i];
    std::string path = !attentionSvg.empty() ? attentionSvg.getValue()
                                             : attentionDir + "/" + std::to_string(line) + ".svg";
    std::string title = "sentence " + std::to_string(line) + ": " + src.text(chunk.sources[i]);
    std::vector<std::vector<float>> rows;
    for (size_t r = 0; r < best.attentionRows; ++r)
      rows.emplace_back(best.attention.begin() + long(r * best.attentionCols),
                        best.attention.begin() + long((r + 1) * best.attentionCols));
    if (!writeFile(path, heed::decode::attentionSvg(rows, srcLabels, tgtLabels, title), error))
      return false;
  }
  return true;
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
  TextSide src, tgt;
  if (!src.load(srcVocabPath, srcSpmPath, unk, error) ||
      !tgt.load(tgtVocabPath, tgtSpmPath, unk, error) || !checkSpecialIds(src, tgt, error))
    return fail(error);
  std::vector<std::vector<int64_t>> sources, targets;
  if (srcPath == "-" && tgtPath == "-")
    return fail("--src and --tgt cannot both be standard input");
  // score reads every line first; translate reads the sources batch by batch below, so that a
  // batch is decoded (and its lines written) while later lines are still coming.
  LineReader reader;
  if (scoring ? !readSentences(srcPath, src, sources, error) ||
                    !readSentences(tgtPath, tgt, targets, error)
              : !reader.open(srcPath, error))
    return fail(error);
  OutputSink out;
  if (!out.open(outputPath, error))
    return fail(error);
  std::vector<std::vector<int64_t>> allPrefixes;
  if (!scoring && !readTargetPrefix(tgt, allPrefixes, error))
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

  // --trace: the last run only (after --repeat's warm-up and timed runs).
  auto traceFrom = [&](bool last) {
    return a.trace.empty() || !last ? heed::Status() : rt.setTracing(true);
  };
  auto writeTrace = [&] { return a.trace.empty() ? heed::Status() : rt.writeTrace(a.trace); };

  if (scoring) {
    // Scoring needs a source to condition on.
    for (size_t i = 0; i < sources.size(); ++i)
      if (sources[i].empty())
        return fail(srcPath + ":" + std::to_string(i + 1) +
                    ": empty source sentence (score needs a source to condition on)");
    std::function<void(size_t, size_t)> progress = progressLine(sources.size());
    if (progress) {
      options.progress = [](size_t done, size_t total, void *user) {
        (*static_cast<std::function<void(size_t, size_t)> *>(user))(done, total);
      };
      options.progress_user = &progress;
    }
    std::vector<heed::Scored> scored;
    if (st = traceFrom(true); !st)
      return fail(st.message);
    if (st = decoder.score(sources, targets, options, scored); !st)
      return fail(st.message);
    if (st = writeTrace(); !st)
      return fail(st.message);
    bool jsonl = outputFormat == "jsonl";
    std::string text;
    char number[32];
    for (size_t i = 0; i < scored.size(); ++i) {
      const heed::Scored &s = scored[i];
      if (jsonl) {
        text += scoreJsonl(targets[i], s, wordOf(tgt),
                           tgt.vocab.empty() && !tgt.spm ? "</s>" : tgt.label(options.eos)) +
                "\n";
        continue;
      }
      std::snprintf(number, sizeof number, "%.6f", s.logLikelihood);
      text += number;
      for (float v : s.tokenLogProbs) {
        std::snprintf(number, sizeof number, " %.6f", double(v));
        text += number;
      }
      text += "\n";
    }
    if (!out.write(text, error) || !out.close(error))
      return fail(error);
    return 0;
  }

  if (!attentionDir.empty())
    ::mkdir(attentionDir.c_str(), 0777);
  std::function<void(size_t, size_t)> progress = progressLine(reader.knownCount());
  if (st = traceFrom(repeat == 0); !st)
    return fail(st.message);
  Chunk chunk;
  std::vector<std::vector<heed::Hypothesis>> hyps;
  // Batch by batch (--repeat: all at once, timed): the decoder batches the same sources as it
  // would given them all, so the results do not depend on how the input arrives.
  // --max-batch-tokens sorts the whole input by length into batches, and --target-prefix pairs
  // its lines with the whole input's: one chunk of everything.
  bool whole = repeat || options.max_batch_tokens > 0 || !allPrefixes.empty();
  // Source i of the input samples with seed + i, whichever chunk it comes in.
  const uint64_t firstSeed = options.seed;
  size_t line = 0;
  for (size_t decoded = 0;; line += chunk.lines) {
    options.seed = firstSeed + decoded;
    if (!readChunk(reader, src, whole ? 0 : batchSize, line, chunk, error))
      return fail(error);
    if (chunk.lines == 0)
      break;
    // --target-prefix: the prefix lines of this chunk's sources.
    std::vector<const int64_t *> prefixIds;
    std::vector<size_t> prefixLengths;
    if (!allPrefixes.empty()) {
      if (chunk.lines != allPrefixes.size())
        return fail(targetPrefixPath + ": " + std::to_string(allPrefixes.size()) + " lines for " +
                    std::to_string(chunk.lines) + " source lines (one prefix line per source)");
      for (size_t lineNo : chunk.kept) {
        prefixIds.push_back(allPrefixes[lineNo].data());
        prefixLengths.push_back(allPrefixes[lineNo].size());
      }
      options.target_prefix = prefixIds.data();
      options.target_prefix_lengths = prefixLengths.data();
    }
    hyps.clear();
    if (!chunk.sources.empty() && (st = decoder.translate(chunk.sources, options, hyps), !st))
      return fail(st.message);
    // --repeat=N: the call above warmed up (oneDNN primitives, buffer pools); time N more.
    for (unsigned r = 0; r < repeat; ++r) {
      if (st = traceFrom(r + 1 == repeat); !st)
        return fail(st.message);
      auto start = std::chrono::steady_clock::now();
      if (st = decoder.translate(chunk.sources, options, hyps); !st)
        return fail(st.message);
      double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      size_t tokens = 0;
      for (const auto &list : hyps)
        for (const auto &h : list)
          tokens += h.tokens.size() + (h.ended ? 1 : 0);
      std::fprintf(stderr, "repeat %u: %zu sentences, %zu output tokens, %.3f ms, %.0f tokens/s\n",
                   r + 1, chunk.sources.size(), tokens, s * 1e3, s > 0 ? double(tokens) / s : 0.0);
    }
    if (!out.write(formatChunk(chunk, hyps, options, tgt), error))
      return fail(error);
    // Heatmaps only on request (--attention alone collects attention for jsonl).
    bool heatmap = !attentionSvg.empty() || !attentionDir.empty();
    if (heatmap && !writeAttention(chunk, hyps, options, src, tgt, decoded == 0, error))
      return fail(error);
    decoded += chunk.sources.size();
    if (progress)
      progress(line + chunk.lines, reader.knownCount());
  }
  if (st = writeTrace(); !st)
    return fail(st.message);
  if (!out.close(error))
    return fail(error);
  return 0;
}

} // namespace heedrun
