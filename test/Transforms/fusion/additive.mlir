// RUN: heed-opt %s --heed-pipeline="fusion-report=true" -split-input-file -verify-diagnostics | FileCheck %s
// RUN: heed-opt %s --heed-pipeline="fusion-report=true" -split-input-file -verify-diagnostics | heed-opt -split-input-file | FileCheck %s
// Bahdanau and Luong-concat attention of one decoder step, spelled out, fused
// into heed.additive_attention with K' = W_h h + b as the keys_proj operand.

// The Bahdanau step of examples/mlir/bahdanau_step.mlir, decomposed: v^T as a
// [1, A] linear, alpha returned as well.
// CHECK-LABEL: func.func @bahdanau_step
// CHECK-SAME: (%[[S:.*]]: tensor<?x128xf32>, %[[KP:.*]]: tensor<?x?x96xf32>, %[[H:.*]]: tensor<?x?x256xf32>)
// CHECK-DAG: %[[WS:.*]] = heed.weight "attn.w_s"
// CHECK-DAG: %[[VW:.*]] = heed.weight "attn.v"
// CHECK: %[[V:.*]] = heed.reshape %[[VW]] {shape = array<i64: -1>} : (tensor<1x96xf32>) -> tensor<96xf32>
// CHECK: %[[C:.*]], %[[A:.*]] = heed.additive_attention %[[S]], %[[KP]], %[[H]], %[[WS]], %[[V]] {return_weights}
// CHECK-SAME: -> (tensor<?x256xf32>, tensor<?x?xf32>)
// CHECK: return %[[C]], %[[A]]
func.func @bahdanau_step(%s: tensor<?x128xf32>, %keys: tensor<?x?x96xf32>, %h: tensor<?x?x256xf32>) -> (tensor<?x256xf32>, tensor<?x?xf32>) {
  %ws = heed.weight "attn.w_s" : tensor<96x128xf32>
  %vw = heed.weight "attn.v" : tensor<1x96xf32>
  %p = heed.linear %s, %ws : (tensor<?x128xf32>, tensor<96x128xf32>) -> tensor<?x96xf32>
  %p3 = heed.reshape %p {shape = array<i64: 0, 1, -1>} : (tensor<?x96xf32>) -> tensor<?x1x96xf32>
  %sum = heed.add %p3, %keys : (tensor<?x1x96xf32>, tensor<?x?x96xf32>) -> tensor<?x?x96xf32>
  %t = heed.tanh %sum : (tensor<?x?x96xf32>) -> tensor<?x?x96xf32>
  %e3 = heed.linear %t, %vw : (tensor<?x?x96xf32>, tensor<1x96xf32>) -> tensor<?x?x1xf32>
  %e = heed.reshape %e3 {shape = array<i64: 0, -1>} : (tensor<?x?x1xf32>) -> tensor<?x?xf32>
  // expected-remark @+1 {{softmax fused into heed.additive_attention}}
  %alpha = heed.softmax %e {axis = 1} : (tensor<?x?xf32>) -> tensor<?x?xf32>
  %a3 = heed.reshape %alpha {shape = array<i64: 0, 1, -1>} : (tensor<?x?xf32>) -> tensor<?x1x?xf32>
  %c3 = heed.matmul %a3, %h : (tensor<?x1x?xf32>, tensor<?x?x256xf32>) -> tensor<?x1x256xf32>
  %c = heed.reshape %c3 {shape = array<i64: 0, -1>} : (tensor<?x1x256xf32>) -> tensor<?x256xf32>
  return %c, %alpha : tensor<?x256xf32>, tensor<?x?xf32>
}

// -----

