// RUN: heed-opt %s --heed-pipeline -split-input-file | FileCheck %s
// Grouped-query attention with the kv heads repeated by torch's export of
// k.repeat_interleave(g, dim): one slice per kv head, each expanded g times and merged back,
// concatenated along the heads. heed.attention takes the unrepeated keys and values (query
// head h reads kv head h / g: the same order), so the copies go.

// CHECK-LABEL: func.func @heads_first
// CHECK-SAME: (%[[Q:.*]]: tensor<?x8x6x16xf32>, %[[K:.*]]: tensor<?x2x6x16xf32>, %[[V:.*]]: tensor<?x2x6x16xf32>)
// CHECK-NEXT: %[[O:.*]] = heed.attention %[[Q]], %[[K]], %[[V]] {scale = 2.500000e-01 : f32} : (tensor<?x8x6x16xf32>, tensor<?x2x6x16xf32>, tensor<?x2x6x16xf32>)
// CHECK-NEXT: return %[[O]]
func.func @heads_first(%q: tensor<?x8x6x16xf32>, %k: tensor<?x2x6x16xf32>, %v: tensor<?x2x6x16xf32>) -> tensor<?x8x6x16xf32> {
  %like = heed.full false : tensor<1x1x4x1x1xi1>
  %k0 = heed.slice %k {axis = 1 : i64, start = 0 : i64, end = 1 : i64} : (tensor<?x2x6x16xf32>) -> tensor<?x1x6x16xf32>
  %k0s = heed.reshape %k0 {shape = array<i64: 0, 1, 1, 6, 16>} : (tensor<?x1x6x16xf32>) -> tensor<?x1x1x6x16xf32>
  %k0b = heed.broadcast %k0s, %like : (tensor<?x1x1x6x16xf32>, tensor<1x1x4x1x1xi1>) -> tensor<?x1x4x6x16xf32>
  %k0m = heed.reshape %k0b {shape = array<i64: 0, -1, 6, 16>} : (tensor<?x1x4x6x16xf32>) -> tensor<?x4x6x16xf32>
  %k1 = heed.slice %k {axis = 1 : i64, start = 1 : i64, end = 2 : i64} : (tensor<?x2x6x16xf32>) -> tensor<?x1x6x16xf32>
  %k1s = heed.reshape %k1 {shape = array<i64: 0, 1, 1, 6, 16>} : (tensor<?x1x6x16xf32>) -> tensor<?x1x1x6x16xf32>
  %k1b = heed.broadcast %k1s, %like : (tensor<?x1x1x6x16xf32>, tensor<1x1x4x1x1xi1>) -> tensor<?x1x4x6x16xf32>
  %k1m = heed.reshape %k1b {shape = array<i64: 0, -1, 6, 16>} : (tensor<?x1x4x6x16xf32>) -> tensor<?x4x6x16xf32>
  %kr = heed.concat %k0m, %k1m {axis = 1 : i64} : (tensor<?x4x6x16xf32>, tensor<?x4x6x16xf32>) -> tensor<?x8x6x16xf32>
  %v0 = heed.slice %v {axis = 1 : i64, start = 0 : i64, end = 1 : i64} : (tensor<?x2x6x16xf32>) -> tensor<?x1x6x16xf32>
  %v0s = heed.reshape %v0 {shape = array<i64: 0, 1, 1, 6, 16>} : (tensor<?x1x6x16xf32>) -> tensor<?x1x1x6x16xf32>
  %v0b = heed.broadcast %v0s, %like : (tensor<?x1x1x6x16xf32>, tensor<1x1x4x1x1xi1>) -> tensor<?x1x4x6x16xf32>
  %v0m = heed.reshape %v0b {shape = array<i64: 0, -1, 6, 16>} : (tensor<?x1x4x6x16xf32>) -> tensor<?x4x6x16xf32>
  %v1 = heed.slice %v {axis = 1 : i64, start = 1 : i64, end = 2 : i64} : (tensor<?x2x6x16xf32>) -> tensor<?x1x6x16xf32>
  %v1s = heed.reshape %v1 {shape = array<i64: 0, 1, 1, 6, 16>} : (tensor<?x1x6x16xf32>) -> tensor<?x1x1x6x16xf32>
  %v1b = heed.broadcast %v1s, %like : (tensor<?x1x1x6x16xf32>, tensor<1x1x4x1x1xi1>) -> tensor<?x1x4x6x16xf32>
  %v1m = heed.reshape %v1b {shape = array<i64: 0, -1, 6, 16>} : (tensor<?x1x4x6x16xf32>) -> tensor<?x4x6x16xf32>
  %vr = heed.concat %v0m, %v1m {axis = 1 : i64} : (tensor<?x4x6x16xf32>, tensor<?x4x6x16xf32>) -> tensor<?x8x6x16xf32>
  %s = heed.matmul %q, %kr {transpose_b = true} : (tensor<?x8x6x16xf32>, tensor<?x8x6x16xf32>) -> tensor<?x8x6x6xf32>
  %c = heed.constant dense<2.500000e-01> : tensor<f32>
  %ss = heed.mul %s, %c : (tensor<?x8x6x6xf32>, tensor<f32>) -> tensor<?x8x6x6xf32>
  %w = heed.softmax %ss {axis = 3 : i64} : (tensor<?x8x6x6xf32>) -> tensor<?x8x6x6xf32>
  %o = heed.matmul %w, %vr : (tensor<?x8x6x6xf32>, tensor<?x8x6x16xf32>) -> tensor<?x8x6x16xf32>
  return %o : tensor<?x8x6x16xf32>
}

