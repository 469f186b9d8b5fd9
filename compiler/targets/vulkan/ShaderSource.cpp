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
  // Signless only: unsigned integers (ui8/ui32/ui64) are not implemented on vulkan.
  if (t.isSignlessInteger(32))
    return "int";
  if (t.isSignlessInteger(64))
    return "int64_t";
  if (t.isSignlessInteger(1))
    return "uint8_t";
  return "";
}

std::string computeType(Type t) {
  if (t.isInteger(1))
    return "uint";
  return storageType(t);
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
  bool i64 = false, i8 = false;
  for (const std::string &b : buffers) {
    i64 |= b == "int64_t";
    i8 |= b == "uint8_t";
  }
  i64 |= body.find("int64_t") != std::string::npos;
  if (i64)
    s += "#extension GL_EXT_shader_explicit_arithmetic_types_int64 : require\n";
  if (i8)
    s += "#extension GL_EXT_shader_8bit_storage : require\n"
         "#extension GL_EXT_shader_explicit_arithmetic_types_int8 : require\n";
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
  if (auto b = dyn_cast<BoolAttr>(a))
    return b.getValue();
  if (auto i = dyn_cast<IntegerAttr>(a))
    return i.getValue().getSExtValue();
  if (isa<UnitAttr>(a))
    return 1;
  if (auto e = dyn_cast<mlir::heed::CompareKindAttr>(a))
    return int64_t(e.getValue());
  if (auto e = dyn_cast<mlir::heed::ReduceKindAttr>(a))
    return int64_t(e.getValue());
  if (auto e = dyn_cast<mlir::heed::GeluApproxAttr>(a))
    return int64_t(e.getValue());
  if (auto e = dyn_cast<mlir::heed::MaskKindAttr>(a))
    return int64_t(e.getValue());
  if (auto e = dyn_cast<mlir::heed::CausalAlignAttr>(a))
    return int64_t(e.getValue());
  if (auto e = dyn_cast<mlir::heed::MaskedRowsAttr>(a))
    return int64_t(e.getValue());
  if (auto e = dyn_cast<mlir::heed::RnnActivationAttr>(a))
    return int64_t(e.getValue());
  return fallback;
}

double floatAttr(Operation &op, StringRef name, double fallback) {
  if (auto f = dyn_cast_or_null<FloatAttr>(op.getAttr(name)))
    return f.getValueAsDouble();
  return fallback;
}

} // namespace mlir::heed::vulkan::detail