// Source padding as masked_fill(sequence_mask(len, Lk) == 0, -inf): lengths.
// The key projection W_h h + b is computed in the graph.
// CHECK-LABEL: func.func @bahdanau_lengths
// CHECK-SAME: %[[LEN:[^ :]*]]: tensor<?xi64>
// CHECK: %[[KP:.*]] = heed.linear
// CHECK: %[[C:.*]] = heed.additive_attention %{{.*}}, %[[KP]], %{{.*}}, %{{.*}}, %{{.*}}, %[[LEN]] {mask_kind = #heed<mask lengths>}
// CHECK-NOT: heed.softmax
func.func @bahdanau_lengths(%s: tensor<?x128xf32>, %h: tensor<?x?x256xf32>, %len: tensor<?xi64>) -> tensor<?x256xf32> {
  %ws = heed.weight "attn.w_s" : tensor<96x128xf32>
  %wh = heed.weight "attn.w_h" : tensor<96x256xf32>
  %bh = heed.weight "attn.b_h" : tensor<96xf32>
  %vw = heed.weight "attn.v" : tensor<1x96xf32>
  %keys = heed.linear %h, %wh, %bh : (tensor<?x?x256xf32>, tensor<96x256xf32>, tensor<96xf32>) -> tensor<?x?x96xf32>
  %p = heed.linear %s, %ws : (tensor<?x128xf32>, tensor<96x128xf32>) -> tensor<?x96xf32>
  %p3 = heed.reshape %p {shape = array<i64: 0, 1, -1>} : (tensor<?x96xf32>) -> tensor<?x1x96xf32>
  %sum = heed.add %keys, %p3 : (tensor<?x?x96xf32>, tensor<?x1x96xf32>) -> tensor<?x?x96xf32>
  %t = heed.tanh %sum : (tensor<?x?x96xf32>) -> tensor<?x?x96xf32>
  %e3 = heed.linear %t, %vw : (tensor<?x?x96xf32>, tensor<1x96xf32>) -> tensor<?x?x1xf32>
  %e = heed.reshape %e3 {shape = array<i64: 0, -1>} : (tensor<?x?x1xf32>) -> tensor<?x?xf32>
  %lk = heed.dim %h, 1 : tensor<?x?x256xf32>
  %see = heed.sequence_mask %len, %lk : (tensor<?xi64>, index) -> tensor<?x?xi1>
  %ninf = heed.constant dense<0xFF800000> : tensor<f32>
  %em = heed.where %see, %e, %ninf : (tensor<?x?xi1>, tensor<?x?xf32>, tensor<f32>) -> tensor<?x?xf32>
  // expected-remark @+1 {{softmax fused into heed.additive_attention}}
  %alpha = heed.softmax %em : (tensor<?x?xf32>) -> tensor<?x?xf32>
  %a3 = heed.reshape %alpha {shape = array<i64: 0, 1, -1>} : (tensor<?x?xf32>) -> tensor<?x1x?xf32>
  %c3 = heed.matmul %a3, %h : (tensor<?x1x?xf32>, tensor<?x?x256xf32>) -> tensor<?x1x256xf32>
  %c = heed.reshape %c3 {shape = array<i64: 0, -1>} : (tensor<?x1x256xf32>) -> tensor<?x256xf32>
  return %c : tensor<?x256xf32>
}

// -----

// v^T as a sum over A of t * v, a query projection with a bias (folded into
// keys_proj) and an ONNX-Gemm [Dq, A] weight; the context kept as [B, 1, Dv].
// CHECK-LABEL: func.func @bahdanau_sum_and_bias
// CHECK-SAME: (%[[S:.*]]: tensor<2x128xf32>, %[[KP:.*]]: tensor<2x7x96xf32>, %[[H:.*]]: tensor<2x7x256xf32>)
// CHECK-DAG: %[[W:.*]] = heed.weight "attn.w_s"
// CHECK-DAG: %[[B:.*]] = heed.weight "attn.b_s"
// CHECK-DAG: %[[V:.*]] = heed.weight "attn.v"
// CHECK-DAG: %[[WT:.*]] = heed.transpose %[[W]] {permutation = array<i64: 1, 0>}
// CHECK-DAG: %[[KPB:.*]] = heed.add %[[KP]], %[[B]]
// CHECK: %[[C:.*]] = heed.additive_attention %[[S]], %[[KPB]], %[[H]], %[[WT]], %[[V]] :
// CHECK: %[[C3:.*]] = heed.reshape %[[C]] {shape = array<i64: 0, 1, -1>} : (tensor<2x256xf32>) -> tensor<2x1x256xf32>
// CHECK: return %[[C3]]
func.func @bahdanau_sum_and_bias(%s: tensor<2x128xf32>, %keys: tensor<2x7x96xf32>, %h: tensor<2x7x256xf32>) -> tensor<2x1x256xf32> {
  %ws = heed.weight "attn.w_s" : tensor<128x96xf32>
  %bs = heed.weight "attn.b_s" : tensor<96xf32>
  %v = heed.weight "attn.v" : tensor<96xf32>
  %p = heed.linear %s, %ws, %bs {transpose_weight = false} : (tensor<2x128xf32>, tensor<128x96xf32>, tensor<96xf32>) -> tensor<2x96xf32>
  %p3 = heed.reshape %p {shape = array<i64: 0, 1, -1>} : (tensor<2x96xf32>) -> tensor<2x1x96xf32>
  %sum = heed.add %p3, %keys : (tensor<2x1x96xf32>, tensor<2x7x96xf32>) -> tensor<2x7x96xf32>
  %t = heed.tanh %sum : (tensor<2x7x96xf32>) -> tensor<2x7x96xf32>
  %tv = heed.mul %t, %v : (tensor<2x7x96xf32>, tensor<96xf32>) -> tensor<2x7x96xf32>
  %e = heed.reduce sum, %tv {axes = array<i64: -1>} : (tensor<2x7x96xf32>) -> tensor<2x7xf32>
  // expected-remark @+1 {{softmax fused into heed.additive_attention}}
  %alpha = heed.softmax %e : (tensor<2x7xf32>) -> tensor<2x7xf32>
  %a3 = heed.reshape %alpha {shape = array<i64: 0, 1, -1>} : (tensor<2x7xf32>) -> tensor<2x1x7xf32>
  %c3 = heed.matmul %a3, %h : (tensor<2x1x7xf32>, tensor<2x7x256xf32>) -> tensor<2x1x256xf32>
  return %c3 : tensor<2x1x256xf32>
}

