// RUN: heed-opt %s --heed-pipeline="fusion-report=true" -split-input-file -verify-diagnostics | FileCheck %s
// RUN: heed-opt %s --heed-pipeline="fusion-report=true" -split-input-file -verify-diagnostics | heed-opt -split-input-file | FileCheck %s
// Causal masks as PyTorch 1.13 exports torch.triu / torch.tril at dynamic shapes: a range per axis
// and a compare of their difference with the diagonal, `(j - i) >= 1`, then where(c, -inf, 0).

// torch.triu(torch.full((L, L), -inf), 1) with L = q.size(-2): the [L, L] mask broadcasts to the
// [Lq, Lk] scores only when Lk = Lq or Lq = 1, and bottom-right alignment is exact in both.
// CHECK-LABEL: func.func @triu_of_query_length
// CHECK: heed.attention %{{.*}}, %{{.*}}, %{{.*}} {causal_align = #heed<causal_align bottom_right>, mask_kind = #heed<mask causal>, scale = 1.250000e-01 : f32}
func.func @triu_of_query_length(%q: tensor<?x8x?x64xf32>, %k: tensor<?x8x?x64xf32>, %v: tensor<?x8x?x64xf32>) -> tensor<?x8x?x64xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %one = heed.constant dense<1> : tensor<i64>
  %zero = heed.constant dense<0.0> : tensor<f32>
  %l = heed.dim %q, 2 : tensor<?x8x?x64xf32>
  %ninf = heed.full 0xFF800000 : f32[%l, %l] : tensor<?x?xf32>
  %rows = heed.dim %ninf, 0 : tensor<?x?xf32>
  %i = heed.range %c0, %rows, %c1 : (index, index, index) -> tensor<?xi64>
  %cols = heed.dim %ninf, 1 : tensor<?x?xf32>
  %j = heed.range %c0, %cols, %c1 : (index, index, index) -> tensor<?xi64>
  %ic = heed.reshape %i {shape = array<i64: -1, 1>} : (tensor<?xi64>) -> tensor<?x1xi64>
  %jr = heed.reshape %j {shape = array<i64: 1, -1>} : (tensor<?xi64>) -> tensor<1x?xi64>
  %d = heed.sub %jr, %ic : (tensor<1x?xi64>, tensor<?x1xi64>) -> tensor<?x?xi64>
  %above = heed.compare ge, %d, %one : (tensor<?x?xi64>, tensor<i64>) -> tensor<?x?xi1>
  %mask = heed.where %above, %ninf, %zero : (tensor<?x?xi1>, tensor<?x?xf32>, tensor<f32>) -> tensor<?x?xf32>
  %s = heed.matmul %q, %k {transpose_b = true} : (tensor<?x8x?x64xf32>, tensor<?x8x?x64xf32>) -> tensor<?x8x?x?xf32>
  %c = heed.constant dense<8.0> : tensor<f32>
  %scaled = heed.div %s, %c : (tensor<?x8x?x?xf32>, tensor<f32>) -> tensor<?x8x?x?xf32>
  %y = heed.add %scaled, %mask : (tensor<?x8x?x?xf32>, tensor<?x?xf32>) -> tensor<?x8x?x?xf32>
  // expected-remark @+1 {{softmax fused into heed.attention}}
  %a = heed.softmax %y : (tensor<?x8x?x?xf32>) -> tensor<?x8x?x?xf32>
  %o = heed.matmul %a, %v : (tensor<?x8x?x?xf32>, tensor<?x8x?x64xf32>) -> tensor<?x8x?x64xf32>
  return %o : tensor<?x8x?x64xf32>
}

// -----

