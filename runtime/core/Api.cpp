//===- Api.cpp - The Heed runtime C API -----------------------------------===//
//
// Every entry point catches everything the runtime throws and turns it into a
// status plus a thread-local message.
//
//===----------------------------------------------------------------------===//

#include "heed/heed.h"

#include "runtime/core/ApiError.h"
#include "runtime/core/Escape.h"
#include "runtime/core/TensorMemory.h"
#include "runtime/drivers/Driver.h"
#include "runtime/files/SafeFiles.h"

#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <new>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace heed::rt;

/// What heed_runtime_write_trace writes: every call made while tracing was on, as one event
/// for the call and its ops' events inside it, on one time line.
struct RuntimeTrace {
  struct Call {
    std::string function;
    double startUs = 0, durationUs = 0; // from when tracing was switched on
    std::vector<TraceEvent> ops;        // their startUs from the call's start
  };
  /// A long decoding run records tens of ops per step: past this many ops, calls are dropped
  /// (and the trace says so) rather than growing without bound.
  static constexpr size_t kMaxOps = size_t(1) << 20;
  bool on = false, truncated = false;
  size_t ops = 0;
  std::chrono::steady_clock::time_point start;
  std::vector<Call> calls;
};

struct heed_runtime {
  std::unique_ptr<Driver> driver;
  RuntimeTrace trace;
};

struct heed_function {
  heed_module *module = nullptr;
  const Function *function = nullptr;
  RunStats stats;
};

struct heed_module {
  heed_runtime *runtime = nullptr;
  std::unique_ptr<Module> module;
  std::vector<heed_function> functions;
};

struct heed_tensor {
  Tensor tensor;
  /// Made by heed_tensor_wrap: the caller's memory, which no output may keep (nor share).
  bool wrapped = false;
};

namespace {

thread_local std::string lastError;

heed_status setError(heed_status status, const std::string &message) {
  lastError = message;
  return status;
}

template <typename F> heed_status guard(F f) {
  try {
    lastError.clear();
    return f();
  } catch (const Error &e) {
    heed_status s = HEED_RUNTIME_ERROR;
    switch (e.kind) {
    case ErrorKind::invalidArgument:
      s = HEED_INVALID_ARGUMENT;
      break;
    case ErrorKind::invalidModule:
      s = HEED_INVALID_MODULE;
      break;
    case ErrorKind::notFound:
      s = HEED_NOT_FOUND;
      break;
    case ErrorKind::unimplemented:
      s = HEED_UNIMPLEMENTED;
      break;
    case ErrorKind::runtime:
      s = HEED_RUNTIME_ERROR;
      break;
    }
    return setError(s, e.what());
  } catch (const std::bad_alloc &) {
    return setError(HEED_OUT_OF_MEMORY, "out of memory");
  } catch (const std::exception &e) {
    return setError(HEED_INTERNAL, std::string("internal error: ") + e.what());
  } catch (...) {
    return setError(HEED_INTERNAL, "internal error");
  }
}

/// The tensor element type of `d` (values shared with ElemType: module/Module.cpp checks). An
/// index is passed as an i64 tensor, so HEED_INDEX is no tensor type.
ElemType toElem(heed_dtype d) {
  if (int(d) < int(HEED_F32) || int(d) > int(HEED_U64) || d == HEED_INDEX)
    fail(ErrorKind::invalidArgument, "unknown dtype " + std::to_string(int(d)));
  return ElemType(d);
}

heed_dtype fromElem(ElemType t) {
  return t == ElemType::index || t == ElemType::i8 ? HEED_I64 : heed_dtype(t);
}

heed_status finishModule(heed_runtime *runtime, std::unique_ptr<Module> m, heed_module **out) {
  runtime->driver->prepare(*m);
  auto *mod = new heed_module;
  mod->runtime = runtime;
  mod->module = std::move(m);
  mod->functions.resize(mod->module->functions.size());
  for (size_t i = 0; i < mod->functions.size(); ++i) {
    mod->functions[i].module = mod;
    mod->functions[i].function = &mod->module->functions[i];
  }
  *out = mod;
  return HEED_OK;
}

} // namespace

heed_status heed::rt::setLastError(heed_status status, const std::string &message) {
  return setError(status, message);
}
void heed::rt::clearLastError() { lastError.clear(); }