// -----

// Luong concat: v^T tanh(W [s; h] + b) with W [A, Dq + Dh] split into the
// query and key halves, the key half applied to h once.
// CHECK-LABEL: func.func @luong_concat
// CHECK-SAME: (%[[S:.*]]: tensor<?x128xf32>, %[[H:.*]]: tensor<?x?x256xf32>)
// CHECK-DAG: %[[W:.*]] = heed.weight "attn.w"
// CHECK-DAG: %[[B:.*]] = heed.weight "attn.b"
// CHECK-DAG: %[[WQ:.*]] = heed.slice %[[W]] {axis = 1 : i64, end = 128 : i64, start = 0 : i64}
// CHECK-DAG: %[[WK:.*]] = heed.slice %[[W]] {axis = 1 : i64, end = 384 : i64, start = 128 : i64}
// CHECK-DAG: %[[KP:.*]] = heed.linear %[[H]], %[[WK]], %[[B]]
// CHECK: heed.additive_attention %[[S]], %[[KP]], %[[H]], %[[WQ]], %{{.*}} {return_weights}
func.func @luong_concat(%s: tensor<?x128xf32>, %h: tensor<?x?x256xf32>) -> (tensor<?x256xf32>, tensor<?x?xf32>) {
  %w = heed.weight "attn.w" : tensor<96x384xf32>
  %b = heed.weight "attn.b" : tensor<96xf32>
  %vw = heed.weight "attn.v" : tensor<1x96xf32>
  %s3 = heed.reshape %s {shape = array<i64: 0, 1, -1>} : (tensor<?x128xf32>) -> tensor<?x1x128xf32>
  %h1 = heed.slice %h {axis = 2, start = 0, end = 1} : (tensor<?x?x256xf32>) -> tensor<?x?x1xf32>
  %sb = heed.broadcast %s3, %h1 : (tensor<?x1x128xf32>, tensor<?x?x1xf32>) -> tensor<?x?x128xf32>
  %cat = heed.concat %sb, %h {axis = 2} : (tensor<?x?x128xf32>, tensor<?x?x256xf32>) -> tensor<?x?x384xf32>
  %pre = heed.linear %cat, %w, %b : (tensor<?x?x384xf32>, tensor<96x384xf32>, tensor<96xf32>) -> tensor<?x?x96xf32>
  %t = heed.tanh %pre : (tensor<?x?x96xf32>) -> tensor<?x?x96xf32>
  %e3 = heed.linear %t, %vw : (tensor<?x?x96xf32>, tensor<1x96xf32>) -> tensor<?x?x1xf32>
  %e = heed.reshape %e3 {shape = array<i64: 0, -1>} : (tensor<?x?x1xf32>) -> tensor<?x?xf32>
  // expected-remark @+1 {{softmax fused into heed.additive_attention}}
  %alpha = heed.softmax %e : (tensor<?x?xf32>) -> tensor<?x?xf32>
  %a3 = heed.reshape %alpha {shape = array<i64: 0, 1, -1>} : (tensor<?x?xf32>) -> tensor<?x1x?xf32>
  %c3 = heed.matmul %a3, %h : (tensor<?x1x?xf32>, tensor<?x?x256xf32>) -> tensor<?x1x256xf32>
  %c = heed.reshape %c3 {shape = array<i64: 0, -1>} : (tensor<?x1x256xf32>) -> tensor<?x256xf32>
  return %c, %alpha : tensor<?x256xf32>, tensor<?x?xf32>
}

// -----

// Negative: a softmax over the batch axis.
// CHECK-LABEL: func.func @softmax_on_batch_axis
// CHECK-NOT: heed.additive_attention
func.func @softmax_on_batch_axis(%s: tensor<?x128xf32>, %keys: tensor<?x?x96xf32>, %h: tensor<?x?x256xf32>) -> tensor<?x1x256xf32> {
  %ws = heed.weight "attn.w_s" : tensor<96x128xf32>
  %vw = heed.weight "attn.v" : tensor<1x96xf32>
  %p = heed.linear %s, %ws : (tensor<?x128xf32>, tensor<96x128xf32>) -> tensor<?x96xf32>
  %p3 = heed.reshape %p {shape = array<i64: 0, 1, -1>} : (tensor<?x96xf32>) -> tensor<?x1x96xf32>
  %sum = heed.add %p3, %keys : (tensor<?x1x96xf32>, tensor<?x?x96xf32>) -> tensor<?x?x96xf32>
  %t = heed.tanh %sum : (tensor<?x?x96xf32>) -> tensor<?x?x96xf32>
  %e3 = heed.linear %t, %vw : (tensor<?x?x96xf32>, tensor<1x96xf32>) -> tensor<?x?x1xf32>
  %e = heed.reshape %e3 {shape = array<i64: 0, -1>} : (tensor<?x?x1xf32>) -> tensor<?x?xf32>
  // expected-remark @+1 {{softmax not fused: softmax axis 0 is not the key axis}}
  %alpha = heed.softmax %e {axis = 0} : (tensor<?x?xf32>) -> tensor<?x?xf32>
  %a3 = heed.reshape %alpha {shape = array<i64: 0, 1, -1>} : (tensor<?x?xf32>) -> tensor<?x1x?xf32>
  %c3 = heed.matmul %a3, %h : (tensor<?x1x?xf32>, tensor<?x?x256xf32>) -> tensor<?x1x256xf32>
  return %c3 : tensor<?x1x256xf32>
}

