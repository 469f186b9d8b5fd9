//===- Elementwise.cpp - Unary, binary, compare, where, cast --------------===//
//
// NumPy broadcasting over any rank: each operand gets strides with 0 on its
// broadcast dims and the innermost dim runs as a tight loop.
//
//===----------------------------------------------------------------------===//

#include "runtime/drivers/cpu/Executor.h"

#include "runtime/drivers/cpu/Activation.h"

#include "runtime/core/Float16.h"

#include "runtime/drivers/cpu/Dnnl.h"
#include "runtime/drivers/cpu/kernels/Parallel.h"
#include "runtime/drivers/rules/DataRules.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <optional>
#include <type_traits>

namespace heed::rt::cpu {
namespace {

/// The shape all of `ins` broadcast to (DataRules.h), or fails.
std::vector<int64_t> broadcastShape(OpCtx &c, const std::vector<const Tensor *> &ins) {
  std::vector<TypedShape> shapes;
  for (const Tensor *t : ins)
    shapes.push_back(typedShape(*t));
  BroadcastLayout l;
  if (std::string error = broadcastOperands(shapes, l); !error.empty())
    c.fail(error);
  return l.shape;
}

/// Calls f(outIndex, offsets...) for every element of `out`, in order.
template <size_t N, typename F>
void forEach(const std::vector<int64_t> &out, const std::vector<const Tensor *> &ins, F f) {
  int64_t total = elementCount(out);
  if (total == 0)
    return;
  size_t rank = out.size();
  std::vector<std::vector<int64_t>> strides;
  for (const Tensor *t : ins)
    strides.push_back(broadcastStrides(t->shape, out));
  bool same = true;
  for (const Tensor *t : ins)
    same &= t->shape == out;
  int64_t off[N] = {};
  if (same || rank == 0) {
    for (int64_t i = 0; i < total; ++i) {
      for (size_t k = 0; k < N; ++k)
        off[k] = same ? i : 0;
      f(i, off);
    }
    return;
  }
  int64_t inner = out[rank - 1];
  std::vector<int64_t> idx(rank, 0);
  for (int64_t base = 0; base < total; base += inner) {
    int64_t start[N];
    for (size_t k = 0; k < N; ++k) {
      start[k] = 0;
      for (size_t d = 0; d + 1 < rank; ++d)
        start[k] += idx[d] * strides[k][d];
    }
    for (int64_t j = 0; j < inner; ++j) {
      for (size_t k = 0; k < N; ++k)
        off[k] = start[k] + j * strides[k][rank - 1];
      f(base + j, off);
    }
    for (size_t d = rank - 1; d-- > 0;) {
      if (++idx[d] < out[d])
        break;
      idx[d] = 0;
    }
  }
}

//===----------------------------------------------------------------------===//
// Unary
//===----------------------------------------------------------------------===//

template <typename T, typename F> void mapLoop(const T *in, T *out, int64_t n, F f) {
  for (int64_t i = 0; i < n; ++i)
    out[i] = f(in[i]);
}

/// Heed's own loops (f64, erf, and f32 with HEED_CPU_NO_DNNL=1): the op is
/// chosen once, outside the loop.

// The activations heed.linear applies too (applyActivation below), one definition for both.
template <typename T> T reluOf(T v) { return v > T(0) ? v : (std::isnan(v) ? v : T(0)); }
template <typename T> T sigmoidOf(T v) { return T(1) / (T(1) + std::exp(-v)); }
template <typename T> T tanhOf(T v) { return std::tanh(v); }
template <typename T> T geluOf(T v) {
  return T(0.5) * v * (T(1) + std::erf(v * T(0.7071067811865476)));
}
template <typename T> T siluOf(T v) { return v / (T(1) + std::exp(-v)); }
template <typename T> T geluTanhOf(T v) {
  return T(0.5) * v * (T(1) + std::tanh(T(0.7978845608028654) * (v + T(0.044715) * v * v * v)));
}
template <typename T> void unaryLoop(OpCtx &c, const Tensor &x, Tensor &y) {
  const OpKind k = c.op.opKind;
  const T *in = x.as<T>();
  T *out = y.as<T>();
  int64_t n = x.count();
  if (k == OpKind::Abs)
    mapLoop(in, out, n, [](T v) { return std::fabs(v); });
  else if (k == OpKind::Erf)
    mapLoop(in, out, n, [](T v) { return std::erf(v); });
  else if (k == OpKind::Exp)
    mapLoop(in, out, n, [](T v) { return std::exp(v); });
  else if (k == OpKind::Floor)
    mapLoop(in, out, n, [](T v) { return std::floor(v); });
  else if (k == OpKind::Ceil)
    mapLoop(in, out, n, [](T v) { return std::ceil(v); });
  else if (k == OpKind::Round) // halves to even (ONNX Round, numpy): nearbyint in the default mode
    mapLoop(in, out, n, [](T v) { return std::nearbyint(v); });
  else if (k == OpKind::Log)
    mapLoop(in, out, n, [](T v) { return std::log(v); });
  else if (k == OpKind::Neg)
    mapLoop(in, out, n, [](T v) { return -v; });
  else if (k == OpKind::Reciprocal)
    mapLoop(in, out, n, [](T v) { return T(1) / v; });
  else if (k == OpKind::Relu)
    mapLoop(in, out, n, reluOf<T>);
  else if (k == OpKind::Rsqrt)
    mapLoop(in, out, n, [](T v) { return T(1) / std::sqrt(v); });
  else if (k == OpKind::Sigmoid)
    mapLoop(in, out, n, sigmoidOf<T>);
  else if (k == OpKind::Sign)
    mapLoop(in, out, n, [](T v) { return v > T(0) ? T(1) : v < T(0) ? T(-1) : v; });
  else if (k == OpKind::Sqrt)
    mapLoop(in, out, n, [](T v) { return std::sqrt(v); });
  else if (k == OpKind::Tanh)
    mapLoop(in, out, n, tanhOf<T>);
  else if (k == OpKind::Gelu && c.op.getInt(AttrId::approximate) == 1)
    mapLoop(in, out, n, geluTanhOf<T>);
  else if (k == OpKind::Gelu)
    mapLoop(in, out, n, geluOf<T>);
  else // registered as unary below without a loop here
    c.fail("has no CPU loop");
}

/// The oneDNN eltwise algorithm of a unary op, where oneDNN has one (not erf).
std::optional<dnnl::Eltwise> dnnlEltwise(const PlanOp &op) {
  using dnnl::Eltwise;
  switch (op.opKind) {
  case OpKind::Abs:
    return Eltwise::abs;
  case OpKind::Exp:
    return Eltwise::exp;
  case OpKind::Log:
    return Eltwise::log;
  case OpKind::Neg:
    return Eltwise::neg;
  case OpKind::Reciprocal:
    return Eltwise::reciprocal;
  case OpKind::Relu:
    return Eltwise::relu;
  case OpKind::Rsqrt:
    return Eltwise::rsqrt;
  case OpKind::Sigmoid:
    return Eltwise::sigmoid;
  case OpKind::Sqrt:
    return Eltwise::sqrt;
  case OpKind::Tanh:
    return Eltwise::tanh;
  case OpKind::Gelu:
    return op.getInt(AttrId::approximate) == 1 ? Eltwise::geluTanh : Eltwise::geluErf;
  default:
    return std::nullopt;
  }
}

/// abs, neg and sign of signed integers. abs and neg wrap as two's complement (numpy, and GLSL
/// on the Vulkan driver): computed unsigned, as signed overflow is UB in C++.
template <typename T> void signedIntLoop(OpCtx &c, const Tensor &x, Tensor &y) {
  using U = std::make_unsigned_t<T>;
  const OpKind k = c.op.opKind;
  const T *in = x.as<T>();
  T *out = y.as<T>();
  int64_t n = x.count();
  if (k == OpKind::Abs)
    mapLoop(in, out, n, [](T v) { return v < 0 ? T(U(0) - U(v)) : v; });
  else if (k == OpKind::Neg)
    mapLoop(in, out, n, [](T v) { return T(U(0) - U(v)); });
  else if (k == OpKind::Sign)
    mapLoop(in, out, n, [](T v) { return T((v > 0) - (v < 0)); });
  else
    c.fail(std::string("does not support element type ") + elemTypeName(x.type));
}

void unary(OpCtx &c) {
  const Tensor &x = c.in(0);
  Tensor y = c.alloc(x.type, x.shape);
  if (x.type == ElemType::i32 || x.type == ElemType::i64) {
    if (x.type == ElemType::i32)
      signedIntLoop<int32_t>(c, x, y);
    else
      signedIntLoop<int64_t>(c, x, y);
    c.out(0, std::move(y));
    return;
  }
  std::optional<dnnl::Eltwise> e = dnnlEltwise(c.op);
  if (x.type == ElemType::f32 && e && useDnnlPrimitives()) {
    dnnl::eltwise(*e, x.as<float>(), y.as<float>(), x.count());
    c.out(0, std::move(y));
    return;
  }
  if (x.type == ElemType::f32)
    unaryLoop<float>(c, x, y);
  else if (x.type == ElemType::f64)
    unaryLoop<double>(c, x, y);
  else
    c.fail(std::string("does not support element type ") + elemTypeName(x.type));
  c.out(0, std::move(y));
}

/// is_nan and is_inf (with the signs it detects).
template <typename T> void floatTestLoop(OpCtx &c, const Tensor &x, Tensor &y) {
  const T *in = x.as<T>();
  uint8_t *out = y.as<uint8_t>();
  int64_t n = x.count();
  if (c.op.opKind == OpKind::IsNan) {
    for (int64_t i = 0; i < n; ++i)
      out[i] = std::isnan(in[i]);
    return;
  }
  bool negative = c.op.getBool(AttrId::detect_negative);
  bool positive = c.op.getBool(AttrId::detect_positive);
  for (int64_t i = 0; i < n; ++i)
    out[i] = std::isinf(in[i]) && (in[i] > 0 ? positive : negative);
}

void floatTest(OpCtx &c) {
  const Tensor &x = c.in(0);
  Tensor y = c.alloc(ElemType::boolean, x.shape);
  if (x.type == ElemType::f32)
    floatTestLoop<float>(c, x, y);
  else if (x.type == ElemType::f64)
    floatTestLoop<double>(c, x, y);
  else
    c.fail(std::string("does not support element type ") + elemTypeName(x.type));
  c.out(0, std::move(y));
}

void logicalNot(OpCtx &c) {
  const Tensor &x = c.in(0);
  Tensor y = c.alloc(ElemType::boolean, x.shape);
  for (int64_t i = 0, n = x.count(); i < n; ++i)
    y.as<uint8_t>()[i] = x.as<uint8_t>()[i] ? 0 : 1;
  c.out(0, std::move(y));
}

//===----------------------------------------------------------------------===//
// Cast
//===----------------------------------------------------------------------===//

bool isFloatType(ElemType t) {
  return t == ElemType::f32 || t == ElemType::f64 || isNarrowFloat(t);
}

bool isUnsignedType(ElemType t) {
  return t == ElemType::u8 || t == ElemType::u32 || t == ElemType::u64;
}

/// Element i of an integer or bool tensor as its two's-complement bits
/// (unsigned values zero-extended).
uint64_t loadIntBits(const Tensor &t, int64_t i) {
  switch (t.type) {
  case ElemType::i32:
    return uint64_t(int64_t(t.as<int32_t>()[i]));
  case ElemType::i64:
    return uint64_t(t.as<int64_t>()[i]);
  case ElemType::u32:
    return t.as<uint32_t>()[i];
  case ElemType::u64:
    return t.as<uint64_t>()[i];
  default: // boolean, u8
    return t.as<uint8_t>()[i];
  }
}

/// A float truncated toward zero into 64 bits: NaN gives 0, values beyond the
/// 64-bit range saturate (to the unsigned range when the target is unsigned).
uint64_t floatToIntBits(double v, bool toUnsigned) {
  if (std::isnan(v))
    return 0;
  if (toUnsigned && v >= 9223372036854775808.0)
    return v >= 18446744073709551616.0 ? UINT64_MAX : uint64_t(v);
  if (v >= 9223372036854775808.0)
    return uint64_t(INT64_MAX);
  if (v < -9223372036854775808.0)
    return uint64_t(INT64_MIN);
  return uint64_t(int64_t(v)); // toward zero
}

/// Casts between any two element types. Floats round once, to nearest-even,
/// directly from the source (f64 -> f16 does not go through f32); integers
/// wrap to the target width; floats into integers truncate toward zero (ONNX
/// leaves out-of-range values undefined: Heed saturates to 64 bits, then
/// wraps); anything into bool is `!= 0`.
void cast(OpCtx &c) {
  const Tensor &x = c.in(0);
  ElemType to = c.resultType(0).type;
  Tensor y = c.alloc(to, x.shape);
  bool fromFloat = isFloatType(x.type), fromUnsigned = isUnsignedType(x.type);
  for (int64_t i = 0, n = x.count(); i < n; ++i) {
    if (fromFloat) {
      // f32 -> bf16 keeps NaN payloads; everything else goes through an exact double.
      if (x.type == ElemType::f32 && to == ElemType::bf16) {
        y.as<uint16_t>()[i] = floatToBf16Bits(x.as<float>()[i]);
        continue;
      }
      double v = loadAsDouble(x, i);
      switch (to) {
      case ElemType::f32:
        y.as<float>()[i] = float(v);
        break;
      case ElemType::f64:
        y.as<double>()[i] = v;
        break;
      case ElemType::f16:
        y.as<uint16_t>()[i] = doubleToHalfBits(v);
        break;
      case ElemType::bf16:
        y.as<uint16_t>()[i] = doubleToBf16Bits(v);
        break;
      case ElemType::boolean:
        y.as<uint8_t>()[i] = v != 0.0;
        break;
      case ElemType::i32:
        y.as<int32_t>()[i] = int32_t(floatToIntBits(v, false));
        break;
      case ElemType::i64:
        y.as<int64_t>()[i] = int64_t(floatToIntBits(v, false));
        break;
      case ElemType::u8:
        y.as<uint8_t>()[i] = uint8_t(floatToIntBits(v, true));
        break;
      case ElemType::u32:
        y.as<uint32_t>()[i] = uint32_t(floatToIntBits(v, true));
        break;
      case ElemType::u64:
        y.as<uint64_t>()[i] = floatToIntBits(v, true);
        break;
      default:
        c.fail(std::string("cannot cast to ") + elemTypeName(to));
      }
      continue;
    }
    uint64_t bits = loadIntBits(x, i);
    // Integers into floats convert from the exact 64-bit value (one rounding for f32/f64).
    auto asDouble = [&] { return fromUnsigned ? double(bits) : double(int64_t(bits)); };
    switch (to) {
    case ElemType::f32:
      y.as<float>()[i] = fromUnsigned ? float(bits) : float(int64_t(bits));
      break;
    case ElemType::f64:
      y.as<double>()[i] = asDouble();
      break;
    case ElemType::f16:
      y.as<uint16_t>()[i] = doubleToHalfBits(asDouble());
      break;
    case ElemType::bf16:
      y.as<uint16_t>()[i] = doubleToBf16Bits(asDouble());
      break;
    case ElemType::boolean:
      y.as<uint8_t>()[i] = bits != 0;
      break;
    case ElemType::i32:
      y.as<int32_t>()[i] = int32_t(uint32_t(bits));
      break;
    case ElemType::i64:
      y.as<int64_t>()[i] = int64_t(bits);
      break;
    case ElemType::u8:
      y.as<uint8_t>()[i] = uint8_t(bits);
      break;
    case ElemType::u32:
      y.as<uint32_t>()[i] = uint32_t(bits);
      break;
    case ElemType::u64:
      y.as<uint64_t>()[i] = bits;
      break;
    default:
      c.fail(std::string("cannot cast to ") + elemTypeName(to));
    }
  }
  c.out(0, std::move(y));
}

//===----------------------------------------------------------------------===//
// Binary
//===----------------------------------------------------------------------===//

enum class Bin { add, sub, mul, div, max, min, pow };

/// The length of the row `t` repeats to fill `out` (t's dims, leading 1s dropped, are out's
/// trailing dims: a bias [N] added to [B, L, N]), or 0 when t broadcasts otherwise.
int64_t repeatedRow(const std::vector<int64_t> &t, const std::vector<int64_t> &out) {
  size_t lead = 0;
  while (lead < t.size() && t[lead] == 1)
    ++lead;
  size_t n = t.size() - lead;
  if (n == 0 || n > out.size() ||
      !std::equal(t.begin() + int64_t(lead), t.end(), out.end() - int64_t(n)))
    return 0;
  return elementCount(std::vector<int64_t>(t.begin() + int64_t(lead), t.end()));
}

/// Calls body(begin, end) over [0, n) in chunks shared among the pool's threads when `parallel`
/// (a residual add of [B, L, D] streams megabytes: one core does not reach the memory bandwidth
/// two do), else once. The executor already runs ops on small operands on one thread.
template <typename Body> void chunked(int64_t n, bool parallel, Body body) {
  constexpr int64_t kChunk = 16 << 10; // elements per task
  if (!parallel || n <= kChunk) {
    body(int64_t(0), n);
    return;
  }
  ::heed::cpu::detail::parallelStatic((n + kChunk - 1) / kChunk, [&](int64_t b, int64_t e) {
    body(b * kChunk, std::min(e * kChunk, n));
  });
}

/// y = f(a, b) with broadcasting; same shapes, a broadcast scalar and a repeated row (a bias,
/// a residual of one row) run as tight loops, on all threads for floats (f is pure there: the
/// integer division records a zero divisor).
template <typename T, typename F>
void binaryApply(const Tensor &a, const Tensor &b, Tensor &y, F f) {
  const T *pa = a.as<T>(), *pb = b.as<T>();
  T *py = y.as<T>();
  int64_t n = y.count();
  constexpr bool parallel = std::is_floating_point_v<T>;
  if (a.shape == y.shape && b.shape == y.shape) {
    chunked(n, parallel, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i)
        py[i] = f(pa[i], pb[i]);
    });
    return;
  }
  if (a.shape == y.shape && b.count() == 1) {
    T z = pb[0];
    chunked(n, parallel, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i)
        py[i] = f(pa[i], z);
    });
    return;
  }
  if (b.shape == y.shape && a.count() == 1) {
    T x = pa[0];
    chunked(n, parallel, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i)
        py[i] = f(x, pb[i]);
    });
    return;
  }
  if (int64_t row = a.shape == y.shape ? repeatedRow(b.shape, y.shape) : 0) {
    chunked(n / row, parallel, [&](int64_t begin, int64_t end) {
      for (int64_t r = begin * row; r < end * row; r += row)
        for (int64_t j = 0; j < row; ++j)
          py[r + j] = f(pa[r + j], pb[j]);
    });
    return;
  }
  if (int64_t row = b.shape == y.shape ? repeatedRow(a.shape, y.shape) : 0) {
    chunked(n / row, parallel, [&](int64_t begin, int64_t end) {
      for (int64_t r = begin * row; r < end * row; r += row)
        for (int64_t j = 0; j < row; ++j)
          py[r + j] = f(pa[j], pb[r + j]);
    });
    return;
  }
  forEach<2>(y.shape, {&a, &b},
             [&](int64_t i, const int64_t *o) { py[i] = f(pa[o[0]], pb[o[1]]); });
}