namespace {

/// A Chrome trace (JSON "X" events; Perfetto, chrome://tracing) of `calls`' ops, each call's ops
/// placed at the call's start; with `callEvents` one event per call encloses its ops.
void writeChromeTrace(const char *path, const std::string &deviceName,
                      const std::vector<RuntimeTrace::Call> &calls, bool callEvents,
                      bool truncated) {
  const std::string device = heed::jsonString(deviceName);
  std::string json = "{\"displayTimeUnit\": \"ms\", \"traceEvents\": [";
  bool first = true;
  auto event = [&](const std::string &name, const char *cat, double ts, double dur,
                   const std::string &args) {
    char times[96];
    std::snprintf(times, sizeof times, "\"ts\": %.3f, \"dur\": %.3f", ts, dur);
    json += std::string(first ? "\n" : ",\n") + "{\"name\": " + heed::jsonString(name) +
            ", \"cat\": " + cat + ", \"ph\": \"X\", " + times +
            ", \"pid\": 1, \"tid\": 1, \"args\": {" + args + "}}";
    first = false;
  };
  for (const RuntimeTrace::Call &call : calls) {
    if (callEvents)
      event(call.function, "\"call\"", call.startUs, call.durationUs,
            "\"function\": " + heed::jsonString(call.function) + ", \"device\": " + device);
    for (const TraceEvent &e : call.ops)
      event(e.kind, device.c_str(), call.startUs + e.startUs, e.durationUs,
            "\"op\": " + heed::jsonString(e.kind) + ", \"loc\": " + heed::jsonString(e.loc) +
                ", \"inputs\": " + heed::jsonString(e.inputs) +
                ", \"outputs\": " + heed::jsonString(e.outputs) + ", \"device\": " + device +
                ", \"depth\": " + std::to_string(e.depth) +
                ", \"function\": " + heed::jsonString(call.function));
  }
  if (truncated)
    json += std::string(first ? "\n" : ",\n") +
            "{\"name\": \"trace truncated: later calls were not recorded\", \"ph\": \"i\", "
            "\"s\": \"g\", \"ts\": 0, \"pid\": 1, \"tid\": 1}";
  json += "\n]}\n";
  std::string error;
  if (!heed::files::writeFileReplacing(path, json, error))
    fail(ErrorKind::notFound, "cannot write trace file: " + error);
}

} // namespace

