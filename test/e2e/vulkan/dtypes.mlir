// f16, bf16, f64 and unsigned (ui8, ui32, ui64) element types on both devices, against numpy and
// torch references (gen_dtypes.py): casts, elementwise binary ops, compare, where and the copy
// ops. On Vulkan f16 and bf16 are stored as their bits and converted with integer operations
// (one rounding to nearest-even, as the CPU), f64 computes in double, unsigned integers wrap.
// Element counts are odd (7, 15): 8- and 16-bit tensors end inside a 32-bit word.
// RUN: heed-compile %s --target=all -o %t.heedm
// DEFINE: %{in} = %S/Inputs/dtypes
// DEFINE: %{f16} = --function=f16 --input=@%{in}/f16_a.npy --input=@%{in}/f16_b.npy \
// DEFINE:   --input=@%{in}/f16_m.npy --expected-output=@%{in}/f16_add.npy \
// DEFINE:   --expected-output=@%{in}/f16_mul.npy --expected-output=@%{in}/f16_div.npy \
// DEFINE:   --expected-output=@%{in}/f16_max.npy --expected-output=@%{in}/f16_where.npy \
// DEFINE:   --expected-output=@%{in}/f16_lt.npy --expected-output=@%{in}/f16_to_f32.npy \
// DEFINE:   --expected-output=@%{in}/f16_to_i32.npy --expected-output=@%{in}/f16_to_u8.npy \
// DEFINE:   --expected-output=@%{in}/f16_to_bf16.safetensors --atol=0 --rtol=0
// DEFINE: %{move} = --function=f16_move --input=@%{in}/f16_x.npy --input=@%{in}/f16_idx.npy \
// DEFINE:   --expected-output=@%{in}/f16_transpose.npy --expected-output=@%{in}/f16_concat.npy \
// DEFINE:   --expected-output=@%{in}/f16_slice.npy --expected-output=@%{in}/f16_gather.npy \
// DEFINE:   --expected-output=@%{in}/f16_broadcast.npy --atol=0 --rtol=0
// DEFINE: %{ties} = --function=ties --input=@%{in}/ties_x.npy \
// DEFINE:   --expected-output=@%{in}/ties_f16.npy --expected-output=@%{in}/ties_bf16.safetensors \
// DEFINE:   --atol=0 --rtol=0
// DEFINE: %{f64} = --function=f64 --input=@%{in}/f64_a.npy --input=@%{in}/f64_b.npy \
// DEFINE:   --expected-output=@%{in}/f64_add.npy --expected-output=@%{in}/f64_sub.npy \
// DEFINE:   --expected-output=@%{in}/f64_mul.npy --expected-output=@%{in}/f64_div.npy \
// DEFINE:   --expected-output=@%{in}/f64_min.npy --expected-output=@%{in}/f64_pow.npy \
// DEFINE:   --expected-output=@%{in}/f64_sqrt.npy --expected-output=@%{in}/f64_ge.npy \
// DEFINE:   --expected-output=@%{in}/f64_to_f32.npy
// DEFINE: %{f64cast} = --function=f64_cast --input=@%{in}/f64_d.npy \
// DEFINE:   --expected-output=@%{in}/f64_d_to_f16.npy --expected-output=@%{in}/f64_d_to_i64.npy \
// DEFINE:   --atol=0 --rtol=0
// DEFINE: %{u8} = --function=u8 --input=@%{in}/u8_a.npy --input=@%{in}/u8_b.npy \
// DEFINE:   --expected-output=@%{in}/u8_add.npy --expected-output=@%{in}/u8_sub.npy \
// DEFINE:   --expected-output=@%{in}/u8_mul.npy --expected-output=@%{in}/u8_div.npy \
// DEFINE:   --expected-output=@%{in}/u8_min.npy --expected-output=@%{in}/u8_le.npy \
// DEFINE:   --expected-output=@%{in}/u8_to_i32.npy --expected-output=@%{in}/u8_to_f16.npy \
// DEFINE:   --atol=0 --rtol=0
// DEFINE: %{u32} = --function=u32 --input=@%{in}/u32_c.npy --input=@%{in}/u32_d.npy \
// DEFINE:   --expected-output=@%{in}/u32_sub.npy --expected-output=@%{in}/u32_mul.npy \
// DEFINE:   --expected-output=@%{in}/u32_div.npy --expected-output=@%{in}/u32_max.npy \
// DEFINE:   --expected-output=@%{in}/u32_to_i32.npy --expected-output=@%{in}/u32_to_f64.npy \
// DEFINE:   --atol=0 --rtol=0
// DEFINE: %{u64} = --function=u64 --input=@%{in}/u64_e.npy --input=@%{in}/u64_f.npy \
// DEFINE:   --input=@%{in}/i64_g.npy --input=@%{in}/f32_h.npy \
// DEFINE:   --expected-output=@%{in}/u64_add.npy --expected-output=@%{in}/u64_mul.npy \
// DEFINE:   --expected-output=@%{in}/u64_div.npy --expected-output=@%{in}/u64_gt.npy \
// DEFINE:   --expected-output=@%{in}/u64_to_f32.npy --expected-output=@%{in}/u64_to_i64.npy \
// DEFINE:   --expected-output=@%{in}/i64_to_u32.npy --expected-output=@%{in}/f32_to_u32.npy \
// DEFINE:   --expected-output=@%{in}/f32_to_u64.npy --atol=0 --rtol=0
// DEFINE: %{full} = --function=full --expected-output=@%{in}/full_f16.npy \
// DEFINE:   --expected-output=@%{in}/full_bf16.safetensors --expected-output=@%{in}/full_f64.npy \
// DEFINE:   --expected-output=@%{in}/full_u8.npy --expected-output=@%{in}/full_u32.npy \
// DEFINE:   --expected-output=@%{in}/full_u64.npy --atol=0 --rtol=0
// RUN: heed-run %t.heedm %{f16} | FileCheck %s --check-prefix=F16
// RUN: %if vulkan %{ heed-run %t.heedm --device=vulkan %{f16} | FileCheck %s --check-prefix=F16 %}
// F16-COUNT-10: max abs error 0, max rel error 0, ok
// RUN: heed-run %t.heedm %{move} | FileCheck %s --check-prefix=MOVE
// RUN: %if vulkan %{ heed-run %t.heedm --device=vulkan %{move} | FileCheck %s --check-prefix=MOVE %}
// MOVE-COUNT-5: max abs error 0, max rel error 0, ok
// RUN: heed-run %t.heedm %{ties} | FileCheck %s --check-prefix=TIES
// RUN: %if vulkan %{ heed-run %t.heedm --device=vulkan %{ties} | FileCheck %s --check-prefix=TIES %}
// TIES-COUNT-2: max abs error 0, max rel error 0, ok
// RUN: heed-run %t.heedm %{f64} | FileCheck %s --check-prefix=F64
// RUN: %if vulkan %{ heed-run %t.heedm --device=vulkan %{f64} | FileCheck %s --check-prefix=F64 %}
// F64-COUNT-9: max abs error {{.*}}, ok
// RUN: heed-run %t.heedm %{f64cast} | FileCheck %s --check-prefix=F64CAST
// RUN: %if vulkan %{ heed-run %t.heedm --device=vulkan %{f64cast} | FileCheck %s --check-prefix=F64CAST %}
// F64CAST-COUNT-2: max abs error 0, max rel error 0, ok
// RUN: heed-run %t.heedm %{u8} | FileCheck %s --check-prefix=U8
// RUN: %if vulkan %{ heed-run %t.heedm --device=vulkan %{u8} | FileCheck %s --check-prefix=U8 %}
// U8-COUNT-8: max abs error 0, max rel error 0, ok
// RUN: heed-run %t.heedm %{u32} | FileCheck %s --check-prefix=U32
// RUN: %if vulkan %{ heed-run %t.heedm --device=vulkan %{u32} | FileCheck %s --check-prefix=U32 %}
// U32-COUNT-6: max abs error 0, max rel error 0, ok
// RUN: heed-run %t.heedm %{u64} | FileCheck %s --check-prefix=U64
// RUN: %if vulkan %{ heed-run %t.heedm --device=vulkan %{u64} | FileCheck %s --check-prefix=U64 %}
// U64-COUNT-9: max abs error 0, max rel error 0, ok
// DEFINE: %{unary} = --function=f16_unary --input=@%{in}/f16_x.npy \
// DEFINE:   --expected-output=@%{in}/f16_exp.npy --expected-output=@%{in}/f16_sqrt.npy \
// DEFINE:   --expected-output=@%{in}/f16_tanh.npy --expected-output=@%{in}/f16_neg.npy
// RUN: heed-run %t.heedm %{unary} | FileCheck %s --check-prefix=UNARY
// RUN: %if vulkan %{ heed-run %t.heedm --device=vulkan %{unary} | FileCheck %s --check-prefix=UNARY %}
// UNARY-COUNT-4: max abs error {{.*}}, ok
// RUN: heed-run %t.heedm %{full} | FileCheck %s --check-prefix=FULL
// RUN: %if vulkan %{ heed-run %t.heedm --device=vulkan %{full} | FileCheck %s --check-prefix=FULL %}
// FULL-COUNT-6: max abs error 0, max rel error 0, ok
//
// A zero divisor is the CPU's located run-time error on Vulkan too, signed or unsigned:
// RUN: %if vulkan %{ not heed-run %t.heedm --device=vulkan --function=u8 --input="7xui8=1" \
// RUN:   --input="7xui8=[1 2 3 0 5 6 7]" 2>&1 | FileCheck %s --check-prefix=DIV0 %}
// DIV0: heed-run: {{.*}}dtypes.mlir:[[#@LINE+77]]:10: 'heed.div' divides by zero
// RUN: %if vulkan %{ not heed-run %t.heedm --device=vulkan --function=div32 --input="3xi32=[1 2 3]" \
// RUN:   --input="3xi32=[1 0 3]" 2>&1 | FileCheck %s --check-prefix=DIV32 %}
// DIV32: heed-run: {{.*}}dtypes.mlir:[[#@LINE+109]]:8: 'heed.div' divides by zero
// RUN: %if vulkan %{ heed-run %t.heedm --device=vulkan --function=div32 --input="3xi32=[7 -7 3]" \
// RUN:   --input="3xi32=[2 2 -3]" --expected-output="3xi32=[3 -3 -1]" %}
//
// A device without a feature a kernel needs refuses the module when it loads, naming the first
// op that needs it (HEED_VULKAN_DISABLE_FEATURES pretends the device lacks it):
// RUN: %if vulkan %{ env HEED_VULKAN_DISABLE_FEATURES=shaderFloat64 not heed-run %t.heedm \
// RUN:   --device=vulkan %{f64} 2>&1 | FileCheck %s --check-prefix=NOF64 %}
// NOF64: heed-run: {{.*}}dtypes.mlir:[[#@LINE+41]]:10: 'heed.add' needs shaderFloat64, which this vulkan device lacks
// RUN: %if vulkan %{ env HEED_VULKAN_DISABLE_FEATURES=storageBuffer16BitAccess not heed-run %t.heedm \
// RUN:   --device=vulkan %{move} 2>&1 | FileCheck %s --check-prefix=NO16 %}
// NO16: heed-run: {{.*}}dtypes.mlir:[[#@LINE+5]]:10: 'heed.add' needs storageBuffer16BitAccess, which this vulkan device lacks