/// Integer add, sub and mul wrap (two's complement), as GLSL's ints do on the Vulkan driver:
/// computed in an unsigned type at least as wide as `unsigned` (signed overflow is UB in C++, and
/// narrower types would promote to int). Floats compute as they are.
template <typename T, typename F> T wrapping(T x, T z, F f) {
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    using U = std::common_type_t<std::make_unsigned_t<T>, unsigned>;
    return T(f(U(x), U(z)));
  } else {
    return T(f(x, z));
  }
}

template <typename T>
void binaryLoop(OpCtx &c, Bin op, const Tensor &a, const Tensor &b, Tensor &y) {
  constexpr bool isFloat = std::is_floating_point<T>::value;
  switch (op) {
  case Bin::add:
    binaryApply<T>(a, b, y, [](T x, T z) { return wrapping(x, z, std::plus<>()); });
    return;
  case Bin::sub:
    binaryApply<T>(a, b, y, [](T x, T z) { return wrapping(x, z, std::minus<>()); });
    return;
  case Bin::mul:
    binaryApply<T>(a, b, y, [](T x, T z) { return wrapping(x, z, std::multiplies<>()); });
    return;
  case Bin::div:
    // Integers truncate toward zero; INT_MIN / -1 wraps to INT_MIN; a zero divisor is an error
    // (ONNX leaves it undefined), for signed and unsigned types alike.
    if constexpr (!isFloat) {
      bool zero = false;
      binaryApply<T>(a, b, y, [&](T x, T z) {
        if (z == T(0)) {
          zero = true;
          return T(0);
        }
        return (x == std::numeric_limits<T>::min() && z == T(-1)) ? x : T(x / z);
      });
      if (zero)
        c.fail("divides by zero");
    } else {
      binaryApply<T>(a, b, y, [](T x, T z) { return x / z; });
    }
    return;
  case Bin::max:
    binaryApply<T>(a, b, y, [](T x, T z) {
      if constexpr (isFloat)
        if (x != x || z != z)
          return T(NAN);
      return std::max(x, z);
    });
    return;
  case Bin::min:
    binaryApply<T>(a, b, y, [](T x, T z) {
      if constexpr (isFloat)
        if (x != x || z != z)
          return T(NAN);
      return std::min(x, z);
    });
    return;
  case Bin::pow:
    if constexpr (isFloat) {
      // x.pow(2) (RMSNorm's variance) and pow(x, 3) (the tanh GELU) by a scalar exponent: products,
      // an order of magnitude faster than powf and within an ulp of it (x * x is exact rounding).
      if (b.count() == 1 && a.shape == y.shape && (b.as<T>()[0] == T(2) || b.as<T>()[0] == T(3))) {
        if (b.as<T>()[0] == T(2))
          binaryApply<T>(a, b, y, [](T x, T) { return x * x; });
        else
          binaryApply<T>(a, b, y, [](T x, T) { return x * x * x; });
        return;
      }
    }
    binaryApply<T>(a, b, y, [](T x, T z) { return T(std::pow(x, z)); });
    return;
  }
}

