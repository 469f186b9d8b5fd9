//===- heed-run.cpp - Runs a Heed module (or a model, compiled on the fly) -===//
//
//   heed-run MODULE_OR_MODEL [--function=NAME] [--device=cpu|vulkan]
//            --input=@in.npy | --input=NAME=@in.npy | --input="2x3xf32=[1 2 3][4 5 6]"
//            [--output=@out.npy ...] [--expected-output=@ref.npy ... --atol=1e-4 --rtol=1e-3]
//            [--repeat=N] [--print-stats] [--trace=FILE.json] [--threads=N]
//   heed-run translate|score MODULE_OR_MODEL --src=ids.txt ...   (Decode.cpp)
//
// Exit status 0 on success, 1 on any user error (bad file, bad input,
// mismatch) with a message naming the place.
//
//===----------------------------------------------------------------------===//

#include "Decode.h"

#include "compiler/driver/CompileModel.h"
#include "compiler/tools/support/CommandLine.h"
#include "compiler/tools/support/ToolVersion.h"
#include "compiler/tools/tensorio/TensorFiles.h"
#include "heed/heed.h"
#include "runtime/core/Float16.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <optional>

using namespace heedrun;
using namespace ::heed::tools;
namespace cl = llvm::cl;

namespace {

cl::OptionCategory category("heed-run options");
// Options of the plain invocation and of the translate / score subcommands alike.
#define HEED_ALL_SUBS cl::sub(cl::SubCommand::getAll())

cl::opt<std::string> inputPath(cl::Positional,
                               cl::desc("<module .heedm | model .heed/.onnx/.mlir>"), cl::Required,
                               cl::cat(category));
cl::opt<std::string> functionName("function",
                                  cl::desc("Function to run (default: the only one, "
                                           "or main)"),
                                  cl::cat(category));
cl::opt<std::string> device("device", cl::desc("cpu, vulkan or vulkan:N"), cl::init("cpu"),
                            cl::cat(category), HEED_ALL_SUBS);
cl::list<std::string> inputs("input",
                             cl::desc("@in.npy, NAME=@in.npy or a literal such as "
                                      "\"2x3xf32=[1 2 3][4 5 6]\" (repeatable, in order)"),
                             cl::cat(category));
cl::list<std::string> outputs("output", cl::desc("@out.npy for each output, in order"),
                              cl::cat(category));
cl::list<std::string> expected("expected-output",
                               cl::desc("@ref.npy (or a literal) for each output, in order"),
                               cl::cat(category));
cl::opt<double> atol("atol", cl::desc("Absolute tolerance"), cl::init(1e-4), cl::cat(category));
cl::opt<double> rtol("rtol", cl::desc("Relative tolerance"), cl::init(1e-3), cl::cat(category));
cl::opt<unsigned> repeat("repeat", cl::desc("Run N times (timing)"), cl::init(1),
                         cl::cat(category));
cl::opt<bool> printStats("print-stats", cl::desc("Print timing and memory statistics"),
                         cl::cat(category));
cl::opt<std::string> traceFile("trace",
                               cl::desc("Write a Chrome trace (Perfetto) of the last run's ops "
                                        "to FILE.json"),
                               cl::value_desc("FILE.json"), cl::cat(category), HEED_ALL_SUBS);
cl::opt<std::string>
    maskedRows("masked-rows",
               cl::desc("When compiling a model: fully masked rows give zero or nan"),
               cl::init("zero"), cl::cat(category), HEED_ALL_SUBS);
#undef HEED_ALL_SUBS

int fail(const std::string &message) {
  llvm::outs().flush();
  llvm::errs() << "heed-run: " << message << "\n";
  return 1;
}

bool parseType(const std::string &s, heed_dtype &dtype) {
  if (s == "f32")
    dtype = HEED_F32;
  else if (s == "f64")
    dtype = HEED_F64;
  else if (s == "i32")
    dtype = HEED_I32;
  else if (s == "i64" || s == "index")
    dtype = HEED_I64;
  else if (s == "i1" || s == "bool")
    dtype = HEED_BOOL;
  else if (s == "f16")
    dtype = HEED_F16;
  else if (s == "bf16")
    dtype = HEED_BF16;
  else if (s == "ui8")
    dtype = HEED_U8;
  else if (s == "ui32")
    dtype = HEED_U32;
  else if (s == "ui64")
    dtype = HEED_U64;
  else
    return false;
  return true;
}

/// "2x3xf32=[1 2 3][4 5 6]", "f32=1.5", "index=7".
bool parseLiteral(const std::string &text, HostTensor &t, std::string &error) {
  size_t eq = text.find('=');
  if (eq == std::string::npos) {
    error = "'" + text + "' is neither @FILE.npy, NAME=@FILE.npy nor a literal like 2x3xf32=[...]";
    return false;
  }
  std::string spec = text.substr(0, eq), body = text.substr(eq + 1);
  // Dims are digits followed by 'x'; what remains is the element type.
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t i = 0; i < spec.size(); ++i)
    if (spec[i] == 'x' && i > start && std::isdigit(static_cast<unsigned char>(spec[start]))) {
      parts.push_back(spec.substr(start, i - start));
      start = i + 1;
    }
  parts.push_back(spec.substr(start));
  if (!parseType(parts.back(), t.dtype)) {
    error = "literal '" + text + "': unknown element type '" + parts.back() +
            "' (expected f32, f64, f16, bf16, i32, i64, ui8, ui32, ui64, i1)";
    return false;
  }
  t.shape.clear();
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    char *end;
    long long d = std::strtoll(parts[i].c_str(), &end, 10);
    if (parts[i].empty() || *end || d < 0 || d > (1LL << 32)) {
      error = "literal '" + text + "': bad dim '" + parts[i] + "'";
      return false;
    }
    t.shape.push_back(d);
  }
  // A literal is typed on a command line: refuse shapes whose splat would
  // allocate more than 2^24 elements (use a .npy file for big inputs).
  size_t count = 1;
  for (int64_t d : t.shape)
    if (__builtin_mul_overflow(count, size_t(d), &count) || count > (size_t(1) << 24)) {
      error = "literal '" + text + "': shape is too large for a literal (over 2^24 elements); " +
              "use a .npy file";
      return false;
    }
  std::vector<std::string> tokens;
  std::string cur;
  for (char ch : body + " ") {
    if (ch == '[' || ch == ']' || ch == ' ' || ch == ',' || ch == '\t' || ch == '\n') {
      if (!cur.empty())
        tokens.push_back(cur);
      cur.clear();
    } else {
      cur += ch;
    }
  }
  size_t n = t.count();
  if (tokens.size() == 1 && n != 1)
    tokens.assign(n, tokens[0]); // a splat
  if (tokens.size() != n) {
    error = "literal '" + text + "' has " + std::to_string(tokens.size()) +
            " values, its shape needs " + std::to_string(n);
    return false;
  }
  t.data.assign(n * heed_dtype_size(t.dtype), 0);
  for (size_t i = 0; i < n; ++i) {
    const std::string &tok = tokens[i];
    char *end = nullptr;
    switch (t.dtype) {
    case HEED_F32: {
      float v = std::strtof(tok.c_str(), &end);
      std::memcpy(&t.data[i * 4], &v, 4);
      break;
    }
    case HEED_F64: {
      double v = std::strtod(tok.c_str(), &end);
      std::memcpy(&t.data[i * 8], &v, 8);
      break;
    }
    case HEED_I32: {
      int32_t v = int32_t(std::strtol(tok.c_str(), &end, 10));
      std::memcpy(&t.data[i * 4], &v, 4);
      break;
    }
    case HEED_I64:
    case HEED_INDEX: { // no tensor has it; an index is an i64
      int64_t v = std::strtoll(tok.c_str(), &end, 10);
      std::memcpy(&t.data[i * 8], &v, 8);
      break;
    }
    case HEED_F16:
    case HEED_BF16: {
      double v = std::strtod(tok.c_str(), &end);
      uint16_t bits =
          t.dtype == HEED_F16 ? heed::rt::doubleToHalfBits(v) : heed::rt::doubleToBf16Bits(v);
      std::memcpy(&t.data[i * 2], &bits, 2);
      break;
    }
    case HEED_U8:
    case HEED_U32:
    case HEED_U64: {
      // Digits only: strtoull would accept "-1" as its two's complement.
      if (tok.empty() || !std::isdigit(static_cast<unsigned char>(tok[0]))) {
        end = const_cast<char *>(tok.c_str());
        break;
      }
      errno = 0;
      unsigned long long v = std::strtoull(tok.c_str(), &end, 10);
      unsigned long long max = t.dtype == HEED_U8    ? 0xffull
                               : t.dtype == HEED_U32 ? 0xffffffffull
                                                     : ~0ull;
      if (errno == ERANGE || v > max) {
        error = "literal '" + text + "': value '" + tok + "' is out of range for " +
                heed_dtype_name(t.dtype);
        return false;
      }
      size_t size = heed_dtype_size(t.dtype);
      std::memcpy(&t.data[i * size], &v, size); // little-endian: the low bytes
      break;
    }
    case HEED_BOOL:
      if (tok == "true" || tok == "1")
        t.data[i] = 1;
      else if (tok == "false" || tok == "0")
        t.data[i] = 0;
      else
        end = const_cast<char *>(tok.c_str());
      if (!end)
        end = const_cast<char *>(tok.c_str()) + tok.size();
      break;
    case HEED_DTYPE_MIN_ENUM_: // not element types: no literal has them
    case HEED_DTYPE_MAX_ENUM_:
      break;
    }
    if (!end || *end) {
      error = "literal '" + text + "': bad value '" + tok + "'";
      return false;
    }
  }
  return true;
}

