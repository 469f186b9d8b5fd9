// RUN: heed-opt %s --heed-fold-head-transposes -canonicalize -cse -split-input-file | FileCheck %s
// nn.MultiheadAttention's seq-first head split and merge fold into num_heads; the transposes
// around the projections cancel.

// batch_first nn.MultiheadAttention as torch 1.13 exports it (after heed-fuse-linear): x
// transposed to [L, B, E], projected, heads split as [L, B*H, D] -> [B*H, L, D], merged back,
// projected and transposed to [B, L, E]. Every transpose of an activation goes.
// CHECK-LABEL: func.func @mha_batch_first
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x8xf32>, %[[M:.*]]: tensor<?x1x?xi1>)
// CHECK-DAG: %[[Q:.*]] = heed.linear %[[X]], %{{.*}}, %{{.*}} : (tensor<?x?x8xf32>
// CHECK-DAG: %[[K:.*]] = heed.linear %[[X]], %{{.*}}, %{{.*}} : (tensor<?x?x8xf32>
// CHECK-DAG: %[[V:.*]] = heed.linear %[[X]], %{{.*}}, %{{.*}} : (tensor<?x?x8xf32>
// CHECK-DAG: %[[LIKE:.*]] = heed.full false[%{{.*}}] : tensor<?x1x1xi1>
// CHECK-DAG: %[[ROWS:.*]] = heed.broadcast %[[M]], %[[LIKE]]
// CHECK-DAG: %[[M4:.*]] = heed.reshape_dynamic %[[ROWS]], %{{.*}} : (tensor<?x1x?xi1>, index, index, index, index) -> tensor<?x2x1x?xi1>
// CHECK: %[[O:.*]] = heed.attention %[[Q]], %[[K]], %[[V]], %[[M4]] {mask_kind = #heed<mask boolean>, num_heads = 2 : i64, scale = 5.000000e-01 : f32}
// CHECK-SAME: -> tensor<?x?x8xf32>
// CHECK: %[[Y:.*]] = heed.linear %[[O]], %{{.*}}, %{{.*}} : (tensor<?x?x8xf32>
// CHECK-NOT: heed.transpose
// CHECK: return %[[Y]]
func.func @mha_batch_first(%x: tensor<?x?x8xf32>, %mask: tensor<?x1x?xi1>) -> tensor<?x?x8xf32> {
  %wq = heed.constant dense<0.25> : tensor<8x8xf32>
  %wk = heed.constant dense<0.5> : tensor<8x8xf32>
  %wv = heed.constant dense<0.75> : tensor<8x8xf32>
  %wo = heed.constant dense<1.0> : tensor<8x8xf32>
  %b = heed.constant dense<0.125> : tensor<8xf32>
  %xt = heed.transpose %x {permutation = array<i64: 1, 0, 2>} : (tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  %q = heed.linear %xt, %wq, %b : (tensor<?x?x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  %k = heed.linear %xt, %wk, %b : (tensor<?x?x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  %v = heed.linear %xt, %wv, %b : (tensor<?x?x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  %qr = heed.reshape %q {shape = array<i64: 0, -1, 4>} : (tensor<?x?x8xf32>) -> tensor<?x?x4xf32>
  %qh = heed.transpose %qr {permutation = array<i64: 1, 0, 2>} : (tensor<?x?x4xf32>) -> tensor<?x?x4xf32>
  %kr = heed.reshape %k {shape = array<i64: 0, -1, 4>} : (tensor<?x?x8xf32>) -> tensor<?x?x4xf32>
  %kh = heed.transpose %kr {permutation = array<i64: 1, 0, 2>} : (tensor<?x?x4xf32>) -> tensor<?x?x4xf32>
  %vr = heed.reshape %v {shape = array<i64: 0, -1, 4>} : (tensor<?x?x8xf32>) -> tensor<?x?x4xf32>
  %vh = heed.transpose %vr {permutation = array<i64: 1, 0, 2>} : (tensor<?x?x4xf32>) -> tensor<?x?x4xf32>
  %o = heed.attention %qh, %kh, %vh, %mask {mask_kind = #heed<mask boolean>, scale = 5.000000e-01 : f32} : (tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<?x1x?xi1>) -> tensor<?x?x4xf32>
  %ot = heed.transpose %o {permutation = array<i64: 1, 0, 2>} : (tensor<?x?x4xf32>) -> tensor<?x?x4xf32>
  %om = heed.reshape %ot {shape = array<i64: 0, -1, 8>} : (tensor<?x?x4xf32>) -> tensor<?x?x8xf32>
  %y = heed.linear %om, %wo, %b : (tensor<?x?x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  %yt = heed.transpose %y {permutation = array<i64: 1, 0, 2>} : (tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  return %yt : tensor<?x?x8xf32>
}

// -----

// Seq-first input (batch_first = False): x is [L, B, E] already. The heads still fold; the
// projections' inputs and outputs are transposed once each (as many copies as the split and
// merge made), and a causal attention without mask operand keeps its mask kind.
// CHECK-LABEL: func.func @mha_seq_first_causal
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x8xf32>)
// CHECK: %[[XT:.*]] = heed.transpose %[[X]] {permutation = array<i64: 1, 0, 2>}
// CHECK: %[[O:.*]] = heed.attention %[[XT]], %[[XT]], %[[XT]] {mask_kind = #heed<mask causal>, num_heads = 2 : i64, scale = 5.000000e-01 : f32} : (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
// CHECK: %[[Y:.*]] = heed.transpose %[[O]] {permutation = array<i64: 1, 0, 2>}
// CHECK: return %[[Y]]
func.func @mha_seq_first_causal(%x: tensor<?x?x8xf32>) -> tensor<?x?x8xf32> {
  %r = heed.reshape %x {shape = array<i64: 0, -1, 4>} : (tensor<?x?x8xf32>) -> tensor<?x?x4xf32>
  %h = heed.transpose %r {permutation = array<i64: 1, 0, 2>} : (tensor<?x?x4xf32>) -> tensor<?x?x4xf32>
  %o = heed.attention %h, %h, %h {mask_kind = #heed<mask causal>, scale = 5.000000e-01 : f32} : (tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<?x?x4xf32>) -> tensor<?x?x4xf32>
  %ot = heed.transpose %o {permutation = array<i64: 1, 0, 2>} : (tensor<?x?x4xf32>) -> tensor<?x?x4xf32>
  %om = heed.reshape %ot {shape = array<i64: 0, -1, 8>} : (tensor<?x?x4xf32>) -> tensor<?x?x8xf32>
  return %om : tensor<?x?x8xf32>
}

// -----

// A mask of one row for all split batches is reshaped, not expanded.
// CHECK-LABEL: func.func @shared_mask
// CHECK-NOT: heed.broadcast
// CHECK: %[[M4:.*]] = heed.reshape_dynamic %{{.*}} : (tensor<1x?x?xf32>, index, index, index, index) -> tensor<1x1x?x?xf32>
// CHECK: heed.attention %{{.*}}, %{{.*}}, %{{.*}}, %[[M4]] {mask_kind = #heed<mask additive>, num_heads = 2 : i64
func.func @shared_mask(%x: tensor<?x?x8xf32>, %mask: tensor<1x?x?xf32>) -> tensor<?x?x8xf32> {
  %r = heed.reshape %x {shape = array<i64: 0, -1, 4>} : (tensor<?x?x8xf32>) -> tensor<?x?x4xf32>
  %h = heed.transpose %r {permutation = array<i64: 1, 0, 2>} : (tensor<?x?x4xf32>) -> tensor<?x?x4xf32>
  %o = heed.attention %h, %h, %h, %mask {mask_kind = #heed<mask additive>, scale = 5.000000e-01 : f32} : (tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<1x?x?xf32>) -> tensor<?x?x4xf32>
  %ot = heed.transpose %o {permutation = array<i64: 1, 0, 2>} : (tensor<?x?x4xf32>) -> tensor<?x?x4xf32>
  %om = heed.reshape %ot {shape = array<i64: 0, -1, 8>} : (tensor<?x?x4xf32>) -> tensor<?x?x8xf32>
  return %om : tensor<?x?x8xf32>
}

// -----

// Left alone: the weights are returned, the output is not merged back, the split is not a
// transpose of the first two dims.
// CHECK-LABEL: func.func @not_folded
// CHECK-COUNT-3: heed.attention %{{.*}} {{{.*}}scale
// CHECK-NOT: num_heads
func.func @not_folded(%x: tensor<?x?x8xf32>, %y: tensor<?x?x8xf32>) -> (tensor<?x?x8xf32>, tensor<?x?x?xf32>, tensor<?x?x4xf32>, tensor<?x?x8xf32>) {
  %r = heed.reshape %x {shape = array<i64: 0, -1, 4>} : (tensor<?x?x8xf32>) -> tensor<?x?x4xf32>
  %h = heed.transpose %r {permutation = array<i64: 1, 0, 2>} : (tensor<?x?x4xf32>) -> tensor<?x?x4xf32>
  %o, %w = heed.attention %h, %h, %h {return_weights, scale = 5.000000e-01 : f32} : (tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<?x?x4xf32>) -> (tensor<?x?x4xf32>, tensor<?x?x?xf32>)
  %ot = heed.transpose %o {permutation = array<i64: 1, 0, 2>} : (tensor<?x?x4xf32>) -> tensor<?x?x4xf32>
  %om = heed.reshape %ot {shape = array<i64: 0, -1, 8>} : (tensor<?x?x4xf32>) -> tensor<?x?x8xf32>
  %r2 = heed.reshape %y {shape = array<i64: 0, -1, 4>} : (tensor<?x?x8xf32>) -> tensor<?x?x4xf32>
  %h2 = heed.transpose %r2 {permutation = array<i64: 1, 0, 2>} : (tensor<?x?x4xf32>) -> tensor<?x?x4xf32>
  %o3 = heed.attention %h2, %h2, %h2 {scale = 5.000000e-01 : f32} : (tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<?x?x4xf32>) -> tensor<?x?x4xf32>
  %o4 = heed.attention %r, %r, %r {scale = 5.000000e-01 : f32} : (tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<?x?x4xf32>) -> tensor<?x?x4xf32>
  %o4t = heed.transpose %o4 {permutation = array<i64: 1, 0, 2>} : (tensor<?x?x4xf32>) -> tensor<?x?x4xf32>
  %o4m = heed.reshape %o4t {shape = array<i64: 0, -1, 8>} : (tensor<?x?x4xf32>) -> tensor<?x?x8xf32>
  return %om, %w, %o3, %o4m : tensor<?x?x8xf32>, tensor<?x?x?xf32>, tensor<?x?x4xf32>, tensor<?x?x8xf32>
}

// -----

// Batch-first heads computed on after the split (a rotary on q and k, the transpose moved after
// it by heed-fuse-rotary), grouped keys and values: num_heads and num_kv_heads on the [B, L, H*D]
// forms; v's split reshape is read through, the rotaries' outputs are reshaped. The mask keeps
// its [B, H, Lq, Lk] layout.
// CHECK-LABEL: func.func @rotary_gqa
// CHECK-SAME: (%[[Q:.*]]: tensor<?x?x8x16xf32>, %[[K:.*]]: tensor<?x?x2x16xf32>, %[[V:.*]]: tensor<?x?x32xf32>, %[[M:.*]]: tensor<?x1x?x?xf32>)
// CHECK-DAG: %[[QF:.*]] = heed.reshape %[[Q]] {shape = array<i64: 0, 0, -1>} : (tensor<?x?x8x16xf32>) -> tensor<?x?x128xf32>
// CHECK-DAG: %[[KF:.*]] = heed.reshape %[[K]] {shape = array<i64: 0, 0, -1>} : (tensor<?x?x2x16xf32>) -> tensor<?x?x32xf32>
// CHECK: %[[O:.*]] = heed.attention %[[QF]], %[[KF]], %[[V]], %[[M]] {mask_kind = #heed<mask additive>, num_heads = 8 : i64, num_kv_heads = 2 : i64, scale = 2.500000e-01 : f32} : (tensor<?x?x128xf32>, tensor<?x?x32xf32>, tensor<?x?x32xf32>, tensor<?x1x?x?xf32>) -> tensor<?x?x128xf32>
// CHECK-NOT: heed.transpose
// CHECK: return %[[O]]
func.func @rotary_gqa(%q: tensor<?x?x8x16xf32>, %k: tensor<?x?x2x16xf32>, %v: tensor<?x?x32xf32>, %m: tensor<?x1x?x?xf32>) -> tensor<?x?x128xf32> {
  %qt = heed.transpose %q {permutation = array<i64: 0, 2, 1, 3>} : (tensor<?x?x8x16xf32>) -> tensor<?x8x?x16xf32>
  %kt = heed.transpose %k {permutation = array<i64: 0, 2, 1, 3>} : (tensor<?x?x2x16xf32>) -> tensor<?x2x?x16xf32>
  %vs = heed.reshape %v {shape = array<i64: 0, 0, 2, 16>} : (tensor<?x?x32xf32>) -> tensor<?x?x2x16xf32>
  %vt = heed.transpose %vs {permutation = array<i64: 0, 2, 1, 3>} : (tensor<?x?x2x16xf32>) -> tensor<?x2x?x16xf32>
  %o = heed.attention %qt, %kt, %vt, %m {mask_kind = #heed<mask additive>, scale = 0.25 : f32} : (tensor<?x8x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x1x?x?xf32>) -> tensor<?x8x?x16xf32>
  %ot = heed.transpose %o {permutation = array<i64: 0, 2, 1, 3>} : (tensor<?x8x?x16xf32>) -> tensor<?x?x8x16xf32>
  %y = heed.reshape %ot {shape = array<i64: 0, 0, -1>} : (tensor<?x?x8x16xf32>) -> tensor<?x?x128xf32>
  return %y : tensor<?x?x128xf32>
}

// -----

// Left alone: a query that is no transposed split, an output read unmerged, and weights
// returned.
// CHECK-LABEL: func.func @batch_first_not_folded
// CHECK-NOT: num_heads
// CHECK: return
func.func @batch_first_not_folded(%q: tensor<2x4x5x16xf32>, %k: tensor<2x5x2x16xf32>, %q4: tensor<2x5x4x16xf32>) -> (tensor<2x5x64xf32>, tensor<2x4x5x16xf32>, tensor<2x5x64xf32>, tensor<2x4x5x5xf32>) {
  %kt = heed.transpose %k {permutation = array<i64: 0, 2, 1, 3>} : (tensor<2x5x2x16xf32>) -> tensor<2x2x5x16xf32>
  %o = heed.attention %q, %kt, %kt {scale = 0.25 : f32} : (tensor<2x4x5x16xf32>, tensor<2x2x5x16xf32>, tensor<2x2x5x16xf32>) -> tensor<2x4x5x16xf32>
  %ot = heed.transpose %o {permutation = array<i64: 0, 2, 1, 3>} : (tensor<2x4x5x16xf32>) -> tensor<2x5x4x16xf32>
  %y = heed.reshape %ot {shape = array<i64: 0, 0, -1>} : (tensor<2x5x4x16xf32>) -> tensor<2x5x64xf32>
  %q4t = heed.transpose %q4 {permutation = array<i64: 0, 2, 1, 3>} : (tensor<2x5x4x16xf32>) -> tensor<2x4x5x16xf32>
  %o2 = heed.attention %q4t, %kt, %kt {scale = 0.25 : f32} : (tensor<2x4x5x16xf32>, tensor<2x2x5x16xf32>, tensor<2x2x5x16xf32>) -> tensor<2x4x5x16xf32>
  %o3, %w = heed.attention %q4t, %kt, %kt {scale = 0.25 : f32, return_weights} : (tensor<2x4x5x16xf32>, tensor<2x2x5x16xf32>, tensor<2x2x5x16xf32>) -> (tensor<2x4x5x16xf32>, tensor<2x4x5x5xf32>)
  %o3t = heed.transpose %o3 {permutation = array<i64: 0, 2, 1, 3>} : (tensor<2x4x5x16xf32>) -> tensor<2x5x4x16xf32>
  %y3 = heed.reshape %o3t {shape = array<i64: 0, 0, -1>} : (tensor<2x5x4x16xf32>) -> tensor<2x5x64xf32>
  return %y, %o2, %y3, %w : tensor<2x5x64xf32>, tensor<2x4x5x16xf32>, tensor<2x5x64xf32>, tensor<2x4x5x5xf32>
}
