// ui8, ui32 and ui64 on the CPU and on Vulkan: add, sub and mul wrap modulo 2^bits, div truncates,
// compare is unsigned, casts go through the exact value. References: numpy's unsigned arithmetic
// (gen_refs.py), compared exactly (integers always are).
// RUN: heed-compile %s --target=all -o %t.heedm
// DEFINE: %{in} = %S/Inputs
// DEFINE: %{u8} = --function=u8 --input=@%{in}/u8_a.npy --input=@%{in}/u8_b.npy \
// DEFINE:   --expected-output=@%{in}/u8_add.npy --expected-output=@%{in}/u8_sub.npy \
// DEFINE:   --expected-output=@%{in}/u8_mul.npy --expected-output=@%{in}/u8_div.npy \
// DEFINE:   --expected-output=@%{in}/u8_max.npy --expected-output=@%{in}/u8_gt.npy \
// DEFINE:   --expected-output=@%{in}/u8_to_f32.npy
// DEFINE: %{u32} = --function=u32 --input=@%{in}/u32_a.npy --input=@%{in}/u32_b.npy \
// DEFINE:   --expected-output=@%{in}/u32_add.npy --expected-output=@%{in}/u32_mul.npy \
// DEFINE:   --expected-output=@%{in}/u32_div.npy --expected-output=@%{in}/u32_lt.npy
// DEFINE: %{u64} = --function=u64 --input=@%{in}/u64_a.npy --input=@%{in}/u64_b.npy \
// DEFINE:   --input=@%{in}/f32_for_u8.npy \
// DEFINE:   --expected-output=@%{in}/u64_sub.npy --expected-output=@%{in}/u64_div.npy \
// DEFINE:   --expected-output=@%{in}/u64_ge.npy --expected-output=@%{in}/u64_to_f64.npy \
// DEFINE:   --expected-output=@%{in}/f32_to_u8.npy
// RUN: heed-run %t.heedm %{u8} | FileCheck %s --check-prefix=U8
// RUN: %if vulkan %{ heed-run %t.heedm --device=vulkan %{u8} | FileCheck %s --check-prefix=U8 %}
// U8-COUNT-7: max abs error {{.*}}, ok
// RUN: heed-run %t.heedm %{u32} | FileCheck %s --check-prefix=U32
// RUN: %if vulkan %{ heed-run %t.heedm --device=vulkan %{u32} | FileCheck %s --check-prefix=U32 %}
// U32-COUNT-4: max abs error {{.*}}, ok
// RUN: heed-run %t.heedm %{u64} | FileCheck %s --check-prefix=U64
// RUN: %if vulkan %{ heed-run %t.heedm --device=vulkan %{u64} | FileCheck %s --check-prefix=U64 %}
// U64-COUNT-5: max abs error {{.*}}, ok
// Outputs print and write exactly (2^64 - 1 is not a double):
// RUN: heed-run %t.heedm --function=u64 --input="4xui64=[0 1 9223372036854775808 18446744073709551615]" \
// RUN:   --input="4xui64=1" --input="4xf32=0" | FileCheck %s --check-prefix=PRINT
// RUN: %if vulkan %{ heed-run %t.heedm --device=vulkan --function=u64 --input="4xui64=[0 1 9223372036854775808 18446744073709551615]" \
// RUN:   --input="4xui64=1" --input="4xf32=0" | FileCheck %s --check-prefix=PRINT %}
// PRINT: result[0]: 4xui64=[18446744073709551615 0 9223372036854775807 18446744073709551614]
// RUN: heed-run %t.heedm --function=u8 --input=@%{in}/u8_a.npy --input=@%{in}/u8_b.npy \
// RUN:   --output=@%t.add.npy
// RUN: %python -c "import numpy as np, sys; a = np.load(sys.argv[1]); print(a.dtype, (a == np.load(sys.argv[2])).all())" %t.add.npy %{in}/u8_add.npy | FileCheck %s --check-prefix=NPY
// NPY: uint8 True
// Division by zero is an error naming the op (ONNX leaves it undefined), never a crash:
// RUN: not heed-run %t.heedm --function=u8 --input="3x4xui8=1" --input="3x4xui8=0" 2>&1 \
// RUN:   | FileCheck %s --check-prefix=DIV0
// RUN: %if vulkan %{ not heed-run %t.heedm --device=vulkan --function=u8 --input="3x4xui8=1" --input="3x4xui8=0" 2>&1 \
// RUN:   | FileCheck %s --check-prefix=DIV0 %}
// DIV0: heed-run: {{.*}}unsigned.mlir:{{[0-9]+}}:{{[0-9]+}}: 'heed.div' divides by zero
// A literal out of its type's range is an input error:
// RUN: not heed-run %t.heedm --function=u8 --input="3x4xui8=256" --input="3x4xui8=1" 2>&1 \
// RUN:   | FileCheck %s --check-prefix=RANGE
// RANGE: heed-run: input 0 ('arg0'): literal '3x4xui8=256': value '256' is out of range for ui8
// RUN: not heed-run %t.heedm --function=u8 --input="3x4xui8=-1" --input="3x4xui8=1" 2>&1 \
// RUN:   | FileCheck %s --check-prefix=NEG
// NEG: heed-run: input 0 ('arg0'): literal '3x4xui8=-1': bad value '-1'
func.func @u8(%a: tensor<3x4xui8>, %b: tensor<3x4xui8>)
    -> (tensor<3x4xui8>, tensor<3x4xui8>, tensor<3x4xui8>, tensor<3x4xui8>, tensor<3x4xui8>,
        tensor<3x4xi1>, tensor<3x4xf32>) {
  %add = heed.add %a, %b : (tensor<3x4xui8>, tensor<3x4xui8>) -> tensor<3x4xui8>
  %sub = heed.sub %a, %b : (tensor<3x4xui8>, tensor<3x4xui8>) -> tensor<3x4xui8>
  %mul = heed.mul %a, %b : (tensor<3x4xui8>, tensor<3x4xui8>) -> tensor<3x4xui8>
  %div = heed.div %a, %b : (tensor<3x4xui8>, tensor<3x4xui8>) -> tensor<3x4xui8>
  %max = heed.max %a, %b : (tensor<3x4xui8>, tensor<3x4xui8>) -> tensor<3x4xui8>
  %gt = heed.compare gt, %a, %b : (tensor<3x4xui8>, tensor<3x4xui8>) -> tensor<3x4xi1>
  %f = heed.cast %a {to = f32} : (tensor<3x4xui8>) -> tensor<3x4xf32>
  return %add, %sub, %mul, %div, %max, %gt, %f : tensor<3x4xui8>, tensor<3x4xui8>, tensor<3x4xui8>, tensor<3x4xui8>, tensor<3x4xui8>, tensor<3x4xi1>, tensor<3x4xf32>
}