void binary(OpCtx &c) {
  const Tensor &a = c.in(0), &b = c.in(1);
  if (a.type != b.type)
    c.fail(std::string("has operands of different element types ") + elemTypeName(a.type) +
           " and " + elemTypeName(b.type));
  const OpKind k = c.op.opKind;
  Bin op = k == OpKind::Add   ? Bin::add
           : k == OpKind::Sub ? Bin::sub
           : k == OpKind::Mul ? Bin::mul
           : k == OpKind::Div ? Bin::div
           : k == OpKind::Max ? Bin::max
           : k == OpKind::Min ? Bin::min
                              : Bin::pow;
  Tensor y = c.alloc(a.type, broadcastShape(c, {&a, &b}));
  switch (a.type) {
  case ElemType::f32:
    binaryLoop<float>(c, op, a, b, y);
    break;
  case ElemType::f64:
    binaryLoop<double>(c, op, a, b, y);
    break;
  case ElemType::i32:
    binaryLoop<int32_t>(c, op, a, b, y);
    break;
  case ElemType::i64:
    binaryLoop<int64_t>(c, op, a, b, y);
    break;
  case ElemType::u8:
    binaryLoop<uint8_t>(c, op, a, b, y);
    break;
  case ElemType::u32:
    binaryLoop<uint32_t>(c, op, a, b, y);
    break;
  case ElemType::u64:
    binaryLoop<uint64_t>(c, op, a, b, y);
    break;
  default:
    c.fail(std::string("does not support element type ") + elemTypeName(a.type));
  }
  c.out(0, std::move(y));
}

