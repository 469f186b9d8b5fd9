// RUN: heed-opt %s --heed-canonicalize-attention -split-input-file | FileCheck %s
// Hugging Face BART's attention on [B * H, L, D] views back in [B, H, L, D] form.

// bmm of two merges of the same [B, H], split back into [B, H] -> the 4-D product; the softmax of
// the merged scores -> before the merge; the product with the merged values, split -> 4-D.
// CHECK-LABEL: func.func @bart
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x4x16xf32>)
// CHECK: %[[Q:.*]] = heed.transpose %[[X]]
// CHECK: %[[K:.*]] = heed.neg %[[Q]]
// CHECK: %[[V:.*]] = heed.exp %[[Q]]
// CHECK: %[[M:.*]] = heed.matmul %[[V]], %[[V]]
// CHECK: %[[S:.*]] = heed.matmul %[[Q]], %[[K]] {transpose_b = true} : (tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x?xf32>
// CHECK: %[[A:.*]] = heed.add %[[S]], %[[M]]
// CHECK: %[[P:.*]] = heed.softmax %[[A]] {axis = 3 : i64} : (tensor<?x4x?x?xf32>) -> tensor<?x4x?x?xf32>
// CHECK: %[[O:.*]] = heed.matmul %[[P]], %[[V]] : (tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
// CHECK: return %[[O]]
func.func @bart(%x: tensor<?x?x4x16xf32>) -> tensor<?x4x?x16xf32> {
  %c4 = arith.constant 4 : index
  %cm1 = arith.constant -1 : index
  %c16 = arith.constant 16 : index
  %q = heed.transpose %x {permutation = array<i64: 0, 2, 1, 3>} : (tensor<?x?x4x16xf32>) -> tensor<?x4x?x16xf32>
  %k = heed.neg %q : (tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  %v = heed.exp %q : (tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  %b = heed.dim %x, 0 : tensor<?x?x4x16xf32>
  %l = heed.dim %x, 1 : tensor<?x?x4x16xf32>
  %m = heed.matmul %v, %v {transpose_b = true} : (tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x?xf32>
  %bh = arith.muli %b, %c4 : index
  %q3 = heed.reshape_dynamic %q, %bh, %cm1, %c16 : (tensor<?x4x?x16xf32>, index, index, index) -> tensor<?x?x16xf32>
  %k3 = heed.reshape_dynamic %k, %bh, %cm1, %c16 : (tensor<?x4x?x16xf32>, index, index, index) -> tensor<?x?x16xf32>
  %v3 = heed.reshape_dynamic %v, %bh, %cm1, %c16 : (tensor<?x4x?x16xf32>, index, index, index) -> tensor<?x?x16xf32>
  %s = heed.dim %k3, 1 : tensor<?x?x16xf32>
  %w3 = heed.matmul %q3, %k3 {transpose_b = true} : (tensor<?x?x16xf32>, tensor<?x?x16xf32>) -> tensor<?x?x?xf32>
  %w4 = heed.reshape_dynamic %w3, %b, %c4, %l, %s : (tensor<?x?x?xf32>, index, index, index, index) -> tensor<?x4x?x?xf32>
  %a4 = heed.add %w4, %m : (tensor<?x4x?x?xf32>, tensor<?x4x?x?xf32>) -> tensor<?x4x?x?xf32>
  %a3 = heed.reshape_dynamic %a4, %bh, %l, %s : (tensor<?x4x?x?xf32>, index, index, index) -> tensor<?x?x?xf32>
  %p3 = heed.softmax %a3 {axis = -1 : i64} : (tensor<?x?x?xf32>) -> tensor<?x?x?xf32>
  %o3 = heed.matmul %p3, %v3 : (tensor<?x?x?xf32>, tensor<?x?x16xf32>) -> tensor<?x?x16xf32>
  %o4 = heed.reshape_dynamic %o3, %b, %c4, %l, %c16 : (tensor<?x?x16xf32>, index, index, index, index) -> tensor<?x4x?x16xf32>
  return %o4 : tensor<?x4x?x16xf32>
}

// -----

// Left alone: a split into other factors than the merges' ([H, B] instead of [B, H]), merges of
// different batches, and a softmax over a merged row whose last dim the reshape changes.
// CHECK-LABEL: func.func @not_merged
// CHECK-COUNT-2: heed.matmul {{.*}} : (tensor<?x?x16xf32>, tensor<?x?x16xf32>) -> tensor<?x?x?xf32>
// CHECK: heed.reshape_dynamic
// CHECK: heed.softmax %{{.*}} : (tensor<?x?xf32>)
func.func @not_merged(%q: tensor<?x4x?x16xf32>, %k: tensor<?x4x?x16xf32>, %k2: tensor<?x4x?x16xf32>, %x: tensor<?x4x?x?xf32>)
    -> (tensor<4x?x?x?xf32>, tensor<?x4x?x?xf32>, tensor<?x?xf32>) {
  %c4 = arith.constant 4 : index
  %cm1 = arith.constant -1 : index
  %c16 = arith.constant 16 : index
  %b = heed.dim %q, 0 : tensor<?x4x?x16xf32>
  %b2 = heed.dim %k2, 0 : tensor<?x4x?x16xf32>
  %l = heed.dim %q, 2 : tensor<?x4x?x16xf32>
  %s = heed.dim %k, 2 : tensor<?x4x?x16xf32>
  %bh = arith.muli %b, %c4 : index
  %bh2 = arith.muli %b2, %c4 : index
  %q3 = heed.reshape_dynamic %q, %bh, %cm1, %c16 : (tensor<?x4x?x16xf32>, index, index, index) -> tensor<?x?x16xf32>
  %k3 = heed.reshape_dynamic %k, %bh, %cm1, %c16 : (tensor<?x4x?x16xf32>, index, index, index) -> tensor<?x?x16xf32>
  %w3 = heed.matmul %q3, %k3 {transpose_b = true} : (tensor<?x?x16xf32>, tensor<?x?x16xf32>) -> tensor<?x?x?xf32>
  %hb = heed.reshape_dynamic %w3, %c4, %b, %l, %s : (tensor<?x?x?xf32>, index, index, index, index) -> tensor<4x?x?x?xf32>
  %k23 = heed.reshape_dynamic %k2, %bh2, %cm1, %c16 : (tensor<?x4x?x16xf32>, index, index, index) -> tensor<?x?x16xf32>
  %w23 = heed.matmul %q3, %k23 {transpose_b = true} : (tensor<?x?x16xf32>, tensor<?x?x16xf32>) -> tensor<?x?x?xf32>
  %other = heed.reshape_dynamic %w23, %b, %c4, %l, %s : (tensor<?x?x?xf32>, index, index, index, index) -> tensor<?x4x?x?xf32>
  %flat = heed.reshape_dynamic %x, %cm1, %l : (tensor<?x4x?x?xf32>, index, index) -> tensor<?x?xf32>
  %p = heed.softmax %flat {axis = -1 : i64} : (tensor<?x?xf32>) -> tensor<?x?xf32>
  return %hb, %other, %p : tensor<4x?x?x?xf32>, tensor<?x4x?x?xf32>, tensor<?x?xf32>
}

// -----

// torch's expand() size logic (size == -1 ? 1 : size) folds: a size is never negative; a size
// read from a tensor is read from where it comes from.
// CHECK-LABEL: func.func @sizes
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x8xf32>, %[[W:.*]]: tensor<8x8xf32>)
// CHECK: %[[N:.*]] = heed.dim %[[X]], 0
// CHECK-NOT: arith.select
// CHECK: heed.full false[%[[N]]] : tensor<?x1xi1>
func.func @sizes(%x: tensor<?x?x8xf32>, %w: tensor<8x8xf32>) -> tensor<?x1xi1> {
  %cm1 = arith.constant -1 : index
  %c1 = arith.constant 1 : index
  %y = heed.matmul %x, %w : (tensor<?x?x8xf32>, tensor<8x8xf32>) -> tensor<?x?x8xf32>
  %n = heed.dim %y, 0 : tensor<?x?x8xf32>
  %is = arith.cmpi eq, %n, %cm1 : index
  %d = arith.select %is, %c1, %n : index
  %f = heed.full false[%d] : tensor<?x1xi1>
  return %f : tensor<?x1xi1>
}

// -----

// The batch dims of a batched product come from the operands' batch dims (right-aligned, their
// matrices included), not from their rows: dim 0 of q k^T is x's dim 0, dim 2 is x's dim 2.
// CHECK-LABEL: func.func @product_dims
// CHECK-SAME: (%[[X:.*]]: tensor<?x4x?x16xf32>)
// CHECK-DAG: %[[B:.*]] = heed.dim %[[X]], 0
// CHECK-DAG: %[[L:.*]] = heed.dim %[[X]], 2
// CHECK: return %[[B]], %[[L]]
func.func @product_dims(%x: tensor<?x4x?x16xf32>) -> (index, index) {
  %k = heed.neg %x : (tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  %s = heed.matmul %x, %k {transpose_b = true} : (tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x?xf32>
  %b = heed.dim %s, 0 : tensor<?x4x?x?xf32>
  %l = heed.dim %s, 3 : tensor<?x4x?x?xf32>
  return %b, %l : index, index
}

// -----

// A scale on merged-heads scores follows their split (HF BART's decoder step: q * scaling moved
// onto the [B * H, 1, S] scores by the canonicalization, then split to [B, H, 1, S]).
// CHECK-LABEL: func.func @scale_after_split
// CHECK: %[[R:.*]] = heed.reshape_dynamic %arg0, %arg1, %c4, %c1, %arg2 : (tensor<?x1x?xf32>, index, index, index, index) -> tensor<?x4x1x?xf32>
// CHECK: %[[S:.*]] = heed.mul %[[R]], %{{.*}} : (tensor<?x4x1x?xf32>, tensor<f32>) -> tensor<?x4x1x?xf32>
// CHECK: return %[[S]]
func.func @scale_after_split(%s: tensor<?x1x?xf32>, %b: index, %n: index) -> tensor<?x4x1x?xf32> {
  %c4 = arith.constant 4 : index
  %c1 = arith.constant 1 : index
  %c = heed.constant dense<0.25> : tensor<f32>
  %m = heed.mul %s, %c : (tensor<?x1x?xf32>, tensor<f32>) -> tensor<?x1x?xf32>
  %r = heed.reshape_dynamic %m, %b, %c4, %c1, %n : (tensor<?x1x?xf32>, index, index, index, index) -> tensor<?x4x1x?xf32>
  return %r : tensor<?x4x1x?xf32>
}

// -----

// Dims an entry function's heed.dims names alike (ONNX dim_param, enforced before running by
// heed_function_invoke) are one size: m's "B" is read from x, the first argument naming it.
// Names that differ, a name used once and unnamed arguments prove nothing.
// CHECK-LABEL: func.func @named_dims
// CHECK-SAME: (%[[X:[^:]*]]: tensor<?x?x8xf32> {{.*}}, %[[M:[^:]*]]: tensor<?x?x8xf32> {{.*}}, %[[N:[^:]*]]: tensor<?x?x8xf32> {{.*}}, %[[U:[^:]*]]: tensor<?x8xf32>)
// CHECK-DAG: %[[B:.*]] = heed.dim %[[X]], 0
// CHECK-DAG: %[[S:.*]] = heed.dim %[[M]], 1
// CHECK-DAG: %[[C:.*]] = heed.dim %[[N]], 0
// CHECK-DAG: %[[D:.*]] = heed.dim %[[U]], 0
// CHECK: return %[[B]], %[[S]], %[[C]], %[[D]]
func.func @named_dims(%x: tensor<?x?x8xf32> {heed.dims = ["B", "T", "8"]}, %m: tensor<?x?x8xf32> {heed.dims = ["B", "S", "8"]},
                      %n: tensor<?x?x8xf32> {heed.dims = ["C", "T2", "8"]}, %u: tensor<?x8xf32>) -> (index, index, index, index) {
  %b = heed.dim %m, 0 : tensor<?x?x8xf32>
  %s = heed.dim %m, 1 : tensor<?x?x8xf32>
  %c = heed.dim %n, 0 : tensor<?x?x8xf32>
  %d = heed.dim %u, 0 : tensor<?x8xf32>
  return %b, %s, %c, %d : index, index, index, index
}
