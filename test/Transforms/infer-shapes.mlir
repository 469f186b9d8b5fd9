// RUN: heed-opt %s --heed-infer-shapes --verify-roundtrip -split-input-file | FileCheck %s
// --heed-infer-shapes refines heed results to the shapes their ops infer, and
// leaves the types of values that leave the function, feed heed.yield or feed
// a foreign op alone.

// Refinements propagate down a chain; the value returned keeps its type.
// CHECK-LABEL: func.func @chain
// CHECK: %[[L:.*]] = heed.linear {{.*}} -> tensor<?x?x512xf32>
// CHECK: %[[R:.*]] = heed.relu %[[L]] : (tensor<?x?x512xf32>) -> tensor<?x?x512xf32>
// CHECK: %[[S:.*]] = heed.softmax %[[R]] : (tensor<?x?x512xf32>) -> tensor<?x?x?xf32>
// CHECK: return %[[S]] : tensor<?x?x?xf32>
func.func @chain(%x: tensor<?x?x256xf32>) -> tensor<?x?x?xf32> {
  %w = heed.weight "proj.weight" : tensor<512x256xf32>
  %l = heed.linear %x, %w : (tensor<?x?x256xf32>, tensor<512x256xf32>) -> tensor<?x?x?xf32>
  %r = heed.relu %l : (tensor<?x?x?xf32>) -> tensor<?x?x?xf32>
  %s = heed.softmax %r : (tensor<?x?x?xf32>) -> tensor<?x?x?xf32>
  return %s : tensor<?x?x?xf32>
}

// -----

// A value that feeds both a heed op and func.return keeps its type (and so
// the heed op after it sees no more than before), while its sibling that only
// feeds heed ops is refined.
// CHECK-LABEL: func.func @returned_and_used
// CHECK: %[[T:.*]] = heed.tanh %{{.*}} : (tensor<4xf32>) -> tensor<?xf32>
// CHECK: %[[E:.*]] = heed.exp %[[T]] : (tensor<?xf32>) -> tensor<?xf32>
// CHECK: %[[S:.*]] = heed.sqrt %{{.*}} : (tensor<4xf32>) -> tensor<4xf32>
// CHECK: %[[A:.*]] = heed.add %[[E]], %[[S]] : (tensor<?xf32>, tensor<4xf32>) -> tensor<?xf32>
// CHECK: return %[[T]], %[[A]]
func.func @returned_and_used(%x: tensor<4xf32>) -> (tensor<?xf32>, tensor<?xf32>) {
  %t = heed.tanh %x : (tensor<4xf32>) -> tensor<?xf32>
  %e = heed.exp %t : (tensor<?xf32>) -> tensor<?xf32>
  %s = heed.sqrt %x : (tensor<4xf32>) -> tensor<?xf32>
  %a = heed.add %e, %s : (tensor<?xf32>, tensor<?xf32>) -> tensor<?xf32>
  return %t, %a : tensor<?xf32>, tensor<?xf32>
}

// -----

// A foreign user (here a call, whose operand types must match the callee's)
// needs the declared type.
// CHECK-LABEL: func.func @foreign_user
// CHECK: %[[N:.*]] = heed.neg %{{.*}} : (tensor<4xf32>) -> tensor<?xf32>
// CHECK: call @sink(%[[N]]) : (tensor<?xf32>) -> ()
func.func private @sink(tensor<?xf32>)
func.func @foreign_user(%x: tensor<4xf32>) {
  %n = heed.neg %x : (tensor<4xf32>) -> tensor<?xf32>
  func.call @sink(%n) : (tensor<?xf32>) -> ()
  return
}

// -----

// Constant index operands and model widths give static dims.
// CHECK-LABEL: func.func @constants
// CHECK: heed.range {{.*}} -> tensor<10xi64>
// CHECK: heed.causal_mask {{.*}} -> tensor<10x12xi1>
// CHECK: heed.sinusoidal_positions {{.*}} -> tensor<10x64xf32>
// CHECK: heed.sequence_mask {{.*}} -> tensor<?x12xi1>
func.func @constants(%len: tensor<?xi32>) -> (tensor<?xi64>, tensor<?x?xi1>, tensor<?x64xf32>, tensor<?x?xi1>) {
  %zero = arith.constant 0 : index
  %one = arith.constant 1 : index
  %ten = arith.constant 10 : index
  %twelve = arith.constant 12 : index
  %r = heed.range %zero, %ten, %one : (index, index, index) -> tensor<?xi64>
  %c = heed.causal_mask %ten, %twelve : (index, index) -> tensor<?x?xi1>
  %p = heed.sinusoidal_positions %zero, %ten {dim = 64} : (index, index) -> tensor<?x64xf32>
  %m = heed.sequence_mask %len, %twelve : (tensor<?xi32>, index) -> tensor<?x?xi1>
  %r2 = heed.cast %r {to = i64} : (tensor<?xi64>) -> tensor<?xi64>
  %c2 = heed.not %c : (tensor<?x?xi1>) -> tensor<?x?xi1>
  %p2 = heed.relu %p : (tensor<?x64xf32>) -> tensor<?x64xf32>
  %m2 = heed.not %m : (tensor<?x?xi1>) -> tensor<?x?xi1>
  return %r2, %c2, %p2, %m2 : tensor<?xi64>, tensor<?x?xi1>, tensor<?x64xf32>, tensor<?x?xi1>
}

// -----