extern "C" {

const char *heed_last_error(void) { return lastError.c_str(); }

const char *heed_status_name(heed_status s) {
  switch (s) {
  case HEED_OK:
    return "ok";
  case HEED_INVALID_ARGUMENT:
    return "invalid argument";
  case HEED_INVALID_MODULE:
    return "invalid module";
  case HEED_NOT_FOUND:
    return "not found";
  case HEED_UNIMPLEMENTED:
    return "unimplemented";
  case HEED_RUNTIME_ERROR:
    return "runtime error";
  case HEED_OUT_OF_MEMORY:
    return "out of memory";
  case HEED_INTERNAL:
    return "internal error";
  }
  return "unknown status";
}

const char *heed_dtype_name(heed_dtype d) {
  if (int(d) < int(HEED_F32) || int(d) > int(HEED_U64))
    return "?";
  return elemTypeName(ElemType(d));
}

size_t heed_dtype_size(heed_dtype d) {
  if (int(d) < int(HEED_F32) || int(d) > int(HEED_U64))
    return 0;
  return elemTypeSize(ElemType(d));
}

extern "C" {
int omp_get_max_threads();
void omp_set_num_threads(int);
}

namespace {
// 0: OpenMP's default. OpenMP's thread count is a per-thread setting: each call applies this one
// on its own thread (applyThreadSetting), so a setting made on one thread holds for calls from any.
std::atomic<int> threadSetting{0};
int defaultThreads = 0;

void applyThreadSetting() {
  static std::once_flag once;
  std::call_once(once, [] { defaultThreads = omp_get_max_threads(); });
  int n = threadSetting.load();
  int want = n > 0 ? n : defaultThreads;
  if (omp_get_max_threads() != want)
    omp_set_num_threads(want);
}
} // namespace

heed_status heed_set_num_threads(int n) {
  if (n < 0)
    return setError(HEED_INVALID_ARGUMENT,
                    "heed_set_num_threads: " + std::to_string(n) + " threads (give 0 or more)");
  applyThreadSetting(); // records the default before the first change
  threadSetting = n;
  applyThreadSetting();
  return HEED_OK;
}

int heed_get_num_threads(void) {
  applyThreadSetting();
  return omp_get_max_threads();
}

heed_status heed_runtime_create(const char *device, heed_runtime **out) {
  return guard([&] {
    if (!out)
      fail(ErrorKind::invalidArgument, "heed_runtime_create: null output");
    auto rt = std::make_unique<heed_runtime>();
    rt->driver = createDriver(device ? device : "cpu");
    *out = rt.release();
    return HEED_OK;
  });
}

void heed_runtime_destroy(heed_runtime *runtime) { delete runtime; }

heed_status heed_module_load_memory(heed_runtime *runtime, const void *data, size_t size,
                                    const char *name, heed_module **out) {
  return guard([&] {
    if (!runtime || !out || (!data && size))
      fail(ErrorKind::invalidArgument, "heed_module_load_memory: null argument");
    return finishModule(runtime, loadModule(data, size, name ? name : "<memory>"), out);
  });
}

heed_status heed_module_load_file(heed_runtime *runtime, const char *path, heed_module **out) {
  return guard([&] {
    if (!runtime || !path || !out)
      fail(ErrorKind::invalidArgument, "heed_module_load_file: null argument");
    // Mapped read-only: weights are views into the page cache, loaded once and shared.
    std::string error;
    int fd = heed::files::openRegularFile(path, error, "module file");
    if (fd < 0)
      fail(ErrorKind::notFound, error);
    struct stat st;
    if (::fstat(fd, &st) != 0) {
      ::close(fd);
      fail(ErrorKind::notFound, std::string(path) + ": cannot stat module file");
    }
    size_t size = size_t(st.st_size);
    void *map = size ? ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;
    ::close(fd);
    if (map == MAP_FAILED)
      return finishModule(runtime, loadModule("", 0, path), out); // reports the short file
    std::shared_ptr<uint8_t> owner(static_cast<uint8_t *>(map),
                                   [size](uint8_t *p) { ::munmap(p, size); });
    return finishModule(runtime, loadModule(map, size, path, owner), out);
  });
}

void heed_module_destroy(heed_module *module) { delete module; }

size_t heed_module_function_count(const heed_module *module) {
  return module ? module->functions.size() : 0;
}

heed_function *heed_module_function_at(heed_module *module, size_t index) {
  return module && index < module->functions.size() ? &module->functions[index] : nullptr;
}

heed_status heed_module_find_function(heed_module *module, const char *name, heed_function **out) {
  return guard([&] {
    if (!module || !out)
      fail(ErrorKind::invalidArgument, "heed_module_find_function: null argument");
    std::string names;
    for (heed_function &f : module->functions)
      names += (names.empty() ? "" : ", ") + f.function->name;
    if (!name) {
      if (module->functions.size() == 1) {
        *out = &module->functions[0];
        return HEED_OK;
      }
      for (heed_function &f : module->functions)
        if (f.function->name == "main") {
          *out = &f;
          return HEED_OK;
        }
      fail(ErrorKind::invalidArgument, module->module->name + " has several functions (" + names +
                                           "); choose one with --function=NAME");
    }
    for (heed_function &f : module->functions)
      if (f.function->name == name) {
        *out = &f;
        return HEED_OK;
      }
    fail(ErrorKind::notFound,
         module->module->name + " has no function '" + name + "'; it has: " + names);
  });
}

const char *heed_function_name(const heed_function *f) { return f->function->name.c_str(); }
size_t heed_function_input_count(const heed_function *f) { return f->function->inputs.size(); }
size_t heed_function_output_count(const heed_function *f) { return f->function->outputs.size(); }
const char *heed_function_input_name(const heed_function *f, size_t i) {
  return i < f->function->inputNames.size() ? f->function->inputNames[i].c_str() : "";
}
const char *heed_function_output_name(const heed_function *f, size_t i) {
  return i < f->function->outputNames.size() ? f->function->outputNames[i].c_str() : "";
}
const char *heed_function_input_dims(const heed_function *f, size_t i) {
  return i < f->function->inputDims.size() ? f->function->inputDims[i].c_str() : "";
}
const char *heed_function_output_dims(const heed_function *f, size_t i) {
  return i < f->function->outputDims.size() ? f->function->outputDims[i].c_str() : "";
}
const char *heed_function_input_type(const heed_function *f, size_t i) {
  return i < f->function->inputTypes.size() ? f->function->inputTypes[i].c_str() : "";
}
const char *heed_function_output_type(const heed_function *f, size_t i) {
  return i < f->function->outputTypes.size() ? f->function->outputTypes[i].c_str() : "";
}

} // extern "C"

