//===- heed-bench.cpp - Google Benchmark timings of Heed functions and kernels ===//
//
//   heed-bench [MODULE_OR_MODEL] [--function=NAME ...] [--input=SPEC ...] [--threads=N]
//              [--warmup=N] [--builtin] [--examples=DIR] [--benchmark_* flags]
//
// - MODULE_OR_MODEL: a .heedm module, or a .heed / .onnx / .mlir model compiled in memory (as
//   heed-run does). One benchmark "model/<file>:<function>" per --function (default: the only
//   function, or main).
// - --input (repeatable, in order): @FILE.npy, or DIMSxTYPE (e.g. 8x128x512xf32)
//   for uniform random values in [-1, 1) (integers: 0 .. 3), or DIMSxTYPE=VALUE for a splat
//   (index=7 for an index). Inputs left out are random when their declared type is static.
// - --builtin: the fused attention kernel ("attention/heed/...") and oneDNN's unfused attention
//   ("attention/onednn/...") on the reference shapes; the default with no model.
//   --examples=DIR also registers every examples/<name>/ref/<function>-len9 case.
// - --greedy=N: "greedy/<file>:<function>/N" times N decode steps per call, feeding the argmax of
//   output 0 back as input 0 and outputs 1.. back as the inputs of the same index and type (no
//   greedy driver in the runtime yet: this loops the step through the C API).
// - --threads=N sets the OpenMP threads of oneDNN and Heed's kernels (default: OMP_NUM_THREADS,
//   else every core); --warmup=N untimed calls before each benchmark's first timing (default 3).
//
// Every benchmark times each call and reports median_ms, p10_ms, p90_ms, p99_ms and min_ms
// counters besides Google Benchmark's mean; attention also reports GFLOP/s (4 * D flops per
// visible query-key pair) and peak_rss_mb / inputs_mb. Not a test: nothing here judges speed.
//
//===----------------------------------------------------------------------===//

#include "OnednnAttention.h"
#include "compiler/tools/support/CommandLine.h"
#include "compiler/tools/support/ToolVersion.h"
#include "compiler/tools/tensorio/TensorFiles.h"

#include "compiler/driver/CompileModel.h"
#include "heed/heed.hpp"
#include "runtime/drivers/cpu/kernels/Attention.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <random>

#include <sys/resource.h>

extern "C" {
void omp_set_num_threads(int n);
int omp_get_max_threads(void);
}

using heedbench::Mask;
using heedbench::OnednnAttention;
using namespace ::heed::tools;
namespace cl = llvm::cl;

namespace {

cl::OptionCategory category("heed-bench options");
cl::opt<std::string> modelPath(cl::Positional, cl::desc("[module .heedm | model]"), cl::init(""),
                               cl::cat(category));
cl::list<std::string> functions("function", cl::desc("Function to time (repeatable)"),
                                cl::cat(category));
cl::list<std::string> inputs("input",
                             cl::desc("@in.npy, DIMSxTYPE (random) or "
                                      "DIMSxTYPE=VALUE (repeatable, in order)"),
                             cl::cat(category));
// --threads=N is taken from argv before LLVM's parser, which has an option of that name.
int threads = 0;
cl::opt<int> warmup("warmup", cl::desc("Untimed calls before timing"), cl::init(3),
                    cl::cat(category));
cl::opt<bool> builtin("builtin", cl::desc("Register the attention kernel benchmarks"),
                      cl::cat(category));
cl::opt<std::string> examples("examples",
                              cl::desc("Register the examples/<name>/ref/<fn>-len9 cases of DIR"),
                              cl::init(""), cl::cat(category));
cl::opt<unsigned> greedy("greedy",
                         cl::desc("Time N greedy decode steps per call instead: output 0's argmax "
                                  "becomes input 0, output i becomes input i (same type)"),
                         cl::init(0), cl::cat(category));
cl::opt<std::string> device("device", cl::desc("cpu or vulkan"), cl::init("cpu"),
                            cl::cat(category));

int fail(const std::string &message) {
  llvm::errs() << "heed-bench: " << message << "\n";
  return 1;
}

double peakRssMb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_maxrss) / 1024.0;
}

