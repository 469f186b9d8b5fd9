// RUN: heed-opt %s --heed-canonicalize-attention -split-input-file | FileCheck %s
// Elementwise ops on broadcasts of one shape to one `like` (and scalars) run before the broadcast.

// Hugging Face's _expand_mask: expand the [B, S] mask to [B, 1, T, S], then 1 - float(m) filled
// with finfo.min where nonzero -> the conversion on [B, 1, 1, S], one broadcast at the end.
// CHECK-LABEL: func.func @expand_mask
// CHECK-SAME: (%[[M:.*]]: tensor<?x1x1x?xi64>, %[[LIKE:.*]]: tensor<?x1x?x?xi1>)
// CHECK: %[[F:.*]] = heed.cast %[[M]] {to = f32} : (tensor<?x1x1x?xi64>) -> tensor<?x1x1x?xf32>
// CHECK: %[[I:.*]] = heed.sub %{{.*}}, %[[F]] : (tensor<f32>, tensor<?x1x1x?xf32>) -> tensor<?x1x1x?xf32>
// CHECK: %[[C:.*]] = heed.cast %[[I]] {to = i1} : (tensor<?x1x1x?xf32>) -> tensor<?x1x1x?xi1>
// CHECK: %[[W:.*]] = heed.where %[[C]], %{{.*}}, %[[I]] : (tensor<?x1x1x?xi1>, tensor<f32>, tensor<?x1x1x?xf32>) -> tensor<?x1x1x?xf32>
// CHECK: %[[R:.*]] = heed.broadcast %[[W]], %[[LIKE]] : (tensor<?x1x1x?xf32>, tensor<?x1x?x?xi1>) -> tensor<?x1x?x?xf32>
// CHECK: return %[[R]]
func.func @expand_mask(%m: tensor<?x1x1x?xi64>, %like: tensor<?x1x?x?xi1>) -> tensor<?x1x?x?xf32> {
  %one = heed.constant dense<1.0> : tensor<f32>
  %min = heed.constant dense<-3.40282347E+38> : tensor<f32>
  %e = heed.broadcast %m, %like : (tensor<?x1x1x?xi64>, tensor<?x1x?x?xi1>) -> tensor<?x1x?x?xi64>
  %f = heed.cast %e {to = f32} : (tensor<?x1x?x?xi64>) -> tensor<?x1x?x?xf32>
  %i = heed.sub %one, %f : (tensor<f32>, tensor<?x1x?x?xf32>) -> tensor<?x1x?x?xf32>
  %c = heed.cast %i {to = i1} : (tensor<?x1x?x?xf32>) -> tensor<?x1x?x?xi1>
  %w = heed.where %c, %min, %i : (tensor<?x1x?x?xi1>, tensor<f32>, tensor<?x1x?x?xf32>) -> tensor<?x1x?x?xf32>
  return %w : tensor<?x1x?x?xf32>
}

// -----

// Left alone: a second operand that is not a scalar (it would broadcast against x, not against the
// expanded shape), broadcasts to different `like`s, and broadcasts of different shapes.
// CHECK-LABEL: func.func @not_last
// CHECK-COUNT-3: heed.broadcast
// CHECK: heed.add
// CHECK: heed.mul
// CHECK: heed.sub
func.func @not_last(%m: tensor<?x1x1x?xf32>, %n: tensor<?x1x?x1xf32>, %a: tensor<?x1x?x?xi1>, %b: tensor<?x1x?x?xi1>, %y: tensor<?x1x?x?xf32>)
    -> (tensor<?x1x?x?xf32>, tensor<?x1x?x?xf32>, tensor<?x1x?x?xf32>) {
  %ea = heed.broadcast %m, %a : (tensor<?x1x1x?xf32>, tensor<?x1x?x?xi1>) -> tensor<?x1x?x?xf32>
  %eb = heed.broadcast %m, %b : (tensor<?x1x1x?xf32>, tensor<?x1x?x?xi1>) -> tensor<?x1x?x?xf32>
  %na = heed.broadcast %n, %a : (tensor<?x1x?x1xf32>, tensor<?x1x?x?xi1>) -> tensor<?x1x?x?xf32>
  %x = heed.add %ea, %y : (tensor<?x1x?x?xf32>, tensor<?x1x?x?xf32>) -> tensor<?x1x?x?xf32>
  %z = heed.mul %ea, %eb : (tensor<?x1x?x?xf32>, tensor<?x1x?x?xf32>) -> tensor<?x1x?x?xf32>
  %d = heed.sub %ea, %na : (tensor<?x1x?x?xf32>, tensor<?x1x?x?xf32>) -> tensor<?x1x?x?xf32>
  return %x, %z, %d : tensor<?x1x?x?xf32>, tensor<?x1x?x?xf32>, tensor<?x1x?x?xf32>
}