// Rows from q's length and columns from k's: the usual top-left causal mask, written i - j < 0
// for the hidden cells (the sub the other way round).
// CHECK-LABEL: func.func @rows_from_q_columns_from_k
// CHECK: heed.attention %{{.*}}, %{{.*}}, %{{.*}} {mask_kind = #heed<mask causal>, scale = 1.000000e+00 : f32}
func.func @rows_from_q_columns_from_k(%q: tensor<?x?x64xf32>, %k: tensor<?x?x64xf32>, %v: tensor<?x?x64xf32>) -> tensor<?x?x64xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero_i = heed.constant dense<0> : tensor<i64>
  %ninf = heed.constant dense<0xFF800000> : tensor<f32>
  %zero = heed.constant dense<0.0> : tensor<f32>
  %lq = heed.dim %q, 1 : tensor<?x?x64xf32>
  %lk = heed.dim %k, 1 : tensor<?x?x64xf32>
  %i = heed.range %c0, %lq, %c1 : (index, index, index) -> tensor<?xi64>
  %j = heed.range %c0, %lk, %c1 : (index, index, index) -> tensor<?xi64>
  %ic = heed.reshape %i {shape = array<i64: -1, 1>} : (tensor<?xi64>) -> tensor<?x1xi64>
  %jr = heed.reshape %j {shape = array<i64: 1, -1>} : (tensor<?xi64>) -> tensor<1x?xi64>
  %d = heed.sub %ic, %jr : (tensor<?x1xi64>, tensor<1x?xi64>) -> tensor<?x?xi64>
  %hidden = heed.compare lt, %d, %zero_i : (tensor<?x?xi64>, tensor<i64>) -> tensor<?x?xi1>
  %mask = heed.where %hidden, %ninf, %zero : (tensor<?x?xi1>, tensor<f32>, tensor<f32>) -> tensor<?x?xf32>
  %s = heed.matmul %q, %k {transpose_b = true} : (tensor<?x?x64xf32>, tensor<?x?x64xf32>) -> tensor<?x?x?xf32>
  %y = heed.add %s, %mask : (tensor<?x?x?xf32>, tensor<?x?xf32>) -> tensor<?x?x?xf32>
  // expected-remark @+1 {{softmax fused into heed.attention}}
  %a = heed.softmax %y : (tensor<?x?x?xf32>) -> tensor<?x?x?xf32>
  %o = heed.matmul %a, %v : (tensor<?x?x?xf32>, tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
  return %o : tensor<?x?x64xf32>
}

// -----

// torch.triu(..., diagonal=2): one more visible key per row, not causal: a boolean mask operand.
// CHECK-LABEL: func.func @triu_diagonal_two_is_not_causal
// CHECK: heed.attention %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {mask_kind = #heed<mask boolean>
func.func @triu_diagonal_two_is_not_causal(%q: tensor<?x?x64xf32>, %k: tensor<?x?x64xf32>, %v: tensor<?x?x64xf32>) -> tensor<?x?x64xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %two = heed.constant dense<2> : tensor<i64>
  %ninf = heed.constant dense<0xFF800000> : tensor<f32>
  %zero = heed.constant dense<0.0> : tensor<f32>
  %lq = heed.dim %q, 1 : tensor<?x?x64xf32>
  %lk = heed.dim %k, 1 : tensor<?x?x64xf32>
  %i = heed.range %c0, %lq, %c1 : (index, index, index) -> tensor<?xi64>
  %j = heed.range %c0, %lk, %c1 : (index, index, index) -> tensor<?xi64>
  %ic = heed.reshape %i {shape = array<i64: -1, 1>} : (tensor<?xi64>) -> tensor<?x1xi64>
  %jr = heed.reshape %j {shape = array<i64: 1, -1>} : (tensor<?xi64>) -> tensor<1x?xi64>
  %d = heed.sub %jr, %ic : (tensor<1x?xi64>, tensor<?x1xi64>) -> tensor<?x?xi64>
  %above = heed.compare ge, %d, %two : (tensor<?x?xi64>, tensor<i64>) -> tensor<?x?xi1>
  %mask = heed.where %above, %ninf, %zero : (tensor<?x?xi1>, tensor<f32>, tensor<f32>) -> tensor<?x?xf32>
  %s = heed.matmul %q, %k {transpose_b = true} : (tensor<?x?x64xf32>, tensor<?x?x64xf32>) -> tensor<?x?x?xf32>
  %y = heed.add %s, %mask : (tensor<?x?x?xf32>, tensor<?x?xf32>) -> tensor<?x?x?xf32>
  // expected-remark @+1 {{softmax fused into heed.attention}}
  %a = heed.softmax %y : (tensor<?x?x?xf32>) -> tensor<?x?x?xf32>
  %o = heed.matmul %a, %v : (tensor<?x?x?xf32>, tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
  return %o : tensor<?x?x64xf32>
}

