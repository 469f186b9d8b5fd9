//===- HeedPython.cpp - The heed._heed extension module -------------------===//
//
// Python's view of the runtime's C API (heed.hpp) and of the compiler, in-process. What users
// import is the pure-Python package heed/ (heed/__init__.py), which builds on these classes:
//   Module      module bytes plus one loaded copy per device, made on first use;
//   Function    one entry point; calling it passes C-contiguous aligned numpy arrays to the
//               runtime without a copy (heed_tensor_wrap; others are copied once) and returns
//               numpy arrays that own the runtime's output buffers (no copy either);
//   Decoder     heed_decoder (translate / score) for heed.Translator;
//   SentencePiece  runtime/text's tokenizer, for heed.Translator's SentencePiece models
//               (HeedPythonText.cpp).
// The GIL is released while the runtime works. The runtime serialises calls on one device's
// runtime, so one Module or Function may be called from several Python threads at once.
//
//===----------------------------------------------------------------------===//

#include "compiler/driver/CompileModel.h"
#include "compiler/driver/Driver.h"
#include "heed/heed.hpp"

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <atomic>
#include <cctype>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace py = pybind11;

namespace heedpython {
void bindText(py::module_ &m, void (*raise)(const std::string &));
} // namespace heedpython

namespace {

// heed.Error (set by the package: a subclass of RuntimeError); RuntimeError until then.
py::object errorType = py::reinterpret_borrow<py::object>(PyExc_RuntimeError);

[[noreturn]] void raise(const std::string &message) {
  PyErr_SetString(errorType.ptr(), message.c_str());
  throw py::error_already_set();
}

void check(const heed::Status &st, const std::string &where = "") {
  if (!st)
    raise(where.empty() ? st.message : where + ": " + st.message);
}

struct DtypeMap {
  heed_dtype heed;
  const char *numpy; // numpy's dtype name (bf16 travels as uint16 bits)
};
constexpr DtypeMap kDtypes[] = {{HEED_F32, "float32"}, {HEED_F64, "float64"}, {HEED_F16, "float16"},
                                {HEED_BF16, "uint16"}, {HEED_I32, "int32"},   {HEED_I64, "int64"},
                                {HEED_BOOL, "bool"},   {HEED_U8, "uint8"},    {HEED_U32, "uint32"},
                                {HEED_U64, "uint64"}};

py::dtype numpyDtype(heed_dtype d) {
  for (const DtypeMap &m : kDtypes)
    if (m.heed == d)
      return py::dtype(m.numpy);
  raise("unknown element type " + std::to_string(int(d)));
}

/// The runtime's element type of a numpy array, by numpy's kind and item size (of either byte
/// order); `want` breaks the tie for uint16 (bf16 bits).
heed_dtype heedDtype(const py::dtype &dt, heed_dtype want) {
  struct Kind {
    char kind;
    py::ssize_t size;
    heed_dtype heed;
  };
  static constexpr Kind kKinds[] = {{'f', 4, HEED_F32}, {'f', 8, HEED_F64}, {'f', 2, HEED_F16},
                                    {'i', 4, HEED_I32}, {'i', 8, HEED_I64}, {'b', 1, HEED_BOOL},
                                    {'u', 1, HEED_U8},  {'u', 4, HEED_U32}, {'u', 8, HEED_U64}};
  char kind = dt.kind();
  py::ssize_t size = dt.itemsize();
  if (want == HEED_BF16 && kind == 'u' && size == 2)
    return HEED_BF16;
  for (const Kind &k : kKinds)
    if (k.kind == kind && k.size == size)
      return k.heed;
  raise("numpy dtype " + py::str(dt).cast<std::string>() + " has no Heed element type");
}

/// Whether the runtime can read an array's memory as it is: C order, aligned to its element size,
/// in this machine's byte order (numpy's '=' or '|', or the explicit native one).
bool readableInPlace(const py::array &a) {
  int flags = py::detail::array_proxy(a.ptr())->flags;
  constexpr int need =
      py::detail::npy_api::NPY_ARRAY_C_CONTIGUOUS_ | py::detail::npy_api::NPY_ARRAY_ALIGNED_;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  constexpr char swapped = '>';
#else
  constexpr char swapped = '<';
#endif
  return (flags & need) == need && a.dtype().byteorder() != swapped;
}

/// What heed._debug_input_stats() reports: inputs passed without a copy and inputs copied since
/// the process started, and the data addresses the runtime was given on this thread's last call
/// (the tests compare them with the arrays' own).
std::atomic<uint64_t> inputsWrapped{0}, inputsCopied{0};
thread_local std::vector<uintptr_t> lastInputData;

/// One device's loaded copy of a module.
struct Loaded {
  heed::Runtime runtime;
  heed::Module module;
};

class Module {
public:
  Module(std::string bytes, std::string name) : bytes(std::move(bytes)), name(std::move(name)) {
    std::shared_ptr<Loaded> cpu = loaded("cpu");
    for (size_t i = 0; i < cpu->module.functionCount(); ++i)
      names.push_back(cpu->module.functionAt(i).name());
  }

