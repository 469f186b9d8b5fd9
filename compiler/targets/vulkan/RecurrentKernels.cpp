//===- RecurrentKernels.cpp - Recurrent vulkan kernels --------------------===//
//
// The GLSL of the rnn/gru/lstm cells and of the step kernel that runs whole
// sequences, driven by runtime/drivers/vulkan/RecurrentOps.cpp.
//
//===----------------------------------------------------------------------===//

#include "compiler/targets/vulkan/Kernels.h"

#include "runtime/drivers/vulkan/abi/Recurrent.h"

namespace mlir::heed::vulkan::detail {

/// RNN / GRU / LSTM cells: one invocation
/// per (row, hidden unit) computes its gates' dot products directly. The
/// classic GRU (linear_before_reset = false) needs r for every unit of the
/// row, which each invocation recomputes: O(H (I + H)) work per output,
/// fine for the cell sizes decoders use, not tuned. Push constants: CellPush.
Lowered lowerCell(Operation &op, const std::string &kind) {
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
  s.usePush<::heed::vkabi::CellPush>();
  s.outputs = op.getNumResults();
  auto b = [](unsigned i) { return "b" + std::to_string(i); };
  std::string X = b(0), Hb = b(1), C = lstm ? b(2) : "", WI = b(wAt), WH = b(wAt + 1),
              BI = bias ? b(wAt + 2) : "", BH = bias ? b(wAt + 3) : "", HO = b(op.getNumOperands()),
              CO = lstm ? b(op.getNumOperands() + 1) : "";
  s.helpers = "float sigm_(float x) { return 1.0 / (1.0 + exp(-x)); }\n";
  s.helpers += std::string(kMathHelpers);
  // gi(g, row, unit) and gh(g, row, unit): the input and hidden projections with biases.
  s.helpers += "float gi_(int g, int r, int u) {\n  int I = pc.inputSize, H = pc.hiddenSize;\n"
               "  float a = " +
               (bias ? BI + ".d[g * H + u]" : std::string("0.0")) +
               ";\n  for (int i = 0; i < I; ++i) a += " + X + ".d[r * I + i] * " + WI +
               ".d[(g * H + u) * I + i];\n  return a;\n}\n";
  s.helpers += "float gh_(int g, int r, int u) {\n  int H = pc.hiddenSize;\n  float a = " +
               (bias ? BH + ".d[g * H + u]" : std::string("0.0")) +
               ";\n  for (int k = 0; k < H; ++k) a += " + Hb + ".d[r * H + k] * " + WH +
               ".d[(g * H + u) * H + k];\n  return a;\n}\n";
  std::string body = "  int i = gid_();\n  if (i >= pc.count) return;\n"
                     "  int H = pc.hiddenSize, r = i / H, u = i % H;\n";
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
/// h_next, [c_next], h_n, [c_n], status. Push constants: RecurrentStepPush;
/// a batch-first output is the step's y copied (RecurrentKernel).
Lowered lowerSequence(Operation &op, const std::string &kind) {
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
  s.usePush<::heed::vkabi::RecurrentStepPush>();
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
  s.helpers += "float hp_(int r, int k) { return pc.zeroHPrev != 0 ? 0.0 : " + HP +
               ".d[pc.hPrevBase + r * pc.hiddenSize + k]; }\n";
  s.helpers +=
      "float gi_(int g, int r, int u) {\n  int I = pc.inputSize, H = pc.hiddenSize;\n  float a = " +
      (bias ? BI + ".d[g * H + u]" : std::string("0.0")) +
      ";\n  int xb = pc.step * pc.x[0] + r * pc.x[1];\n"
      "  for (int i = 0; i < I; ++i) a += " +
      X + ".d[xb + i] * " + WI + ".d[(g * H + u) * I + i];\n  return a;\n}\n";
  s.helpers += "float gh_(int g, int r, int u) {\n  int H = pc.hiddenSize;\n  float a = " +
               (bias ? BH + ".d[g * H + u]" : std::string("0.0")) +
               ";\n  for (int k = 0; k < H; ++k) a += hp_(r, k) * " + WH +
               ".d[(g * H + u) * H + k];\n  return a;\n}\n";
  std::string body = "  int i = gid_();\n  if (i >= pc.count) return;\n"
                     "  int H = pc.hiddenSize, r = i / H, u = i % H, t = pc.step, T = pc.steps;\n"
                     "  bool valid = true;\n";
  if (lengths) {
    body += lenType == "int" ? "  int len = " + LEN + ".d[r]; bool lenOk = len >= 0 && len <= T;\n"
                             : "  int len = " + LEN + ".d[2 * r]; bool lenOk = " + LEN +
                                   ".d[2 * r + 1] == 0 && len >= 0 && len <= T;\n";
    body +=
        "  if (!lenOk) atomicMin(" + ST + ".d[pc.statusSlot], r);\n  valid = lenOk && t < len;\n";
  }
  body += "  float hPrev = hp_(r, u);\n  float hNew = hPrev;\n";
  if (lstm)
    body += "  float cPrev = pc.zeroCPrev != 0 ? 0.0 : " + CP +
            ".d[pc.cPrevBase + i];\n  float cNew = cPrev;\n";
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
  body += "  " + Y +
          ".d[(t * (pc.count / H) + r) * pc.yRowStride + pc.yOffset + u] = valid ? hNew : 0.0;\n";
  body += "  " + HO + ".d[i] = hNew;\n  " + HN + ".d[pc.stateBase + i] = hNew;\n";
  if (lstm)
    body += "  " + CO + ".d[i] = cNew;\n  " + CN + ".d[pc.stateBase + i] = cNew;\n";
  s.body = body;
  Lowered l;
  place(l, ::heed::vkabi::RecurrentKernel::step, s);
  Lowered c = lowerCopy(op, x.getElementType(), 3);
  place(l, ::heed::vkabi::RecurrentKernel::batchFirstCopy, c.shaders[0]);
  return l;
}

} // namespace mlir::heed::vulkan::detail
