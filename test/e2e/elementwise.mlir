// Elementwise ops with NumPy broadcasting, at two lengths from one module.
// RUN: heed-compile %s --target=all -o %t.heedm
// RUN: rm -rf %t.d && mkdir -p %t.d && %python %S/gen_refs.py elementwise %t.d
// RUN: heed-run %t.heedm --function=arith --input=@%t.d/x_3.npy --input=@%t.d/p_3.npy \
// RUN:   --expected-output=@%t.d/arith0_3.npy --expected-output=@%t.d/arith1_3.npy \
// RUN:   --expected-output=@%t.d/arith2_3.npy --expected-output=@%t.d/arith3_3.npy \
// RUN:   --expected-output=@%t.d/arith4_3.npy --expected-output=@%t.d/arith5_3.npy \
// RUN:   --expected-output=@%t.d/arith6_3.npy | FileCheck %s --check-prefix=ARITH
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=arith --input=@%t.d/x_3.npy --input=@%t.d/p_3.npy \
// RUN:   --expected-output=@%t.d/arith0_3.npy --expected-output=@%t.d/arith1_3.npy \
// RUN:   --expected-output=@%t.d/arith2_3.npy --expected-output=@%t.d/arith3_3.npy \
// RUN:   --expected-output=@%t.d/arith4_3.npy --expected-output=@%t.d/arith5_3.npy \
// RUN:   --expected-output=@%t.d/arith6_3.npy | FileCheck %s --check-prefix=ARITH %}
// RUN: heed-run %t.heedm --function=arith --input=@%t.d/x_7.npy --input=@%t.d/p_7.npy \
// RUN:   --expected-output=@%t.d/arith0_7.npy --expected-output=@%t.d/arith1_7.npy \
// RUN:   --expected-output=@%t.d/arith2_7.npy --expected-output=@%t.d/arith3_7.npy \
// RUN:   --expected-output=@%t.d/arith4_7.npy --expected-output=@%t.d/arith5_7.npy \
// RUN:   --expected-output=@%t.d/arith6_7.npy | FileCheck %s --check-prefix=ARITH
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=arith --input=@%t.d/x_7.npy --input=@%t.d/p_7.npy \
// RUN:   --expected-output=@%t.d/arith0_7.npy --expected-output=@%t.d/arith1_7.npy \
// RUN:   --expected-output=@%t.d/arith2_7.npy --expected-output=@%t.d/arith3_7.npy \
// RUN:   --expected-output=@%t.d/arith4_7.npy --expected-output=@%t.d/arith5_7.npy \
// RUN:   --expected-output=@%t.d/arith6_7.npy | FileCheck %s --check-prefix=ARITH %}
// RUN: heed-run %t.heedm --function=unary --input=@%t.d/x_3.npy --input=@%t.d/q_3.npy \
// RUN:   --expected-output=@%t.d/unary_3.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=unary --input=@%t.d/x_3.npy --input=@%t.d/q_3.npy \
// RUN:   --expected-output=@%t.d/unary_3.npy %}
// RUN: heed-run %t.heedm --function=unary --input=@%t.d/x_7.npy --input=@%t.d/q_7.npy \
// RUN:   --expected-output=@%t.d/unary_7.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=unary --input=@%t.d/x_7.npy --input=@%t.d/q_7.npy \
// RUN:   --expected-output=@%t.d/unary_7.npy %}
// RUN: env HEED_CPU_NO_DNNL=1 heed-run %t.heedm --function=unary --input=@%t.d/x_7.npy \
// RUN:   --input=@%t.d/q_7.npy --expected-output=@%t.d/unary_7.npy
// RUN: heed-run %t.heedm --function=logic --input=@%t.d/x_3.npy --input=@%t.d/p_3.npy \
// RUN:   --input=@%t.d/b_3.npy --expected-output=@%t.d/logic0_3.npy \
// RUN:   --expected-output=@%t.d/logic1_3.npy --expected-output=@%t.d/logic2_3.npy \
// RUN:   --expected-output=@%t.d/logic3_3.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=logic --input=@%t.d/x_3.npy --input=@%t.d/p_3.npy \
// RUN:   --input=@%t.d/b_3.npy --expected-output=@%t.d/logic0_3.npy \
// RUN:   --expected-output=@%t.d/logic1_3.npy --expected-output=@%t.d/logic2_3.npy \
// RUN:   --expected-output=@%t.d/logic3_3.npy %}
// RUN: heed-run %t.heedm --function=logic --input=@%t.d/x_7.npy --input=@%t.d/p_7.npy \
// RUN:   --input=@%t.d/b_7.npy --expected-output=@%t.d/logic0_7.npy \
// RUN:   --expected-output=@%t.d/logic1_7.npy --expected-output=@%t.d/logic2_7.npy \
// RUN:   --expected-output=@%t.d/logic3_7.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=logic --input=@%t.d/x_7.npy --input=@%t.d/p_7.npy \
// RUN:   --input=@%t.d/b_7.npy --expected-output=@%t.d/logic0_7.npy \
// RUN:   --expected-output=@%t.d/logic1_7.npy --expected-output=@%t.d/logic2_7.npy \
// RUN:   --expected-output=@%t.d/logic3_7.npy %}
// ARITH-COUNT-7: max abs error {{.*}}, ok
// Powers by a scalar 2 and 3 (products on the CPU):
// RUN: heed-run %t.heedm --function=powers --input=@%t.d/x_3.npy --expected-output=@%t.d/square_3.npy --expected-output=@%t.d/cube_3.npy
// RUN: heed-run %t.heedm --function=powers --input=@%t.d/x_7.npy --expected-output=@%t.d/square_7.npy --expected-output=@%t.d/cube_7.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=powers --input=@%t.d/x_7.npy --expected-output=@%t.d/square_7.npy --expected-output=@%t.d/cube_7.npy %}

