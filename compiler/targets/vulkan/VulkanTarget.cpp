//===- VulkanTarget.cpp - GLSL compute shaders per plan op ----------------===//
//
// One shader per op instance: element types, ranks, flags and float constants
// are baked into the source; sizes arrive at run time in a 32-int push-constant
// block (`pc.p`), so one module serves every sequence length. Sources are
// deduplicated, compiled with shaderc (libshaderc_combined.a, see
// docs/rationale.md) and validated with SPIRV-Tools before they are embedded.
//
// Kernel families and their push constants (the driver fills them):
//   ew_*    (elementwise, broadcasting, N inputs, output rank R)
//           p[0] = count, p[1..R] = output dims, then R strides per input
//           (0 on broadcast dims); bindings: inputs..., output.
//   copy_*  (strided copy: transpose, broadcast, slice, concat; rank R)
//           p[0] = count, p[1] = in base, p[2] = out base, p[3..3+R) dims,
//           then R input strides, then R output strides; bindings: in, out.
//   matmul  p[0..3] = M, N, K, count; p[4..4+B) batch dims, then B lhs and B
//           rhs batch strides (B = batch rank); bindings: a, b, out.
//   linear  p[0..3] = rows, N, K, count; bindings: x, w, [bias], out.
//   softmax p[0] = rows, p[1] = axis size, p[2] = inner; one workgroup/row.
//   layer_norm p[0] = rows, p[1] = normalized size; bindings x, [g], [b], y.
//   reduce  p[0] = count, p[1..1+R) kept dims (0 where reduced) ... see below.
//
// Attention kernels are in AttentionKernels.cpp; the Shader type and the
// GLSL snippets the generators share in ShaderSource.h.
//
// All index arithmetic is 32-bit: the driver refuses tensors of 2^31 or more
// elements (beyond lavapipe's 128 MiB storage-buffer range anyway).
//
//===----------------------------------------------------------------------===//

#include "compiler/targets/vulkan/VulkanTarget.h"
#include "compiler/targets/vulkan/ShaderSource.h"

#include "dialects/heed/IR/HeedOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/raw_ostream.h"

#include <shaderc/shaderc.hpp>
#include <spirv-tools/libspirv.hpp>

#include <cstdlib>
#include <map>
#include <optional>

using namespace mlir;
namespace fb = ::heed::fb;

using namespace mlir::heed::vulkan::detail;