bool loadValue(const std::string &text, HostTensor &t, std::string &error) {
  if (!text.empty() && text[0] == '@')
    return readTensorFile(text.substr(1), t, error);
  return parseLiteral(text, t, error);
}

double element(const HostTensor &t, size_t i) {
  switch (t.dtype) {
  case HEED_F32: {
    float v;
    std::memcpy(&v, &t.data[i * 4], 4);
    return v;
  }
  case HEED_F64: {
    double v;
    std::memcpy(&v, &t.data[i * 8], 8);
    return v;
  }
  case HEED_I32: {
    int32_t v;
    std::memcpy(&v, &t.data[i * 4], 4);
    return v;
  }
  case HEED_I64:
  case HEED_INDEX: { // no tensor has it; an index is an i64
    int64_t v;
    std::memcpy(&v, &t.data[i * 8], 8);
    return double(v);
  }
  case HEED_BOOL:
  case HEED_U8:
    return t.data[i];
  case HEED_F16:
  case HEED_BF16: {
    uint16_t v;
    std::memcpy(&v, &t.data[i * 2], 2);
    return t.dtype == HEED_F16 ? heed::rt::halfBitsToFloat(v) : heed::rt::bf16BitsToFloat(v);
  }
  case HEED_U32: {
    uint32_t v;
    std::memcpy(&v, &t.data[i * 4], 4);
    return v;
  }
  case HEED_U64: {
    uint64_t v;
    std::memcpy(&v, &t.data[i * 8], 8);
    return double(v);
  }
  case HEED_DTYPE_MIN_ENUM_: // not element types
  case HEED_DTYPE_MAX_ENUM_:
    break;
  }
  return 0;
}

