// RUN: heed-opt %s --heed-fuse-rotary -split-input-file | FileCheck %s
// x * cos + rotate_half(x) * sin becomes heed.rotary; the heads transpose before it moves after.

// The GPT-NeoX / Llama spelling on heads-first q: cat(-x2, x1) with x2 = x[..., 32:] (end
// omitted), operands of the muls and the add in the exporter's order.
// CHECK-LABEL: func.func @heads_first
// CHECK-SAME: (%[[X:.*]]: tensor<?x8x?x64xf32>, %[[C:.*]]: tensor<1x1x?x64xf32>, %[[S:.*]]: tensor<1x1x?x64xf32>)
// CHECK-NEXT: %[[R:.*]] = heed.rotary %[[X]] cos %[[C]] sin %[[S]] : (tensor<?x8x?x64xf32>, tensor<1x1x?x64xf32>, tensor<1x1x?x64xf32>) -> tensor<?x8x?x64xf32>
// CHECK-NEXT: return %[[R]]
func.func @heads_first(%x: tensor<?x8x?x64xf32>, %cos: tensor<1x1x?x64xf32>, %sin: tensor<1x1x?x64xf32>) -> tensor<?x8x?x64xf32> {
  %a = heed.mul %x, %cos : (tensor<?x8x?x64xf32>, tensor<1x1x?x64xf32>) -> tensor<?x8x?x64xf32>
  %x1 = heed.slice %x {axis = 3 : i64, start = 0 : i64, end = 32 : i64} : (tensor<?x8x?x64xf32>) -> tensor<?x8x?x32xf32>
  %x2 = heed.slice %x {axis = 3 : i64, start = 32 : i64} : (tensor<?x8x?x64xf32>) -> tensor<?x8x?x32xf32>
  %n = heed.neg %x2 : (tensor<?x8x?x32xf32>) -> tensor<?x8x?x32xf32>
  %r = heed.concat %n, %x1 {axis = 3 : i64} : (tensor<?x8x?x32xf32>, tensor<?x8x?x32xf32>) -> tensor<?x8x?x64xf32>
  %b = heed.mul %r, %sin : (tensor<?x8x?x64xf32>, tensor<1x1x?x64xf32>) -> tensor<?x8x?x64xf32>
  %y = heed.add %a, %b : (tensor<?x8x?x64xf32>, tensor<?x8x?x64xf32>) -> tensor<?x8x?x64xf32>
  return %y : tensor<?x8x?x64xf32>
}

// -----

// Other spellings: -x2 as a product by -1, negative slice bounds and axes, the operands of
// every mul and of the add swapped, cos and sin as [L, D] tables of lower rank.
// CHECK-LABEL: func.func @swapped
// CHECK-SAME: (%[[X:.*]]: tensor<2x4x6x8xf32>, %[[C:.*]]: tensor<6x8xf32>, %[[S:.*]]: tensor<6x8xf32>)
// CHECK-NEXT: %[[R:.*]] = heed.rotary %[[X]] cos %[[C]] sin %[[S]] : (tensor<2x4x6x8xf32>, tensor<6x8xf32>, tensor<6x8xf32>) -> tensor<2x4x6x8xf32>
// CHECK-NEXT: return %[[R]]
func.func @swapped(%x: tensor<2x4x6x8xf32>, %cos: tensor<6x8xf32>, %sin: tensor<6x8xf32>) -> tensor<2x4x6x8xf32> {
  %m1 = heed.constant dense<-1.0> : tensor<f32>
  %x1 = heed.slice %x {axis = -1 : i64, start = 0 : i64, end = -4 : i64} : (tensor<2x4x6x8xf32>) -> tensor<2x4x6x4xf32>
  %x2 = heed.slice %x {axis = 3 : i64, start = -4 : i64} : (tensor<2x4x6x8xf32>) -> tensor<2x4x6x4xf32>
  %n = heed.mul %m1, %x2 : (tensor<f32>, tensor<2x4x6x4xf32>) -> tensor<2x4x6x4xf32>
  %r = heed.concat %n, %x1 {axis = -1 : i64} : (tensor<2x4x6x4xf32>, tensor<2x4x6x4xf32>) -> tensor<2x4x6x8xf32>
  %b = heed.mul %sin, %r : (tensor<6x8xf32>, tensor<2x4x6x8xf32>) -> tensor<2x4x6x8xf32>
  %a = heed.mul %cos, %x : (tensor<6x8xf32>, tensor<2x4x6x8xf32>) -> tensor<2x4x6x8xf32>
  %y = heed.add %b, %a : (tensor<2x4x6x8xf32>, tensor<2x4x6x8xf32>) -> tensor<2x4x6x8xf32>
  return %y : tensor<2x4x6x8xf32>
}