namespace {

class Generator {
public:
  Lowered lower(Operation &op);

private:
  Lowered elementwise(Operation &op, const std::string &kind);
  Lowered copy(Operation &op, Type elem, int rank);
  Lowered matmul(Operation &op);
  Lowered linear(Operation &op);
  Lowered softmax(Operation &op, bool log);
  Lowered layerNorm(Operation &op);
  Lowered reduce(Operation &op);
  Lowered argmax(Operation &op);
  Lowered topK(Operation &op);
  Lowered gather(Operation &op, bool embedding);
  Lowered masks(Operation &op, const std::string &kind);
  Lowered cell(Operation &op, const std::string &kind);
  Lowered sequence(Operation &op, const std::string &kind);
};

Lowered Generator::elementwise(Operation &op, const std::string &kind) {
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
  if (1 + rank + nIn * rank > kPush)
    return unsupported("has rank " + std::to_string(rank) + ", beyond the " + std::to_string(nIn) +
                       "-input elementwise kernel's push constants");
  Shader s;
  s.name = kind.substr(5) + "_" + suffixOf(out.getElementType()) + "_r" + std::to_string(rank);
  std::vector<std::string> vals;
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
    strideAt.push_back(1 + rank + k * rank);
    names.push_back("o" + std::to_string(k));
  }
  s.body = "  int i = gid_();\n  if (i >= pc.p[0]) return;\n";
  s.body += decompose(rank, 1, strideAt, names, "i");
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
      {"heed.abs", "abs(a)"},
      {"heed.erf", "erf_(a)"},
      {"heed.exp", "exp(a)"},
      {"heed.log", "log(a)"},
      {"heed.neg", "-a"},
      {"heed.reciprocal", "1.0 / a"},
      {"heed.relu", "(a > 0.0 ? a : (isnan(a) ? a : 0.0))"},
      {"heed.rsqrt", "1.0 / sqrt(a)"},
      {"heed.sigmoid", "1.0 / (1.0 + exp(-a))"},
      {"heed.sqrt", "sqrt(a)"},
      {"heed.tanh", "tanh_(a)"}};
  if (auto it = unaryF.find(kind); it != unaryF.end()) {
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

Lowered Generator::copy(Operation &op, Type elem, int rank) {
  std::string st = storageType(elem);
  if (st.empty())
    return unsupported("has element type " + suffixOf(elem) +
                       ", which the vulkan backend does not support");
  if (3 + 3 * rank > kPush)
    return unsupported("has rank " + std::to_string(rank) + " (the vulkan copy kernel takes 9)");
  Shader s;
  s.name = "copy_" + suffixOf(elem) + "_r" + std::to_string(rank);
  s.buffers = {st, st};
  s.body = "  int i = gid_();\n  if (i >= pc.p[0]) return;\n";
  s.body += decompose(rank, 3, {3 + rank, 3 + 2 * rank}, {"oi", "oo"}, "i");
  s.body += "  b1.d[pc.p[2] + oo] = b0.d[pc.p[1] + oi];\n";
  return {{s}, ""};
}

Lowered Generator::matmul(Operation &op) {
  auto a = tensorOf(op.getOperand(0)), b = tensorOf(op.getOperand(1));
  auto out = tensorOf(op.getResult(0));
  if (!a || !b || !out || !a.getElementType().isF32() || !b.getElementType().isF32())
    return unsupported("supports only f32 tensors on vulkan");
  int batch = int(out.getRank()) - 2;
  if (batch < 0 || 4 + 3 * batch > kPush)
    return unsupported("has an unsupported rank");
  bool ta = intAttr(op, "transpose_a", 0), tb = intAttr(op, "transpose_b", 0);
  Shader s;
  s.name = "matmul_r" + std::to_string(batch + 2) + (ta ? "_ta" : "") + (tb ? "_tb" : "");
  s.buffers = {"float", "float", "float"};
  s.body = "  int i = gid_();\n  if (i >= pc.p[3]) return;\n"
           "  int M = pc.p[0], N = pc.p[1], K = pc.p[2];\n"
           "  int n = i % N; int t = i / N; int m = t % M; int bi = t / M;\n";
  s.body += decompose(batch, 4, {4 + batch, 4 + 2 * batch}, {"oa", "ob"}, "bi");
  s.body += "  float acc = 0.0;\n  for (int k = 0; k < K; ++k) {\n";
  s.body += std::string("    float av = b0.d[oa + ") + (ta ? "k * M + m" : "m * K + k") + "];\n";
  s.body += std::string("    float bv = b1.d[ob + ") + (tb ? "n * K + k" : "k * N + n") + "];\n";
  s.body += "    acc += av * bv;\n  }\n  b2.d[i] = acc;\n";
  return {{s}, ""};
}

Lowered Generator::linear(Operation &op) {
  for (Value v : op.getOperands())
    if (!tensorOf(v) || !tensorOf(v).getElementType().isF32())
      return unsupported("supports only f32 tensors on vulkan");
  bool tw = intAttr(op, "transpose_weight", 1);
  bool bias = op.getNumOperands() > 2;
  Shader s;
  s.name = std::string("linear") + (tw ? "_tw" : "") + (bias ? "_bias" : "");
  s.buffers = {"float", "float"};
  if (bias)
    s.buffers.push_back("float");
  s.buffers.push_back("float");
  std::string outB = bias ? "b3" : "b2";
  s.body = "  int i = gid_();\n  if (i >= pc.p[3]) return;\n"
           "  int N = pc.p[1], K = pc.p[2];\n  int n = i % N; int m = i / N;\n"
           "  float acc = 0.0;\n  for (int k = 0; k < K; ++k)\n";
  s.body +=
      std::string("    acc += b0.d[m * K + k] * b1.d[") + (tw ? "n * K + k" : "k * N + n") + "];\n";
  s.body += "  " + outB + ".d[i] = acc" + (bias ? " + b2.d[n]" : "") + ";\n";
  return {{s}, ""};
}

Lowered Generator::softmax(Operation &op, bool log) {
  auto x = tensorOf(op.getOperand(0));
  if (!x || !x.getElementType().isF32())
    return unsupported("supports only f32 on vulkan");
  Shader s;
  s.name = log ? "log_softmax" : "softmax";
  s.buffers = {"float", "float"};
  s.helpers = kRowHelpers;
  s.body = R"(  uint row = group_();
  if (row >= uint(pc.p[0])) return;
  int n = pc.p[1], inner = pc.p[2];
  int base = int(row) / inner * n * inner + int(row) % inner;
  uint l = gl_LocalInvocationID.x;
  float mx = -INF_, nan = 0.0;
  for (int j = int(l); j < n; j += 64) {
    float v = b0.d[base + j * inner];
    if (isnan(v)) nan = 1.0; else mx = max(mx, v);
  }
  nan = rowMax_(nan);
  mx = rowMax_(mx);
  if (nan > 0.0 || isinf(mx)) {
    for (int j = int(l); j < n; j += 64) {
      float v = b0.d[base + j * inner];
      b1.d[base + j * inner] = nan > 0.0 ? NAN_ : (mx > 0.0 ? (v == mx ? NAN_ : LOGZERO) : NAN_);
    }
    return;
  }
  float sum = 0.0;
  for (int j = int(l); j < n; j += 64) sum += exp(b0.d[base + j * inner] - mx);
  sum = rowSum_(sum);
  for (int j = int(l); j < n; j += 64) {
    float v = b0.d[base + j * inner] - mx;
    b1.d[base + j * inner] = RESULT;
  }
)";
  auto replace = [&](const std::string &from, const std::string &to) {
    size_t at = s.body.find(from);
    s.body.replace(at, from.size(), to);
  };
  replace("LOGZERO", log ? "-INF_" : "0.0");
  replace("RESULT", log ? "v - log(sum)" : "exp(v) / sum");
  return withSubgroupRows(s);
}

