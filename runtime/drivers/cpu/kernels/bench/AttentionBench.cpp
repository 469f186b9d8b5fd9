//===- AttentionBench.cpp - Timing and memory driver for the attention kernel
//
// heed-attention-bench B H Lq Lk D [options]
//   --mask=none|causal|causal-br|keylen   (keylen: every batch sees 3/4 of the keys)
//   --repeat=N (default 20)   --warmup=N (default 3)   --dry-run (allocate, skip the kernel)
//   --packed (Q/K/V/O as [B, L, H*D])   --weights   --qblock=N --kblock=N
//   --kernels=scalar|avx2|avx512 (default: the best this CPU runs)
//   --onednn (instead: oneDNN unfused matmul(scale) -> softmax -> matmul, no mask; for comparison)
//   --additive=A (instead: additive attention, Dq = Dv = D, attention dim A, H ignored;
//                 GFLOP/s then count 2 A Dq + Lk (2 A + 2 Dv) per query row, tanh as 1 flop)
// Prints the median, min and max time per call and GFLOP/s counting the
// visible (query, key) pairs only: 4 * D * pairs. Not a test: bench/attention_memory.sh runs it.
//
//===----------------------------------------------------------------------===//

#include "runtime/drivers/cpu/kernels/Attention.h"
#include "runtime/drivers/cpu/kernels/MicroKernels.h"

#include <dnnl.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

using heed::cpu::AttentionProblem;
using heed::cpu::CausalAlign;
using heed::cpu::Strides4;

namespace {

Strides4 splitHeads(int64_t h, int64_t l, int64_t d) { return {h * l * d, l * d, d, 1}; }
Strides4 packedHeads(int64_t h, int64_t l, int64_t d) { return {l * h * d, d, h * d, 1}; }

void fill(std::vector<float> &x, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (float &v : x)
    v = dist(gen);
}

/// softmax(scale Q K^T) V with three oneDNN primitives and an Lq x Lk buffer.
struct Unfused {
  dnnl::engine eng{dnnl::engine::kind::cpu, 0};
  dnnl::stream strm{eng};
  dnnl::matmul qk, pv;
  dnnl::softmax_v2_forward softmax;
  dnnl::memory q, kt, v, s, o;

  Unfused(int64_t bh, int64_t lq, int64_t lk, int64_t d, float scale, float *qp, float *kp,
          float *vp, float *op) {
    using dt = dnnl::memory::data_type;
    using tag = dnnl::memory::format_tag;
    dnnl::memory::desc qd({bh, lq, d}, dt::f32, tag::abc), ktd({bh, d, lk}, dt::f32, tag::acb),
        vd({bh, lk, d}, dt::f32, tag::abc), sd({bh, lq, lk}, dt::f32, tag::abc),
        od({bh, lq, d}, dt::f32, tag::abc);
    dnnl::primitive_attr attr;
    attr.set_output_scales(0, {scale});
    qk = dnnl::matmul(dnnl::matmul::primitive_desc(dnnl::matmul::desc(qd, ktd, sd), attr, eng));
    pv = dnnl::matmul(dnnl::matmul::primitive_desc(dnnl::matmul::desc(sd, vd, od), eng));
    softmax = dnnl::softmax_v2_forward(dnnl::softmax_v2_forward::primitive_desc(
        dnnl::softmax_v2_forward::desc(dnnl::prop_kind::forward_inference,
                                       dnnl::algorithm::softmax_accurate, sd, sd, 2),
        eng));
    q = dnnl::memory(qd, eng, qp), kt = dnnl::memory(ktd, eng, kp), v = dnnl::memory(vd, eng, vp);
    s = dnnl::memory(sd, eng), o = dnnl::memory(od, eng, op);
  }
  void run() {
    qk.execute(strm, {{DNNL_ARG_SRC, q}, {DNNL_ARG_WEIGHTS, kt}, {DNNL_ARG_DST, s}});
    softmax.execute(strm, {{DNNL_ARG_SRC, s}, {DNNL_ARG_DST, s}});
    pv.execute(strm, {{DNNL_ARG_SRC, s}, {DNNL_ARG_WEIGHTS, v}, {DNNL_ARG_DST, o}});
    strm.wait();
  }
};

} // namespace