bool isFloatType(heed_dtype d) {
  return d == HEED_F32 || d == HEED_F64 || d == HEED_F16 || d == HEED_BF16;
}

/// Integer element i as text, exactly (a double would round 64-bit values).
std::string integerText(const HostTensor &t, size_t i) {
  switch (t.dtype) {
  case HEED_I64: {
    int64_t v;
    std::memcpy(&v, &t.data[i * 8], 8);
    return std::to_string(v);
  }
  case HEED_U64: {
    uint64_t v;
    std::memcpy(&v, &t.data[i * 8], 8);
    return std::to_string(v);
  }
  default:
    return std::to_string(int64_t(element(t, i)));
  }
}

void print(llvm::raw_ostream &os, const HostTensor &t) {
  os << describe(t) << "=";
  size_t n = t.count();
  if (t.shape.empty()) {
    if (isFloatType(t.dtype))
      os << llvm::format("%g", element(t, 0)) << "\n";
    else
      os << integerText(t, 0) << "\n";
    return;
  }
  size_t inner = size_t(t.shape.back());
  size_t shown = std::min<size_t>(n, 1024);
  for (size_t i = 0; i < shown; ++i) {
    if (inner && i % inner == 0)
      os << "[";
    if (isFloatType(t.dtype))
      os << llvm::format("%g", element(t, i));
    else
      os << integerText(t, i);
    os << ((inner && (i + 1) % inner == 0) ? "]" : " ");
  }
  if (shown < n)
    os << "...";
  os << "\n";
}

