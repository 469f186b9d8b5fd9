//===- ElementwiseKernels.cpp - Elementwise vulkan kernels ----------------===//
//
// The GLSL of the broadcasting elementwise ops and heed.full, one shader
// per op instance (driven by runtime/drivers/vulkan/OpKernels.cpp).
//
//===----------------------------------------------------------------------===//

#include "compiler/targets/vulkan/Kernels.h"

#include "runtime/drivers/vulkan/abi/Elementwise.h"

#include <map>

namespace mlir::heed::vulkan::detail {

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
  std::vector<std::string> ctypes;
  for (int k = 0; k < nIn; ++k) {
    Type et = tensorOf(ins[size_t(k)]).getElementType();
    ctypes.push_back(computeType(et));
    s.body += "  " + ctypes.back() + " " + abc[k] + " = " + ctypes.back() + "(b" +
              std::to_string(k) + ".d[o" + std::to_string(k) + "]);\n";
  }
  Type et0 = nIn ? tensorOf(ins[0]).getElementType() : out.getElementType();
  bool isFloat = et0.isF32();
  bool boolOut = out.getElementType().isInteger(1);
  // A GLSL expression of the compute type, or of bool (logic, compare, cast to i1), or of uint
  // 0/1 (where over i1 values): an i1 result takes it through bool().
  std::string e;
  std::string zero = isFloat ? "0.0" : ctypes.empty() ? "0" : ctypes[0] + "(0)";
  static const std::map<std::string, std::string> unaryF = {
      {"heed.erf", "erf_(a)"},         {"heed.exp", "exp(a)"},
      {"heed.floor", "floor(a)"},      {"heed.ceil", "ceil(a)"},
      {"heed.round", "roundEven(a)"},  {"heed.log", "log(a)"},
      {"heed.reciprocal", "1.0 / a"},  {"heed.relu", "(a > 0.0 ? a : (isnan(a) ? a : 0.0))"},
      {"heed.rsqrt", "1.0 / sqrt(a)"}, {"heed.sigmoid", "1.0 / (1.0 + exp(-a))"},
      {"heed.sqrt", "sqrt(a)"},        {"heed.tanh", "tanh_(a)"}};
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
  if (auto it = unarySigned.find(kind); it != unarySigned.end()) {
    if (!isFloat && !et0.isSignlessInteger(32) && !et0.isSignlessInteger(64))
      return unsupported("supports f32, i32 and i64 on vulkan");
    e = it->second;
    std::string one = isFloat ? "1.0" : ctypes[0] + "(1)";
    for (auto [from, to] : {std::pair<std::string, std::string>{"Z", zero}, {"O", one}})
      for (size_t at; (at = e.find(from)) != std::string::npos;)
        e.replace(at, 1, to);
  } else if (auto it = floatTests.find(kind); it != floatTests.end()) {
    if (!isFloat)
      return unsupported("supports only f32 on vulkan");
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
      return unsupported("supports only f32 on vulkan");
    e = it->second;
  } else if (kind == "heed.gelu") {
    if (!isFloat)
      return unsupported("supports only f32 on vulkan");
    e = intAttr(op, "approximate", 0) == 1
            ? "0.5 * a * (1.0 + tanh_(0.7978845608 * (a + 0.044715 * a * a * a)))"
            : "0.5 * a * (1.0 + erf_(a * 0.7071067812))";
  } else if (kind == "heed.not") {
    e = "a == 0u";
  } else if (kind == "heed.and") {
    e = "(a != 0u) && (b != 0u)";
  } else if (kind == "heed.or") {
    e = "(a != 0u) || (b != 0u)";
  } else if (kind == "heed.where") {
    e = "(a != 0u) ? b : c";
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
    e = std::string("a ") + (kind == "heed.add" ? "+" : kind == "heed.sub" ? "-" : "*") + " b";
  } else if (kind == "heed.div") {
    e = isFloat ? "a / b" : "(b == " + zero + " ? " + zero + " : a / b)";
  } else if (kind == "heed.max" || kind == "heed.min") {
    std::string f = kind == "heed.max" ? "max(a, b)" : "min(a, b)";
    e = isFloat ? "((isnan(a) || isnan(b)) ? NAN_ : " + f + ")" : f;
  } else if (kind == "heed.pow") {
    if (!isFloat)
      return unsupported("supports only f32 on vulkan");
    e = "pow_(a, b)";
  } else if (kind == "heed.cast") {
    Type to = out.getElementType();
    bool fromFloat = isFloat;
    if (to.isInteger(1))
      e = fromFloat ? "a != 0.0" : "a != " + ctypes[0] + "(0)";
    else if (to.isF32())
      e = "float(a)";
    else if (fromFloat)
      e = to.isInteger(32) ? "(isnan(a) ? 0 : int(clamp(a, -2147483648.0, 2147483520.0)))"
                           : "(isnan(a) ? int64_t(0) : int64_t(clamp(a, -9.2e18, 9.2e18)))";
    else
      e = computeType(to) + "(a)";
  } else if (kind == "heed.full") {
    Type to = out.getElementType();
    double fv = floatAttr(op, "value", 0.0);
    // An integer fill has an integer value; a float one (-inf, finfo.min) is never converted.
    int64_t iv = to.isInteger() ? intAttr(op, "value", 0) : 0;
    if (to.isF32())
      e = floatLiteral(fv);
    else if (to.isInteger(1))
      e = (iv != 0 || fv != 0.0) ? "true" : "false";
    else if (to.isInteger(64))
      e = "int64_t(" + std::to_string(iv) + "l)";
    else
      e = "int(" + std::to_string(int32_t(iv)) + ")";
  } else {
    return unsupported("has no vulkan shader");
  }
  std::string dst = "b" + std::to_string(nIn) + ".d[i]";
  if (boolOut)
    s.body += "  " + dst + " = uint8_t(bool(" + e + ") ? 1 : 0);\n";
  else
    s.body += "  " + dst + " = " + ost + "(" + e + ");\n";
  if (s.body.find("erf_") != std::string::npos || s.body.find("tanh_") != std::string::npos ||
      s.body.find("pow_") != std::string::npos)
    s.helpers = kMathHelpers;
  return {{s}, ""};
}

} // namespace mlir::heed::vulkan::detail
