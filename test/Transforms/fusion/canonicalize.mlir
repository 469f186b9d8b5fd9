// RUN: heed-opt %s --heed-canonicalize-attention -split-input-file | FileCheck %s
// Exporter spellings rewritten into the form the fusion passes match.

// torch at opset 13/14: LayerNorm as ReduceMean/Sub/Pow/ReduceMean/Add/Sqrt/Div,
// then the affine Mul/Add.
// CHECK-LABEL: func.func @layer_norm_decomposed
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x512xf32>, %[[G:.*]]: tensor<512xf32>, %[[B:.*]]: tensor<512xf32>)
// CHECK: %[[Y:.*]] = heed.layer_norm %[[X]] scale %[[G]] bias %[[B]] {axis = 2 : i64}
// CHECK-NEXT: return %[[Y]]
func.func @layer_norm_decomposed(%x: tensor<?x?x512xf32>, %g: tensor<512xf32>, %b: tensor<512xf32>) -> tensor<?x?x512xf32> {
  %mean = heed.reduce mean, %x {axes = array<i64: -1>, keep_dims = true} : (tensor<?x?x512xf32>) -> tensor<?x?x1xf32>
  %d = heed.sub %x, %mean : (tensor<?x?x512xf32>, tensor<?x?x1xf32>) -> tensor<?x?x512xf32>
  %two = heed.constant dense<2.0> : tensor<f32>
  %sq = heed.pow %d, %two : (tensor<?x?x512xf32>, tensor<f32>) -> tensor<?x?x512xf32>
  %var = heed.reduce mean, %sq {axes = array<i64: -1>, keep_dims = true} : (tensor<?x?x512xf32>) -> tensor<?x?x1xf32>
  %eps = heed.constant dense<1.0e-5> : tensor<f32>
  %ve = heed.add %var, %eps : (tensor<?x?x1xf32>, tensor<f32>) -> tensor<?x?x1xf32>
  %sd = heed.sqrt %ve : (tensor<?x?x1xf32>) -> tensor<?x?x1xf32>
  %n = heed.div %d, %sd : (tensor<?x?x512xf32>, tensor<?x?x1xf32>) -> tensor<?x?x512xf32>
  %y = heed.mul %n, %g : (tensor<?x?x512xf32>, tensor<512xf32>) -> tensor<?x?x512xf32>
  %z = heed.add %y, %b : (tensor<?x?x512xf32>, tensor<512xf32>) -> tensor<?x?x512xf32>
  return %z : tensor<?x?x512xf32>
}

// -----

// Variance as d * d over the last two dims, no affine part.
// CHECK-LABEL: func.func @layer_norm_two_axes
// CHECK: heed.layer_norm %{{.*}} {axis = 1 : i64, epsilon = 9.99999997E-7 : f32} : (tensor<4x8x16xf32>) -> tensor<4x8x16xf32>
func.func @layer_norm_two_axes(%x: tensor<4x8x16xf32>) -> tensor<4x8x16xf32> {
  %mean = heed.reduce mean, %x {axes = array<i64: 1, 2>, keep_dims = true} : (tensor<4x8x16xf32>) -> tensor<4x1x1xf32>
  %d = heed.sub %x, %mean : (tensor<4x8x16xf32>, tensor<4x1x1xf32>) -> tensor<4x8x16xf32>
  %sq = heed.mul %d, %d : (tensor<4x8x16xf32>, tensor<4x8x16xf32>) -> tensor<4x8x16xf32>
  %var = heed.reduce mean, %sq {axes = array<i64: -2, -1>, keep_dims = true} : (tensor<4x8x16xf32>) -> tensor<4x1x1xf32>
  %eps = heed.constant dense<1.0e-6> : tensor<1xf32>
  %ve = heed.add %eps, %var : (tensor<1xf32>, tensor<4x1x1xf32>) -> tensor<4x1x1xf32>
  %sd = heed.sqrt %ve : (tensor<4x1x1xf32>) -> tensor<4x1x1xf32>
  %n = heed.div %d, %sd : (tensor<4x8x16xf32>, tensor<4x1x1xf32>) -> tensor<4x8x16xf32>
  return %n : tensor<4x8x16xf32>
}

// -----