namespace {

/// Input (or output) `index` of `f` and its dim symbols; `call` names the entry point in messages.
/// `dim`, when given, must be below the value's rank.
struct SignatureValue {
  const ValueType &type;
  const std::vector<std::string> &symbols;
  size_t rank() const { return type.scalar ? 0 : type.dims.size(); }
};

template <typename T>
SignatureValue signatureValue(const heed_function *f, bool input, size_t index, const T *out,
                              const char *call, const size_t *dim = nullptr) {
  if (!f || !out)
    fail(ErrorKind::invalidArgument, std::string(call) + ": null argument");
  const Function &fn = *f->function;
  const std::vector<int32_t> &ids = input ? fn.inputs : fn.outputs;
  const char *what = input ? "input" : "output";
  if (index >= ids.size())
    fail(ErrorKind::invalidArgument, std::string(call) + ": " + what + " " + std::to_string(index) +
                                         " is out of range: '" + fn.name + "' has " +
                                         std::to_string(ids.size()) + " " + what + "s");
  SignatureValue v{fn.values[size_t(ids[index])],
                   (input ? fn.inputSymbols : fn.outputSymbols)[index]};
  if (dim && *dim >= v.rank())
    fail(ErrorKind::invalidArgument, std::string(call) + ": dim " + std::to_string(*dim) +
                                         " is out of range: " + what + " " + std::to_string(index) +
                                         " has rank " + std::to_string(v.rank()));
  return v;
}

heed_status signatureDtype(const heed_function *f, bool input, size_t index, heed_dtype *out,
                           const char *call) {
  return guard([&] {
    SignatureValue v = signatureValue(f, input, index, out, call);
    *out = v.type.scalar ? HEED_INDEX : heed_dtype(v.type.type);
    return HEED_OK;
  });
}

heed_status signatureRank(const heed_function *f, bool input, size_t index, size_t *out,
                          const char *call) {
  return guard([&] {
    *out = signatureValue(f, input, index, out, call).rank();
    return HEED_OK;
  });
}

heed_status signatureDim(const heed_function *f, bool input, size_t index, size_t dim, int64_t *out,
                         const char *call) {
  return guard([&] {
    SignatureValue v = signatureValue(f, input, index, out, call, &dim);
    *out = v.type.dims[dim] < 0 ? -1 : v.type.dims[dim];
    return HEED_OK;
  });
}

heed_status signatureDimName(const heed_function *f, bool input, size_t index, size_t dim,
                             const char **out, const char *call) {
  return guard([&] {
    SignatureValue v = signatureValue(f, input, index, out, call, &dim);
    *out = dim < v.symbols.size() ? v.symbols[dim].c_str() : "";
    return HEED_OK;
  });
}

} // namespace

extern "C" {

heed_status heed_function_input_dtype(const heed_function *f, size_t i, heed_dtype *out) {
  return signatureDtype(f, true, i, out, "heed_function_input_dtype");
}
heed_status heed_function_output_dtype(const heed_function *f, size_t i, heed_dtype *out) {
  return signatureDtype(f, false, i, out, "heed_function_output_dtype");
}
heed_status heed_function_input_rank(const heed_function *f, size_t i, size_t *out) {
  return signatureRank(f, true, i, out, "heed_function_input_rank");
}
heed_status heed_function_output_rank(const heed_function *f, size_t i, size_t *out) {
  return signatureRank(f, false, i, out, "heed_function_output_rank");
}
heed_status heed_function_input_dim(const heed_function *f, size_t i, size_t d, int64_t *out) {
  return signatureDim(f, true, i, d, out, "heed_function_input_dim");
}
heed_status heed_function_output_dim(const heed_function *f, size_t i, size_t d, int64_t *out) {
  return signatureDim(f, false, i, d, out, "heed_function_output_dim");
}
heed_status heed_function_input_dim_name(const heed_function *f, size_t i, size_t d,
                                         const char **out) {
  return signatureDimName(f, true, i, d, out, "heed_function_input_dim_name");
}
heed_status heed_function_output_dim_name(const heed_function *f, size_t i, size_t d,
                                          const char **out) {
  return signatureDimName(f, false, i, d, out, "heed_function_output_dim_name");
}

} // extern "C"