// -----

// Negative: the energies tanh(...) are also returned.
// CHECK-LABEL: func.func @tanh_has_other_users
// CHECK-NOT: heed.additive_attention
func.func @tanh_has_other_users(%s: tensor<?x128xf32>, %keys: tensor<?x?x96xf32>, %h: tensor<?x?x256xf32>) -> (tensor<?x1x256xf32>, tensor<?x?x96xf32>) {
  %ws = heed.weight "attn.w_s" : tensor<96x128xf32>
  %vw = heed.weight "attn.v" : tensor<1x96xf32>
  %p = heed.linear %s, %ws : (tensor<?x128xf32>, tensor<96x128xf32>) -> tensor<?x96xf32>
  %p3 = heed.reshape %p {shape = array<i64: 0, 1, -1>} : (tensor<?x96xf32>) -> tensor<?x1x96xf32>
  %sum = heed.add %p3, %keys : (tensor<?x1x96xf32>, tensor<?x?x96xf32>) -> tensor<?x?x96xf32>
  %t = heed.tanh %sum : (tensor<?x?x96xf32>) -> tensor<?x?x96xf32>
  %e3 = heed.linear %t, %vw : (tensor<?x?x96xf32>, tensor<1x96xf32>) -> tensor<?x?x1xf32>
  %e = heed.reshape %e3 {shape = array<i64: 0, -1>} : (tensor<?x?x1xf32>) -> tensor<?x?xf32>
  // expected-remark @+1 {{softmax not fused: the tanh input or output has other users}}
  %alpha = heed.softmax %e : (tensor<?x?xf32>) -> tensor<?x?xf32>
  %a3 = heed.reshape %alpha {shape = array<i64: 0, 1, -1>} : (tensor<?x?xf32>) -> tensor<?x1x?xf32>
  %c3 = heed.matmul %a3, %h : (tensor<?x1x?xf32>, tensor<?x?x256xf32>) -> tensor<?x1x256xf32>
  return %c3, %t : tensor<?x1x256xf32>, tensor<?x?x96xf32>
}

// -----

// Negative: the weights contracted with H^T-shaped values over the wrong axis.
// CHECK-LABEL: func.func @additive_value_contraction
// CHECK-NOT: heed.additive_attention
func.func @additive_value_contraction(%s: tensor<?x128xf32>, %keys: tensor<?x?x96xf32>, %h: tensor<?x256x?xf32>) -> tensor<?x1x256xf32> {
  %ws = heed.weight "attn.w_s" : tensor<96x128xf32>
  %vw = heed.weight "attn.v" : tensor<1x96xf32>
  %p = heed.linear %s, %ws : (tensor<?x128xf32>, tensor<96x128xf32>) -> tensor<?x96xf32>
  %p3 = heed.reshape %p {shape = array<i64: 0, 1, -1>} : (tensor<?x96xf32>) -> tensor<?x1x96xf32>
  %sum = heed.add %p3, %keys : (tensor<?x1x96xf32>, tensor<?x?x96xf32>) -> tensor<?x?x96xf32>
  %t = heed.tanh %sum : (tensor<?x?x96xf32>) -> tensor<?x?x96xf32>
  %e3 = heed.linear %t, %vw : (tensor<?x?x96xf32>, tensor<1x96xf32>) -> tensor<?x?x1xf32>
  %e = heed.reshape %e3 {shape = array<i64: 0, -1>} : (tensor<?x?x1xf32>) -> tensor<?x?xf32>
  // expected-remark @+1 {{softmax not fused: value contraction is not over the key axis}}
  %alpha = heed.softmax %e : (tensor<?x?xf32>) -> tensor<?x?xf32>
  %a3 = heed.reshape %alpha {shape = array<i64: 0, 1, -1>} : (tensor<?x?xf32>) -> tensor<?x1x?xf32>
  %c3 = heed.matmul %a3, %h {transpose_b = true} : (tensor<?x1x?xf32>, tensor<?x256x?xf32>) -> tensor<?x1x256xf32>
  return %c3 : tensor<?x1x256xf32>
}

// -----

