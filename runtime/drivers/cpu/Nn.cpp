//===- Nn.cpp - Softmax, layer norm, matmul, linear, reductions, masks ----===//
//
// Matrix products go to oneDNN's sgemm (one call per batch, or one call for
// all batches when the rhs is shared), except products by a constant weight with enough rows:
// those run as oneDNN matmul primitives on a weight packed once (DnnlMatmul.h). The rest are
// Heed's own loops.
//
//===----------------------------------------------------------------------===//

#include "runtime/drivers/cpu/Executor.h"

#include "runtime/drivers/cpu/Activation.h"
#include "runtime/drivers/cpu/Dnnl.h"
#include "runtime/drivers/cpu/DnnlMatmul.h"
#include "runtime/drivers/cpu/kernels/MicroKernels.h"
#include "runtime/drivers/cpu/kernels/PanelGemm.h"
#include "runtime/drivers/cpu/kernels/Parallel.h"
#include "runtime/drivers/rules/NnRules.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <numeric>
#include <optional>
#include <string>
#include <type_traits>

namespace heed::rt::cpu {
namespace {

void requireF32(OpCtx &c, const Tensor &t, const char *what) {
  if (t.type != ElemType::f32)
    c.fail(std::string("supports only f32 ") + what + " on the CPU, got " + elemTypeName(t.type));
}

/// Fails with a shape rule's message unless it is empty (runtime/drivers/rules).
void check(OpCtx &c, const std::string &error) {
  if (!error.empty())
    c.fail(error);
}

//===----------------------------------------------------------------------===//
// Softmax, log-softmax, layer norm
//===----------------------------------------------------------------------===//

void softmax(OpCtx &c) {
  const Tensor &x = c.in(0);
  requireF32(c, x, "input");
  AxisView rows;
  check(c, rowsLayout(x.shape, c.op.getInt(AttrId::axis), rows));
  int64_t axis = rows.axis;
  bool log = c.op.opKind == OpKind::LogSoftmax;
  Tensor y = c.alloc(ElemType::f32, x.shape);
  // oneDNN 2.6 is fast only along the innermost axis; on any other axis it falls back to its
  // reference kernel (measured 8.5x slower than the loop below on [8, 512, 512], axis 1).
  if (useDnnlPrimitives() && axis == x.rank() - 1) {
    dnnl::softmax(x.as<float>(), y.as<float>(), x.shape, axis, log);
    c.out(0, std::move(y));
    return;
  }
  int64_t outer = rows.outer, n = rows.n, inner = rows.inner;
  const float *in = x.as<float>();
  float *out = y.as<float>();
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      const float *row = in + o * n * inner + i;
      float *dst = out + o * n * inner + i;
      float mx = -std::numeric_limits<float>::infinity();
      bool nan = false;
      for (int64_t j = 0; j < n; ++j) {
        float v = row[j * inner];
        nan |= std::isnan(v);
        mx = std::max(mx, v);
      }
      if (nan || std::isinf(mx)) {
        // NaN in, or all -inf: the IEEE result of exp(x - max) / sum.
        for (int64_t j = 0; j < n; ++j)
          dst[j * inner] =
              nan ? NAN : (mx > 0 ? (row[j * inner] == mx ? NAN : (log ? -INFINITY : 0.0f)) : NAN);
        continue;
      }
      double sum = 0;
      for (int64_t j = 0; j < n; ++j) {
        float e = std::exp(row[j * inner] - mx);
        dst[j * inner] = e;
        sum += e;
      }
      if (log) {
        float ls = float(std::log(sum));
        for (int64_t j = 0; j < n; ++j)
          dst[j * inner] = row[j * inner] - mx - ls;
      } else {
        float r = float(1.0 / sum);
        for (int64_t j = 0; j < n; ++j)
          dst[j * inner] *= r;
      }
    }
  c.out(0, std::move(y));
}

void layerNorm(OpCtx &c) {
  const Tensor &x = c.in(0);
  requireF32(c, x, "input");
  auto [scaleAt, hasScale] = c.op.segment(1);
  auto [biasAt, hasBias] = c.op.segment(2);
  auto [residualAt, hasResidual] = c.op.segment(3);
  float eps = float(c.op.getFloat(AttrId::epsilon));
  const bool rms = c.op.getBool(AttrId::rms);
  const float *g = nullptr, *b = nullptr, *r = nullptr;
  std::optional<TypedShape> scale, bias, residual;
  if (hasScale) {
    const Tensor &s = c.in(scaleAt);
    requireF32(c, s, "scale");
    scale.emplace(typedShape(s));
    g = s.as<float>();
  }
  if (hasBias) {
    const Tensor &s = c.in(biasAt);
    requireF32(c, s, "bias");
    bias.emplace(typedShape(s));
    b = s.as<float>();
  }
  if (hasResidual) {
    const Tensor &s = c.in(residualAt);
    requireF32(c, s, "residual");
    residual.emplace(typedShape(s));
    r = s.as<float>();
  }
  LayerNormLayout l;
  check(c, layerNormLayout(typedShape(x), c.op.getInt(AttrId::axis), scale ? &*scale : nullptr,
                           bias ? &*bias : nullptr, l, residual ? &*residual : nullptr));
  int64_t outer = l.outer, n = l.n;
  Tensor y = c.alloc(ElemType::f32, x.shape);
  if ((r || rms) && useDnnlPrimitives()) {
    // oneDNN 2.6's layer norm has no second source and no RMS form: Heed's row kernel sums
    // x + r as it reads them.
    auto addNorm = ::heed::cpu::detail::microKernels().addNormRow;
    const float *xs = x.as<float>();
    float *ys = y.as<float>();
    ::heed::cpu::detail::parallelStatic(outer, [&](int64_t begin, int64_t end) {
      for (int64_t o = begin; o < end; ++o)
        addNorm(xs + o * n, r ? r + o * n : nullptr, ys + o * n, n, eps, g, b, rms);
    });
    c.out(0, std::move(y));
    return;
  }
  if (useDnnlPrimitives()) {
    dnnl::layerNorm(x.as<float>(), y.as<float>(), outer, n, eps, g, b);
    c.out(0, std::move(y));
    return;
  }
  std::vector<float> sum(r ? size_t(n) : 0);
  for (int64_t o = 0; o < outer; ++o) {
    const float *row = x.as<float>() + o * n;
    float *dst = y.as<float>() + o * n;
    if (r) { // the float sum an unfused add would have stored
      for (int64_t j = 0; j < n; ++j)
        sum[size_t(j)] = row[j] + r[o * n + j];
      row = sum.data();
    }
    double mean = 0, var = 0;
    for (int64_t j = 0; j < n && !rms; ++j)
      mean += row[j];
    mean /= double(n ? n : 1);
    for (int64_t j = 0; j < n; ++j)
      var += (row[j] - mean) * (row[j] - mean);
    var /= double(n ? n : 1);
    float inv = float(1.0 / std::sqrt(var + double(eps)));
    for (int64_t j = 0; j < n; ++j) {
      float v = float(row[j] - mean) * inv;
      dst[j] = v * (g ? g[j] : 1.0f) + (b ? b[j] : 0.0f);
    }
  }
  c.out(0, std::move(y));
}

//===----------------------------------------------------------------------===//
// Matmul, linear
//===----------------------------------------------------------------------===//

/// Whether products by constant weights use Heed's panel GEMM (PanelGemm.h) rather than the
/// matmul primitive: where the primitive would re-pack the weight every call (no AVX-512 brgemm)
/// and Heed's micro-kernels are vectorized. HEED_CPU_LINEAR=panel or =dnnl forces either.
bool panelLinears() {
  static const bool panel = [] {
    const char *s = std::getenv("HEED_CPU_LINEAR");
    if (s && std::string(s) == "panel")
      return true;
    if (s && std::string(s) == "dnnl")
      return false;
    return !dnnl::matmulKeepsWeightsPacked() &&
           std::string(::heed::cpu::detail::microKernels().name) != "scalar";
  }();
  return panel;
}

/// y[M, N] = act(x[M, K] W^T (+ bias)) through a matmul primitive (or the panel GEMM) when operand
/// `wi` (W: [N, K] when `storedNK`, else [K, N]) is one of the module's constants and M is large
/// enough for the primitive to beat sgemm; false when the caller must use sgemm.
bool constantWeightMatmul(OpCtx &c, const float *x, int64_t M, int64_t N, int64_t K, size_t wi,
                          bool storedNK, const float *bias, float *y,
                          std::optional<dnnl::Eltwise> activation = std::nullopt) {
  if (M < dnnl::matmulMinRows() || K == 0 || !useDnnlPrimitives())
    return false;
  const Tensor &w = c.in(wi);
  if (panelLinears()) {
    std::shared_ptr<void> panels = c.ex.fromConstants(
        c.module, storedNK ? "panels:nk" : "panels:kn", {&w}, [&]() -> std::shared_ptr<void> {
          return std::make_shared<::heed::cpu::PanelWeight>(
              ::heed::cpu::packPanels(w.as<float>(), K, N, storedNK));
        });
    if (!panels)
      return false;
    ::heed::cpu::panelGemm(x, M, K, *static_cast<::heed::cpu::PanelWeight *>(panels.get()), bias, y,
                           N);
    if (activation)
      applyActivation(*activation, y, M * N);
    return true;
  }
  std::shared_ptr<void> packs =
      c.ex.fromConstants(c.module, storedNK ? "dnnl-matmul:nk" : "dnnl-matmul:kn", {&w},
                         [] { return std::make_shared<dnnl::PackedMatmulWeight>(); });
  if (!packs)
    return false;
  try {
    dnnl::linear(x, M, N, K, w.as<float>(), storedNK, bias, y,
                 *static_cast<dnnl::PackedMatmulWeight *>(packs.get()), activation);
    return true;
  } catch (const Error &) {
    return false; // sizes oneDNN builds no primitive for: sgemm computes them
  }
}

void matmul(OpCtx &c) {
  const Tensor &a = c.in(0), &b = c.in(1);
  requireF32(c, a, "lhs");
  requireF32(c, b, "rhs");
  bool ta = c.op.getBool(AttrId::transpose_a), tb = c.op.getBool(AttrId::transpose_b);
  MatmulLayout l;
  check(c, matmulLayout(typedShape(a), typedShape(b), ta, tb, l));
  int64_t M = l.m, N = l.n, K = l.k;
  const std::vector<int64_t> &shape = l.shape, &ob = l.batch;
  size_t rank = ob.size();
  Tensor y = c.alloc(ElemType::f32, shape);
  int64_t batches = elementCount(ob);
  int64_t lda = a.dim(a.rank() - 1), ldb = b.dim(b.rank() - 1);
  bool bShared = l.rhsBatches == 1;
  if (bShared && !ta) {
    // Every batch multiplies by the same rhs: one gemm over batches*M rows
    // (lhs rows of broadcast batches are not contiguous, so only when a is full).
    if (l.lhsBatches == batches) {
      if (b.rank() == 2 && constantWeightMatmul(c, a.as<float>(), batches * M, N, K, 1, tb, nullptr,
                                                y.as<float>())) {
        c.out(0, std::move(y));
        return;
      }
      if (tb && b.rank() == 2)
        gemmWeight(batches * M, N, K, a.as<float>(), lda, c.weight(1, batches * M), 0.0f,
                   y.as<float>(), N);
      else
        gemm(false, tb, batches * M, N, K, 1.0f, a.as<float>(), lda, b.as<float>(), ldb, 0.0f,
             y.as<float>(), N);
      c.out(0, std::move(y));
      return;
    }
  }
  const std::vector<int64_t> &sa = l.lhsStrides, &sb = l.rhsStrides;
  std::vector<int64_t> idx(rank, 0);
  for (int64_t bi = 0; bi < batches; ++bi) {
    int64_t oa = 0, obb = 0;
    for (size_t d = 0; d < rank; ++d) {
      oa += idx[d] * sa[d];
      obb += idx[d] * sb[d];
    }
    gemm(ta, tb, M, N, K, 1.0f, a.as<float>() + oa, lda, b.as<float>() + obb, ldb, 0.0f,
         y.as<float>() + bi * M * N, N);
    for (size_t d = rank; d-- > 0;) {
      if (++idx[d] < ob[d])
        break;
      idx[d] = 0;
    }
  }
  c.out(0, std::move(y));
}

void linear(OpCtx &c) {
  const Tensor &x = c.in(0), &w = c.in(1);
  requireF32(c, x, "input");
  requireF32(c, w, "weight");
  bool tw = c.op.getBool(AttrId::transpose_weight);
  std::optional<TypedShape> bias;
  if (c.numOperands() > 2) {
    requireF32(c, c.in(2), "bias");
    bias.emplace(typedShape(c.in(2)));
  }
  LinearLayout l;
  check(c, linearLayout(typedShape(x), typedShape(w), tw, bias ? &*bias : nullptr, l));
  int64_t M = l.rows, N = l.n, K = l.k;
  Tensor y = c.alloc(ElemType::f32, l.shape);
  std::optional<dnnl::Eltwise> act = linearActivation(c.op.getInt(AttrId::activation));
  if (constantWeightMatmul(c, x.as<float>(), M, N, K, 1, tw, bias ? c.in(2).as<float>() : nullptr,
                           y.as<float>(), act)) {
    c.out(0, std::move(y));
    return;
  }
  if (tw)
    gemmWeight(M, N, K, x.as<float>(), K, c.weight(1, M), 0.0f, y.as<float>(), N);
  else
    gemm(false, false, M, N, K, 1.0f, x.as<float>(), K, w.as<float>(), N, 0.0f, y.as<float>(), N);
  if (bias) {
    const Tensor &b = c.in(2);
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j)
        y.as<float>()[i * N + j] += b.as<float>()[j];
  }
  if (act)
    applyActivation(*act, y.as<float>(), M * N);
  c.out(0, std::move(y));
}

