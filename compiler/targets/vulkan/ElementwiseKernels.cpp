//===- ElementwiseKernels.cpp - Elementwise vulkan kernels ----------------===//
//
// The GLSL of the broadcasting elementwise ops and heed.full, one shader
// per op instance (driven by runtime/drivers/vulkan/OpKernels.cpp).
//
//===----------------------------------------------------------------------===//

#include "compiler/targets/vulkan/Kernels.h"

#include "runtime/drivers/vulkan/abi/Elementwise.h"

#include "runtime/core/Float16.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

namespace mlir::heed::vulkan::detail {

namespace {

/// Casts and fills into f16 and bf16 give their stored bits themselves (rounded from the
/// source, not from an f32 in between).
bool isRawStore(const std::string &kind, Type to) {
  if (!to.isF16() && !to.isBF16())
    return false;
  return kind == "heed.full" || kind == "heed.cast";
}

/// heed.cast from `from` (read as its compute type into `a`) to `to`, as the CPU's cast
/// (runtime/drivers/cpu/Elementwise.cpp): floats round once to nearest-even from the source
/// value; floats into integers truncate, saturated to 64 bits then wrapped; integers wrap.
/// Into f16 and bf16 the expression is the stored bits (isRawStore).
std::string castExpr(Type from, Type to) {
  bool fromFloat = isFloatLike(from), fromDouble = from.isF64();
  bool toUnsigned = to.isUnsignedInteger();
  if (to.isInteger(1))
    return fromFloat ? "a != 0.0" : "a != " + computeType(from) + "(0)";
  if (fromFloat) {
    if (to.isF32())
      return "float(a)";
    if (to.isF64())
      return "double(a)";
    if (to.isF16())
      return fromDouble ? "d2h_(a)" : "f2h_(a)";
    if (to.isBF16())
      // f32 keeps a NaN's payload, as the CPU's f32 -> bf16; the others go through a double there.
      return fromDouble ? "d2bf_(a)" : from.isF32() ? "f2bf_(a)" : "bfq_(a)";
    return computeType(to) + "(" + (fromDouble ? "d2i_" : "f2i_") + "(a, " +
           (toUnsigned ? "true" : "false") + "))";
  }
  // From an integer (i1 and ui8 as uint 0/1 and 0..255, exact in f32).
  bool narrowInt = from.isInteger(1) || from.isInteger(8);
  if (to.isF16())
    // f16 overflows at 65520, below 2^24: a float in between rounds the same.
    return "f2h_(float(a))";
  if (to.isBF16())
    return narrowInt ? "f2bf_(float(a))" : "d2bf_(double(a))";
  return computeType(to) + "(a)";
}

/// heed.full's value as an expression of `to`'s compute type (f16 and bf16: their bits).
std::string fullValue(Operation &op, Type to) {
  double fv = floatAttr(op, "value", 0.0);
  // An integer fill has an integer value; a float one (-inf, finfo.min) is never converted.
  int64_t iv = to.isInteger() ? intAttr(op, "value", 0) : 0;
  char buf[64];
  if (to.isF32())
    return floatLiteral(fv);
  if (to.isF16() || to.isBF16()) {
    uint16_t bits =
        to.isF16() ? ::heed::rt::doubleToHalfBits(fv) : ::heed::rt::doubleToBf16Bits(fv);
    return std::to_string(bits) + "u";
  }
  if (to.isF64()) {
    if (std::isnan(fv) || std::isinf(fv))
      return "double(" + floatLiteral(fv) + ")";
    std::snprintf(buf, sizeof buf, "%.17glf", fv);
    std::string s = buf;
    return s.find_first_of(".eE") == std::string::npos ? s.insert(s.size() - 2, ".0") : s;
  }
  if (to.isInteger(1))
    return (iv != 0 || fv != 0.0) ? "true" : "false";
  if (to.isInteger(64))
    return (to.isUnsignedInteger() ? "uint64_t(" + std::to_string(uint64_t(iv)) + "ul)"
                                   : "int64_t(" + std::to_string(iv) + "l)");
  if (to.isUnsignedInteger())
    return "uint(" + std::to_string(uint32_t(iv)) + "u)";
  return "int(" + std::to_string(int32_t(iv)) + ")";
}

} // namespace

std::string activationGlsl(int64_t activation) {
  switch (activation) {
  case 1:
    return "(a > 0.0 ? a : (isnan(a) ? a : 0.0))";
  case 2:
    return "0.5 * a * (1.0 + erf_(a * 0.7071067812))";
  case 3:
    return "0.5 * a * (1.0 + tanh_(0.7978845608 * (a + 0.044715 * a * a * a)))";
  case 4:
    return "tanh_(a)";
  case 5:
    return "1.0 / (1.0 + exp(-a))";
  case 6:
    return "a / (1.0 + exp(-a))";
  default:
    return "a";
  }
}

Lowered lowerElementwise(Operation &op, const std::string &kind) {
  auto out = tensorOf(op.getResult(0));
  if (!out)
    return unsupported("has a non-tensor result");
  int rank = int(out.getRank());
  std::vector<Value> ins;
  for (Value v : op.getOperands())
    if (tensorOf(v))
      ins.push_back(v);
  if (kind == "heed.full")
    ins.clear();
  int nIn = int(ins.size());
  if (!::heed::vkabi::elementwiseFits(rank, nIn))
    return unsupported("has rank " + std::to_string(rank) + ", beyond the " + std::to_string(nIn) +
                       "-input elementwise kernel's push constants");
  Shader s;
  s.name = kind.substr(5) + "_" + suffixOf(out.getElementType()) + "_r" + std::to_string(rank);
  s.usePush<::heed::vkabi::ElementwisePush>();
  for (int k = 0; k < nIn; ++k) {
    Type et = tensorOf(ins[size_t(k)]).getElementType();
    std::string st = storageType(et);
    if (st.empty())
      return unsupported("has an operand of element type " + suffixOf(et) +
                         ", which the vulkan backend does not support");
    s.buffers.push_back(st);
  }
  std::string ost = storageType(out.getElementType());
  if (ost.empty())
    return unsupported("has a result of element type " + suffixOf(out.getElementType()) +
                       ", which the vulkan backend does not support");
  s.buffers.push_back(ost);
  std::vector<int> strideAt;
  std::vector<std::string> names;
  for (int k = 0; k < nIn; ++k) {
    strideAt.push_back(::heed::vkabi::elementwiseStridesAt(rank, k));
    names.push_back("o" + std::to_string(k));
  }
  s.body = "  int i = gid_();\n  if (i >= pc.count) return;\n";
  s.body += decompose(rank, "pc.shape", ::heed::vkabi::elementwiseDimsAt(), strideAt, names, "i");
  const char *abc[] = {"a", "b", "c"};
  // heed.where moves its values' stored bits (an f16 NaN keeps its payload, as on the CPU).
  bool whereBits = kind == "heed.where" && !out.getElementType().isInteger(1);
  std::vector<std::string> ctypes;
  for (int k = 0; k < nIn; ++k) {
    Type et = tensorOf(ins[size_t(k)]).getElementType();
    std::string raw = "b" + std::to_string(k) + ".d[o" + std::to_string(k) + "]";
    // The stored bits, in 32 bits (GLSL has no 8- or 16-bit locals without shaderInt8/16).
    std::string st = storageType(et);
    bool bits = whereBits && k > 0;
    std::string bitsType = st == "uint16_t" || st == "uint8_t" ? "uint" : st;
    ctypes.push_back(bits ? bitsType : computeType(et));
    s.body += "  " + ctypes.back() + " " + abc[k] + " = " +
              (bits ? bitsType + "(" + raw + ")" : loadValue(et, raw)) + ";\n";
  }
  Type et0 = nIn ? tensorOf(ins[0]).getElementType() : out.getElementType();
  Type outType = out.getElementType();
  bool isFloat = isFloatLike(et0), isDouble = et0.isF64();
  bool boolOut = outType.isInteger(1);
  // A GLSL expression of the compute type, or of bool (logic, compare, cast to i1), or of uint
  // 0/1 (where over i1 values): an i1 result takes it through bool().
  std::string e;
  std::string zero = isFloat ? "0.0" : ctypes.empty() ? "0" : ctypes[0] + "(0)";
  static const std::map<std::string, std::string> unaryF = {
      {"heed.erf", "erf_(a)"},         {"heed.exp", "exp(a)"},
      {"heed.floor", "floor(a)"},      {"heed.ceil", "ceil(a)"},
      {"heed.round", "roundEven(a)"},  {"heed.log", "log(a)"},
      {"heed.reciprocal", "1.0 / a"},  {"heed.relu", activationGlsl(1)},
      {"heed.rsqrt", "1.0 / sqrt(a)"}, {"heed.sigmoid", activationGlsl(5)},
      {"heed.sqrt", "sqrt(a)"},        {"heed.tanh", activationGlsl(4)}};
  // The ops of signed numbers, float or int: written with comparisons rather than GLSL's
  // abs/sign, whose results on NaN and on the most negative int are undefined. Negation wraps.
  static const std::map<std::string, std::string> unarySigned = {
      {"heed.abs", "(a < Z ? -a : a)"},
      {"heed.neg", "-a"},
      {"heed.sign", "(a > Z ? O : a < Z ? -O : a)"}};
  // The float tests read the bits: a compiler that assumes no NaN or Inf cannot fold them.
  static const std::map<std::string, std::string> floatTests = {
      {"heed.is_nan", "(floatBitsToUint(a) & 0x7fffffffu) > 0x7f800000u"},
      {"heed.is_inf", "(floatBitsToUint(a) & 0x7fffffffu) == 0x7f800000u"}};
  // GLSL has double abs, floor, ceil, roundEven and sqrt, but no double exp, log or erf.
  static const char *doubleFree[] = {"heed.erf", "heed.exp", "heed.log", "heed.sigmoid",
                                     "heed.tanh"};
  if (auto it = unarySigned.find(kind); it != unarySigned.end()) {
    if (!isFloat && !et0.isSignlessInteger(32) && !et0.isSignlessInteger(64))
      return unsupported("supports f32, i32 and i64 on vulkan");
    e = it->second;
    std::string one = isFloat ? "1.0" : ctypes[0] + "(1)";
    for (auto [from, to] : {std::pair<std::string, std::string>{"Z", zero}, {"O", one}})
      for (size_t at; (at = e.find(from)) != std::string::npos;)
        e.replace(at, 1, to);
  } else if (auto it = floatTests.find(kind); it != floatTests.end()) {
    if (!isFloat || isDouble)
      return unsupported("supports f32, f16 and bf16 on vulkan");
    e = it->second;
    if (kind == "heed.is_inf") {
      bool negative = intAttr(op, "detect_negative", 1) != 0;
      bool positive = intAttr(op, "detect_positive", 1) != 0;
      if (!negative || !positive)
        e = "(" + e + ") && " + (positive ? "a > 0.0" : "a < 0.0");
      if (!negative && !positive)
        e = "false";
    }
  } else if (auto it = unaryF.find(kind); it != unaryF.end()) {
    if (!isFloat)
      return unsupported("supports only float element types on vulkan");
    if (isDouble &&
        std::find(std::begin(doubleFree), std::end(doubleFree), kind) != std::end(doubleFree))
      return unsupported("has no f64 shader on vulkan (GLSL has no double exp, log or erf)");
    e = it->second;
  } else if (kind == "heed.gelu") {
    if (!isFloat || isDouble)
      return unsupported("supports only f32, f16 and bf16 on vulkan");
    e = activationGlsl(intAttr(op, "approximate", 0) == 1 ? 3 : 2);
  } else if (kind == "heed.not") {
    e = "a == 0u";
  } else if (kind == "heed.and") {
    e = "(a != 0u) && (b != 0u)";
  } else if (kind == "heed.or") {
    e = "(a != 0u) || (b != 0u)";
  } else if (kind == "heed.where") {
    e = "(a != 0u) ? b : c";
  } else if (kind == "heed.rotary") {
    // x's last dim D is static, even and not broadcast (its stride is 1): element i of a row
    // pairs with i + D/2 of the same x row, as rotate_half's halves do, or with its neighbour
    // (interleaved: GPT-J's rotate_every_two).
    int64_t half = out.getShape().back() / 2;
    std::string h = std::to_string(half);
    bool interleaved = intAttr(op, "interleaved", 0) != 0;
    s.name += "_d" + std::to_string(2 * half) + (interleaved ? "_i" : ""); // shared by name
    if (interleaved) {
      s.body += "  int hi_ = i % 2;\n";
      s.body += "  float p = " + loadValue(et0, "b0.d[o0 + (hi_ == 0 ? 1 : -1)]") + ";\n";
    } else {
      s.body += "  int hi_ = (i % " + std::to_string(2 * half) + ") < " + h + " ? 0 : 1;\n";
      s.body +=
          "  float p = " + loadValue(et0, "b0.d[o0 + (hi_ == 0 ? " + h + " : -" + h + ")]") + ";\n";
    }
    e = "hi_ == 0 ? a * b - p * c : a * b + p * c";
  } else if (kind == "heed.compare") {
    static const char *ops[] = {"==", "!=", "<", "<=", ">", ">="};
    int64_t p = intAttr(op, "predicate", 0);
    if (p < 0 || p > 5)
      return unsupported("has an unknown predicate");
    e = std::string("a ") + ops[p] + " b";
  } else if (et0.isInteger(1) && (kind == "heed.add" || kind == "heed.sub" || kind == "heed.mul" ||
                                  kind == "heed.div" || kind == "heed.max" || kind == "heed.min")) {
    // Bools compute as uint 0/1, where these would give 2 or wrap; the CPU driver refuses them too.
    return unsupported("does not take i1 operands");
  } else if (kind == "heed.add" || kind == "heed.sub" || kind == "heed.mul") {
    // Unsigned and ui8 (computed as uint, stored truncated) wrap as the CPU's do.
    e = std::string("a ") + (kind == "heed.add" ? "+" : kind == "heed.sub" ? "-" : "*") + " b";
  } else if (kind == "heed.div") {
    if (isFloat) {
      e = "a / b";
    } else {
      // A zero divisor is the CPU's run-time error: the first position goes to the status
      // buffer (the last binding), which the driver reports after the run.
      e = "(b == " + zero + " ? " + zero + " : a / b)";
      s.buffers.push_back("int");
      s.outputs = 2;
      s.body += "  if (b == " + zero + ") atomicMin(b" + std::to_string(nIn + 1) +
                ".d[pc.statusSlot], i);\n";
    }
  } else if (kind == "heed.max" || kind == "heed.min") {
    std::string f = kind == "heed.max" ? "max(a, b)" : "min(a, b)";
    e = isFloat ? "((isnan(a) || isnan(b)) ? " + ctypes[0] + "(NAN_) : " + f + ")" : f;
  } else if (kind == "heed.pow") {
    if (!isFloat)
      return unsupported("supports only float element types on vulkan");
    e = isDouble ? "pow64_(a, b)" : "pow_(a, b)";
  } else if (kind == "heed.cast") {
    e = castExpr(et0, outType);
  } else if (kind == "heed.full") {
    e = fullValue(op, outType);
  } else {
    return unsupported("has no vulkan shader");
  }
  std::string dst = "b" + std::to_string(nIn) + ".d[i]";
  if (boolOut)
    s.body += "  " + dst + " = uint8_t(bool(" + e + ") ? 1 : 0);\n";
  else if (whereBits || isRawStore(kind, outType))
    s.body += "  " + dst + " = " + storageType(outType) + "(" + e + ");\n";
  else
    s.body += "  " + dst + " = " + storeValue(outType, e) + ";\n";
  addHelpers(s);
  return {{s}, ""};
}

} // namespace mlir::heed::vulkan::detail
