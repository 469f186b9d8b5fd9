//===- Decode.cpp - heed-run translate / score ----------------------------===//
//
//   heed-run translate MODULE_OR_MODEL --src=ids.txt [--beam=4] [--n-best=N]
//            [--max-length=N] [--length-penalty=A] [--no-early-stop] [--bos=1] [--eos=2]
//            [--batch-size=32] [--src-vocab=V --tgt-vocab=V]
//            [--attention-svg=FILE.svg | --attention-dir=DIR] [--device=cpu] [--verbose]
//            [--repeat=N] [--trace=FILE.json]
//   heed-run score MODULE_OR_MODEL --src=ids.txt --tgt=ids.txt [--bos --eos --batch-size]
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

#include "heed/heed.hpp"
#include "runtime/decode/Decoder.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <sys/stat.h>
#include <type_traits>
#include <unistd.h>

namespace heedrun {
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
  std::ifstream in(path);
  if (!in) {
    error = "cannot read vocab file '" + path + "'";
    return false;
  }
  std::string line;
  while (std::getline(in, line)) {
    std::string word = line.substr(0, line.find_first_of(" \t\r"));
    v.ids.emplace(word, int64_t(v.words.size()));
    v.words.push_back(word);
  }
  return true;
}

bool readSentences(const std::string &path, const Vocab &vocab,
                   std::vector<std::vector<int64_t>> &out, std::string &error) {
  std::ifstream in(path);
  if (!in) {
    error = "cannot read '" + path + "'";
    return false;
  }
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
      if (w.empty() || *end || id < 0) {
        error = path + ":" + std::to_string(lineNo) + ": '" + w + "' is " +
                (vocab.empty() ? "not a token id (give --src-vocab/--tgt-vocab to read words)"
                               : "neither in the vocabulary nor a token id");
        return false;
      }
      ids.push_back(id);
    }
    out.push_back(std::move(ids));
  }
  return true;
}

std::string join(const std::vector<int64_t> &ids, const Vocab &vocab) {
  std::string s;
  for (size_t i = 0; i < ids.size(); ++i)
    s += (i ? " " : "") + vocab.word(ids[i]);
  return s;
}

struct Args {
  std::string command, model, src, tgt, srcVocab, tgtVocab, svg, dir, trace, device = "cpu";
  heed::DecodeOptions options;
  bool verbose = false;
  int repeat = 0; // benchmarks: translate N more times, timing each (stderr)
};

bool parseArgs(int argc, char **argv, Args &a, std::string &error) {
  a.command = argv[1];
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0) {
      if (!a.model.empty()) {
        error = "unexpected argument '" + arg + "'";
        return false;
      }
      a.model = arg;
      continue;
    }
    size_t eq = arg.find('=');
    std::string key = arg.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
    std::string value = eq == std::string::npos ? "" : arg.substr(eq + 1);
    auto number = [&](auto &out) {
      char *end = nullptr;
      double v = std::strtod(value.c_str(), &end);
      if (value.empty() || *end) {
        error = "--" + key + " expects a number, got '" + value + "'";
        return false;
      }
      out = static_cast<std::remove_reference_t<decltype(out)>>(v);
      return true;
    };
    bool ok = true;
    if (key == "src")
      a.src = value;
    else if (key == "tgt")
      a.tgt = value;
    else if (key == "src-vocab")
      a.srcVocab = value;
    else if (key == "tgt-vocab")
      a.tgtVocab = value;
    else if (key == "attention-svg")
      a.svg = value;
    else if (key == "attention-dir")
      a.dir = value;
    else if (key == "device")
      a.device = value;
    else if (key == "trace")
      a.trace = value;
    else if (key == "beam")
      ok = number(a.options.beam);
    else if (key == "n-best")
      ok = number(a.options.n_best);
    else if (key == "max-length")
      ok = number(a.options.max_length);
    else if (key == "length-penalty")
      ok = number(a.options.length_penalty);
    else if (key == "batch-size")
      ok = number(a.options.batch_size);
    else if (key == "bos")
      ok = number(a.options.bos);
    else if (key == "eos")
      ok = number(a.options.eos);
    else if (key == "pad")
      ok = number(a.options.pad);
    else if (key == "no-early-stop")
      a.options.early_stop = 0;
    else if (key == "verbose")
      a.verbose = true;
    else if (key == "repeat")
      ok = number(a.repeat);
    else {
      error = "unknown option '" + arg + "' for heed-run " + a.command;
      return false;
    }
    if (!ok)
      return false;
  }
  if (a.model.empty() || a.src.empty() || (a.command == "score" && a.tgt.empty())) {
    error = a.command == "score"
                ? "usage: heed-run score MODULE_OR_MODEL --src=ids.txt --tgt=ids.txt"
                : "usage: heed-run translate MODULE_OR_MODEL --src=ids.txt [--beam=4] "
                  "[--n-best=N] [--max-length=N] [--length-penalty=A]";
    return false;
  }
  if (a.options.beam < 1 || a.options.n_best < 1 || a.options.n_best > a.options.beam) {
    error = "--beam must be >= 1 and --n-best between 1 and the beam size";
    return false;
  }
  if (!a.svg.empty() && !a.dir.empty()) {
    error = "give --attention-svg or --attention-dir, not both";
    return false;
  }
  a.options.attention = !a.svg.empty() || !a.dir.empty();
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

bool writeFile(const std::string &path, const std::string &text) {
  std::ofstream out(path);
  out << text;
  return bool(out);
}

} // namespace