// The tutorial's masked_fill(mask == 0, -1e10): the hidden keys keep score -1e10 (mask_fill),
// so a row whose keys are all hidden gets uniform weights as in the decomposed graph.
// CHECK-LABEL: func.func @additive_masked_fill_1e10
// CHECK: heed.additive_attention {{.*}}mask_fill = -1.000000e+10{{.*}}mask_kind = #heed<mask boolean>
// CHECK-NOT: heed.softmax
func.func @additive_masked_fill_1e10(%s: tensor<?x128xf32>, %keys: tensor<?x?x96xf32>, %h: tensor<?x?x256xf32>, %see: tensor<?x?xi1>) -> tensor<?x1x256xf32> {
  %ws = heed.weight "attn.w_s" : tensor<96x128xf32>
  %vw = heed.weight "attn.v" : tensor<1x96xf32>
  %p = heed.linear %s, %ws : (tensor<?x128xf32>, tensor<96x128xf32>) -> tensor<?x96xf32>
  %p3 = heed.reshape %p {shape = array<i64: 0, 1, -1>} : (tensor<?x96xf32>) -> tensor<?x1x96xf32>
  %sum = heed.add %p3, %keys : (tensor<?x1x96xf32>, tensor<?x?x96xf32>) -> tensor<?x?x96xf32>
  %t = heed.tanh %sum : (tensor<?x?x96xf32>) -> tensor<?x?x96xf32>
  %e3 = heed.linear %t, %vw : (tensor<?x?x96xf32>, tensor<1x96xf32>) -> tensor<?x?x1xf32>
  %e = heed.reshape %e3 {shape = array<i64: 0, -1>} : (tensor<?x?x1xf32>) -> tensor<?x?xf32>
  %fill = heed.constant dense<-1.0e10> : tensor<f32>
  %em = heed.where %see, %e, %fill : (tensor<?x?xi1>, tensor<?x?xf32>, tensor<f32>) -> tensor<?x?xf32>
  // expected-remark @+1 {{softmax fused into heed.additive_attention}}
  %alpha = heed.softmax %em : (tensor<?x?xf32>) -> tensor<?x?xf32>
  %a3 = heed.reshape %alpha {shape = array<i64: 0, 1, -1>} : (tensor<?x?xf32>) -> tensor<?x1x?xf32>
  %c3 = heed.matmul %a3, %h : (tensor<?x1x?xf32>, tensor<?x?x256xf32>) -> tensor<?x1x256xf32>
  return %c3 : tensor<?x1x256xf32>
}

// -----

// Negative: tanh of two key-side tensors has no query projection to take.
// CHECK-LABEL: func.func @no_query_projection
// CHECK-NOT: heed.additive_attention
func.func @no_query_projection(%a: tensor<?x?x96xf32>, %keys: tensor<?x?x96xf32>, %h: tensor<?x?x256xf32>) -> tensor<?x1x256xf32> {
  %vw = heed.weight "attn.v" : tensor<1x96xf32>
  %sum = heed.add %a, %keys : (tensor<?x?x96xf32>, tensor<?x?x96xf32>) -> tensor<?x?x96xf32>
  %t = heed.tanh %sum : (tensor<?x?x96xf32>) -> tensor<?x?x96xf32>
  %e3 = heed.linear %t, %vw : (tensor<?x?x96xf32>, tensor<1x96xf32>) -> tensor<?x?x1xf32>
  %e = heed.reshape %e3 {shape = array<i64: 0, -1>} : (tensor<?x?x1xf32>) -> tensor<?x?xf32>
  // expected-remark @+1 {{softmax not fused: the tanh argument is not a query projection plus the key projection}}
  %alpha = heed.softmax %e : (tensor<?x?xf32>) -> tensor<?x?xf32>
  %a3 = heed.reshape %alpha {shape = array<i64: 0, 1, -1>} : (tensor<?x?xf32>) -> tensor<?x1x?xf32>
  %c3 = heed.matmul %a3, %h : (tensor<?x1x?xf32>, tensor<?x?x256xf32>) -> tensor<?x1x256xf32>
  return %c3 : tensor<?x1x256xf32>
}

// -----

