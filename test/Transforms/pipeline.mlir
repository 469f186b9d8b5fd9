// RUN: heed-opt %heed_src/examples/mlir/bahdanau_step.mlir --heed-pipeline="fusion-report=true" 2>&1 >/dev/null | FileCheck %s --check-prefix=REMARK
// RUN: heed-opt %heed_src/examples/mlir/bahdanau_step.mlir --heed-pipeline="fusion-report=true" 2>/dev/null | FileCheck %s --check-prefix=EXAMPLE
// RUN: heed-opt %s --heed-pipeline="fusion-report=true" -verify-diagnostics | FileCheck %s
// The whole heed-pipeline, as heed-compile runs it.

// The example's Luong step loses its no-op scale and fuses; the Bahdanau step
// is already fused and stays as written.
// (The remarks are checked apart from the IR: heed-opt escapes its stderr through a pipe, so
// the two streams interleave in no fixed order.)
// REMARK: bahdanau_step.mlir:25:12: remark: softmax fused into heed.attention
// EXAMPLE-LABEL: func.func @attend
// EXAMPLE: heed.additive_attention %{{.*}} {mask_kind = #heed<mask lengths>, return_weights}
// EXAMPLE-LABEL: func.func @luong_dot
// EXAMPLE-NOT: heed.mul
// EXAMPLE: %[[O:.*]] = heed.attention %{{.*}}, %[[H:.*]], %[[H]] {scale = 1.000000e+00 : f32} : (tensor<?x1x256xf32>, tensor<?x?x256xf32>, tensor<?x?x256xf32>) -> tensor<?x1x256xf32>
// EXAMPLE: heed.reshape %[[O]]

// The example's @attend before fusion, as a frontend spells it out.
// CHECK-LABEL: func.func @attend
// CHECK-SAME: (%[[S:.*]]: tensor<?x128xf32>, %[[KP:.*]]: tensor<?x?x96xf32>, %[[H:.*]]: tensor<?x?x256xf32>, %[[LEN:.*]]: tensor<?xi64>)
// CHECK: %[[C:.*]], %[[A:.*]] = heed.additive_attention %[[S]], %[[KP]], %[[H]], %{{.*}}, %{{.*}}, %[[LEN]] {mask_kind = #heed<mask lengths>, return_weights}
// CHECK: return %[[C]], %[[A]]
func.func @attend(%s: tensor<?x128xf32>, %keys: tensor<?x?x96xf32>, %h: tensor<?x?x256xf32>,
                  %len: tensor<?xi64>) -> (tensor<?x256xf32>, tensor<?x?xf32>) {
  %ws = heed.weight "attn.w_s" : tensor<96x128xf32>
  %vw = heed.weight "attn.v" : tensor<1x96xf32>
  %p = heed.linear %s, %ws : (tensor<?x128xf32>, tensor<96x128xf32>) -> tensor<?x96xf32>
  %p3 = heed.reshape %p {shape = array<i64: 0, 1, -1>} : (tensor<?x96xf32>) -> tensor<?x?x?xf32>
  %sum = heed.add %p3, %keys : (tensor<?x?x?xf32>, tensor<?x?x96xf32>) -> tensor<?x?x96xf32>
  %t = heed.tanh %sum : (tensor<?x?x96xf32>) -> tensor<?x?x96xf32>
  %e3 = heed.linear %t, %vw : (tensor<?x?x96xf32>, tensor<1x96xf32>) -> tensor<?x?x1xf32>
  %e = heed.reshape %e3 {shape = array<i64: 0, -1>} : (tensor<?x?x1xf32>) -> tensor<?x?xf32>
  %lk = heed.dim %keys, 1 : tensor<?x?x96xf32>
  %see = heed.sequence_mask %len, %lk : (tensor<?xi64>, index) -> tensor<?x?xi1>
  %ninf = heed.constant dense<0xFF800000> : tensor<f32>
  %zero = heed.constant dense<0.0> : tensor<f32>
  %fm = heed.where %see, %zero, %ninf : (tensor<?x?xi1>, tensor<f32>, tensor<f32>) -> tensor<?x?xf32>
  %em = heed.add %e, %fm : (tensor<?x?xf32>, tensor<?x?xf32>) -> tensor<?x?xf32>
  // expected-remark @+1 {{softmax fused into heed.additive_attention}}
  %alpha = heed.softmax %em {axis = -1} : (tensor<?x?xf32>) -> tensor<?x?xf32>
  %a3 = heed.reshape %alpha {shape = array<i64: 0, 1, -1>} : (tensor<?x?xf32>) -> tensor<?x1x?xf32>
  %c3 = heed.matmul %a3, %h : (tensor<?x1x?xf32>, tensor<?x?x256xf32>) -> tensor<?x1x256xf32>
  %c = heed.reshape %c3 {shape = array<i64: 0, -1>} : (tensor<?x1x256xf32>) -> tensor<?x256xf32>
  return %c, %alpha : tensor<?x256xf32>, tensor<?x?xf32>
}