  /// The module loaded on `device` (made once per device; thread safe). Callers hold it while
  /// they use it, so close() on another thread cannot free it under them.
  std::shared_ptr<Loaded> loaded(const std::string &device) {
    std::lock_guard<std::mutex> lock(mutex);
    if (closed)
      raise("module '" + name + "' is closed");
    std::shared_ptr<Loaded> &slot = devices[device];
    if (!slot) {
      auto l = std::make_shared<Loaded>();
      check(heed::Runtime::create(device, l->runtime));
      check(l->runtime.load(bytes.data(), bytes.size(), name, l->module));
      slot = std::move(l);
    }
    return slot;
  }

  /// Frees the loaded copies (once calls in flight end); later calls raise heed.Error. Arrays
  /// already returned stay valid (they own their buffers).
  void close() {
    std::lock_guard<std::mutex> lock(mutex);
    closed = true;
    devices.clear();
  }
  bool isClosed() {
    std::lock_guard<std::mutex> lock(mutex);
    return closed;
  }

  std::string bytes, name;
  std::vector<std::string> names;

private:
  std::mutex mutex;
  bool closed = false;
  std::map<std::string, std::shared_ptr<Loaded>> devices;
};

/// A module's entry point; holds its module alive.
class Function {
public:
  /// One input or output, read once from the typed signature: the declared element type (an
  /// index is an i64 scalar) and, per dim, its static size or the model's symbol (heed.dims) or
  /// nothing.
  struct Value {
    std::string name;
    heed_dtype dtype = HEED_F32;
    py::tuple dims;
  };

  Function(std::shared_ptr<Module> module, const std::string &name)
      : module(std::move(module)), fname(name) {
    std::shared_ptr<Loaded> cpu = this->module->loaded("cpu");
    heed::Function f = function(*cpu);
    for (size_t i = 0; i < f.inputCount(); ++i)
      inputs.push_back(value(f, true, i));
    for (size_t i = 0; i < f.outputCount(); ++i)
      outputs.push_back(value(f, false, i));
  }

  /// tensor<?x4xf32> with heed.dims "B,4" -> f32, ("B", 4); index -> an i64 scalar.
  static Value value(const heed::Function &f, bool input, size_t i) {
    heed::ValueInfo info;
    check(input ? f.input(i, info) : f.output(i, info));
    Value v{input ? f.inputName(i) : f.outputName(i), info.isIndex() ? HEED_I64 : info.dtype,
            py::tuple()};
    py::list dims;
    for (size_t d = 0; d < info.dims.size(); ++d) {
      if (info.dims[d] >= 0)
        dims.append(info.dims[d]);
      else if (!info.dimNames[d].empty())
        dims.append(info.dimNames[d]);
      else
        dims.append(py::none());
    }
    v.dims = py::tuple(dims);
    return v;
  }

  /// This function in one loaded copy of the module (valid while that copy is held).
  heed::Function function(Loaded &loaded) {
    heed::Function f;
    check(loaded.module.function(fname, f), module->name);
    return f;
  }

