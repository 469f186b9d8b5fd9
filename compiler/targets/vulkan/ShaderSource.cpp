//===- ShaderSource.cpp - GLSL building blocks of the vulkan kernels -------===//

#include "compiler/targets/vulkan/ShaderSource.h"

#include "dialects/heed/IR/HeedOps.h"
#include "runtime/drivers/vulkan/abi/Rows.h"

#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstdio>
#include <cstring>

namespace mlir::heed::vulkan::detail {

std::string storageType(Type t) {
  if (t.isF32())
    return "float";
  if (t.isF64())
    return "double";
  // f16 and bf16 are stored as their bits: the kernels convert with integer operations
  // (kHalfHelpers), so they need 16-bit storage but neither shaderFloat16 nor the device's
  // (unspecified) float16 rounding.
  if (t.isF16() || t.isBF16())
    return "uint16_t";
  if (t.isSignlessInteger(32))
    return "int";
  if (t.isSignlessInteger(64))
    return "int64_t";
  if (t.isSignlessInteger(1) || t.isUnsignedInteger(8))
    return "uint8_t";
  if (t.isUnsignedInteger(32))
    return "uint";
  if (t.isUnsignedInteger(64))
    return "uint64_t";
  return "";
}

std::string computeType(Type t) {
  if (t.isInteger(1) || t.isUnsignedInteger(8))
    return "uint";
  if (t.isF16() || t.isBF16())
    return "float";
  return storageType(t);
}

bool isFloatLike(Type t) { return t.isF32() || t.isF64() || t.isF16() || t.isBF16(); }

std::string loadValue(Type t, const std::string &raw) {
  if (t.isF16())
    return "h2f_(uint(" + raw + "))";
  if (t.isBF16())
    return "uintBitsToFloat(uint(" + raw + ") << 16)";
  return computeType(t) + "(" + raw + ")";
}

std::string storeValue(Type t, const std::string &value) {
  if (t.isF16())
    return "uint16_t(f2h_(" + value + "))";
  if (t.isBF16())
    return "uint16_t(f2bf_(" + value + "))";
  return storageType(t) + "(" + value + ")";
}

std::string floatLiteral(double v) {
  if (std::isnan(v))
    return "uintBitsToFloat(0x7fc00000u)";
  if (std::isinf(v))
    return v > 0 ? "uintBitsToFloat(0x7f800000u)" : "uintBitsToFloat(0xff800000u)";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g", float(v));
  std::string s = buf;
  if (s.find_first_of(".eE") == std::string::npos)
    s += ".0";
  return s;
}

std::string suffixOf(Type t) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << t;
  return s;
}

std::string Shader::render() const {
  std::string s = "#version 450\n" + extensions;
  bool i64 = false, i8 = false, i16 = false;
  for (const std::string &b : buffers) {
    i64 |= b == "int64_t" || b == "uint64_t";
    i8 |= b == "uint8_t";
    i16 |= b == "uint16_t";
  }
  i64 |= body.find("int64_t") != std::string::npos || helpers.find("int64_t") != std::string::npos;
  if (i64)
    s += "#extension GL_EXT_shader_explicit_arithmetic_types_int64 : require\n";
  if (i8)
    s += "#extension GL_EXT_shader_8bit_storage : require\n"
         "#extension GL_EXT_shader_explicit_arithmetic_types_int8 : require\n";
  // 16-bit values are only loaded, stored and converted to and from 32 bits: storage access
  // suffices (no shaderInt16).
  if (i16)
    s += "#extension GL_EXT_shader_16bit_storage : require\n";
  s += "layout(local_size_x = " + std::to_string(local) + ") in;\n";
  s += push;
  for (size_t i = 0; i < buffers.size(); ++i) {
    bool out = i + outputs >= buffers.size();
    s += "layout(std430, set = 0, binding = " + std::to_string(i) + ") " +
         (out ? "" : "readonly ") + "buffer B" + std::to_string(i) + " { " + buffers[i] +
         " d[]; } b" + std::to_string(i) + ";\n";
  }
  s += "#define NAN_ uintBitsToFloat(0x7fc00000u)\n"
       "#define INF_ uintBitsToFloat(0x7f800000u)\n"
       "uint group_() { return gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x; }\n"
       "int gid_() { return int(group_() * " +
       std::to_string(local) + "u + gl_LocalInvocationID.x); }\n";
  s += helpers;
  s += "void main() {\n" + body + "}\n";
  return s;
}

