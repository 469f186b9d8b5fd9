// RUN: heed-opt %s --heed-pipeline="fusion-report=true" -split-input-file -verify-diagnostics | FileCheck %s
// Graphs that look like attention but are not provably equal to heed.attention:
// each stays unfused, and the report says why.

// A softmax over the query axis (pytorch#196468 fused this silently wrong).
// CHECK-LABEL: func.func @softmax_on_query_axis
// CHECK-NOT: heed.attention
// CHECK: heed.softmax %{{.*}} {axis = 2 : i64}
func.func @softmax_on_query_axis(%q: tensor<2x4x8x16xf32>, %k: tensor<2x4x8x16xf32>, %v: tensor<2x4x8x16xf32>) -> tensor<2x4x8x16xf32> {
  %s = heed.matmul %q, %k {transpose_b = true} : (tensor<2x4x8x16xf32>, tensor<2x4x8x16xf32>) -> tensor<2x4x8x8xf32>
  %c = heed.constant dense<0.25> : tensor<f32>
  %x = heed.mul %s, %c : (tensor<2x4x8x8xf32>, tensor<f32>) -> tensor<2x4x8x8xf32>
  // expected-remark @+1 {{softmax not fused: softmax axis 2 is not the key axis}}
  %a = heed.softmax %x {axis = 2} : (tensor<2x4x8x8xf32>) -> tensor<2x4x8x8xf32>
  %o = heed.matmul %a, %v : (tensor<2x4x8x8xf32>, tensor<2x4x8x16xf32>) -> tensor<2x4x8x16xf32>
  return %o : tensor<2x4x8x16xf32>
}

// -----

// The scores transposed to [.., Lk, Lq]: the last axis is now the query axis.
// CHECK-LABEL: func.func @wrong_permutation
// CHECK-NOT: heed.attention
func.func @wrong_permutation(%q: tensor<2x8x16xf32>, %k: tensor<2x6x16xf32>, %v: tensor<2x8x16xf32>) -> tensor<2x6x16xf32> {
  %s = heed.matmul %q, %k {transpose_b = true} : (tensor<2x8x16xf32>, tensor<2x6x16xf32>) -> tensor<2x8x6xf32>
  %t = heed.transpose %s {permutation = array<i64: 0, 2, 1>} : (tensor<2x8x6xf32>) -> tensor<2x6x8xf32>
  // expected-remark @+1 {{softmax not fused: softmax axis -1 is not the key axis}}
  %a = heed.softmax %t : (tensor<2x6x8xf32>) -> tensor<2x6x8xf32>
  %o = heed.matmul %a, %v : (tensor<2x6x8xf32>, tensor<2x8x16xf32>) -> tensor<2x6x16xf32>
  return %o : tensor<2x6x16xf32>
}

// -----

// Transposed scores with the softmax on the (moved) key axis are correct but
// not a layout heed.attention takes.
// CHECK-LABEL: func.func @permuted_scores
// CHECK-NOT: heed.attention
func.func @permuted_scores(%q: tensor<2x8x16xf32>, %k: tensor<2x6x16xf32>, %v: tensor<2x8x16xf32>) -> tensor<2x6x16xf32> {
  %s = heed.matmul %q, %k {transpose_b = true} : (tensor<2x8x16xf32>, tensor<2x6x16xf32>) -> tensor<2x8x6xf32>
  %t = heed.transpose %s {permutation = array<i64: 0, 2, 1>} : (tensor<2x8x6xf32>) -> tensor<2x6x8xf32>
  // expected-remark @+1 {{softmax not fused: scores are permuted before the softmax}}
  %a = heed.softmax %t {axis = 1} : (tensor<2x6x8xf32>) -> tensor<2x6x8xf32>
  %o = heed.matmul %a, %v : (tensor<2x6x8xf32>, tensor<2x8x16xf32>) -> tensor<2x6x16xf32>
  return %o : tensor<2x6x16xf32>
}

// -----

