//===- AttrRules.h - Ranges and enum values of op attributes ----*- C++ -*-===//
//
// One table of the integer attributes whose values the ops constrain: the
// dialect's verifier checks every heed op against it (.mlir input, the
// frontends), and the runtime's module loader checks every plan op of a
// module file against it, so a forged module (num_heads -4, mask_kind 255)
// is refused at load time with the same rule, instead of the CPU and Vulkan
// drivers each guessing differently. Plain C++ (no MLIR): the runtime
// includes it. The enum values are those of HeedAttrs.td; HeedOps.cpp
// static_asserts them against the generated enums, so the two cannot drift.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_DIALECT_HEED_IR_ATTRRULES_H
#define HEED_DIALECT_HEED_IR_ATTRRULES_H

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

namespace heed::attr_rules {

// Enum values (HeedAttrs.td): the largest value of each plain enum.
constexpr int64_t kCausalAlignMax = 1;   // top_left, bottom_right
constexpr int64_t kMaskedRowsMax = 1;    // zero, nan
constexpr int64_t kCompareKindMax = 5;   // eq, ne, lt, le, gt, ge
constexpr int64_t kReduceKindMax = 4;    // sum, mean, max, min, prod
constexpr int64_t kGeluApproxMax = 1;    // none, tanh
constexpr int64_t kRnnActivationMax = 1; // tanh, relu
constexpr int64_t kActivationMax = 6;    // none, relu, gelu, gelu_tanh, tanh, sigmoid, silu
constexpr int64_t kCmpIPredicateMax = 9; // arith.cmpi: eq ... uge
// MaskKind is a bit enum: operand kinds (at most one) and causal.
constexpr int64_t kMaskAdditive = 1, kMaskBoolean = 2, kMaskLengths = 4, kMaskCausal = 8;
constexpr int64_t kMaskOperandKinds = kMaskAdditive | kMaskBoolean | kMaskLengths;

constexpr int64_t kNoMax = std::numeric_limits<int64_t>::max();

enum class Kind : uint8_t {
  range, // min <= value <= max
  mask,  // a MaskKind: only bits in `max`, at most one operand kind
};

struct Rule {
  const char *op;
  const char *attr;
  int64_t min, max;
  Kind kind = Kind::range;
};

inline constexpr Rule kRules[] = {
    {"heed.attention", "num_heads", 0, kNoMax},
    {"heed.attention", "num_kv_heads", 0, kNoMax},
    {"heed.attention", "mask_kind", 0, kMaskOperandKinds | kMaskCausal, Kind::mask},
    {"heed.attention", "causal_align", 0, kCausalAlignMax},
    {"heed.attention", "masked_rows", 0, kMaskedRowsMax},
    {"heed.additive_attention", "mask_kind", 0, kMaskOperandKinds, Kind::mask},
    {"heed.additive_attention", "masked_rows", 0, kMaskedRowsMax},
    {"heed.causal_mask", "align", 0, kCausalAlignMax},
    {"heed.compare", "predicate", 0, kCompareKindMax},
    {"heed.reduce", "kind", 0, kReduceKindMax},
    {"heed.gelu", "approximate", 0, kGeluApproxMax},
    {"heed.linear", "activation", 0, kActivationMax},
    {"heed.top_k", "k", 1, kNoMax},
    {"heed.slice", "step", 1, kNoMax},
    {"heed.rnn_cell", "activation", 0, kRnnActivationMax},
    {"heed.rnn", "activation", 0, kRnnActivationMax},
    {"heed.rnn", "hidden_size", 1, kNoMax},
    {"heed.rnn", "num_layers", 1, kNoMax},
    {"heed.gru", "hidden_size", 1, kNoMax},
    {"heed.gru", "num_layers", 1, kNoMax},
    {"heed.lstm", "hidden_size", 1, kNoMax},
    {"heed.lstm", "num_layers", 1, kNoMax},
    {"arith.cmpi", "predicate", 0, kCmpIPredicateMax},
};

/// Why `value` breaks `rule`, or "" when it does not.
inline std::string violation(const Rule &rule, int64_t value) {
  if (rule.kind == Kind::mask) {
    if (value < 0 || (value & ~rule.max) != 0)
      return "has unknown mask bits (" + std::to_string(value) +
             "; allowed: " + std::to_string(rule.max) + ")";
    int64_t operands = value & kMaskOperandKinds;
    if (operands & (operands - 1))
      return "combines more than one of additive, boolean and lengths (" + std::to_string(value) +
             ")";
    return "";
  }
  if (value < rule.min || value > rule.max)
    return std::to_string(value) + " is out of range [" + std::to_string(rule.min) + ", " +
           (rule.max == kNoMax ? std::string("2^63)") : std::to_string(rule.max) + "]");
  return "";
}

/// Calls `visit(rule)` for every rule of op `op`.
template <typename Visit> void forEachRule(std::string_view op, Visit visit) {
  for (const Rule &rule : kRules)
    if (op == rule.op)
      visit(rule);
}

} // namespace heed::attr_rules

#endif // HEED_DIALECT_HEED_IR_ATTRRULES_H