/// Compares `got` with `want`; prints max errors; false on mismatch.
bool compare(size_t index, const HostTensor &got, const HostTensor &want) {
  std::string name = "output " + std::to_string(index);
  if (got.dtype != want.dtype || got.shape != want.shape) {
    fail(name + " is " + describe(got) + " but the expected output is " + describe(want));
    return false;
  }
  bool isFloat = isFloatType(got.dtype);
  size_t width = heed_dtype_size(got.dtype);
  double maxAbs = 0, maxRel = 0;
  size_t bad = 0, firstBad = 0;
  for (size_t i = 0, n = got.count(); i < n; ++i) {
    double g = element(got, i), w = element(want, i);
    bool ok;
    if (!isFloat) {
      // Integers and bools match exactly, bit for bit.
      ok = std::memcmp(&got.data[i * width], &want.data[i * width], width) == 0;
    } else if (std::isnan(g) || std::isnan(w)) {
      ok = std::isnan(g) && std::isnan(w);
    } else if (std::isinf(g) || std::isinf(w)) {
      ok = g == w;
    } else {
      double abs = std::fabs(g - w), rel = abs / std::max(std::fabs(w), 1e-30);
      maxAbs = std::max(maxAbs, abs);
      if (std::fabs(w) > 0)
        maxRel = std::max(maxRel, rel);
      ok = abs <= atol + rtol * std::fabs(w);
    }
    if (!ok && bad++ == 0)
      firstBad = i;
  }
  llvm::outs() << name << ": max abs error " << llvm::format("%.3g", maxAbs) << ", max rel error "
               << llvm::format("%.3g", maxRel) << (bad ? ", MISMATCH" : ", ok") << "\n";
  if (bad) {
    std::string at;
    size_t rem = firstBad;
    std::vector<int64_t> idx(got.shape.size());
    for (size_t d = got.shape.size(); d-- > 0;) {
      idx[d] = int64_t(rem % size_t(got.shape[d]));
      rem /= size_t(got.shape[d]);
    }
    for (int64_t v : idx)
      at += (at.empty() ? "" : ", ") + std::to_string(v);
    char buf[160];
    if (isFloat)
      std::snprintf(buf, sizeof buf, "got %.9g, expected %.9g", element(got, firstBad),
                    element(want, firstBad));
    else
      std::snprintf(buf, sizeof buf, "got %s, expected %s", integerText(got, firstBad).c_str(),
                    integerText(want, firstBad).c_str());
    fail(name + " does not match the expected output: " + std::to_string(bad) +
         " elements outside atol " + std::to_string(atol.getValue()) + " / rtol " +
         std::to_string(rtol.getValue()) + "; first at [" + at + "]: " + buf);
    return false;
  }
  return true;
}

