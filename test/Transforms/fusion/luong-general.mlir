// RUN: heed-opt %s --heed-pipeline="fusion-report=true" -split-input-file -verify-diagnostics | FileCheck %s
// RUN: heed-opt %s --heed-pipeline="fusion-report=true" -split-input-file -verify-diagnostics | heed-opt -split-input-file | FileCheck %s
// Luong scoring beyond the plain bmm spelling: "general" s^T W_a h in a
// decoder loop (W_a moves from the per-step query onto the encoder outputs,
// computed once before the loop), and "dot" written as sum(s * h, -1).

// CHECK-LABEL: func.func @luong_general_decoder
// CHECK-SAME: (%[[H:.*]]: tensor<2x7x64xf32>, %[[S0:.*]]: tensor<2x1x64xf32>, %[[N:.*]]: index)
// CHECK: %[[WA:.*]] = heed.weight "attn.w_a"
// CHECK: %[[KP:.*]] = heed.linear %[[H]], %[[WA]] {transpose_weight = false}
// CHECK: heed.scan
// CHECK: ^bb0(%[[S:.*]]: tensor<2x1x64xf32>):
// CHECK-NOT: heed.linear
// CHECK: heed.attention %[[S]], %[[KP]], %[[H]] {scale = 1.000000e+00 : f32}
func.func @luong_general_decoder(%h: tensor<2x7x64xf32>, %s0: tensor<2x1x64xf32>, %n: index) -> tensor<2x1x64xf32> {
  %wa = heed.weight "attn.w_a" : tensor<64x64xf32>
  %r = heed.scan init(%s0 : tensor<2x1x64xf32>) over() steps %n -> (tensor<2x1x64xf32>) {
  ^bb0(%s: tensor<2x1x64xf32>):
    %q = heed.linear %s, %wa : (tensor<2x1x64xf32>, tensor<64x64xf32>) -> tensor<2x1x64xf32>
    %e = heed.matmul %q, %h {transpose_b = true} : (tensor<2x1x64xf32>, tensor<2x7x64xf32>) -> tensor<2x1x7xf32>
    // expected-remark @+1 {{softmax fused into heed.attention}}
    %a = heed.softmax %e : (tensor<2x1x7xf32>) -> tensor<2x1x7xf32>
    %c = heed.matmul %a, %h : (tensor<2x1x7xf32>, tensor<2x7x64xf32>) -> tensor<2x1x64xf32>
    %next = heed.tanh %c : (tensor<2x1x64xf32>) -> tensor<2x1x64xf32>
    heed.yield %next : tensor<2x1x64xf32>
  }
  return %r : tensor<2x1x64xf32>
}

// -----

// Outside a loop the projection stays on the query: moving it onto Lk keys
// would cost Lk times more per call.
// CHECK-LABEL: func.func @luong_general_step
// CHECK-SAME: (%[[H:.*]]: tensor<2x7x64xf32>, %[[S:.*]]: tensor<2x1x64xf32>)
// CHECK: %[[Q:.*]] = heed.linear %[[S]]
// CHECK: heed.attention %[[Q]], %[[H]], %[[H]] {scale = 1.000000e+00 : f32}
func.func @luong_general_step(%h: tensor<2x7x64xf32>, %s: tensor<2x1x64xf32>) -> tensor<2x1x64xf32> {
  %wa = heed.weight "attn.w_a" : tensor<64x64xf32>
  %q = heed.linear %s, %wa : (tensor<2x1x64xf32>, tensor<64x64xf32>) -> tensor<2x1x64xf32>
  %e = heed.matmul %q, %h {transpose_b = true} : (tensor<2x1x64xf32>, tensor<2x7x64xf32>) -> tensor<2x1x7xf32>
  // expected-remark @+1 {{softmax fused into heed.attention}}
  %a = heed.softmax %e : (tensor<2x1x7xf32>) -> tensor<2x1x7xf32>
  %c = heed.matmul %a, %h : (tensor<2x1x7xf32>, tensor<2x7x64xf32>) -> tensor<2x1x64xf32>
  return %c : tensor<2x1x64xf32>
}