// -----

// The slices out of order (k[:, 1] first) are not repeat_interleave: the copies stay.
// CHECK-LABEL: func.func @heads_swapped
// CHECK: heed.attention {{.*}} : (tensor<?x8x6x16xf32>, tensor<?x8x6x16xf32>, tensor<?x8x6x16xf32>)
func.func @heads_swapped(%q: tensor<?x8x6x16xf32>, %k: tensor<?x2x6x16xf32>) -> tensor<?x8x6x16xf32> {
  %like = heed.full false : tensor<1x1x4x1x1xi1>
  %k0 = heed.slice %k {axis = 1 : i64, start = 1 : i64, end = 2 : i64} : (tensor<?x2x6x16xf32>) -> tensor<?x1x6x16xf32>
  %k0s = heed.reshape %k0 {shape = array<i64: 0, 1, 1, 6, 16>} : (tensor<?x1x6x16xf32>) -> tensor<?x1x1x6x16xf32>
  %k0b = heed.broadcast %k0s, %like : (tensor<?x1x1x6x16xf32>, tensor<1x1x4x1x1xi1>) -> tensor<?x1x4x6x16xf32>
  %k0m = heed.reshape %k0b {shape = array<i64: 0, -1, 6, 16>} : (tensor<?x1x4x6x16xf32>) -> tensor<?x4x6x16xf32>
  %k1 = heed.slice %k {axis = 1 : i64, start = 0 : i64, end = 1 : i64} : (tensor<?x2x6x16xf32>) -> tensor<?x1x6x16xf32>
  %k1s = heed.reshape %k1 {shape = array<i64: 0, 1, 1, 6, 16>} : (tensor<?x1x6x16xf32>) -> tensor<?x1x1x6x16xf32>
  %k1b = heed.broadcast %k1s, %like : (tensor<?x1x1x6x16xf32>, tensor<1x1x4x1x1xi1>) -> tensor<?x1x4x6x16xf32>
  %k1m = heed.reshape %k1b {shape = array<i64: 0, -1, 6, 16>} : (tensor<?x1x4x6x16xf32>) -> tensor<?x4x6x16xf32>
  %kr = heed.concat %k0m, %k1m {axis = 1 : i64} : (tensor<?x4x6x16xf32>, tensor<?x4x6x16xf32>) -> tensor<?x8x6x16xf32>
  %s = heed.matmul %q, %kr {transpose_b = true} : (tensor<?x8x6x16xf32>, tensor<?x8x6x16xf32>) -> tensor<?x8x6x6xf32>
  %w = heed.softmax %s {axis = 3 : i64} : (tensor<?x8x6x6xf32>) -> tensor<?x8x6x6xf32>
  %o = heed.matmul %w, %kr : (tensor<?x8x6x6xf32>, tensor<?x8x6x16xf32>) -> tensor<?x8x6x16xf32>
  return %o : tensor<?x8x6x16xf32>
}

