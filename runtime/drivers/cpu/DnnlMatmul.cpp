//===- DnnlMatmul.cpp - Linear layers as oneDNN matmul primitives ---------===//

#include "runtime/drivers/cpu/DnnlMatmul.h"

#include "runtime/drivers/cpu/DnnlCache.h"

#include <algorithm>
#include <cstdlib>
#include <unordered_map>

namespace heed::rt::cpu::dnnl {

using ::dnnl::memory;
using tag = memory::format_tag;

struct PackedMatmulWeight::Variant {
  memory::desc desc;
  memory weight;
};

namespace {

struct MatmulPrimitive {
  ::dnnl::primitive p;
  memory::desc weights; // the format the primitive chose
};

memory::desc f32(const memory::dims &dims, tag t) {
  return memory::desc(dims, memory::data_type::f32, t);
}

std::unordered_map<std::string, MatmulPrimitive> &made() {
  static auto *m = new std::unordered_map<std::string, MatmulPrimitive>; // outlives statics
  return *m;
}

/// The primitive for these sizes: made on first use; the map starts over when it fills (a
/// hostile stream of shapes then costs creation time, not memory).
MatmulPrimitive &primitiveFor(Cache &c, int64_t M, int64_t N, int64_t K, bool bias,
                              std::optional<Eltwise> activation) {
  std::string k = key("linear", {M, N, K},
                      std::string(bias ? "b" : "") +
                          (activation ? "a" + std::to_string(int(*activation)) : ""));
  auto &m = made();
  auto it = m.find(k);
  if (it != m.end())
    return it->second;
  if (m.size() >= kMaxMatmulPrimitives)
    m.clear();
  memory::desc none;
  ::dnnl::primitive_attr attr;
  if (activation) {
    EltwiseAlgorithm e = eltwiseAlgorithm(*activation);
    ::dnnl::post_ops ops;
    ops.append_eltwise(1.0f, e.alg, e.alpha, e.beta);
    attr.set_post_ops(ops);
  }
  ::dnnl::matmul::primitive_desc pd(
      ::dnnl::matmul::desc(f32({M, K}, tag::ab), f32({K, N}, tag::any),
                           bias ? f32({1, N}, tag::ab) : none, f32({M, N}, tag::ab)),
      attr, c.eng);
  return m.emplace(k, MatmulPrimitive{::dnnl::matmul(pd), pd.weights_desc()}).first->second;
}

/// W in the primitive's format: packed on first use for each format, kept in `packs`.
memory &packedFor(Cache &c, const MatmulPrimitive &p, const float *w, int64_t N, int64_t K,
                  bool wStoredNK, PackedMatmulWeight &packs) {
  for (const auto &have : packs.variants)
    if (have->desc == p.weights)
      return have->weight;
  auto v = std::make_shared<PackedMatmulWeight::Variant>();
  v->desc = p.weights;
  v->weight = memory(p.weights, c.eng);
  // The logical weight is [K, N]: W [N, K] is its transpose (ba), W^T [K, N] is it (ab).
  memory user(f32({K, N}, wStoredNK ? tag::ba : tag::ab), c.eng, const_cast<float *>(w));
  ::dnnl::reorder(user, v->weight).execute(c.strm, user, v->weight);
  c.strm.wait();
  if (packs.variants.size() >= kMaxPackedFormats)
    packs.variants.erase(packs.variants.begin());
  packs.variants.push_back(v);
  return v->weight;
}

} // namespace

int64_t matmulMinRows() {
  static const int64_t rows = [] {
    const char *s = std::getenv("HEED_CPU_MATMUL_MIN_ROWS");
    return s && *s ? std::max<int64_t>(1, std::atoll(s)) : int64_t(1);
  }();
  return rows;
}

void linear(const float *x, int64_t M, int64_t N, int64_t K, const float *w, bool wStoredNK,
            const float *bias, float *y, PackedMatmulWeight &packs,
            std::optional<Eltwise> activation) {
  if (M == 0 || N == 0)
    return;
  guarded("matmul", [&] {
    Cache &c = cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    MatmulPrimitive &p = primitiveFor(c, M, N, K, bias != nullptr, activation);
    memory &wp = packedFor(c, p, w, N, K, wStoredNK, packs);
    std::unordered_map<int, memory> args{
        {DNNL_ARG_SRC, memory(f32({M, K}, tag::ab), c.eng, const_cast<float *>(x))},
        {DNNL_ARG_WEIGHTS, wp},
        {DNNL_ARG_DST, memory(f32({M, N}, tag::ab), c.eng, y)}};
    if (bias)
      args.emplace(DNNL_ARG_BIAS, memory(f32({1, N}, tag::ab), c.eng, const_cast<float *>(bias)));
    p.p.execute(c.strm, args);
    c.strm.wait();
  });
}

bool matmulKeepsWeightsPacked() {
  static const bool packed = [] {
    auto isa = unsigned(::dnnl::get_effective_cpu_isa()),
         core = unsigned(::dnnl::cpu_isa::avx512_core);
    return (isa & core) == core;
  }();
  return packed;
}

size_t cachedMatmulPrimitives() {
  std::lock_guard<std::mutex> lock(cache().mutex);
  return made().size();
}

} // namespace heed::rt::cpu::dnnl