func.func @f16(%a: tensor<7xf16>, %b: tensor<7xf16>, %m: tensor<7xi1>)
    -> (tensor<7xf16>, tensor<7xf16>, tensor<7xf16>, tensor<7xf16>, tensor<7xf16>, tensor<7xi1>,
        tensor<7xf32>, tensor<7xi32>, tensor<7xui8>, tensor<7xbf16>) {
  %add = heed.add %a, %b : (tensor<7xf16>, tensor<7xf16>) -> tensor<7xf16>
  %mul = heed.mul %a, %b : (tensor<7xf16>, tensor<7xf16>) -> tensor<7xf16>
  %div = heed.div %a, %b : (tensor<7xf16>, tensor<7xf16>) -> tensor<7xf16>
  %max = heed.max %a, %b : (tensor<7xf16>, tensor<7xf16>) -> tensor<7xf16>
  %w = heed.where %m, %a, %b : (tensor<7xi1>, tensor<7xf16>, tensor<7xf16>) -> tensor<7xf16>
  %lt = heed.compare lt, %a, %b : (tensor<7xf16>, tensor<7xf16>) -> tensor<7xi1>
  %f = heed.cast %a {to = f32} : (tensor<7xf16>) -> tensor<7xf32>
  %i = heed.cast %a {to = i32} : (tensor<7xf16>) -> tensor<7xi32>
  %u = heed.cast %a {to = ui8} : (tensor<7xf16>) -> tensor<7xui8>
  %bf = heed.cast %a {to = bf16} : (tensor<7xf16>) -> tensor<7xbf16>
  return %add, %mul, %div, %max, %w, %lt, %f, %i, %u, %bf : tensor<7xf16>, tensor<7xf16>, tensor<7xf16>, tensor<7xf16>, tensor<7xf16>, tensor<7xi1>, tensor<7xf32>, tensor<7xi32>, tensor<7xui8>, tensor<7xbf16>
}

