// RUN: heed-opt %s --heed-fuse-linear -split-input-file | FileCheck %s
// Bias adds go into heed.linear; a packed projection sliced by all its users becomes one linear
// per slice.

// torch.onnx: nn.Linear on [B, L, K] is MatMul(x, W^T [K, N]) then Add(b).
// CHECK-LABEL: func.func @matmul_bias
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x8xf32>, %[[W:.*]]: tensor<8x16xf32>, %[[B:.*]]: tensor<16xf32>)
// CHECK: %[[Y:.*]] = heed.linear %[[X]], %[[W]], %[[B]] {transpose_weight = false}
// CHECK-NEXT: return %[[Y]]
func.func @matmul_bias(%x: tensor<?x?x8xf32>, %w: tensor<8x16xf32>, %b: tensor<16xf32>) -> tensor<?x?x16xf32> {
  %p = heed.matmul %x, %w : (tensor<?x?x8xf32>, tensor<8x16xf32>) -> tensor<?x?x16xf32>
  %y = heed.add %p, %b : (tensor<?x?x16xf32>, tensor<16xf32>) -> tensor<?x?x16xf32>
  return %y : tensor<?x?x16xf32>
}

// -----

// The bias first, W [N, K] read transposed, and a linear without bias: all become one linear.
// CHECK-LABEL: func.func @bias_first
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xf32>, %[[W:.*]]: tensor<16x8xf32>, %[[B:.*]]: tensor<16xf32>)
// CHECK: %[[Y:.*]] = heed.linear %[[X]], %[[W]], %[[B]] :
// CHECK: %[[Z:.*]] = heed.linear %[[X]], %[[W]], %[[B]] :
// CHECK-NOT: heed.add
// CHECK: return %[[Y]], %[[Z]]
func.func @bias_first(%x: tensor<?x8xf32>, %w: tensor<16x8xf32>, %b: tensor<16xf32>) -> (tensor<?x16xf32>, tensor<?x16xf32>) {
  %p = heed.matmul %x, %w {transpose_b = true} : (tensor<?x8xf32>, tensor<16x8xf32>) -> tensor<?x16xf32>
  %y = heed.add %b, %p : (tensor<16xf32>, tensor<?x16xf32>) -> tensor<?x16xf32>
  %l = heed.linear %x, %w : (tensor<?x8xf32>, tensor<16x8xf32>) -> tensor<?x16xf32>
  %z = heed.add %l, %b : (tensor<?x16xf32>, tensor<16xf32>) -> tensor<?x16xf32>
  return %y, %z : tensor<?x16xf32>, tensor<?x16xf32>
}

// -----

// Not a bias: the add broadcasts the product to a bigger shape, the product has another user,
// the rhs is batched, the lhs is transposed, or the linear has a bias already.
// CHECK-LABEL: func.func @not_a_bias
// CHECK-COUNT-5: heed.add
// CHECK-NOT: heed.linear %{{.*}}, %{{.*}}, %{{.*}} {transpose_weight = false}
func.func @not_a_bias(%x: tensor<?x8xf32>, %w: tensor<8x16xf32>, %b: tensor<16xf32>, %r: tensor<4x?x16xf32>,
                      %bx: tensor<2x?x8xf32>, %bw: tensor<2x8x16xf32>, %xt: tensor<8x?xf32>, %l: tensor<?x16xf32>)
    -> (tensor<4x?x16xf32>, tensor<?x16xf32>, tensor<?x16xf32>, tensor<2x?x16xf32>, tensor<?x16xf32>, tensor<?x16xf32>) {
  %p = heed.matmul %x, %w : (tensor<?x8xf32>, tensor<8x16xf32>) -> tensor<?x16xf32>
  %grow = heed.add %p, %r : (tensor<?x16xf32>, tensor<4x?x16xf32>) -> tensor<4x?x16xf32>
  %q = heed.matmul %x, %w : (tensor<?x8xf32>, tensor<8x16xf32>) -> tensor<?x16xf32>
  %shared = heed.add %q, %b : (tensor<?x16xf32>, tensor<16xf32>) -> tensor<?x16xf32>
  %bp = heed.matmul %bx, %bw : (tensor<2x?x8xf32>, tensor<2x8x16xf32>) -> tensor<2x?x16xf32>
  %batched = heed.add %bp, %b : (tensor<2x?x16xf32>, tensor<16xf32>) -> tensor<2x?x16xf32>
  %tp = heed.matmul %xt, %w {transpose_a = true} : (tensor<8x?xf32>, tensor<8x16xf32>) -> tensor<?x16xf32>
  %ta = heed.add %tp, %b : (tensor<?x16xf32>, tensor<16xf32>) -> tensor<?x16xf32>
  %lb = heed.linear %x, %w, %b {transpose_weight = false} : (tensor<?x8xf32>, tensor<8x16xf32>, tensor<16xf32>) -> tensor<?x16xf32>
  %twice = heed.add %lb, %b : (tensor<?x16xf32>, tensor<16xf32>) -> tensor<?x16xf32>
  return %grow, %shared, %q, %batched, %ta, %twice : tensor<4x?x16xf32>, tensor<?x16xf32>, tensor<?x16xf32>, tensor<2x?x16xf32>, tensor<?x16xf32>, tensor<?x16xf32>
}