// Multi-head split with a -1 next to a copied dynamic dim: [?, 256] with
// [0, 4, -1] is [?, 4, 64].
// CHECK-LABEL: func.func @reshape_heads
// CHECK: heed.reshape %{{.*}} {shape = array<i64: 0, 4, -1>} : (tensor<?x256xf32>) -> tensor<?x4x64xf32>
// CHECK: heed.transpose %{{.*}} : (tensor<?x4x64xf32>) -> tensor<4x?x64xf32>
func.func @reshape_heads(%x: tensor<?x256xf32>) -> tensor<?x?x?xf32> {
  %h = heed.reshape %x {shape = array<i64: 0, 4, -1>} : (tensor<?x256xf32>) -> tensor<?x?x?xf32>
  %t = heed.transpose %h {permutation = array<i64: 1, 0, 2>} : (tensor<?x?x?xf32>) -> tensor<?x?x?xf32>
  %y = heed.sigmoid %t : (tensor<?x?x?xf32>) -> tensor<?x?x?xf32>
  return %y : tensor<?x?x?xf32>
}

// -----

// A declared type more static than the inferred one is kept.
// CHECK-LABEL: func.func @already_static
// CHECK: heed.add %{{.*}}, %{{.*}} : (tensor<?xf32>, tensor<?xf32>) -> tensor<8xf32>
func.func @already_static(%x: tensor<?xf32>, %y: tensor<?xf32>) -> tensor<8xf32> {
  %a = heed.add %x, %y : (tensor<?xf32>, tensor<?xf32>) -> tensor<8xf32>
  %b = heed.abs %a : (tensor<8xf32>) -> tensor<8xf32>
  return %b : tensor<8xf32>
}

// -----

// Inside heed.scan: ops refine, but values yielded keep their types, and the
// scan's own types do not change.
// CHECK-LABEL: func.func @scan_body
// CHECK: heed.scan init(%{{.*}} : tensor<?x64xf32>) over(%{{.*}} : tensor<?x?x32xf32>) -> (tensor<?x64xf32>, tensor<?x?x?xf32>)
// CHECK: %[[C:.*]] = heed.rnn_cell {{.*}} -> tensor<?x64xf32>
// CHECK: %[[L:.*]] = heed.linear %[[C]], %{{.*}} : (tensor<?x64xf32>, tensor<16x64xf32>) -> tensor<?x16xf32>
// CHECK: %[[O:.*]] = heed.tanh %[[L]] : (tensor<?x16xf32>) -> tensor<?x?xf32>
// CHECK: heed.yield %[[C]], %[[O]] : tensor<?x64xf32>, tensor<?x?xf32>
func.func @scan_body(%xs: tensor<?x?x32xf32>, %h0: tensor<?x64xf32>, %w: tensor<64x32xf32>, %u: tensor<64x64xf32>, %p: tensor<16x64xf32>) -> tensor<?x?x?xf32> {
  %r:2 = heed.scan init(%h0 : tensor<?x64xf32>) over(%xs : tensor<?x?x32xf32>) -> (tensor<?x64xf32>, tensor<?x?x?xf32>) {
  ^bb0(%h: tensor<?x64xf32>, %x: tensor<?x32xf32>):
    %n = heed.rnn_cell %x, %h, %w, %u : (tensor<?x32xf32>, tensor<?x64xf32>, tensor<64x32xf32>, tensor<64x64xf32>) -> tensor<?x64xf32>
    %l = heed.linear %n, %p : (tensor<?x64xf32>, tensor<16x64xf32>) -> tensor<?x?xf32>
    %o = heed.tanh %l : (tensor<?x?xf32>) -> tensor<?x?xf32>
    heed.yield %n, %o : tensor<?x64xf32>, tensor<?x?xf32>
  }
  return %r#1 : tensor<?x?x?xf32>
}

// -----

// A cell whose states leave H open takes it from the weights' G*H rows.
// CHECK-LABEL: func.func @cell_hidden_from_weights
// CHECK: heed.gru_cell {{.*}} -> tensor<?x64xf32>
func.func @cell_hidden_from_weights(%x: tensor<?x32xf32>, %h: tensor<?x?xf32>, %w: tensor<192x32xf32>, %u: tensor<192x?xf32>) -> tensor<?x?xf32> {
  %y = heed.gru_cell %x, %h, %w, %u : (tensor<?x32xf32>, tensor<?x?xf32>, tensor<192x32xf32>, tensor<192x?xf32>) -> tensor<?x?xf32>
  %z = heed.tanh %y : (tensor<?x?xf32>) -> tensor<?x?xf32>
  return %z : tensor<?x?xf32>
}

// -----

// A dynamic query batch broadcasts to (or is) the keys' 3; a dynamic heads
// dim may also be a multiple of the keys' (grouped-query), so it stays open.
// CHECK-LABEL: func.func @attention_batch_from_keys
// CHECK: heed.attention {{.*}} -> tensor<3x?x5x8xf32>
func.func @attention_batch_from_keys(%q: tensor<?x?x5x8xf32>, %k: tensor<3x2x6x8xf32>) -> tensor<?x?x?x?xf32> {
  %o = heed.attention %q, %k, %k {scale = 1.0 : f32} : (tensor<?x?x5x8xf32>, tensor<3x2x6x8xf32>, tensor<3x2x6x8xf32>) -> tensor<?x?x?x?xf32>
  %r = heed.relu %o : (tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32>
  return %r : tensor<?x?x?x?xf32>
}

// -----

// An op whose shapes cannot be inferred better is left as it is.
// CHECK-LABEL: func.func @nothing_to_refine
// CHECK: heed.matmul %{{.*}}, %{{.*}} : (tensor<?x?xf32>, tensor<?x?xf32>) -> tensor<?x?xf32>
func.func @nothing_to_refine(%a: tensor<?x?xf32>, %b: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %c = heed.matmul %a, %b : (tensor<?x?xf32>, tensor<?x?xf32>) -> tensor<?x?xf32>
  %d = heed.exp %c : (tensor<?x?xf32>) -> tensor<?x?xf32>
  return %d : tensor<?x?xf32>
}
