//===- heed.hpp - A thin C++ wrapper over the Heed runtime C API -*- C++ -*-===//
//
// RAII handles over heed.h. Nothing here throws: every fallible call returns a
// heed::Status (code + message), so the wrapper works in -fno-exceptions code.
//
//   heed::Runtime rt;
//   if (auto st = heed::Runtime::create("cpu", rt); !st) { puts(st.message.c_str()); }
//   heed::Module m;
//   st = rt.load("model.heedm", m);
//   heed::Function f;
//   st = m.function("encode", f);
//   std::vector<heed::Tensor> outs;
//   st = f.invoke({heed::Tensor::make(HEED_F32, {2, 3}, data)}, outs);
//
//===----------------------------------------------------------------------===//

#ifndef HEED_HEED_HPP
#define HEED_HEED_HPP

#include "heed/heed.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace heed {

struct Status {
  heed_status code = HEED_OK;
  std::string message;
  explicit operator bool() const { return code == HEED_OK; }
  static Status last(heed_status code) {
    return code == HEED_OK ? Status() : Status{code, heed_last_error()};
  }
};

/// Owns a heed_tensor.
class Tensor {
public:
  Tensor() = default;
  explicit Tensor(heed_tensor *t) : t(t) {}
  Tensor(Tensor &&o) noexcept : t(std::exchange(o.t, nullptr)) {}
  Tensor &operator=(Tensor &&o) noexcept {
    std::swap(t, o.t);
    return *this;
  }
  Tensor(const Tensor &) = delete;
  Tensor &operator=(const Tensor &) = delete;
  ~Tensor() { heed_tensor_destroy(t); }

  /// A tensor with a copy of `data` (zeros when null); an empty Tensor on error.
  static Tensor make(heed_dtype dtype, const std::vector<int64_t> &shape,
                     const void *data = nullptr) {
    heed_tensor *out = nullptr;
    heed_tensor_create(dtype, shape.data(), shape.size(), data, &out);
    return Tensor(out);
  }

  explicit operator bool() const { return t != nullptr; }
  heed_tensor *get() const { return t; }
  heed_dtype dtype() const { return heed_tensor_dtype(t); }
  std::vector<int64_t> shape() const {
    return {heed_tensor_shape(t), heed_tensor_shape(t) + heed_tensor_rank(t)};
  }
  size_t count() const { return heed_tensor_element_count(t); }
  size_t bytes() const { return heed_tensor_byte_size(t); }
  template <typename T> const T *data() const {
    return static_cast<const T *>(heed_tensor_data(t));
  }

private:
  heed_tensor *t = nullptr;
};

/// Borrowed from its Module; valid while the Module lives.
class Function {
public:
  Function() = default;
  explicit Function(heed_function *f) : f(f) {}
  explicit operator bool() const { return f != nullptr; }
  std::string name() const { return heed_function_name(f); }
  size_t inputCount() const { return heed_function_input_count(f); }
  size_t outputCount() const { return heed_function_output_count(f); }
  std::string inputName(size_t i) const { return heed_function_input_name(f, i); }
  std::string inputType(size_t i) const { return heed_function_input_type(f, i); }
  std::string outputName(size_t i) const { return heed_function_output_name(f, i); }
  std::string inputDims(size_t i) const { return heed_function_input_dims(f, i); }
  std::string outputDims(size_t i) const { return heed_function_output_dims(f, i); }
  std::string outputType(size_t i) const { return heed_function_output_type(f, i); }

  Status invoke(const std::vector<const Tensor *> &inputs, std::vector<Tensor> &outputs) const {
    std::vector<heed_tensor *> in;
    for (const Tensor *t : inputs)
      in.push_back(t ? t->get() : nullptr);
    std::vector<heed_tensor *> out(outputCount(), nullptr);
    heed_status st = heed_function_invoke(f, in.data(), in.size(), out.data(), out.size());
    outputs.clear();
    if (st == HEED_OK)
      for (heed_tensor *t : out)
        outputs.emplace_back(t);
    return Status::last(st);
  }
  Status stats(heed_stats &out) const { return Status::last(heed_function_stats(f, &out)); }

private:
  heed_function *f = nullptr;
};

class Module {
public:
  Module() = default;
  Module(Module &&o) noexcept : m(std::exchange(o.m, nullptr)) {}
  Module &operator=(Module &&o) noexcept {
    std::swap(m, o.m);
    return *this;
  }
  Module(const Module &) = delete;
  Module &operator=(const Module &) = delete;
  ~Module() { heed_module_destroy(m); }

  explicit operator bool() const { return m != nullptr; }
  heed_module *get() const { return m; }
  size_t functionCount() const { return heed_module_function_count(m); }
  Function functionAt(size_t i) const { return Function(heed_module_function_at(m, i)); }
  /// `name` empty: the only function, or `main`.
  Status function(const std::string &name, Function &out) const {
    heed_function *f = nullptr;
    heed_status st = heed_module_find_function(m, name.empty() ? nullptr : name.c_str(), &f);
    out = Function(f);
    return Status::last(st);
  }

private:
  friend class Runtime;
  heed_module *m = nullptr;
};

class Runtime {
public:
  Runtime() = default;
  Runtime(Runtime &&o) noexcept : r(std::exchange(o.r, nullptr)) {}
  Runtime &operator=(Runtime &&o) noexcept {
    std::swap(r, o.r);
    return *this;
  }
  Runtime(const Runtime &) = delete;
  Runtime &operator=(const Runtime &) = delete;
  ~Runtime() { heed_runtime_destroy(r); }

  static Status create(const std::string &device, Runtime &out) {
    heed_runtime *r = nullptr;
    heed_status st = heed_runtime_create(device.c_str(), &r);
    out = Runtime();
    out.r = r;
    return Status::last(st);
  }
  explicit operator bool() const { return r != nullptr; }
  heed_runtime *get() const { return r; }

  /// The Module must not outlive this Runtime.
  Status load(const std::string &path, Module &out) const {
    Module m;
    heed_status st = heed_module_load_file(r, path.c_str(), &m.m);
    out = std::move(m);
    return Status::last(st);
  }
  Status load(const void *data, size_t size, const std::string &name, Module &out) const {
    Module m;
    heed_status st = heed_module_load_memory(r, data, size, name.c_str(), &m.m);
    out = std::move(m);
    return Status::last(st);
  }

private:
  heed_runtime *r = nullptr;
};

} // namespace heed

#endif // HEED_HEED_HPP