int main(int argc, char **argv) {
  if (argc < 6) {
    std::fprintf(stderr,
                 "usage: %s B H Lq Lk D [--mask=none|causal|causal-br|keylen] "
                 "[--repeat=N] [--warmup=N] [--dry-run] [--packed] [--weights] "
                 "[--qblock=N] [--kblock=N]\n",
                 argv[0]);
    return 2;
  }
  int64_t b = std::atoll(argv[1]), h = std::atoll(argv[2]), lq = std::atoll(argv[3]),
          lk = std::atoll(argv[4]), d = std::atoll(argv[5]);
  std::string mask = "none";
  int repeat = 20, warmup = 3;
  bool dryRun = false, packed = false, weights = false, onednn = false;
  int64_t qblock = 0, kblock = 0, additive = 0;
  for (int i = 6; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--mask=", 0) == 0)
      mask = a.substr(7);
    else if (a.rfind("--repeat=", 0) == 0)
      repeat = std::atoi(a.c_str() + 9);
    else if (a.rfind("--warmup=", 0) == 0)
      warmup = std::atoi(a.c_str() + 9);
    else if (a.rfind("--qblock=", 0) == 0)
      qblock = std::atoll(a.c_str() + 9);
    else if (a.rfind("--kblock=", 0) == 0)
      kblock = std::atoll(a.c_str() + 9);
    else if (a == "--dry-run")
      dryRun = true;
    else if (a == "--packed")
      packed = true;
    else if (a == "--weights")
      weights = true;
    else if (a == "--onednn")
      onednn = true;
    else if (a.rfind("--additive=", 0) == 0)
      additive = std::atoll(a.c_str() + 11);
    else if (a.rfind("--kernels=", 0) == 0) {
      const heed::cpu::detail::MicroKernels *chosen = nullptr;
      for (const auto *set : heed::cpu::detail::availableMicroKernels())
        if (a.substr(10) == set->name)
          chosen = set;
      if (!chosen) {
        std::fprintf(stderr, "kernels '%s' not available on this CPU\n", a.c_str() + 10);
        return 2;
      }
      heed::cpu::detail::overrideMicroKernelsForTesting(chosen);
    } else {
      std::fprintf(stderr, "unknown option '%s'\n", a.c_str());
      return 2;
    }
  }

  std::vector<float> q(b * h * lq * d), k(b * h * lk * d), v(b * h * lk * d), o(b * h * lq * d);
  std::vector<float> w(weights ? b * h * lq * lk : 0);
  std::vector<int64_t> lengths(b, lk - lk / 4);
  fill(q, 1), fill(k, 2), fill(v, 3), fill(o, 4), fill(w, 5);

  AttentionProblem p;
  p.batch = b, p.heads = h, p.kvHeads = h, p.queryLength = lq, p.keyLength = lk;
  p.headDim = d, p.valueDim = d, p.scale = 1.0f / std::sqrt(float(d));
  p.query = q.data(), p.key = k.data(), p.value = v.data(), p.output = o.data();
  auto strides = packed ? packedHeads : splitHeads;
  p.queryStrides = strides(h, lq, d), p.outputStrides = strides(h, lq, d);
  p.keyStrides = strides(h, lk, d), p.valueStrides = strides(h, lk, d);
  p.causal = mask == "causal" || mask == "causal-br";
  p.causalAlign = mask == "causal-br" ? CausalAlign::bottomRight : CausalAlign::topLeft;
  if (mask == "keylen")
    p.keyLengths = lengths.data();
  if (weights)
    p.weights = w.data(), p.weightsStrides = {h * lq * lk, lq * lk, lk, 1};
  p.queryBlock = qblock, p.keyBlock = kblock;

  // Visible (query, key) pairs, for the flop count.
  double pairs = 0;
  for (int64_t i = 0; i < lq; ++i) {
    int64_t end = p.keyLengths ? lengths[0] : lk;
    if (p.causal)
      end = std::min(
          end,
          std::max<int64_t>(0, i + 1 + (p.causalAlign == CausalAlign::bottomRight ? lk - lq : 0)));
    pairs += double(end);
  }
  double flops = 4.0 * double(d) * pairs * double(b * h);

  if (dryRun) {
    std::printf("dry run: inputs and outputs allocated (%.1f MB)\n",
                double((q.size() + k.size() + v.size() + o.size() + w.size()) * 4) / 1e6);
    return 0;
  }
  // Additive attention: queries [B, Lq, D], keys projected [B, Lk, A], values [B, Lk, D].
  std::vector<float> kp(additive > 0 ? b * lk * additive : 0), wq(additive * d), av(additive);
  fill(kp, 6), fill(wq, 7), fill(av, 8);
  heed::cpu::AdditiveAttentionProblem ap;
  ap.batch = b, ap.queryLength = lq, ap.keyLength = lk, ap.queryDim = d;
  ap.attentionDim = additive, ap.valueDim = d;
  ap.query = q.data(), ap.keysProj = kp.data(), ap.values = v.data(), ap.wQuery = wq.data();
  ap.v = av.data(), ap.output = o.data();
  if (additive > 0) {
    if (p.causal || p.keyLengths || packed || weights || onednn || h != 1) {
      std::fprintf(stderr, "--additive times an unmasked problem with H = 1 only\n");
      return 2;
    }
    flops = double(b * lq) * (2.0 * additive * d + double(lk) * (2.0 * additive + 2.0 * d));
    mask = "none (additive A=" + std::to_string(additive) + ")";
  }
  std::unique_ptr<Unfused> unfused;
  if (onednn) {
    if (p.causal || p.keyLengths || packed || weights) {
      std::fprintf(stderr, "--onednn times the unmasked split-heads problem only\n");
      return 2;
    }
    unfused = std::make_unique<Unfused>(b * h, lq, lk, d, p.scale, q.data(), k.data(), v.data(),
                                        o.data());
    mask = "none (oneDNN unfused)";
  }
  auto call = [&] {
    if (unfused) {
      unfused->run();
      return true;
    }
    if (additive > 0)
      return heed::cpu::additiveAttention(ap);
    return heed::cpu::attention(p);
  };
  for (int i = 0; i < warmup; ++i)
    call();
  std::vector<double> ms;
  for (int i = 0; i < repeat; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    if (!call()) {
      std::fprintf(stderr, "attention rejected the problem\n");
      return 1;
    }
    auto t1 = std::chrono::steady_clock::now();
    ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  double median = ms[ms.size() / 2];
  std::printf("[%s] B=%lld H=%lld Lq=%lld Lk=%lld D=%lld mask=%s%s: median %.3f ms (min %.3f, max "
              "%.3f, n=%d), %.1f GFLOP/s\n",
              unfused ? "oneDNN" : heed::cpu::detail::microKernels().name, (long long)b,
              (long long)h, (long long)lq, (long long)lk, (long long)d, mask.c_str(),
              packed ? " packed" : "", median, ms.front(), ms.back(), repeat,
              flops / (median * 1e6));
  return 0;
}