Lowered Generator::layerNorm(Operation &op) {
  auto ln = dyn_cast<mlir::heed::LayerNormOp>(op);
  if (!ln)
    return unsupported("is not a layer norm");
  for (Value v : op.getOperands())
    if (!tensorOf(v) || !tensorOf(v).getElementType().isF32())
      return unsupported("supports only f32 on vulkan");
  bool g = bool(ln.getScale()), b = bool(ln.getBias());
  double eps = floatAttr(op, "epsilon", 1e-5);
  Shader s;
  s.name = std::string("layer_norm") + (g ? "_g" : "") + (b ? "_b" : "");
  s.buffers = {"float"};
  std::string gb, bb, yb;
  if (g) {
    gb = "b" + std::to_string(s.buffers.size());
    s.buffers.push_back("float");
  }
  if (b) {
    bb = "b" + std::to_string(s.buffers.size());
    s.buffers.push_back("float");
  }
  yb = "b" + std::to_string(s.buffers.size());
  s.buffers.push_back("float");
  s.helpers = kRowHelpers;
  s.body = R"(  uint row = group_();
  if (row >= uint(pc.p[0])) return;
  int n = pc.p[1];
  int base = int(row) * n;
  uint l = gl_LocalInvocationID.x;
  float sum = 0.0;
  for (int j = int(l); j < n; j += 64) sum += b0.d[base + j];
  float mean = rowSum_(sum) / float(max(n, 1));
  float sq = 0.0;
  for (int j = int(l); j < n; j += 64) { float d = b0.d[base + j] - mean; sq += d * d; }
  float inv = 1.0 / sqrt(rowSum_(sq) / float(max(n, 1)) + )" +
           floatLiteral(eps) + R"();
  for (int j = int(l); j < n; j += 64) {
    float v = (b0.d[base + j] - mean) * inv;
)";
  s.body += "    " + yb + ".d[base + j] = v" + (g ? " * " + gb + ".d[j]" : std::string()) +
            (b ? " + " + bb + ".d[j]" : std::string()) + ";\n  }\n";
  return withSubgroupRows(s);
}

Lowered Generator::reduce(Operation &op) {
  auto x = tensorOf(op.getOperand(0));
  if (!x)
    return unsupported("has a non-tensor operand");
  Type et = x.getElementType();
  if (!et.isF32() && !et.isInteger(32) && !et.isInteger(64))
    return unsupported("supports f32, i32 and i64 on vulkan");
  int rank = int(x.getRank());
  if (2 + 4 * rank > kPush)
    return unsupported("has rank " + std::to_string(rank) + " (the vulkan reduce kernel takes 7)");
  int64_t kind = intAttr(op, "kind", 0);
  std::string t = storageType(et), acc = et.isF32() ? "float" : "int64_t";
  Shader s;
  s.name = "reduce_" + std::to_string(kind) + "_" + suffixOf(et) + "_r" + std::to_string(rank);
  s.buffers = {t, t};
  s.body = "  int i = gid_();\n  if (i >= pc.p[0]) return;\n";
  s.body += decompose(rank, 1, {1 + rank}, {"base"}, "i");
  std::string init = kind == 2   ? (et.isF32() ? "-INF_" : "int64_t(0x8000000000000000ul)")
                     : kind == 3 ? (et.isF32() ? "INF_" : "int64_t(0x7ffffffffffffffful)")
                     : kind == 4 ? acc + "(1)"
                                 : acc + "(0)";
  s.body += "  " + acc + " a = " + init + ";\n  int count = pc.p[" + std::to_string(1 + 4 * rank) +
            "];\n  for (int r = 0; r < count; ++r) {\n";
  std::string inner = decompose(rank, 1 + 2 * rank, {1 + 3 * rank}, {"off"}, "r");
  s.body += inner;
  s.body += "    " + acc + " v = " + acc + "(b0.d[base + off]);\n";
  bool f = et.isF32();
  switch (kind) {
  case 0:
  case 1:
    s.body += "    a += v;\n";
    break;
  case 2:
    s.body += f ? "    a = (isnan(v) || v > a) ? v : a;\n" : "    a = max(a, v);\n";
    break;
  case 3:
    s.body += f ? "    a = (isnan(v) || v < a) ? v : a;\n" : "    a = min(a, v);\n";
    break;
  case 4:
    s.body += "    a *= v;\n";
    break;
  default:
    return unsupported("has an unknown reduction kind");
  }
  s.body += "  }\n";
  if (kind == 1)
    s.body += f ? "  a /= float(count);\n" : "  a /= int64_t(max(count, 1));\n";
  s.body += "  b1.d[i] = " + t + "(a);\n";
  return {{s}, ""};
}

Lowered Generator::argmax(Operation &op) {
  auto x = tensorOf(op.getOperand(0));
  if (!x)
    return unsupported("has a non-tensor operand");
  Type et = x.getElementType();
  std::string t = storageType(et);
  if (t.empty() || et.isInteger(1))
    return unsupported("supports f32, i32 and i64 on vulkan");
  Shader s;
  s.name = "argmax_" + suffixOf(et);
  s.buffers = {t, "int64_t"};
  std::string ct = et.isF32() ? "float" : "int64_t";
  std::string nan = et.isF32() ? "isnan" : "false && bool";
  s.body = "  int i = gid_();\n  if (i >= pc.p[0]) return;\n"
           "  int n = pc.p[1], inner = pc.p[2];\n"
           "  int base = i / inner * n * inner + i % inner;\n"
           "  int best = 0;\n  " +
           ct + " bv = " + ct + "(b0.d[base]);\n  for (int j = 1; j < n && !" + nan +
           "(bv); ++j) {\n    " + ct + " v = " + ct +
           "(b0.d[base + j * inner]);\n    if (v > bv || " + nan +
           "(v)) { bv = v; best = j; }\n  }\n  b1.d[i] = int64_t(best);\n";
  return {{s}, ""};
}