// A learned (run-time) temperature is no constant scale.
// CHECK-LABEL: func.func @scale_not_constant
// CHECK-NOT: heed.attention
func.func @scale_not_constant(%q: tensor<2x8x16xf32>, %k: tensor<2x8x16xf32>, %v: tensor<2x8x16xf32>) -> tensor<2x8x16xf32> {
  %t = heed.weight "attn.temperature" : tensor<f32>
  %s = heed.matmul %q, %k {transpose_b = true} : (tensor<2x8x16xf32>, tensor<2x8x16xf32>) -> tensor<2x8x8xf32>
  %x = heed.mul %s, %t : (tensor<2x8x8xf32>, tensor<f32>) -> tensor<2x8x8xf32>
  // expected-remark @+1 {{softmax not fused: scale is not a constant}}
  %a = heed.softmax %x : (tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %o = heed.matmul %a, %v : (tensor<2x8x8xf32>, tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
  return %o : tensor<2x8x16xf32>
}

// -----

// A negative scale flips the attention; heed.attention takes positive ones.
// CHECK-LABEL: func.func @scale_negative
// CHECK-NOT: heed.attention
func.func @scale_negative(%q: tensor<2x8x16xf32>, %k: tensor<2x8x16xf32>, %v: tensor<2x8x16xf32>) -> tensor<2x8x16xf32> {
  %c = heed.constant dense<-0.25> : tensor<f32>
  %s = heed.matmul %q, %k {transpose_b = true} : (tensor<2x8x16xf32>, tensor<2x8x16xf32>) -> tensor<2x8x8xf32>
  %x = heed.mul %s, %c : (tensor<2x8x8xf32>, tensor<f32>) -> tensor<2x8x8xf32>
  // expected-remark @+1 {{softmax not fused: scale -0.25 is not a finite positive constant}}
  %a = heed.softmax %x : (tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %o = heed.matmul %a, %v : (tensor<2x8x8xf32>, tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
  return %o : tensor<2x8x16xf32>
}

// -----

// The mask [2, 4, 1, 8] would broadcast the scores [2, 1, 8, 8] up to four
// heads: the softmax then runs over a bigger tensor than QK^T.
// CHECK-LABEL: func.func @mask_not_broadcastable
// CHECK-NOT: heed.attention
func.func @mask_not_broadcastable(%q: tensor<2x1x8x16xf32>, %k: tensor<2x1x8x16xf32>, %v: tensor<2x1x8x16xf32>, %m: tensor<2x4x1x8xf32>) -> tensor<2x4x8x16xf32> {
  %s = heed.matmul %q, %k {transpose_b = true} : (tensor<2x1x8x16xf32>, tensor<2x1x8x16xf32>) -> tensor<2x1x8x8xf32>
  %y = heed.add %s, %m : (tensor<2x1x8x8xf32>, tensor<2x4x1x8xf32>) -> tensor<2x4x8x8xf32>
  // expected-remark @+1 {{softmax not fused: mask does not broadcast to the scores}}
  %a = heed.softmax %y : (tensor<2x4x8x8xf32>) -> tensor<2x4x8x8xf32>
  %o = heed.matmul %a, %v : (tensor<2x4x8x8xf32>, tensor<2x1x8x16xf32>) -> tensor<2x4x8x16xf32>
  return %o : tensor<2x4x8x16xf32>
}

// -----

// The scaled scores are used elsewhere: fusing would have to keep them anyway.
// CHECK-LABEL: func.func @scores_have_other_users
// CHECK-NOT: heed.attention
func.func @scores_have_other_users(%q: tensor<2x8x16xf32>, %k: tensor<2x8x16xf32>, %v: tensor<2x8x16xf32>) -> (tensor<2x8x16xf32>, tensor<2x8x8xf32>) {
  %s = heed.matmul %q, %k {transpose_b = true} : (tensor<2x8x16xf32>, tensor<2x8x16xf32>) -> tensor<2x8x8xf32>
  %c = heed.constant dense<0.25> : tensor<f32>
  %x = heed.mul %s, %c : (tensor<2x8x8xf32>, tensor<f32>) -> tensor<2x8x8xf32>
  // expected-remark @+1 {{softmax not fused: the result of heed.mul between the scores and the softmax has other users}}
  %a = heed.softmax %x : (tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %o = heed.matmul %a, %v : (tensor<2x8x8xf32>, tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
  return %o, %x : tensor<2x8x16xf32>, tensor<2x8x8xf32>
}

// -----

// alpha^T V contracts over the query axis.
// CHECK-LABEL: func.func @value_contraction_wrong_axis
// CHECK-NOT: heed.attention
func.func @value_contraction_wrong_axis(%q: tensor<2x8x16xf32>, %k: tensor<2x8x16xf32>, %v: tensor<2x8x16xf32>) -> tensor<2x8x16xf32> {
  %s = heed.matmul %q, %k {transpose_b = true} : (tensor<2x8x16xf32>, tensor<2x8x16xf32>) -> tensor<2x8x8xf32>
  // expected-remark @+1 {{softmax not fused: value contraction is not over the key axis}}
  %a = heed.softmax %s : (tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %o = heed.matmul %a, %v {transpose_a = true} : (tensor<2x8x8xf32>, tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
  return %o : tensor<2x8x16xf32>
}

// -----

// masked_fill with -1e4 keeps the hidden keys at score -1e4 (mask_fill); two
// such fills, possibly of different values, do not fit that one attribute.
// CHECK-LABEL: func.func @masked_fill_twice
// CHECK-NOT: heed.attention
func.func @masked_fill_twice(%q: tensor<2x8x16xf32>, %k: tensor<2x8x16xf32>, %v: tensor<2x8x16xf32>, %pad: tensor<2x1x8xi1>) -> tensor<2x8x16xf32> {
  %s = heed.matmul %q, %k {transpose_b = true} : (tensor<2x8x16xf32>, tensor<2x8x16xf32>) -> tensor<2x8x8xf32>
  %fill = heed.constant dense<-1.0e4> : tensor<f32>
  %x = heed.where %pad, %fill, %s : (tensor<2x1x8xi1>, tensor<f32>, tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %fill2 = heed.constant dense<-1.0e5> : tensor<f32>
  %y = heed.where %pad, %fill2, %x : (tensor<2x1x8xi1>, tensor<f32>, tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  // expected-remark @+1 {{softmax not fused: a second finite masked_fill value -100000 (one is kept as the hidden keys' score)}}
  %a = heed.softmax %y : (tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %o = heed.matmul %a, %v : (tensor<2x8x8xf32>, tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
  return %o : tensor<2x8x16xf32>
}

// -----

// (QK^T + M) * c scales the mask too; heed.attention adds it after the scale.
// CHECK-LABEL: func.func @additive_mask_before_scale
// CHECK-NOT: heed.attention
func.func @additive_mask_before_scale(%q: tensor<2x8x16xf32>, %k: tensor<2x8x16xf32>, %v: tensor<2x8x16xf32>, %m: tensor<2x8x8xf32>) -> tensor<2x8x16xf32> {
  %s = heed.matmul %q, %k {transpose_b = true} : (tensor<2x8x16xf32>, tensor<2x8x16xf32>) -> tensor<2x8x8xf32>
  %y = heed.add %s, %m : (tensor<2x8x8xf32>, tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %c = heed.constant dense<0.25> : tensor<f32>
  %x = heed.mul %y, %c : (tensor<2x8x8xf32>, tensor<f32>) -> tensor<2x8x8xf32>
  // expected-remark @+1 {{softmax not fused: an additive mask is added before the scale}}
  %a = heed.softmax %x : (tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %o = heed.matmul %a, %v : (tensor<2x8x8xf32>, tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
  return %o : tensor<2x8x16xf32>
}

// -----

// The weights are read before V exists; the fused op could not produce them
// in time.
// CHECK-LABEL: func.func @weights_used_before_values
// CHECK-NOT: heed.attention
func.func @weights_used_before_values(%q: tensor<2x8x16xf32>, %k: tensor<2x8x16xf32>, %x: tensor<2x8x16xf32>) -> tensor<2x8x16xf32> {
  %s = heed.matmul %q, %k {transpose_b = true} : (tensor<2x8x16xf32>, tensor<2x8x16xf32>) -> tensor<2x8x8xf32>
  // expected-remark @+1 {{softmax not fused: the attention weights are used before the values are ready}}
  %a = heed.softmax %s : (tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %v = heed.matmul %a, %x : (tensor<2x8x8xf32>, tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
  %o = heed.matmul %a, %v : (tensor<2x8x8xf32>, tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
  return %o : tensor<2x8x16xf32>
}

// -----

// One head of weights applied to four heads of values: the decomposed graph
// broadcasts the weights, heed.attention has one row of weights per output.
// CHECK-LABEL: func.func @values_broadcast_weights
// CHECK-NOT: heed.attention
func.func @values_broadcast_weights(%q: tensor<2x1x8x16xf32>, %k: tensor<2x1x8x16xf32>, %v: tensor<2x4x8x16xf32>) -> tensor<2x4x8x16xf32> {
  %s = heed.matmul %q, %k {transpose_b = true} : (tensor<2x1x8x16xf32>, tensor<2x1x8x16xf32>) -> tensor<2x1x8x8xf32>
  // expected-remark @+1 {{softmax not fused: the values broadcast the attention weights}}
  %a = heed.softmax %s : (tensor<2x1x8x8xf32>) -> tensor<2x1x8x8xf32>
  %o = heed.matmul %a, %v : (tensor<2x1x8x8xf32>, tensor<2x4x8x16xf32>) -> tensor<2x4x8x16xf32>
  return %o : tensor<2x4x8x16xf32>
}

// -----

// finfo.min filled in, then scaled by 1e-38: the fill becomes -3.4 and masks
// nothing any more.
// CHECK-LABEL: func.func @fill_scaled_to_nothing
// CHECK-NOT: heed.attention
func.func @fill_scaled_to_nothing(%q: tensor<2x8x16xf32>, %k: tensor<2x8x16xf32>, %v: tensor<2x8x16xf32>, %see: tensor<2x1x8xi1>) -> tensor<2x8x16xf32> {
  %s = heed.matmul %q, %k {transpose_b = true} : (tensor<2x8x16xf32>, tensor<2x8x16xf32>) -> tensor<2x8x8xf32>
  %min = heed.constant dense<-3.40282347E+38> : tensor<f32>
  %y = heed.where %see, %s, %min : (tensor<2x1x8xi1>, tensor<2x8x8xf32>, tensor<f32>) -> tensor<2x8x8xf32>
  %c = heed.constant dense<1.0e-38> : tensor<f32>
  %x = heed.mul %y, %c : (tensor<2x8x8xf32>, tensor<f32>) -> tensor<2x8x8xf32>
  // expected-remark @+1 {{softmax not fused: a mask is scaled by 1e-38 after it is applied}}
  %a = heed.softmax %x : (tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %o = heed.matmul %a, %v : (tensor<2x8x8xf32>, tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
  return %o : tensor<2x8x16xf32>
}

// -----

// A classifier softmax: no attention at all.
// CHECK-LABEL: func.func @classifier
func.func @classifier(%x: tensor<2x16xf32>, %w: tensor<10x16xf32>) -> tensor<2x10xf32> {
  %logits = heed.linear %x, %w : (tensor<2x16xf32>, tensor<10x16xf32>) -> tensor<2x10xf32>
  // expected-remark @+1 {{softmax not fused: scores are not a matrix product (the softmax input comes from heed.linear)}}
  %p = heed.softmax %logits : (tensor<2x10xf32>) -> tensor<2x10xf32>
  return %p : tensor<2x10xf32>
}

// -----

// A single-query bmm whose [B, Lk, 1] scores are reshaped to [Lk, B]: the
// rows are no longer the batch, so it is not one query per row.
// CHECK-LABEL: func.func @single_query_rows_mixed
// CHECK-NOT: heed.attention
func.func @single_query_rows_mixed(%q: tensor<2x16x1xf32>, %k: tensor<2x6x16xf32>, %v: tensor<6x2x16xf32>) -> tensor<6x1x16xf32> {
  %s = heed.matmul %k, %q : (tensor<2x6x16xf32>, tensor<2x16x1xf32>) -> tensor<2x6x1xf32>
  %r = heed.reshape %s {shape = array<i64: 6, 2>} : (tensor<2x6x1xf32>) -> tensor<6x2xf32>
  // expected-remark @+1 {{softmax not fused: scores are reshaped before the softmax}}
  %a = heed.softmax %r : (tensor<6x2xf32>) -> tensor<6x2xf32>
  %w = heed.reshape %a {shape = array<i64: 0, 1, -1>} : (tensor<6x2xf32>) -> tensor<6x1x2xf32>
  %o = heed.matmul %w, %v : (tensor<6x1x2xf32>, tensor<6x2x16xf32>) -> tensor<6x1x16xf32>
  return %o : tensor<6x1x16xf32>
}