// -----

// The heads transpose of view(B, L, H, D).transpose(1, 2), read only by the rotary: the rotary
// reads [B, L, H, D] with cos and sin transposed back, and the transpose moves after it.
// CHECK-LABEL: func.func @transpose_moves
// CHECK-SAME: (%[[P:.*]]: tensor<?x?x8x64xf32>, %[[C:.*]]: tensor<1x1x?x64xf32>, %[[S:.*]]: tensor<1x1x?x64xf32>)
// CHECK-DAG: %[[CT:.*]] = heed.transpose %[[C]] {permutation = array<i64: 0, 2, 1, 3>} : (tensor<1x1x?x64xf32>) -> tensor<1x?x1x64xf32>
// CHECK-DAG: %[[ST:.*]] = heed.transpose %[[S]] {permutation = array<i64: 0, 2, 1, 3>} : (tensor<1x1x?x64xf32>) -> tensor<1x?x1x64xf32>
// CHECK: %[[R:.*]] = heed.rotary %[[P]] cos %[[CT]] sin %[[ST]] : (tensor<?x?x8x64xf32>, tensor<1x?x1x64xf32>, tensor<1x?x1x64xf32>) -> tensor<?x?x8x64xf32>
// CHECK: %[[T:.*]] = heed.transpose %[[R]] {permutation = array<i64: 0, 2, 1, 3>} : (tensor<?x?x8x64xf32>) -> tensor<?x8x?x64xf32>
// CHECK: return %[[T]]
func.func @transpose_moves(%p: tensor<?x?x8x64xf32>, %cos: tensor<1x1x?x64xf32>, %sin: tensor<1x1x?x64xf32>) -> tensor<?x8x?x64xf32> {
  %x = heed.transpose %p {permutation = array<i64: 0, 2, 1, 3>} : (tensor<?x?x8x64xf32>) -> tensor<?x8x?x64xf32>
  %a = heed.mul %x, %cos : (tensor<?x8x?x64xf32>, tensor<1x1x?x64xf32>) -> tensor<?x8x?x64xf32>
  %x1 = heed.slice %x {axis = 3 : i64, start = 0 : i64, end = 32 : i64} : (tensor<?x8x?x64xf32>) -> tensor<?x8x?x32xf32>
  %x2 = heed.slice %x {axis = 3 : i64, start = 32 : i64} : (tensor<?x8x?x64xf32>) -> tensor<?x8x?x32xf32>
  %n = heed.neg %x2 : (tensor<?x8x?x32xf32>) -> tensor<?x8x?x32xf32>
  %r = heed.concat %n, %x1 {axis = 3 : i64} : (tensor<?x8x?x32xf32>, tensor<?x8x?x32xf32>) -> tensor<?x8x?x64xf32>
  %b = heed.mul %r, %sin : (tensor<?x8x?x64xf32>, tensor<1x1x?x64xf32>) -> tensor<?x8x?x64xf32>
  %y = heed.add %a, %b : (tensor<?x8x?x64xf32>, tensor<?x8x?x64xf32>) -> tensor<?x8x?x64xf32>
  return %y : tensor<?x8x?x64xf32>
}

// -----

