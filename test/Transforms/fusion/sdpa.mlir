// RUN: heed-opt %s --heed-pipeline="fusion-report=true" -split-input-file -verify-diagnostics | FileCheck %s
// RUN: heed-opt %s --heed-pipeline="fusion-report=true" -split-input-file -verify-diagnostics | heed-opt -split-input-file | FileCheck %s
// Scaled dot-product attention in the spellings exporters and people write,
// each fused into one heed.attention with the attributes it proves.

// CHECK-LABEL: func.func @scale_on_scores
// CHECK-SAME: (%[[Q:.*]]: tensor<2x4x8x16xf32>, %[[K:.*]]: tensor<2x4x8x16xf32>, %[[V:.*]]: tensor<2x4x8x16xf32>)
// CHECK: %[[O:.*]] = heed.attention %[[Q]], %[[K]], %[[V]] {scale = 2.500000e-01 : f32}
// CHECK-NOT: heed.softmax
// CHECK: return %[[O]]
func.func @scale_on_scores(%q: tensor<2x4x8x16xf32>, %k: tensor<2x4x8x16xf32>, %v: tensor<2x4x8x16xf32>) -> tensor<2x4x8x16xf32> {
  %s = heed.matmul %q, %k {transpose_b = true} : (tensor<2x4x8x16xf32>, tensor<2x4x8x16xf32>) -> tensor<2x4x8x8xf32>
  %c = heed.constant dense<0.25> : tensor<f32>
  %x = heed.mul %s, %c : (tensor<2x4x8x8xf32>, tensor<f32>) -> tensor<2x4x8x8xf32>
  // expected-remark @+1 {{softmax fused into heed.attention}}
  %a = heed.softmax %x {axis = -1} : (tensor<2x4x8x8xf32>) -> tensor<2x4x8x8xf32>
  %o = heed.matmul %a, %v : (tensor<2x4x8x8xf32>, tensor<2x4x8x16xf32>) -> tensor<2x4x8x16xf32>
  return %o : tensor<2x4x8x16xf32>
}

// -----

// ONNX Div by sqrt(d), the softmax axis written positively.
// CHECK-LABEL: func.func @div_by_sqrt_d
// CHECK: heed.attention %{{.*}}, %{{.*}}, %{{.*}} {scale = 2.500000e-01 : f32}
func.func @div_by_sqrt_d(%q: tensor<?x8x16xf32>, %k: tensor<?x10x16xf32>, %v: tensor<?x10x32xf32>) -> tensor<?x8x32xf32> {
  %s = heed.matmul %q, %k {transpose_b = true} : (tensor<?x8x16xf32>, tensor<?x10x16xf32>) -> tensor<?x8x10xf32>
  %c = heed.constant dense<4.0> : tensor<1xf32>
  %x = heed.div %s, %c : (tensor<?x8x10xf32>, tensor<1xf32>) -> tensor<?x8x10xf32>
  // expected-remark @+1 {{softmax fused into heed.attention}}
  %a = heed.softmax %x {axis = 2} : (tensor<?x8x10xf32>) -> tensor<?x8x10xf32>
  %o = heed.matmul %a, %v : (tensor<?x8x10xf32>, tensor<?x10x32xf32>) -> tensor<?x8x32xf32>
  return %o : tensor<?x8x32xf32>
}

// -----

