// Casts into f16 and bf16 round once, to nearest-even, from the source value: f64 -> f16 and
// f64 -> bf16 do not go through f32 (which would land on a tie and round to even: the first two
// inputs of each are made for that). References: numpy (f16) and exact integer rounding (bf16)
// in gen_refs.py; compared bit for bit (atol 0, rtol 0). Overflow gives inf, NaN stays NaN.
// Vulkan rounds the same (integer ports of the CPU's conversions) and must match bit for bit.
// RUN: heed-compile %s --target=all -o %t.heedm
// DEFINE: %{in} = %S/Inputs
// RUN: heed-run %t.heedm --function=f16 --input=@%{in}/f16_f64_in.npy \
// RUN:   --expected-output=@%{in}/f16_from_f64.npy --expected-output=@%{in}/f16_back_f64.npy \
// RUN:   --atol=0 --rtol=0 | FileCheck %s
// RUN: heed-run %t.heedm --function=bf16 --input=@%{in}/bf16_f64_in.npy \
// RUN:   --input=@%{in}/bf16_x_f32.npy --expected-output=@%{in}/bf16_from_f64.safetensors \
// RUN:   --expected-output=@%{in}/bf16_from_f32.safetensors --atol=0 --rtol=0 | FileCheck %s
// RUN: %if vulkan %{ heed-run %t.heedm --device=vulkan --function=f16 --input=@%{in}/f16_f64_in.npy \
// RUN:   --expected-output=@%{in}/f16_from_f64.npy --expected-output=@%{in}/f16_back_f64.npy \
// RUN:   --atol=0 --rtol=0 | FileCheck %s %}
// RUN: %if vulkan %{ heed-run %t.heedm --device=vulkan --function=bf16 --input=@%{in}/bf16_f64_in.npy \
// RUN:   --input=@%{in}/bf16_x_f32.npy --expected-output=@%{in}/bf16_from_f64.safetensors \
// RUN:   --expected-output=@%{in}/bf16_from_f32.safetensors --atol=0 --rtol=0 | FileCheck %s %}
// CHECK-COUNT-2: max abs error 0, max rel error 0, ok
// A bf16 output goes to .safetensors (numpy has no bf16), bit for bit what torch gives:
// RUN: heed-run %t.heedm --function=bf16 --input=@%{in}/bf16_f64_in.npy \
// RUN:   --input=@%{in}/bf16_x_f32.npy --output=@%t.a.safetensors --output=@%t.b.safetensors
// RUN: heed-run %t.heedm --function=bf16_bits --input=@%t.b.safetensors \
// RUN:   --expected-output=@%{in}/bf16_from_f32.safetensors --atol=0 --rtol=0 | FileCheck %s --check-prefix=BITS
// BITS: output 0: max abs error 0, max rel error 0, ok
// .npy cannot hold bf16: writing one is an error that names the file.
// RUN: not heed-run %t.heedm --function=bf16 --input=@%{in}/bf16_f64_in.npy \
// RUN:   --input=@%{in}/bf16_x_f32.npy --output=@%t.bad.npy 2>&1 | FileCheck %s --check-prefix=NPY
// NPY: heed-run: {{.*}}.bad.npy: .npy has no bf16 dtype; write the output to a .safetensors file

func.func @f16(%x: tensor<8xf64>) -> (tensor<8xf16>, tensor<8xf64>) {
  %h = heed.cast %x {to = f16} : (tensor<8xf64>) -> tensor<8xf16>
  %d = heed.cast %h {to = f64} : (tensor<8xf16>) -> tensor<8xf64>
  return %h, %d : tensor<8xf16>, tensor<8xf64>
}

func.func @bf16(%d: tensor<6xf64>, %x: tensor<2x4xf32>) -> (tensor<6xbf16>, tensor<2x4xbf16>) {
  %a = heed.cast %d {to = bf16} : (tensor<6xf64>) -> tensor<6xbf16>
  %b = heed.cast %x {to = bf16} : (tensor<2x4xf32>) -> tensor<2x4xbf16>
  return %a, %b : tensor<6xbf16>, tensor<2x4xbf16>
}

func.func @bf16_bits(%x: tensor<2x4xbf16>) -> tensor<2x4xbf16> {
  %t = heed.transpose %x {permutation = array<i64: 1, 0>} : (tensor<2x4xbf16>) -> tensor<4x2xbf16>
  %b = heed.transpose %t {permutation = array<i64: 1, 0>} : (tensor<4x2xbf16>) -> tensor<2x4xbf16>
  return %b : tensor<2x4xbf16>
}