Lowered Generator::topK(Operation &op) {
  auto x = tensorOf(op.getOperand(0));
  if (!x || !x.getElementType().isF32())
    return unsupported("supports only f32 on vulkan");
  Shader s;
  s.name = "top_k";
  s.buffers = {"float", "float", "int64_t"};
  s.outputs = 2;
  s.helpers = R"(
bool greater_(int base, int inner, int p, int q) {
  float a = b0.d[base + p * inner], b = b0.d[base + q * inner];
  if (isnan(a) != isnan(b)) return isnan(a);
  if (a != b && !isnan(a)) return a > b;
  return p < q;
}
)";
  s.body = R"(  int i = gid_();
  if (i >= pc.p[0]) return;
  int n = pc.p[1], inner = pc.p[2], k = pc.p[3];
  int o = i / inner, r = i % inner;
  int base = o * n * inner + r;
  int prev = -1;
  for (int j = 0; j < k; ++j) {
    int best = -1;
    for (int q = 0; q < n; ++q)
      if ((prev < 0 || greater_(base, inner, prev, q)) && (best < 0 || greater_(base, inner, q, best)))
        best = q;
    b1.d[(o * k + j) * inner + r] = b0.d[base + best * inner];
    b2.d[(o * k + j) * inner + r] = int64_t(best);
    prev = best;
  }
)";
  return {{s}, ""};
}

Lowered Generator::gather(Operation &op, bool embedding) {
  auto x = tensorOf(op.getOperand(0)), ids = tensorOf(op.getOperand(1));
  if (!x || !ids)
    return unsupported("has a non-tensor operand");
  std::string t = storageType(x.getElementType()), it = storageType(ids.getElementType());
  if (t.empty() || (it != "int" && it != "int64_t"))
    return unsupported("has element types the vulkan backend does not support");
  Shader s;
  s.name = std::string(embedding ? "embedding_" : "gather_") + suffixOf(x.getElementType()) + "_" +
           suffixOf(ids.getElementType());
  // The status buffer (last binding) records the first out-of-range position.
  // i64 ids are read as two 32-bit words (no 64-bit arithmetic on the path).
  s.buffers = {t, "int", t, "int"};
  std::string idLoad = it == "int"
                           ? "int id = b1.d[j]; bool fits = true;"
                           : "int id = b1.d[2 * j]; bool fits = b1.d[2 * j + 1] == (id >> 31);";
  s.outputs = 2;
  s.body = std::string(R"(  int i = gid_();
  if (i >= pc.p[0]) return;
  int m = pc.p[1], inner = pc.p[2], n = pc.p[3];
  int r = i % inner, j = (i / inner) % m, o = i / (inner * m);
  )") + idLoad +
           R"(
  int k = )" +
           (embedding ? std::string("id") : std::string("id < 0 ? id + n : id")) + R"(;
  if (!fits || k < 0 || k >= n) {
    atomicMin(b3.d[pc.p[4]], j);
    b2.d[i] = )" +
           t + R"((0);
    return;
  }
  b2.d[i] = b0.d[(o * n + int(k)) * inner + r];
)";
  return {{s}, ""};
}

Lowered Generator::masks(Operation &op, const std::string &kind) {
  Shader s;
  s.body = "  int i = gid_();\n  if (i >= pc.p[0]) return;\n";
  if (kind == "heed.sequence_mask") {
    auto len = tensorOf(op.getOperand(0));
    std::string lt = len ? storageType(len.getElementType()) : "";
    if (lt != "int" && lt != "int64_t")
      return unsupported("expects i32 or i64 lengths on vulkan");
    s.name = "sequence_mask_" + lt;
    s.buffers = {lt, "uint8_t"};
    s.body += "  int n = pc.p[1];\n  b1.d[i] = uint8_t(int64_t(i % n) < int64_t(b0.d[i / n]) ? "
              "1 : 0);\n";
  } else if (kind == "heed.causal_mask") {
    s.name = "causal_mask";
    s.buffers = {"uint8_t"};
    s.body += "  int lk = pc.p[1];\n  b0.d[i] = uint8_t(i % lk <= i / lk + pc.p[2] ? 1 : 0);\n";
  } else if (kind == "heed.range") {
    s.name = "range";
    s.buffers = {"int64_t"};
    s.body += "  b0.d[i] = int64_t(pc.p[1]) + int64_t(i) * int64_t(pc.p[2]);\n";
  } else {
    int64_t dim = intAttr(op, "dim", 0);
    double base = floatAttr(op, "base", 10000.0);
    bool interleaved = intAttr(op, "interleaved", 1);
    s.name = std::string("sinusoidal_positions") + (interleaved ? "_interleaved" : "");
    s.buffers = {"float"};
    // Element (p, c): pair index h and sin/cos from the layout; the angle is
    // (offset + p) * base^(-2h/dim), reduced modulo 2 pi in two steps so that
    // long positions keep their accuracy in f32.
    std::string d = std::to_string(dim);
    s.body += "  int p = i / " + d + ", c = i % " + d + ", hf = " + std::to_string(dim / 2) + ";\n";
    s.body += interleaved ? "  int h = c / 2; bool isCos = (c % 2) == 1;\n"
                          : "  int h = c < hf ? c : c - hf; bool isCos = c >= hf;\n";
    s.body += "  if (h >= hf) { b0.d[i] = 0.0; return; }\n"
              "  float freq = pow(" +
              floatLiteral(base) + ", -2.0 * float(h) / " + floatLiteral(double(dim)) +
              ");\n"
              "  float pos = float(pc.p[1] + p);\n"
              "  float angle = pos * freq;\n"
              "  float turns = floor(angle / 6.283185307);\n"
              "  angle = fma(-turns, 6.28318548, angle);\n"
              "  angle = fma(turns, 1.7484555e-7, angle);\n"
              "  b0.d[i] = isCos ? cos(angle) : sin(angle);\n";
  }
  return {{s}, ""};
}

