// RUN: heed-opt %s --heed-pipeline="fusion-report=true" -split-input-file -verify-diagnostics | FileCheck %s
// RUN: heed-opt %s --heed-pipeline="fusion-report=true" -split-input-file -verify-diagnostics | heed-opt -split-input-file | FileCheck %s
// Bahdanau attention as torch 1.13 exports the zoo's hand-written module
// (examples/onnx/export_zoo.py): the traced batch is static, so
// `weights.unsqueeze(1)` and `.squeeze(2)` become reshapes with static specs
// ([2, 1, -1], [2, 0]) rather than copies (0) of the batch dim.

// The zoo model as imported (heed-compile --emit=mlir-input), with smaller
// weights: the -1 of [2, 1, -1] takes the key axis because the dims before it
// hold 2 elements on both sides.
// CHECK-LABEL: func.func @torch_bahdanau
// CHECK-SAME: (%[[Q:.*]]: tensor<2x16xf32>, %[[K:.*]]: tensor<2x?x16xf32>, %[[M:.*]]: tensor<2x?xi1>)
// CHECK: %[[KP:.*]] = heed.linear
// CHECK: %[[C:.*]], %[[A:.*]] = heed.additive_attention %[[Q]], %[[KP]], %[[K]], %{{.*}}, %{{.*}}, %[[M]] {mask_kind = #heed<mask boolean>, return_weights}
// CHECK-SAME: -> (tensor<2x16xf32>, tensor<2x?xf32>)
// CHECK-NOT: heed.softmax
// CHECK: return %[[C]], %[[A]]
func.func @torch_bahdanau(%query: tensor<2x16xf32>, %keys: tensor<2x?x16xf32>, %mask: tensor<2x?xi1>) -> (tensor<2x16xf32>, tensor<2x?xf32>) {
  %bk = heed.weight "w_k.bias" : tensor<16xf32>
  %wq = heed.weight "w_q.weight" : tensor<16x16xf32>
  %wk = heed.weight "w_k.weight" : tensor<16x16xf32>
  %v = heed.weight "v.weight" : tensor<16x1xf32>
  %4 = heed.matmul %query, %wq : (tensor<2x16xf32>, tensor<16x16xf32>) -> tensor<2x16xf32>
  %5 = heed.reshape %4 {shape = array<i64: 2, 1, 16>} : (tensor<2x16xf32>) -> tensor<2x1x16xf32>
  %6 = heed.matmul %keys, %wk : (tensor<2x?x16xf32>, tensor<16x16xf32>) -> tensor<2x?x16xf32>
  %7 = heed.add %bk, %6 : (tensor<16xf32>, tensor<2x?x16xf32>) -> tensor<2x?x16xf32>
  %8 = heed.add %5, %7 : (tensor<2x1x16xf32>, tensor<2x?x16xf32>) -> tensor<2x?x16xf32>
  %9 = heed.tanh %8 : (tensor<2x?x16xf32>) -> tensor<2x?x16xf32>
  %10 = heed.matmul %9, %v : (tensor<2x?x16xf32>, tensor<16x1xf32>) -> tensor<2x?x1xf32>
  %11 = heed.reshape %10 {shape = array<i64: 2, 0>} : (tensor<2x?x1xf32>) -> tensor<2x?xf32>
  %12 = heed.not %mask : (tensor<2x?xi1>) -> tensor<2x?xi1>
  %13 = heed.constant dense<0xFF800000> : tensor<f32>
  %14 = heed.where %12, %13, %11 : (tensor<2x?xi1>, tensor<f32>, tensor<2x?xf32>) -> tensor<2x?xf32>
  // expected-remark @+1 {{softmax fused into heed.additive_attention}}
  %15 = heed.softmax %14 {axis = 1 : i64} : (tensor<2x?xf32>) -> tensor<2x?xf32>
  %16 = heed.reshape %15 {shape = array<i64: 2, 1, -1>} : (tensor<2x?xf32>) -> tensor<2x1x?xf32>
  %17 = heed.matmul %16, %keys : (tensor<2x1x?xf32>, tensor<2x?x16xf32>) -> tensor<2x1x16xf32>
  %18 = heed.reshape %17 {shape = array<i64: 2, 16>} : (tensor<2x1x16xf32>) -> tensor<2x16xf32>
  return %18, %15 : tensor<2x16xf32>, tensor<2x?xf32>
}

// -----