//===----------------------------------------------------------------------===//
// Reductions and selection
//===----------------------------------------------------------------------===//

/// Floats accumulate in double. Integers reduce exactly in 64 bits with two's-complement wrapping
/// (sum and prod in uint64, as the Vulkan kernels and numpy do; max/min in int64); an integer
/// mean is the wrapped sum divided by the count, truncated. A double accumulator would lose
/// i64 precision above 2^53 and its conversion back would be undefined out of range.
/// A float sum, mean, max or min whose reduced dims all follow the kept ones (RMSNorm's mean of
/// x^2 over the features, a pooled mean over the sequence's last axis): each output is one
/// contiguous row of `count` inputs, reduced by a tight loop (sums in four double partials), the
/// rows shared among the threads. The general loop below pays index arithmetic per element
/// (RMSNorm's two means: 4.9 of a T5 layer's 64 ms). False when the layout is not that.
template <typename T>
bool reduceRows(const Tensor &x, Tensor &y, const std::vector<bool> &reduced, int64_t count,
                int64_t kind) {
  size_t first = reduced.size();
  while (first > 0 && reduced[first - 1])
    --first;
  if (kind > 3 ||
      std::find(reduced.begin(), reduced.begin() + first, true) != reduced.begin() + first)
    return false;
  const int64_t rows = y.count(), n = count;
  if (rows * n != x.count())
    return false;
  const T *in = x.as<T>();
  T *out = y.as<T>();
  auto reduceRange = [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const T *row = in + r * n;
      double v;
      if (kind <= 1) {
        double p[4] = {0, 0, 0, 0};
        int64_t j = 0;
        for (; j + 4 <= n; j += 4)
          for (int k = 0; k < 4; ++k)
            p[k] += double(row[j + k]);
        for (; j < n; ++j)
          p[0] += double(row[j]);
        v = (p[0] + p[1]) + (p[2] + p[3]);
        if (kind == 1)
          v /= double(n);
      } else {
        v = kind == 2 ? -INFINITY : INFINITY;
        for (int64_t j = 0; j < n; ++j) {
          double e = double(row[j]);
          if (std::isnan(e) || (kind == 2 ? e > v : e < v))
            v = e;
          if (std::isnan(v))
            break; // the first NaN is the result, as in the general loop
        }
      }
      out[r] = T(v);
    }
  };
  if (x.count() >= (int64_t(1) << 16))
    ::heed::cpu::detail::parallelStatic(rows, [&](int64_t b, int64_t e) { reduceRange(b, e); });
  else
    reduceRange(0, rows);
  return true;
}