namespace {
/// The dims of heed_tensor_create / heed_tensor_wrap's arguments, checked.
std::vector<int64_t> tensorDims(const int64_t *shape, size_t rank, heed_tensor **out,
                                const char *entry) {
  if (!out || (rank && !shape))
    fail(ErrorKind::invalidArgument, std::string(entry) + ": null argument");
  if (rank > 16)
    fail(ErrorKind::invalidArgument, "tensor rank " + std::to_string(rank) + " exceeds 16");
  std::vector<int64_t> dims(shape, shape + rank);
  for (int64_t d : dims)
    if (d < 0)
      fail(ErrorKind::invalidArgument, "negative tensor dimension " + std::to_string(d));
  return dims;
}
} // namespace

extern "C" {

heed_status heed_tensor_create(heed_dtype dtype, const int64_t *shape, size_t rank,
                               const void *data, heed_tensor **out) {
  return guard([&] {
    std::vector<int64_t> dims = tensorDims(shape, rank, out, "heed_tensor_create");
    auto t = std::make_unique<heed_tensor>();
    try {
      t->tensor = makeTensor(toElem(dtype), dims);
    } catch (const Error &e) {
      fail(ErrorKind::invalidArgument, e.what());
    }
    if (data)
      std::memcpy(t->tensor.data, data, t->tensor.bytes());
    *out = t.release();
    return HEED_OK;
  });
}

heed_status heed_tensor_wrap(heed_dtype dtype, const int64_t *shape, size_t rank, const void *data,
                             heed_tensor **out) {
  return guard([&] {
    std::vector<int64_t> dims = tensorDims(shape, rank, out, "heed_tensor_wrap");
    auto t = std::make_unique<heed_tensor>();
    t->wrapped = true;
    t->tensor.type = toElem(dtype);
    t->tensor.shape = std::move(dims);
    size_t bytes;
    try {
      bytes = t->tensor.bytes();
    } catch (const Error &e) {
      fail(ErrorKind::invalidArgument, e.what());
    }
    size_t align = elemTypeSize(t->tensor.type);
    if (bytes && !data)
      fail(ErrorKind::invalidArgument,
           "heed_tensor_wrap: null data for " + std::to_string(bytes) + " bytes");
    if (reinterpret_cast<uintptr_t>(data) % align != 0)
      fail(ErrorKind::invalidArgument,
           "heed_tensor_wrap: data is not aligned to its element size (" + std::to_string(align) +
               " bytes); copy it with heed_tensor_create");
    // Not the runtime's memory: nothing to free. Kernels only read inputs (heed.h).
    auto *p = static_cast<uint8_t *>(const_cast<void *>(data));
    t->tensor.storage = std::shared_ptr<uint8_t>(p, [](uint8_t *) {});
    t->tensor.data = p;
    *out = t.release();
    return HEED_OK;
  });
}

void heed_tensor_destroy(heed_tensor *t) { delete t; }
heed_dtype heed_tensor_dtype(const heed_tensor *t) { return fromElem(t->tensor.type); }
size_t heed_tensor_rank(const heed_tensor *t) { return t->tensor.shape.size(); }
const int64_t *heed_tensor_shape(const heed_tensor *t) { return t->tensor.shape.data(); }
size_t heed_tensor_element_count(const heed_tensor *t) { return size_t(t->tensor.count()); }
size_t heed_tensor_byte_size(const heed_tensor *t) { return t->tensor.bytes(); }
const void *heed_tensor_data(const heed_tensor *t) { return t->tensor.data; }

} // extern "C"

namespace {
/// When the caller's inputs disagree on a dim the module names (heed.dims: "B,L,64"), says so in
/// the caller's terms: "inputs disagree on dim 'L': input 0 ('q') dim 1 is 7, input 2 ('mask')
/// dim 2 is 5". Empty when they agree. The same name in two inputs is a promise of the model's
/// signature (ONNX dim_param, the native format's dims), so a clash is the caller's mistake.
std::string dimClash(const Function &fn, const std::vector<Tensor> &in) {
  struct Seen {
    size_t input, dim;
    int64_t size;
  };
  std::map<std::string, Seen> seen;
  auto describe = [&](const Seen &s) {
    return "input " + std::to_string(s.input) + " ('" + fn.inputNames[s.input] + "') dim " +
           std::to_string(s.dim) + " is " + std::to_string(s.size);
  };
  for (size_t i = 0; i < in.size() && i < fn.inputDims.size(); ++i) {
    std::vector<std::string> names;
    std::string name;
    for (char c : fn.inputDims[i] + ",") {
      if (c != ',') {
        name += c;
        continue;
      }
      names.push_back(name);
      name.clear();
    }
    if (names.size() != in[i].shape.size())
      continue; // no dims recorded, or not this tensor's rank
    for (size_t d = 0; d < names.size(); ++d) {
      const std::string &n = names[d];
      if (n.empty() || n == "?" || std::isdigit(static_cast<unsigned char>(n[0])))
        continue;
      Seen here{i, d, in[i].shape[d]};
      auto [it, inserted] = seen.emplace(n, here);
      if (!inserted && it->second.size != here.size)
        return "inputs disagree on dim '" + n + "': " + describe(it->second) + ", " +
               describe(here);
    }
  }
  return "";
}
} // namespace

