// RUN: heed-opt %s -split-input-file -verify-diagnostics --allow-unregistered-dialect
// One case per verifier error of the heed dialect (HeedOps.cpp and
// ShapeInference.cpp), in the order the ops appear in HeedOps.td.

//===----------------------------------------------------------------------===//
// Values
//===----------------------------------------------------------------------===//

func.func @constant_not_tensor() {
  // expected-error @+1 {{'heed.constant' op value must be a ranked tensor}}
  %c = heed.constant dense<1.0> : vector<4xf32>
  return
}

// -----

func.func @constant_type_differs_from_value() -> tensor<?xf32> {
  // expected-error @+1 {{'heed.constant' op result type 'tensor<?xf32>' differs from the value's type 'tensor<4xf32>'}}
  %c = "heed.constant"() {value = dense<1.0> : tensor<4xf32>} : () -> tensor<?xf32>
  return %c : tensor<?xf32>
}

// -----

func.func @weight_empty_name() -> tensor<4xf32> {
  // expected-error @+1 {{'heed.weight' op expects a non-empty weight name}}
  %w = heed.weight "" : tensor<4xf32>
  return %w : tensor<4xf32>
}

// -----

func.func @dim_out_of_range(%x: tensor<?x4xf32>) -> index {
  // expected-error @+1 {{'heed.dim' op dim 2 is out of range for rank 2}}
  %d = heed.dim %x, 2 : tensor<?x4xf32>
  return %d : index
}

// -----

func.func @dim_negative_out_of_range(%x: tensor<?x4xf32>) -> index {
  // expected-error @+1 {{'heed.dim' op dim -3 is out of range for rank 2}}
  %d = heed.dim %x, -3 : tensor<?x4xf32>
  return %d : index
}

// -----

func.func @full_dynamic_dim_count(%n: index) -> tensor<?x?xf32> {
  // expected-error @+1 {{'heed.full' op expects 2 dynamic dim operands for result type 'tensor<?x?xf32>', got 1}}
  %f = heed.full 0.0 : f32 [%n] : tensor<?x?xf32>
  return %f : tensor<?x?xf32>
}

// -----

func.func @full_value_type() -> tensor<4xf32> {
  // expected-error @+1 {{'heed.full' op expects the fill value's type 'i32' to match the element type 'f32'}}
  %f = heed.full 0 : i32 : tensor<4xf32>
  return %f : tensor<4xf32>
}

// -----

func.func @range_zero_step(%n: index) -> tensor<?xi64> {
  %zero = arith.constant 0 : index
  // expected-error @+1 {{'heed.range' op expects a non-zero step}}
  %r = heed.range %zero, %n, %zero : (index, index, index) -> tensor<?xi64>
  return %r : tensor<?xi64>
}

// -----