// torch 1.13 nn.MultiheadAttention: Q scaled before QK^T, a no-op Mul by
// 1.0, K transposed in-graph, the heads folded into the batch [B*H, L, D].
// CHECK-LABEL: func.func @torch_mha_scale_on_q
// CHECK-SAME: (%[[Q:.*]]: tensor<?x?x64xf32>, %[[K:.*]]: tensor<?x?x64xf32>, %[[V:.*]]: tensor<?x?x64xf32>)
// CHECK-NOT: heed.transpose
// CHECK: heed.attention %[[Q]], %[[K]], %[[V]] {scale = 1.250000e-01 : f32}
func.func @torch_mha_scale_on_q(%q: tensor<?x?x64xf32>, %k: tensor<?x?x64xf32>, %v: tensor<?x?x64xf32>) -> tensor<?x?x64xf32> {
  %c = heed.constant dense<8.0> : tensor<f32>
  %qs = heed.div %q, %c : (tensor<?x?x64xf32>, tensor<f32>) -> tensor<?x?x64xf32>
  %kt = heed.transpose %k {permutation = array<i64: 0, 2, 1>} : (tensor<?x?x64xf32>) -> tensor<?x64x?xf32>
  %s = heed.matmul %qs, %kt : (tensor<?x?x64xf32>, tensor<?x64x?xf32>) -> tensor<?x?x?xf32>
  %one = heed.constant dense<1.0> : tensor<f32>
  %x = heed.mul %s, %one : (tensor<?x?x?xf32>, tensor<f32>) -> tensor<?x?x?xf32>
  // expected-remark @+1 {{softmax fused into heed.attention}}
  %a = heed.softmax %x : (tensor<?x?x?xf32>) -> tensor<?x?x?xf32>
  %o = heed.matmul %a, %v : (tensor<?x?x?xf32>, tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
  return %o : tensor<?x?x64xf32>
}

// -----

// sqrt(scale) on both Q and K (the f16-safe spelling) merges into one scale.
// CHECK-LABEL: func.func @scale_on_q_and_k
// CHECK: heed.attention %{{.*}}, %{{.*}}, %{{.*}} {scale = 0.124999993 : f32}
func.func @scale_on_q_and_k(%q: tensor<2x8x64xf32>, %k: tensor<2x8x64xf32>, %v: tensor<2x8x64xf32>) -> tensor<2x8x64xf32> {
  %c = heed.constant dense<0.353553385> : tensor<f32>
  %qs = heed.mul %q, %c : (tensor<2x8x64xf32>, tensor<f32>) -> tensor<2x8x64xf32>
  %ks = heed.mul %c, %k : (tensor<f32>, tensor<2x8x64xf32>) -> tensor<2x8x64xf32>
  %s = heed.matmul %qs, %ks {transpose_b = true} : (tensor<2x8x64xf32>, tensor<2x8x64xf32>) -> tensor<2x8x8xf32>
  // expected-remark @+1 {{softmax fused into heed.attention}}
  %a = heed.softmax %s : (tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %o = heed.matmul %a, %v : (tensor<2x8x8xf32>, tensor<2x8x64xf32>) -> tensor<2x8x64xf32>
  return %o : tensor<2x8x64xf32>
}

// -----

// K supplied pre-transposed ([B, D, Lk]): the fused op gets it transposed back.
// CHECK-LABEL: func.func @key_pretransposed
// CHECK-SAME: (%[[Q:.*]]: tensor<2x8x64xf32>, %[[KT:.*]]: tensor<2x64x6xf32>, %[[V:.*]]: tensor<2x6x32xf32>)
// CHECK: %[[K:.*]] = heed.transpose %[[KT]] {permutation = array<i64: 0, 2, 1>}
// CHECK: heed.attention %[[Q]], %[[K]], %[[V]] {scale = 1.000000e+00 : f32}
func.func @key_pretransposed(%q: tensor<2x8x64xf32>, %kt: tensor<2x64x6xf32>, %v: tensor<2x6x32xf32>) -> tensor<2x8x32xf32> {
  %s = heed.matmul %q, %kt : (tensor<2x8x64xf32>, tensor<2x64x6xf32>) -> tensor<2x8x6xf32>
  // expected-remark @+1 {{softmax fused into heed.attention}}
  %a = heed.softmax %s : (tensor<2x8x6xf32>) -> tensor<2x8x6xf32>
  %o = heed.matmul %a, %v : (tensor<2x8x6xf32>, tensor<2x6x32xf32>) -> tensor<2x8x32xf32>
  return %o : tensor<2x8x32xf32>
}

// -----

// CHECK-LABEL: func.func @additive_float_mask
// CHECK-SAME: %[[M:[^ :]*]]: tensor<2x1x1x8xf32>
// CHECK: heed.attention %{{.*}}, %{{.*}}, %{{.*}}, %[[M]] {mask_kind = #heed<mask additive>, scale = 1.250000e-01 : f32}
func.func @additive_float_mask(%q: tensor<2x4x8x64xf32>, %k: tensor<2x4x8x64xf32>, %v: tensor<2x4x8x64xf32>, %m: tensor<2x1x1x8xf32>) -> tensor<2x4x8x64xf32> {
  %s = heed.matmul %q, %k {transpose_b = true} : (tensor<2x4x8x64xf32>, tensor<2x4x8x64xf32>) -> tensor<2x4x8x8xf32>
  %c = heed.constant dense<0.125> : tensor<f32>
  %x = heed.mul %s, %c : (tensor<2x4x8x8xf32>, tensor<f32>) -> tensor<2x4x8x8xf32>
  %y = heed.add %m, %x : (tensor<2x1x1x8xf32>, tensor<2x4x8x8xf32>) -> tensor<2x4x8x8xf32>
  // expected-remark @+1 {{softmax fused into heed.attention}}
  %a = heed.softmax %y : (tensor<2x4x8x8xf32>) -> tensor<2x4x8x8xf32>
  %o = heed.matmul %a, %v : (tensor<2x4x8x8xf32>, tensor<2x4x8x64xf32>) -> tensor<2x4x8x64xf32>
  return %o : tensor<2x4x8x64xf32>
}

// -----

// torch key_padding_mask (true = padding) as Where(mask, -inf, 0) + scores:
// a boolean "may see" mask, its negation.
// CHECK-LABEL: func.func @key_padding_where_neg_inf
// CHECK-SAME: %[[PAD:[^ :]*]]: tensor<?x1x?xi1>
// CHECK: %[[SEE:.*]] = heed.not %[[PAD]]
// CHECK: heed.attention %{{.*}}, %{{.*}}, %{{.*}}, %[[SEE]] {mask_kind = #heed<mask boolean>, scale = 1.250000e-01 : f32}
func.func @key_padding_where_neg_inf(%q: tensor<?x?x64xf32>, %k: tensor<?x?x64xf32>, %v: tensor<?x?x64xf32>, %pad: tensor<?x1x?xi1>) -> tensor<?x?x64xf32> {
  %ninf = heed.constant dense<0xFF800000> : tensor<f32>
  %zero = heed.constant dense<0.0> : tensor<f32>
  %fm = heed.where %pad, %ninf, %zero : (tensor<?x1x?xi1>, tensor<f32>, tensor<f32>) -> tensor<?x1x?xf32>
  %c = heed.constant dense<0.125> : tensor<f32>
  %qs = heed.mul %q, %c : (tensor<?x?x64xf32>, tensor<f32>) -> tensor<?x?x64xf32>
  %s = heed.matmul %qs, %k {transpose_b = true} : (tensor<?x?x64xf32>, tensor<?x?x64xf32>) -> tensor<?x?x?xf32>
  %y = heed.add %fm, %s : (tensor<?x1x?xf32>, tensor<?x?x?xf32>) -> tensor<?x?x?xf32>
  // expected-remark @+1 {{softmax fused into heed.attention}}
  %a = heed.softmax %y : (tensor<?x?x?xf32>) -> tensor<?x?x?xf32>
  %o = heed.matmul %a, %v : (tensor<?x?x?xf32>, tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
  return %o : tensor<?x?x64xf32>
}

// -----

// finfo(float32).min as the fill, true = may see: the mask is used as is.
// CHECK-LABEL: func.func @finfo_min_mask
// CHECK-SAME: %[[SEE:[^ :]*]]: tensor<2x1x8xi1>
// CHECK-NOT: heed.not
// CHECK: heed.attention %{{.*}}, %{{.*}}, %{{.*}}, %[[SEE]] {mask_kind = #heed<mask boolean>, scale = 1.000000e+00 : f32}
func.func @finfo_min_mask(%q: tensor<2x8x64xf32>, %k: tensor<2x8x64xf32>, %v: tensor<2x8x64xf32>, %see: tensor<2x1x8xi1>) -> tensor<2x8x64xf32> {
  %min = heed.constant dense<-3.40282347E+38> : tensor<f32>
  %zero = heed.constant dense<0.0> : tensor<f32>
  %fm = heed.where %see, %zero, %min : (tensor<2x1x8xi1>, tensor<f32>, tensor<f32>) -> tensor<2x1x8xf32>
  %s = heed.matmul %q, %k {transpose_b = true} : (tensor<2x8x64xf32>, tensor<2x8x64xf32>) -> tensor<2x8x8xf32>
  %y = heed.add %s, %fm : (tensor<2x8x8xf32>, tensor<2x1x8xf32>) -> tensor<2x8x8xf32>
  // expected-remark @+1 {{softmax fused into heed.attention}}
  %a = heed.softmax %y : (tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %o = heed.matmul %a, %v : (tensor<2x8x8xf32>, tensor<2x8x64xf32>) -> tensor<2x8x64xf32>
  return %o : tensor<2x8x64xf32>
}

// -----

// A -1e4 fill is no exact boolean mask (scores may spread more than 1e4): it
// stays an additive mask, which is exact.
// CHECK-LABEL: func.func @minus_1e4_stays_additive
// CHECK: %[[FM:.*]] = heed.where
// CHECK: heed.attention %{{.*}}, %{{.*}}, %{{.*}}, %[[FM]] {mask_kind = #heed<mask additive>, scale = 1.000000e+00 : f32}
func.func @minus_1e4_stays_additive(%q: tensor<2x8x64xf32>, %k: tensor<2x8x64xf32>, %v: tensor<2x8x64xf32>, %pad: tensor<2x1x8xi1>) -> tensor<2x8x64xf32> {
  %big = heed.constant dense<-1.0e4> : tensor<f32>
  %zero = heed.constant dense<0.0> : tensor<f32>
  %fm = heed.where %pad, %big, %zero : (tensor<2x1x8xi1>, tensor<f32>, tensor<f32>) -> tensor<2x1x8xf32>
  %s = heed.matmul %q, %k {transpose_b = true} : (tensor<2x8x64xf32>, tensor<2x8x64xf32>) -> tensor<2x8x8xf32>
  %y = heed.add %s, %fm : (tensor<2x8x8xf32>, tensor<2x1x8xf32>) -> tensor<2x8x8xf32>
  // expected-remark @+1 {{softmax fused into heed.attention}}
  %a = heed.softmax %y : (tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %o = heed.matmul %a, %v : (tensor<2x8x8xf32>, tensor<2x8x64xf32>) -> tensor<2x8x64xf32>
  return %o : tensor<2x8x64xf32>
}

// -----

// masked_fill on the scores: Where(pad, -inf, scores).
// CHECK-LABEL: func.func @masked_fill_scores
// CHECK-SAME: %[[PAD:[^ :]*]]: tensor<2x1x8xi1>
// CHECK: %[[SEE:.*]] = heed.not %[[PAD]]
// CHECK: heed.attention %{{.*}}, %{{.*}}, %{{.*}}, %[[SEE]] {mask_kind = #heed<mask boolean>, scale = 1.250000e-01 : f32}
func.func @masked_fill_scores(%q: tensor<2x8x64xf32>, %k: tensor<2x8x64xf32>, %v: tensor<2x8x64xf32>, %pad: tensor<2x1x8xi1>) -> tensor<2x8x64xf32> {
  %s = heed.matmul %q, %k {transpose_b = true} : (tensor<2x8x64xf32>, tensor<2x8x64xf32>) -> tensor<2x8x8xf32>
  %c = heed.constant dense<0.125> : tensor<f32>
  %x = heed.mul %s, %c : (tensor<2x8x8xf32>, tensor<f32>) -> tensor<2x8x8xf32>
  %ninf = heed.constant dense<0xFF800000> : tensor<f32>
  %y = heed.where %pad, %ninf, %x : (tensor<2x1x8xi1>, tensor<f32>, tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  // expected-remark @+1 {{softmax fused into heed.attention}}
  %a = heed.softmax %y : (tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %o = heed.matmul %a, %v : (tensor<2x8x8xf32>, tensor<2x8x64xf32>) -> tensor<2x8x64xf32>
  return %o : tensor<2x8x64xf32>
}

// -----

// heed.causal_mask sized by the query and key lengths: the causal bit.
// CHECK-LABEL: func.func @causal_mask_op
// CHECK-NOT: heed.causal_mask
// CHECK: heed.attention %{{.*}}, %{{.*}}, %{{.*}} {causal_align = #heed<causal_align bottom_right>, mask_kind = #heed<mask causal>, scale = 1.000000e+00 : f32}
func.func @causal_mask_op(%q: tensor<2x?x64xf32>, %k: tensor<2x?x64xf32>, %v: tensor<2x?x64xf32>) -> tensor<2x?x64xf32> {
  %lq = heed.dim %q, 1 : tensor<2x?x64xf32>
  %lk = heed.dim %k, -2 : tensor<2x?x64xf32>
  %see = heed.causal_mask %lq, %lk {align = #heed<causal_align bottom_right>} : (index, index) -> tensor<?x?xi1>
  %s = heed.matmul %q, %k {transpose_b = true} : (tensor<2x?x64xf32>, tensor<2x?x64xf32>) -> tensor<2x?x?xf32>
  %ninf = heed.constant dense<0xFF800000> : tensor<f32>
  %y = heed.where %see, %s, %ninf : (tensor<?x?xi1>, tensor<2x?x?xf32>, tensor<f32>) -> tensor<2x?x?xf32>
  // expected-remark @+1 {{softmax fused into heed.attention}}
  %a = heed.softmax %y : (tensor<2x?x?xf32>) -> tensor<2x?x?xf32>
  %o = heed.matmul %a, %v : (tensor<2x?x?xf32>, tensor<2x?x64xf32>) -> tensor<2x?x64xf32>
  return %o : tensor<2x?x64xf32>
}

// -----

// A causal mask whose sizes are not provably Lq and Lk is still exact as a
// plain boolean mask operand, never as the causal bit.
// CHECK-LABEL: func.func @causal_mask_unproven_sizes
// CHECK: %[[SEE:.*]] = heed.causal_mask
// CHECK: heed.attention %{{.*}}, %{{.*}}, %{{.*}}, %[[SEE]] {mask_kind = #heed<mask boolean>, scale = 1.000000e+00 : f32}
func.func @causal_mask_unproven_sizes(%q: tensor<2x?x64xf32>, %k: tensor<2x?x64xf32>, %v: tensor<2x?x64xf32>, %n: index) -> tensor<2x?x64xf32> {
  %see = heed.causal_mask %n, %n : (index, index) -> tensor<?x?xi1>
  %s = heed.matmul %q, %k {transpose_b = true} : (tensor<2x?x64xf32>, tensor<2x?x64xf32>) -> tensor<2x?x?xf32>
  %ninf = heed.constant dense<0xFF800000> : tensor<f32>
  %y = heed.where %see, %s, %ninf : (tensor<?x?xi1>, tensor<2x?x?xf32>, tensor<f32>) -> tensor<2x?x?xf32>
  // expected-remark @+1 {{softmax fused into heed.attention}}
  %a = heed.softmax %y : (tensor<2x?x?xf32>) -> tensor<2x?x?xf32>
  %o = heed.matmul %a, %v : (tensor<2x?x?xf32>, tensor<2x?x64xf32>) -> tensor<2x?x64xf32>
  return %o : tensor<2x?x64xf32>
}

// -----

// A causal mask built from ranges: key j is masked where j > i.
// CHECK-LABEL: func.func @causal_from_ranges
// CHECK-NOT: heed.compare
// CHECK: heed.attention %{{.*}}, %{{.*}}, %{{.*}} {mask_kind = #heed<mask causal>, scale = 1.000000e+00 : f32}
func.func @causal_from_ranges(%q: tensor<2x?x64xf32>, %k: tensor<2x?x64xf32>, %v: tensor<2x?x64xf32>) -> tensor<2x?x64xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %lq = heed.dim %q, 1 : tensor<2x?x64xf32>
  %lk = heed.dim %v, 1 : tensor<2x?x64xf32>
  %ri = heed.range %c0, %lq, %c1 : (index, index, index) -> tensor<?xi64>
  %i = heed.reshape %ri {shape = array<i64: -1, 1>} : (tensor<?xi64>) -> tensor<?x1xi64>
  %j = heed.range %c0, %lk, %c1 : (index, index, index) -> tensor<?xi64>
  %future = heed.compare gt, %j, %i : (tensor<?xi64>, tensor<?x1xi64>) -> tensor<?x?xi1>
  %ninf = heed.constant dense<0xFF800000> : tensor<f32>
  %zero = heed.constant dense<0.0> : tensor<f32>
  %fm = heed.where %future, %ninf, %zero : (tensor<?x?xi1>, tensor<f32>, tensor<f32>) -> tensor<?x?xf32>
  %s = heed.matmul %q, %k {transpose_b = true} : (tensor<2x?x64xf32>, tensor<2x?x64xf32>) -> tensor<2x?x?xf32>
  %y = heed.add %s, %fm : (tensor<2x?x?xf32>, tensor<?x?xf32>) -> tensor<2x?x?xf32>
  // expected-remark @+1 {{softmax fused into heed.attention}}
  %a = heed.softmax %y : (tensor<2x?x?xf32>) -> tensor<2x?x?xf32>
  %o = heed.matmul %a, %v : (tensor<2x?x?xf32>, tensor<2x?x64xf32>) -> tensor<2x?x64xf32>
  return %o : tensor<2x?x64xf32>
}

// -----

// nn.Transformer.generate_square_subsequent_mask, traced to a constant
// (triu of -inf above the diagonal).
// CHECK-LABEL: func.func @causal_triu_constant
// CHECK: heed.attention %{{.*}}, %{{.*}}, %{{.*}} {mask_kind = #heed<mask causal>, scale = 5.000000e-01 : f32}
func.func @causal_triu_constant(%q: tensor<2x3x4xf32>, %k: tensor<2x3x4xf32>, %v: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
  %m = heed.constant dense<[[0.0, 0xFF800000, 0xFF800000], [0.0, 0.0, 0xFF800000], [0.0, 0.0, 0.0]]> : tensor<3x3xf32>
  %s = heed.matmul %q, %k {transpose_b = true} : (tensor<2x3x4xf32>, tensor<2x3x4xf32>) -> tensor<2x3x3xf32>
  %c = heed.constant dense<2.0> : tensor<f32>
  %x = heed.div %s, %c : (tensor<2x3x3xf32>, tensor<f32>) -> tensor<2x3x3xf32>
  %y = heed.add %x, %m : (tensor<2x3x3xf32>, tensor<3x3xf32>) -> tensor<2x3x3xf32>
  // expected-remark @+1 {{softmax fused into heed.attention}}
  %a = heed.softmax %y : (tensor<2x3x3xf32>) -> tensor<2x3x3xf32>
  %o = heed.matmul %a, %v : (tensor<2x3x3xf32>, tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  return %o : tensor<2x3x4xf32>
}

// -----

// A boolean triangular constant with Lq = 2 < Lk = 4 whose diagonal sits at
// the bottom right (decoding with a KV cache).
// CHECK-LABEL: func.func @causal_bottom_right_constant
// CHECK: heed.attention %{{.*}}, %{{.*}}, %{{.*}} {causal_align = #heed<causal_align bottom_right>, mask_kind = #heed<mask causal>, scale = 1.000000e+00 : f32}
func.func @causal_bottom_right_constant(%q: tensor<2x2x4xf32>, %k: tensor<2x4x4xf32>, %v: tensor<2x4x4xf32>) -> tensor<2x2x4xf32> {
  %see = heed.constant dense<[[true, true, true, false], [true, true, true, true]]> : tensor<2x4xi1>
  %s = heed.matmul %q, %k {transpose_b = true} : (tensor<2x2x4xf32>, tensor<2x4x4xf32>) -> tensor<2x2x4xf32>
  %ninf = heed.constant dense<0xFF800000> : tensor<f32>
  %y = heed.where %see, %s, %ninf : (tensor<2x4xi1>, tensor<2x2x4xf32>, tensor<f32>) -> tensor<2x2x4xf32>
  // expected-remark @+1 {{softmax fused into heed.attention}}
  %a = heed.softmax %y : (tensor<2x2x4xf32>) -> tensor<2x2x4xf32>
  %o = heed.matmul %a, %v : (tensor<2x2x4xf32>, tensor<2x4x4xf32>) -> tensor<2x2x4xf32>
  return %o : tensor<2x2x4xf32>
}

// -----

// Padding from lengths: sequence_mask(lengths, Lk) as [B, 1, 1, Lk], together
// with a causal mask (decoder self-attention).
// CHECK-LABEL: func.func @lengths_and_causal
// CHECK-SAME: %[[LEN:[^ :]*]]: tensor<?xi64>
// CHECK: heed.attention %{{.*}}, %{{.*}}, %{{.*}}, %[[LEN]] {mask_kind = #heed<mask lengths|causal>, scale = 1.250000e-01 : f32}
func.func @lengths_and_causal(%q: tensor<?x8x?x64xf32>, %k: tensor<?x8x?x64xf32>, %v: tensor<?x8x?x64xf32>, %len: tensor<?xi64>) -> tensor<?x8x?x64xf32> {
  %lq = heed.dim %q, 2 : tensor<?x8x?x64xf32>
  %lk = heed.dim %k, 2 : tensor<?x8x?x64xf32>
  %causal = heed.causal_mask %lq, %lk : (index, index) -> tensor<?x?xi1>
  %pad2 = heed.sequence_mask %len, %lk : (tensor<?xi64>, index) -> tensor<?x?xi1>
  %pad = heed.reshape %pad2 {shape = array<i64: 0, 1, 1, -1>} : (tensor<?x?xi1>) -> tensor<?x1x1x?xi1>
  %see = heed.and %pad, %causal : (tensor<?x1x1x?xi1>, tensor<?x?xi1>) -> tensor<?x1x?x?xi1>
  %s = heed.matmul %q, %k {transpose_b = true} : (tensor<?x8x?x64xf32>, tensor<?x8x?x64xf32>) -> tensor<?x8x?x?xf32>
  %c = heed.constant dense<0.125> : tensor<f32>
  %x = heed.mul %s, %c : (tensor<?x8x?x?xf32>, tensor<f32>) -> tensor<?x8x?x?xf32>
  %ninf = heed.constant dense<0xFF800000> : tensor<f32>
  %y = heed.where %see, %x, %ninf : (tensor<?x1x?x?xi1>, tensor<?x8x?x?xf32>, tensor<f32>) -> tensor<?x8x?x?xf32>
  // expected-remark @+1 {{softmax fused into heed.attention}}
  %a = heed.softmax %y : (tensor<?x8x?x?xf32>) -> tensor<?x8x?x?xf32>
  %o = heed.matmul %a, %v : (tensor<?x8x?x?xf32>, tensor<?x8x?x64xf32>) -> tensor<?x8x?x64xf32>
  return %o : tensor<?x8x?x64xf32>
}

// -----

// The weights also leave the function (a heatmap): return_weights.
// CHECK-LABEL: func.func @weights_returned
// CHECK: %[[O:.*]], %[[W:.*]] = heed.attention %{{.*}}, %{{.*}}, %{{.*}} {return_weights, scale = 1.000000e+00 : f32}
// CHECK: return %[[O]], %[[W]]
func.func @weights_returned(%q: tensor<2x8x64xf32>, %k: tensor<2x8x64xf32>, %v: tensor<2x8x64xf32>) -> (tensor<2x8x64xf32>, tensor<2x8x8xf32>) {
  %s = heed.matmul %q, %k {transpose_b = true} : (tensor<2x8x64xf32>, tensor<2x8x64xf32>) -> tensor<2x8x8xf32>
  // expected-remark @+1 {{softmax fused into heed.attention}}
  %a = heed.softmax %s : (tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %o = heed.matmul %a, %v : (tensor<2x8x8xf32>, tensor<2x8x64xf32>) -> tensor<2x8x64xf32>
  return %o, %a : tensor<2x8x64xf32>, tensor<2x8x8xf32>
}

// -----

// Head split [B, L, H*D] -> [B, H, L, D] and merge back fold into num_heads;
// K arrives as permute(0, 2, 3, 1), the way hand-written modules spell K^T.
// CHECK-LABEL: func.func @multi_head
// CHECK-SAME: (%[[XQ:.*]]: tensor<?x?x512xf32>, %[[XK:.*]]: tensor<?x?x512xf32>, %[[XV:.*]]: tensor<?x?x512xf32>)
// CHECK-NOT: heed.transpose
// CHECK: %[[O:.*]] = heed.attention %[[XQ]], %[[XK]], %[[XV]] {num_heads = 8 : i64, scale = 1.250000e-01 : f32} : (tensor<?x?x512xf32>, tensor<?x?x512xf32>, tensor<?x?x512xf32>) -> tensor<?x?x512xf32>
// CHECK-NEXT: return %[[O]]
func.func @multi_head(%xq: tensor<?x?x512xf32>, %xk: tensor<?x?x512xf32>, %xv: tensor<?x?x512xf32>) -> tensor<?x?x512xf32> {
  %q4 = heed.reshape %xq {shape = array<i64: 0, 0, 8, 64>} : (tensor<?x?x512xf32>) -> tensor<?x?x8x64xf32>
  %q = heed.transpose %q4 {permutation = array<i64: 0, 2, 1, 3>} : (tensor<?x?x8x64xf32>) -> tensor<?x8x?x64xf32>
  %k4 = heed.reshape %xk {shape = array<i64: 0, 0, 8, 64>} : (tensor<?x?x512xf32>) -> tensor<?x?x8x64xf32>
  %kt = heed.transpose %k4 {permutation = array<i64: 0, 2, 3, 1>} : (tensor<?x?x8x64xf32>) -> tensor<?x8x64x?xf32>
  %v4 = heed.reshape %xv {shape = array<i64: 0, 0, 8, 64>} : (tensor<?x?x512xf32>) -> tensor<?x?x8x64xf32>
  %v = heed.transpose %v4 {permutation = array<i64: 0, 2, 1, 3>} : (tensor<?x?x8x64xf32>) -> tensor<?x8x?x64xf32>
  %s = heed.matmul %q, %kt : (tensor<?x8x?x64xf32>, tensor<?x8x64x?xf32>) -> tensor<?x8x?x?xf32>
  %c = heed.constant dense<8.0> : tensor<f32>
  %x = heed.div %s, %c : (tensor<?x8x?x?xf32>, tensor<f32>) -> tensor<?x8x?x?xf32>
  // expected-remark @+1 {{softmax fused into heed.attention}}
  %a = heed.softmax %x : (tensor<?x8x?x?xf32>) -> tensor<?x8x?x?xf32>
  %o4 = heed.matmul %a, %v : (tensor<?x8x?x?xf32>, tensor<?x8x?x64xf32>) -> tensor<?x8x?x64xf32>
  %ot = heed.transpose %o4 {permutation = array<i64: 0, 2, 1, 3>} : (tensor<?x8x?x64xf32>) -> tensor<?x?x8x64xf32>
  %o = heed.reshape %ot {shape = array<i64: 0, 0, -1>} : (tensor<?x?x8x64xf32>) -> tensor<?x?x512xf32>
  return %o : tensor<?x?x512xf32>
}

// -----

// Single-query Luong dot attention: the decoder state as a [B, 1, H] query,
// the encoder outputs as keys and values, alpha returned too.
// CHECK-LABEL: func.func @luong_dot_step
// CHECK-SAME: (%[[S:.*]]: tensor<?x256xf32>, %[[H:.*]]: tensor<?x?x256xf32>)
// CHECK: %[[Q:.*]] = heed.reshape %[[S]]
// CHECK: %[[C:.*]], %[[W:.*]] = heed.attention %[[Q]], %[[H]], %[[H]] {return_weights, scale = 1.000000e+00 : f32}
func.func @luong_dot_step(%s: tensor<?x256xf32>, %h: tensor<?x?x256xf32>) -> (tensor<?x1x256xf32>, tensor<?x1x?xf32>) {
  %q = heed.reshape %s {shape = array<i64: 0, 1, -1>} : (tensor<?x256xf32>) -> tensor<?x1x256xf32>
  %e = heed.matmul %q, %h {transpose_b = true} : (tensor<?x1x256xf32>, tensor<?x?x256xf32>) -> tensor<?x1x?xf32>
  // expected-remark @+1 {{softmax fused into heed.attention}}
  %alpha = heed.softmax %e {axis = 2} : (tensor<?x1x?xf32>) -> tensor<?x1x?xf32>
  %c = heed.matmul %alpha, %h : (tensor<?x1x?xf32>, tensor<?x?x256xf32>) -> tensor<?x1x256xf32>
  return %c, %alpha : tensor<?x1x256xf32>, tensor<?x1x?xf32>
}

// -----

// masked_fill before the scale (scores.masked_fill(pad, -inf) / sqrt(d)): a
// masked score stays -inf under any positive scale.
// CHECK-LABEL: func.func @masked_fill_then_scale
// CHECK: heed.attention %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {mask_kind = #heed<mask boolean>, scale = 1.250000e-01 : f32}
func.func @masked_fill_then_scale(%q: tensor<2x8x64xf32>, %k: tensor<2x8x64xf32>, %v: tensor<2x8x64xf32>, %pad: tensor<2x1x8xi1>) -> tensor<2x8x64xf32> {
  %s = heed.matmul %q, %k {transpose_b = true} : (tensor<2x8x64xf32>, tensor<2x8x64xf32>) -> tensor<2x8x8xf32>
  %ninf = heed.constant dense<0xFF800000> : tensor<f32>
  %y = heed.where %pad, %ninf, %s : (tensor<2x1x8xi1>, tensor<f32>, tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %c = heed.constant dense<8.0> : tensor<f32>
  %x = heed.div %y, %c : (tensor<2x8x8xf32>, tensor<f32>) -> tensor<2x8x8xf32>
  // expected-remark @+1 {{softmax fused into heed.attention}}
  %a = heed.softmax %x : (tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %o = heed.matmul %a, %v : (tensor<2x8x8xf32>, tensor<2x8x64xf32>) -> tensor<2x8x64xf32>
  return %o : tensor<2x8x64xf32>
}

// -----

// fairseq / HF BART: q = q_proj(x) * scaling before the head split; the
// scale travels through the reshape and transpose onto the scores.
// CHECK-LABEL: func.func @scale_before_head_split
// CHECK-SAME: (%[[XQ:.*]]: tensor<2x5x256xf32>, %[[XK:.*]]: tensor<2x7x256xf32>, %[[XV:.*]]: tensor<2x7x256xf32>)
// CHECK: heed.attention %[[XQ]], %[[XK]], %[[XV]] {num_heads = 4 : i64, scale = 1.250000e-01 : f32} : (tensor<2x5x256xf32>, tensor<2x7x256xf32>, tensor<2x7x256xf32>) -> tensor<2x5x256xf32>
func.func @scale_before_head_split(%xq: tensor<2x5x256xf32>, %xk: tensor<2x7x256xf32>, %xv: tensor<2x7x256xf32>) -> tensor<2x5x256xf32> {
  %c = heed.constant dense<0.125> : tensor<f32>
  %xqs = heed.mul %xq, %c : (tensor<2x5x256xf32>, tensor<f32>) -> tensor<2x5x256xf32>
  %q4 = heed.reshape %xqs {shape = array<i64: 2, 5, 4, 64>} : (tensor<2x5x256xf32>) -> tensor<2x5x4x64xf32>
  %q = heed.transpose %q4 {permutation = array<i64: 0, 2, 1, 3>} : (tensor<2x5x4x64xf32>) -> tensor<2x4x5x64xf32>
  %k4 = heed.reshape %xk {shape = array<i64: 2, -1, 4, 64>} : (tensor<2x7x256xf32>) -> tensor<2x7x4x64xf32>
  %k = heed.transpose %k4 {permutation = array<i64: 0, 2, 1, 3>} : (tensor<2x7x4x64xf32>) -> tensor<2x4x7x64xf32>
  %v4 = heed.reshape %xv {shape = array<i64: 0, 0, 4, -1>} : (tensor<2x7x256xf32>) -> tensor<2x7x4x64xf32>
  %v = heed.transpose %v4 {permutation = array<i64: 0, 2, 1, 3>} : (tensor<2x7x4x64xf32>) -> tensor<2x4x7x64xf32>
  %s = heed.matmul %q, %k {transpose_b = true} : (tensor<2x4x5x64xf32>, tensor<2x4x7x64xf32>) -> tensor<2x4x5x7xf32>
  // expected-remark @+1 {{softmax fused into heed.attention}}
  %a = heed.softmax %s : (tensor<2x4x5x7xf32>) -> tensor<2x4x5x7xf32>
  %o4 = heed.matmul %a, %v : (tensor<2x4x5x7xf32>, tensor<2x4x7x64xf32>) -> tensor<2x4x5x64xf32>
  %ot = heed.transpose %o4 {permutation = array<i64: 0, 2, 1, 3>} : (tensor<2x4x5x64xf32>) -> tensor<2x5x4x64xf32>
  %o = heed.reshape %ot {shape = array<i64: 2, 5, 256>} : (tensor<2x5x4x64xf32>) -> tensor<2x5x256xf32>
  return %o : tensor<2x5x256xf32>
}

// -----

// Heads split but not merged back (the output stays [B, H, L, D]): no
// num_heads fold, the 4-D attention fuses as it is.
// CHECK-LABEL: func.func @heads_split_not_merged
// CHECK: %[[Q:.*]] = heed.transpose
// CHECK: heed.attention %[[Q]], %{{.*}}, %{{.*}} {scale = 1.000000e+00 : f32} : (tensor<2x4x5x64xf32>, tensor<2x4x5x64xf32>, tensor<2x4x5x64xf32>) -> tensor<2x4x5x64xf32>
func.func @heads_split_not_merged(%x: tensor<2x5x256xf32>) -> tensor<2x4x5x64xf32> {
  %x4 = heed.reshape %x {shape = array<i64: 0, 0, 4, 64>} : (tensor<2x5x256xf32>) -> tensor<2x5x4x64xf32>
  %h = heed.transpose %x4 {permutation = array<i64: 0, 2, 1, 3>} : (tensor<2x5x4x64xf32>) -> tensor<2x4x5x64xf32>
  %s = heed.matmul %h, %h {transpose_b = true} : (tensor<2x4x5x64xf32>, tensor<2x4x5x64xf32>) -> tensor<2x4x5x5xf32>
  // expected-remark @+1 {{softmax fused into heed.attention}}
  %a = heed.softmax %s : (tensor<2x4x5x5xf32>) -> tensor<2x4x5x5xf32>
  %o = heed.matmul %a, %h : (tensor<2x4x5x5xf32>, tensor<2x4x5x64xf32>) -> tensor<2x4x5x64xf32>
  return %o : tensor<2x4x5x64xf32>
}

// -----

// An upper-triangular "may see" constant is anti-causal: it stays a plain
// boolean mask, never the causal bit.
// CHECK-LABEL: func.func @anti_causal_constant
// CHECK: %[[M:.*]] = heed.constant dense<{{\[\[}}true, true, true], [false, true, true], [false, false, true]]> : tensor<3x3xi1>
// CHECK: heed.attention %{{.*}}, %{{.*}}, %{{.*}}, %[[M]] {mask_kind = #heed<mask boolean>, scale = 1.000000e+00 : f32}
func.func @anti_causal_constant(%q: tensor<2x3x4xf32>, %k: tensor<2x3x4xf32>, %v: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
  %see = heed.constant dense<[[true, true, true], [false, true, true], [false, false, true]]> : tensor<3x3xi1>
  %s = heed.matmul %q, %k {transpose_b = true} : (tensor<2x3x4xf32>, tensor<2x3x4xf32>) -> tensor<2x3x3xf32>
  %ninf = heed.constant dense<0xFF800000> : tensor<f32>
  %y = heed.where %see, %s, %ninf : (tensor<3x3xi1>, tensor<2x3x3xf32>, tensor<f32>) -> tensor<2x3x3xf32>
  // expected-remark @+1 {{softmax fused into heed.attention}}
  %a = heed.softmax %y : (tensor<2x3x3xf32>) -> tensor<2x3x3xf32>
  %o = heed.matmul %a, %v : (tensor<2x3x3xf32>, tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  return %o : tensor<2x3x4xf32>
}

// -----

// A padding mask made for some other length n: not provably the keys'
// lengths, so it stays a boolean mask operand.
// CHECK-LABEL: func.func @sequence_mask_unproven_length
// CHECK: %[[P:.*]] = heed.sequence_mask
// CHECK: %[[M:.*]] = heed.reshape %[[P]]
// CHECK: heed.attention %{{.*}}, %{{.*}}, %{{.*}}, %[[M]] {mask_kind = #heed<mask boolean>, scale = 1.000000e+00 : f32}
func.func @sequence_mask_unproven_length(%q: tensor<?x?x64xf32>, %k: tensor<?x?x64xf32>, %v: tensor<?x?x64xf32>, %len: tensor<?xi64>, %n: index) -> tensor<?x?x64xf32> {
  %p = heed.sequence_mask %len, %n : (tensor<?xi64>, index) -> tensor<?x?xi1>
  %p3 = heed.reshape %p {shape = array<i64: 0, 1, -1>} : (tensor<?x?xi1>) -> tensor<?x1x?xi1>
  %s = heed.matmul %q, %k {transpose_b = true} : (tensor<?x?x64xf32>, tensor<?x?x64xf32>) -> tensor<?x?x?xf32>
  %ninf = heed.constant dense<0xFF800000> : tensor<f32>
  %y = heed.where %p3, %s, %ninf : (tensor<?x1x?xi1>, tensor<?x?x?xf32>, tensor<f32>) -> tensor<?x?x?xf32>
  // expected-remark @+1 {{softmax fused into heed.attention}}
  %a = heed.softmax %y : (tensor<?x?x?xf32>) -> tensor<?x?x?xf32>
  %o = heed.matmul %a, %v : (tensor<?x?x?xf32>, tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
  return %o : tensor<?x?x64xf32>
}