// The transpose stays in front when something else reads it (the rotary takes the transposed
// tensor), and when cos has a lower rank than x.
// CHECK-LABEL: func.func @transpose_stays
// CHECK: %[[X:.*]] = heed.transpose
// CHECK: heed.rotary %[[X]] cos
// CHECK: %[[X2:.*]] = heed.transpose
// CHECK: heed.rotary %[[X2]] cos
func.func @transpose_stays(%p: tensor<2x6x4x8xf32>, %cos: tensor<1x1x6x8xf32>, %sin: tensor<1x1x6x8xf32>, %t: tensor<6x8xf32>) -> (tensor<2x4x6x8xf32>, tensor<2x4x6x8xf32>, tensor<2x4x6x8xf32>) {
  %x = heed.transpose %p {permutation = array<i64: 0, 2, 1, 3>} : (tensor<2x6x4x8xf32>) -> tensor<2x4x6x8xf32>
  %a = heed.mul %x, %cos : (tensor<2x4x6x8xf32>, tensor<1x1x6x8xf32>) -> tensor<2x4x6x8xf32>
  %x1 = heed.slice %x {axis = 3 : i64, start = 0 : i64, end = 4 : i64} : (tensor<2x4x6x8xf32>) -> tensor<2x4x6x4xf32>
  %x2 = heed.slice %x {axis = 3 : i64, start = 4 : i64} : (tensor<2x4x6x8xf32>) -> tensor<2x4x6x4xf32>
  %n = heed.neg %x2 : (tensor<2x4x6x4xf32>) -> tensor<2x4x6x4xf32>
  %r = heed.concat %n, %x1 {axis = 3 : i64} : (tensor<2x4x6x4xf32>, tensor<2x4x6x4xf32>) -> tensor<2x4x6x8xf32>
  %b = heed.mul %r, %sin : (tensor<2x4x6x8xf32>, tensor<1x1x6x8xf32>) -> tensor<2x4x6x8xf32>
  %y = heed.add %a, %b : (tensor<2x4x6x8xf32>, tensor<2x4x6x8xf32>) -> tensor<2x4x6x8xf32>
  %z = heed.transpose %p {permutation = array<i64: 0, 2, 1, 3>} : (tensor<2x6x4x8xf32>) -> tensor<2x4x6x8xf32>
  %c = heed.mul %z, %t : (tensor<2x4x6x8xf32>, tensor<6x8xf32>) -> tensor<2x4x6x8xf32>
  %z1 = heed.slice %z {axis = 3 : i64, start = 0 : i64, end = 4 : i64} : (tensor<2x4x6x8xf32>) -> tensor<2x4x6x4xf32>
  %z2 = heed.slice %z {axis = 3 : i64, start = 4 : i64} : (tensor<2x4x6x8xf32>) -> tensor<2x4x6x4xf32>
  %zn = heed.neg %z2 : (tensor<2x4x6x4xf32>) -> tensor<2x4x6x4xf32>
  %zr = heed.concat %zn, %z1 {axis = 3 : i64} : (tensor<2x4x6x4xf32>, tensor<2x4x6x4xf32>) -> tensor<2x4x6x8xf32>
  %d = heed.mul %zr, %t : (tensor<2x4x6x8xf32>, tensor<6x8xf32>) -> tensor<2x4x6x8xf32>
  %w = heed.add %c, %d : (tensor<2x4x6x8xf32>, tensor<2x4x6x8xf32>) -> tensor<2x4x6x8xf32>
  return %y, %x, %w : tensor<2x4x6x8xf32>, tensor<2x4x6x8xf32>, tensor<2x4x6x8xf32>
}

// -----