template <typename T>
void reduceLoop(const Tensor &x, Tensor &y, const std::vector<bool> &reduced, int64_t count,
                int64_t kind) {
  constexpr bool isInt = std::is_integral<T>::value;
  if constexpr (!isInt)
    if (reduceRows<T>(x, y, reduced, count, kind))
      return;
  using Acc = std::conditional_t<isInt, int64_t, double>;
  int64_t n = x.count(), rank = x.rank();
  int64_t outCount = y.count();
  Acc init = kind == 2   ? (isInt ? Acc(INT64_MIN) : Acc(-INFINITY))
             : kind == 3 ? (isInt ? Acc(INT64_MAX) : Acc(INFINITY))
             : kind == 4 ? Acc(1)
                         : Acc(0);
  std::vector<Acc> acc(size_t(outCount), init);
  std::vector<int64_t> idx(size_t(rank), 0);
  // Output strides over the kept dims.
  std::vector<int64_t> ost(size_t(rank), 0);
  int64_t s = 1;
  for (int64_t d = rank; d-- > 0;) {
    if (!reduced[size_t(d)]) {
      ost[size_t(d)] = s;
      s *= x.dim(d);
    }
  }
  const T *in = x.as<T>();
  for (int64_t i = 0; i < n; ++i) {
    int64_t o = 0;
    for (int64_t d = 0; d < rank; ++d)
      o += idx[size_t(d)] * ost[size_t(d)];
    Acc v = Acc(in[i]);
    Acc &a = acc[size_t(o)];
    if constexpr (isInt) {
      if (kind == 0 || kind == 1)
        a = int64_t(uint64_t(a) + uint64_t(v));
      else if (kind == 2)
        a = std::max(a, v);
      else if (kind == 3)
        a = std::min(a, v);
      else if (kind == 4)
        a = int64_t(uint64_t(a) * uint64_t(v));
    } else {
      if (kind == 0 || kind == 1)
        a += v;
      else if (kind == 2)
        a = (std::isnan(v) || v > a) ? v : a;
      else if (kind == 3)
        a = (std::isnan(v) || v < a) ? v : a;
      else if (kind == 4)
        a *= v;
    }
    for (int64_t d = rank; d-- > 0;) {
      if (++idx[size_t(d)] < x.dim(d))
        break;
      idx[size_t(d)] = 0;
    }
  }
  for (int64_t o = 0; o < outCount; ++o) {
    Acc v = acc[size_t(o)];
    if (kind == 1) {
      if constexpr (isInt)
        v /= count ? count : 1;
      else
        v /= double(count);
    }
    y.as<T>()[o] = T(v); // an i32 keeps the low 32 bits of the wrapped i64
  }
}