/// Compiles a model file in memory into module bytes for --device, with --masked-rows.
bool compileForDevice(const std::string &path, std::string &bytes) {
  mlir::heed::PipelineOptions options;
  options.maskedRows = maskedRows;
  llvm::StringRef target = llvm::StringRef(device).starts_with("vulkan") ? "all" : "cpu";
  return mlir::succeeded(mlir::heed::compileModel(path, options, target, bytes));
}

HostTensor toHost(const heed_tensor *t) {
  HostTensor h;
  h.dtype = heed_tensor_dtype(t);
  h.shape.assign(heed_tensor_shape(t), heed_tensor_shape(t) + heed_tensor_rank(t));
  const uint8_t *p = static_cast<const uint8_t *>(heed_tensor_data(t));
  h.data.assign(p, p + heed_tensor_byte_size(t));
  return h;
}

struct Handles {
  heed_runtime *runtime = nullptr;
  heed_module *module = nullptr;
  std::vector<heed_tensor *> tensors;
  ~Handles() {
    for (heed_tensor *t : tensors)
      heed_tensor_destroy(t);
    heed_module_destroy(module);
    heed_runtime_destroy(runtime);
  }
};

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  mlir::heed::tools::installVersionPrinter("heed-run");
  std::string threadsError;
  int threads = mlir::heed::tools::takeThreadsOption(argc, argv, threadsError);
  if (threads < 0)
    return fail(threadsError);
  cl::HideUnrelatedOptions({&category, &decodeCategory});
  mlir::heed::tools::refuseHelpLookalikes(argc, argv);
  cl::ParseCommandLineOptions(
      argc, argv,
      "Heed module runner: runs a function of a module (a model file is compiled on the fly), "
      "or decodes with it\n\n"
      "  heed-run m.heedm --input=@x.npy --output=@y.npy           # run main\n"
      "  heed-run m.heedm --function=f --input=\"2x3xf32=[1 2 3][4 5 6]\"\n"
      "  heed-run translate m.heedm --src=src.txt --beam=4        # decode (translate --help)\n"
      "  heed-run score m.heedm --src=src.txt --tgt=tgt.txt       # log-likelihoods\n\n"
      "--threads=N: CPU threads (default: OMP_NUM_THREADS, else one per core).\n");
  if (maskedRows != "zero" && maskedRows != "nan")
    return fail("unknown --masked-rows '" + maskedRows + "'; expected zero or nan");
  if (device != "cpu" && device != "vulkan" && !llvm::StringRef(device).starts_with("vulkan:"))
    return fail("unknown --device '" + device + "'; expected cpu, vulkan or vulkan:N");
  if (threads > 0 && heed_set_num_threads(threads) != HEED_OK)
    return fail(heed_last_error());
  // heed-run translate|score ...: the decoding drivers (Decode.cpp, docs/decoding.md).
  if (translateCommand || scoreCommand)
    return runDecodeCommand({device, traceFile}, compileForDevice);

  Handles h;
  if (heed_runtime_create(device.c_str(), &h.runtime) != HEED_OK)
    return fail(heed_last_error());

  llvm::StringRef ext = llvm::sys::path::extension(inputPath);
  heed_status st;
  if (ext == ".mlir" || ext == ".heed" || ext == ".onnx") {
    std::string bytes;
    if (!compileForDevice(inputPath, bytes))
      return 1;
    st = heed_module_load_memory(h.runtime, bytes.data(), bytes.size(), inputPath.c_str(),
                                 &h.module);
  } else {
    st = heed_module_load_file(h.runtime, inputPath.c_str(), &h.module);
  }
  if (st != HEED_OK)
    return fail(heed_last_error());
  if (!traceFile.empty() && heed_runtime_set_tracing(h.runtime, 1) != HEED_OK)
    return fail(heed_last_error());

  heed_function *fn = nullptr;
  if (heed_module_find_function(h.module, functionName.empty() ? nullptr : functionName.c_str(),
                                &fn) != HEED_OK)
    return fail(heed_last_error());
  std::string fname = heed_function_name(fn);
  size_t numInputs = heed_function_input_count(fn), numOutputs = heed_function_output_count(fn);

  auto signature = [&]() {
    std::string s;
    for (size_t i = 0; i < numInputs; ++i)
      s += std::string(i ? ", " : "") + heed_function_input_name(fn, i) + ": " +
           heed_function_input_type(fn, i);
    return s;
  };
  // Named inputs take their slot; the others fill the remaining slots in order. An .npz (or
  // multi-tensor .safetensors) file gives several: each array named like an input goes there,
  // the others count as positional inputs in the file's order.
  struct Value {
    std::string text;               // what the user wrote (a literal or @FILE), for messages
    std::optional<HostTensor> data; // already read (an archive's array)
  };
  std::vector<std::optional<Value>> slots(numInputs);
  std::vector<Value> positional;
  auto inputIndex = [&](const std::string &name) {
    size_t i = 0;
    while (i < numInputs && name != heed_function_input_name(fn, i))
      ++i;
    return i;
  };
  for (const std::string &in : inputs) {
    if (in[0] == '@' && endsWith(in, ".npz")) {
      NamedTensors arrays;
      std::string error;
      if (!readTensorArchive(in.substr(1), arrays, error))
        return fail("--input=" + in + ": " + error);
      for (auto &[name, tensor] : arrays) {
        Value v{in + " (array '" + name + "')", std::move(tensor)};
        size_t i = inputIndex(name);
        if (i < numInputs && !slots[i])
          slots[i] = std::move(v);
        else
          positional.push_back(std::move(v));
      }
      continue;
    }
    size_t eq = in.find("=@");
    if (in[0] != '@' && eq != std::string::npos) {
      std::string name = in.substr(0, eq);
      size_t i = inputIndex(name);
      if (i == numInputs)
        return fail("--input=" + in + ": function '" + fname + "' has no input named '" + name +
                    "'; its inputs are (" + signature() + ")");
      if (slots[i])
        return fail("--input=" + in + ": input '" + name + "' given twice");
      slots[i] = Value{in.substr(eq + 1), std::nullopt};
    } else {
      positional.push_back(Value{in, std::nullopt});
    }
  }
  size_t next = 0, given = positional.size();
  for (const std::optional<Value> &slot : slots)
    given += slot ? 1 : 0;
  for (Value &in : positional) {
    while (next < numInputs && slots[next])
      ++next;
    if (next == numInputs)
      return fail("function '" + fname + "' takes " + std::to_string(numInputs) + " inputs (" +
                  signature() + "), got " + std::to_string(given));
    slots[next++] = std::move(in);
  }
  for (size_t i = 0; i < numInputs; ++i)
    if (!slots[i])
      return fail("function '" + fname + "' takes " + std::to_string(numInputs) + " inputs (" +
                  signature() + "), got " + std::to_string(given) + "; input " + std::to_string(i) +
                  " ('" + heed_function_input_name(fn, i) + "') is missing");

  std::vector<heed_tensor *> args;
  for (size_t i = 0; i < numInputs; ++i) {
    HostTensor t;
    std::string error;
    if (slots[i]->data)
      t = std::move(*slots[i]->data);
    else if (!loadValue(slots[i]->text, t, error))
      return fail("input " + std::to_string(i) + " ('" + heed_function_input_name(fn, i) +
                  "'): " + error);
    heed_tensor *ht = nullptr;
    if (heed_tensor_create(t.dtype, t.shape.data(), t.shape.size(), t.data.data(), &ht) != HEED_OK)
      return fail("input " + std::to_string(i) + ": " + heed_last_error());
    h.tensors.push_back(ht);
    args.push_back(ht);
  }
  // One --output=@FILE.npz receives every output, by name.
  bool archive = outputs.size() == 1 && outputs[0][0] == '@' && endsWith(outputs[0], ".npz");
  for (const std::string &o : outputs)
    if (endsWith(o, ".npz") && !archive)
      return fail("--output=" + o +
                  ": an .npz output holds every output; give it as the only "
                  "--output");
  if (outputs.size() > numOutputs && !archive)
    return fail(std::to_string(outputs.size()) + " --output given but function '" + fname +
                "' has " + std::to_string(numOutputs) + " outputs");
  if (expected.size() > numOutputs)
    return fail(std::to_string(expected.size()) + " --expected-output given but function '" +
                fname + "' has " + std::to_string(numOutputs) + " outputs");

  std::vector<heed_tensor *> results(numOutputs, nullptr);
  std::vector<double> times;
  for (unsigned r = 0; r < std::max(1u, repeat.getValue()); ++r) {
    for (heed_tensor *&t : results) {
      heed_tensor_destroy(t);
      t = nullptr;
    }
    auto t0 = std::chrono::steady_clock::now();
    st = heed_function_invoke(fn, args.data(), args.size(), results.data(), results.size());
    auto t1 = std::chrono::steady_clock::now();
    if (st != HEED_OK)
      return fail(heed_last_error());
    times.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  for (heed_tensor *t : results)
    h.tensors.push_back(t);
  if (!traceFile.empty() && heed_function_write_trace(fn, traceFile.c_str()) != HEED_OK)
    return fail(heed_last_error());

  bool ok = true;
  NamedTensors all;
  for (size_t i = 0; i < numOutputs; ++i) {
    HostTensor got = toHost(results[i]);
    if (archive) {
      std::string name = heed_function_output_name(fn, i);
      all.emplace_back(name.empty() ? "output_" + std::to_string(i) : name, got);
    } else if (i < outputs.size()) {
      const std::string &o = outputs[i];
      if (o.empty() || o[0] != '@')
        return fail("--output=" + o + ": expected @FILE.npy or @FILE.safetensors");
      std::string error;
      if (!writeTensorFile(o.substr(1), got, error))
        return fail(error);
    } else if (i >= expected.size()) {
      llvm::outs() << "result[" << i << "]: ";
      print(llvm::outs(), got);
    }
    if (i < expected.size()) {
      HostTensor want;
      std::string error;
      if (!loadValue(expected[i], want, error))
        return fail("expected output " + std::to_string(i) + ": " + error);
      ok &= compare(i, got, want);
    }
  }
  if (archive) {
    std::string error;
    if (!writeTensorArchive(outputs[0].substr(1), all, error))
      return fail(error);
  }
  if (printStats) {
    heed_stats stats{};
    heed_function_stats(fn, &stats);
    std::vector<double> sorted = times;
    std::sort(sorted.begin(), sorted.end());
    llvm::outs() << "stats: function " << fname << ", " << times.size() << " run(s), median "
                 << llvm::format("%.3f", sorted[sorted.size() / 2]) << " ms, min "
                 << llvm::format("%.3f", sorted.front()) << " ms, ops " << stats.ops_executed
                 << ", allocated " << stats.bytes_allocated << " B (+" << stats.pool_hits
                 << " recycled buffers), peak live " << stats.peak_bytes << " B\n";
    for (size_t i = 0, n = heed_function_profile_count(fn); i < n && i < 10; ++i) {
      const char *kind = nullptr;
      double ms = 0;
      uint64_t calls = 0;
      heed_function_profile_entry(fn, i, &kind, &ms, &calls);
      llvm::outs() << llvm::format("  %-28s %10.3f ms %8llu calls\n", kind, ms,
                                   (unsigned long long)calls);
    }
  }
  return ok ? 0 : 1;
}