func.func @f16_move(%x: tensor<3x5xf16>, %idx: tensor<2xi64>)
    -> (tensor<5x3xf16>, tensor<4x5xf16>, tensor<3x2xf16>, tensor<2x5xf16>, tensor<3x5xf16>) {
  %t = heed.transpose %x {permutation = array<i64: 1, 0>} : (tensor<3x5xf16>) -> tensor<5x3xf16>
  %row = heed.slice %x {axis = 0, start = 0, end = 1, step = 1} : (tensor<3x5xf16>) -> tensor<1x5xf16>
  %c = heed.concat %x, %row {axis = 0} : (tensor<3x5xf16>, tensor<1x5xf16>) -> tensor<4x5xf16>
  %s = heed.slice %x {axis = 1, start = 1, end = 5, step = 2} : (tensor<3x5xf16>) -> tensor<3x2xf16>
  %g = heed.gather %x, %idx {axis = 0} : (tensor<3x5xf16>, tensor<2xi64>) -> tensor<2x5xf16>
  %b = heed.broadcast %row, %x : (tensor<1x5xf16>, tensor<3x5xf16>) -> tensor<3x5xf16>
  return %t, %c, %s, %g, %b : tensor<5x3xf16>, tensor<4x5xf16>, tensor<3x2xf16>, tensor<2x5xf16>, tensor<3x5xf16>
}

