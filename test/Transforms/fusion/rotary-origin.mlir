// RUN: heed-opt %s --heed-pipeline="fusion-report=true" -split-input-file -verify-diagnostics | FileCheck %s
// The query length through rotary products (Llama: q * cos[:L] + rotate_half(q) * sin[:L]): a
// broadcasting op with several dynamic operands gives its dim the origin they all share, a table
// slice slice_dynamic(t, 0, dim(x, 1), 1) counting as a prefix cut to x.size(1) (its own length is
// min(L, 32), so only where it meets an operand of that origin). The triu mask of x.size(1) is then
// causal. Without a shared origin the mask stays a boolean operand. (Keys and values are the
// rotated q too: a key length read from x itself would prove the mask on its own.)

// CHECK-LABEL: func.func @prefix_of_the_same_length
// CHECK: heed.attention {{.*}}mask_kind = #heed<mask causal>
func.func @prefix_of_the_same_length(%x: tensor<?x?x16xf32>, %y: tensor<?x?x16xf32>, %cos: tensor<32x16xf32>, %sin: tensor<32x16xf32>) -> tensor<?x?x16xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %cs = arith.constant 0 : index
  %one = heed.constant dense<1> : tensor<i64>
  %zero = heed.constant dense<0.0> : tensor<f32>
  %l = heed.dim %x, 1 : tensor<?x?x16xf32>
  %end = heed.dim %x, 1 : tensor<?x?x16xf32>
  %cl = heed.slice_dynamic %cos, %cs, %end, %c1 {axis = 0 : i64} : (tensor<32x16xf32>, index, index, index) -> tensor<?x16xf32>
  %sl = heed.slice_dynamic %sin, %cs, %end, %c1 {axis = 0 : i64} : (tensor<32x16xf32>, index, index, index) -> tensor<?x16xf32>
  %xc = heed.mul %x, %cl : (tensor<?x?x16xf32>, tensor<?x16xf32>) -> tensor<?x?x16xf32>
  %xn = heed.neg %x : (tensor<?x?x16xf32>) -> tensor<?x?x16xf32>
  %xs = heed.mul %xn, %sl : (tensor<?x?x16xf32>, tensor<?x16xf32>) -> tensor<?x?x16xf32>
  %q = heed.add %xc, %xs : (tensor<?x?x16xf32>, tensor<?x?x16xf32>) -> tensor<?x?x16xf32>
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
  %s = heed.matmul %q, %q {transpose_b = true} : (tensor<?x?x16xf32>, tensor<?x?x16xf32>) -> tensor<?x?x?xf32>
  %m = heed.add %s, %mask : (tensor<?x?x?xf32>, tensor<?x?xf32>) -> tensor<?x?x?xf32>
  // expected-remark @+1 {{softmax fused into heed.attention (mask causal, top_left)}}
  %a = heed.softmax %m : (tensor<?x?x?xf32>) -> tensor<?x?x?xf32>
  %o = heed.matmul %a, %q : (tensor<?x?x?xf32>, tensor<?x?x16xf32>) -> tensor<?x?x16xf32>
  return %o : tensor<?x?x16xf32>
}

// -----