const char *const kMathHelpers = R"(
float erf_(float x) {
  float a = abs(x);
  float t = 1.0 / (1.0 + 0.3275911 * a);
  float y = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t +
                   0.254829592) * t * exp(-a * a);
  return x < 0.0 ? -y : y;
}
float tanh_(float x) {
  if (isnan(x)) return x;
  float t = exp(-2.0 * abs(x));
  float r = (1.0 - t) / (1.0 + t);
  return x < 0.0 ? -r : r;
}
float pow_(float x, float y) {
  if (y == 0.0 || x == 1.0) return 1.0;
  if (isnan(x) || isnan(y)) return NAN_;
  if (x == 0.0) return y > 0.0 ? 0.0 : INF_;
  if (x < 0.0) {
    if (floor(y) != y) return NAN_;
    float r = exp2(y * log2(-x));
    return mod(abs(y), 2.0) == 1.0 ? -r : r;
  }
  return exp2(y * log2(x));
}
)";

// The ports of runtime/core/Float16.h: the same rounding, bit for bit.
const char *const kHalfHelpers = R"(
float h2f_(uint h) {
  uint sign = (h & 0x8000u) << 16, e = (h >> 10) & 0x1fu, m = h & 0x3ffu;
  if (e == 0x1fu) return uintBitsToFloat(sign | 0x7f800000u | (m << 13));
  if (e == 0u) { float f = float(m) * (1.0 / 16777216.0); return sign != 0u ? -f : f; }
  return uintBitsToFloat(sign | ((e + 112u) << 23) | (m << 13));
}
uint narrow_(uint a, int mant, int bias, int maxExp) {
  if ((a >> 23) == 0u) return 0u;
  int e = int(a >> 23) - 127 + bias, shift = 23 - mant;
  if (e >= maxExp) return uint(maxExp) << mant;
  uint sig = (a & 0x7fffffu) | 0x800000u;
  if (e <= 0) { shift += 1 - e; e = 0; if (shift > 31) return 0u; }
  uint kept = sig >> shift, rest = sig & ((1u << shift) - 1u), half_ = 1u << (shift - 1);
  if (rest > half_ || (rest == half_ && (kept & 1u) != 0u)) ++kept;
  uint r = e == 0 ? kept : (uint(e) << mant) + kept - (1u << mant);
  return (r >> mant) >= uint(maxExp) ? uint(maxExp) << mant : r;
}
uint f2h_(float f) {
  uint b = floatBitsToUint(f), sign = (b >> 16) & 0x8000u, a = b & 0x7fffffffu;
  if (a >= 0x7f800000u) return sign | (a == 0x7f800000u ? 0x7c00u : 0x7e00u);
  return sign | narrow_(a, 10, 15, 31);
}
uint f2bf_(float f) {
  uint b = floatBitsToUint(f);
  if ((b & 0x7fffffffu) > 0x7f800000u) return (b >> 16) | 0x40u;
  return (b + 0x7fffu + ((b >> 16) & 1u)) >> 16;
}
uint bfq_(float f) { return isnan(f) ? ((floatBitsToUint(f) >> 16) & 0x8000u) | 0x7fc0u : f2bf_(f); }
)";

const char *const kIntHelpers = R"(
uint64_t f2i_(float v, bool toUnsigned) {
  if (isnan(v)) return 0ul;
  if (v >= 9223372036854775808.0)
    return !toUnsigned ? 0x7ffffffffffffffful
                       : v >= 18446744073709551616.0 ? 0xfffffffffffffffful : uint64_t(v);
  if (v < -9223372036854775808.0) return 0x8000000000000000ul;
  return uint64_t(int64_t(v));
}
)";

