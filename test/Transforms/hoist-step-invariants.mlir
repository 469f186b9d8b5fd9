// RUN: heed-opt %s --split-input-file --heed-hoist-step-invariants | FileCheck %s
// decode_step's per-source work moves to encode, row-wise work only; states, batch-mixing ops
// and modules not linked by heed-compile --decoder stay as they are.

// The cross-attention keys (linear of the encoder states by a slice of a packed weight, head
// split) and the padding fill (where of the compare of the source mask) move; the state, the
// token and their uses stay.
// CHECK-LABEL: module attributes {heed.linked_decoder}
// CHECK: func.func @encode
// CHECK-SAME: heed.dims = ["B", "step_invariant.0.1", "4", "16"], heed.name = "step_invariant.0"
// CHECK-SAME: heed.dims = ["B", "step_invariant.1.1"], heed.name = "step_invariant.1"
// CHECK: %[[H:[0-9]+]] = heed.mul
// CHECK: %[[W:[0-9]+]] = heed.slice
// CHECK: %[[K:[0-9]+]] = heed.linear %[[H]], %[[W]]
// CHECK: %[[KH:[0-9]+]] = heed.reshape %[[K]] {shape = array<i64: 0, 0, 4, 16>}
// CHECK: %[[PAD:[0-9]+]] = heed.compare eq, %arg1, %{{[0-9]+}}
// CHECK: %[[FILL:[0-9]+]] = heed.where %[[PAD]]
// CHECK: return %[[H]], %[[KH]], %[[FILL]] :
// CHECK: func.func @decode_step(%arg0: tensor<?xi64> {{.*}}, %arg1: tensor<?x?x64xf32> {{.*}}, %arg2: tensor<?x?xi64> {{.*}}, %arg3: tensor<?x?x64xf32> {{.*}}, %arg4: tensor<?x?x4x16xf32> {heed.dims = ["B", "step_invariant.0.1", "4", "16"], heed.name = "step_invariant.0"}, %arg5: tensor<?x?xf32> {heed.dims = ["B", "step_invariant.1.1"], heed.name = "step_invariant.1"})
// CHECK-NOT: heed.linear
// CHECK-NOT: heed.compare
// CHECK-NOT: heed.where
// CHECK: heed.mul %{{[0-9]+}}, %arg5
// CHECK: heed.mul %{{[0-9]+}}, %arg4
// CHECK: heed.concat %arg3
module attributes {heed.linked_decoder} {
  func.func @encode(%src: tensor<?x?xi64> {heed.dims = ["B", "S"], heed.name = "input_ids"},
                    %mask: tensor<?x?xi64> {heed.dims = ["B", "S"], heed.name = "attention_mask"})
      -> (tensor<?x?x64xf32> {heed.dims = ["B", "S", "64"], heed.name = "last_hidden_state"}) {
    %x = heed.cast %src {to = f32} : (tensor<?x?xi64>) -> tensor<?x?xf32>
    %y = heed.reshape %x {shape = array<i64: 0, 0, 1>} : (tensor<?x?xf32>) -> tensor<?x?x1xf32>
    %w = heed.constant dense<1.0> : tensor<1x64xf32>
    %h = heed.mul %y, %w : (tensor<?x?x1xf32>, tensor<1x64xf32>) -> tensor<?x?x64xf32>
    return %h : tensor<?x?x64xf32>
  }
  func.func @decode_step(%tok: tensor<?xi64> {heed.dims = ["B"], heed.name = "input_ids"},
                         %mem: tensor<?x?x64xf32> {heed.dims = ["B", "S", "64"], heed.name = "last_hidden_state"},
                         %mask: tensor<?x?xi64> {heed.dims = ["B", "S"], heed.name = "attention_mask"},
                         %past: tensor<?x?x64xf32> {heed.dims = ["B", "T", "64"], heed.name = "past"})
      -> (tensor<?x13xf32> {heed.dims = ["B", "13"], heed.name = "log_probs"},
          tensor<?x?x64xf32> {heed.dims = ["B", "T", "64"], heed.name = "past"},
          tensor<?x?x4x16xf32> {heed.dims = ["B", "S", "4", "16"], heed.name = "attention"}) {
    %packed = heed.constant dense<0.5> : tensor<128x64xf32>
    %wk = heed.slice %packed {axis = 0 : i64, start = 0 : i64, end = 64 : i64} : (tensor<128x64xf32>) -> tensor<64x64xf32>
    %k = heed.linear %mem, %wk : (tensor<?x?x64xf32>, tensor<64x64xf32>) -> tensor<?x?x64xf32>
    %kh = heed.reshape %k {shape = array<i64: 0, 0, 4, 16>} : (tensor<?x?x64xf32>) -> tensor<?x?x4x16xf32>
    %zero = heed.constant dense<0> : tensor<i64>
    %pad = heed.compare eq, %mask, %zero : (tensor<?x?xi64>, tensor<i64>) -> tensor<?x?xi1>
    %ninf = heed.constant dense<-1.0e+09> : tensor<f32>
    %one = heed.constant dense<1.0> : tensor<f32>
    %fill = heed.where %pad, %ninf, %one : (tensor<?x?xi1>, tensor<f32>, tensor<f32>) -> tensor<?x?xf32>
    %e = heed.reshape %tok {shape = array<i64: -1, 1>} : (tensor<?xi64>) -> tensor<?x1xi64>
    %ef = heed.cast %e {to = f32} : (tensor<?x1xi64>) -> tensor<?x1xf32>
    %s = heed.mul %ef, %fill : (tensor<?x1xf32>, tensor<?x?xf32>) -> tensor<?x?xf32>
    %s4 = heed.reshape %s {shape = array<i64: 0, 0, 1, 1>} : (tensor<?x?xf32>) -> tensor<?x?x1x1xf32>
    %a = heed.mul %s4, %kh : (tensor<?x?x1x1xf32>, tensor<?x?x4x16xf32>) -> tensor<?x?x4x16xf32>
    %t = heed.reshape %ef {shape = array<i64: 0, 1, 1>} : (tensor<?x1xf32>) -> tensor<?x1x1xf32>
    %ones = heed.constant dense<1.0> : tensor<1x1x64xf32>
    %new = heed.mul %t, %ones : (tensor<?x1x1xf32>, tensor<1x1x64xf32>) -> tensor<?x1x64xf32>
    %next = heed.concat %past, %new {axis = 1 : i64} : (tensor<?x?x64xf32>, tensor<?x1x64xf32>) -> tensor<?x?x64xf32>
    %lp = heed.constant dense<0.0> : tensor<1x13xf32>
    %lpb = heed.mul %ef, %lp : (tensor<?x1xf32>, tensor<1x13xf32>) -> tensor<?x13xf32>
    return %lpb, %next, %a : tensor<?x13xf32>, tensor<?x?x64xf32>, tensor<?x?x4x16xf32>
  }
}