// The tables cut to another tensor's length: the products' dim is not proven to be x.size(1).
// CHECK-LABEL: func.func @prefix_of_another_length
// CHECK: heed.attention {{.*}}mask_kind = #heed<mask boolean>
func.func @prefix_of_another_length(%x: tensor<?x?x16xf32>, %y: tensor<?x?x16xf32>, %cos: tensor<32x16xf32>, %sin: tensor<32x16xf32>) -> tensor<?x?x16xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %cs = arith.constant 0 : index
  %one = heed.constant dense<1> : tensor<i64>
  %zero = heed.constant dense<0.0> : tensor<f32>
  %l = heed.dim %x, 1 : tensor<?x?x16xf32>
  %end = heed.dim %y, 1 : tensor<?x?x16xf32>
  %cl = heed.slice_dynamic %cos, %cs, %end, %c1 {axis = 0 : i64} : (tensor<32x16xf32>, index, index, index) -> tensor<?x16xf32>
  %sl = heed.slice_dynamic %sin, %cs, %end, %c1 {axis = 0 : i64} : (tensor<32x16xf32>, index, index, index) -> tensor<?x16xf32>
  %xc = heed.mul %x, %cl : (tensor<?x?x16xf32>, tensor<?x16xf32>) -> tensor<?x?x16xf32>
  %xn = heed.neg %x : (tensor<?x?x16xf32>) -> tensor<?x?x16xf32>
  %xs = heed.mul %xn, %sl : (tensor<?x?x16xf32>, tensor<?x16xf32>) -> tensor<?x?x16xf32>
  %q = heed.add %xc, %xs : (tensor<?x?x16xf32>, tensor<?x?x16xf32>) -> tensor<?x?x16xf32>
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
  %s = heed.matmul %q, %q {transpose_b = true} : (tensor<?x?x16xf32>, tensor<?x?x16xf32>) -> tensor<?x?x?xf32>
  %m = heed.add %s, %mask : (tensor<?x?x?xf32>, tensor<?x?xf32>) -> tensor<?x?x?xf32>
  // expected-remark @+1 {{softmax fused into heed.attention (mask boolean)}}
  %a = heed.softmax %m : (tensor<?x?x?xf32>) -> tensor<?x?x?xf32>
  %o = heed.matmul %a, %q : (tensor<?x?x?xf32>, tensor<?x?x16xf32>) -> tensor<?x?x16xf32>
  return %o : tensor<?x?x16xf32>
}

// -----

// A window that starts at 1 is no prefix (its length is min(L, 32) - 1).
// CHECK-LABEL: func.func @not_a_prefix
// CHECK: heed.attention {{.*}}mask_kind = #heed<mask boolean>
func.func @not_a_prefix(%x: tensor<?x?x16xf32>, %y: tensor<?x?x16xf32>, %cos: tensor<32x16xf32>, %sin: tensor<32x16xf32>) -> tensor<?x?x16xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %cs = arith.constant 1 : index
  %one = heed.constant dense<1> : tensor<i64>
  %zero = heed.constant dense<0.0> : tensor<f32>
  %l = heed.dim %x, 1 : tensor<?x?x16xf32>
  %end = heed.dim %x, 1 : tensor<?x?x16xf32>
  %cl = heed.slice_dynamic %cos, %cs, %end, %c1 {axis = 0 : i64} : (tensor<32x16xf32>, index, index, index) -> tensor<?x16xf32>
  %sl = heed.slice_dynamic %sin, %cs, %end, %c1 {axis = 0 : i64} : (tensor<32x16xf32>, index, index, index) -> tensor<?x16xf32>
  %xc = heed.mul %x, %cl : (tensor<?x?x16xf32>, tensor<?x16xf32>) -> tensor<?x?x16xf32>
  %xn = heed.neg %x : (tensor<?x?x16xf32>) -> tensor<?x?x16xf32>
  %xs = heed.mul %xn, %sl : (tensor<?x?x16xf32>, tensor<?x16xf32>) -> tensor<?x?x16xf32>
  %q = heed.add %xc, %xs : (tensor<?x?x16xf32>, tensor<?x?x16xf32>) -> tensor<?x?x16xf32>
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
  %s = heed.matmul %q, %q {transpose_b = true} : (tensor<?x?x16xf32>, tensor<?x?x16xf32>) -> tensor<?x?x?xf32>
  %m = heed.add %s, %mask : (tensor<?x?x?xf32>, tensor<?x?xf32>) -> tensor<?x?x?xf32>
  // expected-remark @+1 {{softmax fused into heed.attention (mask boolean)}}
  %a = heed.softmax %m : (tensor<?x?x?xf32>) -> tensor<?x?x?xf32>
  %o = heed.matmul %a, %q : (tensor<?x?x?xf32>, tensor<?x?x16xf32>) -> tensor<?x?x16xf32>
  return %o : tensor<?x?x16xf32>
}
