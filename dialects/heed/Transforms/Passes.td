//===- Passes.td - Passes of the heed dialect -----------------------------===//

#ifndef HEED_TRANSFORMS_PASSES_TD
#define HEED_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// Attention fusion
//===----------------------------------------------------------------------===//

def HeedCanonicalizeAttention : Pass<"heed-canonicalize-attention", "func::FuncOp"> {
  let summary = "Rewrites exporter spellings of attention, LayerNorm and GELU into one form";
  let description = [{
    Brings what exporters and people write into the form the fusion passes
    match: a division by a constant becomes a multiplication by its
    reciprocal; a constant scale on Q or K moves onto the scores and
    consecutive scales merge; a transpose of the last two dims feeding a
    matmul becomes its transpose flag (K^T becomes `transpose_b`), and
    chained transposes compose; multiplications by 1 fold away; the
    decomposed LayerNorm (ReduceMean/Sub/Pow/ReduceMean/Add/Sqrt/Div) becomes
    heed.layer_norm and the erf GELU x * 0.5 * (1 + erf(x / sqrt 2)) becomes
    heed.gelu. Every rewrite is an identity up to float rounding.
  }];
  let dependentDialects = ["::mlir::heed::HeedDialect"];
}

def HeedFuseAdditiveAttention : Pass<"heed-fuse-additive-attention", "func::FuncOp"> {
  let summary = "Fuses Bahdanau and Luong-concat attention into heed.additive_attention";
  let description = [{
    Matches v^T tanh(W_q q + K') -> mask -> softmax -> weighted sum of the
    values (and Luong's concat form v^T tanh(W [q; h] + b)), with K' the key
    projection, and replaces it with heed.additive_attention. Other users of
    the softmax get the op's weights result. See docs/fusion.md.
  }];
  let options = [
    Option<"report", "report", "bool", "false",
           "Emit a remark at every softmax this pass fuses">,
    Option<"maskedRows", "masked-rows", "std::string", "\"zero\"",
           "What fully masked rows give in the fused op: zero or nan">,
  ];
  let dependentDialects = ["::mlir::heed::HeedDialect"];
}

def HeedFuseAttention : Pass<"heed-fuse-attention", "func::FuncOp"> {
  let summary = "Fuses QK^T -> scale -> mask -> softmax -> .V into heed.attention";
  let description = [{
    Matches scaled dot-product attention after heed-canonicalize-attention:
    a matmul of Q and K^T, constant scales, additive, boolean, padding-length
    and causal masks in their exporter spellings, a softmax over the key axis
    and a matmul with V over the key axis. Head split/merge reshapes around
    it become `num_heads`. Only provably equivalent graphs fuse; other users
    of the softmax get the op's weights result. See docs/fusion.md.
  }];
  let options = [
    Option<"report", "report", "bool", "false",
           "Emit a remark at every softmax this pass fuses">,
    Option<"maskedRows", "masked-rows", "std::string", "\"zero\"",
           "What fully masked rows give in the fused op: zero or nan">,
  ];
  let dependentDialects = ["::mlir::heed::HeedDialect"];
}

def HeedFusionReport : Pass<"heed-fusion-report", "func::FuncOp"> {
  let summary = "Remarks at every softmax left unfused, saying why";
  let description = [{
    Runs after the fusion passes. Every heed.softmax still present gets the
    remark "softmax not fused: <reason>", the reason being the first rule
    the attention matchers found violated. Fused softmaxes were reported by
    the fusion passes themselves.
  }];
  let options = [
    Option<"fusionDisabled", "fusion-disabled", "bool", "false",
           "Fusion did not run: give that as the reason">,
    Option<"maskedRows", "masked-rows", "std::string", "\"zero\"",
           "The fusion passes' masked-rows policy (zero or nan)">,
  ];
}

//===----------------------------------------------------------------------===//
// GEMM epilogues
//===----------------------------------------------------------------------===//

def HeedFuseLinear : Pass<"heed-fuse-linear", "func::FuncOp"> {
  let summary = "Bias adds into heed.linear; packed projections split into one linear per slice";
  let description = [{
    Runs after the attention fusions (which match the matmuls of attention
    scores). `add(matmul(x, W), b)` with a 2-D W and a bias b of W's output
    width becomes `heed.linear(x, W, b)` (also a linear without bias
    followed by such an add), so the bias is added by the GEMM's kernel;
    a linear whose every user is a unit-step slice of its last axis (the
    packed Q/K/V in-projection of nn.MultiheadAttention) becomes one linear
    per slice, on slices of its weight and bias, which removes the copies of
    the slices. Both rewrites are exact.
  }];
  let dependentDialects = ["::mlir::heed::HeedDialect"];
}

def HeedFoldHeadTransposes : Pass<"heed-fold-head-transposes", "func::FuncOp"> {
  let summary = "Seq-first head split/merge transposes into heed.attention's num_heads layout";
  let description = [{
    nn.MultiheadAttention splits heads as `view(L, B*H, D).transpose(0, 1)`
    of a [L, B, E] projection and merges them back with the inverse; a
    heed.attention (num_heads = 0) between such splits and merge becomes one
    with `num_heads = H` on the [B, L, E] projections (a [B*H, Lq, Lk] mask
    becomes [B, H, Lq, Lk]), and `transpose(linear(transpose(x, p)), p^-1)`
    becomes `linear(x)` (a linear maps rows independently), so the
    transposes of x before the in-projection and after the out-projection
    cancel with the ones this adds. No activation is copied for the heads.
  }];
  let dependentDialects = ["::mlir::heed::HeedDialect"];
}

def HeedFuseLinearActivation : Pass<"heed-fuse-linear-activation", "func::FuncOp"> {
  let summary = "An activation after a projection into heed.linear's `activation`";
  let description = [{
    `relu`, `gelu` (either form), `tanh` or `sigmoid` of a heed.linear (or of
    a heed.matmul by a 2-D weight) that nothing else reads, or its product
    with its own sigmoid (SiLU, SwiGLU's gate), becomes the linear's
    `activation`: the CPU applies it in the GEMM's epilogue (a
    oneDNN post-op) while the result is in cache, the Vulkan kernel before
    its store; the FFN's ReLU or GELU then costs no pass over its
    [rows, 4d] activations. Runs after the other fusions, whose matchers
    read linears as plain projections. Exact: the same function of the same
    sums.
  }];
  let dependentDialects = ["::mlir::heed::HeedDialect"];
}

def HeedFuseRotary : Pass<"heed-fuse-rotary", "func::FuncOp"> {
  let summary = "Rotary position embeddings (x * cos + rotate_half(x) * sin) into heed.rotary";
  let description = [{
    add(mul(x, cos), mul(rotate_half(x), sin)) in f32, with rotate_half(x) =
    concat(-x[..., D/2:], x[..., :D/2]) on the last axis (heed.neg or a product
    by -1) and D static and even, becomes heed.rotary(x, cos, sin): one pass
    over x instead of five. When x is a transpose keeping the last dim that
    only the rotary reads (the heads transpose of view(B, L, H, D).transpose(1,
    2)), the rotary reads the transpose's input, with cos and sin transposed
    back, and the transpose moves after it, where heed-fold-head-transposes
    can fold it into the attention. Exact: the same products and sums.
  }];
  let dependentDialects = ["::mlir::heed::HeedDialect"];
}

def HeedFuseResidualNorm : Pass<"heed-fuse-residual-norm", "func::FuncOp"> {
  let summary = "A residual add that only a layer norm reads into its `residual`";
  let description = [{
    layer_norm(add(x, r)) with x and r of the sum's type (no broadcasting)
    and the sum read by nothing else (post-norm Transformer layers: norm(x +
    sublayer(x))) becomes layer_norm(x) residual r: the kernel sums the two
    rows as it reads them, so the [rows, d] sum is neither written nor read
    back. A sum that is also read elsewhere (pre-norm layers keep it as the
    next residual) stays an add. Exact: the same float sums, normalized.
  }];
  let dependentDialects = ["::mlir::heed::HeedDialect"];
}

//===----------------------------------------------------------------------===//
// Shapes
//===----------------------------------------------------------------------===//

def HeedInferShapes : Pass<"heed-infer-shapes", "func::FuncOp"> {
  let summary = "Refines result types with the shapes the heed ops infer";
  let description = [{
    Frontends may declare results with dynamic dims; this pass replaces each
    heed op's result type with the more static one its shape rules give
    (static model widths, constant lengths), so later passes and backends see
    every dim that is known at compile time. Values that leave the function or
    feed a non-heed op keep their types, so signatures never change.
  }];
  let dependentDialects = ["::mlir::heed::HeedDialect"];
}

//===----------------------------------------------------------------------===//
// Decoding
//===----------------------------------------------------------------------===//

def HeedHoistStepInvariants : Pass<"heed-hoist-step-invariants", "ModuleOp"> {
  let summary = "Moves decode_step's per-source work into encode";
  let description = [{
    In a module linked from an encoder and a decoder graph (marked
    `heed.linked_decoder` by heed-compile --decoder), decode_step values
    that depend only on per-source inputs (fed by an encode output or input,
    not by a state) and constants, row by row along the batch dim, are
    computed once in encode instead of at every step: the cross-attention
    keys and values an exported decoder projects from the encoder's states,
    the padding mask it builds from the source mask. Each becomes an encode
    output and a decode_step input named `step_invariant.N`, which the
    decoding drivers bind by name like any per-source input. Ops are
    hoisted only where their row independence is plain (elementwise ops,
    matmul and linear over non-contracted batch dims, transposes, reshapes
    that copy the leading dims, softmax, layer norm and slices along other
    dims); hand-written modules, whose decode_step signature a caller may
    use directly, are left alone.
  }];
}

#endif // HEED_TRANSFORMS_PASSES_TD
