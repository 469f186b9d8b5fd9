// RUN: heed-opt %s --heed-pipeline="masked-rows=nan fusion-report=true" -split-input-file -verify-diagnostics | FileCheck %s --check-prefix=NAN
// RUN: heed-opt %s --heed-pipeline -split-input-file | FileCheck %s --check-prefix=ZERO
// Fully masked rows and the masked-rows policy. A decomposed graph gives NaN
// there for a -inf fill but uniform weights (the mean of V) for a finite
// fill (finfo.min): masked-rows=nan keeps the decomposed result, so it fuses
// -inf fills only; the default zero policy fuses both (zeros, deliberately).
// A finfo.min tensor kept as an additive mask is exact under either policy:
// the kernel adds it, and its rows are not masked rows.

// Positive: masked_fill with -inf keeps NaN rows as masked_rows nan.
// NAN-LABEL: func.func @fill_neg_inf
// NAN: heed.attention {{.*}}mask_kind = #heed<mask boolean>{{.*}}masked_rows = #heed<masked_rows nan>
// ZERO-LABEL: func.func @fill_neg_inf
// ZERO: heed.attention
func.func @fill_neg_inf(%q: tensor<2x8x16xf32>, %k: tensor<2x8x16xf32>, %v: tensor<2x8x16xf32>, %see: tensor<2x1x8xi1>) -> tensor<2x8x16xf32> {
  %s = heed.matmul %q, %k {transpose_b = true} : (tensor<2x8x16xf32>, tensor<2x8x16xf32>) -> tensor<2x8x8xf32>
  %fill = heed.constant dense<0xFF800000> : tensor<f32>
  %y = heed.where %see, %s, %fill : (tensor<2x1x8xi1>, tensor<2x8x8xf32>, tensor<f32>) -> tensor<2x8x8xf32>
  // expected-remark @+1 {{softmax fused into heed.attention}}
  %a = heed.softmax %y : (tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %o = heed.matmul %a, %v : (tensor<2x8x8xf32>, tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
  return %o : tensor<2x8x16xf32>
}

// -----

// Negative under nan: masked_fill with finfo.min; fused with zero.
// NAN-LABEL: func.func @fill_finfo_min
// NAN-NOT: heed.attention
// NAN: heed.softmax
// ZERO-LABEL: func.func @fill_finfo_min
// ZERO: heed.attention {{.*}}mask_kind = #heed<mask boolean>
func.func @fill_finfo_min(%q: tensor<2x8x16xf32>, %k: tensor<2x8x16xf32>, %v: tensor<2x8x16xf32>, %see: tensor<2x1x8xi1>) -> tensor<2x8x16xf32> {
  %s = heed.matmul %q, %k {transpose_b = true} : (tensor<2x8x16xf32>, tensor<2x8x16xf32>) -> tensor<2x8x8xf32>
  %fill = heed.constant dense<0xFF7FFFFF> : tensor<f32>
  %y = heed.where %see, %s, %fill : (tensor<2x1x8xi1>, tensor<2x8x8xf32>, tensor<f32>) -> tensor<2x8x8xf32>
  // expected-remark @+1 {{softmax not fused: masked_fill value -3.40282e+38 is finite: with masked-rows=nan the decomposed graph's fully masked rows (uniform weights) cannot be kept}}
  %a = heed.softmax %y : (tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %o = heed.matmul %a, %v : (tensor<2x8x8xf32>, tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
  return %o : tensor<2x8x16xf32>
}

// -----

// Negative under nan: the additive spelling scores + Where(C, finfo.min, 0)
// would become the same boolean mask.
// NAN-LABEL: func.func @where_finfo_min_added
// NAN-NOT: heed.attention
// NAN: heed.softmax
// ZERO-LABEL: func.func @where_finfo_min_added
// ZERO: heed.attention {{.*}}mask_kind = #heed<mask boolean>
func.func @where_finfo_min_added(%q: tensor<2x8x16xf32>, %k: tensor<2x8x16xf32>, %v: tensor<2x8x16xf32>, %pad: tensor<2x1x8xi1>) -> tensor<2x8x16xf32> {
  %s = heed.matmul %q, %k {transpose_b = true} : (tensor<2x8x16xf32>, tensor<2x8x16xf32>) -> tensor<2x8x8xf32>
  %fill = heed.constant dense<0xFF7FFFFF> : tensor<f32>
  %zero = heed.constant dense<0.0> : tensor<f32>
  %m = heed.where %pad, %fill, %zero : (tensor<2x1x8xi1>, tensor<f32>, tensor<f32>) -> tensor<2x1x8xf32>
  %y = heed.add %s, %m : (tensor<2x8x8xf32>, tensor<2x1x8xf32>) -> tensor<2x8x8xf32>
  // expected-remark @+1 {{softmax not fused: masked_fill value -3.40282e+38 is finite}}
  %a = heed.softmax %y : (tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %o = heed.matmul %a, %v : (tensor<2x8x8xf32>, tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
  return %o : tensor<2x8x16xf32>
}

// -----

// Positive under nan: a float mask tensor (any values, finfo.min included)
// stays an additive operand, which the kernel adds as the graph does.
// NAN-LABEL: func.func @additive_tensor
// NAN: heed.attention {{.*}}mask_kind = #heed<mask additive>{{.*}}masked_rows = #heed<masked_rows nan>
// ZERO-LABEL: func.func @additive_tensor
// ZERO: heed.attention
func.func @additive_tensor(%q: tensor<2x8x16xf32>, %k: tensor<2x8x16xf32>, %v: tensor<2x8x16xf32>, %m: tensor<2x1x8xf32>) -> tensor<2x8x16xf32> {
  %s = heed.matmul %q, %k {transpose_b = true} : (tensor<2x8x16xf32>, tensor<2x8x16xf32>) -> tensor<2x8x8xf32>
  %y = heed.add %s, %m : (tensor<2x8x8xf32>, tensor<2x1x8xf32>) -> tensor<2x8x8xf32>
  // expected-remark @+1 {{softmax fused into heed.attention}}
  %a = heed.softmax %y : (tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %o = heed.matmul %a, %v : (tensor<2x8x8xf32>, tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
  return %o : tensor<2x8x16xf32>
}

// -----

// Negative under nan: additive attention with a finfo.min masked_fill.
// NAN-LABEL: func.func @additive_attention_finfo_min
// NAN-NOT: heed.additive_attention
// NAN: heed.softmax
// ZERO-LABEL: func.func @additive_attention_finfo_min
// ZERO: heed.additive_attention
func.func @additive_attention_finfo_min(%s: tensor<?x128xf32>, %keys: tensor<?x?x96xf32>, %h: tensor<?x?x256xf32>, %see: tensor<?x?xi1>) -> tensor<?x1x256xf32> {
  %ws = heed.weight "attn.w_s" : tensor<96x128xf32>
  %vw = heed.weight "attn.v" : tensor<1x96xf32>
  %p = heed.linear %s, %ws : (tensor<?x128xf32>, tensor<96x128xf32>) -> tensor<?x96xf32>
  %p3 = heed.reshape %p {shape = array<i64: 0, 1, -1>} : (tensor<?x96xf32>) -> tensor<?x1x96xf32>
  %sum = heed.add %p3, %keys : (tensor<?x1x96xf32>, tensor<?x?x96xf32>) -> tensor<?x?x96xf32>
  %t = heed.tanh %sum : (tensor<?x?x96xf32>) -> tensor<?x?x96xf32>
  %e3 = heed.linear %t, %vw : (tensor<?x?x96xf32>, tensor<1x96xf32>) -> tensor<?x?x1xf32>
  %e = heed.reshape %e3 {shape = array<i64: 0, -1>} : (tensor<?x?x1xf32>) -> tensor<?x?xf32>
  %fill = heed.constant dense<0xFF7FFFFF> : tensor<f32>
  %em = heed.where %see, %e, %fill : (tensor<?x?xi1>, tensor<?x?xf32>, tensor<f32>) -> tensor<?x?xf32>
  // expected-remark @+1 {{softmax not fused: masked_fill value -3.40282e+38 is finite: with masked-rows=nan}}
  %alpha = heed.softmax %em : (tensor<?x?xf32>) -> tensor<?x?xf32>
  %a3 = heed.reshape %alpha {shape = array<i64: 0, 1, -1>} : (tensor<?x?xf32>) -> tensor<?x1x?xf32>
  %c3 = heed.matmul %a3, %h : (tensor<?x1x?xf32>, tensor<?x?x256xf32>) -> tensor<?x1x256xf32>
  return %c3 : tensor<?x1x256xf32>
}