// Negative: the mean is over the batch axis, not trailing dims.
// CHECK-LABEL: func.func @layer_norm_wrong_axis
// CHECK-NOT: heed.layer_norm
func.func @layer_norm_wrong_axis(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %mean = heed.reduce mean, %x {axes = array<i64: 0>, keep_dims = true} : (tensor<4x8xf32>) -> tensor<1x8xf32>
  %d = heed.sub %x, %mean : (tensor<4x8xf32>, tensor<1x8xf32>) -> tensor<4x8xf32>
  %two = heed.constant dense<2.0> : tensor<f32>
  %sq = heed.pow %d, %two : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %var = heed.reduce mean, %sq {axes = array<i64: 0>, keep_dims = true} : (tensor<4x8xf32>) -> tensor<1x8xf32>
  %eps = heed.constant dense<1.0e-5> : tensor<f32>
  %ve = heed.add %var, %eps : (tensor<1x8xf32>, tensor<f32>) -> tensor<1x8xf32>
  %sd = heed.sqrt %ve : (tensor<1x8xf32>) -> tensor<1x8xf32>
  %n = heed.div %d, %sd : (tensor<4x8xf32>, tensor<1x8xf32>) -> tensor<4x8xf32>
  return %n : tensor<4x8xf32>
}

// -----

// RMSNorm as T5 and Llama write it, weight * (x * rsqrt(x.pow(2).mean(-1, keepdim=True) + eps)),
// with torch.rsqrt exported as 1 / sqrt: one layer_norm {rms} with the weight as its scale.
// CHECK-LABEL: func.func @rms_norm_rsqrt
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x512xf32>, %[[G:.*]]: tensor<512xf32>)
// CHECK: %[[Y:.*]] = heed.layer_norm %[[X]] scale %[[G]] {axis = 2 : i64, epsilon = 9.99999997E-7 : f32, rms = true}
// CHECK-NEXT: return %[[Y]]
func.func @rms_norm_rsqrt(%x: tensor<?x?x512xf32>, %g: tensor<512xf32>) -> tensor<?x?x512xf32> {
  %two = heed.constant dense<2.0> : tensor<f32>
  %sq = heed.pow %x, %two : (tensor<?x?x512xf32>, tensor<f32>) -> tensor<?x?x512xf32>
  %ms = heed.reduce mean, %sq {axes = array<i64: -1>, keep_dims = true} : (tensor<?x?x512xf32>) -> tensor<?x?x1xf32>
  %eps = heed.constant dense<1.0e-6> : tensor<f32>
  %a = heed.add %ms, %eps : (tensor<?x?x1xf32>, tensor<f32>) -> tensor<?x?x1xf32>
  %r = heed.sqrt %a : (tensor<?x?x1xf32>) -> tensor<?x?x1xf32>
  %one = heed.constant dense<1.0> : tensor<f32>
  %inv = heed.div %one, %r : (tensor<f32>, tensor<?x?x1xf32>) -> tensor<?x?x1xf32>
  %n = heed.mul %x, %inv : (tensor<?x?x512xf32>, tensor<?x?x1xf32>) -> tensor<?x?x512xf32>
  %y = heed.mul %g, %n : (tensor<512xf32>, tensor<?x?x512xf32>) -> tensor<?x?x512xf32>
  return %y : tensor<?x?x512xf32>
}

// -----