/// per (row, hidden unit) computes its gates' dot products directly. The
/// classic GRU (linear_before_reset = false) needs r for every unit of the
/// row, which each invocation recomputes: O(H (I + H)) work per output,
/// fine for the cell sizes decoders use, not tuned.
/// Push constants: p0 B*H, p1 I, p2 H.
Lowered Generator::cell(Operation &op, const std::string &kind) {
  for (Value v : op.getOperands())
    if (!tensorOf(v) || !tensorOf(v).getElementType().isF32())
      return unsupported("supports only f32 operands on vulkan");
  bool lstm = kind == "heed.lstm_cell", gru = kind == "heed.gru_cell";
  unsigned wAt = lstm ? 3 : 2;
  bool bias = op.getNumOperands() == wAt + 4;
  if (!bias && op.getNumOperands() != wAt + 2)
    return unsupported("expects either no biases or both b_ih and b_hh");
  bool relu = kind == "heed.rnn_cell" && intAttr(op, "activation", 0) == 1;
  bool lbr = gru && intAttr(op, "linear_before_reset", 1);
  Shader s;
  s.name = kind.substr(5) + (relu ? "_relu" : "") + (gru && !lbr ? "_classic" : "") +
           (bias ? "_bias" : "");
  // Buffers: x, h, [c], w_ih, w_hh, [b_ih, b_hh], h_out, [c_out].
  s.buffers.assign(op.getNumOperands() + op.getNumResults(), "float");
  s.outputs = op.getNumResults();
  auto b = [](unsigned i) { return "b" + std::to_string(i); };
  std::string X = b(0), Hb = b(1), C = lstm ? b(2) : "", WI = b(wAt), WH = b(wAt + 1),
              BI = bias ? b(wAt + 2) : "", BH = bias ? b(wAt + 3) : "", HO = b(op.getNumOperands()),
              CO = lstm ? b(op.getNumOperands() + 1) : "";
  s.helpers = "float sigm_(float x) { return 1.0 / (1.0 + exp(-x)); }\n";
  s.helpers += std::string(kMathHelpers);
  // gi(g, row, unit) and gh(g, row, unit): the input and hidden projections with biases.
  s.helpers += "float gi_(int g, int r, int u) {\n  int I = pc.p[1], H = pc.p[2];\n"
               "  float a = " +
               (bias ? BI + ".d[g * H + u]" : std::string("0.0")) +
               ";\n  for (int i = 0; i < I; ++i) a += " + X + ".d[r * I + i] * " + WI +
               ".d[(g * H + u) * I + i];\n  return a;\n}\n";
  s.helpers += "float gh_(int g, int r, int u) {\n  int H = pc.p[2];\n  float a = " +
               (bias ? BH + ".d[g * H + u]" : std::string("0.0")) +
               ";\n  for (int k = 0; k < H; ++k) a += " + Hb + ".d[r * H + k] * " + WH +
               ".d[(g * H + u) * H + k];\n  return a;\n}\n";
  std::string body = "  int i = gid_();\n  if (i >= pc.p[0]) return;\n"
                     "  int H = pc.p[2], r = i / H, u = i % H;\n";
  if (kind == "heed.rnn_cell") {
    body += std::string("  float v = gi_(0, r, u) + gh_(0, r, u);\n  ") + HO +
            ".d[i] = " + (relu ? "max(v, 0.0)" : "tanh_(v)") + ";\n";
  } else if (lstm) {
    body += "  float ig = sigm_(gi_(0, r, u) + gh_(0, r, u));\n"
            "  float fg = sigm_(gi_(1, r, u) + gh_(1, r, u));\n"
            "  float gg = tanh_(gi_(2, r, u) + gh_(2, r, u));\n"
            "  float og = sigm_(gi_(3, r, u) + gh_(3, r, u));\n"
            "  float c = fg * " +
            C + ".d[i] + ig * gg;\n  " + CO + ".d[i] = c;\n  " + HO + ".d[i] = og * tanh_(c);\n";
  } else if (lbr) {
    body += "  float rg = sigm_(gi_(0, r, u) + gh_(0, r, u));\n"
            "  float zg = sigm_(gi_(1, r, u) + gh_(1, r, u));\n"
            "  float ng = tanh_(gi_(2, r, u) + rg * gh_(2, r, u));\n  " +
            HO + ".d[i] = (1.0 - zg) * ng + zg * " + Hb + ".d[i];\n";
  } else {
    // n = tanh(W_in x + b_in + W_hn (r * h) + b_hn), r per hidden unit k.
    body += "  float zg = sigm_(gi_(1, r, u) + gh_(1, r, u));\n"
            "  float hn = " +
            (bias ? BH + ".d[2 * H + u]" : std::string("0.0")) +
            ";\n  for (int k = 0; k < H; ++k) {\n"
            "    float rk = sigm_(gi_(0, r, k) + gh_(0, r, k));\n    hn += " +
            WH + ".d[(2 * H + u) * H + k] * rk * " + Hb +
            ".d[r * H + k];\n  }\n"
            "  float ng = tanh_(gi_(2, r, u) + hn);\n  " +
            HO + ".d[i] = (1.0 - zg) * ng + zg * " + Hb + ".d[i];\n";
  }
  s.body = body;
  return {{s}, ""};
}