// A [B, 1, Dq] query (one step of a batch-first GRU), v^T as a Dense(1) with
// its scalar bias (softmax ignores a shift of every score), and the context as
// sum(alpha[:, :, None] * values, 1) keeping the step dim.
// CHECK-LABEL: func.func @bahdanau_sum_context
// CHECK-SAME: (%[[S:.*]]: tensor<?x1x32xf32>, %[[KP:.*]]: tensor<?x?x16xf32>, %[[H:.*]]: tensor<?x?x48xf32>)
// CHECK-DAG: %[[Q:.*]] = heed.reshape %[[S]] {shape = array<i64: 0, -1>} : (tensor<?x1x32xf32>) -> tensor<?x32xf32>
// CHECK-DAG: %[[B:.*]] = heed.weight "attn.b1"
// CHECK-DAG: %[[KPB:.*]] = heed.add %[[KP]], %[[B]]
// CHECK: %[[C:.*]] = heed.additive_attention %[[Q]], %[[KPB]], %[[H]], %{{.*}}, %{{.*}} :
// CHECK: heed.reshape %[[C]] {shape = array<i64: 0, 1, -1>} : (tensor<?x48xf32>) -> tensor<?x1x48xf32>
func.func @bahdanau_sum_context(%s: tensor<?x1x32xf32>, %keys: tensor<?x?x16xf32>, %h: tensor<?x?x48xf32>) -> tensor<?x1x48xf32> {
  %w1 = heed.weight "attn.w1" : tensor<16x32xf32>
  %b1 = heed.weight "attn.b1" : tensor<16xf32>
  %vw = heed.weight "attn.v" : tensor<1x16xf32>
  %vb = heed.weight "attn.v_bias" : tensor<1xf32>
  %p = heed.linear %s, %w1, %b1 : (tensor<?x1x32xf32>, tensor<16x32xf32>, tensor<16xf32>) -> tensor<?x1x16xf32>
  %sum = heed.add %p, %keys : (tensor<?x1x16xf32>, tensor<?x?x16xf32>) -> tensor<?x?x16xf32>
  %t = heed.tanh %sum : (tensor<?x?x16xf32>) -> tensor<?x?x16xf32>
  %e3 = heed.linear %t, %vw, %vb : (tensor<?x?x16xf32>, tensor<1x16xf32>, tensor<1xf32>) -> tensor<?x?x1xf32>
  %e = heed.reshape %e3 {shape = array<i64: 0, 0>} : (tensor<?x?x1xf32>) -> tensor<?x?xf32>
  // expected-remark @+1 {{softmax fused into heed.additive_attention}}
  %alpha = heed.softmax %e {axis = 1} : (tensor<?x?xf32>) -> tensor<?x?xf32>
  %a3 = heed.reshape %alpha {shape = array<i64: 0, 0, 1>} : (tensor<?x?xf32>) -> tensor<?x?x1xf32>
  %weighted = heed.mul %a3, %h : (tensor<?x?x1xf32>, tensor<?x?x48xf32>) -> tensor<?x?x48xf32>
  %c = heed.reduce sum, %weighted {axes = array<i64: 1>, keep_dims = true} : (tensor<?x?x48xf32>) -> tensor<?x1x48xf32>
  return %c : tensor<?x1x48xf32>
}

// -----

// Negative: the weighted values summed over the feature axis instead of Lk.
// CHECK-LABEL: func.func @bahdanau_sum_wrong_axis
// CHECK-NOT: heed.additive_attention
func.func @bahdanau_sum_wrong_axis(%s: tensor<?x32xf32>, %keys: tensor<?x?x16xf32>, %h: tensor<?x?x48xf32>) -> tensor<?x?xf32> {
  %w1 = heed.weight "attn.w1" : tensor<16x32xf32>
  %vw = heed.weight "attn.v" : tensor<1x16xf32>
  %p = heed.linear %s, %w1 : (tensor<?x32xf32>, tensor<16x32xf32>) -> tensor<?x16xf32>
  %p3 = heed.reshape %p {shape = array<i64: 0, 1, -1>} : (tensor<?x16xf32>) -> tensor<?x1x16xf32>
  %sum = heed.add %p3, %keys : (tensor<?x1x16xf32>, tensor<?x?x16xf32>) -> tensor<?x?x16xf32>
  %t = heed.tanh %sum : (tensor<?x?x16xf32>) -> tensor<?x?x16xf32>
  %e3 = heed.linear %t, %vw : (tensor<?x?x16xf32>, tensor<1x16xf32>) -> tensor<?x?x1xf32>
  %e = heed.reshape %e3 {shape = array<i64: 0, 0>} : (tensor<?x?x1xf32>) -> tensor<?x?xf32>
  // expected-remark @+1 {{softmax not fused: value contraction is not over the key axis}}
  %alpha = heed.softmax %e {axis = 1} : (tensor<?x?xf32>) -> tensor<?x?xf32>
  %a3 = heed.reshape %alpha {shape = array<i64: 0, 0, 1>} : (tensor<?x?xf32>) -> tensor<?x?x1xf32>
  %weighted = heed.mul %a3, %h : (tensor<?x?x1xf32>, tensor<?x?x48xf32>) -> tensor<?x?x48xf32>
  %c = heed.reduce sum, %weighted {axes = array<i64: 2>} : (tensor<?x?x48xf32>) -> tensor<?x?xf32>
  return %c : tensor<?x?xf32>
}

// -----