void reduce(OpCtx &c) {
  const Tensor &x = c.in(0);
  int64_t kind = c.op.getInt(AttrId::kind);
  ReduceLayout l;
  std::vector<int64_t> axes = c.numOperands() > 1 ? c.scalarsFrom(1) : c.op.getInts(AttrId::axes);
  check(c, reduceLayout(x.shape, axes, c.op.getBool(AttrId::keep_dims), kind, l));
  Tensor y = c.alloc(x.type, l.shape);
  switch (x.type) {
  case ElemType::f32:
    reduceLoop<float>(x, y, l.reduced, l.count, kind);
    break;
  case ElemType::f64:
    reduceLoop<double>(x, y, l.reduced, l.count, kind);
    break;
  case ElemType::i32:
    reduceLoop<int32_t>(x, y, l.reduced, l.count, kind);
    break;
  case ElemType::i64:
    reduceLoop<int64_t>(x, y, l.reduced, l.count, kind);
    break;
  default:
    c.fail("cannot reduce this element type");
  }
  c.out(0, std::move(y));
}

/// heed.argmax and heed.argmin. With select_last_index the row is scanned from its end, so the
/// first hit of that scan (with strict comparisons) is the last of equal values; NaN wins either
/// way, as in numpy (the ONNX reference).
void argExtremum(OpCtx &c) {
  const Tensor &x = c.in(0);
  SelectLayout l;
  check(c, argmaxLayout(x.shape, c.op.getInt(AttrId::axis), c.op.getBool(AttrId::keep_dims), l));
  bool smallest = c.op.opKind == OpKind::Argmin, last = c.op.getBool(AttrId::select_last_index);
  int64_t outer = l.view.outer, n = l.view.n, inner = l.view.inner;
  Tensor y = c.alloc(ElemType::i64, l.shape);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      int64_t first = last ? n - 1 : 0, step = last ? -1 : 1;
      int64_t best = first;
      double bv = loadAsDouble(x, (o * n + first) * inner + i);
      for (int64_t t = 1; t < n && !std::isnan(bv); ++t) {
        int64_t j = first + t * step;
        double v = loadAsDouble(x, (o * n + j) * inner + i);
        if ((smallest ? v < bv : v > bv) || std::isnan(v)) {
          bv = v;
          best = j;
        }
      }
      y.as<int64_t>()[o * inner + i] = best;
    }
  c.out(0, std::move(y));
}