/// RNN / GRU / LSTM sequences: the driver dispatches this step kernel once
/// per (layer, direction, time step), one invocation per (row, hidden unit),
/// ping-ponging the state between two buffers. Rows past their length keep
/// their state and output zeros; every step also writes the running final
/// state into h_n (and c_n), so the last write is the result. Lengths outside
/// [0, T] are recorded in the status buffer.
/// Buffers: x, h_prev, [c_prev], w_ih, w_hh, [b_ih, b_hh], [lengths], y,
/// h_next, [c_next], h_n, [c_n], status.
/// Push constants: p0 B*H, p1 In, p2 H, p3 t, p4-5 x strides (t, b),
/// p6 h_prev base, p7 zero h_prev, p8 D*H, p9 d*H, p10 state base, p11 c_prev
/// base, p12 zero c_prev, p13 T, p14 status slot.
Lowered Generator::sequence(Operation &op, const std::string &kind) {
  for (Value v : op.getOperands())
    if (!tensorOf(v))
      return unsupported("has a non-tensor operand");
  auto x = tensorOf(op.getOperand(0));
  if (!x.getElementType().isF32() || x.getRank() != 3)
    return unsupported("expects a rank-3 f32 input on vulkan");
  if (intAttr(op, "reverse", 0) || op.hasAttr("clip") || intAttr(op, "peepholes", 0) ||
      intAttr(op, "input_forget", 0))
    return unsupported("uses reverse, clip, peepholes or input_forget, which the vulkan backend "
                       "does not implement");
  bool lstm = kind == "heed.lstm", gru = kind == "heed.gru";
  bool bias = intAttr(op, "has_biases", 1);
  bool relu = kind == "heed.rnn" && intAttr(op, "activation", 0) == 1;
  bool lbr = gru && intAttr(op, "linear_before_reset", 1);
  auto seg = op.getAttrOfType<DenseI32ArrayAttr>("operandSegmentSizes");
  bool lengths = false;
  std::string lenType;
  if (seg) {
    size_t lenGroup = lstm ? 3 : 2;
    if (size_t(seg.size()) > lenGroup && seg[lenGroup] > 0) {
      lengths = true;
      int start = 0;
      for (size_t g = 0; g < lenGroup; ++g)
        start += seg[g];
      lenType = storageType(tensorOf(op.getOperand(unsigned(start))).getElementType());
      if (lenType != "int" && lenType != "int64_t")
        return unsupported("expects i32 or i64 lengths on vulkan");
    }
  }
  Shader s;
  s.name = kind.substr(5) + "_step" + (relu ? "_relu" : "") + (gru && !lbr ? "_classic" : "") +
           (bias ? "_bias" : "") + (lengths ? "_len" : "");
  std::vector<std::string> names;
  auto add = [&](const std::string &name, const std::string &type) {
    names.push_back(name);
    s.buffers.push_back(type);
    return "b" + std::to_string(s.buffers.size() - 1);
  };
  std::string X = add("x", "float"), HP = add("h_prev", "float"),
              CP = lstm ? add("c_prev", "float") : "", WI = add("w_ih", "float"),
              WH = add("w_hh", "float"), BI = bias ? add("b_ih", "float") : "",
              BH = bias ? add("b_hh", "float") : "", LEN = lengths ? add("lengths", "int") : "";
  size_t firstOut = s.buffers.size();
  std::string Y = add("y", "float"), HO = add("h_next", "float"),
              CO = lstm ? add("c_next", "float") : "", HN = add("h_n", "float"),
              CN = lstm ? add("c_n", "float") : "", ST = add("status", "int");
  s.outputs = s.buffers.size() - firstOut;
  s.helpers = "float sigm_(float x) { return 1.0 / (1.0 + exp(-x)); }\n";
  s.helpers += std::string(kMathHelpers);
  s.helpers += "float hp_(int r, int k) { return pc.p[7] != 0 ? 0.0 : " + HP +
               ".d[pc.p[6] + r * pc.p[2] + k]; }\n";
  s.helpers += "float gi_(int g, int r, int u) {\n  int I = pc.p[1], H = pc.p[2];\n  float a = " +
               (bias ? BI + ".d[g * H + u]" : std::string("0.0")) +
               ";\n  int xb = pc.p[3] * pc.p[4] + r * pc.p[5];\n"
               "  for (int i = 0; i < I; ++i) a += " +
               X + ".d[xb + i] * " + WI + ".d[(g * H + u) * I + i];\n  return a;\n}\n";
  s.helpers += "float gh_(int g, int r, int u) {\n  int H = pc.p[2];\n  float a = " +
               (bias ? BH + ".d[g * H + u]" : std::string("0.0")) +
               ";\n  for (int k = 0; k < H; ++k) a += hp_(r, k) * " + WH +
               ".d[(g * H + u) * H + k];\n  return a;\n}\n";
  std::string body = "  int i = gid_();\n  if (i >= pc.p[0]) return;\n"
                     "  int H = pc.p[2], r = i / H, u = i % H, t = pc.p[3], T = pc.p[13];\n"
                     "  bool valid = true;\n";
  if (lengths) {
    body += lenType == "int" ? "  int len = " + LEN + ".d[r]; bool lenOk = len >= 0 && len <= T;\n"
                             : "  int len = " + LEN + ".d[2 * r]; bool lenOk = " + LEN +
                                   ".d[2 * r + 1] == 0 && len >= 0 && len <= T;\n";
    body += "  if (!lenOk) atomicMin(" + ST + ".d[pc.p[14]], r);\n  valid = lenOk && t < len;\n";
  }
  body += "  float hPrev = hp_(r, u);\n  float hNew = hPrev;\n";
  if (lstm)
    body += "  float cPrev = pc.p[12] != 0 ? 0.0 : " + CP +
            ".d[pc.p[11] + i];\n  float cNew = cPrev;\n";
  body += "  if (valid) {\n";
  if (kind == "heed.rnn") {
    body += std::string("    float v = gi_(0, r, u) + gh_(0, r, u);\n    hNew = ") +
            (relu ? "max(v, 0.0)" : "tanh_(v)") + ";\n";
  } else if (lstm) {
    body += "    float ig = sigm_(gi_(0, r, u) + gh_(0, r, u));\n"
            "    float fg = sigm_(gi_(1, r, u) + gh_(1, r, u));\n"
            "    float gg = tanh_(gi_(2, r, u) + gh_(2, r, u));\n"
            "    float og = sigm_(gi_(3, r, u) + gh_(3, r, u));\n"
            "    cNew = fg * cPrev + ig * gg;\n    hNew = og * tanh_(cNew);\n";
  } else if (lbr) {
    body += "    float rg = sigm_(gi_(0, r, u) + gh_(0, r, u));\n"
            "    float zg = sigm_(gi_(1, r, u) + gh_(1, r, u));\n"
            "    float ng = tanh_(gi_(2, r, u) + rg * gh_(2, r, u));\n"
            "    hNew = (1.0 - zg) * ng + zg * hPrev;\n";
  } else {
    body += "    float zg = sigm_(gi_(1, r, u) + gh_(1, r, u));\n    float hn = " +
            (bias ? BH + ".d[2 * H + u]" : std::string("0.0")) +
            ";\n    for (int k = 0; k < H; ++k)\n"
            "      hn += " +
            WH +
            ".d[(2 * H + u) * H + k] * sigm_(gi_(0, r, k) + gh_(0, r, k)) * hp_(r, k);\n"
            "    float ng = tanh_(gi_(2, r, u) + hn);\n"
            "    hNew = (1.0 - zg) * ng + zg * hPrev;\n";
  }
  body += "  }\n";
  body += "  " + Y + ".d[(t * (pc.p[0] / H) + r) * pc.p[8] + pc.p[9] + u] = valid ? hNew : 0.0;\n";
  body += "  " + HO + ".d[i] = hNew;\n  " + HN + ".d[pc.p[10] + i] = hNew;\n";
  if (lstm)
    body += "  " + CO + ".d[i] = cNew;\n  " + CN + ".d[pc.p[10] + i] = cNew;\n";
  s.body = body;
  Lowered l{{s}, ""};
  Lowered c = copy(op, x.getElementType(), 3);
  l.shaders.push_back(c.shaders[0]);
  return l;
}

