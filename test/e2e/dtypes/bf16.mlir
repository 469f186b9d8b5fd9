// bf16 on the CPU, from a .safetensors input (numpy has no bf16): add computes in f32 and rounds
// once to nearest-even, transpose moves the bits, bf16 -> f32 is exact. References: torch's
// f32 -> bfloat16 rounding (gen_refs.py); compared bit for bit. The input holds inf, -inf and
// NaN, which stay what they are.
// RUN: heed-compile %s --target=all -o %t.heedm
// DEFINE: %{in} = %S/Inputs
// RUN: heed-run %t.heedm --input=@%{in}/bf16_x.safetensors \
// RUN:   --expected-output=@%{in}/bf16_add.safetensors \
// RUN:   --expected-output=@%{in}/bf16_transpose.safetensors \
// RUN:   --expected-output=@%{in}/bf16_to_f32.npy --atol=0 --rtol=0 | FileCheck %s
// CHECK-COUNT-3: max abs error 0, max rel error 0, ok
// Vulkan, bit for bit the same:
// RUN: %if vulkan %{ heed-run %t.heedm --device=vulkan --input=@%{in}/bf16_x.safetensors \
// RUN:   --expected-output=@%{in}/bf16_add.safetensors \
// RUN:   --expected-output=@%{in}/bf16_transpose.safetensors \
// RUN:   --expected-output=@%{in}/bf16_to_f32.npy --atol=0 --rtol=0 | FileCheck %s --check-prefix=VK %}
// VK-COUNT-3: max abs error 0, max rel error 0, ok
// Printed without a reference: the values, as f32 would print them.
// RUN: heed-run %t.heedm --input=@%{in}/bf16_x.safetensors | FileCheck %s --check-prefix=PRINT
// PRINT: result[2]: 2x4xf32=[inf -inf nan

func.func @main(%x: tensor<2x4xbf16>) -> (tensor<2x4xbf16>, tensor<4x2xbf16>, tensor<2x4xf32>) {
  %a = heed.add %x, %x : (tensor<2x4xbf16>, tensor<2x4xbf16>) -> tensor<2x4xbf16>
  %t = heed.transpose %x {permutation = array<i64: 1, 0>} : (tensor<2x4xbf16>) -> tensor<4x2xbf16>
  %f = heed.cast %x {to = f32} : (tensor<2x4xbf16>) -> tensor<2x4xf32>
  return %a, %t, %f : tensor<2x4xbf16>, tensor<4x2xbf16>, tensor<2x4xf32>
}