extern "C" {} // extern "C"

namespace {
/// FNV-1a over a tensor's bytes.
uint64_t hashBytes(const Tensor &t) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0, n = t.bytes(); i < n; ++i)
    h = (h ^ t.data[i]) * 1099511628211ull;
  return h;
}

/// Guard mode's second check (TensorMemory.h): kernels only read their inputs, which is what
/// lets a caller's buffer be one (heed_tensor_wrap). A change is the runtime's bug, said loudly.
void checkInputsUnchanged(const Function &fn, heed_tensor *const *inputs, size_t count,
                          const std::vector<uint64_t> &before) {
  for (size_t i = 0; i < count; ++i)
    if (hashBytes(inputs[i]->tensor) != before[i])
      fail(ErrorKind::runtime, "HEED_GUARD_ALLOC: function '" + fn.name + "' wrote into input " +
                                   std::to_string(i) + " ('" + fn.inputNames[i] + "')");
}

/// `t`, or a copy of it when it shares a wrapped input's memory (a function returning its input,
/// or a view of it): the caller may change or free that memory once the call returns.
Tensor ownedOutput(const Tensor &t, heed_tensor *const *inputs, size_t count) {
  for (size_t i = 0; i < count; ++i) {
    const Tensor &in = inputs[i]->tensor;
    bool shared = !t.storage.owner_before(in.storage) && !in.storage.owner_before(t.storage);
    if (inputs[i]->wrapped && t.storage && shared) {
      Tensor copy = makeTensor(t.type, t.shape);
      std::memcpy(copy.data, t.data, t.bytes());
      return copy;
    }
  }
  return t;
}
} // namespace