// -----

// nn.MultiheadAttention's packed in-projection: one [E, 3E] product of a parameter sliced into
// Q, K and V becomes three linears on slices of the weight (columns of W^T) and of the bias.
// CHECK-LABEL: func.func @packed_qkv
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x4xf32>)
// CHECK-DAG: %[[W:.*]] = heed.weight "in_proj_weight_t"
// CHECK-DAG: %[[B:.*]] = heed.weight "in_proj_bias"
// CHECK-DAG: %[[WQ:.*]] = heed.slice %[[W]] {axis = 1 : i64, end = 4 : i64, start = 0 : i64}
// CHECK-DAG: %[[BQ:.*]] = heed.slice %[[B]] {axis = 0 : i64, end = 4 : i64, start = 0 : i64}
// CHECK-DAG: %[[Q:.*]] = heed.linear %[[X]], %[[WQ]], %[[BQ]] {transpose_weight = false}
// CHECK-DAG: %[[WK:.*]] = heed.slice %[[W]] {axis = 1 : i64, end = 8 : i64, start = 4 : i64}
// CHECK-DAG: %[[BK:.*]] = heed.slice %[[B]] {axis = 0 : i64, end = 8 : i64, start = 4 : i64}
// CHECK-DAG: %[[K:.*]] = heed.linear %[[X]], %[[WK]], %[[BK]] {transpose_weight = false}
// CHECK-DAG: %[[WV:.*]] = heed.slice %[[W]] {axis = 1 : i64, end = 12 : i64, start = 8 : i64}
// CHECK-DAG: %[[BV:.*]] = heed.slice %[[B]] {axis = 0 : i64, end = 12 : i64, start = 8 : i64}
// CHECK-DAG: %[[V:.*]] = heed.linear %[[X]], %[[WV]], %[[BV]] {transpose_weight = false}
// CHECK-NOT: heed.matmul
// CHECK: return %[[Q]], %[[K]], %[[V]]
func.func @packed_qkv(%x: tensor<?x?x4xf32>) -> (tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<?x?x4xf32>) {
  %w = heed.weight "in_proj_weight_t" : tensor<4x12xf32>
  %b = heed.weight "in_proj_bias" : tensor<12xf32>
  %p = heed.matmul %x, %w : (tensor<?x?x4xf32>, tensor<4x12xf32>) -> tensor<?x?x12xf32>
  %y = heed.add %p, %b : (tensor<?x?x12xf32>, tensor<12xf32>) -> tensor<?x?x12xf32>
  %q = heed.slice %y {axis = 2 : i64, start = 0 : i64, end = 4 : i64} : (tensor<?x?x12xf32>) -> tensor<?x?x4xf32>
  %k = heed.slice %y {axis = 2 : i64, start = 4 : i64, end = 8 : i64} : (tensor<?x?x12xf32>) -> tensor<?x?x4xf32>
  %v = heed.slice %y {axis = -1 : i64, start = -4 : i64} : (tensor<?x?x12xf32>) -> tensor<?x?x4xf32>
  return %q, %k, %v : tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<?x?x4xf32>
}

// -----

