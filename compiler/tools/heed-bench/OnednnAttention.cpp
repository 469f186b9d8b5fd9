//===- OnednnAttention.cpp - Unfused attention with oneDNN primitives -----===//

#include "OnednnAttention.h"

#include <dnnl.hpp>

#include <cmath>
#include <limits>
#include <vector>

namespace heedbench {

struct OnednnAttention::Impl {
  dnnl::engine eng{dnnl::engine::kind::cpu, 0};
  dnnl::stream strm{eng};
  dnnl::matmul qk, pv;
  dnnl::softmax_v2_forward softmax;
  dnnl::memory q, kt, v, s, o, mask;
  std::vector<float> maskData;
  bool masked = false;
  std::string impls;
};

std::unique_ptr<OnednnAttention> OnednnAttention::create(int64_t b, int64_t h, int64_t lq,
                                                         int64_t lk, int64_t d, Mask mask,
                                                         const float *q, const float *k,
                                                         const float *v, float *o,
                                                         std::string &error) {
  using dt = dnnl::memory::data_type;
  using tag = dnnl::memory::format_tag;
  auto self = std::unique_ptr<OnednnAttention>(new OnednnAttention());
  self->impl = std::make_unique<Impl>();
  Impl &m = *self->impl;
  dnnl::memory::desc qd({b, h, lq, d}, dt::f32, tag::abcd), ktd({b, h, d, lk}, dt::f32, tag::abdc),
      vd({b, h, lk, d}, dt::f32, tag::abcd), sd({b, h, lq, lk}, dt::f32, tag::abcd),
      od({b, h, lq, d}, dt::f32, tag::abcd);
  const float neg = -std::numeric_limits<float>::infinity();
  dnnl::memory::desc md;
  if (mask == Mask::padding) {
    md = dnnl::memory::desc({b, 1, 1, lk}, dt::f32, tag::abcd);
    m.maskData.assign(size_t(b * lk), 0.0f);
    for (int64_t i = 0; i < b; ++i)
      for (int64_t j = lk - lk / 4; j < lk; ++j)
        m.maskData[size_t(i * lk + j)] = neg;
  } else if (mask == Mask::causal) {
    md = dnnl::memory::desc({b, h, lq, lk}, dt::f32, tag::abcd);
    m.maskData.assign(size_t(b * h * lq * lk), 0.0f);
    for (int64_t bh = 0; bh < b * h; ++bh)
      for (int64_t i = 0; i < lq; ++i)
        for (int64_t j = i + 1; j < lk; ++j)
          m.maskData[size_t((bh * lq + i) * lk + j)] = neg;
  }
  dnnl::primitive_attr attr;
  attr.set_output_scales(0, {1.0f / std::sqrt(float(d))});
  if (mask != Mask::none) {
    dnnl::post_ops ops;
    ops.append_binary(dnnl::algorithm::binary_add, md);
    attr.set_post_ops(ops);
    m.masked = true;
  }
  dnnl::matmul::primitive_desc qkPd(dnnl::matmul::desc(qd, ktd, sd), attr, m.eng, true);
  dnnl::matmul::primitive_desc pvPd(dnnl::matmul::desc(sd, vd, od), m.eng, true);
  dnnl::softmax_v2_forward::primitive_desc smPd(
      dnnl::softmax_v2_forward::desc(dnnl::prop_kind::forward_inference,
                                     dnnl::algorithm::softmax_accurate, sd, sd, 3),
      m.eng, true);
  if (!qkPd || !pvPd || !smPd) {
    error = "oneDNN could not create the unfused attention primitives";
    return nullptr;
  }
  m.impls =
      std::string(qkPd.impl_info_str()) + ", " + smPd.impl_info_str() + ", " + pvPd.impl_info_str();
  m.qk = dnnl::matmul(qkPd), m.pv = dnnl::matmul(pvPd), m.softmax = dnnl::softmax_v2_forward(smPd);
  m.q = dnnl::memory(qd, m.eng, const_cast<float *>(q));
  m.kt = dnnl::memory(ktd, m.eng, const_cast<float *>(k));
  m.v = dnnl::memory(vd, m.eng, const_cast<float *>(v));
  m.s = dnnl::memory(sd, m.eng);
  m.o = dnnl::memory(od, m.eng, o);
  if (m.masked)
    m.mask = dnnl::memory(md, m.eng, m.maskData.data());
  return self;
}

OnednnAttention::~OnednnAttention() = default;

void OnednnAttention::run() {
  Impl &m = *impl;
  std::unordered_map<int, dnnl::memory> qkArgs{
      {DNNL_ARG_SRC, m.q}, {DNNL_ARG_WEIGHTS, m.kt}, {DNNL_ARG_DST, m.s}};
  if (m.masked)
    qkArgs[DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1] = m.mask;
  m.qk.execute(m.strm, qkArgs);
  m.softmax.execute(m.strm, {{DNNL_ARG_SRC, m.s}, {DNNL_ARG_DST, m.s}});
  m.pv.execute(m.strm, {{DNNL_ARG_SRC, m.s}, {DNNL_ARG_WEIGHTS, m.v}, {DNNL_ARG_DST, m.o}});
  m.strm.wait();
}

const std::string &OnednnAttention::implementations() const { return impl->impls; }

} // namespace heedbench