// -----

// Softmax across the batch, a contraction over it, and a constant that varies along it mix
// rows: nothing moves (row b of each would depend on other rows, or on b itself).
// CHECK-LABEL: module attributes {heed.linked_decoder}
// CHECK-NOT: step_invariant
// CHECK: heed.softmax %arg1 {axis = 0 : i64}
// CHECK: heed.matmul %arg1, %{{[0-9]+}} {transpose_a = true}
// CHECK: heed.add %arg1, %{{[0-9]+}}
// CHECK-NOT: step_invariant
module attributes {heed.linked_decoder} {
  func.func @encode(%src: tensor<?x8xi64> {heed.dims = ["B", "8"], heed.name = "input_ids"})
      -> (tensor<?x8xf32> {heed.dims = ["B", "8"], heed.name = "memory"}) {
    %x = heed.cast %src {to = f32} : (tensor<?x8xi64>) -> tensor<?x8xf32>
    return %x : tensor<?x8xf32>
  }
  func.func @decode_step(%tok: tensor<?xi64> {heed.dims = ["B"], heed.name = "input_ids"},
                         %mem: tensor<?x8xf32> {heed.dims = ["B", "8"], heed.name = "memory"})
      -> (tensor<?x8xf32> {heed.dims = ["B", "8"], heed.name = "log_probs"},
          tensor<8x3xf32> {heed.dims = ["8", "3"], heed.name = "gram"},
          tensor<?x8xf32> {heed.dims = ["B", "8"], heed.name = "rows"}) {
    %sm = heed.softmax %mem {axis = 0 : i64} : (tensor<?x8xf32>) -> tensor<?x8xf32>
    %w = heed.constant dense<1.0> : tensor<4x3xf32>
    %g = heed.matmul %mem, %w {transpose_a = true} : (tensor<?x8xf32>, tensor<4x3xf32>) -> tensor<8x3xf32>
    %c = heed.constant dense<1.0> : tensor<4x8xf32>
    %r = heed.add %mem, %c : (tensor<?x8xf32>, tensor<4x8xf32>) -> tensor<?x8xf32>
    return %sm, %g, %r : tensor<?x8xf32>, tensor<8x3xf32>, tensor<?x8xf32>
  }
}

// -----

// A hand-written module (no heed.linked_decoder): its decode_step signature is the user's.
// CHECK-LABEL: module {
// CHECK-NOT: step_invariant
module {
  func.func @encode(%src: tensor<?x8xi64> {heed.dims = ["B", "8"], heed.name = "src"})
      -> (tensor<?x8xf32> {heed.dims = ["B", "8"], heed.name = "memory"}) {
    %x = heed.cast %src {to = f32} : (tensor<?x8xi64>) -> tensor<?x8xf32>
    return %x : tensor<?x8xf32>
  }
  func.func @decode_step(%tok: tensor<?xi64> {heed.dims = ["B"], heed.name = "prev"},
                         %mem: tensor<?x8xf32> {heed.dims = ["B", "8"], heed.name = "memory"})
      -> (tensor<?x8xf32> {heed.dims = ["B", "8"], heed.name = "log_probs"}) {
    %e = heed.exp %mem : (tensor<?x8xf32>) -> tensor<?x8xf32>
    return %e : tensor<?x8xf32>
  }
}