// The other spellings: x / sqrt(mean(x * x) + eps), heed.rsqrt, reciprocal(sqrt(...)).
// CHECK-LABEL: func.func @rms_norm_spellings
// CHECK-COUNT-3: heed.layer_norm %{{.*}} {axis = 1 : i64, rms = true}
// CHECK-NOT: heed.reduce
func.func @rms_norm_spellings(%x: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>) {
  %eps = heed.constant dense<1.0e-5> : tensor<f32>
  %sq1 = heed.mul %x, %x : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %ms1 = heed.reduce mean, %sq1 {axes = array<i64: 1>, keep_dims = true} : (tensor<4x8xf32>) -> tensor<4x1xf32>
  %a1 = heed.add %eps, %ms1 : (tensor<f32>, tensor<4x1xf32>) -> tensor<4x1xf32>
  %r1 = heed.sqrt %a1 : (tensor<4x1xf32>) -> tensor<4x1xf32>
  %n1 = heed.div %x, %r1 : (tensor<4x8xf32>, tensor<4x1xf32>) -> tensor<4x8xf32>
  %sq2 = heed.mul %x, %x : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %ms2 = heed.reduce mean, %sq2 {axes = array<i64: 1>, keep_dims = true} : (tensor<4x8xf32>) -> tensor<4x1xf32>
  %a2 = heed.add %ms2, %eps : (tensor<4x1xf32>, tensor<f32>) -> tensor<4x1xf32>
  %i2 = heed.rsqrt %a2 : (tensor<4x1xf32>) -> tensor<4x1xf32>
  %n2 = heed.mul %i2, %x : (tensor<4x1xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %sq3 = heed.mul %x, %x : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %ms3 = heed.reduce mean, %sq3 {axes = array<i64: 1>, keep_dims = true} : (tensor<4x8xf32>) -> tensor<4x1xf32>
  %a3 = heed.add %ms3, %eps : (tensor<4x1xf32>, tensor<f32>) -> tensor<4x1xf32>
  %r3 = heed.sqrt %a3 : (tensor<4x1xf32>) -> tensor<4x1xf32>
  %i3 = heed.reciprocal %r3 : (tensor<4x1xf32>) -> tensor<4x1xf32>
  %n3 = heed.mul %x, %i3 : (tensor<4x8xf32>, tensor<4x1xf32>) -> tensor<4x8xf32>
  return %n1, %n2, %n3 : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// Left alone: the squares of another tensor than the one scaled, a mean over the batch axis, and
// an inverse root read twice.
// CHECK-LABEL: func.func @rms_norm_negative
// CHECK-NOT: heed.layer_norm
func.func @rms_norm_negative(%x: tensor<4x8xf32>, %z: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x1xf32>) {
  %eps = heed.constant dense<1.0e-5> : tensor<f32>
  %sq1 = heed.mul %z, %z : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %ms1 = heed.reduce mean, %sq1 {axes = array<i64: 1>, keep_dims = true} : (tensor<4x8xf32>) -> tensor<4x1xf32>
  %a1 = heed.add %ms1, %eps : (tensor<4x1xf32>, tensor<f32>) -> tensor<4x1xf32>
  %i1 = heed.rsqrt %a1 : (tensor<4x1xf32>) -> tensor<4x1xf32>
  %n1 = heed.mul %x, %i1 : (tensor<4x8xf32>, tensor<4x1xf32>) -> tensor<4x8xf32>
  %sq2 = heed.mul %x, %x : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %ms2 = heed.reduce mean, %sq2 {axes = array<i64: 0>, keep_dims = true} : (tensor<4x8xf32>) -> tensor<1x8xf32>
  %a2 = heed.add %ms2, %eps : (tensor<1x8xf32>, tensor<f32>) -> tensor<1x8xf32>
  %i2 = heed.rsqrt %a2 : (tensor<1x8xf32>) -> tensor<1x8xf32>
  %n2 = heed.mul %x, %i2 : (tensor<4x8xf32>, tensor<1x8xf32>) -> tensor<4x8xf32>
  %sq3 = heed.mul %x, %x : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %ms3 = heed.reduce mean, %sq3 {axes = array<i64: 1>, keep_dims = true} : (tensor<4x8xf32>) -> tensor<4x1xf32>
  %a3 = heed.add %ms3, %eps : (tensor<4x1xf32>, tensor<f32>) -> tensor<4x1xf32>
  %i3 = heed.rsqrt %a3 : (tensor<4x1xf32>) -> tensor<4x1xf32>
  %n3 = heed.mul %x, %i3 : (tensor<4x8xf32>, tensor<4x1xf32>) -> tensor<4x8xf32>
  return %n1, %n2, %n3, %i3 : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x1xf32>
}

// -----

// torch's erf GELU: x * 0.5 * (1 + erf(x / sqrt 2)), as exported.
// CHECK-LABEL: func.func @gelu_erf
// CHECK-SAME: (%[[X:.*]]: tensor<?x2048xf32>)
// CHECK: %[[Y:.*]] = heed.gelu %[[X]] : (tensor<?x2048xf32>) -> tensor<?x2048xf32>
// CHECK-NEXT: return %[[Y]]
func.func @gelu_erf(%x: tensor<?x2048xf32>) -> tensor<?x2048xf32> {
  %sqrt2 = heed.constant dense<1.41421354> : tensor<f32>
  %z = heed.div %x, %sqrt2 : (tensor<?x2048xf32>, tensor<f32>) -> tensor<?x2048xf32>
  %e = heed.erf %z : (tensor<?x2048xf32>) -> tensor<?x2048xf32>
  %one = heed.constant dense<1.0> : tensor<f32>
  %p = heed.add %e, %one : (tensor<?x2048xf32>, tensor<f32>) -> tensor<?x2048xf32>
  %xp = heed.mul %x, %p : (tensor<?x2048xf32>, tensor<?x2048xf32>) -> tensor<?x2048xf32>
  %half = heed.constant dense<0.5> : tensor<f32>
  %y = heed.mul %xp, %half : (tensor<?x2048xf32>, tensor<f32>) -> tensor<?x2048xf32>
  return %y : tensor<?x2048xf32>
}

// -----

// The same with x * 0.7071 and the half applied to x first.
// CHECK-LABEL: func.func @gelu_erf_reordered
// CHECK: heed.gelu
// CHECK-NOT: heed.erf
func.func @gelu_erf_reordered(%x: tensor<8xf32>) -> tensor<8xf32> {
  %r = heed.constant dense<0.707106769> : tensor<f32>
  %z = heed.mul %r, %x : (tensor<f32>, tensor<8xf32>) -> tensor<8xf32>
  %e = heed.erf %z : (tensor<8xf32>) -> tensor<8xf32>
  %one = heed.constant dense<1.0> : tensor<f32>
  %p = heed.add %one, %e : (tensor<f32>, tensor<8xf32>) -> tensor<8xf32>
  %half = heed.constant dense<0.5> : tensor<f32>
  %hx = heed.mul %half, %x : (tensor<f32>, tensor<8xf32>) -> tensor<8xf32>
  %y = heed.mul %hx, %p : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  return %y : tensor<8xf32>
}

// -----

// nn.GELU between an FFN's projections: the 0.5 stays with the GELU, not pulled out of the
// second projection's matmul (or through a reshape) as a scale.
// CHECK-LABEL: func.func @gelu_before_matmul
// CHECK-SAME: (%[[X:.*]]: tensor<?x2x4xf32>, %[[W:.*]]: tensor<8x4xf32>)
// CHECK: %[[G:.*]] = heed.gelu %[[X]]
// CHECK-NEXT: %[[R:.*]] = heed.reshape %[[G]]
// CHECK-NEXT: %[[Y:.*]] = heed.matmul %[[R]], %[[W]]
// CHECK-NEXT: return %[[Y]]
func.func @gelu_before_matmul(%x: tensor<?x2x4xf32>, %w: tensor<8x4xf32>) -> tensor<?x4xf32> {
  %sqrt2 = heed.constant dense<1.41421354> : tensor<f32>
  %z = heed.div %x, %sqrt2 : (tensor<?x2x4xf32>, tensor<f32>) -> tensor<?x2x4xf32>
  %e = heed.erf %z : (tensor<?x2x4xf32>) -> tensor<?x2x4xf32>
  %one = heed.constant dense<1.0> : tensor<f32>
  %p = heed.add %e, %one : (tensor<?x2x4xf32>, tensor<f32>) -> tensor<?x2x4xf32>
  %xp = heed.mul %x, %p : (tensor<?x2x4xf32>, tensor<?x2x4xf32>) -> tensor<?x2x4xf32>
  %half = heed.constant dense<0.5> : tensor<f32>
  %g = heed.mul %xp, %half : (tensor<?x2x4xf32>, tensor<f32>) -> tensor<?x2x4xf32>
  %r = heed.reshape %g {shape = array<i64: -1, 8>} : (tensor<?x2x4xf32>) -> tensor<?x8xf32>
  %y = heed.matmul %r, %w : (tensor<?x8xf32>, tensor<8x4xf32>) -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// -----

// HF's gelu_new / GPT-2's NewGELU: 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 pow(x, 3)))), and
// the cube written x * x * x.
// CHECK-LABEL: func.func @gelu_tanh
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xf32>)
// CHECK: %[[A:.*]] = heed.gelu %[[X]] {approximate = #heed<gelu_approx tanh>}
// CHECK: %[[B:.*]] = heed.gelu %[[X]] {approximate = #heed<gelu_approx tanh>}
// CHECK-NOT: heed.tanh
// CHECK: return %[[A]], %[[B]]
func.func @gelu_tanh(%x: tensor<?x8xf32>) -> (tensor<?x8xf32>, tensor<?x8xf32>) {
  %half = heed.constant dense<0.5> : tensor<f32>
  %three = heed.constant dense<3.0> : tensor<f32>
  %c2 = heed.constant dense<0.044715> : tensor<f32>
  %c1 = heed.constant dense<0.797884583> : tensor<f32>
  %one = heed.constant dense<1.0> : tensor<f32>
  %hx = heed.mul %x, %half : (tensor<?x8xf32>, tensor<f32>) -> tensor<?x8xf32>
  %cube = heed.pow %x, %three : (tensor<?x8xf32>, tensor<f32>) -> tensor<?x8xf32>
  %t2 = heed.mul %cube, %c2 : (tensor<?x8xf32>, tensor<f32>) -> tensor<?x8xf32>
  %in = heed.add %x, %t2 : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  %arg = heed.mul %in, %c1 : (tensor<?x8xf32>, tensor<f32>) -> tensor<?x8xf32>
  %th = heed.tanh %arg : (tensor<?x8xf32>) -> tensor<?x8xf32>
  %p = heed.add %th, %one : (tensor<?x8xf32>, tensor<f32>) -> tensor<?x8xf32>
  %a = heed.mul %hx, %p : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  %xx = heed.mul %x, %x : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  %xxx = heed.mul %xx, %x : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  %u2 = heed.mul %c2, %xxx : (tensor<f32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  %in2 = heed.add %u2, %x : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  %arg2 = heed.mul %c1, %in2 : (tensor<f32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  %th2 = heed.tanh %arg2 : (tensor<?x8xf32>) -> tensor<?x8xf32>
  %p2 = heed.add %one, %th2 : (tensor<f32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  %xp = heed.mul %x, %p2 : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  %b = heed.mul %xp, %half : (tensor<?x8xf32>, tensor<f32>) -> tensor<?x8xf32>
  return %a, %b : tensor<?x8xf32>, tensor<?x8xf32>
}

// -----

// Negative: a cube coefficient other than 0.044715 is no GELU.
// CHECK-LABEL: func.func @gelu_tanh_wrong_constant
// CHECK-NOT: heed.gelu
func.func @gelu_tanh_wrong_constant(%x: tensor<8xf32>) -> tensor<8xf32> {
  %half = heed.constant dense<0.5> : tensor<f32>
  %three = heed.constant dense<3.0> : tensor<f32>
  %c2 = heed.constant dense<0.05> : tensor<f32>
  %c1 = heed.constant dense<0.797884583> : tensor<f32>
  %one = heed.constant dense<1.0> : tensor<f32>
  %hx = heed.mul %x, %half : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %cube = heed.pow %x, %three : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %t2 = heed.mul %cube, %c2 : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %in = heed.add %x, %t2 : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %arg = heed.mul %in, %c1 : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %th = heed.tanh %arg : (tensor<8xf32>) -> tensor<8xf32>
  %p = heed.add %th, %one : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %a = heed.mul %hx, %p : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  return %a : tensor<8xf32>
}

// -----

// Negative: erf(x / 2) is no GELU.
// CHECK-LABEL: func.func @gelu_wrong_constant
// CHECK-NOT: heed.gelu
func.func @gelu_wrong_constant(%x: tensor<8xf32>) -> tensor<8xf32> {
  %c = heed.constant dense<2.0> : tensor<f32>
  %z = heed.div %x, %c : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %e = heed.erf %z : (tensor<8xf32>) -> tensor<8xf32>
  %one = heed.constant dense<1.0> : tensor<f32>
  %p = heed.add %e, %one : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %xp = heed.mul %x, %p : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %half = heed.constant dense<0.5> : tensor<f32>
  %y = heed.mul %xp, %half : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  return %y : tensor<8xf32>
}

// -----

// Scales: Div by a constant becomes Mul by its reciprocal, and a scale on Q
// moves onto the scores; K^T in-graph becomes transpose_b.
// CHECK-LABEL: func.func @scales_and_transposes
// CHECK-SAME: (%[[Q:.*]]: tensor<2x8x64xf32>, %[[K:.*]]: tensor<2x8x64xf32>)
// CHECK: %[[C:.*]] = heed.constant dense<1.250000e-01> : tensor<f32>
// CHECK: %[[S:.*]] = heed.matmul %[[Q]], %[[K]] {transpose_b = true}
// CHECK: %[[X:.*]] = heed.mul %[[S]], %[[C]]
// CHECK: return %[[X]]
func.func @scales_and_transposes(%q: tensor<2x8x64xf32>, %k: tensor<2x8x64xf32>) -> tensor<2x8x8xf32> {
  %c = heed.constant dense<8.0> : tensor<f32>
  %qs = heed.div %q, %c : (tensor<2x8x64xf32>, tensor<f32>) -> tensor<2x8x64xf32>
  %kt = heed.transpose %k {permutation = array<i64: 0, 2, 1>} : (tensor<2x8x64xf32>) -> tensor<2x64x8xf32>
  %s = heed.matmul %qs, %kt : (tensor<2x8x64xf32>, tensor<2x64x8xf32>) -> tensor<2x8x8xf32>
  return %s : tensor<2x8x8xf32>
}

// -----

// q.size(-1) ** -0.5 as torch exports it: Cast(64) then Pow(-0.5), one constant scale 0.125; a
// pow of a non-constant stays.
// CHECK-LABEL: func.func @scale_from_head_size
// CHECK-NOT: heed.cast
// CHECK-DAG: %[[S:.*]] = heed.constant dense<1.250000e-01> : tensor<f32>
// CHECK-DAG: %[[P:.*]] = heed.pow %arg0
// CHECK: return %[[S]], %[[P]]
func.func @scale_from_head_size(%x: tensor<f32>) -> (tensor<f32>, tensor<f32>) {
  %d = heed.constant dense<64> : tensor<i64>
  %e = heed.constant dense<-5.000000e-01> : tensor<f32>
  %f = heed.cast %d {to = f32} : (tensor<i64>) -> tensor<f32>
  %s = heed.pow %f, %e : (tensor<f32>, tensor<f32>) -> tensor<f32>
  %p = heed.pow %x, %e : (tensor<f32>, tensor<f32>) -> tensor<f32>
  return %s, %p : tensor<f32>, tensor<f32>
}

// -----

// ALiBi: the distance bias subtracted from the scores becomes an added, negated one.
// CHECK-LABEL: func.func @subtracted_bias
// CHECK-SAME: (%[[Q:.*]]: tensor<?x2x?x8xf32>, %[[K:.*]]: tensor<?x2x?x8xf32>, %[[B:.*]]: tensor<2x?x?xf32>)
// CHECK: %[[S:.*]] = heed.matmul %[[Q]], %[[K]] {transpose_b = true}
// CHECK: %[[N:.*]] = heed.neg %[[B]]
// CHECK: %[[M:.*]] = heed.add %[[S]], %[[N]]
// CHECK: heed.softmax %[[M]]
func.func @subtracted_bias(%q: tensor<?x2x?x8xf32>, %k: tensor<?x2x?x8xf32>, %b: tensor<2x?x?xf32>) -> tensor<?x2x?x?xf32> {
  %s = heed.matmul %q, %k {transpose_b = true} : (tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x2x?x?xf32>
  %m = heed.sub %s, %b : (tensor<?x2x?x?xf32>, tensor<2x?x?xf32>) -> tensor<?x2x?x?xf32>
  %w = heed.softmax %m {axis = 3 : i64} : (tensor<?x2x?x?xf32>) -> tensor<?x2x?x?xf32>
  return %w : tensor<?x2x?x?xf32>
}

// -----

// A softmax's own stabilizer (s - max s) is no bias: left alone.
// CHECK-LABEL: func.func @subtracted_max
// CHECK: heed.sub
// CHECK-NOT: heed.neg
func.func @subtracted_max(%q: tensor<2x4x8xf32>, %k: tensor<2x4x8xf32>) -> tensor<2x4x4xf32> {
  %s = heed.matmul %q, %k {transpose_b = true} : (tensor<2x4x8xf32>, tensor<2x4x8xf32>) -> tensor<2x4x4xf32>
  %max = heed.reduce max, %s {axes = array<i64: -1>, keep_dims = true} : (tensor<2x4x4xf32>) -> tensor<2x4x1xf32>
  %m = heed.sub %s, %max : (tensor<2x4x4xf32>, tensor<2x4x1xf32>) -> tensor<2x4x4xf32>
  %w = heed.softmax %m {axis = 2 : i64} : (tensor<2x4x4xf32>) -> tensor<2x4x4xf32>
  return %w : tensor<2x4x4xf32>
}

// -----

// Swin's shifted windows: scores [B*nW, H, N, N] viewed as [B, nW, H, N, N] for the [1, nW, 1,
// N, N] mask, then viewed back for the softmax. The mask is broadcast to the split shape (its dims
// the view's own operands) and reshaped onto the scores, which keep no other user.
// CHECK-LABEL: func.func @mask_across_reshape
// CHECK-SAME: (%[[S:.*]]: tensor<?x2x16x16xf32>, %[[M:.*]]: tensor<1x?x1x16x16xf32>, %[[A:.*]]: index, %[[W:.*]]: index)
// CHECK: %[[L:.*]] = heed.full false[%[[A]], %[[W]]] : tensor<?x?x2x16x16xi1>
// CHECK: %[[BM:.*]] = heed.broadcast %[[M]], %[[L]]
// CHECK: %[[R:.*]] = heed.reshape %[[BM]] {shape = array<i64: -1, 2, 16, 16>}
// CHECK: %[[SUM:.*]] = heed.add %[[S]], %[[R]]
// CHECK: heed.softmax %[[SUM]]
func.func @mask_across_reshape(%s: tensor<?x2x16x16xf32>, %m: tensor<1x?x1x16x16xf32>, %a: index, %w: index) -> tensor<?x2x16x16xf32> {
  %c2 = arith.constant 2 : index
  %c16 = arith.constant 16 : index
  %split = heed.reshape_dynamic %s, %a, %w, %c2, %c16, %c16 : (tensor<?x2x16x16xf32>, index, index, index, index, index) -> tensor<?x?x2x16x16xf32>
  %sum = heed.add %split, %m : (tensor<?x?x2x16x16xf32>, tensor<1x?x1x16x16xf32>) -> tensor<?x?x2x16x16xf32>
  %back = heed.reshape %sum {shape = array<i64: -1, 2, 16, 16>} : (tensor<?x?x2x16x16xf32>) -> tensor<?x2x16x16xf32>
  %w2 = heed.softmax %back {axis = 3 : i64} : (tensor<?x2x16x16xf32>) -> tensor<?x2x16x16xf32>
  return %w2 : tensor<?x2x16x16xf32>
}

// -----

// A view back to another shape than the scores' is not the identity: left alone.
// CHECK-LABEL: func.func @mask_across_other_reshape
// CHECK: heed.reshape_dynamic
// CHECK-NOT: heed.broadcast
func.func @mask_across_other_reshape(%s: tensor<?x2x16x16xf32>, %m: tensor<1x?x1x16x16xf32>, %a: index, %w: index) -> tensor<?x32x16xf32> {
  %c2 = arith.constant 2 : index
  %c16 = arith.constant 16 : index
  %split = heed.reshape_dynamic %s, %a, %w, %c2, %c16, %c16 : (tensor<?x2x16x16xf32>, index, index, index, index, index) -> tensor<?x?x2x16x16xf32>
  %sum = heed.add %split, %m : (tensor<?x?x2x16x16xf32>, tensor<1x?x1x16x16xf32>) -> tensor<?x?x2x16x16xf32>
  %back = heed.reshape %sum {shape = array<i64: -1, 32, 16>} : (tensor<?x?x2x16x16xf32>) -> tensor<?x32x16xf32>
  %w2 = heed.softmax %back {axis = 2 : i64} : (tensor<?x32x16xf32>) -> tensor<?x32x16xf32>
  return %w2 : tensor<?x32x16xf32>
}
