// A constant scalar index gathered after matmul -> reshape -> transpose (a fused QKV split):
// references from numpy (gen_refs.py gather_scalar).
// RUN: heed-compile %s --target=all -o %t.heedm
// RUN: rm -rf %t.d && mkdir -p %t.d && %python %S/gen_refs.py gather_scalar %t.d
// RUN: heed-run %t.heedm --input=@%t.d/x.npy --input=@%t.d/w.npy \
// RUN:   --expected-output=@%t.d/y.npy --expected-output=@%t.d/y0.npy
// RUN: %if vulkan %{ heed-run %t.heedm --device=vulkan --input=@%t.d/x.npy --input=@%t.d/w.npy \
// RUN:   --expected-output=@%t.d/y.npy --expected-output=@%t.d/y0.npy %}

func.func @main(%x: tensor<4x4x16xf32>, %w: tensor<16x48xf32>) -> (tensor<4x4x16xf32>, tensor<4x4x16xf32>) {
  %m = heed.matmul %x, %w : (tensor<4x4x16xf32>, tensor<16x48xf32>) -> tensor<4x4x48xf32>
  %r = heed.reshape %m {shape = array<i64: 4, 4, 3, 16>} : (tensor<4x4x48xf32>) -> tensor<4x4x3x16xf32>
  %t = heed.transpose %r {permutation = array<i64: 2, 0, 1, 3>} : (tensor<4x4x3x16xf32>) -> tensor<3x4x4x16xf32>
  %i = arith.constant dense<2> : tensor<i64>
  %g = heed.gather %t, %i {axis = 0} : (tensor<3x4x4x16xf32>, tensor<i64>) -> tensor<4x4x16xf32>
  %i0 = arith.constant dense<0> : tensor<i32>
  %g0 = heed.gather %t, %i0 {axis = 0} : (tensor<3x4x4x16xf32>, tensor<i32>) -> tensor<4x4x16xf32>
  return %g, %g0 : tensor<4x4x16xf32>, tensor<4x4x16xf32>
}