func.func @ties(%x: tensor<13xf32>) -> (tensor<13xf16>, tensor<13xbf16>) {
  %h = heed.cast %x {to = f16} : (tensor<13xf32>) -> tensor<13xf16>
  %b = heed.cast %x {to = bf16} : (tensor<13xf32>) -> tensor<13xbf16>
  return %h, %b : tensor<13xf16>, tensor<13xbf16>
}

func.func @f64(%a: tensor<7xf64>, %b: tensor<7xf64>)
    -> (tensor<7xf64>, tensor<7xf64>, tensor<7xf64>, tensor<7xf64>, tensor<7xf64>, tensor<7xf64>,
        tensor<7xf64>, tensor<7xi1>, tensor<7xf32>) {
  %add = heed.add %a, %b : (tensor<7xf64>, tensor<7xf64>) -> tensor<7xf64>
  %sub = heed.sub %a, %b : (tensor<7xf64>, tensor<7xf64>) -> tensor<7xf64>
  %mul = heed.mul %a, %b : (tensor<7xf64>, tensor<7xf64>) -> tensor<7xf64>
  %div = heed.div %a, %b : (tensor<7xf64>, tensor<7xf64>) -> tensor<7xf64>
  %min = heed.min %a, %b : (tensor<7xf64>, tensor<7xf64>) -> tensor<7xf64>
  %pow = heed.pow %a, %b : (tensor<7xf64>, tensor<7xf64>) -> tensor<7xf64>
  %abs = heed.abs %a : (tensor<7xf64>) -> tensor<7xf64>
  %sqrt = heed.sqrt %abs : (tensor<7xf64>) -> tensor<7xf64>
  %ge = heed.compare ge, %a, %b : (tensor<7xf64>, tensor<7xf64>) -> tensor<7xi1>
  %f = heed.cast %a {to = f32} : (tensor<7xf64>) -> tensor<7xf32>
  return %add, %sub, %mul, %div, %min, %pow, %sqrt, %ge, %f : tensor<7xf64>, tensor<7xf64>, tensor<7xf64>, tensor<7xf64>, tensor<7xf64>, tensor<7xf64>, tensor<7xf64>, tensor<7xi1>, tensor<7xf32>
}