// -----

// A mask whose size comes from nothing the scores are made of (an argument): not provably the
// scores' lengths, so a plain boolean mask operand, never the causal bit.
// CHECK-LABEL: func.func @unproven_length_is_not_causal
// CHECK: heed.attention %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {mask_kind = #heed<mask boolean>
func.func @unproven_length_is_not_causal(%q: tensor<?x?x64xf32>, %k: tensor<?x?x64xf32>, %v: tensor<?x?x64xf32>, %n: index) -> tensor<?x?x64xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %one = heed.constant dense<1> : tensor<i64>
  %ninf = heed.constant dense<0xFF800000> : tensor<f32>
  %zero = heed.constant dense<0.0> : tensor<f32>
  %i = heed.range %c0, %n, %c1 : (index, index, index) -> tensor<?xi64>
  %j = heed.range %c0, %n, %c1 : (index, index, index) -> tensor<?xi64>
  %ic = heed.reshape %i {shape = array<i64: -1, 1>} : (tensor<?xi64>) -> tensor<?x1xi64>
  %jr = heed.reshape %j {shape = array<i64: 1, -1>} : (tensor<?xi64>) -> tensor<1x?xi64>
  %d = heed.sub %jr, %ic : (tensor<1x?xi64>, tensor<?x1xi64>) -> tensor<?x?xi64>
  %above = heed.compare ge, %d, %one : (tensor<?x?xi64>, tensor<i64>) -> tensor<?x?xi1>
  %mask = heed.where %above, %ninf, %zero : (tensor<?x?xi1>, tensor<f32>, tensor<f32>) -> tensor<?x?xf32>
  %s = heed.matmul %q, %k {transpose_b = true} : (tensor<?x?x64xf32>, tensor<?x?x64xf32>) -> tensor<?x?x?xf32>
  %y = heed.add %s, %mask : (tensor<?x?x?xf32>, tensor<?x?xf32>) -> tensor<?x?x?xf32>
  // expected-remark @+1 {{softmax fused into heed.attention}}
  %a = heed.softmax %y : (tensor<?x?x?xf32>) -> tensor<?x?x?xf32>
  %o = heed.matmul %a, %v : (tensor<?x?x?xf32>, tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
  return %o : tensor<?x?x64xf32>
}

// -----

// masked_fill(torch.tril(torch.ones(L, L)) == 0, -inf): the float tril compared with 0 is the
// triangle's complement again.
// CHECK-LABEL: func.func @tril_of_ones_equal_zero
// CHECK: heed.attention %{{.*}}, %{{.*}}, %{{.*}} {causal_align = #heed<causal_align bottom_right>, mask_kind = #heed<mask causal>, scale = 1.000000e+00 : f32}
func.func @tril_of_ones_equal_zero(%q: tensor<?x2x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>) -> tensor<?x2x?x8xf32> {
  %ninf = heed.constant dense<0xFF800000> : tensor<f32>
  %zero = heed.constant dense<0.000000e+00> : tensor<f32>
  %c1 = arith.constant 1 : index
  %c0 = arith.constant 0 : index
  %izero = heed.constant dense<0> : tensor<i64>
  %kt = heed.transpose %k {permutation = array<i64: 0, 1, 3, 2>} : (tensor<?x2x?x8xf32>) -> tensor<?x2x8x?xf32>
  %s = heed.matmul %q, %kt : (tensor<?x2x?x8xf32>, tensor<?x2x8x?xf32>) -> tensor<?x2x?x?xf32>
  %l = heed.dim %q, 2 : tensor<?x2x?x8xf32>
  %ones = heed.full 1.000000e+00 : f32[%l, %l] : tensor<?x?xf32>
  %rows = heed.dim %ones, 0 : tensor<?x?xf32>
  %i = heed.range %c0, %rows, %c1 : (index, index, index) -> tensor<?xi64>
  %cols = heed.dim %ones, 1 : tensor<?x?xf32>
  %j = heed.range %c0, %cols, %c1 : (index, index, index) -> tensor<?xi64>
  %ic = heed.reshape %i {shape = array<i64: -1, 1>} : (tensor<?xi64>) -> tensor<?x1xi64>
  %jr = heed.reshape %j {shape = array<i64: 1, -1>} : (tensor<?xi64>) -> tensor<1x?xi64>
  %d = heed.sub %jr, %ic : (tensor<1x?xi64>, tensor<?x1xi64>) -> tensor<?x?xi64>
  %lower = heed.compare le, %d, %izero : (tensor<?x?xi64>, tensor<i64>) -> tensor<?x?xi1>
  %tril = heed.where %lower, %ones, %zero : (tensor<?x?xi1>, tensor<?x?xf32>, tensor<f32>) -> tensor<?x?xf32>
  %hidden = heed.compare eq, %tril, %zero : (tensor<?x?xf32>, tensor<f32>) -> tensor<?x?xi1>
  %m = heed.where %hidden, %ninf, %s : (tensor<?x?xi1>, tensor<f32>, tensor<?x2x?x?xf32>) -> tensor<?x2x?x?xf32>
  // expected-remark @+1 {{softmax fused into heed.attention}}
  %w = heed.softmax %m {axis = 3 : i64} : (tensor<?x2x?x?xf32>) -> tensor<?x2x?x?xf32>
  %o = heed.matmul %w, %v : (tensor<?x2x?x?xf32>, tensor<?x2x?x8xf32>) -> tensor<?x2x?x8xf32>
  return %o : tensor<?x2x?x8xf32>
}

