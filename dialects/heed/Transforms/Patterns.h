//===- Patterns.h - Rewrite patterns of the heed passes ---------*- C++ -*-===//
//
// The patterns behind heed-canonicalize-attention and the fusion passes, so a
// tool can assemble its own pass from them. The passes and the `heed-pipeline`
// are thin wrappers around these.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_DIALECT_HEED_TRANSFORMS_PATTERNS_H
#define HEED_DIALECT_HEED_TRANSFORMS_PATTERNS_H

#include "dialects/heed/IR/HeedOps.h"
#include "mlir/IR/PatternMatch.h"

#include <string>

namespace mlir::heed {

/// What the fusion patterns do besides rewriting.
struct FusionOptions {
  /// Emit "softmax fused into ..." remarks at each fused softmax.
  bool report = false;
  /// The masked_rows attribute of every fused op.
  MaskedRows maskedRows = MaskedRows::zero;
};

/// A fusion pass's options from its `report` flag and masked-rows text
/// ("zero" or "nan"); an unknown policy is an error emitted at `anchor`.
FailureOr<FusionOptions> parseFusionOptions(Operation *anchor, bool report, StringRef maskedRows);

/// A fusion pass's body: its options (as parseFusionOptions), then the
/// patterns `populate` adds, applied greedily to `anchor`.
LogicalResult applyFusionPatterns(Operation *anchor, bool report, StringRef maskedRows,
                                  void (*populate)(RewritePatternSet &, const FusionOptions &));

/// Exporter spellings -> the canonical form the fusion patterns match: Div by
/// a constant -> Mul by its reciprocal, scales moved from Q/K onto the scores
/// and merged, last-two-dim transposes folded into matmul flags, decomposed
/// LayerNorm -> heed.layer_norm, erf GELU -> heed.gelu.
void populateCanonicalizeAttentionPatterns(RewritePatternSet &patterns);

/// Column-shaped attention weights (the TensorFlow tutorial's Bahdanau): a splat shift of the
/// scores dropped, softmax along an axis followed only by unit dims -> over the last axis;
/// reduce_sum(w [.., L, 1] * v, L) -> matmul(w as [.., 1, L], v). Part of
/// populateCanonicalizeAttentionPatterns.
void populateColumnAttentionPatterns(RewritePatternSet &patterns);

/// Attention on heads merged into the batch (Hugging Face BART's [B * H, L, D] bmm): the
/// batched products split back into [B, H] become 4-D products, their softmax moves before the
/// merge, and size checks against -1 fold. Part of populateCanonicalizeAttentionPatterns.
void populateBatchMergePatterns(RewritePatternSet &patterns);

/// op(broadcast(x, like), scalars) -> broadcast(op(x, scalars), like) for elementwise ops: a mask
/// converted after its expand() is converted before it. Part of
/// populateCanonicalizeAttentionPatterns.
void populateBroadcastsLastPatterns(RewritePatternSet &patterns);

/// Scaled dot-product attention -> heed.attention (anchored at heed.softmax).
void populateFuseAttentionPatterns(RewritePatternSet &patterns, const FusionOptions &options);

/// Bahdanau / Luong-concat attention -> heed.additive_attention.
void populateFuseAdditiveAttentionPatterns(RewritePatternSet &patterns,
                                           const FusionOptions &options);

/// add(matmul(x, W), b) -> heed.linear(x, W, b); a linear sliced along its last axis by all its
/// users -> one linear per slice (heed-fuse-linear).
void populateFuseLinearPatterns(RewritePatternSet &patterns);

/// Seq-first head split/merge around heed.attention -> num_heads; transposes around a linear
/// that cancel -> the linear alone (heed-fold-head-transposes).
void populateFoldHeadTransposesPatterns(RewritePatternSet &patterns);

/// Why neither fusion applies to `softmax`, in the words of the fusion report
/// (the text after "softmax not fused: ") under the fused ops' `maskedRows`
/// policy. Empty if one of them would apply.
std::string explainUnfusedSoftmax(SoftmaxOp softmax, MaskedRows maskedRows = MaskedRows::zero);

} // namespace mlir::heed

#endif // HEED_DIALECT_HEED_TRANSFORMS_PATTERNS_H
