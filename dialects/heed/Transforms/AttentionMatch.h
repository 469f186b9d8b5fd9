//===- AttentionMatch.h - Shared pieces of the attention matchers -*- C++ -*-===//
//
// Internal to HeedTransforms: the matchers both fusion passes and the fusion
// report use, their constant helpers and the mask analysis. Matching never
// changes the IR; only materializeMask and the build* functions create ops,
// after a match (or, to check that the result verifies, in a scratch block).
//
//===----------------------------------------------------------------------===//

#ifndef HEED_DIALECT_HEED_TRANSFORMS_ATTENTIONMATCH_H
#define HEED_DIALECT_HEED_TRANSFORMS_ATTENTIONMATCH_H

#include "dialects/heed/IR/HeedOps.h"
#include "mlir/IR/PatternMatch.h"

#include <optional>
#include <string>

namespace mlir::heed::fusion {

/// The value of a splat float constant (any shape), or nothing.
std::optional<double> splatFloat(Value value);

/// Whether `constant` is a splat whose shape cannot change the shape of
/// `other` when broadcast with it (all dims 1, rank at most other's).
bool isScalarLike(Value constant, Value other);

/// Whether `value` filled into a score makes it certainly vanish under
/// softmax next to any finite unmasked score: -inf, or the lowest finite
/// value of the element type (torch.finfo(dtype).min).
bool isMaskingFill(double value, Type elementType);

/// A tensor dim named by where its size comes from, so masks built in-graph
/// from heed.dim / constants can be proven to have the scores' sizes.
struct DimSource {
  Value tensor;
  int64_t axis;
};

/// Where dynamic dim `axis` of `value` gets its size: followed back through ops whose result
/// dim is exactly one operand dim (transposes, reshapes keeping it, slices on other axes,
/// matmul rows and batch, elementwise ops whose other operands cannot broadcast it); the
/// value itself when nothing is known.
DimSource dimOrigin(Value value, int64_t axis);

/// Whether the index value `size` is provably dim `axis` of `tensor`: a constant equal to its
/// static size, or heed.dim of a tensor whose dim comes from the same place (dimOrigin).
bool isSizeOf(Value size, Value tensor, int64_t axis);

/// One dim of a reshape's target: an index value (reshape_dynamic) or a spec entry (reshape).
struct TargetDim {
  Value value;
  int64_t literal = 0;
  /// The -1 that the element count fixes.
  bool isInferred() const;
  /// Provably dim `axis` of `tensor` (a spec's 0 copies a dim at its own index: not used).
  bool isSizeOf(Value tensor, int64_t axis) const;
};
/// The input and target dims of a heed.reshape or heed.reshape_dynamic, or nothing.
std::optional<std::pair<Value, SmallVector<TargetDim>>> reshapeTarget(Value value);

/// `value` = x [d0, d1, rest...] reshaped (heed.reshape or reshape_dynamic) to
/// [d0 * d1, rest...] with every size proven (isSizeOf; one of them may be the inferred -1):
/// x, else null. Hugging Face BART's view(B * H, -1, D) of [B, H, L, D] heads.
Value mergedLeading(Value value);

/// The scores a mask applies to: their shape and what is known about their
/// query-length and key-length dims.
struct ScoresInfo {
  Value scores; // the scores tensor itself, when there is one (its dims prove masks' sizes)
  SmallVector<int64_t> shape;
  SmallVector<DimSource> queryLength; // Lq = dim of any of these
  SmallVector<DimSource> keyLength;   // Lk = dim of any of these
  bool causalAllowed = true;
  bool lengthsAllowed = true; // a batch dim leads the scores
};

/// The masks found between the scores and the softmax, as heed.attention's
/// mask operand + mask_kind.
/// A condition on an index value that a match relies on and only the run can check.
struct RunTimeLimit {
  Value value;
  int64_t min, max;
  std::string message; // followed by the value
  bool operator==(const RunTimeLimit &o) const {
    return value == o.value && min == o.min && max == o.max;
  }
};

struct MaskPlan {
  MaskKind kind = MaskKind::none;
  /// The operand mask as found in the graph; `negate` asks for heed.not.
  Value operand;
  bool negate = false;
  /// Several boolean masks are and-ed; several additive ones summed.
  SmallVector<std::pair<Value, bool>> extraBoolean;
  SmallVector<Value> extraAdditive;
  CausalAlign align = CausalAlign::top_left;
  /// A finite masking fill (finfo.min) that became a boolean, causal or
  /// lengths mask. The decomposed graph gives a fully masked row uniform
  /// weights there, which neither masked_rows policy reproduces.
  std::optional<double> finiteFill;
  /// A finite fill that does not mask (masked_fill(C, -1e9)): the hidden keys keep that score,
  /// the fused op's mask_fill (times any scale applied after it). Only with one plain boolean
  /// operand mask and nothing else (checkScoreFill): other masks would hide keys differently.
  std::optional<double> scoreFill;
  /// Index values that must lie in [min, max], with what the error says otherwise: a causal mask
  /// cut from a constant of N rows or columns (a registered tril buffer sliced to T) is causal only
  /// while T <= N. The fused op checks them at run time, so a longer sequence fails as the sliced
  /// graph would (its mask would not broadcast to the scores).
  SmallVector<RunTimeLimit> limits;
};

/// Refuses a plan with a scoreFill and any mask besides its one boolean operand.
LogicalResult checkScoreFill(const MaskPlan &plan, std::string &reason);

/// Adds `scores + mask` (a float tensor) to the plan.
LogicalResult addAdditiveMask(MaskPlan &plan, Value mask, const ScoresInfo &scores,
                              std::string &reason);
/// Adds a boolean mask: the keys where `condition` (negated when `negated`)
/// is true may be seen, the others are filled with a masking value.
LogicalResult addBooleanMask(MaskPlan &plan, Value condition, bool negated,
                             const ScoresInfo &scores, std::string &reason);
/// Peels one mask op off the chain between the scores and the softmax:
/// `value` is an add of a float mask, or a where that fills with a masking
/// value. Sets `inner` to the chain value under the mask. Returns failure
/// with an empty reason when `value` is no mask op at all.
LogicalResult peelMask(Value value, MaskPlan &plan, const ScoresInfo &scores, Value &inner,
                       std::string &reason);

/// Whether a plan may fuse under `maskedRows`: with nan (keep the decomposed
/// graph's IEEE result) a finite masking fill turned into a hiding mask may
/// not, since its fully masked rows get uniform weights, not NaN.
LogicalResult checkMaskedRows(const MaskPlan &plan, MaskedRows maskedRows, std::string &reason);

/// Creates the ops the plan needs (heed.not, and, add) before the builder's
/// insertion point; returns the mask operand (null for none/causal only).
Value materializeMask(OpBuilder &builder, Location loc, const MaskPlan &plan);

/// Whether `value` is computed from an op `isRoot` accepts through at most
/// `depth` elementwise or data-movement ops (tells the scores side of an add
/// or where from the mask side).
bool leadsTo(Value value, function_ref<bool(Operation *)> isRoot, int depth = 6);

/// A scaled dot-product attention found at a softmax.
struct SdpaMatch {
  SoftmaxOp softmax;
  MatmulOp scores;       // Q K^T
  MatmulOp valueProduct; // softmax(...) V
  Value query, key, value;
  bool transposeQuery = false, transposeKey = false, transposeValue = false;
  int64_t numHeads = 0;
  double scale = 1;
  MaskPlan mask;
  /// The op whose single result the fused output replaces.
  Operation *replaced = nullptr;
  /// Where the fused op is created.
  Operation *insertionPoint = nullptr;
  /// Uses of the softmax result that take the weights result.
  SmallVector<OpOperand *> weightUses;
  /// Luong general inside a heed.scan: the per-step query projection
  /// W_a (query = linear(s, W_a)) moves onto the loop-invariant keys,
  /// K' = linear(K, W_a, !transpose), created before the outermost scan.
  Value keyWeight;
  bool keyWeightTransposed = false;
  Operation *keyProjectionPoint = nullptr;
  /// One query per row (a decoder step), its scores [B, Lk] made by this op:
  /// sum(q * k, -1) with q [B, 1, D] and k [B, Lk, D], or the reshape that
  /// drops the unit dim of a batched product (bmm(k, q [B, D, 1]) or
  /// bmm(q [B, 1, D], k^T)). The weights reach V reshaped to [B, 1, Lk].
  Operation *singleQuery = nullptr;
  Operation *stepReshape = nullptr;
  /// The query is the column [B, D, 1] of bmm(k, q): the fused op takes it
  /// reshaped to [B, 1, D] (the same elements).
  bool queryColumn = false;
};
FailureOr<SdpaMatch> matchSdpa(SoftmaxOp softmax, std::string &reason,
                               MaskedRows maskedRows = MaskedRows::zero);
/// Creates the heed.attention of a match (and the transposes and mask ops it
/// needs) at the builder's insertion point; the key projection of Luong
/// general goes before its scan when `hoist` (else at the insertion point).
AttentionOp buildAttention(OpBuilder &builder, const SdpaMatch &match, MaskedRows maskedRows,
                           bool hoist = true);

/// An additive (Bahdanau / Luong concat) attention found at a softmax.
struct AdditiveMatch {
  SoftmaxOp softmax;
  Value query; // [B, Dq] (or [B, 1, Dq] with squeezeQuery)
  bool squeezeQuery = false;
  Value keysProj;  // [B, Lk, A], or null for Luong concat
  Value queryBias; // b_q of W_q q + b_q, folded into keys_proj
  Value values;    // [B, Lk, Dv]
  Value wQuery;    // [A, Dq] (or [Dq, A] with transposeWQuery)
  bool transposeWQuery = false;
  Value v; // reshaped to [A] when not already
  // W_1 q_1 + W_2 q_2 + ... (LSTMN's W_x x + W_h h~): the extra [B, D_i]
  // inputs and their weights (each transposed like `transposeWQuery`),
  // concatenated to `query` and `wQuery` when built.
  SmallVector<Value> moreQueries, moreWQuery;
  SmallVector<bool> moreTransposeWQuery;
  // Luong concat: tanh(W [q; h] + b) with W [A, Dq + Dk].
  Value concatWeight, concatBias, concatKeys;
  bool concatWeightTransposed = true; // W is [A, Dq + Dk] (heed.linear's), else [Dq + Dk, A]
  bool queryFirst = true;
  int64_t queryWidth = 0, keyWidth = 0;
  MaskPlan mask;
  Operation *replaced = nullptr;
  bool keepsStepDim = false; // the output replaced is [B, 1, Dv]
  Operation *insertionPoint = nullptr;
  SmallVector<OpOperand *> weightUses;
};
/// `recognized` tells whether the tanh scoring structure was found, so the
/// report gives this matcher's reason rather than the dot-product one.
FailureOr<AdditiveMatch> matchAdditive(SoftmaxOp softmax, std::string &reason, bool &recognized,
                                       MaskedRows maskedRows = MaskedRows::zero);
/// Creates the heed.additive_attention of a match (and the weight slices,
/// projections and mask ops it needs) at the builder's insertion point.
AdditiveAttentionOp buildAdditiveAttention(OpBuilder &builder, const AdditiveMatch &match,
                                           MaskedRows maskedRows);

/// Builds ops with `build` into a scratch block, verifies the op it returns
/// without printing anything, and destroys them all: whether a rewrite would
/// produce valid IR, asked without touching the IR. On failure, `message`
/// holds the verifier's words.
LogicalResult verifiesWhenBuilt(MLIRContext *context, function_ref<Operation *(OpBuilder &)> build,
                                std::string &message);

/// The last checks of both fusions, once a match is complete: where the fused
/// op goes (at `softmax` when `values` is already defined there, else at
/// `product`, the op computing the output) must come before every other user
/// of the weights, and the op `build` makes must verify. Sets
/// `insertionPoint`, or `reason` on failure.
LogicalResult placeFusedOp(SoftmaxOp softmax, Value values, Operation *product,
                           ArrayRef<OpOperand *> weightUses,
                           function_ref<Operation *(OpBuilder &)> build, Operation *&insertionPoint,
                           std::string &reason);

/// Whether a reshape keeps input dim `inDim` as output dim `outDim` (spec 0
/// at the same index, the same static size, or the one -1 where every other
/// dim is a unit or copied dim).
bool keepsDim(ReshapeOp reshape, int64_t inDim, int64_t outDim);
/// [B, H, L, D] -> transpose [0, 2, 1, 3] -> reshape [B, L, H*D], each read once: the merge
/// reshape, or null.
ReshapeOp headMerge(Value value);
/// [B, X] -> reshape -> [B, 1, X]: the [B, X] input, else null.
Value insertsStepDim(Value value);

/// Formats a double the way remarks print scales.
std::string formatDouble(double value);

} // namespace mlir::heed::fusion

#endif // HEED_DIALECT_HEED_TRANSFORMS_ATTENTIONMATCH_H
