// Every elementwise op kind with i1 operands or results compiles for Vulkan and agrees with the
// CPU: bool-typed where (tril/triu causal masks) once generated `uint8_t(uint ? 1 : 0)`, which
// GLSL refuses ("boolean expression expected"). Arithmetic on i1 (which the CPU driver refuses
// too) is a located "unimplemented on vulkan" error, never a shader that does not compile.
// References written by hand: a = [1 0 1 0], b = [1 1 0 0], x = [-1 0 2 0.5].
// REQUIRES: vulkan
// RUN: heed-compile %s --target=vulkan -o %t.heedm
// RUN: heed-run %t.heedm --function=logic --input="4xi1=[1 0 1 0]" --input="4xi1=[1 1 0 0]" \
// RUN:   --expected-output="4xi1=[1 0 0 0]" --expected-output="4xi1=[0 1 0 1]" \
// RUN:   --expected-output="4xi1=[1 1 1 0]" --expected-output="4xi1=[1 0 1 0]" \
// RUN:   --expected-output="4xf32=[1 5 1 5]" --expected-output="2x4xi1=[1 1 0 0][1 0 1 0]"
// RUN: heed-run %t.heedm --device=vulkan --function=logic --input="4xi1=[1 0 1 0]" --input="4xi1=[1 1 0 0]" \
// RUN:   --expected-output="4xi1=[1 0 0 0]" --expected-output="4xi1=[0 1 0 1]" \
// RUN:   --expected-output="4xi1=[1 1 1 0]" --expected-output="4xi1=[1 0 1 0]" \
// RUN:   --expected-output="4xf32=[1 5 1 5]" --expected-output="2x4xi1=[1 1 0 0][1 0 1 0]"
// RUN: heed-run %t.heedm --function=compare --input="4xi1=[1 0 1 0]" --input="4xi1=[1 1 0 0]" \
// RUN:   --expected-output="4xi1=[1 0 0 1]" --expected-output="4xi1=[0 1 1 0]" \
// RUN:   --expected-output="4xi1=[0 1 0 0]" --expected-output="4xi1=[1 1 0 1]" \
// RUN:   --expected-output="4xi1=[0 0 1 0]" --expected-output="4xi1=[1 0 1 1]"
// RUN: heed-run %t.heedm --device=vulkan --function=compare --input="4xi1=[1 0 1 0]" --input="4xi1=[1 1 0 0]" \
// RUN:   --expected-output="4xi1=[1 0 0 1]" --expected-output="4xi1=[0 1 1 0]" \
// RUN:   --expected-output="4xi1=[0 1 0 0]" --expected-output="4xi1=[1 1 0 1]" \
// RUN:   --expected-output="4xi1=[0 0 1 0]" --expected-output="4xi1=[1 0 1 1]"
// RUN: heed-run %t.heedm --function=casts --input="4xi1=[1 0 1 0]" --input="4xf32=[-1 0 2 0.5]" \
// RUN:   --expected-output="4xf32=[1 0 1 0]" --expected-output="4xi32=[1 0 1 0]" \
// RUN:   --expected-output="4xi64=[1 0 1 0]" --expected-output="4xi1=[1 0 1 1]" \
// RUN:   --expected-output="4xi1=[1 0 1 0]" --expected-output="4xi1=[1 0 1 0]" \
// RUN:   --expected-output="3xi1=[1 1 1]"
// RUN: heed-run %t.heedm --device=vulkan --function=casts --input="4xi1=[1 0 1 0]" --input="4xf32=[-1 0 2 0.5]" \
// RUN:   --expected-output="4xf32=[1 0 1 0]" --expected-output="4xi32=[1 0 1 0]" \
// RUN:   --expected-output="4xi64=[1 0 1 0]" --expected-output="4xi1=[1 0 1 1]" \
// RUN:   --expected-output="4xi1=[1 0 1 0]" --expected-output="4xi1=[1 0 1 0]" \
// RUN:   --expected-output="3xi1=[1 1 1]"
// RUN: for op in add sub mul div max min; do \
// RUN:   sed "s/heed.OP/heed.$op/" %S/Inputs/bool_arith.mlir > %t.$op.mlir; \
// RUN:   not heed-compile %t.$op.mlir --target=vulkan -o %t.$op.heedm 2>&1 | FileCheck %s --check-prefix=ARITH -DOP=$op; \
// RUN: done
// ARITH: .[[OP]].mlir:3:8: error: 'heed.[[OP]]' does not take i1 operands (unimplemented on vulkan)