func.func @range_static_length() -> tensor<5xi64> {
  %zero = arith.constant 0 : index
  %ten = arith.constant 10 : index
  %one = arith.constant 1 : index
  // expected-error @+1 {{'heed.range' op inferred type(s) 'tensor<10xi64>' are incompatible with return type(s) of operation 'tensor<5xi64>'}}
  %r = heed.range %zero, %ten, %one : (index, index, index) -> tensor<5xi64>
  return %r : tensor<5xi64>
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

// -----

func.func @unary_result_shape(%x: tensor<2x3xf32>) -> tensor<3x2xf32> {
  // expected-error @+1 {{'heed.exp' op all non-scalar operands/results must have the same shape and base type}}
  %y = heed.exp %x : (tensor<2x3xf32>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

func.func @unary_result_element(%x: tensor<?xf32>) -> tensor<?xf16> {
  // expected-error @+1 {{'heed.tanh' op inferred type(s) 'tensor<?xf32>' are incompatible with return type(s) of operation 'tensor<?xf16>'}}
  %y = heed.tanh %x : (tensor<?xf32>) -> tensor<?xf16>
  return %y : tensor<?xf16>
}

// -----

func.func @cast_to_unsupported(%x: tensor<4xf32>) -> tensor<4xi32> {
  // expected-error @+1 {{'heed.cast' op cannot cast to 'i8'; expected f16, bf16, f32, f64, i1, i32, i64, ui8, ui32 or ui64}}
  %y = heed.cast %x {to = i8} : (tensor<4xf32>) -> tensor<4xi32>
  return %y : tensor<4xi32>
}

// -----

func.func @cast_result_element(%x: tensor<4xf32>) -> tensor<4xf16> {
  // expected-error @+1 {{'heed.cast' op inferred type(s) 'tensor<4xi32>' are incompatible with return type(s) of operation 'tensor<4xf16>'}}
  %y = heed.cast %x {to = i32} : (tensor<4xf32>) -> tensor<4xf16>
  return %y : tensor<4xf16>
}

// -----

func.func @binary_element_types(%x: tensor<4xf32>, %y: tensor<4xf16>) -> tensor<4xf32> {
  // expected-error @+1 {{'heed.add' op expects operands of one element type, got 'f32' and 'f16'}}
  %z = heed.add %x, %y : (tensor<4xf32>, tensor<4xf16>) -> tensor<4xf32>
  return %z : tensor<4xf32>
}

// -----

func.func @binary_not_broadcastable(%x: tensor<2x3xf32>, %y: tensor<4xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{'heed.mul' op operand shapes [2, 3] and [4] are not broadcastable}}
  %z = heed.mul %x, %y : (tensor<2x3xf32>, tensor<4xf32>) -> tensor<2x3xf32>
  return %z : tensor<2x3xf32>
}

// -----

func.func @binary_result_shape(%x: tensor<2x1xf32>, %y: tensor<3xf32>) -> tensor<2x1xf32> {
  // expected-error @+1 {{'heed.sub' op inferred type(s) 'tensor<2x3xf32>' are incompatible with return type(s) of operation 'tensor<2x1xf32>'}}
  %z = heed.sub %x, %y : (tensor<2x1xf32>, tensor<3xf32>) -> tensor<2x1xf32>
  return %z : tensor<2x1xf32>
}

// -----

func.func @compare_element_types(%x: tensor<4xf32>, %y: tensor<4xi32>) -> tensor<4xi1> {
  // expected-error @+1 {{'heed.compare' op expects operands of one element type, got 'f32' and 'i32'}}
  %z = heed.compare lt, %x, %y : (tensor<4xf32>, tensor<4xi32>) -> tensor<4xi1>
  return %z : tensor<4xi1>
}

// -----

func.func @compare_not_broadcastable(%x: tensor<4xf32>, %y: tensor<5xf32>) -> tensor<4xi1> {
  // expected-error @+1 {{'heed.compare' op operand shapes [4] and [5] are not broadcastable}}
  %z = heed.compare eq, %x, %y : (tensor<4xf32>, tensor<5xf32>) -> tensor<4xi1>
  return %z : tensor<4xi1>
}

// -----

func.func @where_branch_types(%c: tensor<4xi1>, %x: tensor<4xf32>, %y: tensor<4xi64>) -> tensor<4xf32> {
  // expected-error @+1 {{'heed.where' op expects both branches of one element type, got 'f32' and 'i64'}}
  %z = heed.where %c, %x, %y : (tensor<4xi1>, tensor<4xf32>, tensor<4xi64>) -> tensor<4xf32>
  return %z : tensor<4xf32>
}

// -----

func.func @where_not_broadcastable(%c: tensor<3x1xi1>, %x: tensor<4xf32>, %y: tensor<2x4xf32>) -> tensor<3x4xf32> {
  // expected-error @+1 {{'heed.where' op operand shapes [3, 4] and [2, 4] are not broadcastable}}
  %z = heed.where %c, %x, %y : (tensor<3x1xi1>, tensor<4xf32>, tensor<2x4xf32>) -> tensor<3x4xf32>
  return %z : tensor<3x4xf32>
}

// -----

func.func @rotary_odd(%x: tensor<2x5xf32>, %c: tensor<5xf32>) -> tensor<2x5xf32> {
  // expected-error @+1 {{'heed.rotary' op expects an input whose last dim is static, positive and even, got [2, 5]}}
  %y = heed.rotary %x cos %c sin %c : (tensor<2x5xf32>, tensor<5xf32>, tensor<5xf32>) -> tensor<2x5xf32>
  return %y : tensor<2x5xf32>
}

// -----

func.func @rotary_dynamic(%x: tensor<2x?xf32>, %c: tensor<4xf32>) -> tensor<2x?xf32> {
  // expected-error @+1 {{'heed.rotary' op expects an input whose last dim is static, positive and even, got [2, ?]}}
  %y = heed.rotary %x cos %c sin %c : (tensor<2x?xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<2x?xf32>
  return %y : tensor<2x?xf32>
}

// -----

func.func @rotary_table(%x: tensor<2x4xf32>, %c: tensor<2x4xf32>, %s: tensor<2x1xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{'heed.rotary' op expects sin with the input's last dim 4, got [2, 1]}}
  %y = heed.rotary %x cos %c sin %s : (tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x1xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

func.func @rotary_broadcast(%x: tensor<2x4xf32>, %c: tensor<3x4xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{'heed.rotary' op operand shapes [2, 4] and [3, 4] are not broadcastable}}
  %y = heed.rotary %x cos %c sin %c : (tensor<2x4xf32>, tensor<3x4xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

func.func @rotary_f16(%x: tensor<2x4xf16>, %c: tensor<4xf16>) -> tensor<2x4xf16> {
  // expected-error @+1 {{'heed.rotary' op operand #0 must be ranked tensor of 32-bit float values}}
  %y = heed.rotary %x cos %c sin %c : (tensor<2x4xf16>, tensor<4xf16>, tensor<4xf16>) -> tensor<2x4xf16>
  return %y : tensor<2x4xf16>
}

//===----------------------------------------------------------------------===//
// Normalization
//===----------------------------------------------------------------------===//

// -----

func.func @softmax_axis(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{'heed.softmax' op axis 2 is out of range for rank 2}}
  %y = heed.softmax %x {axis = 2} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

func.func @log_softmax_axis(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{'heed.log_softmax' op axis -3 is out of range for rank 2}}
  %y = heed.log_softmax %x {axis = -3} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

func.func @layer_norm_axis(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{'heed.layer_norm' op axis 5 is out of range for rank 2}}
  %y = heed.layer_norm %x {axis = 5} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

func.func @layer_norm_epsilon(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{'heed.layer_norm' op expects a non-negative epsilon}}
  %y = heed.layer_norm %x {epsilon = -1.0 : f32} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

func.func @layer_norm_nan_epsilon(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{'heed.layer_norm' op expects a non-negative epsilon}}
  %y = heed.layer_norm %x {epsilon = 0x7FC00000 : f32} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

func.func @layer_norm_residual_shape(%x: tensor<2x3xf32>, %r: tensor<3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{'heed.layer_norm' op expects a residual of the input's shape [2, 3] and element type 'f32', got [3] of 'f32'}}
  %y = heed.layer_norm %x residual %r : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

func.func @layer_norm_residual_type(%x: tensor<2x3xf32>, %r: tensor<2x3xf16>) -> tensor<2x3xf32> {
  // expected-error @+1 {{'heed.layer_norm' op expects a residual of the input's shape [2, 3] and element type 'f32', got [2, 3] of 'f16'}}
  %y = heed.layer_norm %x residual %r : (tensor<2x3xf32>, tensor<2x3xf16>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

func.func @layer_norm_scale_type(%x: tensor<2x3xf32>, %s: tensor<3xf16>) -> tensor<2x3xf32> {
  // expected-error @+1 {{'heed.layer_norm' op expects scale of element type 'f32'}}
  %y = heed.layer_norm %x scale %s : (tensor<2x3xf32>, tensor<3xf16>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

func.func @layer_norm_scale_shape(%x: tensor<2x3xf32>, %s: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{'heed.layer_norm' op expects scale of shape [3] (the normalized dims), got [2, 3]}}
  %y = heed.layer_norm %x scale %s : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

func.func @layer_norm_bias_shape(%x: tensor<2x3xf32>, %b: tensor<4xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{'heed.layer_norm' op expects bias of shape [3] (the normalized dims), got [4]}}
  %y = heed.layer_norm %x bias %b : (tensor<2x3xf32>, tensor<4xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

func.func @layer_norm_multi_axis_scale(%x: tensor<2x3x4xf32>, %s: tensor<4xf32>) -> tensor<2x3x4xf32> {
  // expected-error @+1 {{'heed.layer_norm' op expects scale of shape [3, 4] (the normalized dims), got [4]}}
  %y = heed.layer_norm %x scale %s {axis = 1} : (tensor<2x3x4xf32>, tensor<4xf32>) -> tensor<2x3x4xf32>
  return %y : tensor<2x3x4xf32>
}

//===----------------------------------------------------------------------===//
// Linear algebra
//===----------------------------------------------------------------------===//

// -----

func.func @layer_norm_scale_and_bias_disagree(%x: tensor<2x?xf32>, %s: tensor<3xf32>, %b: tensor<4xf32>) -> tensor<2x?xf32> {
  // expected-error @+1 {{'heed.layer_norm' op expects bias of shape [3] (the normalized dims), got [4]}}
  %y = heed.layer_norm %x scale %s bias %b : (tensor<2x?xf32>, tensor<3xf32>, tensor<4xf32>) -> tensor<2x?xf32>
  return %y : tensor<2x?xf32>
}

// -----

func.func @matmul_rank(%a: tensor<4xf32>, %b: tensor<4x5xf32>) -> tensor<5xf32> {
  // expected-error @+1 {{'heed.matmul' op expects operands of rank >= 2, got 1 and 2}}
  %c = heed.matmul %a, %b : (tensor<4xf32>, tensor<4x5xf32>) -> tensor<5xf32>
  return %c : tensor<5xf32>
}

// -----

func.func @matmul_element_types(%a: tensor<3x4xf32>, %b: tensor<4x5xf16>) -> tensor<3x5xf32> {
  // expected-error @+1 {{'heed.matmul' op expects operands of one element type}}
  %c = heed.matmul %a, %b : (tensor<3x4xf32>, tensor<4x5xf16>) -> tensor<3x5xf32>
  return %c : tensor<3x5xf32>
}

// -----

func.func @matmul_contracting(%a: tensor<3x4xf32>, %b: tensor<5x4xf32>) -> tensor<3x4xf32> {
  // expected-error @+1 {{'heed.matmul' op contracting dims differ: 4 vs 5}}
  %c = heed.matmul %a, %b : (tensor<3x4xf32>, tensor<5x4xf32>) -> tensor<3x4xf32>
  return %c : tensor<3x4xf32>
}

// -----

func.func @matmul_contracting_transposed(%a: tensor<4x3xf32>, %b: tensor<5x4xf32>) -> tensor<3x5xf32> {
  // expected-error @+1 {{'heed.matmul' op contracting dims differ: 4 vs 5}}
  %c = heed.matmul %a, %b {transpose_a = true} : (tensor<4x3xf32>, tensor<5x4xf32>) -> tensor<3x5xf32>
  return %c : tensor<3x5xf32>
}

// -----

func.func @matmul_batch(%a: tensor<2x3x4xf32>, %b: tensor<3x4x5xf32>) -> tensor<2x3x5xf32> {
  // expected-error @+1 {{'heed.matmul' op batch dims [2] and [3] are not broadcastable}}
  %c = heed.matmul %a, %b : (tensor<2x3x4xf32>, tensor<3x4x5xf32>) -> tensor<2x3x5xf32>
  return %c : tensor<2x3x5xf32>
}

// -----

func.func @matmul_result(%a: tensor<3x4xf32>, %b: tensor<4x5xf32>) -> tensor<3x4xf32> {
  // expected-error @+1 {{'heed.matmul' op inferred type(s) 'tensor<3x5xf32>' are incompatible with return type(s) of operation 'tensor<3x4xf32>'}}
  %c = heed.matmul %a, %b : (tensor<3x4xf32>, tensor<4x5xf32>) -> tensor<3x4xf32>
  return %c : tensor<3x4xf32>
}

// -----

func.func @linear_weight_rank(%x: tensor<2x4xf32>, %w: tensor<4xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{'heed.linear' op expects an input of rank >= 1 and a weight of rank 2}}
  %y = heed.linear %x, %w : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

func.func @linear_input_rank(%x: tensor<f32>, %w: tensor<4x4xf32>) -> tensor<f32> {
  // expected-error @+1 {{'heed.linear' op expects an input of rank >= 1 and a weight of rank 2}}
  %y = heed.linear %x, %w : (tensor<f32>, tensor<4x4xf32>) -> tensor<f32>
  return %y : tensor<f32>
}

// -----

func.func @linear_element_types(%x: tensor<2x4xf32>, %w: tensor<8x4xf16>) -> tensor<2x8xf32> {
  // expected-error @+1 {{'heed.linear' op expects input and weight of one element type}}
  %y = heed.linear %x, %w : (tensor<2x4xf32>, tensor<8x4xf16>) -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

func.func @linear_features(%x: tensor<2x4xf32>, %w: tensor<4x8xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{'heed.linear' op input features 4 do not match the weight's 8}}
  %y = heed.linear %x, %w : (tensor<2x4xf32>, tensor<4x8xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

func.func @linear_bias_shape(%x: tensor<2x4xf32>, %w: tensor<8x4xf32>, %b: tensor<4xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{'heed.linear' op expects a bias of shape [8], got [4]}}
  %y = heed.linear %x, %w, %b : (tensor<2x4xf32>, tensor<8x4xf32>, tensor<4xf32>) -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

func.func @linear_bias_type(%x: tensor<2x4xf32>, %w: tensor<8x4xf32>, %b: tensor<8xf16>) -> tensor<2x8xf32> {
  // expected-error @+1 {{'heed.linear' op expects a bias of element type 'f32', got 'f16'}}
  %y = heed.linear %x, %w, %b : (tensor<2x4xf32>, tensor<8x4xf32>, tensor<8xf16>) -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

// -----

func.func @reshape_copy_past_rank(%x: tensor<4xf32>) -> tensor<4x1xf32> {
  // expected-error @+1 {{'heed.reshape' op shape entry 1 is 0 (copy) but the input has rank 1}}
  %y = heed.reshape %x {shape = array<i64: 0, 0>} : (tensor<4xf32>) -> tensor<4x1xf32>
  return %y : tensor<4x1xf32>
}

// -----

func.func @reshape_two_inferred(%x: tensor<4x6xf32>) -> tensor<?x?xf32> {
  // expected-error @+1 {{'heed.reshape' op shape has more than one -1}}
  %y = heed.reshape %x {shape = array<i64: -1, -1>} : (tensor<4x6xf32>) -> tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}

// -----

func.func @reshape_negative_entry(%x: tensor<4x6xf32>) -> tensor<?x12xf32> {
  // expected-error @+1 {{'heed.reshape' op shape entry 0 is -2; expected a positive size, 0 (copy) or -1 (infer)}}
  %y = heed.reshape %x {shape = array<i64: -2, 12>} : (tensor<4x6xf32>) -> tensor<?x12xf32>
  return %y : tensor<?x12xf32>
}

// -----

func.func @reshape_cannot_infer(%x: tensor<4x6xf32>) -> tensor<5x?xf32> {
  // expected-error @+1 {{'heed.reshape' op cannot infer the -1 entry: 24 elements do not divide into 5}}
  %y = heed.reshape %x {shape = array<i64: 5, -1>} : (tensor<4x6xf32>) -> tensor<5x?xf32>
  return %y : tensor<5x?xf32>
}

// -----

func.func @reshape_cannot_infer_past_copies(%x: tensor<?x6xf32>) -> tensor<?x4x?xf32> {
  // expected-error @+1 {{'heed.reshape' op cannot infer the -1 entry: the 6 elements of the dims not copied do not divide into 4}}
  %y = heed.reshape %x {shape = array<i64: 0, 4, -1>} : (tensor<?x6xf32>) -> tensor<?x4x?xf32>
  return %y : tensor<?x4x?xf32>
}

// -----

func.func @reshape_result_past_copies(%x: tensor<?x256xf32>) -> tensor<?x1x128xf32> {
  // expected-error @+1 {{'heed.reshape' op inferred type(s) 'tensor<?x1x256xf32>' are incompatible with return type(s) of operation 'tensor<?x1x128xf32>'}}
  %y = heed.reshape %x {shape = array<i64: 0, 1, -1>} : (tensor<?x256xf32>) -> tensor<?x1x128xf32>
  return %y : tensor<?x1x128xf32>
}

// -----

func.func @reshape_infer_next_to_zero_size(%x: tensor<3x0xf32>) -> tensor<?x0xf32> {
  // expected-error @+1 {{'heed.reshape' op cannot infer the -1 entry: 0 elements do not divide into 0}}
  %y = heed.reshape %x {shape = array<i64: -1, 0>} : (tensor<3x0xf32>) -> tensor<?x0xf32>
  return %y : tensor<?x0xf32>
}

// -----

func.func @reshape_count(%x: tensor<4x6xf32>) -> tensor<5x5xf32> {
  // expected-error @+1 {{'heed.reshape' op reshape changes the element count from 24 to 25}}
  %y = heed.reshape %x {shape = array<i64: 5, 5>} : (tensor<4x6xf32>) -> tensor<5x5xf32>
  return %y : tensor<5x5xf32>
}

// -----

func.func @reshape_result(%x: tensor<?x512xf32>) -> tensor<?x8x32xf32> {
  // expected-error @+1 {{'heed.reshape' op inferred type(s) 'tensor<?x8x64xf32>' are incompatible with return type(s) of operation 'tensor<?x8x32xf32>'}}
  %y = heed.reshape %x {shape = array<i64: 0, 8, 64>} : (tensor<?x512xf32>) -> tensor<?x8x32xf32>
  return %y : tensor<?x8x32xf32>
}

// -----

func.func @transpose_length(%x: tensor<2x3xf32>) -> tensor<3x2xf32> {
  // expected-error @+1 {{'heed.transpose' op expects a permutation of 2 dims, got 3}}
  %y = heed.transpose %x {permutation = array<i64: 1, 0, 2>} : (tensor<2x3xf32>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

func.func @transpose_repeated(%x: tensor<2x3xf32>) -> tensor<3x3xf32> {
  // expected-error @+1 {{'heed.transpose' op permutation [1, 1] is not a permutation of 0..1}}
  %y = heed.transpose %x {permutation = array<i64: 1, 1>} : (tensor<2x3xf32>) -> tensor<3x3xf32>
  return %y : tensor<3x3xf32>
}

// -----

func.func @transpose_out_of_range(%x: tensor<2x3xf32>) -> tensor<3x2xf32> {
  // expected-error @+1 {{'heed.transpose' op permutation [2, 0] is not a permutation of 0..1}}
  %y = heed.transpose %x {permutation = array<i64: 2, 0>} : (tensor<2x3xf32>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

func.func @transpose_result(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{'heed.transpose' op inferred type(s) 'tensor<3x2xf32>' are incompatible with return type(s) of operation 'tensor<2x3xf32>'}}
  %y = heed.transpose %x {permutation = array<i64: 1, 0>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

func.func @concat_no_inputs() -> tensor<?xf32> {
  // expected-error @+1 {{'heed.concat' op expects at least one input}}
  %y = heed.concat {axis = 0} : () -> tensor<?xf32>
  return %y : tensor<?xf32>
}

// -----

func.func @concat_axis(%x: tensor<2x3xf32>) -> tensor<2x6xf32> {
  // expected-error @+1 {{'heed.concat' op axis 2 is out of range for rank 2}}
  %y = heed.concat %x, %x {axis = 2} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x6xf32>
  return %y : tensor<2x6xf32>
}

// -----

func.func @concat_ranks(%x: tensor<2x3xf32>, %y: tensor<3xf32>) -> tensor<2x6xf32> {
  // expected-error @+1 {{'heed.concat' op expects inputs of one rank and element type}}
  %z = heed.concat %x, %y {axis = 1} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x6xf32>
  return %z : tensor<2x6xf32>
}

// -----

func.func @concat_element_types(%x: tensor<2x3xf32>, %y: tensor<2x3xf16>) -> tensor<2x6xf32> {
  // expected-error @+1 {{'heed.concat' op expects inputs of one rank and element type}}
  %z = heed.concat %x, %y {axis = 1} : (tensor<2x3xf32>, tensor<2x3xf16>) -> tensor<2x6xf32>
  return %z : tensor<2x6xf32>
}

// -----

func.func @concat_off_axis(%x: tensor<2x3xf32>, %y: tensor<4x3xf32>) -> tensor<2x6xf32> {
  // expected-error @+1 {{'heed.concat' op inputs differ in dim 0 (2 vs 4) off the concatenation axis}}
  %z = heed.concat %x, %y {axis = 1} : (tensor<2x3xf32>, tensor<4x3xf32>) -> tensor<2x6xf32>
  return %z : tensor<2x6xf32>
}

// -----

func.func @concat_result(%x: tensor<2x3xf32>) -> tensor<2x5xf32> {
  // expected-error @+1 {{'heed.concat' op inferred type(s) 'tensor<2x6xf32>' are incompatible with return type(s) of operation 'tensor<2x5xf32>'}}
  %y = heed.concat %x, %x {axis = -1} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x5xf32>
  return %y : tensor<2x5xf32>
}

// -----

func.func @slice_axis(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{'heed.slice' op axis -3 is out of range for rank 2}}
  %y = heed.slice %x {axis = -3, start = 0} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

func.func @slice_step(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{'heed.slice' op expects a positive step, got -1}}
  %y = heed.slice %x {axis = 1, start = 0, step = -1} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

func.func @slice_result(%x: tensor<2x10xf32>) -> tensor<2x5xf32> {
  // expected-error @+1 {{'heed.slice' op inferred type(s) 'tensor<2x4xf32>' are incompatible with return type(s) of operation 'tensor<2x5xf32>'}}
  %y = heed.slice %x {axis = 1, start = 0, end = 10, step = 3} : (tensor<2x10xf32>) -> tensor<2x5xf32>
  return %y : tensor<2x5xf32>
}

// -----

func.func @broadcast_incompatible(%x: tensor<3xf32>, %like: tensor<2x4xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{'heed.broadcast' op operand shapes [3] and [2, 4] are not broadcastable}}
  %y = heed.broadcast %x, %like : (tensor<3xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

func.func @gather_axis(%x: tensor<4x3xf32>, %i: tensor<2xi64>) -> tensor<2x3xf32> {
  // expected-error @+1 {{'heed.gather' op axis 2 is out of range for rank 2}}
  %y = heed.gather %x, %i {axis = 2} : (tensor<4x3xf32>, tensor<2xi64>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

func.func @gather_result(%x: tensor<4x3xf32>, %i: tensor<2xi64>) -> tensor<2x3xf32> {
  // expected-error @+1 {{'heed.gather' op inferred type(s) 'tensor<4x2xf32>' are incompatible with return type(s) of operation 'tensor<2x3xf32>'}}
  %y = heed.gather %x, %i {axis = 1} : (tensor<4x3xf32>, tensor<2xi64>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

func.func @embedding_table_rank(%t: tensor<1000xf32>, %ids: tensor<?xi64>) -> tensor<?xf32> {
  // expected-error @+1 {{'heed.embedding' op expects a [vocab, dim] table, got rank 1}}
  %y = heed.embedding %t, %ids : (tensor<1000xf32>, tensor<?xi64>) -> tensor<?xf32>
  return %y : tensor<?xf32>
}

//===----------------------------------------------------------------------===//
// Masks and positions
//===----------------------------------------------------------------------===//

// -----

func.func @sequence_mask_rank(%len: tensor<2x3xi32>, %n: index) -> tensor<?x?xi1> {
  // expected-error @+1 {{'heed.sequence_mask' op expects lengths of rank 1, got rank 2}}
  %m = heed.sequence_mask %len, %n : (tensor<2x3xi32>, index) -> tensor<?x?xi1>
  return %m : tensor<?x?xi1>
}

// -----

func.func @causal_mask_result(%n: index) -> tensor<?x?x?xi1> {
  // expected-error @+1 {{'heed.causal_mask' op inferred type(s) 'tensor<?x?xi1>' are incompatible with return type(s) of operation 'tensor<?x?x?xi1>'}}
  %m = heed.causal_mask %n, %n : (index, index) -> tensor<?x?x?xi1>
  return %m : tensor<?x?x?xi1>
}

// -----

func.func @sinusoidal_odd_dim(%o: index, %n: index) -> tensor<?x5xf32> {
  // expected-error @+1 {{'heed.sinusoidal_positions' op expects a positive even dim, got 5}}
  %p = heed.sinusoidal_positions %o, %n {dim = 5} : (index, index) -> tensor<?x5xf32>
  return %p : tensor<?x5xf32>
}

// -----

func.func @sinusoidal_zero_dim(%o: index, %n: index) -> tensor<?x0xf32> {
  // expected-error @+1 {{'heed.sinusoidal_positions' op expects a positive even dim, got 0}}
  %p = heed.sinusoidal_positions %o, %n {dim = 0} : (index, index) -> tensor<?x0xf32>
  return %p : tensor<?x0xf32>
}

// -----

func.func @sinusoidal_base(%o: index, %n: index) -> tensor<?x8xf32> {
  // expected-error @+1 {{'heed.sinusoidal_positions' op expects a base greater than 1}}
  %p = heed.sinusoidal_positions %o, %n {dim = 8, base = 1.0} : (index, index) -> tensor<?x8xf32>
  return %p : tensor<?x8xf32>
}

//===----------------------------------------------------------------------===//
// Reductions and selection
//===----------------------------------------------------------------------===//

// -----

func.func @sinusoidal_nan_base(%o: index, %n: index) -> tensor<?x8xf32> {
  // expected-error @+1 {{'heed.sinusoidal_positions' op expects a base greater than 1}}
  %p = heed.sinusoidal_positions %o, %n {dim = 8, base = 0x7FF8000000000000 : f64} : (index, index) -> tensor<?x8xf32>
  return %p : tensor<?x8xf32>
}

// -----

func.func @reduce_no_axes(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{'heed.reduce' op expects at least one axis}}
  %y = heed.reduce sum, %x {axes = array<i64>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

func.func @reduce_axis(%x: tensor<2x3xf32>) -> tensor<2xf32> {
  // expected-error @+1 {{'heed.reduce' op axis 2 is out of range for rank 2}}
  %y = heed.reduce max, %x {axes = array<i64: 2>} : (tensor<2x3xf32>) -> tensor<2xf32>
  return %y : tensor<2xf32>
}

// -----

func.func @reduce_axis_twice(%x: tensor<2x3xf32>) -> tensor<2xf32> {
  // expected-error @+1 {{'heed.reduce' op reduces axis -1 twice}}
  %y = heed.reduce sum, %x {axes = array<i64: 1, -1>} : (tensor<2x3xf32>) -> tensor<2xf32>
  return %y : tensor<2xf32>
}

// -----

func.func @reduce_bool(%x: tensor<2x3xi1>) -> tensor<2xi1> {
  // expected-error @+1 {{'heed.reduce' op cannot reduce i1 tensors}}
  %y = heed.reduce sum, %x {axes = array<i64: 1>} : (tensor<2x3xi1>) -> tensor<2xi1>
  return %y : tensor<2xi1>
}

// -----

func.func @reduce_result(%x: tensor<2x3xf32>) -> tensor<2xf32> {
  // expected-error @+1 {{'heed.reduce' op inferred type(s) 'tensor<2x1xf32>' are incompatible with return type(s) of operation 'tensor<2xf32>'}}
  %y = heed.reduce mean, %x {axes = array<i64: 1>, keep_dims = true} : (tensor<2x3xf32>) -> tensor<2xf32>
  return %y : tensor<2xf32>
}

// -----

func.func @argmax_axis(%x: tensor<2x3xf32>) -> tensor<2xi64> {
  // expected-error @+1 {{'heed.argmax' op axis 2 is out of range for rank 2}}
  %y = heed.argmax %x {axis = 2} : (tensor<2x3xf32>) -> tensor<2xi64>
  return %y : tensor<2xi64>
}

// -----

func.func @top_k_axis(%x: tensor<2x3xf32>) -> (tensor<2x1xf32>, tensor<2x1xi64>) {
  // expected-error @+1 {{'heed.top_k' op axis 2 is out of range for rank 2}}
  %y:2 = heed.top_k %x {k = 1, axis = 2} : (tensor<2x3xf32>) -> (tensor<2x1xf32>, tensor<2x1xi64>)
  return %y#0, %y#1 : tensor<2x1xf32>, tensor<2x1xi64>
}

// -----

func.func @top_k_zero(%x: tensor<2x3xf32>) -> (tensor<2x0xf32>, tensor<2x0xi64>) {
  // expected-error @+1 {{'heed.top_k' op expects a positive k, got 0}}
  %y:2 = heed.top_k %x {k = 0} : (tensor<2x3xf32>) -> (tensor<2x0xf32>, tensor<2x0xi64>)
  return %y#0, %y#1 : tensor<2x0xf32>, tensor<2x0xi64>
}

// -----

func.func @top_k_too_big(%x: tensor<2x3xf32>) -> (tensor<2x4xf32>, tensor<2x4xi64>) {
  // expected-error @+1 {{'heed.top_k' op k = 4 exceeds the axis size 3}}
  %y:2 = heed.top_k %x {k = 4} : (tensor<2x3xf32>) -> (tensor<2x4xf32>, tensor<2x4xi64>)
  return %y#0, %y#1 : tensor<2x4xf32>, tensor<2x4xi64>
}

//===----------------------------------------------------------------------===//
// Recurrent cells
//===----------------------------------------------------------------------===//

// -----

func.func @cell_input_rank(%x: tensor<32xf32>, %h: tensor<?x64xf32>, %w: tensor<64x32xf32>, %u: tensor<64x64xf32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{'heed.rnn_cell' op expects input [B, I] and states [B, H], got 'tensor<32xf32>' and 'tensor<?x64xf32>'}}
  %y = heed.rnn_cell %x, %h, %w, %u : (tensor<32xf32>, tensor<?x64xf32>, tensor<64x32xf32>, tensor<64x64xf32>) -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

func.func @cell_one_bias(%x: tensor<?x32xf32>, %h: tensor<?x64xf32>, %w: tensor<64x32xf32>, %u: tensor<64x64xf32>, %b: tensor<64xf32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{'heed.rnn_cell' op expects no biases or exactly (b_ih, b_hh), got 1}}
  %y = heed.rnn_cell %x, %h, %w, %u, %b : (tensor<?x32xf32>, tensor<?x64xf32>, tensor<64x32xf32>, tensor<64x64xf32>, tensor<64xf32>) -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

func.func @cell_w_ih(%x: tensor<?x32xf32>, %h: tensor<?x64xf32>, %w: tensor<64x32xf32>, %u: tensor<192x64xf32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{'heed.gru_cell' op expects w_ih of shape [192, 32] and type 'f32', got 'tensor<64x32xf32>'}}
  %y = heed.gru_cell %x, %h, %w, %u : (tensor<?x32xf32>, tensor<?x64xf32>, tensor<64x32xf32>, tensor<192x64xf32>) -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

func.func @cell_w_hh(%x: tensor<?x32xf32>, %h: tensor<?x64xf32>, %w: tensor<192x32xf32>, %u: tensor<192x48xf32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{'heed.gru_cell' op expects w_hh of shape [192, 64] and type 'f32', got 'tensor<192x48xf32>'}}
  %y = heed.gru_cell %x, %h, %w, %u : (tensor<?x32xf32>, tensor<?x64xf32>, tensor<192x32xf32>, tensor<192x48xf32>) -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

func.func @cell_w_hh_rank(%x: tensor<?x32xf32>, %h: tensor<?x?xf32>, %w: tensor<64x32xf32>, %u: tensor<64xf32>) -> tensor<?x?xf32> {
  // expected-error @+1 {{'heed.rnn_cell' op expects w_hh of shape [64, 64] and type 'f32', got 'tensor<64xf32>'}}
  %y = heed.rnn_cell %x, %h, %w, %u : (tensor<?x32xf32>, tensor<?x?xf32>, tensor<64x32xf32>, tensor<64xf32>) -> tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}

// -----

func.func @cell_weight_type(%x: tensor<?x32xf32>, %h: tensor<?x64xf32>, %w: tensor<64x32xf16>, %u: tensor<64x64xf32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{'heed.rnn_cell' op expects w_ih of shape [64, 32] and type 'f32', got 'tensor<64x32xf16>'}}
  %y = heed.rnn_cell %x, %h, %w, %u : (tensor<?x32xf32>, tensor<?x64xf32>, tensor<64x32xf16>, tensor<64x64xf32>) -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

func.func @cell_b_ih(%x: tensor<?x32xf32>, %h: tensor<?x64xf32>, %w: tensor<64x32xf32>, %u: tensor<64x64xf32>, %b: tensor<32xf32>, %c: tensor<64xf32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{'heed.rnn_cell' op expects b_ih of shape [64] and type 'f32', got 'tensor<32xf32>'}}
  %y = heed.rnn_cell %x, %h, %w, %u, %b, %c : (tensor<?x32xf32>, tensor<?x64xf32>, tensor<64x32xf32>, tensor<64x64xf32>, tensor<32xf32>, tensor<64xf32>) -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

func.func @cell_b_hh(%x: tensor<?x32xf32>, %h: tensor<?x64xf32>, %c: tensor<?x64xf32>, %w: tensor<256x32xf32>, %u: tensor<256x64xf32>, %b: tensor<256xf32>, %bad: tensor<64xf32>) -> (tensor<?x64xf32>, tensor<?x64xf32>) {
  // expected-error @+1 {{'heed.lstm_cell' op expects b_hh of shape [256] and type 'f32', got 'tensor<64xf32>'}}
  %y:2 = heed.lstm_cell %x, %h, %c, %w, %u, %b, %bad : (tensor<?x32xf32>, tensor<?x64xf32>, tensor<?x64xf32>, tensor<256x32xf32>, tensor<256x64xf32>, tensor<256xf32>, tensor<64xf32>) -> (tensor<?x64xf32>, tensor<?x64xf32>)
  return %y#0, %y#1 : tensor<?x64xf32>, tensor<?x64xf32>
}

// -----

func.func @cell_state_shape(%x: tensor<2x32xf32>, %h: tensor<2x64xf32>, %c: tensor<3x64xf32>, %w: tensor<256x32xf32>, %u: tensor<256x64xf32>) -> (tensor<2x64xf32>, tensor<2x64xf32>) {
  // expected-error @+1 {{'heed.lstm_cell' op expects state of shape [2, 64] and type 'f32', got 'tensor<3x64xf32>'}}
  %y:2 = heed.lstm_cell %x, %h, %c, %w, %u : (tensor<2x32xf32>, tensor<2x64xf32>, tensor<3x64xf32>, tensor<256x32xf32>, tensor<256x64xf32>) -> (tensor<2x64xf32>, tensor<2x64xf32>)
  return %y#0, %y#1 : tensor<2x64xf32>, tensor<2x64xf32>
}

// -----

func.func @cell_state_batch(%x: tensor<2x32xf32>, %h: tensor<3x64xf32>, %w: tensor<64x32xf32>, %u: tensor<64x64xf32>) -> tensor<2x64xf32> {
  // expected-error @+1 {{'heed.rnn_cell' op expects state of shape [2, 64] and type 'f32', got 'tensor<3x64xf32>'}}
  %y = heed.rnn_cell %x, %h, %w, %u : (tensor<2x32xf32>, tensor<3x64xf32>, tensor<64x32xf32>, tensor<64x64xf32>) -> tensor<2x64xf32>
  return %y : tensor<2x64xf32>
}

//===----------------------------------------------------------------------===//
// Recurrent sequences
//===----------------------------------------------------------------------===//

// -----

func.func @cell_rows_not_multiple(%x: tensor<?x32xf32>, %h: tensor<?x?xf32>, %w: tensor<100x32xf32>, %u: tensor<100x?xf32>) -> tensor<?x?xf32> {
  // expected-error @+1 {{'heed.gru_cell' op expects weights of 3*H rows (one block per gate), got 100}}
  %y = heed.gru_cell %x, %h, %w, %u : (tensor<?x32xf32>, tensor<?x?xf32>, tensor<100x32xf32>, tensor<100x?xf32>) -> tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}

// -----

func.func @cell_rows_disagree(%x: tensor<?x32xf32>, %h: tensor<?x?xf32>, %w: tensor<64x32xf32>, %u: tensor<192x?xf32>) -> tensor<?x?xf32> {
  // expected-error @+1 {{'heed.rnn_cell' op expects w_hh of shape [64, 64] and type 'f32', got 'tensor<192x?xf32>'}}
  %y = heed.rnn_cell %x, %h, %w, %u : (tensor<?x32xf32>, tensor<?x?xf32>, tensor<64x32xf32>, tensor<192x?xf32>) -> tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}

// -----

func.func @sequence_input_rank(%x: tensor<?x32xf32>, %w: tensor<64x32xf32>, %u: tensor<64x64xf32>) -> (tensor<?x?x64xf32>, tensor<1x?x64xf32>) {
  // expected-error @+1 {{'heed.rnn' op expects a rank-3 input ([T, B, I], or [B, T, I] batch first), got 'tensor<?x32xf32>'}}
  %y:2 = heed.rnn %x weights(%w, %u) {hidden_size = 64, has_biases = false} : (tensor<?x32xf32>, tensor<64x32xf32>, tensor<64x64xf32>) -> (tensor<?x?x64xf32>, tensor<1x?x64xf32>)
  return %y#0, %y#1 : tensor<?x?x64xf32>, tensor<1x?x64xf32>
}

// -----

func.func @sequence_hidden_size(%x: tensor<?x?x32xf32>, %w: tensor<64x32xf32>, %u: tensor<64x64xf32>) -> (tensor<?x?x64xf32>, tensor<1x?x64xf32>) {
  // expected-error @+1 {{'heed.rnn' op expects a positive hidden_size and num_layers}}
  %y:2 = heed.rnn %x weights(%w, %u) {hidden_size = 0, has_biases = false} : (tensor<?x?x32xf32>, tensor<64x32xf32>, tensor<64x64xf32>) -> (tensor<?x?x64xf32>, tensor<1x?x64xf32>)
  return %y#0, %y#1 : tensor<?x?x64xf32>, tensor<1x?x64xf32>
}

// -----

func.func @sequence_num_layers(%x: tensor<?x?x32xf32>, %w: tensor<64x32xf32>, %u: tensor<64x64xf32>) -> (tensor<?x?x64xf32>, tensor<1x?x64xf32>) {
  // expected-error @+1 {{'heed.rnn' op expects a positive hidden_size and num_layers}}
  %y:2 = heed.rnn %x weights(%w, %u) {hidden_size = 64, num_layers = 0, has_biases = false} : (tensor<?x?x32xf32>, tensor<64x32xf32>, tensor<64x64xf32>) -> (tensor<?x?x64xf32>, tensor<1x?x64xf32>)
  return %y#0, %y#1 : tensor<?x?x64xf32>, tensor<1x?x64xf32>
}

// -----

func.func @sequence_weight_count(%x: tensor<?x?x32xf32>, %w: tensor<256x32xf32>, %u: tensor<256x64xf32>, %b: tensor<256xf32>) -> (tensor<?x?x128xf32>, tensor<2x?x64xf32>, tensor<2x?x64xf32>) {
  // expected-error @+1 {{'heed.lstm' op expects 8 weights (1 layers x 2 directions x 4), got 4}}
  %y:3 = heed.lstm %x weights(%w, %u, %b, %b) {hidden_size = 64, bidirectional = true} : (tensor<?x?x32xf32>, tensor<256x32xf32>, tensor<256x64xf32>, tensor<256xf32>, tensor<256xf32>) -> (tensor<?x?x128xf32>, tensor<2x?x64xf32>, tensor<2x?x64xf32>)
  return %y#0, %y#1, %y#2 : tensor<?x?x128xf32>, tensor<2x?x64xf32>, tensor<2x?x64xf32>
}

// -----

func.func @sequence_layer_input(%x: tensor<?x?x32xf32>, %w: tensor<192x32xf32>, %u: tensor<192x64xf32>) -> (tensor<?x?x64xf32>, tensor<2x?x64xf32>) {
  // The second layer reads the first layer's 64 outputs, not the 32 inputs.
  // expected-error @+1 {{'heed.gru' op expects layer 1 w_ih of shape [192, 64] and type 'f32', got 'tensor<192x32xf32>'}}
  %y:2 = heed.gru %x weights(%w, %u, %w, %u) {hidden_size = 64, num_layers = 2, has_biases = false} : (tensor<?x?x32xf32>, tensor<192x32xf32>, tensor<192x64xf32>, tensor<192x32xf32>, tensor<192x64xf32>) -> (tensor<?x?x64xf32>, tensor<2x?x64xf32>)
  return %y#0, %y#1 : tensor<?x?x64xf32>, tensor<2x?x64xf32>
}

// -----

func.func @sequence_reverse_weights(%x: tensor<?x?x32xf32>, %w: tensor<64x32xf32>, %u: tensor<64x64xf32>, %bad: tensor<64x32xf32>) -> (tensor<?x?x128xf32>, tensor<2x?x64xf32>) {
  // expected-error @+1 {{'heed.rnn' op expects layer 0 reverse w_hh of shape [64, 64] and type 'f32', got 'tensor<64x32xf32>'}}
  %y:2 = heed.rnn %x weights(%w, %u, %w, %bad) {hidden_size = 64, bidirectional = true, has_biases = false} : (tensor<?x?x32xf32>, tensor<64x32xf32>, tensor<64x64xf32>, tensor<64x32xf32>, tensor<64x32xf32>) -> (tensor<?x?x128xf32>, tensor<2x?x64xf32>)
  return %y#0, %y#1 : tensor<?x?x128xf32>, tensor<2x?x64xf32>
}

// -----

func.func @sequence_forward_bias(%x: tensor<?x?x32xf32>, %w: tensor<64x32xf32>, %u: tensor<64x64xf32>, %b: tensor<64xf32>, %bad: tensor<32xf32>) -> (tensor<?x?x128xf32>, tensor<2x?x64xf32>) {
  // expected-error @+1 {{'heed.rnn' op expects layer 0 forward b_ih of shape [64] and type 'f32', got 'tensor<32xf32>'}}
  %y:2 = heed.rnn %x weights(%w, %u, %bad, %b, %w, %u, %b, %b) {hidden_size = 64, bidirectional = true} : (tensor<?x?x32xf32>, tensor<64x32xf32>, tensor<64x64xf32>, tensor<32xf32>, tensor<64xf32>, tensor<64x32xf32>, tensor<64x64xf32>, tensor<64xf32>, tensor<64xf32>) -> (tensor<?x?x128xf32>, tensor<2x?x64xf32>)
  return %y#0, %y#1 : tensor<?x?x128xf32>, tensor<2x?x64xf32>
}

// -----

func.func @sequence_initial_hidden(%x: tensor<?x?x32xf32>, %h0: tensor<2x?x64xf32>, %w: tensor<64x32xf32>, %u: tensor<64x64xf32>) -> (tensor<?x?x64xf32>, tensor<1x?x64xf32>) {
  // expected-error @+1 {{'heed.rnn' op expects initial_hidden of shape [1, ?, 64] and type 'f32', got 'tensor<2x?x64xf32>'}}
  %y:2 = heed.rnn %x init(%h0) weights(%w, %u) {hidden_size = 64, has_biases = false} : (tensor<?x?x32xf32>, tensor<2x?x64xf32>, tensor<64x32xf32>, tensor<64x64xf32>) -> (tensor<?x?x64xf32>, tensor<1x?x64xf32>)
  return %y#0, %y#1 : tensor<?x?x64xf32>, tensor<1x?x64xf32>
}

// -----

func.func @sequence_initial_cell(%x: tensor<5x3x32xf32>, %h0: tensor<1x3x64xf32>, %c0: tensor<1x4x64xf32>, %w: tensor<256x32xf32>, %u: tensor<256x64xf32>) -> (tensor<5x3x64xf32>, tensor<1x3x64xf32>, tensor<1x3x64xf32>) {
  // expected-error @+1 {{'heed.lstm' op expects initial_cell of shape [1, 3, 64] and type 'f32', got 'tensor<1x4x64xf32>'}}
  %y:3 = heed.lstm %x init(%h0, %c0) weights(%w, %u) {hidden_size = 64, has_biases = false} : (tensor<5x3x32xf32>, tensor<1x3x64xf32>, tensor<1x4x64xf32>, tensor<256x32xf32>, tensor<256x64xf32>) -> (tensor<5x3x64xf32>, tensor<1x3x64xf32>, tensor<1x3x64xf32>)
  return %y#0, %y#1, %y#2 : tensor<5x3x64xf32>, tensor<1x3x64xf32>, tensor<1x3x64xf32>
}

// -----

func.func @sequence_lengths(%x: tensor<3x5x32xf32>, %len: tensor<5xi64>, %w: tensor<64x32xf32>, %u: tensor<64x64xf32>) -> (tensor<3x5x64xf32>, tensor<1x3x64xf32>) {
  // expected-error @+1 {{'heed.rnn' op expects lengths of shape [3], got 'tensor<5xi64>'}}
  %y:2 = heed.rnn %x lengths %len weights(%w, %u) {hidden_size = 64, has_biases = false, batch_first = true} : (tensor<3x5x32xf32>, tensor<5xi64>, tensor<64x32xf32>, tensor<64x64xf32>) -> (tensor<3x5x64xf32>, tensor<1x3x64xf32>)
  return %y#0, %y#1 : tensor<3x5x64xf32>, tensor<1x3x64xf32>
}

// -----

func.func @sequence_lengths_rank(%x: tensor<?x?x32xf32>, %len: tensor<?x?xi64>, %w: tensor<64x32xf32>, %u: tensor<64x64xf32>) -> (tensor<?x?x64xf32>, tensor<1x?x64xf32>) {
  // expected-error @+1 {{'heed.rnn' op expects lengths of shape [?], got 'tensor<?x?xi64>'}}
  %y:2 = heed.rnn %x lengths %len weights(%w, %u) {hidden_size = 64, has_biases = false} : (tensor<?x?x32xf32>, tensor<?x?xi64>, tensor<64x32xf32>, tensor<64x64xf32>) -> (tensor<?x?x64xf32>, tensor<1x?x64xf32>)
  return %y#0, %y#1 : tensor<?x?x64xf32>, tensor<1x?x64xf32>
}

// -----

func.func @sequence_states_disagree(%x: tensor<5x?x32xf32>, %h0: tensor<1x2x64xf32>, %c0: tensor<1x3x64xf32>, %w: tensor<256x32xf32>, %u: tensor<256x64xf32>) -> (tensor<5x?x64xf32>, tensor<1x?x64xf32>, tensor<1x?x64xf32>) {
  // expected-error @+1 {{'heed.lstm' op expects initial_cell of shape [1, 2, 64] and type 'f32', got 'tensor<1x3x64xf32>'}}
  %y:3 = heed.lstm %x init(%h0, %c0) weights(%w, %u) {hidden_size = 64, has_biases = false} : (tensor<5x?x32xf32>, tensor<1x2x64xf32>, tensor<1x3x64xf32>, tensor<256x32xf32>, tensor<256x64xf32>) -> (tensor<5x?x64xf32>, tensor<1x?x64xf32>, tensor<1x?x64xf32>)
  return %y#0, %y#1, %y#2 : tensor<5x?x64xf32>, tensor<1x?x64xf32>, tensor<1x?x64xf32>
}

// -----

func.func @sequence_state_and_lengths_disagree(%x: tensor<5x?x32xf32>, %h0: tensor<1x2x64xf32>, %len: tensor<3xi32>, %w: tensor<64x32xf32>, %u: tensor<64x64xf32>) -> (tensor<5x?x64xf32>, tensor<1x?x64xf32>) {
  // expected-error @+1 {{'heed.rnn' op expects lengths of shape [2], got 'tensor<3xi32>'}}
  %y:2 = heed.rnn %x init(%h0) lengths %len weights(%w, %u) {hidden_size = 64, has_biases = false} : (tensor<5x?x32xf32>, tensor<1x2x64xf32>, tensor<3xi32>, tensor<64x32xf32>, tensor<64x64xf32>) -> (tensor<5x?x64xf32>, tensor<1x?x64xf32>)
  return %y#0, %y#1 : tensor<5x?x64xf32>, tensor<1x?x64xf32>
}

// -----

func.func @sequence_result(%x: tensor<?x?x32xf32>, %w: tensor<64x32xf32>, %u: tensor<64x64xf32>) -> (tensor<?x?x128xf32>, tensor<1x?x64xf32>) {
  // expected-error @+1 {{'heed.rnn' op inferred type(s) 'tensor<?x?x64xf32>', 'tensor<1x?x64xf32>' are incompatible with return type(s) of operation 'tensor<?x?x128xf32>', 'tensor<1x?x64xf32>'}}
  %y:2 = heed.rnn %x weights(%w, %u) {hidden_size = 64, has_biases = false} : (tensor<?x?x32xf32>, tensor<64x32xf32>, tensor<64x64xf32>) -> (tensor<?x?x128xf32>, tensor<1x?x64xf32>)
  return %y#0, %y#1 : tensor<?x?x128xf32>, tensor<1x?x64xf32>
}

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

// -----

func.func @attention_element_types(%q: tensor<2x4x8xf32>, %k: tensor<2x4x8xf16>) -> tensor<2x4x8xf32> {
  // expected-error @+1 {{'heed.attention' op expects query, key and value of one element type}}
  %o = heed.attention %q, %k, %q {scale = 1.0 : f32} : (tensor<2x4x8xf32>, tensor<2x4x8xf16>, tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  return %o : tensor<2x4x8xf32>
}

// -----

func.func @attention_zero_scale(%q: tensor<2x4x8xf32>) -> tensor<2x4x8xf32> {
  // expected-error @+1 {{'heed.attention' op expects a finite positive scale}}
  %o = heed.attention %q, %q, %q {scale = 0.0 : f32} : (tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  return %o : tensor<2x4x8xf32>
}

// -----

func.func @attention_infinite_scale(%q: tensor<2x4x8xf32>) -> tensor<2x4x8xf32> {
  // expected-error @+1 {{'heed.attention' op expects a finite positive scale}}
  %o = heed.attention %q, %q, %q {scale = 0x7F800000 : f32} : (tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  return %o : tensor<2x4x8xf32>
}

// -----

func.func @attention_negative_heads(%q: tensor<2x4x8xf32>) -> tensor<2x4x8xf32> {
  // expected-error @+1 {{'heed.attention' op expects non-negative head counts}}
  %o = heed.attention %q, %q, %q {scale = 1.0 : f32, num_heads = -2} : (tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  return %o : tensor<2x4x8xf32>
}

// -----

func.func @attention_kv_heads_alone(%q: tensor<2x4x8xf32>) -> tensor<2x4x8xf32> {
  // expected-error @+1 {{'heed.attention' op num_kv_heads needs num_heads}}
  %o = heed.attention %q, %q, %q {scale = 1.0 : f32, num_kv_heads = 2} : (tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  return %o : tensor<2x4x8xf32>
}

// -----

func.func @attention_ranks(%q: tensor<2x4x8xf32>, %k: tensor<2x1x4x8xf32>) -> tensor<2x4x8xf32> {
  // expected-error @+1 {{'heed.attention' op expects query, key and value of one rank >= 2, got 3, 4 and 3}}
  %o = heed.attention %q, %k, %q {scale = 1.0 : f32} : (tensor<2x4x8xf32>, tensor<2x1x4x8xf32>, tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  return %o : tensor<2x4x8xf32>
}

// -----

func.func @attention_rank_one(%q: tensor<8xf32>) -> tensor<8xf32> {
  // expected-error @+1 {{'heed.attention' op expects query, key and value of one rank >= 2, got 1, 1 and 1}}
  %o = heed.attention %q, %q, %q {scale = 1.0 : f32} : (tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  return %o : tensor<8xf32>
}

// -----

func.func @attention_head_size(%q: tensor<2x4x8xf32>, %k: tensor<2x6x16xf32>) -> tensor<2x4x8xf32> {
  // expected-error @+1 {{'heed.attention' op query and key head sizes differ: 8 vs 16}}
  %o = heed.attention %q, %k, %q {scale = 1.0 : f32} : (tensor<2x4x8xf32>, tensor<2x6x16xf32>, tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  return %o : tensor<2x4x8xf32>
}

// -----

func.func @attention_kv_lengths(%q: tensor<2x4x8xf32>, %k: tensor<2x6x8xf32>, %v: tensor<2x7x8xf32>) -> tensor<2x4x8xf32> {
  // expected-error @+1 {{'heed.attention' op key and value lengths differ: 6 vs 7}}
  %o = heed.attention %q, %k, %v {scale = 1.0 : f32} : (tensor<2x4x8xf32>, tensor<2x6x8xf32>, tensor<2x7x8xf32>) -> tensor<2x4x8xf32>
  return %o : tensor<2x4x8xf32>
}

// -----

func.func @attention_batch(%q: tensor<2x4x8xf32>, %k: tensor<3x6x8xf32>) -> tensor<2x4x8xf32> {
  // expected-error @+1 {{'heed.attention' op key/value dim 0 (3) neither broadcasts to nor divides the query's (2)}}
  %o = heed.attention %q, %k, %k {scale = 1.0 : f32} : (tensor<2x4x8xf32>, tensor<3x6x8xf32>, tensor<3x6x8xf32>) -> tensor<2x4x8xf32>
  return %o : tensor<2x4x8xf32>
}

// -----

func.func @attention_grouped_heads(%q: tensor<2x8x4x16xf32>, %k: tensor<2x3x6x16xf32>) -> tensor<2x8x4x16xf32> {
  // expected-error @+1 {{'heed.attention' op key/value dim 1 (3) neither broadcasts to nor divides the query's (8)}}
  %o = heed.attention %q, %k, %k {scale = 1.0 : f32} : (tensor<2x8x4x16xf32>, tensor<2x3x6x16xf32>, tensor<2x3x6x16xf32>) -> tensor<2x8x4x16xf32>
  return %o : tensor<2x8x4x16xf32>
}

// -----

func.func @attention_kv_heads_divide(%q: tensor<2x4x48xf32>, %k: tensor<2x6x48xf32>) -> tensor<2x4x48xf32> {
  // expected-error @+1 {{'heed.attention' op num_kv_heads (4) must divide num_heads (6)}}
  %o = heed.attention %q, %k, %k {scale = 1.0 : f32, num_heads = 6, num_kv_heads = 4} : (tensor<2x4x48xf32>, tensor<2x6x48xf32>, tensor<2x6x48xf32>) -> tensor<2x4x48xf32>
  return %o : tensor<2x4x48xf32>
}

// -----

func.func @attention_heads_rank(%q: tensor<2x8x4x16xf32>) -> tensor<2x8x4x16xf32> {
  // expected-error @+1 {{'heed.attention' op with num_heads, expects query, key and value of rank 3 [B, L, heads*D]}}
  %o = heed.attention %q, %q, %q {scale = 1.0 : f32, num_heads = 8} : (tensor<2x8x4x16xf32>, tensor<2x8x4x16xf32>, tensor<2x8x4x16xf32>) -> tensor<2x8x4x16xf32>
  return %o : tensor<2x8x4x16xf32>
}

// -----

func.func @attention_heads_batch(%q: tensor<2x4x64xf32>, %k: tensor<3x6x64xf32>) -> tensor<2x4x64xf32> {
  // expected-error @+1 {{'heed.attention' op query, key and value batch sizes differ}}
  %o = heed.attention %q, %k, %k {scale = 1.0 : f32, num_heads = 8} : (tensor<2x4x64xf32>, tensor<3x6x64xf32>, tensor<3x6x64xf32>) -> tensor<2x4x64xf32>
  return %o : tensor<2x4x64xf32>
}

// -----

func.func @attention_heads_kv_lengths(%q: tensor<2x4x64xf32>, %k: tensor<2x6x64xf32>, %v: tensor<2x5x64xf32>) -> tensor<2x4x64xf32> {
  // expected-error @+1 {{'heed.attention' op key and value lengths differ: 6 vs 5}}
  %o = heed.attention %q, %k, %v {scale = 1.0 : f32, num_heads = 8} : (tensor<2x4x64xf32>, tensor<2x6x64xf32>, tensor<2x5x64xf32>) -> tensor<2x4x64xf32>
  return %o : tensor<2x4x64xf32>
}

// -----

func.func @attention_query_width(%q: tensor<2x4x60xf32>, %k: tensor<2x6x64xf32>) -> tensor<2x4x64xf32> {
  // expected-error @+1 {{'heed.attention' op query width 60 is not divisible by num_heads 8}}
  %o = heed.attention %q, %k, %k {scale = 1.0 : f32, num_heads = 8} : (tensor<2x4x60xf32>, tensor<2x6x64xf32>, tensor<2x6x64xf32>) -> tensor<2x4x64xf32>
  return %o : tensor<2x4x64xf32>
}

// -----

func.func @attention_kv_width(%q: tensor<2x4x64xf32>, %k: tensor<2x6x?xf32>, %v: tensor<2x6x30xf32>) -> tensor<2x4x?xf32> {
  // expected-error @+1 {{'heed.attention' op key/value widths ? and 30 are not divisible by num_kv_heads 4}}
  %o = heed.attention %q, %k, %v {scale = 1.0 : f32, num_heads = 8, num_kv_heads = 4} : (tensor<2x4x64xf32>, tensor<2x6x?xf32>, tensor<2x6x30xf32>) -> tensor<2x4x?xf32>
  return %o : tensor<2x4x?xf32>
}

// -----

func.func @attention_heads_head_size(%q: tensor<2x4x64xf32>, %k: tensor<2x6x32xf32>) -> tensor<2x4x32xf32> {
  // expected-error @+1 {{'heed.attention' op query and key head sizes differ: 8 vs 4}}
  %o = heed.attention %q, %k, %k {scale = 1.0 : f32, num_heads = 8} : (tensor<2x4x64xf32>, tensor<2x6x32xf32>, tensor<2x6x32xf32>) -> tensor<2x4x32xf32>
  return %o : tensor<2x4x32xf32>
}

// -----

func.func @attention_result(%q: tensor<2x4x64xf32>, %v: tensor<2x4x32xf32>) -> tensor<2x4x64xf32> {
  // expected-error @+1 {{'heed.attention' op inferred type(s) 'tensor<2x4x32xf32>' are incompatible with return type(s) of operation 'tensor<2x4x64xf32>'}}
  %o = heed.attention %q, %q, %v {scale = 1.0 : f32, num_heads = 8} : (tensor<2x4x64xf32>, tensor<2x4x64xf32>, tensor<2x4x32xf32>) -> tensor<2x4x64xf32>
  return %o : tensor<2x4x64xf32>
}

//===----------------------------------------------------------------------===//
// Attention masks
//===----------------------------------------------------------------------===//

// -----

func.func @mask_two_operand_kinds(%q: tensor<2x4x8xf32>, %m: tensor<2x4x4xf32>) -> tensor<2x4x8xf32> {
  // expected-error @+1 {{'heed.attention' op expects at most one of additive, boolean and lengths masks, got 'additive|boolean'}}
  %o = heed.attention %q, %q, %q, %m {scale = 1.0 : f32, mask_kind = #heed<mask additive|boolean>} : (tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x4xf32>) -> tensor<2x4x8xf32>
  return %o : tensor<2x4x8xf32>
}

// -----

func.func @mask_missing_operand(%q: tensor<2x4x8xf32>) -> tensor<2x4x8xf32> {
  // expected-error @+1 {{'heed.attention' op mask kind 'boolean|causal' needs a mask operand}}
  %o = heed.attention %q, %q, %q {scale = 1.0 : f32, mask_kind = #heed<mask boolean|causal>} : (tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  return %o : tensor<2x4x8xf32>
}

// -----

func.func @mask_unexpected_operand(%q: tensor<2x4x8xf32>, %m: tensor<4x4xi1>) -> tensor<2x4x8xf32> {
  // expected-error @+1 {{'heed.attention' op has a mask operand but mask kind 'causal' takes none}}
  %o = heed.attention %q, %q, %q, %m {scale = 1.0 : f32, mask_kind = #heed<mask causal>} : (tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<4x4xi1>) -> tensor<2x4x8xf32>
  return %o : tensor<2x4x8xf32>
}

// -----

func.func @mask_operand_without_kind(%q: tensor<2x4x8xf32>, %m: tensor<4x4xi1>) -> tensor<2x4x8xf32> {
  // expected-error @+1 {{'heed.attention' op has a mask operand but mask kind 'none' takes none}}
  %o = heed.attention %q, %q, %q, %m {scale = 1.0 : f32} : (tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<4x4xi1>) -> tensor<2x4x8xf32>
  return %o : tensor<2x4x8xf32>
}

// -----

func.func @mask_lengths_type(%q: tensor<2x4x8xf32>, %len: tensor<2xf32>) -> tensor<2x4x8xf32> {
  // expected-error @+1 {{'heed.attention' op expects i32 or i64 key lengths, got 'f32'}}
  %o = heed.attention %q, %q, %q, %len {scale = 1.0 : f32, mask_kind = #heed<mask lengths>} : (tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2xf32>) -> tensor<2x4x8xf32>
  return %o : tensor<2x4x8xf32>
}

// -----

func.func @mask_lengths_no_batch(%q: tensor<4x8xf32>, %len: tensor<1xi64>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'heed.attention' op a lengths mask needs a batch dim; the scores are [4, 4]}}
  %o = heed.attention %q, %q, %q, %len {scale = 1.0 : f32, mask_kind = #heed<mask lengths>} : (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<1xi64>) -> tensor<4x8xf32>
  return %o : tensor<4x8xf32>
}

// -----

func.func @mask_lengths_shape(%q: tensor<2x4x8xf32>, %len: tensor<3xi32>) -> tensor<2x4x8xf32> {
  // expected-error @+1 {{'heed.attention' op expects key lengths of shape [2], got [3]}}
  %o = heed.attention %q, %q, %q, %len {scale = 1.0 : f32, mask_kind = #heed<mask lengths>} : (tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<3xi32>) -> tensor<2x4x8xf32>
  return %o : tensor<2x4x8xf32>
}

// -----

func.func @mask_lengths_rank(%q: tensor<?x4x64xf32>, %len: tensor<?x1xi32>) -> tensor<?x4x64xf32> {
  // expected-error @+1 {{'heed.attention' op expects key lengths of shape [?], got [?, 1]}}
  %o = heed.attention %q, %q, %q, %len {scale = 1.0 : f32, num_heads = 8, mask_kind = #heed<mask lengths>} : (tensor<?x4x64xf32>, tensor<?x4x64xf32>, tensor<?x4x64xf32>, tensor<?x1xi32>) -> tensor<?x4x64xf32>
  return %o : tensor<?x4x64xf32>
}

// -----

func.func @mask_boolean_type(%q: tensor<2x4x8xf32>, %m: tensor<4x4xf32>) -> tensor<2x4x8xf32> {
  // expected-error @+1 {{'heed.attention' op expects an i1 boolean mask, got 'f32'}}
  %o = heed.attention %q, %q, %q, %m {scale = 1.0 : f32, mask_kind = #heed<mask boolean>} : (tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<4x4xf32>) -> tensor<2x4x8xf32>
  return %o : tensor<2x4x8xf32>
}

// -----

func.func @mask_additive_type(%q: tensor<2x4x8xf32>, %m: tensor<4x4xf16>) -> tensor<2x4x8xf32> {
  // expected-error @+1 {{'heed.attention' op expects an additive mask of element type 'f32', got 'f16'}}
  %o = heed.attention %q, %q, %q, %m {scale = 1.0 : f32, mask_kind = #heed<mask additive|causal>} : (tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<4x4xf16>) -> tensor<2x4x8xf32>
  return %o : tensor<2x4x8xf32>
}

// -----

func.func @mask_not_broadcastable(%q: tensor<2x4x8xf32>, %k: tensor<2x6x8xf32>, %m: tensor<2x1x4xi1>) -> tensor<2x4x8xf32> {
  // expected-error @+1 {{'heed.attention' op mask of shape [2, 1, 4] does not broadcast to the scores [2, 4, 6]}}
  %o = heed.attention %q, %k, %k, %m {scale = 1.0 : f32, mask_kind = #heed<mask boolean>} : (tensor<2x4x8xf32>, tensor<2x6x8xf32>, tensor<2x6x8xf32>, tensor<2x1x4xi1>) -> tensor<2x4x8xf32>
  return %o : tensor<2x4x8xf32>
}

// -----

func.func @mask_grows_scores(%q: tensor<2x4x64xf32>, %m: tensor<3x2x8x4x4xi1>) -> tensor<2x4x64xf32> {
  // expected-error @+1 {{'heed.attention' op mask of shape [3, 2, 8, 4, 4] does not broadcast to the scores [2, 8, 4, 4]}}
  %o = heed.attention %q, %q, %q, %m {scale = 1.0 : f32, num_heads = 8, mask_kind = #heed<mask boolean>} : (tensor<2x4x64xf32>, tensor<2x4x64xf32>, tensor<2x4x64xf32>, tensor<3x2x8x4x4xi1>) -> tensor<2x4x64xf32>
  return %o : tensor<2x4x64xf32>
}

// -----

func.func @attention_weights_result(%q: tensor<2x4x8xf32>) -> tensor<2x4x8xf32> {
  // expected-error @+1 {{'heed.attention' op inferred type(s) 'tensor<2x4x8xf32>', 'tensor<2x4x4xf32>' are incompatible with return type(s) of operation 'tensor<2x4x8xf32>'}}
  %o = heed.attention %q, %q, %q {scale = 1.0 : f32, return_weights} : (tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  return %o : tensor<2x4x8xf32>
}

//===----------------------------------------------------------------------===//
// Additive attention
//===----------------------------------------------------------------------===//

// -----

func.func @additive_element_types(%s: tensor<2x16xf32>, %keys: tensor<2x5x8xf32>, %h: tensor<2x5x32xf16>, %wq: tensor<8x16xf32>, %v: tensor<8xf32>) -> tensor<2x32xf32> {
  // expected-error @+1 {{'heed.additive_attention' op expects every operand of element type 'f32'}}
  %c = heed.additive_attention %s, %keys, %h, %wq, %v : (tensor<2x16xf32>, tensor<2x5x8xf32>, tensor<2x5x32xf16>, tensor<8x16xf32>, tensor<8xf32>) -> tensor<2x32xf32>
  return %c : tensor<2x32xf32>
}

// -----

func.func @additive_query_rank(%s: tensor<16xf32>, %keys: tensor<2x5x8xf32>, %h: tensor<2x5x32xf32>, %wq: tensor<8x16xf32>, %v: tensor<8xf32>) -> tensor<2x32xf32> {
  // expected-error @+1 {{'heed.additive_attention' op expects a query [B, Dq] or [B, Lq, Dq], got rank 1}}
  %c = heed.additive_attention %s, %keys, %h, %wq, %v : (tensor<16xf32>, tensor<2x5x8xf32>, tensor<2x5x32xf32>, tensor<8x16xf32>, tensor<8xf32>) -> tensor<2x32xf32>
  return %c : tensor<2x32xf32>
}

// -----

func.func @additive_keys_rank(%s: tensor<2x16xf32>, %keys: tensor<5x8xf32>, %h: tensor<2x5x32xf32>, %wq: tensor<8x16xf32>, %v: tensor<8xf32>) -> tensor<2x32xf32> {
  // expected-error @+1 {{'heed.additive_attention' op expects keys_proj [B, Lk, A] and values [B, Lk, Dv]}}
  %c = heed.additive_attention %s, %keys, %h, %wq, %v : (tensor<2x16xf32>, tensor<5x8xf32>, tensor<2x5x32xf32>, tensor<8x16xf32>, tensor<8xf32>) -> tensor<2x32xf32>
  return %c : tensor<2x32xf32>
}

// -----

func.func @additive_projection_ranks(%s: tensor<2x16xf32>, %keys: tensor<2x5x8xf32>, %h: tensor<2x5x32xf32>, %wq: tensor<8x16xf32>, %v: tensor<8x1xf32>) -> tensor<2x32xf32> {
  // expected-error @+1 {{'heed.additive_attention' op expects w_query [A, Dq] and v [A]}}
  %c = heed.additive_attention %s, %keys, %h, %wq, %v : (tensor<2x16xf32>, tensor<2x5x8xf32>, tensor<2x5x32xf32>, tensor<8x16xf32>, tensor<8x1xf32>) -> tensor<2x32xf32>
  return %c : tensor<2x32xf32>
}

// -----

func.func @additive_batch(%s: tensor<2x16xf32>, %keys: tensor<3x5x8xf32>, %h: tensor<3x5x32xf32>, %wq: tensor<8x16xf32>, %v: tensor<8xf32>) -> tensor<2x32xf32> {
  // expected-error @+1 {{'heed.additive_attention' op query, keys_proj and values batch sizes differ}}
  %c = heed.additive_attention %s, %keys, %h, %wq, %v : (tensor<2x16xf32>, tensor<3x5x8xf32>, tensor<3x5x32xf32>, tensor<8x16xf32>, tensor<8xf32>) -> tensor<2x32xf32>
  return %c : tensor<2x32xf32>
}

// -----

func.func @additive_lengths(%s: tensor<2x16xf32>, %keys: tensor<2x5x8xf32>, %h: tensor<2x6x32xf32>, %wq: tensor<8x16xf32>, %v: tensor<8xf32>) -> tensor<2x32xf32> {
  // expected-error @+1 {{'heed.additive_attention' op keys_proj and values lengths differ: 5 vs 6}}
  %c = heed.additive_attention %s, %keys, %h, %wq, %v : (tensor<2x16xf32>, tensor<2x5x8xf32>, tensor<2x6x32xf32>, tensor<8x16xf32>, tensor<8xf32>) -> tensor<2x32xf32>
  return %c : tensor<2x32xf32>
}

// -----

func.func @additive_width(%s: tensor<2x16xf32>, %keys: tensor<2x5x?xf32>, %h: tensor<2x5x32xf32>, %wq: tensor<8x16xf32>, %v: tensor<9xf32>) -> tensor<2x32xf32> {
  // expected-error @+1 {{'heed.additive_attention' op attention width differs: keys_proj ?, w_query 8, v 9}}
  %c = heed.additive_attention %s, %keys, %h, %wq, %v : (tensor<2x16xf32>, tensor<2x5x?xf32>, tensor<2x5x32xf32>, tensor<8x16xf32>, tensor<9xf32>) -> tensor<2x32xf32>
  return %c : tensor<2x32xf32>
}

// -----

func.func @additive_query_features(%s: tensor<2x4x12xf32>, %keys: tensor<2x5x8xf32>, %h: tensor<2x5x32xf32>, %wq: tensor<8x16xf32>, %v: tensor<8xf32>) -> tensor<2x4x32xf32> {
  // expected-error @+1 {{'heed.additive_attention' op w_query takes 16 features but the query has 12}}
  %c = heed.additive_attention %s, %keys, %h, %wq, %v : (tensor<2x4x12xf32>, tensor<2x5x8xf32>, tensor<2x5x32xf32>, tensor<8x16xf32>, tensor<8xf32>) -> tensor<2x4x32xf32>
  return %c : tensor<2x4x32xf32>
}

// -----

func.func @additive_causal(%s: tensor<2x4x16xf32>, %keys: tensor<2x5x8xf32>, %h: tensor<2x5x32xf32>, %wq: tensor<8x16xf32>, %v: tensor<8xf32>) -> tensor<2x4x32xf32> {
  // expected-error @+1 {{'heed.additive_attention' op does not support a causal mask}}
  %c = heed.additive_attention %s, %keys, %h, %wq, %v {mask_kind = #heed<mask causal>} : (tensor<2x4x16xf32>, tensor<2x5x8xf32>, tensor<2x5x32xf32>, tensor<8x16xf32>, tensor<8xf32>) -> tensor<2x4x32xf32>
  return %c : tensor<2x4x32xf32>
}

// -----

func.func @additive_mask_shape(%s: tensor<2x16xf32>, %keys: tensor<2x5x8xf32>, %h: tensor<2x5x32xf32>, %wq: tensor<8x16xf32>, %v: tensor<8xf32>, %m: tensor<2x4xi1>) -> tensor<2x32xf32> {
  // expected-error @+1 {{'heed.additive_attention' op mask of shape [2, 4] does not broadcast to the scores [2, 5]}}
  %c = heed.additive_attention %s, %keys, %h, %wq, %v, %m {mask_kind = #heed<mask boolean>} : (tensor<2x16xf32>, tensor<2x5x8xf32>, tensor<2x5x32xf32>, tensor<8x16xf32>, tensor<8xf32>, tensor<2x4xi1>) -> tensor<2x32xf32>
  return %c : tensor<2x32xf32>
}

// -----

func.func @additive_lengths_mask(%s: tensor<2x16xf32>, %keys: tensor<2x5x8xf32>, %h: tensor<2x5x32xf32>, %wq: tensor<8x16xf32>, %v: tensor<8xf32>, %len: tensor<4xi32>) -> tensor<2x32xf32> {
  // expected-error @+1 {{'heed.additive_attention' op expects key lengths of shape [2], got [4]}}
  %c = heed.additive_attention %s, %keys, %h, %wq, %v, %len {mask_kind = #heed<mask lengths>} : (tensor<2x16xf32>, tensor<2x5x8xf32>, tensor<2x5x32xf32>, tensor<8x16xf32>, tensor<8xf32>, tensor<4xi32>) -> tensor<2x32xf32>
  return %c : tensor<2x32xf32>
}

// -----

func.func @additive_result(%s: tensor<2x4x16xf32>, %keys: tensor<2x5x8xf32>, %h: tensor<2x5x32xf32>, %wq: tensor<8x16xf32>, %v: tensor<8xf32>) -> tensor<2x32xf32> {
  // expected-error @+1 {{'heed.additive_attention' op inferred type(s) 'tensor<2x4x32xf32>' are incompatible with return type(s) of operation 'tensor<2x32xf32>'}}
  %c = heed.additive_attention %s, %keys, %h, %wq, %v : (tensor<2x4x16xf32>, tensor<2x5x8xf32>, tensor<2x5x32xf32>, tensor<8x16xf32>, tensor<8xf32>) -> tensor<2x32xf32>
  return %c : tensor<2x32xf32>
}

// -----

func.func @additive_batch_dynamic_query(%s: tensor<?x16xf32>, %keys: tensor<2x5x8xf32>, %h: tensor<3x5x32xf32>, %wq: tensor<8x16xf32>, %v: tensor<8xf32>) -> tensor<?x32xf32> {
  // expected-error @+1 {{'heed.additive_attention' op query, keys_proj and values batch sizes differ}}
  %c = heed.additive_attention %s, %keys, %h, %wq, %v : (tensor<?x16xf32>, tensor<2x5x8xf32>, tensor<3x5x32xf32>, tensor<8x16xf32>, tensor<8xf32>) -> tensor<?x32xf32>
  return %c : tensor<?x32xf32>
}

// -----

func.func @attention_heads_batch_dynamic_query(%q: tensor<?x4x64xf32>, %k: tensor<2x6x64xf32>, %v: tensor<3x6x64xf32>) -> tensor<?x4x64xf32> {
  // expected-error @+1 {{'heed.attention' op query, key and value batch sizes differ}}
  %o = heed.attention %q, %k, %v {scale = 1.0 : f32, num_heads = 8} : (tensor<?x4x64xf32>, tensor<2x6x64xf32>, tensor<3x6x64xf32>) -> tensor<?x4x64xf32>
  return %o : tensor<?x4x64xf32>
}

// -----

func.func @attention_kv_batch(%q: tensor<?x4x8xf32>, %k: tensor<2x6x8xf32>, %v: tensor<3x6x8xf32>) -> tensor<?x4x8xf32> {
  // expected-error @+1 {{'heed.attention' op key and value dim 0 differ: 2 vs 3}}
  %o = heed.attention %q, %k, %v {scale = 1.0 : f32} : (tensor<?x4x8xf32>, tensor<2x6x8xf32>, tensor<3x6x8xf32>) -> tensor<?x4x8xf32>
  return %o : tensor<?x4x8xf32>
}

//===----------------------------------------------------------------------===//
// Scan
//===----------------------------------------------------------------------===//

// -----

func.func @scan_no_steps(%h0: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'heed.scan' op needs sequences or a `steps` count}}
  %r = heed.scan init(%h0 : tensor<4xf32>) over() -> (tensor<4xf32>) {
  ^bb0(%h: tensor<4xf32>):
    heed.yield %h : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @scan_sequence_rank(%xs: tensor<f32>) -> tensor<?xf32> {
  // expected-error @+1 {{'heed.scan' op expects sequences of rank >= 1}}
  %r = heed.scan init() over(%xs : tensor<f32>) -> (tensor<?xf32>) {
  ^bb0(%x: tensor<f32>):
    heed.yield %x : tensor<f32>
  }
  return %r : tensor<?xf32>
}

// -----

func.func @scan_sequence_lengths(%xs: tensor<5x4xf32>, %ys: tensor<6x4xf32>) -> tensor<5x4xf32> {
  // expected-error @+1 {{'heed.scan' op sequences differ in length: 5 vs 6}}
  %r = heed.scan init() over(%xs, %ys : tensor<5x4xf32>, tensor<6x4xf32>) -> (tensor<5x4xf32>) {
  ^bb0(%x: tensor<4xf32>, %y: tensor<4xf32>):
    heed.yield %x : tensor<4xf32>
  }
  return %r : tensor<5x4xf32>
}

// -----

func.func @scan_no_results(%xs: tensor<5x4xf32>) {
  // expected-error @+1 {{'heed.scan' op expects at least one result}}
  "heed.scan"(%xs) ({
  ^bb0(%x: tensor<4xf32>):
    "heed.yield"() : () -> ()
  }) {operandSegmentSizes = array<i32: 0, 1, 0>} : (tensor<5x4xf32>) -> ()
  return
}

// -----

func.func @scan_too_few_results(%h0: tensor<4xf32>, %n: index) -> tensor<4xf32> {
  // expected-error @+1 {{'heed.scan' op expects at least one result per carried value}}
  %r = heed.scan init(%h0, %h0 : tensor<4xf32>, tensor<4xf32>) over() steps %n -> (tensor<4xf32>) {
  ^bb0(%h: tensor<4xf32>, %g: tensor<4xf32>):
    heed.yield %h, %g : tensor<4xf32>, tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @scan_result_type(%h0: tensor<4xf32>, %n: index) -> tensor<5xf32> {
  // expected-error @+1 {{'heed.scan' op carried value 0 has type 'tensor<4xf32>' but its result has type 'tensor<5xf32>'}}
  %r = heed.scan init(%h0 : tensor<4xf32>) over() steps %n -> (tensor<5xf32>) {
  ^bb0(%h: tensor<4xf32>):
    heed.yield %h : tensor<4xf32>
  }
  return %r : tensor<5xf32>
}

// -----

func.func @scan_body_arity(%h0: tensor<4xf32>, %xs: tensor<?x4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'heed.scan' op expects 2 body arguments (carried values, then one step of each sequence), got 1}}
  %r = heed.scan init(%h0 : tensor<4xf32>) over(%xs : tensor<?x4xf32>) -> (tensor<4xf32>) {
  ^bb0(%h: tensor<4xf32>):
    heed.yield %h : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @scan_terminator(%h0: tensor<4xf32>, %n: index) -> tensor<4xf32> {
  // expected-error @+1 {{'heed.scan' op expects its body to end in heed.yield}}
  %r = heed.scan init(%h0 : tensor<4xf32>) over() steps %n -> (tensor<4xf32>) {
  ^bb0(%h: tensor<4xf32>):
    "other.end"(%h) : (tensor<4xf32>) -> ()
  }
  return %r : tensor<4xf32>
}

// -----

func.func @scan_carried_argument(%h0: tensor<4xf32>, %n: index) -> tensor<4xf32> {
  // expected-error @+1 {{'heed.scan' op body argument 0 has type 'tensor<4xf16>' but the carried value has type 'tensor<4xf32>'}}
  %r = heed.scan init(%h0 : tensor<4xf32>) over() steps %n -> (tensor<4xf32>) {
  ^bb0(%h: tensor<4xf16>):
    heed.yield %h0 : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @scan_step_argument(%xs: tensor<?x4xf32>) -> tensor<?x?x4xf32> {
  // expected-error @+1 {{'heed.scan' op body argument 0 has type 'tensor<?x4xf32>' but one step of the sequence has type 'tensor<4xf32>'}}
  %r = heed.scan init() over(%xs : tensor<?x4xf32>) -> (tensor<?x?x4xf32>) {
  ^bb0(%x: tensor<?x4xf32>):
    heed.yield %x : tensor<?x4xf32>
  }
  return %r : tensor<?x?x4xf32>
}

// -----

func.func @scan_yield_count(%h0: tensor<4xf32>, %n: index) -> tensor<4xf32> {
  // expected-error @+1 {{'heed.scan' op body yields 2 values but the scan has 1 results}}
  %r = heed.scan init(%h0 : tensor<4xf32>) over() steps %n -> (tensor<4xf32>) {
  ^bb0(%h: tensor<4xf32>):
    heed.yield %h, %h : tensor<4xf32>, tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @scan_yield_carried(%h0: tensor<?xf32>, %n: index, %other: tensor<4x4xf32>) -> tensor<?xf32> {
  // expected-error @+1 {{'heed.scan' op body yields 'tensor<4x4xf32>' for carried value 0 of type 'tensor<?xf32>'}}
  %r = heed.scan init(%h0 : tensor<?xf32>) over() steps %n -> (tensor<?xf32>) {
  ^bb0(%h: tensor<?xf32>):
    heed.yield %other : tensor<4x4xf32>
  }
  return %r : tensor<?xf32>
}

// -----

func.func @scan_stacked_output(%xs: tensor<7x4xf32>) -> tensor<7x5xf32> {
  // expected-error @+1 {{'heed.scan' op result 0 has type 'tensor<7x5xf32>' but stacking the yielded 'tensor<4xf32>' over the steps gives 'tensor<7x4xf32>'}}
  %r = heed.scan init() over(%xs : tensor<7x4xf32>) -> (tensor<7x5xf32>) {
  ^bb0(%x: tensor<4xf32>):
    heed.yield %x : tensor<4xf32>
  }
  return %r : tensor<7x5xf32>
}

// -----

func.func @scan_stacked_steps(%xs: tensor<7x4xf32>) -> tensor<9x4xf32> {
  // expected-error @+1 {{'heed.scan' op result 0 has type 'tensor<9x4xf32>' but stacking the yielded 'tensor<4xf32>' over the steps gives 'tensor<7x4xf32>'}}
  %r = heed.scan init() over(%xs : tensor<7x4xf32>) -> (tensor<9x4xf32>) {
  ^bb0(%x: tensor<4xf32>):
    heed.yield %x : tensor<4xf32>
  }
  return %r : tensor<9x4xf32>
}

// -----

func.func @scan_stacked_constant_steps(%h0: tensor<4xf32>) -> (tensor<4xf32>, tensor<3x4xf32>) {
  %five = arith.constant 5 : index
  // expected-error @+1 {{'heed.scan' op result 1 has type 'tensor<3x4xf32>' but stacking the yielded 'tensor<4xf32>' over the steps gives 'tensor<5x4xf32>'}}
  %r:2 = heed.scan init(%h0 : tensor<4xf32>) over() steps %five -> (tensor<4xf32>, tensor<3x4xf32>) {
  ^bb0(%h: tensor<4xf32>):
    heed.yield %h, %h : tensor<4xf32>, tensor<4xf32>
  }
  return %r#0, %r#1 : tensor<4xf32>, tensor<3x4xf32>
}

// -----

func.func @yield_outside_scan(%x: tensor<4xf32>) {
  // expected-error @+1 {{'heed.yield' op expects parent op 'heed.scan'}}
  heed.yield %x : tensor<4xf32>
}

// -----

func.func @reduce_unsigned(%x: tensor<4xui8>) -> tensor<ui8> {
  // Unsigned sums would have to wrap; reductions take no unsigned integers.
  // expected-error @+1 {{'heed.reduce' op operand #0 must be ranked tensor of 16-bit float or bfloat16 type or 32-bit float or 64-bit float or 1-bit signless integer or 32-bit signless integer or 64-bit signless integer values, but got 'tensor<4xui8>'}}
  %y = heed.reduce sum, %x {axes = array<i64: 0>} : (tensor<4xui8>) -> tensor<ui8>
  return %y : tensor<ui8>
}

// -----

func.func @indices_unsigned(%x: tensor<4x3xf32>, %i: tensor<2xui32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{'heed.gather' op operand #1 must be ranked tensor of 32-bit signless integer or 64-bit signless integer values, but got 'tensor<2xui32>'}}
  %y = heed.gather %x, %i : (tensor<4x3xf32>, tensor<2xui32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

func.func @sequence_reverse_bidirectional(%x: tensor<?x?x32xf32>, %w: tensor<64x32xf32>, %u: tensor<64x64xf32>) -> (tensor<?x?x128xf32>, tensor<2x?x64xf32>) {
  // expected-error @+1 {{'heed.rnn' op cannot be both reverse and bidirectional}}
  %y:2 = heed.rnn %x weights(%w, %u, %w, %u) {hidden_size = 64, bidirectional = true, reverse = true, has_biases = false} : (tensor<?x?x32xf32>, tensor<64x32xf32>, tensor<64x64xf32>, tensor<64x32xf32>, tensor<64x64xf32>) -> (tensor<?x?x128xf32>, tensor<2x?x64xf32>)
  return %y#0, %y#1 : tensor<?x?x128xf32>, tensor<2x?x64xf32>
}

// -----

func.func @sequence_clip(%x: tensor<?x?x32xf32>, %w: tensor<64x32xf32>, %u: tensor<64x64xf32>) -> (tensor<?x?x64xf32>, tensor<1x?x64xf32>) {
  // expected-error @+1 {{'heed.rnn' op expects a positive clip, got 0.000000e+00}}
  %y:2 = heed.rnn %x weights(%w, %u) {hidden_size = 64, clip = 0.0 : f64, has_biases = false} : (tensor<?x?x32xf32>, tensor<64x32xf32>, tensor<64x64xf32>) -> (tensor<?x?x64xf32>, tensor<1x?x64xf32>)
  return %y#0, %y#1 : tensor<?x?x64xf32>, tensor<1x?x64xf32>
}

// -----

func.func @sequence_peepholes(%x: tensor<?x?x32xf32>, %w: tensor<256x32xf32>, %u: tensor<256x64xf32>, %p: tensor<64xf32>) -> (tensor<?x?x64xf32>, tensor<1x?x64xf32>, tensor<1x?x64xf32>) {
  // expected-error @+1 {{'heed.lstm' op expects layer 0 peepholes of shape [192] and type 'f32', got 'tensor<64xf32>'}}
  %y:3 = heed.lstm %x weights(%w, %u, %p) {hidden_size = 64, has_biases = false, peepholes = true} : (tensor<?x?x32xf32>, tensor<256x32xf32>, tensor<256x64xf32>, tensor<64xf32>) -> (tensor<?x?x64xf32>, tensor<1x?x64xf32>, tensor<1x?x64xf32>)
  return %y#0, %y#1, %y#2 : tensor<?x?x64xf32>, tensor<1x?x64xf32>, tensor<1x?x64xf32>
}

// -----

//===----------------------------------------------------------------------===//
// Shapes from tensor values (heed.extract, heed.reshape_dynamic, heed.slice_dynamic)
//===----------------------------------------------------------------------===//

func.func @extract_out_of_range(%t: tensor<3xi64>) -> index {
  // expected-error @+1 {{'heed.extract' op index 3 is out of range for 'tensor<3xi64>'}}
  %i = heed.extract %t[3] : tensor<3xi64>
  return %i : index
}

// -----

func.func @extract_negative(%t: tensor<?xi64>) -> index {
  // expected-error @+1 {{'heed.extract' op index -1 is out of range for 'tensor<?xi64>'}}
  %i = heed.extract %t[-1] : tensor<?xi64>
  return %i : index
}

// -----

func.func @extract_rank_2(%t: tensor<1x3xi64>) -> index {
  // expected-error @+1 {{'heed.extract' op expects a 0-D or 1-D tensor, got 'tensor<1x3xi64>'}}
  %i = heed.extract %t[0] : tensor<1x3xi64>
  return %i : index
}

// -----

func.func @reshape_dynamic_bad_constant(%x: tensor<2x3xf32>, %n: index) -> tensor<?x?xf32> {
  %c = arith.constant -2 : index
  // expected-error @+1 {{'heed.reshape_dynamic' op shape entry 1 is -2; expected a positive size, 0 (copy) or -1 (infer)}}
  %y = heed.reshape_dynamic %x, %n, %c : (tensor<2x3xf32>, index, index) -> tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}

// -----

func.func @slice_dynamic_zero_step(%x: tensor<4xf32>, %s: index) -> tensor<?xf32> {
  %c = arith.constant 0 : index
  // expected-error @+1 {{'heed.slice_dynamic' op expects a non-zero step}}
  %y = heed.slice_dynamic %x, %s, %s, %c {axis = 0 : i64} : (tensor<4xf32>, index, index, index) -> tensor<?xf32>
  return %y : tensor<?xf32>
}