// -----

// norm_first (pre-LN) layers project the queries from layer_norm(x) while the mask's L is read
// from x: a layer norm keeps every dim of its input, so L is still the query length.
// CHECK-LABEL: func.func @triu_length_before_layer_norm
// CHECK: heed.attention {{.*}}mask_kind = #heed<mask causal>
func.func @triu_length_before_layer_norm(%x: tensor<?x8x64xf32>, %k: tensor<8x?x64xf32>, %v: tensor<8x?x64xf32>) -> tensor<8x?x64xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %one = heed.constant dense<1> : tensor<i64>
  %zero = heed.constant dense<0.0> : tensor<f32>
  %n = heed.layer_norm %x {axis = 2 : i64} : (tensor<?x8x64xf32>) -> tensor<?x8x64xf32>
  %q = heed.transpose %n {permutation = array<i64: 1, 0, 2>} : (tensor<?x8x64xf32>) -> tensor<8x?x64xf32>
  %s = heed.matmul %q, %k {transpose_b = true} : (tensor<8x?x64xf32>, tensor<8x?x64xf32>) -> tensor<8x?x?xf32>
  %l = heed.dim %x, 0 : tensor<?x8x64xf32>
  %ninf = heed.full 0xFF800000 : f32[%l, %l] : tensor<?x?xf32>
  %rows = heed.dim %ninf, 0 : tensor<?x?xf32>
  %i = heed.range %c0, %rows, %c1 : (index, index, index) -> tensor<?xi64>
  %cols = heed.dim %ninf, 1 : tensor<?x?xf32>
  %j = heed.range %c0, %cols, %c1 : (index, index, index) -> tensor<?xi64>
  %ic = heed.reshape %i {shape = array<i64: -1, 1>} : (tensor<?xi64>) -> tensor<?x1xi64>
  %jr = heed.reshape %j {shape = array<i64: 1, -1>} : (tensor<?xi64>) -> tensor<1x?xi64>
  %d = heed.sub %jr, %ic : (tensor<1x?xi64>, tensor<?x1xi64>) -> tensor<?x?xi64>
  %above = heed.compare ge, %d, %one : (tensor<?x?xi64>, tensor<i64>) -> tensor<?x?xi1>
  %mask = heed.where %above, %ninf, %zero : (tensor<?x?xi1>, tensor<?x?xf32>, tensor<f32>) -> tensor<?x?xf32>
  %m = heed.add %s, %mask : (tensor<8x?x?xf32>, tensor<?x?xf32>) -> tensor<8x?x?xf32>
  // expected-remark @+1 {{softmax fused into heed.attention}}
  %w = heed.softmax %m {axis = 2 : i64} : (tensor<8x?x?xf32>) -> tensor<8x?x?xf32>
  %o = heed.matmul %w, %v : (tensor<8x?x?xf32>, tensor<8x?x64xf32>) -> tensor<8x?x64xf32>
  return %o : tensor<8x?x64xf32>
}
