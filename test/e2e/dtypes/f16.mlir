// f16 on the CPU: data movement moves the stored bits, every other op computes in f32 and rounds
// its result once to nearest-even (the references in Inputs/ do the same with numpy:
// gen_refs.py). Outputs compare within atol 1e-4 / rtol 1e-3, which one f16 ulp (2^-10 relative
// at most) passes; data movement and the f32 widening must match exactly.
// RUN: heed-compile %s -o %t.heedm
// DEFINE: %{in} = %S/Inputs
// RUN: heed-run %t.heedm --input=@%{in}/f16_a.npy --input=@%{in}/f16_b.npy \
// RUN:   --input=@%{in}/f16_idx.npy --input=@%{in}/f16_m.npy \
// RUN:   --expected-output=@%{in}/f16_add.npy --expected-output=@%{in}/f16_transpose.npy \
// RUN:   --expected-output=@%{in}/f16_concat.npy --expected-output=@%{in}/f16_gather.npy \
// RUN:   --expected-output=@%{in}/f16_where.npy --expected-output=@%{in}/f16_tanh.npy \
// RUN:   --expected-output=@%{in}/f16_softmax.npy --expected-output=@%{in}/f16_matmul.npy \
// RUN:   --expected-output=@%{in}/f16_sum.npy | FileCheck %s
// CHECK-COUNT-9: max abs error {{.*}}, ok
// Exact: data movement and f16 -> f32 (atol 0, rtol 0).
// RUN: heed-run %t.heedm --function=exact --input=@%{in}/f16_a.npy --input=@%{in}/f16_idx.npy \
// RUN:   --expected-output=@%{in}/f16_gather.npy --expected-output=@%{in}/f16_to_f32.npy \
// RUN:   --atol=0 --rtol=0 | FileCheck %s --check-prefix=EXACT
// EXACT-COUNT-2: max abs error 0, max rel error 0, ok
// An f16 output written as .npy reads back in numpy as float16, bit for bit:
// RUN: heed-run %t.heedm --function=exact --input=@%{in}/f16_a.npy --input=@%{in}/f16_idx.npy \
// RUN:   --output=@%t.gather.npy
// RUN: %python -c "import numpy as np, sys; g = np.load(sys.argv[1]); w = np.load(sys.argv[2]); print(g.dtype, (g.view(np.uint16) == w.view(np.uint16)).all())" %t.gather.npy %{in}/f16_gather.npy | FileCheck %s --check-prefix=NPY
// NPY: float16 True
// Normalization, attention and an LSTM on f16 storage (oneDNN and Heed's kernels, in f32):
// RUN: heed-run %t.heedm --function=nn --input=@%{in}/f16nn_x.npy --input=@%{in}/f16nn_w.npy \
// RUN:   --input=@%{in}/f16nn_u.npy --expected-output=@%{in}/f16nn_ln.npy \
// RUN:   --expected-output=@%{in}/f16nn_attn.npy --expected-output=@%{in}/f16nn_y.npy \
// RUN:   --expected-output=@%{in}/f16nn_c.npy | FileCheck %s --check-prefix=NN
// NN-COUNT-4: max abs error {{.*}}, ok
// Vulkan has the f16 elementwise and data movement ops (test/e2e/vulkan/dtypes.mlir) but not
// the nn ops on f16: a compile-time error naming the op.
// RUN: not heed-compile %s --target=vulkan -o %t.vk.heedm 2>&1 | FileCheck %s --check-prefix=VULKAN
// VULKAN: f16.mlir:[[#@LINE+11]]:9: error: 'heed.softmax' supports only f32 on vulkan (unimplemented on vulkan)

func.func @main(%a: tensor<2x3xf16>, %b: tensor<3xf16>, %idx: tensor<3xi64>, %m: tensor<2x3xi1>)
    -> (tensor<2x3xf16>, tensor<3x2xf16>, tensor<4x3xf16>, tensor<3x3xf16>, tensor<2x3xf16>,
        tensor<2x3xf16>, tensor<2x3xf16>, tensor<2x2xf16>, tensor<2xf16>) {
  %add = heed.add %a, %b : (tensor<2x3xf16>, tensor<3xf16>) -> tensor<2x3xf16>
  %t = heed.transpose %add {permutation = array<i64: 1, 0>} : (tensor<2x3xf16>) -> tensor<3x2xf16>
  %c = heed.concat %a, %add {axis = 0} : (tensor<2x3xf16>, tensor<2x3xf16>) -> tensor<4x3xf16>
  %g = heed.gather %a, %idx : (tensor<2x3xf16>, tensor<3xi64>) -> tensor<3x3xf16>
  %w = heed.where %m, %a, %add : (tensor<2x3xi1>, tensor<2x3xf16>, tensor<2x3xf16>) -> tensor<2x3xf16>
  %th = heed.tanh %a : (tensor<2x3xf16>) -> tensor<2x3xf16>
  %sm = heed.softmax %a : (tensor<2x3xf16>) -> tensor<2x3xf16>
  %mm = heed.matmul %a, %a {transpose_b = true} : (tensor<2x3xf16>, tensor<2x3xf16>) -> tensor<2x2xf16>
  %s = heed.reduce sum, %a {axes = array<i64: 1>} : (tensor<2x3xf16>) -> tensor<2xf16>
  return %add, %t, %c, %g, %w, %th, %sm, %mm, %s : tensor<2x3xf16>, tensor<3x2xf16>, tensor<4x3xf16>, tensor<3x3xf16>, tensor<2x3xf16>, tensor<2x3xf16>, tensor<2x3xf16>, tensor<2x2xf16>, tensor<2xf16>
}

func.func @exact(%a: tensor<2x3xf16>, %idx: tensor<3xi64>) -> (tensor<3x3xf16>, tensor<2x3xf32>) {
  %g = heed.gather %a, %idx : (tensor<2x3xf16>, tensor<3xi64>) -> tensor<3x3xf16>
  %f = heed.cast %a {to = f32} : (tensor<2x3xf16>) -> tensor<2x3xf32>
  return %g, %f : tensor<3x3xf16>, tensor<2x3xf32>
}

func.func @nn(%x: tensor<2x3x4xf16>, %w: tensor<16x4xf16>, %u: tensor<16x4xf16>)
    -> (tensor<2x3x4xf16>, tensor<2x3x4xf16>, tensor<2x3x4xf16>, tensor<1x3x4xf16>) {
  %ln = heed.layer_norm %x : (tensor<2x3x4xf16>) -> tensor<2x3x4xf16>
  %a = heed.attention %x, %x, %x {scale = 0.5 : f32} : (tensor<2x3x4xf16>, tensor<2x3x4xf16>, tensor<2x3x4xf16>) -> tensor<2x3x4xf16>
  %y:3 = heed.lstm %x weights(%w, %u) {hidden_size = 4, has_biases = false} : (tensor<2x3x4xf16>, tensor<16x4xf16>, tensor<16x4xf16>) -> (tensor<2x3x4xf16>, tensor<1x3x4xf16>, tensor<1x3x4xf16>)
  return %ln, %a, %y#0, %y#2 : tensor<2x3x4xf16>, tensor<2x3x4xf16>, tensor<2x3x4xf16>, tensor<1x3x4xf16>
}