// Left alone: the halves the wrong way round (cat(x1, -x2)), the negation on the lower half, a
// different tensor in the product by cos, a step-2 (interleaved) slice, an odd last dim, a
// rotated half read elsewhere, and f64.
// CHECK-LABEL: func.func @not_rotary
// CHECK-NOT: heed.rotary
// CHECK: return
func.func @not_rotary(%x: tensor<4x8xf32>, %o: tensor<4x8xf32>, %c: tensor<4x8xf32>, %s: tensor<4x8xf32>,
                      %v: tensor<4x7xf32>, %cv: tensor<4x7xf32>, %d: tensor<4x8xf64>, %cd: tensor<4x8xf64>)
    -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x7xf32>, tensor<4x8xf64>) {
  %lo = heed.slice %x {axis = 1 : i64, start = 0 : i64, end = 4 : i64} : (tensor<4x8xf32>) -> tensor<4x4xf32>
  %hi = heed.slice %x {axis = 1 : i64, start = 4 : i64} : (tensor<4x8xf32>) -> tensor<4x4xf32>
  %nh = heed.neg %hi : (tensor<4x4xf32>) -> tensor<4x4xf32>
  %wrong = heed.concat %lo, %nh {axis = 1 : i64} : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x8xf32>
  %a0 = heed.mul %x, %c : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %b0 = heed.mul %wrong, %s : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %y0 = heed.add %a0, %b0 : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>

  %lo1 = heed.slice %x {axis = 1 : i64, start = 0 : i64, end = 4 : i64} : (tensor<4x8xf32>) -> tensor<4x4xf32>
  %hi1 = heed.slice %x {axis = 1 : i64, start = 4 : i64} : (tensor<4x8xf32>) -> tensor<4x4xf32>
  %nl1 = heed.neg %lo1 : (tensor<4x4xf32>) -> tensor<4x4xf32>
  %r1 = heed.concat %nl1, %hi1 {axis = 1 : i64} : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x8xf32>
  %a1 = heed.mul %x, %c : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %b1 = heed.mul %r1, %s : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %y1 = heed.add %a1, %b1 : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>

  %lo2 = heed.slice %x {axis = 1 : i64, start = 0 : i64, end = 4 : i64} : (tensor<4x8xf32>) -> tensor<4x4xf32>
  %hi2 = heed.slice %x {axis = 1 : i64, start = 4 : i64} : (tensor<4x8xf32>) -> tensor<4x4xf32>
  %nh2 = heed.neg %hi2 : (tensor<4x4xf32>) -> tensor<4x4xf32>
  %r2 = heed.concat %nh2, %lo2 {axis = 1 : i64} : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x8xf32>
  %a2 = heed.mul %o, %c : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %b2 = heed.mul %r2, %s : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %y2 = heed.add %a2, %b2 : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>

  %lo3 = heed.slice %x {axis = 1 : i64, start = 0 : i64, step = 2 : i64} : (tensor<4x8xf32>) -> tensor<4x4xf32>
  %hi3 = heed.slice %x {axis = 1 : i64, start = 1 : i64, step = 2 : i64} : (tensor<4x8xf32>) -> tensor<4x4xf32>
  %nh3 = heed.neg %hi3 : (tensor<4x4xf32>) -> tensor<4x4xf32>
  %r3 = heed.concat %nh3, %lo3 {axis = 1 : i64} : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x8xf32>
  %a3 = heed.mul %x, %c : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %b3 = heed.mul %r3, %s : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %y3 = heed.add %a3, %b3 : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>

  %lo4 = heed.slice %x {axis = 1 : i64, start = 0 : i64, end = 4 : i64} : (tensor<4x8xf32>) -> tensor<4x4xf32>
  %hi4 = heed.slice %x {axis = 1 : i64, start = 4 : i64} : (tensor<4x8xf32>) -> tensor<4x4xf32>
  %nh4 = heed.neg %hi4 : (tensor<4x4xf32>) -> tensor<4x4xf32>
  %r4 = heed.concat %nh4, %lo4 {axis = 1 : i64} : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x8xf32>
  %a4 = heed.mul %x, %c : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %b4 = heed.mul %r4, %s : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %y4 = heed.add %a4, %b4 : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>

  %vlo = heed.slice %v {axis = 1 : i64, start = 0 : i64, end = 3 : i64} : (tensor<4x7xf32>) -> tensor<4x3xf32>
  %vhi = heed.slice %v {axis = 1 : i64, start = 3 : i64} : (tensor<4x7xf32>) -> tensor<4x4xf32>
  %vn = heed.neg %vhi : (tensor<4x4xf32>) -> tensor<4x4xf32>
  %vr = heed.concat %vn, %vlo {axis = 1 : i64} : (tensor<4x4xf32>, tensor<4x3xf32>) -> tensor<4x7xf32>
  %va = heed.mul %v, %cv : (tensor<4x7xf32>, tensor<4x7xf32>) -> tensor<4x7xf32>
  %vb = heed.mul %vr, %cv : (tensor<4x7xf32>, tensor<4x7xf32>) -> tensor<4x7xf32>
  %y5 = heed.add %va, %vb : (tensor<4x7xf32>, tensor<4x7xf32>) -> tensor<4x7xf32>

  %dlo = heed.slice %d {axis = 1 : i64, start = 0 : i64, end = 4 : i64} : (tensor<4x8xf64>) -> tensor<4x4xf64>
  %dhi = heed.slice %d {axis = 1 : i64, start = 4 : i64} : (tensor<4x8xf64>) -> tensor<4x4xf64>
  %dn = heed.neg %dhi : (tensor<4x4xf64>) -> tensor<4x4xf64>
  %dr = heed.concat %dn, %dlo {axis = 1 : i64} : (tensor<4x4xf64>, tensor<4x4xf64>) -> tensor<4x8xf64>
  %da = heed.mul %d, %cd : (tensor<4x8xf64>, tensor<4x8xf64>) -> tensor<4x8xf64>
  %db = heed.mul %dr, %cd : (tensor<4x8xf64>, tensor<4x8xf64>) -> tensor<4x8xf64>
  %y6 = heed.add %da, %db : (tensor<4x8xf64>, tensor<4x8xf64>) -> tensor<4x8xf64>
  return %y0, %y1, %y2, %y3, %y4, %r4, %y5, %y6 : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x7xf32>, tensor<4x8xf64>
}

