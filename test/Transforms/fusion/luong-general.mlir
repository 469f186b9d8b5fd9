// RUN: heed-opt %s --heed-pipeline="fusion-report=true" -split-input-file -verify-diagnostics | FileCheck %s
// Luong "general" scoring s^T W_a h in a decoder loop: W_a moves from the
// per-step query onto the encoder outputs, computed once before the loop.

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