/// What a running sum of T adds in: integers unsigned, so that their sums wrap (signed overflow
/// is UB in C++), as GLSL's do on the Vulkan driver.
template <typename T, bool = std::is_integral_v<T>> struct SumType {
  using type = T;
};
template <typename T> struct SumType<T, true> {
  using type = std::make_unsigned_t<T>;
};

/// Running sums along the view's n: exclusive sums lag one element, reverse ones run from the
/// end.
template <typename T>
void cumsumLoop(const Tensor &x, Tensor &y, const AxisView &v, bool exclusive, bool reverse) {
  using Acc = typename SumType<T>::type;
  const T *in = x.as<T>();
  T *out = y.as<T>();
  for (int64_t o = 0; o < v.outer; ++o)
    for (int64_t i = 0; i < v.inner; ++i) {
      Acc acc = 0;
      for (int64_t t = 0; t < v.n; ++t) {
        int64_t j = reverse ? v.n - 1 - t : t;
        int64_t at = (o * v.n + j) * v.inner + i;
        Acc value = Acc(in[at]);
        if (!exclusive)
          acc += value;
        out[at] = T(acc);
        if (exclusive)
          acc += value;
      }
    }
}

void cumsum(OpCtx &c) {
  const Tensor &x = c.in(0);
  int64_t axis = 0;
  if (c.op.has(AttrId::axis)) {
    axis = c.op.getInt(AttrId::axis);
  } else {
    const Tensor &a = c.in(1);
    if (a.count() != 1 || (a.type != ElemType::i32 && a.type != ElemType::i64))
      c.fail("expects one i32 or i64 axis, got " + shapeString(a.shape, a.type));
    axis = a.type == ElemType::i32 ? a.as<int32_t>()[0] : a.as<int64_t>()[0];
  }
  check(c, resolveAxis(axis, int64_t(x.shape.size()), axis));
  AxisView v = axisView(x.shape, axis);
  bool exclusive = c.op.getBool(AttrId::exclusive), reverse = c.op.getBool(AttrId::reverse);
  Tensor y = c.alloc(x.type, x.shape);
  switch (x.type) {
  case ElemType::f32:
    cumsumLoop<float>(x, y, v, exclusive, reverse);
    break;
  case ElemType::f64:
    cumsumLoop<double>(x, y, v, exclusive, reverse);
    break;
  case ElemType::i32:
    cumsumLoop<int32_t>(x, y, v, exclusive, reverse);
    break;
  case ElemType::i64:
    cumsumLoop<int64_t>(x, y, v, exclusive, reverse);
    break;
  default:
    c.fail(std::string("cannot sum element type ") + elemTypeName(x.type));
  }
  c.out(0, std::move(y));
}