// -----

// Luong dot as the tutorials write it, sum(s * h, -1), with the padding of
// the source as a boolean [B, Lk] mask and alpha returned: the fused op
// works on [B, 1, Lk] scores; the mask and the weights are reshaped.
// CHECK-LABEL: func.func @luong_dot_by_sum
// CHECK-SAME: (%[[S:.*]]: tensor<2x1x64xf32>, %[[H:.*]]: tensor<2x7x64xf32>, %[[SEE:.*]]: tensor<2x7xi1>)
// CHECK: %[[M:.*]] = heed.reshape %[[SEE]] {shape = array<i64: 0, 1, -1>} : (tensor<2x7xi1>) -> tensor<2x1x7xi1>
// CHECK: %[[O:.*]], %[[W:.*]] = heed.attention %[[S]], %[[H]], %[[H]], %[[M]] {mask_kind = #heed<mask boolean>, return_weights, scale = 1.000000e+00 : f32}
// CHECK: %[[A:.*]] = heed.reshape %[[W]] {shape = array<i64: 0, -1>} : (tensor<2x1x7xf32>) -> tensor<2x7xf32>
// CHECK: return %[[O]], %[[A]]
func.func @luong_dot_by_sum(%s: tensor<2x1x64xf32>, %h: tensor<2x7x64xf32>, %see: tensor<2x7xi1>) -> (tensor<2x1x64xf32>, tensor<2x7xf32>) {
  %p = heed.mul %s, %h : (tensor<2x1x64xf32>, tensor<2x7x64xf32>) -> tensor<2x7x64xf32>
  %e = heed.reduce sum, %p {axes = array<i64: 2>} : (tensor<2x7x64xf32>) -> tensor<2x7xf32>
  %ninf = heed.constant dense<0xFF800000> : tensor<f32>
  %em = heed.where %see, %e, %ninf : (tensor<2x7xi1>, tensor<2x7xf32>, tensor<f32>) -> tensor<2x7xf32>
  // expected-remark @+1 {{softmax fused into heed.attention}}
  %a = heed.softmax %em {axis = 1} : (tensor<2x7xf32>) -> tensor<2x7xf32>
  %a3 = heed.reshape %a {shape = array<i64: 0, 1, -1>} : (tensor<2x7xf32>) -> tensor<2x1x7xf32>
  %c = heed.matmul %a3, %h : (tensor<2x1x7xf32>, tensor<2x7x64xf32>) -> tensor<2x1x64xf32>
  return %c, %a : tensor<2x1x64xf32>, tensor<2x7xf32>
}

// -----

// Negative: the same sum over the batch-major keys, softmax over the batch.
// CHECK-LABEL: func.func @luong_dot_by_sum_wrong_axis
// CHECK-NOT: heed.attention
func.func @luong_dot_by_sum_wrong_axis(%s: tensor<2x1x64xf32>, %h: tensor<2x7x64xf32>) -> tensor<2x1x64xf32> {
  %p = heed.mul %h, %s : (tensor<2x7x64xf32>, tensor<2x1x64xf32>) -> tensor<2x7x64xf32>
  %e = heed.reduce sum, %p {axes = array<i64: -1>} : (tensor<2x7x64xf32>) -> tensor<2x7xf32>
  // expected-remark @+1 {{softmax not fused: softmax axis 0 is not the key axis}}
  %a = heed.softmax %e {axis = 0} : (tensor<2x7xf32>) -> tensor<2x7xf32>
  %a3 = heed.reshape %a {shape = array<i64: 0, 1, -1>} : (tensor<2x7xf32>) -> tensor<2x1x7xf32>
  %c = heed.matmul %a3, %h : (tensor<2x1x7xf32>, tensor<2x7x64xf32>) -> tensor<2x1x64xf32>
  return %c : tensor<2x1x64xf32>
}