// A post-norm Transformer encoder layer as torch 1.13 exports it at opset 14
// (one head for brevity): MHA with a key padding mask, decomposed LayerNorm,
// erf GELU in the feed-forward block (the first projection's activation).
// CHECK-LABEL: func.func @encoder_layer
// CHECK: heed.attention {{.*}} {mask_kind = #heed<mask boolean>, scale = 1.250000e-01 : f32}
// CHECK: heed.layer_norm
// CHECK: heed.linear {{.*}}activation = #heed<activation gelu>
// CHECK-NOT: heed.softmax
// CHECK-NOT: heed.erf
// CHECK-NOT: heed.gelu
func.func @encoder_layer(%x: tensor<?x?x64xf32>, %pad: tensor<?x?xi1>) -> tensor<?x?x64xf32> {
  %wq = heed.weight "q.weight" : tensor<64x64xf32>
  %wk = heed.weight "k.weight" : tensor<64x64xf32>
  %wv = heed.weight "v.weight" : tensor<64x64xf32>
  %w1 = heed.weight "ff1.weight" : tensor<256x64xf32>
  %w2 = heed.weight "ff2.weight" : tensor<64x256xf32>
  %g = heed.weight "norm.weight" : tensor<64xf32>
  %b = heed.weight "norm.bias" : tensor<64xf32>
  %q = heed.linear %x, %wq : (tensor<?x?x64xf32>, tensor<64x64xf32>) -> tensor<?x?x64xf32>
  %k = heed.linear %x, %wk : (tensor<?x?x64xf32>, tensor<64x64xf32>) -> tensor<?x?x64xf32>
  %v = heed.linear %x, %wv : (tensor<?x?x64xf32>, tensor<64x64xf32>) -> tensor<?x?x64xf32>
  %c8 = heed.constant dense<8.0> : tensor<f32>
  %qs = heed.div %q, %c8 : (tensor<?x?x64xf32>, tensor<f32>) -> tensor<?x?x64xf32>
  %kt = heed.transpose %k {permutation = array<i64: 0, 2, 1>} : (tensor<?x?x64xf32>) -> tensor<?x64x?xf32>
  %s = heed.matmul %qs, %kt : (tensor<?x?x64xf32>, tensor<?x64x?xf32>) -> tensor<?x?x?xf32>
  %pad3 = heed.reshape %pad {shape = array<i64: 0, 1, -1>} : (tensor<?x?xi1>) -> tensor<?x1x?xi1>
  %ninf = heed.constant dense<0xFF800000> : tensor<f32>
  %zero = heed.constant dense<0.0> : tensor<f32>
  %fm = heed.where %pad3, %ninf, %zero : (tensor<?x1x?xi1>, tensor<f32>, tensor<f32>) -> tensor<?x1x?xf32>
  %sm = heed.add %fm, %s : (tensor<?x1x?xf32>, tensor<?x?x?xf32>) -> tensor<?x?x?xf32>
  // expected-remark @+1 {{softmax fused into heed.attention}}
  %a = heed.softmax %sm : (tensor<?x?x?xf32>) -> tensor<?x?x?xf32>
  %att = heed.matmul %a, %v : (tensor<?x?x?xf32>, tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
  %r = heed.add %x, %att : (tensor<?x?x64xf32>, tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
  %mean = heed.reduce mean, %r {axes = array<i64: -1>, keep_dims = true} : (tensor<?x?x64xf32>) -> tensor<?x?x1xf32>
  %d = heed.sub %r, %mean : (tensor<?x?x64xf32>, tensor<?x?x1xf32>) -> tensor<?x?x64xf32>
  %two = heed.constant dense<2.0> : tensor<f32>
  %sq = heed.pow %d, %two : (tensor<?x?x64xf32>, tensor<f32>) -> tensor<?x?x64xf32>
  %var = heed.reduce mean, %sq {axes = array<i64: -1>, keep_dims = true} : (tensor<?x?x64xf32>) -> tensor<?x?x1xf32>
  %eps = heed.constant dense<1.0e-5> : tensor<f32>
  %ve = heed.add %var, %eps : (tensor<?x?x1xf32>, tensor<f32>) -> tensor<?x?x1xf32>
  %sd = heed.sqrt %ve : (tensor<?x?x1xf32>) -> tensor<?x?x1xf32>
  %n = heed.div %d, %sd : (tensor<?x?x64xf32>, tensor<?x?x1xf32>) -> tensor<?x?x64xf32>
  %ng = heed.mul %n, %g : (tensor<?x?x64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  %y = heed.add %ng, %b : (tensor<?x?x64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  %h1 = heed.linear %y, %w1 : (tensor<?x?x64xf32>, tensor<256x64xf32>) -> tensor<?x?x256xf32>
  %sqrt2 = heed.constant dense<1.41421354> : tensor<f32>
  %z = heed.div %h1, %sqrt2 : (tensor<?x?x256xf32>, tensor<f32>) -> tensor<?x?x256xf32>
  %e = heed.erf %z : (tensor<?x?x256xf32>) -> tensor<?x?x256xf32>
  %one = heed.constant dense<1.0> : tensor<f32>
  %p1 = heed.add %e, %one : (tensor<?x?x256xf32>, tensor<f32>) -> tensor<?x?x256xf32>
  %xp = heed.mul %h1, %p1 : (tensor<?x?x256xf32>, tensor<?x?x256xf32>) -> tensor<?x?x256xf32>
  %half = heed.constant dense<0.5> : tensor<f32>
  %gl = heed.mul %xp, %half : (tensor<?x?x256xf32>, tensor<f32>) -> tensor<?x?x256xf32>
  %h2 = heed.linear %gl, %w2 : (tensor<?x?x256xf32>, tensor<64x256xf32>) -> tensor<?x?x64xf32>
  %out = heed.add %y, %h2 : (tensor<?x?x64xf32>, tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
  return %out : tensor<?x?x64xf32>
}

// A decoder step of a post-norm Transformer as torch 1.13 exports it (heads
// in the batch, [B*H, L, D]): causal self-attention with the traced triu
// mask, cross-attention over the memory with its key padding, and the output
// softmax over the vocabulary, which the report explains.
// CHECK-LABEL: func.func @decoder
// CHECK: heed.attention {{.*}} {mask_kind = #heed<mask causal>, scale = 1.250000e-01 : f32}
// CHECK: heed.attention {{.*}} {mask_kind = #heed<mask boolean>, scale = 1.250000e-01 : f32}
// CHECK: heed.softmax
func.func @decoder(%y: tensor<8x4x64xf32>, %mem: tensor<8x6x64xf32>, %pad: tensor<8x1x6xi1>, %wo: tensor<1000x64xf32>) -> tensor<8x4x1000xf32> {
  %c8 = heed.constant dense<8.0> : tensor<f32>
  %one = heed.constant dense<1.0> : tensor<f32>
  %ninf = heed.constant dense<0xFF800000> : tensor<f32>
  %zero = heed.constant dense<0.0> : tensor<f32>
  %causal = heed.constant dense<[[0.0, 0xFF800000, 0xFF800000, 0xFF800000], [0.0, 0.0, 0xFF800000, 0xFF800000], [0.0, 0.0, 0.0, 0xFF800000], [0.0, 0.0, 0.0, 0.0]]> : tensor<4x4xf32>
  %ys = heed.div %y, %c8 : (tensor<8x4x64xf32>, tensor<f32>) -> tensor<8x4x64xf32>
  %yt = heed.transpose %y {permutation = array<i64: 0, 2, 1>} : (tensor<8x4x64xf32>) -> tensor<8x64x4xf32>
  %s1 = heed.matmul %ys, %yt : (tensor<8x4x64xf32>, tensor<8x64x4xf32>) -> tensor<8x4x4xf32>
  %s1b = heed.mul %s1, %one : (tensor<8x4x4xf32>, tensor<f32>) -> tensor<8x4x4xf32>
  %m1 = heed.add %causal, %s1b : (tensor<4x4xf32>, tensor<8x4x4xf32>) -> tensor<8x4x4xf32>
  // expected-remark @+1 {{softmax fused into heed.attention}}
  %a1 = heed.softmax %m1 : (tensor<8x4x4xf32>) -> tensor<8x4x4xf32>
  %o1 = heed.matmul %a1, %y : (tensor<8x4x4xf32>, tensor<8x4x64xf32>) -> tensor<8x4x64xf32>
  %os = heed.div %o1, %c8 : (tensor<8x4x64xf32>, tensor<f32>) -> tensor<8x4x64xf32>
  %mt = heed.transpose %mem {permutation = array<i64: 0, 2, 1>} : (tensor<8x6x64xf32>) -> tensor<8x64x6xf32>
  %s2 = heed.matmul %os, %mt : (tensor<8x4x64xf32>, tensor<8x64x6xf32>) -> tensor<8x4x6xf32>
  %pm = heed.where %pad, %ninf, %zero : (tensor<8x1x6xi1>, tensor<f32>, tensor<f32>) -> tensor<8x1x6xf32>
  %m2 = heed.add %pm, %s2 : (tensor<8x1x6xf32>, tensor<8x4x6xf32>) -> tensor<8x4x6xf32>
  // expected-remark @+1 {{softmax fused into heed.attention}}
  %a2 = heed.softmax %m2 : (tensor<8x4x6xf32>) -> tensor<8x4x6xf32>
  %o2 = heed.matmul %a2, %mem : (tensor<8x4x6xf32>, tensor<8x6x64xf32>) -> tensor<8x4x64xf32>
  %logits = heed.linear %o2, %wo : (tensor<8x4x64xf32>, tensor<1000x64xf32>) -> tensor<8x4x1000xf32>
  // expected-remark @+1 {{softmax not fused: scores are not a matrix product (the softmax input comes from heed.linear)}}
  %p = heed.softmax %logits : (tensor<8x4x1000xf32>) -> tensor<8x4x1000xf32>
  return %p : tensor<8x4x1000xf32>
}