extern "C" {

heed_status heed_function_invoke(heed_function *f, heed_tensor *const *inputs, size_t inputCount,
                                 heed_tensor **outputs, size_t outputCount) {
  return guard([&] {
    if (!f || (inputCount && !inputs) || (outputCount && !outputs))
      fail(ErrorKind::invalidArgument, "heed_function_invoke: null argument");
    const Function &fn = *f->function;
    if (inputCount != fn.inputs.size())
      fail(ErrorKind::invalidArgument, "function '" + fn.name + "' expects " +
                                           std::to_string(fn.inputs.size()) + " inputs, got " +
                                           std::to_string(inputCount));
    if (outputCount != fn.outputs.size())
      fail(ErrorKind::invalidArgument,
           "function '" + fn.name + "' has " + std::to_string(fn.outputs.size()) +
               " outputs, the caller asked for " + std::to_string(outputCount));
    std::vector<Tensor> in;
    for (size_t i = 0; i < inputCount; ++i) {
      if (!inputs[i])
        fail(ErrorKind::invalidArgument, "input " + std::to_string(i) + " is null");
      const Tensor &t = inputs[i]->tensor;
      const ValueType &vt = fn.values[size_t(fn.inputs[i])];
      std::string what = "input " + std::to_string(i) + " ('" + fn.inputNames[i] +
                         "') of function '" + fn.name + "' expects " + vt.str() + ", got " +
                         shapeString(t.shape, t.type);
      if (vt.scalar) {
        if (t.rank() != 0 || (t.type != ElemType::i64 && t.type != ElemType::i32))
          fail(ErrorKind::invalidArgument, what + " (pass an index as a rank-0 i64)");
      } else {
        if (t.type != vt.type || t.shape.size() != vt.dims.size())
          fail(ErrorKind::invalidArgument, what);
        for (size_t d = 0; d < vt.dims.size(); ++d)
          if (vt.dims[d] >= 0 && vt.dims[d] != t.shape[d])
            fail(ErrorKind::invalidArgument, what + " (dim " + std::to_string(d) + ")");
      }
      in.push_back(t);
    }
    // A dim name shared by two inputs is a promise of the model's signature that the compiler's
    // proofs use (fusion::dimOrigin): inputs that break it are refused before anything runs.
    if (std::string clash = dimClash(fn, in); !clash.empty())
      fail(ErrorKind::invalidArgument, clash);
    std::vector<uint64_t> inputHashes;
    if (guardAllocation())
      for (const Tensor &t : in)
        inputHashes.push_back(hashBytes(t));
    applyThreadSetting();
    RuntimeTrace &trace = f->module->runtime->trace;
    auto start = std::chrono::steady_clock::now();
    std::vector<Tensor> out =
        f->module->runtime->driver->invoke(*f->module->module, fn, in, f->stats);
    if (trace.on) {
      auto us = [](auto d) { return std::chrono::duration<double, std::micro>(d).count(); };
      if (trace.ops + f->stats.trace.size() > RuntimeTrace::kMaxOps) {
        trace.truncated = true;
      } else {
        trace.ops += f->stats.trace.size();
        trace.calls.push_back({fn.name, us(start - trace.start),
                               us(std::chrono::steady_clock::now() - start), f->stats.trace});
      }
    }
    if (guardAllocation())
      checkInputsUnchanged(fn, inputs, inputCount, inputHashes);
    for (size_t i = 0; i < outputCount; ++i)
      outputs[i] = nullptr;
    for (size_t i = 0; i < outputCount; ++i) {
      auto t = std::make_unique<heed_tensor>();
      t->tensor = ownedOutput(out[i], inputs, inputCount);
      outputs[i] = t.release();
    }
    return HEED_OK;
  });
}

heed_status heed_function_stats(const heed_function *f, heed_stats *out) {
  if (!f || !out)
    return setError(HEED_INVALID_ARGUMENT, "heed_function_stats: null argument");
  out->ops_executed = f->stats.opsExecuted;
  out->bytes_allocated = f->stats.bytesAllocated;
  out->peak_bytes = f->stats.peakBytes;
  out->pool_hits = f->stats.poolHits;
  return HEED_OK;
}

size_t heed_function_profile_count(const heed_function *f) {
  return f ? f->stats.profile.size() : 0;
}

heed_status heed_function_profile_entry(const heed_function *f, size_t index, const char **kind,
                                        double *milliseconds, uint64_t *calls) {
  if (!f || index >= f->stats.profile.size())
    return setError(HEED_INVALID_ARGUMENT, "heed_function_profile_entry: no such entry");
  const OpProfile &p = f->stats.profile[index];
  if (kind)
    *kind = p.kind.c_str();
  if (milliseconds)
    *milliseconds = p.milliseconds;
  if (calls)
    *calls = p.calls;
  return HEED_OK;
}

heed_status heed_runtime_set_tracing(heed_runtime *runtime, int enabled) {
  if (!runtime)
    return setError(HEED_INVALID_ARGUMENT, "heed_runtime_set_tracing: null runtime");
  runtime->driver->setTracing(enabled != 0);
  RuntimeTrace &trace = runtime->trace;
  if (enabled && !trace.on) { // a new time line; switching off keeps it for writing
    trace.calls.clear();
    trace.ops = 0;
    trace.truncated = false;
    trace.start = std::chrono::steady_clock::now();
  }
  trace.on = enabled != 0;
  return HEED_OK;
}

heed_status heed_function_write_trace(const heed_function *f, const char *path) {
  if (!f || !path)
    return setError(HEED_INVALID_ARGUMENT, "heed_function_write_trace: null argument");
  return guard([&] {
    RuntimeTrace::Call last{f->function->name, 0, 0, f->stats.trace};
    writeChromeTrace(path, f->module->runtime->driver->name(), {last}, false, false);
    return HEED_OK;
  });
}

heed_status heed_runtime_write_trace(const heed_runtime *runtime, const char *path) {
  if (!runtime || !path)
    return setError(HEED_INVALID_ARGUMENT, "heed_runtime_write_trace: null argument");
  return guard([&] {
    const RuntimeTrace &trace = runtime->trace;
    writeChromeTrace(path, runtime->driver->name(), trace.calls, true, trace.truncated);
    return HEED_OK;
  });
}

} // extern "C"