  py::object call(py::tuple args, const std::string &device, py::dict named) {
    size_t n = inputs.size();
    std::vector<py::object> given(n);
    size_t next = 0;
    for (py::handle a : args) {
      if (next >= n)
        raise("function '" + fname + "' takes " + std::to_string(n) + " inputs, got " +
              std::to_string(args.size() + named.size()));
      given[next++] = py::reinterpret_borrow<py::object>(a);
    }
    for (auto [key, value] : named) {
      std::string k = key.cast<std::string>();
      size_t i = 0;
      while (i < n && inputs[i].name != k)
        ++i;
      if (i == n)
        raise("function '" + fname + "' has no input named '" + k + "'");
      if (given[i])
        raise("function '" + fname + "': input '" + k + "' given twice");
      given[i] = py::reinterpret_borrow<py::object>(value);
    }
    // Arrays the tensors read in place (made here from lists, or given): alive until they go.
    std::vector<py::array> arrays;
    std::vector<heed::Tensor> tensors;
    std::vector<const heed::Tensor *> in;
    lastInputData.clear();
    for (size_t i = 0; i < n; ++i) {
      if (!given[i])
        raise("function '" + fname + "' takes " + std::to_string(n) + " inputs; input " +
              std::to_string(i) + " ('" + inputs[i].name + "') is missing");
      tensors.push_back(toTensor(i, given[i], arrays));
      lastInputData.push_back(reinterpret_cast<uintptr_t>(tensors.back().data<uint8_t>()));
    }
    for (const heed::Tensor &t : tensors)
      in.push_back(&t);
    std::shared_ptr<Loaded> loaded = module->loaded(device);
    heed::Function f = function(*loaded);
    std::vector<heed::Tensor> out;
    heed::Status st;
    {
      py::gil_scoped_release release;
      st = f.invoke(in, out);
    }
    check(st);
    if (out.size() == 1)
      return toArray(std::move(out[0]));
    py::tuple result(out.size());
    for (size_t i = 0; i < out.size(); ++i)
      result[i] = toArray(std::move(out[i]));
    return std::move(result);
  }

  std::shared_ptr<Module> module;
  std::string fname;
  std::vector<Value> inputs, outputs;

private:
  /// An array as it is; anything else (a list, a number) made an array of input `i`'s dtype.
  py::array asArray(size_t i, const py::object &value) {
    if (py::isinstance<py::array>(value))
      return py::reinterpret_borrow<py::array>(value);
    try {
      return py::module_::import("numpy").attr("asarray")(value, numpyDtype(inputs[i].dtype));
    } catch (py::error_already_set &e) {
      raise("input " + std::to_string(i) + " ('" + inputs[i].name +
            "') is not an array: " + e.what());
    }
  }

  /// Input `i` as a runtime tensor: over the array's memory when the runtime can read it in place
  /// (kept alive in `arrays` for the call), else a copy in the runtime's memory, made by numpy's
  /// copyto (strides, misalignment and byte order in one pass).
  heed::Tensor toTensor(size_t i, const py::object &value, std::vector<py::array> &arrays) {
    py::array a = asArray(i, value);
    heed_dtype dtype = heedDtype(a.dtype(), inputs[i].dtype);
    std::vector<int64_t> shape(a.shape(), a.shape() + a.ndim());
    heed::Tensor t;
    if (readableInPlace(a)) {
      t = heed::Tensor::wrap(dtype, shape, a.data());
      arrays.push_back(std::move(a));
      ++inputsWrapped;
    } else {
      t = heed::Tensor::make(dtype, shape);
      if (t) {
        std::vector<py::ssize_t> dims(shape.begin(), shape.end());
        py::dtype native = a.dtype().attr("newbyteorder")("=");
        // A view of the new tensor's memory, which only this call knows yet.
        py::array into(native, dims, const_cast<uint8_t *>(t.data<uint8_t>()), py::capsule(&t));
        py::module_::import("numpy").attr("copyto")(into, a);
      }
      ++inputsCopied;
    }
    if (!t)
      raise("input " + std::to_string(i) + " ('" + inputs[i].name + "'): " + heed_last_error());
    return t;
  }