/// Times each call of `call` (after `warmup` untimed calls on the first run) and reports
/// percentiles as counters; returns the median (0 if nothing ran). `call` returns false on failure.
template <typename F> double timeCalls(benchmark::State &state, F &&call, bool &warmedUp) {
  if (!warmedUp) {
    for (int i = 0; i < warmup; ++i)
      if (!call())
        return 0;
    warmedUp = true;
  }
  std::vector<double> ms;
  for (auto _ : state) {
    auto t0 = std::chrono::steady_clock::now();
    bool ok = call();
    auto t1 = std::chrono::steady_clock::now();
    if (!ok)
      return 0;
    ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  if (ms.empty())
    return 0;
  std::sort(ms.begin(), ms.end());
  auto pct = [&](double p) { return ms[std::min(ms.size() - 1, size_t(p * double(ms.size())))]; };
  state.counters["median_ms"] = pct(0.5);
  state.counters["p10_ms"] = pct(0.1);
  state.counters["p90_ms"] = pct(0.9);
  state.counters["p99_ms"] = pct(0.99);
  state.counters["min_ms"] = ms.front();
  state.counters["threads"] = omp_get_max_threads();
  return pct(0.5);
}

//===----------------------------------------------------------------------===//
// Attention kernels
//===----------------------------------------------------------------------===//

struct AttentionCase {
  const char *name;
  int64_t b, h, lq, lk, d;
  Mask mask;
  bool onednn; // also register the unfused oneDNN baseline
};

// The reference shapes of issue 9 ([B, H, L, D], f32). padding: the last Lk/4 keys of each batch
// are masked (Heed: key lengths; oneDNN: a [B,1,1,Lk] additive mask).
const AttentionCase attentionCases[] = {
    {"S1/causal", 1, 8, 128, 128, 64, Mask::causal, true},
    {"S2/none", 1, 8, 512, 512, 64, Mask::none, true},
    {"S2/padding", 1, 8, 512, 512, 64, Mask::padding, true},
    {"S2/causal", 1, 8, 512, 512, 64, Mask::causal, true},
    {"S3/padding", 4, 12, 512, 512, 64, Mask::padding, true},
    {"S4/causal", 1, 16, 2048, 2048, 64, Mask::causal, true},
    {"decode", 8, 1, 1, 1024, 64, Mask::none, true},
    {"long4096/causal", 1, 16, 4096, 4096, 64, Mask::causal, true},
    {"long8192/causal", 1, 16, 8192, 8192, 64, Mask::causal, true},
    {"long16384/causal", 1, 16, 16384, 16384, 64, Mask::causal, false},
};

struct AttentionData {
  std::vector<float> q, k, v, o;
  std::vector<int64_t> lengths;
  double flops = 0;
  double inputsMb = 0;
  explicit AttentionData(const AttentionCase &c) {
    std::mt19937 gen(1);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    q.resize(size_t(c.b * c.h * c.lq * c.d));
    k.resize(size_t(c.b * c.h * c.lk * c.d));
    v.resize(k.size());
    o.assign(q.size(), 0.0f);
    for (auto *x : {&q, &k, &v})
      for (float &f : *x)
        f = dist(gen);
    lengths.assign(size_t(c.b), c.mask == Mask::padding ? c.lk - c.lk / 4 : c.lk);
    double pairs = 0;
    for (int64_t i = 0; i < c.lq; ++i)
      pairs += c.mask == Mask::causal ? double(std::min(i + 1, c.lk)) : double(lengths[0]);
    flops = 4.0 * double(c.d) * pairs * double(c.b * c.h);
    inputsMb = double((q.size() + k.size() + v.size() + o.size()) * 4) / (1024.0 * 1024.0);
  }
};

void attentionHeed(benchmark::State &state, const AttentionCase &c) {
  AttentionData data(c);
  heed::cpu::AttentionProblem p;
  p.batch = c.b, p.heads = c.h, p.kvHeads = c.h, p.queryLength = c.lq, p.keyLength = c.lk;
  p.headDim = c.d, p.valueDim = c.d, p.scale = 1.0f / std::sqrt(float(c.d));
  p.query = data.q.data(), p.key = data.k.data(), p.value = data.v.data();
  p.output = data.o.data();
  heed::cpu::Strides4 qs{c.h * c.lq * c.d, c.lq * c.d, c.d, 1};
  heed::cpu::Strides4 ks{c.h * c.lk * c.d, c.lk * c.d, c.d, 1};
  p.queryStrides = qs, p.outputStrides = qs, p.keyStrides = ks, p.valueStrides = ks;
  p.causal = c.mask == Mask::causal;
  if (c.mask == Mask::padding)
    p.keyLengths = data.lengths.data();
  double before = peakRssMb();
  bool warmed = false;
  double median = timeCalls(state, [&] { return heed::cpu::attention(p); }, warmed);
  if (median > 0)
    state.counters["GFLOP/s"] = data.flops * 1e-6 / median;
  state.counters["inputs_mb"] = data.inputsMb;
  state.counters["peak_rss_mb"] = peakRssMb();
  state.counters["rss_growth_mb"] = peakRssMb() - before;
}

void attentionOnednn(benchmark::State &state, const AttentionCase &c) {
  AttentionData data(c);
  std::string error;
  double before = peakRssMb();
  auto unfused = OnednnAttention::create(c.b, c.h, c.lq, c.lk, c.d, c.mask, data.q.data(),
                                         data.k.data(), data.v.data(), data.o.data(), error);
  if (!unfused) {
    state.SkipWithError(error.c_str());
    return;
  }
  if (unfused->implementations().find("ref") != std::string::npos)
    state.SetLabel("slow reference path: " + unfused->implementations());
  bool warmed = false;
  double median = timeCalls(
      state,
      [&] {
        unfused->run();
        return true;
      },
      warmed);
  if (median > 0)
    state.counters["GFLOP/s"] = data.flops * 1e-6 / median;
  state.counters["inputs_mb"] = data.inputsMb;
  state.counters["peak_rss_mb"] = peakRssMb();
  state.counters["rss_growth_mb"] = peakRssMb() - before;
}

//===----------------------------------------------------------------------===//
// Compiled functions
//===----------------------------------------------------------------------===//

bool parseDtype(const std::string &s, heed_dtype &dtype) {
  static const std::map<std::string, heed_dtype> types{
      {"f32", HEED_F32},   {"f64", HEED_F64}, {"i32", HEED_I32},  {"i64", HEED_I64},
      {"index", HEED_I64}, {"i1", HEED_BOOL}, {"bool", HEED_BOOL}};
  auto it = types.find(s);
  if (it == types.end())
    return false;
  dtype = it->second;
  return true;
}

/// Fills `t` (dtype and shape set) with `value` (a number), or with random numbers when null.
void fill(HostTensor &t, const char *value) {
  size_t n = t.count(), size = heed_dtype_size(t.dtype);
  t.data.assign(n * size, 0);
  std::mt19937 gen(7);
  for (size_t i = 0; i < n; ++i) {
    double v = 0;
    if (value)
      v = std::strtod(value, nullptr);
    else if (t.dtype == HEED_F32 || t.dtype == HEED_F64)
      v = std::uniform_real_distribution<double>(-1.0, 1.0)(gen);
    else
      v = double(std::uniform_int_distribution<int>(0, t.dtype == HEED_BOOL ? 1 : 3)(gen));
    uint8_t *p = &t.data[i * size];
    switch (t.dtype) {
    case HEED_F32: {
      float f = float(v);
      std::memcpy(p, &f, 4);
      break;
    }
    case HEED_F64:
      std::memcpy(p, &v, 8);
      break;
    case HEED_I32: {
      int32_t k = int32_t(v);
      std::memcpy(p, &k, 4);
      break;
    }
    case HEED_I64: {
      int64_t k = int64_t(v);
      std::memcpy(p, &k, 8);
      break;
    }
    case HEED_BOOL:
      *p = v != 0;
      break;
    default: // parseDtype gives none of the others (f16, bf16, unsigned: pass a .npy file)
      break;
    }
  }
}

/// "8x128x512xf32" (random), "8x128x512xf32=0.5" (splat), "index=7".
bool parseSpec(const std::string &text, HostTensor &t, std::string &error) {
  size_t eq = text.find('=');
  std::string spec = text.substr(0, eq);
  // "index" has an 'x' of its own: a bare type name is a rank-0 tensor.
  heed_dtype scalarType;
  size_t x = parseDtype(spec, scalarType) ? std::string::npos : spec.rfind('x');
  std::string type = x == std::string::npos ? spec : spec.substr(x + 1);
  if (!parseDtype(type, t.dtype)) {
    error = "'" + text + "': expected @FILE.npy, DIMSxTYPE or DIMSxTYPE=VALUE";
    return false;
  }
  t.shape.clear();
  if (x != std::string::npos) {
    llvm::SmallVector<llvm::StringRef> dims;
    llvm::StringRef(spec).substr(0, x).split(dims, 'x');
    for (llvm::StringRef d : dims) {
      int64_t v;
      if (d.getAsInteger(10, v) || v < 0) {
        error = "'" + text + "': bad dim '" + d.str() + "'";
        return false;
      }
      t.shape.push_back(v);
    }
  }
  fill(t, eq == std::string::npos ? nullptr : text.c_str() + eq + 1);
  return true;
}

/// A random input for input `i` of `f` as its signature declares it (false if it has a dynamic
/// dim or an element type parseDtype does not name).
bool randomFor(const heed::Function &f, size_t i, HostTensor &t, std::string &error) {
  heed::ValueInfo v;
  if (heed::Status st = f.input(i, v); !st) {
    error = st.message;
    return false;
  }
  if (v.isIndex())
    return parseSpec("index=1", t, error);
  bool known = v.dtype == HEED_F32 || v.dtype == HEED_F64 || v.dtype == HEED_I32 ||
               v.dtype == HEED_I64 || v.dtype == HEED_BOOL;
  if (!known || std::count(v.dims.begin(), v.dims.end(), -1) != 0) {
    error = "declared " + f.inputType(i) + ": give it with --input";
    return false;
  }
  t.dtype = v.dtype;
  t.shape = v.dims;
  fill(t, nullptr);
  return true;
}

struct ModelBench {
  std::string name;
  heed::Function function;
  std::vector<heed::Tensor> args;
  bool warmed = false;
};

std::vector<std::unique_ptr<ModelBench>> modelBenches;
heed::Runtime runtime;
std::vector<heed::Module> modules;

/// One greedy decode of `steps` steps through the C API: the argmax of output 0 ([B, V]) is the
/// next input 0 ([B] i64); outputs 1.. replace the inputs of the same index and type (the state).
heed::Status greedyDecode(const heed::Function &f, const std::vector<heed::Tensor> &args,
                          unsigned steps) {
  std::vector<heed::Tensor> state, out;
  std::vector<const heed::Tensor *> in;
  for (const heed::Tensor &t : args)
    in.push_back(&t);
  for (unsigned s = 0; s < steps; ++s) {
    if (heed::Status st = f.invoke(in, out); !st)
      return st;
    std::vector<int64_t> shape = out[0].shape();
    if (out[0].dtype() != HEED_F32 || shape.size() != 2)
      return {HEED_INVALID_ARGUMENT, "--greedy needs output 0 of shape [B, V] f32"};
    std::vector<int64_t> next(static_cast<size_t>(shape[0]));
    const float *lp = out[0].data<float>();
    for (int64_t b = 0; b < shape[0]; ++b)
      next[size_t(b)] =
          std::max_element(lp + b * shape[1], lp + (b + 1) * shape[1]) - (lp + b * shape[1]);
    state.clear();
    state.reserve(in.size());
    state.push_back(heed::Tensor::make(HEED_I64, {shape[0]}, next.data()));
    in[0] = &state[0];
    for (size_t i = 1; i < out.size() && i < in.size(); ++i)
      if (out[i].dtype() == args[i].dtype() && out[i].shape() == args[i].shape()) {
        state.push_back(std::move(out[i]));
        in[i] = &state.back();
      }
    out.clear(); // state now owns what the next call reads
  }
  return {};
}

void runModel(benchmark::State &state, ModelBench *m) {
  std::vector<const heed::Tensor *> in;
  for (const heed::Tensor &t : m->args)
    in.push_back(&t);
  std::vector<heed::Tensor> out;
  std::string error;
  timeCalls(
      state,
      [&] {
        heed::Status st =
            greedy ? greedyDecode(m->function, m->args, greedy) : m->function.invoke(in, out);
        if (!st)
          error = st.message;
        return bool(st);
      },
      m->warmed);
  if (!error.empty()) {
    state.SkipWithError(error.c_str());
    return;
  }
  heed_stats stats{};
  if (m->function.stats(stats))
    state.counters["peak_live_mb"] = double(stats.peak_bytes) / (1024.0 * 1024.0);
}

/// Loads `path` and registers one benchmark per function in `names` with `specs` as inputs.
bool addModel(const std::string &path, const std::string &label,
              const std::vector<std::string> &names,
              const std::vector<std::vector<std::string>> &specs) {
  heed::Module module;
  llvm::StringRef ext = llvm::sys::path::extension(path);
  heed::Status st;
  if (ext == ".mlir" || ext == ".heed" || ext == ".onnx") {
    std::string bytes;
    if (mlir::failed(mlir::heed::compileModel(path, mlir::heed::PipelineOptions(), "cpu", bytes)))
      return false;
    st = runtime.load(bytes.data(), bytes.size(), path, module);
  } else {
    st = runtime.load(path, module);
  }
  if (!st)
    return !fail(st.message);
  for (size_t f = 0; f < names.size(); ++f) {
    auto m = std::make_unique<ModelBench>();
    if (!(st = module.function(names[f], m->function)))
      return !fail(st.message);
    m->name = (greedy ? "greedy/" : "model/") + label + ":" + m->function.name();
    if (greedy)
      m->name += "/" + std::to_string(greedy.getValue());
    const std::vector<std::string> &given = specs[f];
    if (given.size() > m->function.inputCount())
      return !fail(m->name + ": " + std::to_string(given.size()) + " inputs given, it takes " +
                   std::to_string(m->function.inputCount()));
    for (size_t i = 0; i < m->function.inputCount(); ++i) {
      HostTensor t;
      std::string error;
      bool ok = i < given.size() ? (given[i][0] == '@' ? readNpy(given[i].substr(1), t, error)
                                                       : parseSpec(given[i], t, error))
                                 : randomFor(m->function, i, t, error);
      if (!ok)
        return !fail(m->name + ": input " + std::to_string(i) + " ('" + m->function.inputName(i) +
                     "'): " + error);
      m->args.push_back(heed::Tensor::make(t.dtype, t.shape, t.data.data()));
    }
    // One call now, so a bad input is an error here rather than a skipped benchmark.
    std::vector<const heed::Tensor *> in;
    for (const heed::Tensor &t : m->args)
      in.push_back(&t);
    std::vector<heed::Tensor> out;
    if (!(st = greedy ? greedyDecode(m->function, m->args, 2) : m->function.invoke(in, out)))
      return !fail(m->name + ": " + st.message);
    benchmark::RegisterBenchmark(m->name.c_str(), runModel, m.get())
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
    modelBenches.push_back(std::move(m));
  }
  modules.push_back(std::move(module));
  return true;
}

/// examples/<name>/model.heed with ref/<function>-len9/in.<i>.<arg>.npy inputs.
bool addExamples(const std::string &dir) {
  std::error_code ec;
  std::vector<std::string> names;
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec; it.increment(ec))
    names.push_back(it->path());
  std::sort(names.begin(), names.end());
  for (const std::string &example : names) {
    std::string model = example + "/model.heed", refs = example + "/ref";
    if (!llvm::sys::fs::exists(model) || !llvm::sys::fs::is_directory(refs))
      continue;
    std::vector<std::string> fns;
    std::vector<std::vector<std::string>> specs;
    std::vector<std::string> cases;
    for (llvm::sys::fs::directory_iterator it(refs, ec), end; it != end && !ec; it.increment(ec))
      if (llvm::StringRef(it->path()).ends_with("-len9"))
        cases.push_back(it->path());
    std::sort(cases.begin(), cases.end());
    for (const std::string &c : cases) {
      std::string fn = llvm::sys::path::filename(c).drop_back(5).str();
      std::vector<std::string> files;
      for (llvm::sys::fs::directory_iterator it(c, ec), end; it != end && !ec; it.increment(ec))
        if (llvm::sys::path::filename(it->path()).starts_with("in."))
          files.push_back(it->path());
      // in.<i>.<name>.npy, ordered by i.
      std::sort(files.begin(), files.end(), [](const std::string &a, const std::string &b) {
        auto index = [](const std::string &p) {
          return std::atoi(llvm::sys::path::filename(p).drop_front(3).str().c_str());
        };
        return index(a) < index(b);
      });
      std::vector<std::string> in;
      for (const std::string &f : files)
        in.push_back("@" + f);
      fns.push_back(fn);
      specs.push_back(in);
    }
    if (!fns.empty() && !addModel(model, llvm::sys::path::filename(example).str(), fns, specs))
      return false;
  }
  return true;
}

} // namespace

