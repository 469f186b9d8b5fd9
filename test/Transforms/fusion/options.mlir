// RUN: heed-opt %s --heed-pipeline="masked-rows=nan fusion-report=true" -verify-diagnostics | FileCheck %s --check-prefix=NAN
// RUN: heed-opt %s --heed-pipeline="fusion-report=true" -verify-diagnostics | FileCheck %s --check-prefix=ZERO
// RUN: heed-opt %s --heed-pipeline="fuse=false fusion-report=true" -verify-diagnostics | FileCheck %s --check-prefix=OFF
// RUN: heed-opt %s --pass-pipeline="builtin.module(func.func(heed-fuse-attention{report=true masked-rows=nan}))" -verify-diagnostics=only-expected | FileCheck %s --check-prefix=NAN
// RUN: not heed-opt %s --pass-pipeline="builtin.module(func.func(heed-fuse-attention{masked-rows=inf}))" 2>&1 | FileCheck %s --check-prefix=BAD
// The pipeline options: the masked-row policy of fused ops, fusion off.

// NAN-LABEL: func.func @padded
// NAN: heed.attention {{.*}}masked_rows = #heed<masked_rows nan>
// ZERO-LABEL: func.func @padded
// ZERO-NOT: masked_rows
// ZERO: heed.attention
// OFF-LABEL: func.func @padded
// OFF-NOT: heed.attention
// OFF: heed.softmax
// BAD: unknown masked-rows policy 'inf' (expected zero or nan)
func.func @padded(%q: tensor<2x8x16xf32>, %k: tensor<2x8x16xf32>, %v: tensor<2x8x16xf32>, %see: tensor<2x1x8xi1>) -> tensor<2x8x16xf32> {
  %s = heed.matmul %q, %k {transpose_b = true} : (tensor<2x8x16xf32>, tensor<2x8x16xf32>) -> tensor<2x8x8xf32>
  %ninf = heed.constant dense<0xFF800000> : tensor<f32>
  %y = heed.where %see, %s, %ninf : (tensor<2x1x8xi1>, tensor<2x8x8xf32>, tensor<f32>) -> tensor<2x8x8xf32>
  // expected-remark @+1 {{softmax}}
  %a = heed.softmax %y : (tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %o = heed.matmul %a, %v : (tensor<2x8x8xf32>, tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
  return %o : tensor<2x8x16xf32>
}