void topK(OpCtx &c) {
  const Tensor &x = c.in(0);
  requireF32(c, x, "input");
  int64_t k = c.op.has(AttrId::k) ? c.op.getInt(AttrId::k) : c.scalar(1);
  SelectLayout l;
  check(c, topKLayout(x.shape, c.op.getInt(AttrId::axis), k, l));
  int64_t outer = l.view.outer, n = l.view.n, inner = l.view.inner;
  const std::vector<int64_t> &shape = l.shape;
  Tensor vals = c.alloc(ElemType::f32, shape), idxs = c.alloc(ElemType::i64, shape);
  std::vector<int64_t> order(static_cast<size_t>(n), 0);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      const float *row = x.as<float>() + o * n * inner + i;
      std::iota(order.begin(), order.end(), 0);
      auto greater = [&](int64_t p, int64_t q) {
        float a = row[p * inner], b = row[q * inner];
        if (std::isnan(a) != std::isnan(b))
          return std::isnan(a);
        if (a != b && !std::isnan(a))
          return a > b;
        return p < q;
      };
      std::partial_sort(order.begin(), order.begin() + k, order.end(), greater);
      for (int64_t j = 0; j < k; ++j) {
        vals.as<float>()[(o * k + j) * inner + i] = row[order[size_t(j)] * inner];
        idxs.as<int64_t>()[(o * k + j) * inner + i] = order[size_t(j)];
      }
    }
  c.out(0, std::move(vals));
  c.out(1, std::move(idxs));
}

