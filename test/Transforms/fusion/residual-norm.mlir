// RUN: heed-opt %s --heed-fuse-residual-norm -split-input-file | FileCheck %s
// A residual add that only a layer norm reads becomes the norm's `residual`.

// Post-norm: the sum is read by the norm alone, whichever side the residual is on.
// CHECK-LABEL: func.func @post_norm
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xf32>, %[[F:.*]]: tensor<?x8xf32>, %[[G:.*]]: tensor<8xf32>, %[[B:.*]]: tensor<8xf32>)
// CHECK-NOT: heed.add
// CHECK: %[[N:.*]] = heed.layer_norm %[[X]] scale %[[G]] bias %[[B]] residual %[[F]]
// CHECK-NOT: heed.add
// CHECK: %[[M:.*]] = heed.layer_norm %[[F]] residual %[[N]] {epsilon = 9.99999997E-7 : f32}
// CHECK: return %[[M]]
func.func @post_norm(%x: tensor<?x8xf32>, %f: tensor<?x8xf32>, %g: tensor<8xf32>, %b: tensor<8xf32>) -> tensor<?x8xf32> {
  %s = heed.add %x, %f : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  %n = heed.layer_norm %s scale %g bias %b : (tensor<?x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  %t = heed.add %f, %n : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  %m = heed.layer_norm %t {epsilon = 1.0e-6 : f32} : (tensor<?x8xf32>) -> tensor<?x8xf32>
  return %m : tensor<?x8xf32>
}

// -----

// Left alone: a sum read again (pre-norm's next residual), a broadcasting add (a bias), and a sum
// that is not the norm's input.
// CHECK-LABEL: func.func @not_fused
// CHECK: %[[S:.*]] = heed.add
// CHECK: heed.layer_norm %[[S]] :
// CHECK: %[[C:.*]] = heed.add
// CHECK: heed.layer_norm %[[C]] :
// CHECK: heed.add
// CHECK: heed.layer_norm %{{.*}} scale %{{.*}} :
func.func @not_fused(%x: tensor<?x8xf32>, %f: tensor<?x8xf32>, %c: tensor<8xf32>, %g: tensor<8xf32>) -> (tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>, tensor<8xf32>) {
  %s = heed.add %x, %f : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  %n = heed.layer_norm %s : (tensor<?x8xf32>) -> tensor<?x8xf32>
  %cb = heed.add %x, %c : (tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  %n2 = heed.layer_norm %cb : (tensor<?x8xf32>) -> tensor<?x8xf32>
  %gs = heed.add %g, %c : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %n3 = heed.layer_norm %x scale %gs : (tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  return %n, %s, %n2, %n3, %gs : tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>, tensor<8xf32>
}
