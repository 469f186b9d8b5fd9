//===- AttentionRules.h - Shape rules of the attention ops ------*- C++ -*-===//
//
// How heed.attention and heed.additive_attention read their operands and masks: the layouts,
// strides and checks both drivers take from here, so a model one driver accepts the other
// accepts too, with the same message. Every rule returns "" or the error message; the driver
// reports it with the op's location.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_RUNTIME_DRIVERS_RULES_ATTENTIONRULES_H
#define HEED_RUNTIME_DRIVERS_RULES_ATTENTIONRULES_H

#include "runtime/drivers/rules/DataRules.h"

#include <array>

namespace heed::rt {

/// How heed.attention reads its operands: packed heads [B, L, H*D] when num_heads > 0, else
/// [.., L, D] of rank 2-4 with optional batch and head dims (K/V may broadcast over the batch and
/// group heads).
struct AttentionLayout {
  int64_t batch = 0, heads = 0, kvHeads = 0, queryLength = 0, keyLength = 0, headDim = 0,
          valueDim = 0;
  /// (batch, head, row) strides of query, key, value and output; features are contiguous.
  std::array<int64_t, 3> query{}, key{}, value{}, output{};
  std::vector<int64_t> outShape;    // the output's
  std::vector<int64_t> scoresShape; // the weights output's, and what masks broadcast to
  std::vector<int> scoresPos;       // each scores dim's position in [B, H, Lq, Lk]
};
std::string attentionLayout(const std::vector<int64_t> &q, const std::vector<int64_t> &k,
                            const std::vector<int64_t> &v, ElemType type, int64_t numHeads,
                            int64_t numKvHeads, AttentionLayout &out);

/// [B, H, Lq, Lk] strides of a mask of shape `mask`, right-aligned and broadcast to scores of
/// shape `scores` whose dims sit at `pos` of [B, H, Lq, Lk] (AttentionLayout's, or additive
/// attention's [B, Lq, Lk]).
std::string maskStrides(const std::vector<int64_t> &mask, ElemType type,
                        const std::vector<int64_t> &scores, const std::vector<int> &pos,
                        std::array<int64_t, 4> &out);

/// heed.additive_attention (Bahdanau): query [B, Dq] (one step) or [B, Lq, Dq], keys_proj
/// [B, Lk, A], values [B, Lk, Dv], w_query [A, Dq] and v [A]; `operands` holds those five (fewer
/// when the op lacks some). Scores are [B, Lk] or [B, Lq, Lk], at scoresPos of [B, H, Lq, Lk].
struct AdditiveAttentionLayout {
  bool step = false; // a rank-2 query: one query row per batch, no Lq dim
  int64_t batch = 0, queryLength = 0, queryDim = 0, keyLength = 0, attentionDim = 0, valueDim = 0;
  std::vector<int64_t> outShape, scoresShape;
  std::vector<int> scoresPos;
};
std::string additiveAttentionLayout(const std::vector<TypedShape> &operands,
                                    AdditiveAttentionLayout &out);

/// What an attention op's mask operand is (mask_kind's operand bit).
enum class MaskOperand { additive, boolean, lengths };
/// An attention mask operand (null when the op has none) of `kind`: key lengths must be [batch]
/// integers; additive (f32) and boolean (i1) masks broadcast to the scores, and `strides` gets
/// their [B, H, Lq, Lk] strides (maskStrides).
std::string attentionMask(const TypedShape *mask, MaskOperand kind, int64_t batch,
                          const std::vector<int64_t> &scores, const std::vector<int> &pos,
                          std::array<int64_t, 4> &strides);

} // namespace heed::rt

#endif // HEED_RUNTIME_DRIVERS_RULES_ATTENTIONRULES_H
