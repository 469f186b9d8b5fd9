//===- NnKernels.cpp - Tensor-op vulkan kernels ---------------------------===//
//
// The GLSL of matmul, linear, softmax, layer_norm, reductions, argmax and
// top_k, gather and the generators (masks, range, positions), driven by
// runtime/drivers/vulkan/NnOps.cpp.
//
//===----------------------------------------------------------------------===//

#include "compiler/targets/vulkan/Kernels.h"

#include "dialects/heed/IR/HeedOps.h"
#include "runtime/drivers/vulkan/abi/Gather.h"
#include "runtime/drivers/vulkan/abi/Generators.h"
#include "runtime/drivers/vulkan/abi/Matmul.h"
#include "runtime/drivers/vulkan/abi/Reduce.h"
#include "runtime/drivers/vulkan/abi/Rows.h"

#include <optional>

namespace mlir::heed::vulkan::detail {

Lowered lowerMatmul(Operation &op) {
  auto a = tensorOf(op.getOperand(0)), b = tensorOf(op.getOperand(1));
  auto out = tensorOf(op.getResult(0));
  if (!a || !b || !out || !a.getElementType().isF32() || !b.getElementType().isF32())
    return unsupported("supports only f32 tensors on vulkan");
  int batch = int(out.getRank()) - 2;
  if (batch < 0 || !::heed::vkabi::matmulFits(batch))
    return unsupported("has an unsupported rank");
  bool ta = intAttr(op, "transpose_a", 0), tb = intAttr(op, "transpose_b", 0);
  Shader s;
  s.name = "matmul_r" + std::to_string(batch + 2) + (ta ? "_ta" : "") + (tb ? "_tb" : "");
  s.buffers = {"float", "float", "float"};
  s.usePush<::heed::vkabi::MatmulPush>();
  s.body = "  int i = gid_();\n  if (i >= pc.count) return;\n"
           "  int M = pc.m, N = pc.n, K = pc.k;\n"
           "  int n = i % N; int t = i / N; int m = t % M; int bi = t / M;\n";
  s.body += decompose(
      batch, "pc.batch", ::heed::vkabi::matmulDimsAt(),
      {::heed::vkabi::matmulLhsStridesAt(batch), ::heed::vkabi::matmulRhsStridesAt(batch)},
      {"oa", "ob"}, "bi");
  s.body += "  float acc = 0.0;\n  for (int k = 0; k < K; ++k) {\n";
  s.body += std::string("    float av = b0.d[oa + ") + (ta ? "k * M + m" : "m * K + k") + "];\n";
  s.body += std::string("    float bv = b1.d[ob + ") + (tb ? "n * K + k" : "k * N + n") + "];\n";
  s.body += "    acc += av * bv;\n  }\n  b2.d[i] = acc;\n";
  return {{s}, ""};
}

Lowered lowerLinear(Operation &op) {
  for (Value v : op.getOperands())
    if (!tensorOf(v) || !tensorOf(v).getElementType().isF32())
      return unsupported("supports only f32 tensors on vulkan");
  bool tw = intAttr(op, "transpose_weight", 1);
  bool bias = op.getNumOperands() > 2;
  int64_t activation = intAttr(op, "activation", 0);
  Shader s;
  s.name = std::string("linear") + (tw ? "_tw" : "") + (bias ? "_bias" : "") +
           (activation ? "_act" + std::to_string(activation) : "");
  s.buffers = {"float", "float"};
  s.usePush<::heed::vkabi::LinearPush>();
  if (bias)
    s.buffers.push_back("float");
  s.buffers.push_back("float");
  std::string outB = bias ? "b3" : "b2";
  s.body = "  int i = gid_();\n  if (i >= pc.count) return;\n"
           "  int N = pc.n, K = pc.k;\n  int n = i % N; int m = i / N;\n"
           "  float acc = 0.0;\n  for (int k = 0; k < K; ++k)\n";
  s.body +=
      std::string("    acc += b0.d[m * K + k] * b1.d[") + (tw ? "n * K + k" : "k * N + n") + "];\n";
  s.body += std::string("  float a = acc") + (bias ? " + b2.d[n]" : "") + ";\n";
  s.body += "  " + outB + ".d[i] = " + activationGlsl(activation) + ";\n";
  addHelpers(s); // erf_, tanh_ of the activation
  return {{s}, ""};
}

Lowered lowerSoftmax(Operation &op, bool log) {
  auto x = tensorOf(op.getOperand(0));
  if (!x || !x.getElementType().isF32())
    return unsupported("supports only f32 on vulkan");
  Shader s;
  s.name = log ? "log_softmax" : "softmax";
  s.buffers = {"float", "float"};
  s.usePush<::heed::vkabi::SoftmaxPush>();
  s.helpers = kRowHelpers;
  s.body = R"(  uint row = group_();
  if (row >= uint(pc.rows)) return;
  int n = pc.n, inner = pc.inner;
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

Lowered lowerLayerNorm(Operation &op) {
  auto ln = dyn_cast<mlir::heed::LayerNormOp>(op);
  if (!ln)
    return unsupported("is not a layer norm");
  for (Value v : op.getOperands())
    if (!tensorOf(v) || !tensorOf(v).getElementType().isF32())
      return unsupported("supports only f32 on vulkan");
  bool g = bool(ln.getScale()), b = bool(ln.getBias()), r = bool(ln.getResidual());
  bool rms = ln.getRms();
  double eps = floatAttr(op, "epsilon", 1e-5);
  Shader s;
  s.name = std::string(rms ? "rms_norm" : "layer_norm") + (r ? "_r" : "") + (g ? "_g" : "") +
           (b ? "_b" : "");
  s.buffers = {"float"};
  s.usePush<::heed::vkabi::LayerNormPush>();
  std::string gb, bb, yb;
  // The residual is summed where the row is read (three times: a re-read of two L2-resident rows
  // costs less than a pass storing the sum).
  std::string xj = "b0.d[base + j]";
  if (r) {
    xj = "(b0.d[base + j] + b1.d[base + j])";
    s.buffers.push_back("float");
  }
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
  if (row >= uint(pc.rows)) return;
  int n = pc.n;
  int base = int(row) * n;
  uint l = gl_LocalInvocationID.x;
  MEAN
  float sq = 0.0;
  for (int j = int(l); j < n; j += 64) { float d = X_J - mean; sq += d * d; }
  float inv = 1.0 / sqrt(rowSum_(sq) / float(max(n, 1)) + )" +
           floatLiteral(eps) + R"();
  for (int j = int(l); j < n; j += 64) {
    float v = (X_J - mean) * inv;
)";
  // RMSNorm divides by the root mean square: the mean it would subtract is 0.
  s.body.replace(s.body.find("MEAN"), 4,
                 rms ? "float mean = 0.0;"
                     : "float sum = 0.0;\n  for (int j = int(l); j < n; j += 64) sum += X_J;\n"
                       "  float mean = rowSum_(sum) / float(max(n, 1));");
  for (size_t at; (at = s.body.find("X_J")) != std::string::npos;)
    s.body.replace(at, 3, xj);
  s.body += "    " + yb + ".d[base + j] = v" + (g ? " * " + gb + ".d[j]" : std::string()) +
            (b ? " + " + bb + ".d[j]" : std::string()) + ";\n  }\n";
  return withSubgroupRows(s);
}

Lowered lowerReduce(Operation &op) {
  auto x = tensorOf(op.getOperand(0));
  if (!x)
    return unsupported("has a non-tensor operand");
  Type et = x.getElementType();
  if (!et.isF32() && !et.isInteger(32) && !et.isInteger(64))
    return unsupported("supports f32, i32 and i64 on vulkan");
  int rank = int(x.getRank());
  if (rank > ::heed::vkabi::kReduceMaxRank)
    return unsupported("has rank " + std::to_string(rank) + " (the vulkan reduce kernel takes " +
                       std::to_string(::heed::vkabi::kReduceMaxRank) + ")");
  int64_t kind = intAttr(op, "kind", 0);
  std::string t = storageType(et), acc = et.isF32() ? "float" : "int64_t";
  Shader s;
  s.name = "reduce_" + std::to_string(kind) + "_" + suffixOf(et) + "_r" + std::to_string(rank);
  s.buffers = {t, t};
  s.usePush<::heed::vkabi::ReducePush>();
  s.body = "  int i = gid_();\n  if (i >= pc.count) return;\n";
  s.body += decompose(rank, "pc.shape", ::heed::vkabi::reduceKeptDimsAt(),
                      {::heed::vkabi::reduceKeptStridesAt(rank)}, {"base"}, "i");
  std::string init = kind == 2   ? (et.isF32() ? "-INF_" : "int64_t(0x8000000000000000ul)")
                     : kind == 3 ? (et.isF32() ? "INF_" : "int64_t(0x7ffffffffffffffful)")
                     : kind == 4 ? acc + "(1)"
                                 : acc + "(0)";
  s.body += "  " + acc + " a = " + init + ";\n  int count = pc.shape[" +
            std::to_string(::heed::vkabi::reduceCountAt(rank)) +
            "];\n  for (int r = 0; r < count; ++r) {\n";
  std::string inner = decompose(rank, "pc.shape", ::heed::vkabi::reduceDimsAt(rank),
                                {::heed::vkabi::reduceStridesAt(rank)}, {"off"}, "r");
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

Lowered lowerArgmax(Operation &op) {
  auto x = tensorOf(op.getOperand(0));
  if (!x)
    return unsupported("has a non-tensor operand");
  Type et = x.getElementType();
  std::string t = storageType(et);
  if (t.empty() || et.isInteger(1))
    return unsupported("supports f32, i32 and i64 on vulkan");
  // As the CPU driver: select_last_index scans the row from its end with strict comparisons.
  bool smallest = op.getName().getStringRef() == "heed.argmin";
  bool last = intAttr(op, "select_last_index", 0) != 0;
  Shader s;
  s.name = std::string(smallest ? "argmin_" : "argmax_") + suffixOf(et) + (last ? "_last" : "");
  s.buffers = {t, "int64_t"};
  s.usePush<::heed::vkabi::ArgmaxPush>();
  std::string ct = et.isF32() ? "float" : "int64_t";
  // Integers have no NaN: their test is the constant false (a prefix "false && bool" once made
  // the loop condition `!false && bool(bv)`, which stopped every row at its first 0).
  auto isNan = [&](const std::string &v) { return et.isF32() ? "isnan(" + v + ")" : "false"; };
  std::string first = last ? "n - 1" : "0", step = last ? "-1" : "1";
  s.body = "  int i = gid_();\n  if (i >= pc.rows) return;\n"
           "  int n = pc.n, inner = pc.inner;\n"
           "  int base = i / inner * n * inner + i % inner;\n"
           "  int best = " +
           first + ";\n  " + ct + " bv = " + ct + "(b0.d[base + best * inner]);\n" +
           "  for (int t = 1; t < n && !" + isNan("bv") + "; ++t) {\n    int j = " + first +
           " + t * (" + step + ");\n    " + ct + " v = " + ct +
           "(b0.d[base + j * inner]);\n    if (v " + (smallest ? "<" : ">") + " bv || " +
           isNan("v") + ") { bv = v; best = j; }\n  }\n  b1.d[i] = int64_t(best);\n";
  return {{s}, ""};
}

Lowered lowerCumsum(Operation &op) {
  auto x = tensorOf(op.getOperand(0));
  if (!x)
    return unsupported("has a non-tensor operand");
  // An axis operand is read back by the driver when the op runs (as heed.extract is).
  Type et = x.getElementType();
  std::string t = storageType(et);
  if (t.empty() || et.isInteger(1))
    return unsupported("supports f32, i32 and i64 on vulkan");
  bool exclusive = intAttr(op, "exclusive", 0) != 0, reverse = intAttr(op, "reverse", 0) != 0;
  Shader s;
  s.name = "cumsum_" + suffixOf(et) + (exclusive ? "_exclusive" : "") + (reverse ? "_reverse" : "");
  s.buffers = {t, t};
  s.usePush<::heed::vkabi::CumsumPush>();
  std::string add = "acc += b0.d[at];";
  s.body = "  int i = gid_();\n  if (i >= pc.rows) return;\n"
           "  int n = pc.n, inner = pc.inner;\n"
           "  int base = i / inner * n * inner + i % inner;\n  " +
           t + " acc = " + t + "(0);\n  for (int t = 0; t < n; ++t) {\n    int at = base + (" +
           (reverse ? "n - 1 - t" : "t") + ") * inner;\n    " + (exclusive ? "" : add) +
           "\n    b1.d[at] = acc;\n    " + (exclusive ? add : "") + "\n  }\n";
  return {{s}, ""};
}

namespace {
/// The data and id operands of heed.gather / heed.gather_elements and their storage types
/// (ids int or int64_t); `error` is set when the vulkan backend cannot take them.
struct GatherOperands {
  RankedTensorType x, ids;
  std::string data, idType;
  std::optional<Lowered> error;
};

GatherOperands gatherOperands(Operation &op) {
  GatherOperands g{tensorOf(op.getOperand(0)), tensorOf(op.getOperand(1)), "", "", {}};
  if (!g.x || !g.ids) {
    g.error = unsupported("has a non-tensor operand");
    return g;
  }
  g.data = storageType(g.x.getElementType());
  g.idType = storageType(g.ids.getElementType());
  if (g.data.empty() || (g.idType != "int" && g.idType != "int64_t"))
    g.error = unsupported("has element types the vulkan backend does not support");
  return g;
}

/// GLSL reading id `index` of binding 1 into `int id`, with `fits` false when an i64 id does not
/// fit 32 bits (i64 ids are read as two 32-bit words: no 64-bit arithmetic on the path).
std::string loadId(const std::string &idType, const std::string &index) {
  if (idType == "int")
    return "int id = b1.d[" + index + "]; bool fits = true;";
  return "int id = b1.d[2 * " + index + "]; bool fits = b1.d[2 * " + index + " + 1] == (id >> 31);";
}
} // namespace

Lowered lowerGatherElements(Operation &op) {
  GatherOperands g = gatherOperands(op);
  if (g.error)
    return *g.error;
  RankedTensorType x = g.x, ids = g.ids;
  const std::string &t = g.data;
  int rank = int(ids.getRank());
  if (rank > ::heed::vkabi::kGatherElementsMaxRank)
    return unsupported("has rank " + std::to_string(rank) + ", beyond the vulkan kernel's " +
                       std::to_string(::heed::vkabi::kGatherElementsMaxRank));
  Shader s;
  s.name = "gather_elements_" + suffixOf(x.getElementType()) + "_" +
           suffixOf(ids.getElementType()) + "_r" + std::to_string(rank);
  // As heed.gather: the status buffer records the first out-of-range position.
  s.buffers = {t, "int", t, "int"};
  s.usePush<::heed::vkabi::GatherElementsPush>();
  s.outputs = 2;
  std::string idLoad = "  " + loadId(g.idType, "i") + "\n";
  s.body = "  int i = gid_();\n  if (i >= pc.count) return;\n" + idLoad +
           "  int k = id < 0 ? id + pc.n : id;\n"
           "  if (!fits || k < 0 || k >= pc.n) {\n"
           "    atomicMin(b3.d[pc.statusSlot], i);\n    b2.d[i] = " +
           t + "(0);\n    return;\n  }\n";
  s.body += decompose(rank, "pc.shape", ::heed::vkabi::gatherElementsDimsAt(),
                      {::heed::vkabi::gatherElementsStridesAt(rank)}, {"o"}, "i");
  s.body += "  b2.d[i] = b0.d[o + k * pc.axisStride];\n";
  return {{s}, ""};
}

Lowered lowerTopK(Operation &op) {
  auto x = tensorOf(op.getOperand(0));
  if (!x || !x.getElementType().isF32())
    return unsupported("supports only f32 on vulkan");
  Shader s;
  s.name = "top_k";
  s.buffers = {"float", "float", "int64_t"};
  s.usePush<::heed::vkabi::TopKPush>();
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
  if (i >= pc.rows) return;
  int n = pc.n, inner = pc.inner, k = pc.k;
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

Lowered lowerGather(Operation &op, bool embedding) {
  GatherOperands g = gatherOperands(op);
  if (g.error)
    return *g.error;
  RankedTensorType x = g.x, ids = g.ids;
  const std::string &t = g.data;
  Shader s;
  s.name = std::string(embedding ? "embedding_" : "gather_") + suffixOf(x.getElementType()) + "_" +
           suffixOf(ids.getElementType());
  // The status buffer (last binding) records the first out-of-range position.
  s.buffers = {t, "int", t, "int"};
  s.usePush<::heed::vkabi::GatherPush>();
  std::string idLoad = loadId(g.idType, "j");
  s.outputs = 2;
  s.body = std::string(R"(  int i = gid_();
  if (i >= pc.count) return;
  int m = pc.ids, inner = pc.inner, n = pc.n;
  int r = i % inner, j = (i / inner) % m, o = i / (inner * m);
  )") + idLoad +
           R"(
  int k = )" +
           (embedding ? std::string("id") : std::string("id < 0 ? id + n : id")) + R"(;
  if (!fits || k < 0 || k >= n) {
    atomicMin(b3.d[pc.statusSlot], j);
    b2.d[i] = )" +
           t + R"((0);
    return;
  }
  b2.d[i] = b0.d[(o * n + int(k)) * inner + r];
)";
  return {{s}, ""};
}

Lowered lowerGenerator(Operation &op, const std::string &kind) {
  Shader s;
  s.body = "  int i = gid_();\n  if (i >= pc.count) return;\n";
  if (kind == "heed.sequence_mask") {
    auto len = tensorOf(op.getOperand(0));
    std::string lt = len ? storageType(len.getElementType()) : "";
    if (lt != "int" && lt != "int64_t")
      return unsupported("expects i32 or i64 lengths on vulkan");
    s.name = "sequence_mask_" + lt;
    s.buffers = {lt, "uint8_t"};
    s.usePush<::heed::vkabi::SequenceMaskPush>();
    s.body +=
        "  int n = pc.maxLength;\n  b1.d[i] = uint8_t(int64_t(i % n) < int64_t(b0.d[i / n]) ? "
        "1 : 0);\n";
  } else if (kind == "heed.causal_mask") {
    s.name = "causal_mask";
    s.buffers = {"uint8_t"};
    s.usePush<::heed::vkabi::CausalMaskPush>();
    s.body +=
        "  int lk = pc.keyLength;\n  b0.d[i] = uint8_t(i % lk <= i / lk + pc.shift ? 1 : 0);\n";
  } else if (kind == "heed.range") {
    s.name = "range";
    s.buffers = {"int64_t"};
    s.usePush<::heed::vkabi::RangePush>();
    s.body += "  b0.d[i] = int64_t(pc.start) + int64_t(i) * int64_t(pc.step);\n";
  } else {
    int64_t dim = intAttr(op, "dim", 0);
    double base = floatAttr(op, "base", 10000.0);
    bool interleaved = intAttr(op, "interleaved", 1);
    s.name = std::string("sinusoidal_positions") + (interleaved ? "_interleaved" : "");
    s.buffers = {"float"};
    s.usePush<::heed::vkabi::PositionsPush>();
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
              "  float pos = float(pc.offset + p);\n"
              "  float angle = pos * freq;\n"
              "  float turns = floor(angle / 6.283185307);\n"
              "  angle = fma(-turns, 6.28318548, angle);\n"
              "  angle = fma(turns, 1.7484555e-7, angle);\n"
              "  b0.d[i] = isCos ? cos(angle) : sin(angle);\n";
  }
  return {{s}, ""};
}

} // namespace mlir::heed::vulkan::detail
