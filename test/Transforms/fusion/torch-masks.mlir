// RUN: heed-opt %s --heed-pipeline="fusion-report=true" -split-input-file -verify-diagnostics | FileCheck %s
// RUN: heed-opt %s --heed-pipeline="fusion-report=true" -split-input-file -verify-diagnostics | heed-opt -split-input-file | FileCheck %s
// The masks of torch 1.13's F.multi_head_attention_forward, which merges
// key_padding_mask (true = padding) into attn_mask before converting it to a
// float mask added to the scores (baddbmm).

// A float causal attn_mask (generate_square_subsequent_mask, traced to a
// constant) with the padding filled in: attn_mask.masked_fill(pad, -inf).
// CHECK-LABEL: func.func @float_causal_and_padding
// CHECK-SAME: %[[PAD:[^ :]*]]: tensor<8x1x4xi1>
// CHECK: %[[SEE:.*]] = heed.not %[[PAD]]
// CHECK: heed.attention %{{.*}}, %{{.*}}, %{{.*}}, %[[SEE]] {mask_kind = #heed<mask boolean|causal>, scale = 1.250000e-01 : f32}
func.func @float_causal_and_padding(%q: tensor<8x4x64xf32>, %k: tensor<8x4x64xf32>, %v: tensor<8x4x64xf32>, %pad: tensor<8x1x4xi1>) -> tensor<8x4x64xf32> {
  %causal = heed.constant dense<[[0.0, 0xFF800000, 0xFF800000, 0xFF800000], [0.0, 0.0, 0xFF800000, 0xFF800000], [0.0, 0.0, 0.0, 0xFF800000], [0.0, 0.0, 0.0, 0.0]]> : tensor<4x4xf32>
  %ninf = heed.constant dense<0xFF800000> : tensor<f32>
  %mask = heed.where %pad, %ninf, %causal : (tensor<8x1x4xi1>, tensor<f32>, tensor<4x4xf32>) -> tensor<8x4x4xf32>
  %c = heed.constant dense<8.0> : tensor<f32>
  %qs = heed.div %q, %c : (tensor<8x4x64xf32>, tensor<f32>) -> tensor<8x4x64xf32>
  %kt = heed.transpose %k {permutation = array<i64: 0, 2, 1>} : (tensor<8x4x64xf32>) -> tensor<8x64x4xf32>
  %s = heed.matmul %qs, %kt : (tensor<8x4x64xf32>, tensor<8x64x4xf32>) -> tensor<8x4x4xf32>
  %y = heed.add %mask, %s : (tensor<8x4x4xf32>, tensor<8x4x4xf32>) -> tensor<8x4x4xf32>
  // expected-remark @+1 {{softmax fused into heed.attention}}
  %a = heed.softmax %y : (tensor<8x4x4xf32>) -> tensor<8x4x4xf32>
  %o = heed.matmul %a, %v : (tensor<8x4x4xf32>, tensor<8x4x64xf32>) -> tensor<8x4x64xf32>
  return %o : tensor<8x4x64xf32>
}

// -----

// A bool attn_mask (true = masked, strictly above the diagonal) or-ed with the
// padding, then converted with masked_fill(-inf) on zeros.
// CHECK-LABEL: func.func @bool_causal_or_padding
// CHECK-SAME: %[[PAD:[^ :]*]]: tensor<8x1x4xi1>
// CHECK: %[[SEE:.*]] = heed.not %[[PAD]]
// CHECK: heed.attention %{{.*}}, %{{.*}}, %{{.*}}, %[[SEE]] {mask_kind = #heed<mask boolean|causal>, scale = 1.000000e+00 : f32}
func.func @bool_causal_or_padding(%q: tensor<8x4x64xf32>, %k: tensor<8x4x64xf32>, %v: tensor<8x4x64xf32>, %pad: tensor<8x1x4xi1>) -> tensor<8x4x64xf32> {
  %future = heed.constant dense<[[false, true, true, true], [false, false, true, true], [false, false, false, true], [false, false, false, false]]> : tensor<4x4xi1>
  %masked = heed.or %future, %pad : (tensor<4x4xi1>, tensor<8x1x4xi1>) -> tensor<8x4x4xi1>
  %ninf = heed.constant dense<0xFF800000> : tensor<f32>
  %zero = heed.constant dense<0.0> : tensor<f32>
  %mask = heed.where %masked, %ninf, %zero : (tensor<8x4x4xi1>, tensor<f32>, tensor<f32>) -> tensor<8x4x4xf32>
  %s = heed.matmul %q, %k {transpose_b = true} : (tensor<8x4x64xf32>, tensor<8x4x64xf32>) -> tensor<8x4x4xf32>
  %y = heed.add %mask, %s : (tensor<8x4x4xf32>, tensor<8x4x4xf32>) -> tensor<8x4x4xf32>
  // expected-remark @+1 {{softmax fused into heed.attention}}
  %a = heed.softmax %y : (tensor<8x4x4xf32>) -> tensor<8x4x4xf32>
  %o = heed.matmul %a, %v : (tensor<8x4x4xf32>, tensor<8x4x64xf32>) -> tensor<8x4x64xf32>
  return %o : tensor<8x4x64xf32>
}

