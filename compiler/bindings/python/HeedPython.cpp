//===- HeedPython.cpp - The heed._heed extension module -------------------===//
//
// Python's view of the runtime's C API (heed.hpp) and of the compiler, in-process. What users
// import is the pure-Python package heed/ (heed/__init__.py), which builds on these classes:
//   Module      module bytes plus one loaded copy per device, made on first use;
//   Function    one entry point; calling it converts numpy arrays to runtime tensors and the
//               outputs back to numpy arrays that own the runtime's buffers (no copy);
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

/// The runtime's element type of a numpy array; `want` breaks the tie for uint16 (bf16 bits).
heed_dtype heedDtype(const py::array &a, heed_dtype want) {
  std::string name = py::str(a.dtype()).cast<std::string>();
  if (want == HEED_BF16 && name == "uint16")
    return HEED_BF16;
  for (const DtypeMap &m : kDtypes)
    if (m.heed != HEED_BF16 && name == m.numpy)
      return m.heed;
  raise("numpy dtype " + name + " has no Heed element type");
}

/// One device's loaded copy of a module.
struct Loaded {
  heed::Runtime runtime;
  heed::Module module;
};

class Module {
public:
  Module(std::string bytes, std::string name) : bytes(std::move(bytes)), name(std::move(name)) {
    Loaded &cpu = loaded("cpu");
    for (size_t i = 0; i < cpu.module.functionCount(); ++i)
      names.push_back(cpu.module.functionAt(i).name());
  }

  /// The module loaded on `device` (made once per device; thread safe).
  Loaded &loaded(const std::string &device) {
    std::lock_guard<std::mutex> lock(mutex);
    std::unique_ptr<Loaded> &slot = devices[device];
    if (!slot) {
      auto l = std::make_unique<Loaded>();
      check(heed::Runtime::create(device, l->runtime));
      check(l->runtime.load(bytes.data(), bytes.size(), name, l->module));
      slot = std::move(l);
    }
    return *slot;
  }

  std::string bytes, name;
  std::vector<std::string> names;

private:
  std::mutex mutex;
  std::map<std::string, std::unique_ptr<Loaded>> devices;
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
    heed::Function f = function("cpu");
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

  heed::Function function(const std::string &device) {
    heed::Function f;
    check(module->loaded(device).module.function(fname, f), module->name);
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
    std::vector<heed::Tensor> tensors;
    std::vector<const heed::Tensor *> in;
    for (size_t i = 0; i < n; ++i) {
      if (!given[i])
        raise("function '" + fname + "' takes " + std::to_string(n) + " inputs; input " +
              std::to_string(i) + " ('" + inputs[i].name + "') is missing");
      tensors.push_back(toTensor(i, given[i]));
    }
    for (const heed::Tensor &t : tensors)
      in.push_back(&t);
    heed::Function f = function(device);
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
  heed::Tensor toTensor(size_t i, const py::object &value) {
    heed_dtype want = inputs[i].dtype;
    py::array a = py::array::ensure(value, py::array::c_style);
    if (!a)
      raise("input " + std::to_string(i) + " ('" + inputs[i].name + "') is not an array");
    heed_dtype dtype = heedDtype(a, want);
    std::vector<int64_t> shape(a.shape(), a.shape() + a.ndim());
    heed::Tensor t = heed::Tensor::make(dtype, shape, a.data());
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
      : module(std::move(module)), device(device) {
    check(heed::Decoder::create(this->module->loaded(device).module, decoder), this->module->name);
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
  std::shared_ptr<Module> module;
  std::string device;
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

  py::class_<Module, std::shared_ptr<Module>>(m, "Module")
      .def_readonly("functions", &Module::names)
      .def_readonly("name", &Module::name)
      .def("to_bytes", [](const Module &self) { return py::bytes(self.bytes); })
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