const char *const kDoubleHelpers = R"(
uint narrowD_(uint64_t a, int mant, int bias, int maxExp) {
  if ((a >> 52) == 0ul) return 0u;
  int e = int(a >> 52) - 1023 + bias, shift = 52 - mant;
  if (e >= maxExp) return uint(maxExp) << mant;
  uint64_t sig = (a & 0xffffffffffffful) | (1ul << 52);
  if (e <= 0) { shift += 1 - e; e = 0; if (shift > 63) return 0u; }
  uint64_t kept = sig >> shift, rest = sig & ((1ul << shift) - 1ul), half_ = 1ul << (shift - 1);
  if (rest > half_ || (rest == half_ && (kept & 1ul) != 0ul)) ++kept;
  uint r = e == 0 ? uint(kept) : (uint(e) << mant) + uint(kept - (1ul << mant));
  return (r >> mant) >= uint(maxExp) ? uint(maxExp) << mant : r;
}
uint64_t dbits_(double d) {
  uvec2 w = unpackDouble2x32(d);
  return (uint64_t(w.y) << 32) | uint64_t(w.x);
}
uint d2h_(double d) {
  uint64_t b = dbits_(d), a = b & 0x7ffffffffffffffful;
  uint sign = uint(b >> 48) & 0x8000u;
  if (a >= 0x7ff0000000000000ul) return sign | (a == 0x7ff0000000000000ul ? 0x7c00u : 0x7e00u);
  return sign | narrowD_(a, 10, 15, 31);
}
uint d2bf_(double d) {
  uint64_t b = dbits_(d), a = b & 0x7ffffffffffffffful;
  uint sign = uint(b >> 48) & 0x8000u;
  if (a >= 0x7ff0000000000000ul) return sign | (a == 0x7ff0000000000000ul ? 0x7f80u : 0x7fc0u);
  return sign | narrowD_(a, 7, 127, 255);
}
uint64_t d2i_(double v, bool toUnsigned) {
  if (isnan(v)) return 0ul;
  if (v >= 9223372036854775808.0lf)
    return !toUnsigned ? 0x7ffffffffffffffful
                       : v >= 18446744073709551616.0lf ? 0xfffffffffffffffful : uint64_t(v);
  if (v < -9223372036854775808.0lf) return 0x8000000000000000ul;
  return uint64_t(int64_t(v));
}
// GLSL has no double exp or log: integral exponents (the ONNX Pow of integers) multiply exactly
// in double; others go through pow_ in f32 (about 1e-7 relative).
double pow64_(double x, double y) {
  if (y == 0.0lf || x == 1.0lf) return 1.0lf;
  if (isnan(x) || isnan(y)) return double(NAN_);
  if (floor(y) == y && abs(y) <= 1048576.0lf) {
    double r = 1.0lf, p = x;
    for (int n = int(abs(y)); n > 0; n >>= 1) {
      if ((n & 1) != 0) r *= p;
      p *= p;
    }
    return y < 0.0lf ? 1.0lf / r : r;
  }
  return double(pow_(float(x), float(y)));
}
)";

void addHelpers(Shader &s) {
  auto calls = [&](std::initializer_list<const char *> names) {
    for (const char *n : names)
      if (s.body.find(std::string(n) + "(") != std::string::npos)
        return true;
    return false;
  };
  bool dbl = calls({"d2h_", "d2bf_", "d2i_", "pow64_"});
  if (dbl || calls({"erf_", "tanh_", "pow_"}))
    s.helpers += kMathHelpers;
  if (calls({"h2f_", "f2h_", "f2bf_", "bfq_"}))
    s.helpers += kHalfHelpers;
  if (calls({"f2i_"}))
    s.helpers += kIntHelpers;
  if (dbl)
    s.helpers += kDoubleHelpers;
}