// -----

// A learned float attn_mask with the padding filled in: no boolean + additive
// pair fits one operand, so the filled mask as a whole is the additive mask.
// CHECK-LABEL: func.func @float_mask_and_padding
// CHECK: %[[M:.*]] = heed.where
// CHECK: heed.attention %{{.*}}, %{{.*}}, %{{.*}}, %[[M]] {mask_kind = #heed<mask additive>, scale = 1.000000e+00 : f32}
func.func @float_mask_and_padding(%q: tensor<8x4x64xf32>, %k: tensor<8x4x64xf32>, %v: tensor<8x4x64xf32>, %pad: tensor<8x1x4xi1>, %bias: tensor<4x4xf32>) -> tensor<8x4x64xf32> {
  %ninf = heed.constant dense<0xFF800000> : tensor<f32>
  %mask = heed.where %pad, %ninf, %bias : (tensor<8x1x4xi1>, tensor<f32>, tensor<4x4xf32>) -> tensor<8x4x4xf32>
  %s = heed.matmul %q, %k {transpose_b = true} : (tensor<8x4x64xf32>, tensor<8x4x64xf32>) -> tensor<8x4x4xf32>
  %y = heed.add %s, %mask : (tensor<8x4x4xf32>, tensor<8x4x4xf32>) -> tensor<8x4x4xf32>
  // expected-remark @+1 {{softmax fused into heed.attention}}
  %a = heed.softmax %y : (tensor<8x4x4xf32>) -> tensor<8x4x4xf32>
  %o = heed.matmul %a, %v : (tensor<8x4x4xf32>, tensor<8x4x64xf32>) -> tensor<8x4x64xf32>
  return %o : tensor<8x4x64xf32>
}

// -----

// The padding expanded over the heads as torch does it, view [B,1,1,L] ->
// expand [B,H,1,L] -> reshape [B*H,1,L]: an exact boolean mask, not lengths.
// CHECK-LABEL: func.func @expanded_padding
// CHECK: %[[P:.*]] = heed.reshape %{{.*}} {shape = array<i64: 8, 1, 4>}
// CHECK: %[[SEE:.*]] = heed.not %[[P]]
// CHECK: heed.attention %{{.*}}, %{{.*}}, %{{.*}}, %[[SEE]] {mask_kind = #heed<mask boolean>, scale = 1.000000e+00 : f32}
func.func @expanded_padding(%q: tensor<8x4x64xf32>, %k: tensor<8x4x64xf32>, %v: tensor<8x4x64xf32>, %pad: tensor<2x4xi1>, %like: tensor<2x4x1x4xi1>) -> tensor<8x4x64xf32> {
  %p4 = heed.reshape %pad {shape = array<i64: 2, 1, 1, 4>} : (tensor<2x4xi1>) -> tensor<2x1x1x4xi1>
  %pe = heed.broadcast %p4, %like : (tensor<2x1x1x4xi1>, tensor<2x4x1x4xi1>) -> tensor<2x4x1x4xi1>
  %p3 = heed.reshape %pe {shape = array<i64: 8, 1, 4>} : (tensor<2x4x1x4xi1>) -> tensor<8x1x4xi1>
  %ninf = heed.constant dense<0xFF800000> : tensor<f32>
  %zero = heed.constant dense<0.0> : tensor<f32>
  %mask = heed.where %p3, %ninf, %zero : (tensor<8x1x4xi1>, tensor<f32>, tensor<f32>) -> tensor<8x1x4xf32>
  %s = heed.matmul %q, %k {transpose_b = true} : (tensor<8x4x64xf32>, tensor<8x4x64xf32>) -> tensor<8x4x4xf32>
  %y = heed.add %mask, %s : (tensor<8x1x4xf32>, tensor<8x4x4xf32>) -> tensor<8x4x4xf32>
  // expected-remark @+1 {{softmax fused into heed.attention}}
  %a = heed.softmax %y : (tensor<8x4x4xf32>) -> tensor<8x4x4xf32>
  %o = heed.matmul %a, %v : (tensor<8x4x4xf32>, tensor<8x4x64xf32>) -> tensor<8x4x64xf32>
  return %o : tensor<8x4x64xf32>
}