// Negative: Luong concat with a dynamic query width cannot split W.
// CHECK-LABEL: func.func @luong_concat_dynamic_width
// CHECK-NOT: heed.additive_attention
func.func @luong_concat_dynamic_width(%s: tensor<?x?xf32>, %h: tensor<?x?x256xf32>, %w: tensor<96x?xf32>) -> tensor<?x1x256xf32> {
  %vw = heed.weight "attn.v" : tensor<1x96xf32>
  %s3 = heed.reshape %s {shape = array<i64: 0, 1, -1>} : (tensor<?x?xf32>) -> tensor<?x1x?xf32>
  %h1 = heed.slice %h {axis = 2, start = 0, end = 1} : (tensor<?x?x256xf32>) -> tensor<?x?x1xf32>
  %sb = heed.broadcast %s3, %h1 : (tensor<?x1x?xf32>, tensor<?x?x1xf32>) -> tensor<?x?x?xf32>
  %cat = heed.concat %sb, %h {axis = 2} : (tensor<?x?x?xf32>, tensor<?x?x256xf32>) -> tensor<?x?x?xf32>
  %pre = heed.linear %cat, %w : (tensor<?x?x?xf32>, tensor<96x?xf32>) -> tensor<?x?x96xf32>
  %t = heed.tanh %pre : (tensor<?x?x96xf32>) -> tensor<?x?x96xf32>
  %e3 = heed.linear %t, %vw : (tensor<?x?x96xf32>, tensor<1x96xf32>) -> tensor<?x?x1xf32>
  %e = heed.reshape %e3 {shape = array<i64: 0, -1>} : (tensor<?x?x1xf32>) -> tensor<?x?xf32>
  // expected-remark @+1 {{softmax not fused: the tanh argument is not a query projection plus the key projection}}
  %alpha = heed.softmax %e : (tensor<?x?xf32>) -> tensor<?x?xf32>
  %a3 = heed.reshape %alpha {shape = array<i64: 0, 1, -1>} : (tensor<?x?xf32>) -> tensor<?x1x?xf32>
  %c3 = heed.matmul %a3, %h : (tensor<?x1x?xf32>, tensor<?x?x256xf32>) -> tensor<?x1x256xf32>
  return %c3 : tensor<?x1x256xf32>
}

// -----

// torch exports nn.Linear on a [B, 1, Dq] input as MatMul with W^T + Add:
// the [Dq, A] weight is transposed for w_query, the bias joins keys_proj.
// CHECK-LABEL: func.func @bahdanau_matmul_projection
// CHECK-SAME: (%[[S:.*]]: tensor<4x1x32xf32>, %[[KP:.*]]: tensor<4x9x16xf32>, %[[H:.*]]: tensor<4x9x48xf32>)
// CHECK-DAG: %[[WT:.*]] = heed.weight "attn.w1_t"
// CHECK-DAG: %[[B:.*]] = heed.weight "attn.b1"
// CHECK-DAG: %[[W:.*]] = heed.transpose %[[WT]] {permutation = array<i64: 1, 0>} : (tensor<32x16xf32>) -> tensor<16x32xf32>
// CHECK-DAG: %[[KPB:.*]] = heed.add %[[KP]], %[[B]]
// CHECK-DAG: %[[Q:.*]] = heed.reshape %[[S]] {shape = array<i64: 0, -1>}
// CHECK: heed.additive_attention %[[Q]], %[[KPB]], %[[H]], %[[W]], %{{.*}} {return_weights}
func.func @bahdanau_matmul_projection(%s: tensor<4x1x32xf32>, %keys: tensor<4x9x16xf32>, %h: tensor<4x9x48xf32>) -> (tensor<4x1x48xf32>, tensor<4x9xf32>) {
  %w1t = heed.weight "attn.w1_t" : tensor<32x16xf32>
  %b1 = heed.weight "attn.b1" : tensor<16xf32>
  %vt = heed.weight "attn.v_t" : tensor<16x1xf32>
  %pm = heed.matmul %s, %w1t : (tensor<4x1x32xf32>, tensor<32x16xf32>) -> tensor<4x1x16xf32>
  %p = heed.add %b1, %pm : (tensor<16xf32>, tensor<4x1x16xf32>) -> tensor<4x1x16xf32>
  %sum = heed.add %keys, %p : (tensor<4x9x16xf32>, tensor<4x1x16xf32>) -> tensor<4x9x16xf32>
  %t = heed.tanh %sum : (tensor<4x9x16xf32>) -> tensor<4x9x16xf32>
  %e3 = heed.matmul %t, %vt : (tensor<4x9x16xf32>, tensor<16x1xf32>) -> tensor<4x9x1xf32>
  %e = heed.reshape %e3 {shape = array<i64: 4, 9>} : (tensor<4x9x1xf32>) -> tensor<4x9xf32>
  // expected-remark @+1 {{softmax fused into heed.additive_attention}}
  %alpha = heed.softmax %e {axis = 1} : (tensor<4x9xf32>) -> tensor<4x9xf32>
  %a3 = heed.reshape %alpha {shape = array<i64: 4, 1, 9>} : (tensor<4x9xf32>) -> tensor<4x1x9xf32>
  %c = heed.matmul %a3, %h : (tensor<4x1x9xf32>, tensor<4x9x48xf32>) -> tensor<4x1x48xf32>
  return %c, %alpha : tensor<4x1x48xf32>, tensor<4x9xf32>
}

// -----