func.func @logic(%a: tensor<4xi1>, %b: tensor<4xi1>) -> (tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xf32>, tensor<2x4xi1>) {
  %and = heed.and %a, %b : (tensor<4xi1>, tensor<4xi1>) -> tensor<4xi1>
  %not = heed.not %a : (tensor<4xi1>) -> tensor<4xi1>
  %or = heed.or %a, %b : (tensor<4xi1>, tensor<4xi1>) -> tensor<4xi1>
  // where over i1 values: b where a, else false.
  %f = arith.constant dense<false> : tensor<i1>
  %w = heed.where %a, %a, %f : (tensor<4xi1>, tensor<4xi1>, tensor<i1>) -> tensor<4xi1>
  %one = arith.constant dense<1.0> : tensor<f32>
  %five = arith.constant dense<5.0> : tensor<f32>
  %wf = heed.where %a, %one, %five : (tensor<4xi1>, tensor<f32>, tensor<f32>) -> tensor<4xf32>
  // The tril pattern of a bool causal mask: keep b below the diagonal, broadcasting.
  %rows = arith.constant dense<[[true], [false]]> : tensor<2x1xi1>
  %tril = heed.where %rows, %b, %a : (tensor<2x1xi1>, tensor<4xi1>, tensor<4xi1>) -> tensor<2x4xi1>
  return %and, %not, %or, %w, %wf, %tril : tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xf32>, tensor<2x4xi1>
}

func.func @compare(%a: tensor<4xi1>, %b: tensor<4xi1>) -> (tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>) {
  %eq = heed.compare eq, %a, %b : (tensor<4xi1>, tensor<4xi1>) -> tensor<4xi1>
  %ne = heed.compare ne, %a, %b : (tensor<4xi1>, tensor<4xi1>) -> tensor<4xi1>
  %lt = heed.compare lt, %a, %b : (tensor<4xi1>, tensor<4xi1>) -> tensor<4xi1>
  %le = heed.compare le, %a, %b : (tensor<4xi1>, tensor<4xi1>) -> tensor<4xi1>
  %gt = heed.compare gt, %a, %b : (tensor<4xi1>, tensor<4xi1>) -> tensor<4xi1>
  %ge = heed.compare ge, %a, %b : (tensor<4xi1>, tensor<4xi1>) -> tensor<4xi1>
  return %eq, %ne, %lt, %le, %gt, %ge : tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>
}

func.func @casts(%a: tensor<4xi1>, %x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xi32>, tensor<4xi64>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<3xi1>) {
  %af = heed.cast %a {to = f32} : (tensor<4xi1>) -> tensor<4xf32>
  %ai = heed.cast %a {to = i32} : (tensor<4xi1>) -> tensor<4xi32>
  %al = heed.cast %a {to = i64} : (tensor<4xi1>) -> tensor<4xi64>
  %xb = heed.cast %x {to = i1} : (tensor<4xf32>) -> tensor<4xi1>
  %ab = heed.cast %a {to = i1} : (tensor<4xi1>) -> tensor<4xi1>
  %xi = heed.cast %x {to = i32} : (tensor<4xf32>) -> tensor<4xi32>
  %ib = heed.cast %xi {to = i1} : (tensor<4xi32>) -> tensor<4xi1>
  %t = heed.full true : tensor<3xi1>
  return %af, %ai, %al, %xb, %ab, %ib, %t : tensor<4xf32>, tensor<4xi32>, tensor<4xi64>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<3xi1>
}