int main(int argc, char **argv) {
  // Google Benchmark answers --help itself (its flags only): let llvm::cl print Heed's.
  bool help = false;
  for (int i = 1; i < argc; ++i)
    help |= llvm::StringRef(argv[i]).ltrim('-').starts_with("help") ||
            llvm::StringRef(argv[i]).ltrim('-') == "version";
  if (!help)
    benchmark::Initialize(&argc, argv); // takes the --benchmark_* flags
  std::string threadsError;
  threads = mlir::heed::tools::takeThreadsOption(argc, argv, threadsError);
  if (threads < 0)
    return fail(threadsError);
  mlir::heed::tools::installVersionPrinter("heed-bench");
  cl::HideUnrelatedOptions(category);
  mlir::heed::tools::refuseHelpLookalikes(argc, argv);
  cl::ParseCommandLineOptions(
      argc, argv,
      "Heed benchmarks: compiled functions, the fused attention kernels and oneDNN's unfused "
      "attention, timed by Google Benchmark\n\n"
      "  heed-bench --builtin --threads=2                   # the attention kernels\n"
      "  heed-bench m.heedm --input=1x512xf32 --function=f  # a function, random input\n\n"
      "--threads=N: OpenMP threads. Google Benchmark's flags work too: --benchmark_filter=REGEX,\n"
      "--benchmark_min_time=SECONDS, --benchmark_repetitions=N, --benchmark_format=json, ...\n");
  if (threads > 0)
    omp_set_num_threads(threads);
  if (auto st = heed::Runtime::create(device, runtime); !st)
    return fail(st.message);
  if (!modelPath.empty()) {
    std::vector<std::string> names(functions.begin(), functions.end());
    if (names.empty())
      names.push_back("");
    std::vector<std::vector<std::string>> specs(
        names.size(), std::vector<std::string>(inputs.begin(), inputs.end()));
    if (!addModel(modelPath, llvm::sys::path::filename(modelPath).str(), names, specs))
      return 1;
  }
  if (!examples.empty() && !addExamples(examples))
    return 1;
  if (builtin || (modelPath.empty() && examples.empty())) {
    for (const AttentionCase &c : attentionCases) {
      benchmark::RegisterBenchmark((std::string("attention/heed/") + c.name).c_str(), attentionHeed,
                                   c)
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
      if (c.onednn)
        benchmark::RegisterBenchmark((std::string("attention/onednn/") + c.name).c_str(),
                                     attentionOnednn, c)
            ->Unit(benchmark::kMillisecond)
            ->UseRealTime();
    }
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  modelBenches.clear();
  modules.clear();
  return 0;
}