func.func @u32(%a: tensor<4xui32>, %b: tensor<4xui32>)
    -> (tensor<4xui32>, tensor<4xui32>, tensor<4xui32>, tensor<4xi1>) {
  %add = heed.add %a, %b : (tensor<4xui32>, tensor<4xui32>) -> tensor<4xui32>
  %mul = heed.mul %a, %b : (tensor<4xui32>, tensor<4xui32>) -> tensor<4xui32>
  %div = heed.div %a, %b : (tensor<4xui32>, tensor<4xui32>) -> tensor<4xui32>
  %lt = heed.compare lt, %a, %b : (tensor<4xui32>, tensor<4xui32>) -> tensor<4xi1>
  return %add, %mul, %div, %lt : tensor<4xui32>, tensor<4xui32>, tensor<4xui32>, tensor<4xi1>
}

func.func @u64(%a: tensor<4xui64>, %b: tensor<4xui64>, %f: tensor<4xf32>)
    -> (tensor<4xui64>, tensor<4xui64>, tensor<4xi1>, tensor<4xf64>, tensor<4xui8>) {
  %sub = heed.sub %a, %b : (tensor<4xui64>, tensor<4xui64>) -> tensor<4xui64>
  %div = heed.div %a, %b : (tensor<4xui64>, tensor<4xui64>) -> tensor<4xui64>
  %ge = heed.compare ge, %a, %b : (tensor<4xui64>, tensor<4xui64>) -> tensor<4xi1>
  %d = heed.cast %a {to = f64} : (tensor<4xui64>) -> tensor<4xf64>
  %u = heed.cast %f {to = ui8} : (tensor<4xf32>) -> tensor<4xui8>
  return %sub, %div, %ge, %d, %u : tensor<4xui64>, tensor<4xui64>, tensor<4xi1>, tensor<4xf64>, tensor<4xui8>
}