func.func @arith(%x: tensor<?x4xf32>, %p: tensor<4xf32>) -> (tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>) {
  %0 = heed.add %x, %p : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  %1 = heed.sub %p, %x : (tensor<4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  %2 = heed.mul %x, %p : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  %3 = heed.div %x, %p : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  %4 = heed.max %x, %p : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  %5 = heed.min %x, %p : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  %6 = heed.pow %p, %x : (tensor<4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  return %0, %1, %2, %3, %4, %5, %6 : tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>
}

// Every unary op, stacked along a new leading dim by concat.
func.func @unary(%x: tensor<?x4xf32>, %q: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %0 = heed.abs %x : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %1 = heed.erf %x : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %2 = heed.exp %x : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %3 = heed.log %q : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %4 = heed.neg %x : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %5 = heed.reciprocal %q : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %6 = heed.relu %x : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %7 = heed.rsqrt %q : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %8 = heed.sigmoid %x : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %9 = heed.sqrt %q : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %10 = heed.tanh %x : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %11 = heed.gelu %x : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %12 = heed.gelu %x {approximate = #heed<gelu_approx tanh>} : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %all = heed.concat %0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12 {axis = 0} : (tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  return %all : tensor<?x4xf32>
}

func.func @logic(%x: tensor<?x4xf32>, %p: tensor<4xf32>, %b: tensor<?x1xi1>) -> (tensor<?x4xi1>, tensor<?x4xf32>, tensor<?x4xi32>, tensor<?x4xf32>) {
  %lt = heed.compare lt, %x, %p : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xi1>
  %ge = heed.compare ge, %x, %p : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xi1>
  %n = heed.not %lt : (tensor<?x4xi1>) -> tensor<?x4xi1>
  %a = heed.and %n, %b : (tensor<?x4xi1>, tensor<?x1xi1>) -> tensor<?x4xi1>
  %o = heed.or %a, %ge : (tensor<?x4xi1>, tensor<?x4xi1>) -> tensor<?x4xi1>
  %w = heed.where %lt, %x, %p : (tensor<?x4xi1>, tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  %s = heed.mul %x, %p : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  %i = heed.cast %s {to = i32} : (tensor<?x4xf32>) -> tensor<?x4xi32>
  %f = heed.cast %o {to = f32} : (tensor<?x4xi1>) -> tensor<?x4xf32>
  return %o, %w, %i, %f : tensor<?x4xi1>, tensor<?x4xf32>, tensor<?x4xi32>, tensor<?x4xf32>
}

func.func @powers(%x: tensor<?x4xf32>) -> (tensor<?x4xf32>, tensor<?x4xf32>) {
  %two = heed.constant dense<2.0> : tensor<f32>
  %three = heed.constant dense<3.0> : tensor<f32>
  %0 = heed.pow %x, %two : (tensor<?x4xf32>, tensor<f32>) -> tensor<?x4xf32>
  %1 = heed.pow %x, %three : (tensor<?x4xf32>, tensor<f32>) -> tensor<?x4xf32>
  return %0, %1 : tensor<?x4xf32>, tensor<?x4xf32>
}