// -----

// Heads last ([B, L, Hkv, d], repeated at dim 2, then transposed to [B, H, L, d]): the
// unrepeated keys and values are transposed instead (g times fewer elements).
// CHECK-LABEL: func.func @heads_last
// CHECK-SAME: (%[[Q:.*]]: tensor<?x8x?x16xf32>, %[[K:.*]]: tensor<?x?x2x16xf32>)
// CHECK: %[[KT:.*]] = heed.transpose %[[K]] {permutation = array<i64: 0, 2, 1, 3>} : (tensor<?x?x2x16xf32>) -> tensor<?x2x?x16xf32>
// CHECK: heed.attention %[[Q]], %[[KT]], %[[KT]] {{.*}} : (tensor<?x8x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>)
func.func @heads_last(%q: tensor<?x8x?x16xf32>, %k: tensor<?x?x2x16xf32>) -> tensor<?x8x?x16xf32> {
  %like = heed.full false : tensor<1x1x1x4x1xi1>
  %k0 = heed.slice %k {axis = 2 : i64, start = 0 : i64, end = 1 : i64} : (tensor<?x?x2x16xf32>) -> tensor<?x?x1x16xf32>
  %k0s = heed.reshape %k0 {shape = array<i64: 0, 0, 1, 1, 16>} : (tensor<?x?x1x16xf32>) -> tensor<?x?x1x1x16xf32>
  %k0b = heed.broadcast %k0s, %like : (tensor<?x?x1x1x16xf32>, tensor<1x1x1x4x1xi1>) -> tensor<?x?x1x4x16xf32>
  %k0m = heed.reshape %k0b {shape = array<i64: 0, 0, -1, 16>} : (tensor<?x?x1x4x16xf32>) -> tensor<?x?x4x16xf32>
  %k1 = heed.slice %k {axis = 2 : i64, start = 1 : i64, end = 2 : i64} : (tensor<?x?x2x16xf32>) -> tensor<?x?x1x16xf32>
  %k1s = heed.reshape %k1 {shape = array<i64: 0, 0, 1, 1, 16>} : (tensor<?x?x1x16xf32>) -> tensor<?x?x1x1x16xf32>
  %k1b = heed.broadcast %k1s, %like : (tensor<?x?x1x1x16xf32>, tensor<1x1x1x4x1xi1>) -> tensor<?x?x1x4x16xf32>
  %k1m = heed.reshape %k1b {shape = array<i64: 0, 0, -1, 16>} : (tensor<?x?x1x4x16xf32>) -> tensor<?x?x4x16xf32>
  %kr = heed.concat %k0m, %k1m {axis = 2 : i64} : (tensor<?x?x4x16xf32>, tensor<?x?x4x16xf32>) -> tensor<?x?x8x16xf32>
  %kt = heed.transpose %kr {permutation = array<i64: 0, 2, 1, 3>} : (tensor<?x?x8x16xf32>) -> tensor<?x8x?x16xf32>
  %s = heed.matmul %q, %kt {transpose_b = true} : (tensor<?x8x?x16xf32>, tensor<?x8x?x16xf32>) -> tensor<?x8x?x?xf32>
  %w = heed.softmax %s {axis = 3 : i64} : (tensor<?x8x?x?xf32>) -> tensor<?x8x?x?xf32>
  %o = heed.matmul %w, %kt : (tensor<?x8x?x?xf32>, tensor<?x8x?x16xf32>) -> tensor<?x8x?x16xf32>
  return %o : tensor<?x8x?x16xf32>
}