void logical(OpCtx &c) {
  const Tensor &a = c.in(0), &b = c.in(1);
  Tensor y = c.alloc(ElemType::boolean, broadcastShape(c, {&a, &b}));
  bool isAnd = c.op.opKind == OpKind::And;
  const uint8_t *pa = a.as<uint8_t>(), *pb = b.as<uint8_t>();
  uint8_t *py = y.as<uint8_t>();
  forEach<2>(y.shape, {&a, &b}, [&](int64_t i, const int64_t *o) {
    py[i] = isAnd ? (pa[o[0]] && pb[o[1]]) : (pa[o[0]] || pb[o[1]]);
  });
  c.out(0, std::move(y));
}

template <typename T> void compareLoop(int64_t pred, const Tensor &a, const Tensor &b, Tensor &y) {
  const T *pa = a.as<T>(), *pb = b.as<T>();
  uint8_t *py = y.as<uint8_t>();
  forEach<2>(y.shape, {&a, &b}, [&](int64_t i, const int64_t *o) {
    T x = pa[o[0]], z = pb[o[1]];
    bool r = false;
    switch (pred) {
    case 0:
      r = x == z;
      break;
    case 1:
      r = x != z;
      break;
    case 2:
      r = x < z;
      break;
    case 3:
      r = x <= z;
      break;
    case 4:
      r = x > z;
      break;
    case 5:
      r = x >= z;
      break;
    }
    py[i] = r;
  });
}