//===----------------------------------------------------------------------===//
// Masks and positions
//===----------------------------------------------------------------------===//

/// Element i of `t`, which sequenceMaskShape has checked is i32 or i64.
int64_t loadIndex(const Tensor &t, int64_t i) {
  return t.type == ElemType::i32 ? t.as<int32_t>()[i] : t.as<int64_t>()[i];
}

void sequenceMask(OpCtx &c) {
  const Tensor &len = c.in(0);
  int64_t n = c.scalar(1);
  std::vector<int64_t> shape;
  check(c, sequenceMaskShape(typedShape(len), n, shape));
  Tensor y = c.alloc(ElemType::boolean, shape);
  for (int64_t b = 0; b < len.dim(0); ++b) {
    int64_t l = loadIndex(len, b);
    for (int64_t t = 0; t < n; ++t)
      y.as<uint8_t>()[b * n + t] = t < l;
  }
  c.out(0, std::move(y));
}

void causalMask(OpCtx &c) {
  int64_t lq = c.scalar(0), lk = c.scalar(1);
  std::vector<int64_t> shape;
  int64_t shift = 0;
  check(c, causalMaskShape(lq, lk, c.op.getInt(AttrId::align), shape, shift));
  Tensor y = c.alloc(ElemType::boolean, shape);
  for (int64_t i = 0; i < lq; ++i)
    for (int64_t j = 0; j < lk; ++j)
      y.as<uint8_t>()[i * lk + j] = j <= i + shift;
  c.out(0, std::move(y));
}