// -----

// GPT-J's rotate_every_two: stack((-x[..., 1::2], x[..., ::2]), -1).flatten(-2), the neg before or
// after the unsqueeze -> heed.rotary {interleaved}.
// CHECK-LABEL: func.func @every_two
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x4x8xf32>, %[[C:.*]]: tensor<1x?x1x8xf32>, %[[S:.*]]: tensor<1x?x1x8xf32>)
// CHECK-NEXT: %[[R:.*]] = heed.rotary %[[X]] cos %[[C]] sin %[[S]] {interleaved = true}
// CHECK-NEXT: %[[R2:.*]] = heed.rotary %[[X]] cos %[[C]] sin %[[S]] {interleaved = true}
// CHECK-NEXT: return %[[R]], %[[R2]]
func.func @every_two(%x: tensor<?x?x4x8xf32>, %cos: tensor<1x?x1x8xf32>, %sin: tensor<1x?x1x8xf32>) -> (tensor<?x?x4x8xf32>, tensor<?x?x4x8xf32>) {
  %even = heed.slice %x {axis = 3 : i64, start = 0 : i64, step = 2 : i64} : (tensor<?x?x4x8xf32>) -> tensor<?x?x4x4xf32>
  %odd = heed.slice %x {axis = 3 : i64, start = 1 : i64, step = 2 : i64} : (tensor<?x?x4x8xf32>) -> tensor<?x?x4x4xf32>
  %neg = heed.neg %odd : (tensor<?x?x4x4xf32>) -> tensor<?x?x4x4xf32>
  %a = heed.reshape %neg {shape = array<i64: 0, 0, 4, 4, 1>} : (tensor<?x?x4x4xf32>) -> tensor<?x?x4x4x1xf32>
  %b = heed.reshape %even {shape = array<i64: 0, 0, 4, 4, 1>} : (tensor<?x?x4x4xf32>) -> tensor<?x?x4x4x1xf32>
  %cat = heed.concat %a, %b {axis = 4 : i64} : (tensor<?x?x4x4x1xf32>, tensor<?x?x4x4x1xf32>) -> tensor<?x?x4x4x2xf32>
  %r = heed.reshape %cat {shape = array<i64: 0, 0, 4, -1>} : (tensor<?x?x4x4x2xf32>) -> tensor<?x?x4x8xf32>
  %xc = heed.mul %x, %cos : (tensor<?x?x4x8xf32>, tensor<1x?x1x8xf32>) -> tensor<?x?x4x8xf32>
  %rs = heed.mul %r, %sin : (tensor<?x?x4x8xf32>, tensor<1x?x1x8xf32>) -> tensor<?x?x4x8xf32>
  %y = heed.add %xc, %rs : (tensor<?x?x4x8xf32>, tensor<?x?x4x8xf32>) -> tensor<?x?x4x8xf32>
  %even2 = heed.slice %x {axis = -1 : i64, start = 0 : i64, step = 2 : i64} : (tensor<?x?x4x8xf32>) -> tensor<?x?x4x4xf32>
  %odd2 = heed.slice %x {axis = -1 : i64, start = 1 : i64, step = 2 : i64} : (tensor<?x?x4x8xf32>) -> tensor<?x?x4x4xf32>
  %a2 = heed.reshape %odd2 {shape = array<i64: 0, 0, 4, 4, 1>} : (tensor<?x?x4x4xf32>) -> tensor<?x?x4x4x1xf32>
  %m = heed.constant dense<-1.0> : tensor<f32>
  %neg2 = heed.mul %a2, %m : (tensor<?x?x4x4x1xf32>, tensor<f32>) -> tensor<?x?x4x4x1xf32>
  %b2 = heed.reshape %even2 {shape = array<i64: 0, 0, 4, 4, 1>} : (tensor<?x?x4x4xf32>) -> tensor<?x?x4x4x1xf32>
  %cat2 = heed.concat %neg2, %b2 {axis = -1 : i64} : (tensor<?x?x4x4x1xf32>, tensor<?x?x4x4x1xf32>) -> tensor<?x?x4x4x2xf32>
  %r2 = heed.reshape %cat2 {shape = array<i64: 0, 0, 4, 8>} : (tensor<?x?x4x4x2xf32>) -> tensor<?x?x4x8xf32>
  %xc2 = heed.mul %cos, %x : (tensor<1x?x1x8xf32>, tensor<?x?x4x8xf32>) -> tensor<?x?x4x8xf32>
  %rs2 = heed.mul %sin, %r2 : (tensor<1x?x1x8xf32>, tensor<?x?x4x8xf32>) -> tensor<?x?x4x8xf32>
  %y2 = heed.add %rs2, %xc2 : (tensor<?x?x4x8xf32>, tensor<?x?x4x8xf32>) -> tensor<?x?x4x8xf32>
  return %y, %y2 : tensor<?x?x4x8xf32>, tensor<?x?x4x8xf32>
}