// W [N, K] (transpose_b: the cross-attention's K/V rows of in_proj_weight, a slice of a
// constant) is sliced by rows; no bias, so none is sliced.
// CHECK-LABEL: func.func @packed_rows
// CHECK-SAME: (%[[X:.*]]: tensor<?x4xf32>)
// CHECK: %[[KV:.*]] = heed.slice %{{.*}} {axis = 0 : i64, end = 12 : i64, start = 4 : i64}
// CHECK: %[[WK:.*]] = heed.slice %[[KV]] {axis = 0 : i64, end = 4 : i64, start = 0 : i64}
// CHECK: %[[K:.*]] = heed.linear %[[X]], %[[WK]] :
// CHECK: %[[WV:.*]] = heed.slice %[[KV]] {axis = 0 : i64, end = 8 : i64, start = 4 : i64}
// CHECK: %[[V:.*]] = heed.linear %[[X]], %[[WV]] :
// CHECK: return %[[K]], %[[V]]
func.func @packed_rows(%x: tensor<?x4xf32>) -> (tensor<?x4xf32>, tensor<?x4xf32>) {
  %packed = heed.constant dense<0.5> : tensor<12x4xf32>
  %w = heed.slice %packed {axis = 0 : i64, start = 4 : i64, end = 12 : i64} : (tensor<12x4xf32>) -> tensor<8x4xf32>
  %p = heed.matmul %x, %w {transpose_b = true} : (tensor<?x4xf32>, tensor<8x4xf32>) -> tensor<?x8xf32>
  %k = heed.slice %p {axis = 1 : i64, start = 0 : i64, end = 4 : i64} : (tensor<?x8xf32>) -> tensor<?x4xf32>
  %v = heed.slice %p {axis = 1 : i64, start = 4 : i64, end = 8 : i64} : (tensor<?x8xf32>) -> tensor<?x4xf32>
  return %k, %v : tensor<?x4xf32>, tensor<?x4xf32>
}

// -----

// Left alone: a user that is not a slice, a slice of another axis, a strided slice, an empty
// slice, and a weight known only at run time (slicing it would copy it every call).
// CHECK-LABEL: func.func @not_split
// CHECK-COUNT-5: heed.matmul
// CHECK-NOT: heed.linear
func.func @not_split(%x: tensor<?x4xf32>, %arg: tensor<4x8xf32>)
    -> (tensor<?x4xf32>, tensor<?x8xf32>, tensor<1x8xf32>, tensor<?x4xf32>, tensor<?x0xf32>, tensor<?x4xf32>) {
  %w = heed.weight "w" : tensor<4x8xf32>
  %p = heed.matmul %x, %w : (tensor<?x4xf32>, tensor<4x8xf32>) -> tensor<?x8xf32>
  %a = heed.slice %p {axis = 1 : i64, start = 0 : i64, end = 4 : i64} : (tensor<?x8xf32>) -> tensor<?x4xf32>
  %q = heed.matmul %x, %w : (tensor<?x4xf32>, tensor<4x8xf32>) -> tensor<?x8xf32>
  %r = heed.slice %q {axis = 0 : i64, start = 0 : i64, end = 1 : i64} : (tensor<?x8xf32>) -> tensor<1x8xf32>
  %s = heed.matmul %x, %w : (tensor<?x4xf32>, tensor<4x8xf32>) -> tensor<?x8xf32>
  %t = heed.slice %s {axis = 1 : i64, start = 0 : i64, step = 2 : i64} : (tensor<?x8xf32>) -> tensor<?x4xf32>
  %e = heed.matmul %x, %w : (tensor<?x4xf32>, tensor<4x8xf32>) -> tensor<?x8xf32>
  %empty = heed.slice %e {axis = 1 : i64, start = 5 : i64, end = 5 : i64} : (tensor<?x8xf32>) -> tensor<?x0xf32>
  %f = heed.matmul %x, %arg : (tensor<?x4xf32>, tensor<4x8xf32>) -> tensor<?x8xf32>
  %g = heed.slice %f {axis = 1 : i64, start = 0 : i64, end = 4 : i64} : (tensor<?x8xf32>) -> tensor<?x4xf32>
  return %a, %p, %r, %t, %empty, %g : tensor<?x4xf32>, tensor<?x8xf32>, tensor<1x8xf32>, tensor<?x4xf32>, tensor<?x0xf32>, tensor<?x4xf32>
}
