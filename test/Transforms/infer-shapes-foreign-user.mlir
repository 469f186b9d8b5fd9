// RUN: heed-opt %s --allow-unregistered-dialect --heed-infer-shapes | FileCheck %s
// A result used by an op of an unregistered dialect keeps its declared type
// (and the pass must not crash asking for that op's dialect).

// CHECK-LABEL: func.func @foreign_user
func.func @foreign_user(%x: tensor<4x8xf32>) {
  // CHECK: heed.relu %{{.*}} : (tensor<4x8xf32>) -> tensor<?x8xf32>
  %r = heed.relu %x : (tensor<4x8xf32>) -> tensor<?x8xf32>
  "foreign.use"(%r) : (tensor<?x8xf32>) -> ()
  return
}