  /// A numpy array over the tensor's buffer, owning the tensor (freed with the array).
  static py::array toArray(heed::Tensor t) {
    auto *owned = new heed::Tensor(std::move(t));
    py::capsule owner(owned, [](void *p) { delete static_cast<heed::Tensor *>(p); });
    std::vector<int64_t> dims = owned->shape();
    std::vector<py::ssize_t> shape(dims.begin(), dims.end());
    py::array a(numpyDtype(owned->dtype()), shape, owned->data<uint8_t>(), owner);
    // The buffer may be a module constant shared with other calls: read-only.
    py::detail::array_proxy(a.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
    return a;
  }
};

/// heed_decoder over a module's encode / decode_step on one device.
class Decoder {
public:
  Decoder(std::shared_ptr<Module> module, const std::string &device)
      : module(std::move(module)), loaded(this->module->loaded(device)) {
    check(heed::Decoder::create(loaded->module, decoder), this->module->name);
  }

  /// `targetPrefix`: empty, or one (possibly empty) token list per source.
  py::list translate(const std::vector<std::vector<int64_t>> &sources, heed_decode_options options,
                     const std::vector<std::vector<int64_t>> &targetPrefix) {
    std::vector<std::vector<heed::Hypothesis>> hyps;
    std::vector<const int64_t *> prefixIds;
    std::vector<size_t> prefixLengths;
    for (const auto &p : targetPrefix) {
      prefixIds.push_back(p.data());
      prefixLengths.push_back(p.size());
    }
    if (!targetPrefix.empty()) {
      if (targetPrefix.size() != sources.size())
        check(heed::Status{HEED_INVALID_ARGUMENT,
                           "target_prefix has " + std::to_string(targetPrefix.size()) +
                               " entries for " + std::to_string(sources.size()) + " sources"});
      options.target_prefix = prefixIds.data();
      options.target_prefix_lengths = prefixLengths.data();
    }
    checkOpen();
    heed::Status st;
    {
      py::gil_scoped_release release;
      st = decoder.translate(sources, options, hyps);
    }
    check(st);
    py::list result;
    for (const auto &list : hyps) {
      py::list entries;
      for (const heed::Hypothesis &h : list) {
        py::array_t<float> attention({h.attentionRows, h.attentionCols});
        std::copy(h.attention.begin(), h.attention.end(), attention.mutable_data());
        entries.append(
            py::make_tuple(h.tokens, h.score, h.logProb, h.ended, h.tokenLogProbs, attention));
      }
      result.append(entries);
    }
    return result;
  }

  py::list score(const std::vector<std::vector<int64_t>> &sources,
                 const std::vector<std::vector<int64_t>> &targets,
                 const heed_decode_options &options) {
    std::vector<heed::Scored> scored;
    checkOpen();
    heed::Status st;
    {
      py::gil_scoped_release release;
      st = decoder.score(sources, targets, options, scored);
    }
    check(st);
    py::list result;
    for (const heed::Scored &s : scored)
      result.append(py::make_tuple(s.tokenLogProbs, s.logLikelihood));
    return result;
  }

  int64_t vocabSize() const { return decoder.vocabSize(); }

private:
  /// A closed module refuses to decode too (the decoder keeps its loaded copy alive meanwhile).
  void checkOpen() {
    if (module->isClosed())
      raise("module '" + module->name + "' is closed");
  }

