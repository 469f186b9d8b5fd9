// RUN: heed-opt %s -canonicalize -split-input-file | FileCheck %s
// Every folder and canonicalization pattern of the heed dialect, with the
// cases that must NOT fold next to the ones that must.

// CHECK-LABEL: func.func @constants_dedup
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK: %[[C:.*]] = heed.constant dense<2.000000e+00> : tensor<4xf32>
// CHECK-NOT: heed.constant
// CHECK: %[[A:.*]] = heed.add %[[X]], %[[C]]
// CHECK: heed.mul %[[A]], %[[C]]
func.func @constants_dedup(%x: tensor<4xf32>) -> tensor<4xf32> {
  %c0 = heed.constant dense<2.0> : tensor<4xf32>
  %c1 = heed.constant dense<2.0> : tensor<4xf32>
  %unused = heed.constant dense<3.0> : tensor<4xf32>
  %a = heed.add %x, %c0 : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %b = heed.mul %a, %c1 : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %b : tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @dim_of_static_dim
// CHECK-SAME: (%[[X:.*]]: tensor<?x4xf32>)
// CHECK-DAG: %[[FOUR:.*]] = arith.constant 4 : index
// CHECK-DAG: %[[D:.*]] = heed.dim %[[X]], 0 : tensor<?x4xf32>
// CHECK: return %[[D]], %[[FOUR]], %[[FOUR]] : index, index, index
func.func @dim_of_static_dim(%x: tensor<?x4xf32>) -> (index, index, index) {
  %d0 = heed.dim %x, 0 : tensor<?x4xf32>
  %d1 = heed.dim %x, 1 : tensor<?x4xf32>
  %last = heed.dim %x, -1 : tensor<?x4xf32>
  return %d0, %d1, %last : index, index, index
}

// -----

// CHECK-LABEL: func.func @double_negation
// CHECK-SAME: (%[[X:.*]]: tensor<?xf32>, %[[B:.*]]: tensor<?xi1>)
// CHECK-NEXT: return %[[X]], %[[B]]
func.func @double_negation(%x: tensor<?xf32>, %b: tensor<?xi1>) -> (tensor<?xf32>, tensor<?xi1>) {
  %n = heed.neg %x : (tensor<?xf32>) -> tensor<?xf32>
  %nn = heed.neg %n : (tensor<?xf32>) -> tensor<?xf32>
  %m = heed.not %b : (tensor<?xi1>) -> tensor<?xi1>
  %mm = heed.not %m : (tensor<?xi1>) -> tensor<?xi1>
  return %nn, %mm : tensor<?xf32>, tensor<?xi1>
}

// -----

// A refined result type is kept: neg(neg(x)) is not x's type here.
// CHECK-LABEL: func.func @double_negation_refined
// CHECK: heed.neg
// CHECK: heed.neg
func.func @double_negation_refined(%x: tensor<?xf32>) -> tensor<4xf32> {
  %n = heed.neg %x : (tensor<?xf32>) -> tensor<?xf32>
  %nn = heed.neg %n : (tensor<?xf32>) -> tensor<4xf32>
  return %nn : tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @single_negation
// CHECK: %[[N:.*]] = heed.neg
// CHECK: return %[[N]]
func.func @single_negation(%x: tensor<?xf32>) -> tensor<?xf32> {
  %n = heed.neg %x : (tensor<?xf32>) -> tensor<?xf32>
  return %n : tensor<?xf32>
}

// -----

// CHECK-LABEL: func.func @cast_to_same_type
// CHECK-SAME: (%[[X:.*]]: tensor<?xf32>)
// CHECK-NOT: heed.cast
// CHECK: return %[[X]]
func.func @cast_to_same_type(%x: tensor<?xf32>) -> tensor<?xf32> {
  %y = heed.cast %x {to = f32} : (tensor<?xf32>) -> tensor<?xf32>
  return %y : tensor<?xf32>
}

// -----

// CHECK-LABEL: func.func @cast_to_other_type
// CHECK: %[[Y:.*]] = heed.cast %{{.*}} {to = i32}
// CHECK: return %[[Y]]
func.func @cast_to_other_type(%x: tensor<?xf32>) -> tensor<?xi32> {
  %y = heed.cast %x {to = i32} : (tensor<?xf32>) -> tensor<?xi32>
  return %y : tensor<?xi32>
}

// -----

// An integer scalar constant cast to a float (q.size(-1) of a static head size, exported as
// Cast(64)) folds into the float constant.
// CHECK-LABEL: func.func @cast_constant
// CHECK-NOT: heed.cast
// CHECK: %[[S:.*]] = heed.constant dense<6.400000e+01> : tensor<f32>
// CHECK: return %[[S]]
func.func @cast_constant() -> tensor<f32> {
  %d = heed.constant dense<64> : tensor<i64>
  %f = heed.cast %d {to = f32} : (tensor<i64>) -> tensor<f32>
  return %f : tensor<f32>
}

// -----

// Not folded: a cast to an integer type, a cast of an integer that a double does not hold
// exactly.
// CHECK-LABEL: func.func @no_constant_fold
// CHECK: heed.cast %{{.*}} {to = i32}
// CHECK: heed.cast %{{.*}} {to = f32}
func.func @no_constant_fold() -> (tensor<i32>, tensor<f32>) {
  %c = heed.constant dense<2.5> : tensor<f32>
  %i = heed.cast %c {to = i32} : (tensor<f32>) -> tensor<i32>
  %big = heed.constant dense<9007199254740993> : tensor<i64>
  %b = heed.cast %big {to = f32} : (tensor<i64>) -> tensor<f32>
  return %i, %b : tensor<i32>, tensor<f32>
}

// -----

// CHECK-LABEL: func.func @arithmetic_identities
// CHECK-SAME: (%[[X:.*]]: tensor<2x4xf32>)
// CHECK-NOT: heed.add
// CHECK-NOT: heed.sub
// CHECK-NOT: heed.mul
// CHECK-NOT: heed.div
// CHECK: return %[[X]], %[[X]], %[[X]], %[[X]], %[[X]], %[[X]]
func.func @arithmetic_identities(%x: tensor<2x4xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>) {
  %zero = heed.constant dense<0.0> : tensor<4xf32>
  %one = heed.constant dense<1.0> : tensor<1x1xf32>
  %a = heed.add %x, %zero : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  %b = heed.add %zero, %x : (tensor<4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  %c = heed.sub %x, %zero : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  %d = heed.mul %x, %one : (tensor<2x4xf32>, tensor<1x1xf32>) -> tensor<2x4xf32>
  %e = heed.mul %one, %x : (tensor<1x1xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  %f = heed.div %x, %one : (tensor<2x4xf32>, tensor<1x1xf32>) -> tensor<2x4xf32>
  return %a, %b, %c, %d, %e, %f : tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>
}

// -----

// CHECK-LABEL: func.func @integer_identities
// CHECK-SAME: (%[[X:.*]]: tensor<?xi64>)
// CHECK-NEXT: return %[[X]], %[[X]]
func.func @integer_identities(%x: tensor<?xi64>) -> (tensor<?xi64>, tensor<?xi64>) {
  %zero = heed.constant dense<0> : tensor<1xi64>
  %one = heed.constant dense<1> : tensor<i64>
  %a = heed.add %x, %zero : (tensor<?xi64>, tensor<1xi64>) -> tensor<?xi64>
  %b = heed.mul %x, %one : (tensor<?xi64>, tensor<i64>) -> tensor<?xi64>
  return %a, %b : tensor<?xi64>, tensor<?xi64>
}

// -----

// 0 - x and 1 / x are not x.
// CHECK-LABEL: func.func @not_identities
// CHECK: heed.sub
// CHECK: heed.div
// CHECK: heed.add
// CHECK: heed.mul
func.func @not_identities(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %zero = heed.constant dense<0.0> : tensor<4xf32>
  %one = heed.constant dense<1.0> : tensor<4xf32>
  %a = heed.sub %zero, %x : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %b = heed.div %one, %x : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  // Not splats of the identity.
  %two = heed.constant dense<[0.0, 0.0, 0.0, 1.0]> : tensor<4xf32>
  %c = heed.add %x, %two : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %d = heed.mul %x, %zero : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %a, %b, %c, %d : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// -----

// The identity operand broadcasts x to a bigger shape: x + 0 is not x.
// CHECK-LABEL: func.func @identity_broadcasts_to_bigger_rank
// CHECK: %[[A:.*]] = heed.add
// CHECK: %[[M:.*]] = heed.mul
// CHECK: return %[[A]], %[[M]]
func.func @identity_broadcasts_to_bigger_rank(%x: tensor<4xf32>) -> (tensor<3x4xf32>, tensor<3x4xf32>) {
  %zero = heed.constant dense<0.0> : tensor<3x4xf32>
  %one = heed.constant dense<1.0> : tensor<3x1xf32>
  %a = heed.add %x, %zero : (tensor<4xf32>, tensor<3x4xf32>) -> tensor<3x4xf32>
  %m = heed.mul %one, %x : (tensor<3x1xf32>, tensor<4xf32>) -> tensor<3x4xf32>
  return %a, %m : tensor<3x4xf32>, tensor<3x4xf32>
}

// -----

// x's dynamic dim may be 1 at run time, and the identity [4] would grow it to
// 4: even with the result declared as x's type, x + 0 is not x.
// CHECK-LABEL: func.func @identity_grows_dynamic_dim
// CHECK: %[[A:.*]] = heed.add
// CHECK: %[[D:.*]] = heed.div
// CHECK: return %[[A]], %[[D]]
func.func @identity_grows_dynamic_dim(%x: tensor<?xf32>, %y: tensor<?xf32>) -> (tensor<?xf32>, tensor<?xf32>) {
  %zero = heed.constant dense<0.0> : tensor<4xf32>
  %a = heed.add %x, %zero : (tensor<?xf32>, tensor<4xf32>) -> tensor<?xf32>
  %one = heed.constant dense<1.0> : tensor<4xf32>
  %d = heed.div %y, %one : (tensor<?xf32>, tensor<4xf32>) -> tensor<?xf32>
  return %a, %d : tensor<?xf32>, tensor<?xf32>
}

// -----

// CHECK-LABEL: func.func @reshape_identity
// CHECK-SAME: (%[[X:.*]]: tensor<2x6xf32>, %[[Y:.*]]: tensor<?x?x512xf32>)
// CHECK-NOT: heed.reshape
// CHECK: return %[[X]], %[[Y]], %[[Y]]
func.func @reshape_identity(%x: tensor<2x6xf32>, %y: tensor<?x?x512xf32>) -> (tensor<2x6xf32>, tensor<?x?x512xf32>, tensor<?x?x512xf32>) {
  %a = heed.reshape %x {shape = array<i64: 2, -1>} : (tensor<2x6xf32>) -> tensor<2x6xf32>
  %b = heed.reshape %y {shape = array<i64: 0, 0, 512>} : (tensor<?x?x512xf32>) -> tensor<?x?x512xf32>
  %c = heed.reshape %y {shape = array<i64: 0, -1, 512>} : (tensor<?x?x512xf32>) -> tensor<?x?x512xf32>
  return %a, %b, %c : tensor<2x6xf32>, tensor<?x?x512xf32>, tensor<?x?x512xf32>
}

// -----

// The -1 takes what the pinned dims leave: [a, b] with [-1, 0] is [a, b].
// CHECK-LABEL: func.func @reshape_identity_inferred
// CHECK-SAME: (%[[X:.*]]: tensor<?x?xf32>, %[[Y:.*]]: tensor<?x4xf32>)
// CHECK-NEXT: return %[[X]], %[[Y]]
func.func @reshape_identity_inferred(%x: tensor<?x?xf32>, %y: tensor<?x4xf32>) -> (tensor<?x?xf32>, tensor<?x4xf32>) {
  %a = heed.reshape %x {shape = array<i64: -1, 0>} : (tensor<?x?xf32>) -> tensor<?x?xf32>
  %b = heed.reshape %y {shape = array<i64: -1, 4>} : (tensor<?x4xf32>) -> tensor<?x4xf32>
  return %a, %b : tensor<?x?xf32>, tensor<?x4xf32>
}

// -----

// Same types, but a declared result less static than the inferred [2, ?]:
// [a, b] becomes [2, a*b/2], not the identity.
// CHECK-LABEL: func.func @reshape_not_identity
// CHECK: %[[A:.*]] = heed.reshape %{{.*}} {shape = array<i64: 2, -1>} : (tensor<?x?xf32>) -> tensor<?x?xf32>
// CHECK: return %[[A]]
func.func @reshape_not_identity(%x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %a = heed.reshape %x {shape = array<i64: 2, -1>} : (tensor<?x?xf32>) -> tensor<?x?xf32>
  return %a : tensor<?x?xf32>
}

// -----

// Split into heads then merge back: one reshape, then the identity.
// CHECK-LABEL: func.func @reshape_of_reshape
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x512xf32>, %[[Y:.*]]: tensor<2x12xf32>)
// CHECK: %[[R:.*]] = heed.reshape %[[Y]] {shape = array<i64: 4, 6>} : (tensor<2x12xf32>) -> tensor<4x6xf32>
// CHECK: return %[[X]], %[[R]]
func.func @reshape_of_reshape(%x: tensor<?x?x512xf32>, %y: tensor<2x12xf32>) -> (tensor<?x?x512xf32>, tensor<4x6xf32>) {
  %h = heed.reshape %x {shape = array<i64: 0, 0, 8, 64>} : (tensor<?x?x512xf32>) -> tensor<?x?x8x64xf32>
  %m = heed.reshape %h {shape = array<i64: 0, 0, 512>} : (tensor<?x?x8x64xf32>) -> tensor<?x?x512xf32>
  %a = heed.reshape %y {shape = array<i64: 3, 8>} : (tensor<2x12xf32>) -> tensor<3x8xf32>
  %b = heed.reshape %a {shape = array<i64: 4, 6>} : (tensor<3x8xf32>) -> tensor<4x6xf32>
  return %m, %b : tensor<?x?x512xf32>, tensor<4x6xf32>
}

// -----

// An outer 0 copies a static inner dim: it becomes that size.
// CHECK-LABEL: func.func @reshape_of_reshape_static_copy
// CHECK-SAME: (%[[X:.*]]: tensor<?x64xf32>)
// CHECK: %[[R:.*]] = heed.reshape %[[X]] {shape = array<i64: 8, -1>} : (tensor<?x64xf32>) -> tensor<8x?xf32>
// CHECK: return %[[R]]
func.func @reshape_of_reshape_static_copy(%x: tensor<?x64xf32>) -> tensor<8x?xf32> {
  %a = heed.reshape %x {shape = array<i64: 8, -1, 8>} : (tensor<?x64xf32>) -> tensor<8x?x8xf32>
  %b = heed.reshape %a {shape = array<i64: 0, -1>} : (tensor<8x?x8xf32>) -> tensor<8x?xf32>
  return %b : tensor<8x?xf32>
}

// -----

// An outer 0 copies a dynamic dim the inner reshape computed: no rewrite.
// CHECK-LABEL: func.func @reshape_of_reshape_dynamic_copy
// CHECK: heed.reshape
// CHECK: heed.reshape
func.func @reshape_of_reshape_dynamic_copy(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %a = heed.reshape %x {shape = array<i64: -1, 8, 8>} : (tensor<?x64xf32>) -> tensor<?x8x8xf32>
  %b = heed.reshape %a {shape = array<i64: 0, 64>} : (tensor<?x8x8xf32>) -> tensor<?x64xf32>
  return %b : tensor<?x64xf32>
}

// -----

// CHECK-LABEL: func.func @transpose_identity
// CHECK-SAME: (%[[X:.*]]: tensor<?x4xf32>)
// CHECK-NEXT: return %[[X]]
func.func @transpose_identity(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %t = heed.transpose %x {permutation = array<i64: 0, 1>} : (tensor<?x4xf32>) -> tensor<?x4xf32>
  return %t : tensor<?x4xf32>
}

// -----

// CHECK-LABEL: func.func @transpose_of_transpose
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4x5xf32>)
// CHECK: %[[T:.*]] = heed.transpose %[[X]] {permutation = array<i64: 2, 0, 3, 1>} : (tensor<2x3x4x5xf32>) -> tensor<4x2x5x3xf32>
// CHECK-NEXT: return %[[T]]
func.func @transpose_of_transpose(%x: tensor<2x3x4x5xf32>) -> tensor<4x2x5x3xf32> {
  %a = heed.transpose %x {permutation = array<i64: 0, 2, 1, 3>} : (tensor<2x3x4x5xf32>) -> tensor<2x4x3x5xf32>
  %b = heed.transpose %a {permutation = array<i64: 1, 0, 3, 2>} : (tensor<2x4x3x5xf32>) -> tensor<4x2x5x3xf32>
  return %b : tensor<4x2x5x3xf32>
}

// -----

// Split heads out and back in: the two transposes cancel.
// CHECK-LABEL: func.func @transpose_inverse
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x8x64xf32>)
// CHECK-NEXT: return %[[X]]
func.func @transpose_inverse(%x: tensor<?x?x8x64xf32>) -> tensor<?x?x8x64xf32> {
  %a = heed.transpose %x {permutation = array<i64: 0, 2, 1, 3>} : (tensor<?x?x8x64xf32>) -> tensor<?x8x?x64xf32>
  %b = heed.transpose %a {permutation = array<i64: 0, 2, 1, 3>} : (tensor<?x8x?x64xf32>) -> tensor<?x?x8x64xf32>
  return %b : tensor<?x?x8x64xf32>
}

// -----

// CHECK-LABEL: func.func @single_input_concat
// CHECK-SAME: (%[[X:.*]]: tensor<?x4xf32>)
// CHECK: %[[C:.*]] = heed.concat %[[X]], %[[X]]
// CHECK: return %[[X]], %[[C]]
func.func @single_input_concat(%x: tensor<?x4xf32>) -> (tensor<?x4xf32>, tensor<?x8xf32>) {
  %a = heed.concat %x {axis = 0} : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %b = heed.concat %x, %x {axis = 1} : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x8xf32>
  return %a, %b : tensor<?x4xf32>, tensor<?x8xf32>
}

// -----

// CHECK-LABEL: func.func @full_slice
// CHECK-SAME: (%[[X:.*]]: tensor<?x4xf32>)
// CHECK: %[[S:.*]] = heed.slice %[[X]] {axis = 1 : i64, end = 3 : i64, start = 0 : i64}
// CHECK: %[[T:.*]] = heed.slice %[[X]] {axis = 0 : i64, end = 8 : i64, start = 0 : i64}
// CHECK: %[[U:.*]] = heed.slice %[[X]] {axis = 1 : i64, start = 0 : i64, step = 2 : i64}
// CHECK: return %[[X]], %[[X]], %[[S]], %[[T]], %[[U]]
func.func @full_slice(%x: tensor<?x4xf32>) -> (tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x3xf32>, tensor<?x4xf32>, tensor<?x2xf32>) {
  %a = heed.slice %x {axis = 0, start = 0} : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %b = heed.slice %x {axis = -1, start = 0, end = 4} : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %c = heed.slice %x {axis = 1, start = 0, end = 3} : (tensor<?x4xf32>) -> tensor<?x3xf32>
  // The dim is dynamic: it may be longer than 8.
  %d = heed.slice %x {axis = 0, start = 0, end = 8} : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %e = heed.slice %x {axis = 1, start = 0, step = 2} : (tensor<?x4xf32>) -> tensor<?x2xf32>
  return %a, %b, %c, %d, %e : tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x3xf32>, tensor<?x4xf32>, tensor<?x2xf32>
}