func.func @f64_cast(%d: tensor<7xf64>) -> (tensor<7xf16>, tensor<7xi64>) {
  %h = heed.cast %d {to = f16} : (tensor<7xf64>) -> tensor<7xf16>
  %i = heed.cast %d {to = i64} : (tensor<7xf64>) -> tensor<7xi64>
  return %h, %i : tensor<7xf16>, tensor<7xi64>
}

func.func @u8(%a: tensor<7xui8>, %b: tensor<7xui8>)
    -> (tensor<7xui8>, tensor<7xui8>, tensor<7xui8>, tensor<7xui8>, tensor<7xui8>, tensor<7xi1>,
        tensor<7xi32>, tensor<7xf16>) {
  %add = heed.add %a, %b : (tensor<7xui8>, tensor<7xui8>) -> tensor<7xui8>
  %sub = heed.sub %a, %b : (tensor<7xui8>, tensor<7xui8>) -> tensor<7xui8>
  %mul = heed.mul %a, %b : (tensor<7xui8>, tensor<7xui8>) -> tensor<7xui8>
  %div = heed.div %a, %b : (tensor<7xui8>, tensor<7xui8>) -> tensor<7xui8>
  %min = heed.min %a, %b : (tensor<7xui8>, tensor<7xui8>) -> tensor<7xui8>
  %le = heed.compare le, %a, %b : (tensor<7xui8>, tensor<7xui8>) -> tensor<7xi1>
  %i = heed.cast %a {to = i32} : (tensor<7xui8>) -> tensor<7xi32>
  %h = heed.cast %a {to = f16} : (tensor<7xui8>) -> tensor<7xf16>
  return %add, %sub, %mul, %div, %min, %le, %i, %h : tensor<7xui8>, tensor<7xui8>, tensor<7xui8>, tensor<7xui8>, tensor<7xui8>, tensor<7xi1>, tensor<7xi32>, tensor<7xf16>
}

func.func @u32(%c: tensor<5xui32>, %d: tensor<5xui32>)
    -> (tensor<5xui32>, tensor<5xui32>, tensor<5xui32>, tensor<5xui32>, tensor<5xi32>, tensor<5xf64>) {
  %sub = heed.sub %c, %d : (tensor<5xui32>, tensor<5xui32>) -> tensor<5xui32>
  %mul = heed.mul %c, %d : (tensor<5xui32>, tensor<5xui32>) -> tensor<5xui32>
  %div = heed.div %c, %d : (tensor<5xui32>, tensor<5xui32>) -> tensor<5xui32>
  %max = heed.max %c, %d : (tensor<5xui32>, tensor<5xui32>) -> tensor<5xui32>
  %i = heed.cast %c {to = i32} : (tensor<5xui32>) -> tensor<5xi32>
  %f = heed.cast %c {to = f64} : (tensor<5xui32>) -> tensor<5xf64>
  return %sub, %mul, %div, %max, %i, %f : tensor<5xui32>, tensor<5xui32>, tensor<5xui32>, tensor<5xui32>, tensor<5xi32>, tensor<5xf64>
}