// Bahdanau over all decoder positions at once (teacher forcing): W_q q as
// [B, Lq, 1, A] plus K' as [B, 1, Lk, A], scores [B, Lq, Lk], with a padding
// mask from lengths and the weights returned.
// CHECK-LABEL: func.func @bahdanau_all_queries
// CHECK-SAME: (%[[Q:.*]]: tensor<2x5x32xf32>, %[[KP:.*]]: tensor<2x7x16xf32>, %[[H:.*]]: tensor<2x7x48xf32>, %[[LEN:.*]]: tensor<2xi64>)
// CHECK: %[[C:.*]], %[[A:.*]] = heed.additive_attention %[[Q]], %[[KP]], %[[H]], %{{.*}}, %{{.*}}, %[[LEN]] {mask_kind = #heed<mask lengths>, return_weights} : {{.*}} -> (tensor<2x5x48xf32>, tensor<2x5x7xf32>)
// CHECK: return %[[C]], %[[A]]
func.func @bahdanau_all_queries(%q: tensor<2x5x32xf32>, %keys: tensor<2x7x16xf32>, %h: tensor<2x7x48xf32>, %len: tensor<2xi64>) -> (tensor<2x5x48xf32>, tensor<2x5x7xf32>) {
  %w1 = heed.weight "attn.w1" : tensor<16x32xf32>
  %vw = heed.weight "attn.v" : tensor<1x16xf32>
  %p = heed.linear %q, %w1 : (tensor<2x5x32xf32>, tensor<16x32xf32>) -> tensor<2x5x16xf32>
  %p4 = heed.reshape %p {shape = array<i64: 0, 0, 1, -1>} : (tensor<2x5x16xf32>) -> tensor<2x5x1x16xf32>
  %k4 = heed.reshape %keys {shape = array<i64: 0, 1, 7, 16>} : (tensor<2x7x16xf32>) -> tensor<2x1x7x16xf32>
  %sum = heed.add %p4, %k4 : (tensor<2x5x1x16xf32>, tensor<2x1x7x16xf32>) -> tensor<2x5x7x16xf32>
  %t = heed.tanh %sum : (tensor<2x5x7x16xf32>) -> tensor<2x5x7x16xf32>
  %e4 = heed.linear %t, %vw : (tensor<2x5x7x16xf32>, tensor<1x16xf32>) -> tensor<2x5x7x1xf32>
  %e = heed.reshape %e4 {shape = array<i64: 0, 0, 0>} : (tensor<2x5x7x1xf32>) -> tensor<2x5x7xf32>
  %c7 = arith.constant 7 : index
  %see2 = heed.sequence_mask %len, %c7 : (tensor<2xi64>, index) -> tensor<2x7xi1>
  %see = heed.reshape %see2 {shape = array<i64: 0, 1, -1>} : (tensor<2x7xi1>) -> tensor<2x1x7xi1>
  %ninf = heed.constant dense<0xFF800000> : tensor<f32>
  %em = heed.where %see, %e, %ninf : (tensor<2x1x7xi1>, tensor<2x5x7xf32>, tensor<f32>) -> tensor<2x5x7xf32>
  // expected-remark @+1 {{softmax fused into heed.additive_attention}}
  %alpha = heed.softmax %em : (tensor<2x5x7xf32>) -> tensor<2x5x7xf32>
  %c = heed.matmul %alpha, %h : (tensor<2x5x7xf32>, tensor<2x7x48xf32>) -> tensor<2x5x48xf32>
  return %c, %alpha : tensor<2x5x48xf32>, tensor<2x5x7xf32>
}

// -----

// Negative: several queries, but the softmax runs over the queries.
// CHECK-LABEL: func.func @bahdanau_all_queries_wrong_axis
// CHECK-NOT: heed.additive_attention
func.func @bahdanau_all_queries_wrong_axis(%q: tensor<2x5x32xf32>, %keys: tensor<2x7x16xf32>, %h: tensor<2x7x48xf32>) -> tensor<2x5x48xf32> {
  %w1 = heed.weight "attn.w1" : tensor<16x32xf32>
  %vw = heed.weight "attn.v" : tensor<1x16xf32>
  %p = heed.linear %q, %w1 : (tensor<2x5x32xf32>, tensor<16x32xf32>) -> tensor<2x5x16xf32>
  %p4 = heed.reshape %p {shape = array<i64: 0, 0, 1, -1>} : (tensor<2x5x16xf32>) -> tensor<2x5x1x16xf32>
  %k4 = heed.reshape %keys {shape = array<i64: 0, 1, 7, 16>} : (tensor<2x7x16xf32>) -> tensor<2x1x7x16xf32>
  %sum = heed.add %p4, %k4 : (tensor<2x5x1x16xf32>, tensor<2x1x7x16xf32>) -> tensor<2x5x7x16xf32>
  %t = heed.tanh %sum : (tensor<2x5x7x16xf32>) -> tensor<2x5x7x16xf32>
  %e4 = heed.linear %t, %vw : (tensor<2x5x7x16xf32>, tensor<1x16xf32>) -> tensor<2x5x7x1xf32>
  %e = heed.reshape %e4 {shape = array<i64: 0, 0, 0>} : (tensor<2x5x7x1xf32>) -> tensor<2x5x7xf32>
  // expected-remark @+1 {{softmax not fused: softmax axis 1 is not the key axis}}
  %alpha = heed.softmax %e {axis = 1} : (tensor<2x5x7xf32>) -> tensor<2x5x7xf32>
  %c = heed.matmul %alpha, %h : (tensor<2x5x7xf32>, tensor<2x7x48xf32>) -> tensor<2x5x48xf32>
  return %c : tensor<2x5x48xf32>
}