Lowered Generator::lower(Operation &op) {
  std::string kind = op.getName().getStringRef().str();
  if (auto c = dyn_cast<arith::ConstantOp>(op))
    if (isa<RankedTensorType>(c.getType()))
      kind = "heed.constant";
  // Host-side: index arithmetic, shapes, constants (uploaded once), views.
  if (StringRef(kind).starts_with("arith.") || kind == "heed.dim" || kind == "heed.constant" ||
      kind == "heed.weight" || kind == "heed.reshape")
    return {};
  static const char *ew[] = {
      "heed.abs",   "heed.erf",   "heed.exp",     "heed.log",  "heed.neg",  "heed.reciprocal",
      "heed.relu",  "heed.rsqrt", "heed.sigmoid", "heed.sqrt", "heed.tanh", "heed.gelu",
      "heed.not",   "heed.cast",  "heed.add",     "heed.sub",  "heed.mul",  "heed.div",
      "heed.max",   "heed.min",   "heed.pow",     "heed.and",  "heed.or",   "heed.compare",
      "heed.where", "heed.full"};
  for (const char *k : ew)
    if (kind == k)
      return elementwise(op, kind);
  if (kind == "heed.transpose" || kind == "heed.slice" || kind == "heed.concat" ||
      kind == "heed.broadcast") {
    auto out = tensorOf(op.getResult(0));
    return copy(op, out.getElementType(), int(out.getRank()));
  }
  if (kind == "heed.matmul")
    return matmul(op);
  if (kind == "heed.linear")
    return linear(op);
  if (kind == "heed.softmax" || kind == "heed.log_softmax")
    return softmax(op, kind == "heed.log_softmax");
  if (kind == "heed.layer_norm")
    return layerNorm(op);
  if (kind == "heed.reduce")
    return reduce(op);
  if (kind == "heed.attention")
    return lowerAttention(op);
  if (kind == "heed.additive_attention")
    return lowerAdditiveAttention(op);
  if (kind == "heed.rnn_cell" || kind == "heed.gru_cell" || kind == "heed.lstm_cell")
    return cell(op, kind);
  if (kind == "heed.rnn" || kind == "heed.gru" || kind == "heed.lstm")
    return sequence(op, kind);
  if (auto scan = dyn_cast<mlir::heed::ScanOp>(op)) {
    // The driver unrolls the steps while recording; these copy kernels slice
    // step t out of each sequence (one per sequence) and stack each per-step
    // output (one per output), in that order.
    Lowered l;
    for (Value seq : scan.getSequences()) {
      auto t = tensorOf(seq);
      Lowered c = copy(op, t.getElementType(), int(t.getRank()) - 1);
      if (!c.unsupported.empty())
        return c;
      l.shaders.push_back(c.shaders[0]);
    }
    Operation *yield = scan.getBody().front().getTerminator();
    for (unsigned i = scan.getInitial().size(); i < yield->getNumOperands(); ++i) {
      auto t = tensorOf(yield->getOperand(i));
      if (!t)
        return unsupported("has a non-tensor per-step output");
      Lowered c = copy(op, t.getElementType(), int(t.getRank()));
      if (!c.unsupported.empty())
        return c;
      l.shaders.push_back(c.shaders[0]);
    }
    return l;
  }
  if (kind == "heed.argmax")
    return argmax(op);
  if (kind == "heed.top_k")
    return topK(op);
  if (kind == "heed.gather" || kind == "heed.embedding")
    return gather(op, kind == "heed.embedding");
  if (kind == "heed.sequence_mask" || kind == "heed.causal_mask" || kind == "heed.range" ||
      kind == "heed.sinusoidal_positions")
    return masks(op, kind);
  return unsupported("has no vulkan shader yet");
}