func.func @u64(%e: tensor<3xui64>, %f: tensor<3xui64>, %g: tensor<3xi64>, %h: tensor<3xf32>)
    -> (tensor<3xui64>, tensor<3xui64>, tensor<3xui64>, tensor<3xi1>, tensor<3xf32>, tensor<3xi64>,
        tensor<3xui32>, tensor<3xui32>, tensor<3xui64>) {
  %add = heed.add %e, %f : (tensor<3xui64>, tensor<3xui64>) -> tensor<3xui64>
  %mul = heed.mul %e, %f : (tensor<3xui64>, tensor<3xui64>) -> tensor<3xui64>
  %div = heed.div %e, %f : (tensor<3xui64>, tensor<3xui64>) -> tensor<3xui64>
  %gt = heed.compare gt, %e, %f : (tensor<3xui64>, tensor<3xui64>) -> tensor<3xi1>
  %fl = heed.cast %e {to = f32} : (tensor<3xui64>) -> tensor<3xf32>
  %i = heed.cast %e {to = i64} : (tensor<3xui64>) -> tensor<3xi64>
  %gu = heed.cast %g {to = ui32} : (tensor<3xi64>) -> tensor<3xui32>
  %hu = heed.cast %h {to = ui32} : (tensor<3xf32>) -> tensor<3xui32>
  %hv = heed.cast %h {to = ui64} : (tensor<3xf32>) -> tensor<3xui64>
  return %add, %mul, %div, %gt, %fl, %i, %gu, %hu, %hv : tensor<3xui64>, tensor<3xui64>, tensor<3xui64>, tensor<3xi1>, tensor<3xf32>, tensor<3xi64>, tensor<3xui32>, tensor<3xui32>, tensor<3xui64>
}

func.func @div32(%a: tensor<?xi32>, %b: tensor<?xi32>) -> tensor<?xi32> {
  %d = heed.div %a, %b : (tensor<?xi32>, tensor<?xi32>) -> tensor<?xi32>
  return %d : tensor<?xi32>
}

func.func @full() -> (tensor<3xf16>, tensor<3xbf16>, tensor<3xf64>, tensor<3xui8>, tensor<3xui32>,
                      tensor<3xui64>) {
  %a = heed.full 0.1 : f16 : tensor<3xf16>
  %b = heed.full 0.1 : bf16 : tensor<3xbf16>
  %c = heed.full 0.1 : f64 : tensor<3xf64>
  %d = heed.full 200 : ui8 : tensor<3xui8>
  %e = heed.full 4000000000 : ui32 : tensor<3xui32>
  %f = heed.full 18446744073709551615 : ui64 : tensor<3xui64>
  return %a, %b, %c, %d, %e, %f : tensor<3xf16>, tensor<3xbf16>, tensor<3xf64>, tensor<3xui8>, tensor<3xui32>, tensor<3xui64>
}

func.func @f16_unary(%a: tensor<3x5xf16>)
    -> (tensor<3x5xf16>, tensor<3x5xf16>, tensor<3x5xf16>, tensor<3x5xf16>) {
  %e = heed.exp %a : (tensor<3x5xf16>) -> tensor<3x5xf16>
  %abs = heed.abs %a : (tensor<3x5xf16>) -> tensor<3x5xf16>
  %s = heed.sqrt %abs : (tensor<3x5xf16>) -> tensor<3x5xf16>
  %t = heed.tanh %a : (tensor<3x5xf16>) -> tensor<3x5xf16>
  %n = heed.neg %a : (tensor<3x5xf16>) -> tensor<3x5xf16>
  return %e, %s, %t, %n : tensor<3x5xf16>, tensor<3x5xf16>, tensor<3x5xf16>, tensor<3x5xf16>
}