int runDecodeCommand(int argc, char **argv, CompileFn compile) {
  Args a;
  std::string error;
  if (!parseArgs(argc, argv, a, error))
    return fail(error);
  Vocab srcVocab, tgtVocab;
  if (!readVocab(a.srcVocab, srcVocab, error) || !readVocab(a.tgtVocab, tgtVocab, error))
    return fail(error);
  std::vector<std::vector<int64_t>> sources, targets;
  if (!readSentences(a.src, srcVocab, sources, error) ||
      (!a.tgt.empty() && !readSentences(a.tgt, tgtVocab, targets, error)))
    return fail(error);

  heed::Runtime rt;
  if (heed::Status st = heed::Runtime::create(a.device, rt); !st)
    return fail(st.message);
  heed::Module module;
  std::string ext = a.model.substr(a.model.find_last_of('.') + 1);
  heed::Status st;
  if (ext == "heed" || ext == "onnx" || ext == "mlir") {
    std::string bytes;
    if (!compile(a.model, bytes))
      return 1;
    st = rt.load(bytes.data(), bytes.size(), a.model, module);
  } else {
    st = rt.load(a.model, module);
  }
  if (!st)
    return fail(st.message);
  heed::Decoder decoder;
  if (st = heed::Decoder::create(module, decoder); !st)
    return fail(a.model + ": " + st.message);
  if (a.verbose)
    std::fprintf(stderr, "%s", decoder.describe().c_str());

  // Batches may hold sources of different lengths; keep them apart in the error message.
  for (size_t i = 0; i < sources.size(); ++i)
    if (sources[i].empty())
      return fail(a.src + ":" + std::to_string(i + 1) + ": empty source sentence");
  std::function<void(size_t, size_t)> progress = progressLine(sources.size());
  if (progress) {
    a.options.progress = [](size_t done, size_t total, void *user) {
      (*static_cast<std::function<void(size_t, size_t)> *>(user))(done, total);
    };
    a.options.progress_user = &progress;
  }

  // --trace: the last run only (after --repeat's warm-up and timed runs).
  auto traceFrom = [&](bool last) {
    return a.trace.empty() || !last ? heed::Status() : rt.setTracing(true);
  };
  auto writeTrace = [&] { return a.trace.empty() ? heed::Status() : rt.writeTrace(a.trace); };

  if (a.command == "score") {
    std::vector<heed::Scored> scored;
    if (st = traceFrom(true); !st)
      return fail(st.message);
    if (st = decoder.score(sources, targets, a.options, scored); !st)
      return fail(st.message);
    if (st = writeTrace(); !st)
      return fail(st.message);
    for (const auto &s : scored) {
      std::printf("%.6f", s.logLikelihood);
      for (float v : s.tokenLogProbs)
        std::printf(" %.6f", double(v));
      std::printf("\n");
    }
    return 0;
  }

  std::vector<std::vector<heed::Hypothesis>> hyps;
  if (st = traceFrom(a.repeat == 0); !st)
    return fail(st.message);
  if (st = decoder.translate(sources, a.options, hyps); !st)
    return fail(st.message);
  // --repeat=N: the first call above warmed up (oneDNN primitives, buffer pools); time N more.
  for (int r = 0; r < a.repeat; ++r) {
    if (st = traceFrom(r + 1 == a.repeat); !st)
      return fail(st.message);
    auto start = std::chrono::steady_clock::now();
    if (st = decoder.translate(sources, a.options, hyps); !st)
      return fail(st.message);
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    size_t tokens = 0;
    for (const auto &list : hyps)
      for (const auto &h : list)
        tokens += h.tokens.size() + (h.ended ? 1 : 0);
    std::fprintf(stderr, "repeat %d: %zu sentences, %zu output tokens, %.3f ms, %.0f tokens/s\n",
                 r + 1, sources.size(), tokens, s * 1e3, s > 0 ? double(tokens) / s : 0.0);
  }
  if (st = writeTrace(); !st)
    return fail(st.message);
  if (!a.dir.empty())
    ::mkdir(a.dir.c_str(), 0777);
  for (size_t i = 0; i < hyps.size(); ++i) {
    for (const auto &h : hyps[i]) {
      if (a.options.n_best > 1)
        std::printf("%zu\t%.6f\t%.6f\t", i, h.score, h.logProb);
      std::printf("%s\n", join(h.tokens, tgtVocab).c_str());
    }
    if (!a.options.attention || hyps[i].empty() || (!a.svg.empty() && i > 0))
      continue;
    const auto &best = hyps[i].front();
    std::vector<std::string> srcLabels, tgtLabels;
    for (int64_t id : sources[i])
      srcLabels.push_back(srcVocab.word(id));
    for (int64_t id : best.tokens)
      tgtLabels.push_back(tgtVocab.word(id));
    if (best.ended)
      tgtLabels.push_back(tgtVocab.empty() ? std::to_string(a.options.eos)
                                           : tgtVocab.word(a.options.eos));
    std::string path = !a.svg.empty() ? a.svg : a.dir + "/" + std::to_string(i) + ".svg";
    std::string title = "sentence " + std::to_string(i) + ": " + join(sources[i], srcVocab);
    std::vector<std::vector<float>> rows;
    for (size_t r = 0; r < best.attentionRows; ++r)
      rows.emplace_back(best.attention.begin() + long(r * best.attentionCols),
                        best.attention.begin() + long((r + 1) * best.attentionCols));
    if (!writeFile(path, heed::decode::attentionSvg(rows, srcLabels, tgtLabels, title)))
      return fail("cannot write '" + path + "'");
  }
  return 0;
}

} // namespace heedrun