class SectionBuilder {
public:
  SectionBuilder(flatbuffers::FlatBufferBuilder &fbb, bool strict) : fbb(fbb), strict(strict) {}

  LogicalResult addBlock(Block &block, std::vector<flatbuffers::Offset<fb::VkOp>> &ops) {
    for (Operation &op : block) {
      if (isa<func::ReturnOp, mlir::heed::YieldOp>(op))
        continue;
      Lowered l = gen.lower(op);
      std::vector<int32_t> kernels;
      if (l.unsupported.empty()) {
        for (const Shader &s : l.shaders) {
          std::string error, source;
          std::optional<int32_t> k = addKernel(s, error, source);
          if (k) {
            kernels.push_back(*k);
            continue;
          }
          // A generator bug: with --target=vulkan a located error; with --target=all the op
          // is recorded as CPU-only (the reason below) and the compile goes on.
          if (strict)
            return op.emitError() << "internal error: " << error << "\n" << source;
          op.emitWarning() << "internal error: " << error
                           << " (recorded as unimplemented on vulkan)";
          kernels.clear();
          l.unsupported = "has no vulkan shader: internal error: " + firstLine(error);
          break;
        }
      } else if (strict) {
        return op.emitError() << "'" << op.getName() << "' " << l.unsupported
                              << " (unimplemented on vulkan)";
      }
      ops.push_back(fb::CreateVkOpDirect(fbb, &kernels,
                                         l.unsupported.empty() ? nullptr : l.unsupported.c_str()));
      if (auto scan = dyn_cast<mlir::heed::ScanOp>(op))
        if (failed(addBlock(scan.getBody().front(), ops)))
          return failure();
    }
    return success();
  }

  std::vector<flatbuffers::Offset<fb::VkKernel>> kernels;

private:
  flatbuffers::FlatBufferBuilder &fbb;
  bool strict;
  Generator gen;
  llvm::StringMap<int32_t> bySource;
  shaderc::Compiler compiler;

  static std::string firstLine(const std::string &text) { return text.substr(0, text.find('\n')); }

  /// The kernel's index, or none with `error` (and the GLSL in `source`).
  std::optional<int32_t> addKernel(const Shader &s, std::string &error, std::string &source) {
    std::string src = s.render();
    // A test hook: a correct generator never emits a shader that fails to compile, so the tests
    // break one on purpose to reach the failure paths (test/e2e/vulkan/shader_failure.mlir).
    if (const char *broken = std::getenv("HEED_VULKAN_BREAK_KERNEL"); broken && s.name == broken)
      src += "#error broken on purpose (HEED_VULKAN_BREAK_KERNEL)\n";
    if (std::getenv("HEED_VULKAN_DUMP_GLSL"))
      llvm::errs() << "// kernel " << s.name << "\n" << src;
    auto it = bySource.find(src);
    if (it != bySource.end())
      return it->second;
    shaderc::CompileOptions options;
    options.SetTargetEnvironment(shaderc_target_env_vulkan, shaderc_env_version_vulkan_1_2);
    options.SetOptimizationLevel(shaderc_optimization_level_performance);
    auto result = compiler.CompileGlslToSpv(src, shaderc_compute_shader, s.name.c_str(), options);
    if (result.GetCompilationStatus() != shaderc_compilation_status_success) {
      error = "vulkan shader '" + s.name +
              "' does not compile: " + StringRef(result.GetErrorMessage()).rtrim().str();
      source = src;
      return std::nullopt;
    }
    std::vector<uint32_t> words(result.cbegin(), result.cend());
    spvtools::SpirvTools tools(SPV_ENV_VULKAN_1_2);
    std::string messages;
    tools.SetMessageConsumer([&](spv_message_level_t, const char *, const spv_position_t &,
                                 const char *m) { messages += std::string(m) + "\n"; });
    if (!tools.Validate(words)) {
      error =
          "vulkan shader '" + s.name + "' fails spirv-val: " + StringRef(messages).rtrim().str();
      source = src;
      return std::nullopt;
    }
    int32_t index = int32_t(kernels.size());
    kernels.push_back(
        fb::CreateVkKernelDirect(fbb, s.name.c_str(), &words, int32_t(s.buffers.size()), s.local));
    bySource[src] = index;
    return index;
  }
};

} // namespace

FailureOr<flatbuffers::Offset<fb::VulkanSection>>
mlir::heed::vulkan::buildSection(ModuleOp module, flatbuffers::FlatBufferBuilder &fbb,
                                 bool strict) {
  SectionBuilder builder(fbb, strict);
  std::vector<flatbuffers::Offset<fb::VkFunction>> functions;
  for (auto fn : module.getOps<func::FuncOp>()) {
    if (fn.isExternal())
      continue;
    std::vector<flatbuffers::Offset<fb::VkOp>> ops;
    if (failed(builder.addBlock(fn.getBody().front(), ops)))
      return failure();
    functions.push_back(fb::CreateVkFunctionDirect(fbb, &ops));
  }
  return fb::CreateVulkanSectionDirect(fbb, &builder.kernels, &functions);
}