void compare(OpCtx &c) {
  const Tensor &a = c.in(0), &b = c.in(1);
  if (a.type != b.type)
    c.fail("has operands of different element types");
  Tensor y = c.alloc(ElemType::boolean, broadcastShape(c, {&a, &b}));
  int64_t pred = c.op.getInt(AttrId::predicate);
  switch (a.type) {
  case ElemType::f32:
    compareLoop<float>(pred, a, b, y);
    break;
  case ElemType::f64:
    compareLoop<double>(pred, a, b, y);
    break;
  case ElemType::i32:
    compareLoop<int32_t>(pred, a, b, y);
    break;
  case ElemType::i64:
    compareLoop<int64_t>(pred, a, b, y);
    break;
  case ElemType::boolean:
  case ElemType::u8:
    compareLoop<uint8_t>(pred, a, b, y);
    break;
  case ElemType::u32:
    compareLoop<uint32_t>(pred, a, b, y);
    break;
  case ElemType::u64:
    compareLoop<uint64_t>(pred, a, b, y);
    break;
  default:
    c.fail("does not support this element type");
  }
  c.out(0, std::move(y));
}

void where(OpCtx &c) {
  const Tensor &cond = c.in(0), &a = c.in(1), &b = c.in(2);
  if (a.type != b.type)
    c.fail("has branches of different element types");
  Tensor y = c.alloc(a.type, broadcastShape(c, {&cond, &a, &b}));
  size_t es = elemTypeSize(a.type);
  const uint8_t *pc = cond.as<uint8_t>();
  forEach<3>(y.shape, {&cond, &a, &b}, [&](int64_t i, const int64_t *o) {
    const uint8_t *src = pc[o[0]] ? a.data + size_t(o[1]) * es : b.data + size_t(o[2]) * es;
    std::memcpy(y.data + size_t(i) * es, src, es);
  });
  c.out(0, std::move(y));
}

} // namespace