// -----

// Not rotate_every_two: the negated half is the even one (the pairs turn the other way), the
// slices start elsewhere, and the halves come from different tensors.
// CHECK-LABEL: func.func @not_every_two
// CHECK-NOT: heed.rotary
// CHECK: return
func.func @not_every_two(%x: tensor<2x6x8xf32>, %z: tensor<2x6x8xf32>, %cos: tensor<6x8xf32>, %sin: tensor<6x8xf32>) -> (tensor<2x6x8xf32>, tensor<2x6x8xf32>) {
  %even = heed.slice %x {axis = 2 : i64, start = 0 : i64, step = 2 : i64} : (tensor<2x6x8xf32>) -> tensor<2x6x4xf32>
  %odd = heed.slice %x {axis = 2 : i64, start = 1 : i64, step = 2 : i64} : (tensor<2x6x8xf32>) -> tensor<2x6x4xf32>
  %neg = heed.neg %even : (tensor<2x6x4xf32>) -> tensor<2x6x4xf32>
  %a = heed.reshape %neg {shape = array<i64: 2, 6, 4, 1>} : (tensor<2x6x4xf32>) -> tensor<2x6x4x1xf32>
  %b = heed.reshape %odd {shape = array<i64: 2, 6, 4, 1>} : (tensor<2x6x4xf32>) -> tensor<2x6x4x1xf32>
  %cat = heed.concat %a, %b {axis = 3 : i64} : (tensor<2x6x4x1xf32>, tensor<2x6x4x1xf32>) -> tensor<2x6x4x2xf32>
  %r = heed.reshape %cat {shape = array<i64: 2, 6, 8>} : (tensor<2x6x4x2xf32>) -> tensor<2x6x8xf32>
  %xc = heed.mul %x, %cos : (tensor<2x6x8xf32>, tensor<6x8xf32>) -> tensor<2x6x8xf32>
  %rs = heed.mul %r, %sin : (tensor<2x6x8xf32>, tensor<6x8xf32>) -> tensor<2x6x8xf32>
  %y = heed.add %xc, %rs : (tensor<2x6x8xf32>, tensor<2x6x8xf32>) -> tensor<2x6x8xf32>
  %even2 = heed.slice %z {axis = 2 : i64, start = 0 : i64, step = 2 : i64} : (tensor<2x6x8xf32>) -> tensor<2x6x4xf32>
  %odd2 = heed.slice %x {axis = 2 : i64, start = 1 : i64, step = 2 : i64} : (tensor<2x6x8xf32>) -> tensor<2x6x4xf32>
  %neg2 = heed.neg %odd2 : (tensor<2x6x4xf32>) -> tensor<2x6x4xf32>
  %a2 = heed.reshape %neg2 {shape = array<i64: 2, 6, 4, 1>} : (tensor<2x6x4xf32>) -> tensor<2x6x4x1xf32>
  %b2 = heed.reshape %even2 {shape = array<i64: 2, 6, 4, 1>} : (tensor<2x6x4xf32>) -> tensor<2x6x4x1xf32>
  %cat2 = heed.concat %a2, %b2 {axis = 3 : i64} : (tensor<2x6x4x1xf32>, tensor<2x6x4x1xf32>) -> tensor<2x6x4x2xf32>
  %r2 = heed.reshape %cat2 {shape = array<i64: 2, 6, 8>} : (tensor<2x6x4x2xf32>) -> tensor<2x6x8xf32>
  %xc2 = heed.mul %x, %cos : (tensor<2x6x8xf32>, tensor<6x8xf32>) -> tensor<2x6x8xf32>
  %rs2 = heed.mul %r2, %sin : (tensor<2x6x8xf32>, tensor<6x8xf32>) -> tensor<2x6x8xf32>
  %y2 = heed.add %xc2, %rs2 : (tensor<2x6x8xf32>, tensor<2x6x8xf32>) -> tensor<2x6x8xf32>
  return %y, %y2 : tensor<2x6x8xf32>, tensor<2x6x8xf32>
}
