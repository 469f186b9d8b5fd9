//===- Dnnl.cpp - oneDNN primitives for the CPU driver --------------------===//

#include "runtime/drivers/cpu/Dnnl.h"

#include "runtime/drivers/cpu/DnnlCache.h"

#include <atomic>

namespace heed::rt::cpu::dnnl {
namespace {

using ::dnnl::algorithm;
using ::dnnl::memory;
using ::dnnl::primitive;
using ::dnnl::prop_kind;

} // namespace

Cache &cache() {
  static Cache *c = new Cache; // never destroyed: oneDNN may outlive static destructors
  return *c;
}

std::string key(const char *kind, const std::vector<int64_t> &dims, const std::string &extra) {
  // A primitive runs only on the thread that made it: oneDNN's library-managed scratchpad (no
  // DNNL_ENABLE_CONCURRENT_EXEC in Debian's build) is thread_local storage sized when a primitive
  // is created, so one made on thread A and executed on thread B reads B's buffer, too small or
  // null (a segfault with four Python threads decoding a GRU, found by test/fresh-trials). The
  // token is unique per thread lifetime: a new thread reusing a dead one's id makes its own.
  static std::atomic<uint64_t> threads{0};
  thread_local const uint64_t thread = threads++;
  std::string k = kind;
  for (int64_t d : dims)
    k += ":" + std::to_string(d);
  return k + "|" + extra + "@" + std::to_string(thread);
}

memory::desc plain(const std::vector<int64_t> &dims) {
  memory::dims d(dims.begin(), dims.end());
  memory::dims strides(d.size(), 1);
  for (size_t i = d.size(); i-- > 1;)
    strides[i - 1] = strides[i] * d[i];
  return memory::desc(d, memory::data_type::f32, strides);
}

void softmax(const float *src, float *dst, const std::vector<int64_t> &dims, int64_t axis,
             bool log) {
  if (elementCount(dims) == 0)
    return;
  guarded(log ? "logsoftmax" : "softmax", [&] {
    Cache &c = cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    memory::desc md = plain(dims);
    primitive p = c.get(key(log ? "logsoftmax" : "softmax", dims, std::to_string(axis)), [&] {
      if (log)
        return primitive(::dnnl::logsoftmax_forward(::dnnl::logsoftmax_forward::primitive_desc(
            {prop_kind::forward_inference, md, int(axis)}, c.eng)));
      return primitive(::dnnl::softmax_forward(::dnnl::softmax_forward::primitive_desc(
          {prop_kind::forward_inference, md, int(axis)}, c.eng)));
    });
    memory s(md, c.eng, const_cast<float *>(src)), d(md, c.eng, dst);
    p.execute(c.strm, {{DNNL_ARG_SRC, s}, {DNNL_ARG_DST, d}});
    c.strm.wait();
  });
}

void layerNorm(const float *src, float *dst, int64_t rows, int64_t n, float epsilon,
               const float *scale, const float *shift) {
  if (rows == 0 || n == 0)
    return;
  guarded("layer_normalization", [&] {
    Cache &c = cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    std::vector<int64_t> dims{rows, n};
    memory::desc md = plain(dims), wd = plain({n});
    auto flags = ::dnnl::normalization_flags::none;
    if (scale)
      flags |= ::dnnl::normalization_flags::use_scale;
    if (shift)
      flags |= ::dnnl::normalization_flags::use_shift;
    std::string extra = std::to_string(epsilon) + (scale ? "s" : "") + (shift ? "b" : "");
    primitive p = c.get(key("layer_norm", dims, extra), [&] {
      return primitive(
          ::dnnl::layer_normalization_forward(::dnnl::layer_normalization_forward::primitive_desc(
              {prop_kind::forward_inference, md, epsilon, flags}, c.eng)));
    });
    memory s(md, c.eng, const_cast<float *>(src)), d(md, c.eng, dst);
    std::unordered_map<int, memory> args{{DNNL_ARG_SRC, s}, {DNNL_ARG_DST, d}};
    if (scale)
      args.emplace(DNNL_ARG_SCALE, memory(wd, c.eng, const_cast<float *>(scale)));
    if (shift)
      args.emplace(DNNL_ARG_SHIFT, memory(wd, c.eng, const_cast<float *>(shift)));
    p.execute(c.strm, args);
    c.strm.wait();
  });
}

EltwiseAlgorithm eltwiseAlgorithm(Eltwise kind) {
  algorithm alg = algorithm::eltwise_abs;
  float alpha = 0, beta = 0;
  switch (kind) {
  case Eltwise::abs:
    alg = algorithm::eltwise_abs;
    break;
  case Eltwise::exp:
    alg = algorithm::eltwise_exp;
    break;
  case Eltwise::log:
    alg = algorithm::eltwise_log;
    break;
  case Eltwise::neg:
    alg = algorithm::eltwise_linear;
    alpha = -1;
    break;
  case Eltwise::reciprocal:
    alg = algorithm::eltwise_pow;
    alpha = 1;
    beta = -1;
    break;
  case Eltwise::relu:
    alg = algorithm::eltwise_relu;
    break;
  case Eltwise::rsqrt:
    alg = algorithm::eltwise_pow;
    alpha = 1;
    beta = -0.5f;
    break;
  case Eltwise::sigmoid:
    alg = algorithm::eltwise_logistic;
    break;
  case Eltwise::sqrt:
    alg = algorithm::eltwise_sqrt;
    break;
  case Eltwise::tanh:
    alg = algorithm::eltwise_tanh;
    break;
  case Eltwise::geluErf:
    alg = algorithm::eltwise_gelu_erf;
    break;
  case Eltwise::geluTanh:
    alg = algorithm::eltwise_gelu_tanh;
    break;
  case Eltwise::silu: // x * sigmoid(alpha x)
    alg = algorithm::eltwise_swish;
    alpha = 1;
    break;
  }
  return {alg, alpha, beta};
}

void eltwise(Eltwise kind, const float *src, float *dst, int64_t count) {
  if (count == 0)
    return;
  const EltwiseAlgorithm e = eltwiseAlgorithm(kind);
  guarded("eltwise", [&] {
    Cache &c = cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    std::vector<int64_t> dims{count};
    memory::desc md = plain(dims);
    primitive p = c.get(key("eltwise", dims, std::to_string(int(kind))), [&] {
      return primitive(::dnnl::eltwise_forward(::dnnl::eltwise_forward::primitive_desc(
          {prop_kind::forward_inference, e.alg, md, e.alpha, e.beta}, c.eng)));
    });
    memory s(md, c.eng, const_cast<float *>(src)), d(md, c.eng, dst);
    p.execute(c.strm, {{DNNL_ARG_SRC, s}, {DNNL_ARG_DST, d}});
    c.strm.wait();
  });
}

size_t cachedPrimitives() {
  Cache &c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  return c.primitives.size();
}

} // namespace heed::rt::cpu::dnnl