// The same with torch's sum(weights.unsqueeze(2) * keys, 1) context: the
// static spec [2, -1, 1] keeps the key axis as well.
// CHECK-LABEL: func.func @torch_bahdanau_sum_context
// CHECK: %[[C:.*]] = heed.additive_attention
// CHECK-NOT: heed.softmax
// CHECK: return %[[C]]
func.func @torch_bahdanau_sum_context(%query: tensor<2x16xf32>, %keys: tensor<2x?x16xf32>) -> tensor<2x16xf32> {
  %wq = heed.weight "w_q.weight" : tensor<16x16xf32>
  %v = heed.weight "v.weight" : tensor<16x1xf32>
  %4 = heed.matmul %query, %wq : (tensor<2x16xf32>, tensor<16x16xf32>) -> tensor<2x16xf32>
  %5 = heed.reshape %4 {shape = array<i64: 2, 1, 16>} : (tensor<2x16xf32>) -> tensor<2x1x16xf32>
  %8 = heed.add %5, %keys : (tensor<2x1x16xf32>, tensor<2x?x16xf32>) -> tensor<2x?x16xf32>
  %9 = heed.tanh %8 : (tensor<2x?x16xf32>) -> tensor<2x?x16xf32>
  %10 = heed.matmul %9, %v : (tensor<2x?x16xf32>, tensor<16x1xf32>) -> tensor<2x?x1xf32>
  %11 = heed.reshape %10 {shape = array<i64: 2, -1>} : (tensor<2x?x1xf32>) -> tensor<2x?xf32>
  // expected-remark @+1 {{softmax fused into heed.additive_attention}}
  %15 = heed.softmax %11 {axis = 1 : i64} : (tensor<2x?xf32>) -> tensor<2x?xf32>
  %16 = heed.reshape %15 {shape = array<i64: 2, -1, 1>} : (tensor<2x?xf32>) -> tensor<2x?x1xf32>
  %17 = heed.mul %16, %keys : (tensor<2x?x1xf32>, tensor<2x?x16xf32>) -> tensor<2x?x16xf32>
  %18 = heed.reduce sum, %17 {axes = array<i64: 1>} : (tensor<2x?x16xf32>) -> tensor<2x16xf32>
  return %18 : tensor<2x16xf32>
}

// -----

// Negative: [4, Lk] -> [2, 1, -1] puts two batch rows into one row of keys
// (-1 is 2 * Lk): the weights are not contracted with the values per row.
// CHECK-LABEL: func.func @torch_bahdanau_rows_merged
// CHECK-NOT: heed.additive_attention
func.func @torch_bahdanau_rows_merged(%query: tensor<4x16xf32>, %keys: tensor<4x?x16xf32>, %values: tensor<2x?x16xf32>) -> tensor<2x1x16xf32> {
  %wq = heed.weight "w_q.weight" : tensor<16x16xf32>
  %v = heed.weight "v.weight" : tensor<16x1xf32>
  %4 = heed.matmul %query, %wq : (tensor<4x16xf32>, tensor<16x16xf32>) -> tensor<4x16xf32>
  %5 = heed.reshape %4 {shape = array<i64: 4, 1, 16>} : (tensor<4x16xf32>) -> tensor<4x1x16xf32>
  %8 = heed.add %5, %keys : (tensor<4x1x16xf32>, tensor<4x?x16xf32>) -> tensor<4x?x16xf32>
  %9 = heed.tanh %8 : (tensor<4x?x16xf32>) -> tensor<4x?x16xf32>
  %10 = heed.matmul %9, %v : (tensor<4x?x16xf32>, tensor<16x1xf32>) -> tensor<4x?x1xf32>
  %11 = heed.reshape %10 {shape = array<i64: 4, 0>} : (tensor<4x?x1xf32>) -> tensor<4x?xf32>
  // expected-remark @+1 {{softmax not fused: the softmax output is not multiplied with values}}
  %15 = heed.softmax %11 {axis = 1 : i64} : (tensor<4x?xf32>) -> tensor<4x?xf32>
  %16 = heed.reshape %15 {shape = array<i64: 2, 1, -1>} : (tensor<4x?xf32>) -> tensor<2x1x?xf32>
  %17 = heed.matmul %16, %values : (tensor<2x1x?xf32>, tensor<2x?x16xf32>) -> tensor<2x1x16xf32>
  return %17 : tensor<2x1x16xf32>
}

// -----

// Negative: the scores [2, Lk, 1] -> [1, -1] flatten the batch into the keys
// (no v^T tanh(...) scoring is seen through it, so the dot-product reason):
// the softmax then runs over both rows at once, which no fused op computes.
// CHECK-LABEL: func.func @torch_bahdanau_scores_flattened
// CHECK-NOT: heed.additive_attention
func.func @torch_bahdanau_scores_flattened(%query: tensor<2x16xf32>, %keys: tensor<2x?x16xf32>, %values: tensor<1x?x16xf32>) -> tensor<1x1x16xf32> {
  %wq = heed.weight "w_q.weight" : tensor<16x16xf32>
  %v = heed.weight "v.weight" : tensor<16x1xf32>
  %4 = heed.matmul %query, %wq : (tensor<2x16xf32>, tensor<16x16xf32>) -> tensor<2x16xf32>
  %5 = heed.reshape %4 {shape = array<i64: 2, 1, 16>} : (tensor<2x16xf32>) -> tensor<2x1x16xf32>
  %8 = heed.add %5, %keys : (tensor<2x1x16xf32>, tensor<2x?x16xf32>) -> tensor<2x?x16xf32>
  %9 = heed.tanh %8 : (tensor<2x?x16xf32>) -> tensor<2x?x16xf32>
  %10 = heed.matmul %9, %v : (tensor<2x?x16xf32>, tensor<16x1xf32>) -> tensor<2x?x1xf32>
  %11 = heed.reshape %10 {shape = array<i64: 1, -1>} : (tensor<2x?x1xf32>) -> tensor<1x?xf32>
  // expected-remark @+1 {{softmax not fused: scores are reshaped before the softmax}}
  %15 = heed.softmax %11 {axis = 1 : i64} : (tensor<1x?xf32>) -> tensor<1x?xf32>
  %16 = heed.reshape %15 {shape = array<i64: 1, 1, -1>} : (tensor<1x?xf32>) -> tensor<1x1x?xf32>
  %17 = heed.matmul %16, %values : (tensor<1x1x?xf32>, tensor<1x?x16xf32>) -> tensor<1x1x16xf32>
  return %17 : tensor<1x1x16xf32>
}