const char *const kRowHelpers = R"(
shared float red_[64];
float rowSum_(float v) {
  uint l = gl_LocalInvocationID.x;
  barrier();
  red_[l] = v;
  barrier();
  for (uint s = 32u; s > 0u; s >>= 1) {
    if (l < s) red_[l] += red_[l + s];
    barrier();
  }
  return red_[0];
}
float rowMax_(float v) {
  uint l = gl_LocalInvocationID.x;
  barrier();
  red_[l] = v;
  barrier();
  for (uint s = 32u; s > 0u; s >>= 1) {
    if (l < s) red_[l] = max(red_[l], red_[l + s]);
    barrier();
  }
  return red_[0];
}
)";

const char *const kSubgroupRowHelpers = R"(
shared float red_[64];
float rowSum_(float v) {
  float s = subgroupAdd(v);
  barrier();
  if (subgroupElect()) red_[gl_SubgroupID] = s;
  barrier();
  float r = 0.0;
  for (uint k = 0u; k < gl_NumSubgroups; ++k) r += red_[k];
  return r;
}
float rowMax_(float v) {
  float s = subgroupMax(v);
  barrier();
  if (subgroupElect()) red_[gl_SubgroupID] = s;
  barrier();
  float r = red_[0];
  for (uint k = 1u; k < gl_NumSubgroups; ++k) r = max(r, red_[k]);
  return r;
}
)";

const char *const kSubgroupExtensions = "#extension GL_KHR_shader_subgroup_basic : require\n"
                                        "#extension GL_KHR_shader_subgroup_arithmetic : require\n";

Lowered withSubgroupRows(Shader s) {
  Shader sg = s;
  size_t at = sg.helpers.find(kRowHelpers);
  if (at == std::string::npos) // a generator bug: the caller's kernel has no row reductions
    return {{s}, ""};
  sg.helpers.replace(at, std::strlen(kRowHelpers), kSubgroupRowHelpers);
  sg.name += "_sg";
  sg.extensions += kSubgroupExtensions;
  Lowered l;
  place(l, ::heed::vkabi::RowKernel::shared, std::move(s));
  place(l, ::heed::vkabi::RowKernel::subgroup, std::move(sg));
  return l;
}

std::string pushBlock(const ::heed::vkabi::PushField *fields, size_t count) {
  std::string s = "layout(push_constant) uniform PC {";
  for (size_t i = 0; i < count; ++i) {
    s += std::string(" int ") + fields[i].name;
    if (fields[i].count > 1)
      s += "[" + std::to_string(fields[i].count) + "]";
    s += ";";
  }
  return s + " } pc;\n";
}

std::string decompose(int rank, const std::string &array, int dimAt,
                      const std::vector<int> &strideAt, const std::vector<std::string> &names,
                      const std::string &index) {
  std::string s = "  int rem_ = " + index + ";\n";
  for (const std::string &n : names)
    s += "  int " + n + " = 0;\n";
  for (int d = rank - 1; d >= 0; --d) {
    std::string dim = array + "[" + std::to_string(dimAt + d) + "]";
    s += "  { int c_ = rem_ % " + dim + "; rem_ /= " + dim + ";";
    for (size_t k = 0; k < names.size(); ++k)
      s += " " + names[k] + " += c_ * " + array + "[" + std::to_string(strideAt[k] + d) + "];";
    s += " }\n";
  }
  return s;
}

int64_t intAttr(Operation &op, StringRef name, int64_t fallback) {
  Attribute a = op.getAttr(name);
  if (!a)
    return fallback;
  if (isa<UnitAttr>(a))
    return 1;
  // Bools, integers and every heed enum, as the module writer stores them.
  return mlir::heed::integerValue(a).value_or(fallback);
}

double floatAttr(Operation &op, StringRef name, double fallback) {
  if (auto f = dyn_cast_or_null<FloatAttr>(op.getAttr(name)))
    return f.getValueAsDouble();
  return fallback;
}

} // namespace mlir::heed::vulkan::detail