void sinusoidalPositions(OpCtx &c) {
  int64_t offset = c.scalar(0), length = c.scalar(1);
  int64_t dim = c.op.getInt(AttrId::dim);
  double base = c.op.getFloat(AttrId::base);
  bool interleaved = c.op.getBool(AttrId::interleaved);
  std::vector<int64_t> shape;
  check(c, sinusoidalShape(length, dim, shape));
  Tensor y = c.alloc(ElemType::f32, shape);
  int64_t half = dim / 2;
  for (int64_t p = 0; p < length; ++p)
    for (int64_t i = 0; i < half; ++i) {
      double angle = double(offset + p) / std::pow(base, double(2 * i) / double(dim));
      float s = float(std::sin(angle)), co = float(std::cos(angle));
      float *row = y.as<float>() + p * dim;
      if (interleaved) {
        row[2 * i] = s;
        row[2 * i + 1] = co;
      } else {
        row[i] = s;
        row[half + i] = co;
      }
    }
  c.out(0, std::move(y));
}

/// heed.rotary: each row of x rotated by its rows of cos and sin, read through their broadcast
/// strides (usually one [L, D] table shared by the batch and the heads); element i pairs with
/// i +- D/2, or with its neighbour when interleaved.
void rotary(OpCtx &c) {
  const Tensor &x = c.in(0), &cosT = c.in(1), &sinT = c.in(2);
  requireF32(c, x, "input");
  requireF32(c, cosT, "cos");
  requireF32(c, sinT, "sin");
  BroadcastLayout l;
  check(c, rotaryLayout(typedShape(x), typedShape(cosT), typedShape(sinT), l));
  Tensor y = c.alloc(ElemType::f32, l.shape);
  const size_t rank = l.shape.size();
  const int64_t d = l.shape.back(), h = d / 2, rows = elementCount(l.shape) / d;
  const bool interleaved = c.op.getBool(AttrId::interleaved);
  const float *xs = x.as<float>(), *cs = cosT.as<float>(), *ss = sinT.as<float>();
  float *ys = y.as<float>();
  ::heed::cpu::detail::parallelStatic(rows, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      int64_t off[3] = {0, 0, 0};
      for (int64_t rest = r, k = int64_t(rank) - 2; k >= 0; --k) {
        int64_t i = rest % l.shape[size_t(k)];
        rest /= l.shape[size_t(k)];
        for (size_t o = 0; o < 3; ++o)
          off[o] += i * l.strides[o][size_t(k)];
      }
      const float *xr = xs + off[0], *cr = cs + off[1], *sr = ss + off[2];
      float *yr = ys + r * d;
      // The products and sum of x * cos + rotate(x) * sin, in that order.
      if (interleaved) {
        for (int64_t i = 0; i < d; i += 2) {
          yr[i] = xr[i] * cr[i] + -xr[i + 1] * sr[i];
          yr[i + 1] = xr[i + 1] * cr[i + 1] + xr[i] * sr[i + 1];
        }
        continue;
      }
      for (int64_t i = 0; i < h; ++i) {
        yr[i] = xr[i] * cr[i] + -xr[i + h] * sr[i];
        yr[i + h] = xr[i + h] * cr[i + h] + xr[i] * sr[i + h];
      }
    }
  });
  c.out(0, std::move(y));
}

} // namespace

void registerNnKernels(KernelTable &m) {
  m[OpKind::Softmax] = softmax;
  m[OpKind::LogSoftmax] = softmax;
  m[OpKind::LayerNorm] = layerNorm;
  m[OpKind::Matmul] = matmul;
  m[OpKind::Linear] = linear;
  m[OpKind::Reduce] = reduce;
  m[OpKind::Argmax] = argExtremum;
  m[OpKind::Argmin] = argExtremum;
  m[OpKind::Cumsum] = cumsum;
  m[OpKind::TopK] = topK;
  m[OpKind::SequenceMask] = sequenceMask;
  m[OpKind::CausalMask] = causalMask;
  m[OpKind::SinusoidalPositions] = sinusoidalPositions;
  m[OpKind::Rotary] = rotary;
}

} // namespace heed::rt::cpu