  std::shared_ptr<Module> module;
  std::shared_ptr<Loaded> loaded;
  heed::Decoder decoder;
};

/// (name, type, dims) tuples for heed.Value.
py::list describe(const std::vector<Function::Value> &values) {
  py::list l;
  for (const Function::Value &v : values)
    l.append(py::make_tuple(
        v.name, v.dtype == HEED_BF16 ? py::str("bfloat16") : py::str(numpyDtype(v.dtype)), v.dims));
  return l;
}

std::shared_ptr<Module> compile(const std::string &path, const std::string &target,
                                const std::string &maskedRows, bool fusion,
                                const std::string &decoder, const std::vector<std::string> &binds) {
  mlir::heed::PipelineOptions options;
  options.fuse = fusion;
  options.maskedRows = maskedRows;
  std::string bytes, diagnostics;
  llvm::raw_string_ostream os(diagnostics);
  bool ok;
  {
    py::gil_scoped_release release;
    ok = mlir::succeeded(
        mlir::heed::compileModel(path, options, target, bytes, &os, decoder, binds));
  }
  if (!ok) {
    while (!diagnostics.empty() && diagnostics.back() == '\n')
      diagnostics.pop_back();
    raise(diagnostics.empty() ? "cannot compile '" + path + "'" : diagnostics);
  }
  return std::make_shared<Module>(std::move(bytes), path);
}

} // namespace

PYBIND11_MODULE(_heed, m) {
  m.doc() = "Heed's runtime and compiler (use the heed package, not this module)";
  m.def("_set_error_type", [](py::object type) { errorType = std::move(type); });
  m.def("compile", &compile, py::arg("path"), py::arg("target"), py::arg("masked_rows"),
        py::arg("fusion"), py::arg("decoder"), py::arg("binds"));
  m.def("load_bytes", [](py::bytes b, const std::string &name) {
    return std::make_shared<Module>(std::string(b), name);
  });
  m.def("set_num_threads", [](int n) {
    if (heed_set_num_threads(n) != HEED_OK)
      raise(heed_last_error());
  });
  m.def("get_num_threads", [] { return heed_get_num_threads(); });
  m.def("debug_input_stats", [] {
    py::dict d;
    d["wrapped"] = inputsWrapped.load();
    d["copied"] = inputsCopied.load();
    d["last_call_data"] = lastInputData;
    return d;
  });

  py::class_<Module, std::shared_ptr<Module>>(m, "Module")
      .def_readonly("functions", &Module::names)
      .def_readonly("name", &Module::name)
      .def("to_bytes", [](const Module &self) { return py::bytes(self.bytes); })
      .def("close", &Module::close)
      .def_property_readonly("closed", &Module::isClosed)
      // Through the tools' safe writer: never through a link, a FIFO or a device.
      .def("save",
           [](const Module &self, const std::string &path) {
             std::string error;
             if (!mlir::heed::writeOutputFile(path, self.bytes, error))
               raise(error);
           })
      .def("function", [](std::shared_ptr<Module> self, const std::string &name) {
        return Function(std::move(self), name);
      });

  py::class_<Function>(m, "Function")
      .def_readonly("name", &Function::fname)
      .def_property_readonly("module", [](const Function &f) { return f.module; })
      .def_property_readonly("inputs", [](const Function &f) { return describe(f.inputs); })
      .def_property_readonly("outputs", [](const Function &f) { return describe(f.outputs); })
      .def("call", &Function::call, py::arg("args"), py::arg("device"), py::arg("named"));

  py::class_<heed_decode_options>(m, "DecodeOptions")
      .def(py::init([] {
        heed_decode_options o;
        heed_decode_options_init(&o);
        return o;
      }))
      .def_readwrite("bos", &heed_decode_options::bos)
      .def_readwrite("eos", &heed_decode_options::eos)
      .def_readwrite("pad", &heed_decode_options::pad)
      .def_readwrite("beam", &heed_decode_options::beam)
      .def_readwrite("n_best", &heed_decode_options::n_best)
      .def_readwrite("max_length", &heed_decode_options::max_length)
      .def_readwrite("length_penalty", &heed_decode_options::length_penalty)
      .def_readwrite("early_stop", &heed_decode_options::early_stop)
      .def_readwrite("attention", &heed_decode_options::attention)
      .def_readwrite("batch_size", &heed_decode_options::batch_size)
      .def_readwrite("max_batch_tokens", &heed_decode_options::max_batch_tokens)
      .def_readwrite("sampling_topk", &heed_decode_options::sampling_topk)
      .def_readwrite("sampling_topp", &heed_decode_options::sampling_topp)
      .def_readwrite("sampling_temperature", &heed_decode_options::sampling_temperature)
      .def_readwrite("seed", &heed_decode_options::seed)
      .def_readwrite("min_length", &heed_decode_options::min_length)
      .def_readwrite("repetition_penalty", &heed_decode_options::repetition_penalty)
      .def_readwrite("no_repeat_ngram_size", &heed_decode_options::no_repeat_ngram_size);

  py::class_<Decoder>(m, "Decoder")
      .def(py::init<std::shared_ptr<Module>, const std::string &>())
      .def("translate", &Decoder::translate)
      .def("score", &Decoder::score)
      .def_property_readonly("vocab_size", &Decoder::vocabSize);

  heedpython::bindText(m, raise);
}
