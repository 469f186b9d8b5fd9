// RUN: heed-opt %s --heed-fuse-linear-activation -split-input-file | FileCheck %s
// RUN: heed-opt %s --heed-fuse-linear -split-input-file | FileCheck %s --check-prefix=BIAS
// An activation after a projection becomes the linear's `activation` (its GEMM's epilogue).

// Every activation, after a linear with a bias and after a matmul by a 2-D weight.
// CHECK-LABEL: func.func @each_activation
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xf32>, %[[W:.*]]: tensor<16x8xf32>, %[[B:.*]]: tensor<16xf32>, %[[K:.*]]: tensor<8x16xf32>)
// CHECK: %[[R:.*]] = heed.linear %[[X]], %[[W]], %[[B]] {activation = #heed<activation relu>}
// CHECK: %[[G:.*]] = heed.linear %[[X]], %[[W]], %[[B]] {activation = #heed<activation gelu>}
// CHECK: %[[GT:.*]] = heed.linear %[[X]], %[[W]], %[[B]] {activation = #heed<activation gelu_tanh>}
// CHECK: %[[T:.*]] = heed.linear %[[X]], %[[W]] {activation = #heed<activation tanh>}
// CHECK: %[[S:.*]] = heed.linear %[[X]], %[[K]] {activation = #heed<activation sigmoid>, transpose_weight = false}
// CHECK-NOT: heed.relu
// CHECK-NOT: heed.gelu
// CHECK-NOT: heed.tanh
// CHECK-NOT: heed.sigmoid
// CHECK: return %[[R]], %[[G]], %[[GT]], %[[T]], %[[S]]
func.func @each_activation(%x: tensor<?x8xf32>, %w: tensor<16x8xf32>, %b: tensor<16xf32>, %k: tensor<8x16xf32>) -> (tensor<?x16xf32>, tensor<?x16xf32>, tensor<?x16xf32>, tensor<?x16xf32>, tensor<?x16xf32>) {
  %l1 = heed.linear %x, %w, %b : (tensor<?x8xf32>, tensor<16x8xf32>, tensor<16xf32>) -> tensor<?x16xf32>
  %r = heed.relu %l1 : (tensor<?x16xf32>) -> tensor<?x16xf32>
  %l2 = heed.linear %x, %w, %b : (tensor<?x8xf32>, tensor<16x8xf32>, tensor<16xf32>) -> tensor<?x16xf32>
  %g = heed.gelu %l2 : (tensor<?x16xf32>) -> tensor<?x16xf32>
  %l3 = heed.linear %x, %w, %b : (tensor<?x8xf32>, tensor<16x8xf32>, tensor<16xf32>) -> tensor<?x16xf32>
  %gt = heed.gelu %l3 {approximate = #heed<gelu_approx tanh>} : (tensor<?x16xf32>) -> tensor<?x16xf32>
  %l4 = heed.linear %x, %w : (tensor<?x8xf32>, tensor<16x8xf32>) -> tensor<?x16xf32>
  %t = heed.tanh %l4 : (tensor<?x16xf32>) -> tensor<?x16xf32>
  %m = heed.matmul %x, %k : (tensor<?x8xf32>, tensor<8x16xf32>) -> tensor<?x16xf32>
  %s = heed.sigmoid %m : (tensor<?x16xf32>) -> tensor<?x16xf32>
  return %r, %g, %gt, %t, %s : tensor<?x16xf32>, tensor<?x16xf32>, tensor<?x16xf32>, tensor<?x16xf32>, tensor<?x16xf32>
}

// -----

// Left alone: a product something else reads too (the activation would be applied to it), an
// activation after one, a batched matmul, and an op that is not an activation.
// CHECK-LABEL: func.func @not_fused
// CHECK: heed.linear %{{.*}}, %{{.*}} : (
// CHECK: heed.relu
// CHECK: heed.linear %{{.*}}, %{{.*}} {activation = #heed<activation tanh>}
// CHECK: heed.relu
// CHECK: heed.matmul
// CHECK: heed.relu
// CHECK: heed.linear %{{.*}}, %{{.*}} : (
// CHECK: heed.exp
func.func @not_fused(%x: tensor<?x8xf32>, %w: tensor<16x8xf32>, %a: tensor<4x?x8xf32>, %bw: tensor<4x8x16xf32>) -> (tensor<?x16xf32>, tensor<?x16xf32>, tensor<?x16xf32>, tensor<4x?x16xf32>, tensor<?x16xf32>) {
  %l = heed.linear %x, %w : (tensor<?x8xf32>, tensor<16x8xf32>) -> tensor<?x16xf32>
  %r = heed.relu %l : (tensor<?x16xf32>) -> tensor<?x16xf32>
  %l2 = heed.linear %x, %w {activation = #heed<activation tanh>} : (tensor<?x8xf32>, tensor<16x8xf32>) -> tensor<?x16xf32>
  %r2 = heed.relu %l2 : (tensor<?x16xf32>) -> tensor<?x16xf32>
  %m = heed.matmul %a, %bw : (tensor<4x?x8xf32>, tensor<4x8x16xf32>) -> tensor<4x?x16xf32>
  %r3 = heed.relu %m : (tensor<4x?x16xf32>) -> tensor<4x?x16xf32>
  %l3 = heed.linear %x, %w : (tensor<?x8xf32>, tensor<16x8xf32>) -> tensor<?x16xf32>
  %e = heed.exp %l3 : (tensor<?x16xf32>) -> tensor<?x16xf32>
  return %l, %r, %r2, %r3, %e : tensor<?x16xf32>, tensor<?x16xf32>, tensor<?x16xf32>, tensor<4x?x16xf32>, tensor<?x16xf32>
}

// SiLU, z * sigmoid(z), in either order; not when z has another reader.
// CHECK-LABEL: func.func @silu
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xf32>, %[[W:.*]]: tensor<16x8xf32>, %[[B:.*]]: tensor<16xf32>)
// CHECK: %[[A:.*]] = heed.linear %[[X]], %[[W]], %[[B]] {activation = #heed<activation silu>}
// CHECK: %[[C:.*]] = heed.linear %[[X]], %[[W]] {activation = #heed<activation silu>}
// CHECK: %[[D:.*]] = heed.linear %[[X]], %[[W]] :
// CHECK: heed.sigmoid %[[D]]
// CHECK: heed.mul
// CHECK: return %[[A]], %[[C]]
func.func @silu(%x: tensor<?x8xf32>, %w: tensor<16x8xf32>, %b: tensor<16xf32>) -> (tensor<?x16xf32>, tensor<?x16xf32>, tensor<?x16xf32>, tensor<?x16xf32>) {
  %l = heed.linear %x, %w, %b : (tensor<?x8xf32>, tensor<16x8xf32>, tensor<16xf32>) -> tensor<?x16xf32>
  %s = heed.sigmoid %l : (tensor<?x16xf32>) -> tensor<?x16xf32>
  %a = heed.mul %l, %s : (tensor<?x16xf32>, tensor<?x16xf32>) -> tensor<?x16xf32>
  %l2 = heed.linear %x, %w : (tensor<?x8xf32>, tensor<16x8xf32>) -> tensor<?x16xf32>
  %s2 = heed.sigmoid %l2 : (tensor<?x16xf32>) -> tensor<?x16xf32>
  %c = heed.mul %s2, %l2 : (tensor<?x16xf32>, tensor<?x16xf32>) -> tensor<?x16xf32>
  %l3 = heed.linear %x, %w : (tensor<?x8xf32>, tensor<16x8xf32>) -> tensor<?x16xf32>
  %s3 = heed.sigmoid %l3 : (tensor<?x16xf32>) -> tensor<?x16xf32>
  %d = heed.mul %l3, %s3 : (tensor<?x16xf32>, tensor<?x16xf32>) -> tensor<?x16xf32>
  return %a, %c, %d, %l3 : tensor<?x16xf32>, tensor<?x16xf32>, tensor<?x16xf32>, tensor<?x16xf32>
}

// -----

// heed-fuse-linear: a bias added after an activation stays an add (it comes after the
// activation); slices of an activated projection keep the activation (it is elementwise).
// BIAS-LABEL: func.func @after_activation
// BIAS: heed.linear %{{.*}}, %{{.*}} {activation = #heed<activation relu>}
// BIAS: heed.add
// BIAS-LABEL: func.func @sliced_activation
// BIAS-COUNT-2: heed.linear %{{.*}}, %{{.*}}, %{{.*}} {activation = #heed<activation gelu>}
// BIAS-NOT: heed.slice %{{.*}} {axis = 1
func.func @after_activation(%x: tensor<?x8xf32>, %w: tensor<16x8xf32>, %b: tensor<16xf32>) -> tensor<?x16xf32> {
  %l = heed.linear %x, %w {activation = #heed<activation relu>} : (tensor<?x8xf32>, tensor<16x8xf32>) -> tensor<?x16xf32>
  %y = heed.add %l, %b : (tensor<?x16xf32>, tensor<16xf32>) -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}
func.func @sliced_activation(%x: tensor<?x8xf32>) -> (tensor<?x8xf32>, tensor<?x8xf32>) {
  %w = heed.constant dense<0.5> : tensor<16x8xf32>
  %b = heed.constant dense<0.25> : tensor<16xf32>
  %l = heed.linear %x, %w, %b {activation = #heed<activation gelu>} : (tensor<?x8xf32>, tensor<16x8xf32>, tensor<16xf32>) -> tensor<?x16xf32>
  %s0 = heed.slice %l {axis = 1 : i64, start = 0 : i64, end = 8 : i64} : (tensor<?x16xf32>) -> tensor<?x8xf32>
  %s1 = heed.slice %l {axis = 1 : i64, start = 8 : i64, end = 16 : i64} : (tensor<?x16xf32>) -> tensor<?x8xf32>
  return %s0, %s1 : tensor<?x8xf32>, tensor<?x8xf32>
}