double loadAsDouble(const Tensor &t, int64_t i) {
  switch (t.type) {
  case ElemType::f32:
    return t.as<float>()[i];
  case ElemType::f64:
    return t.as<double>()[i];
  case ElemType::i32:
    return t.as<int32_t>()[i];
  case ElemType::i64:
    return double(t.as<int64_t>()[i]);
  case ElemType::f16:
    return halfBitsToFloat(t.as<uint16_t>()[i]);
  case ElemType::bf16:
    return bf16BitsToFloat(t.as<uint16_t>()[i]);
  case ElemType::u32:
    return t.as<uint32_t>()[i];
  case ElemType::u64:
    return double(t.as<uint64_t>()[i]);
  default: // boolean, u8
    return t.as<uint8_t>()[i];
  }
}

std::optional<dnnl::Eltwise> linearActivation(int64_t activation) {
  using dnnl::Eltwise;
  switch (activation) {
  case 1:
    return Eltwise::relu;
  case 2:
    return Eltwise::geluErf;
  case 3:
    return Eltwise::geluTanh;
  case 4:
    return Eltwise::tanh;
  case 5:
    return Eltwise::sigmoid;
  case 6:
    return Eltwise::silu;
  default:
    return std::nullopt;
  }
}

void applyActivation(dnnl::Eltwise e, float *y, int64_t n) {
  if (useDnnlPrimitives())
    return dnnl::eltwise(e, y, y, n); // what heed.relu, heed.gelu, ... run
  float (*f)(float) = e == dnnl::Eltwise::relu       ? reluOf<float>
                      : e == dnnl::Eltwise::geluErf  ? geluOf<float>
                      : e == dnnl::Eltwise::geluTanh ? geluTanhOf<float>
                      : e == dnnl::Eltwise::tanh     ? tanhOf<float>
                      : e == dnnl::Eltwise::silu     ? siluOf<float>
                                                     : sigmoidOf<float>;
  mapLoop(y, y, n, f);
}

void registerElementwiseKernels(KernelTable &m) {
  for (OpKind k :
       {OpKind::Abs, OpKind::Erf, OpKind::Exp, OpKind::Floor, OpKind::Ceil, OpKind::Round,
        OpKind::Log, OpKind::Neg, OpKind::Reciprocal, OpKind::Relu, OpKind::Rsqrt, OpKind::Sigmoid,
        OpKind::Sign, OpKind::Sqrt, OpKind::Tanh, OpKind::Gelu})
    m[k] = unary;
  m[OpKind::IsNan] = floatTest;
  m[OpKind::IsInf] = floatTest;
  for (OpKind k :
       {OpKind::Add, OpKind::Sub, OpKind::Mul, OpKind::Div, OpKind::Max, OpKind::Min, OpKind::Pow})
    m[k] = binary;
  m[OpKind::Not] = logicalNot;
  m[OpKind::Cast] = cast;
  m[OpKind::And] = logical;
  m[OpKind::Or] = logical;
  m[OpKind::Compare] = compare;
  m[OpKind::Where] = where;
}

} // namespace heed::rt::cpu
