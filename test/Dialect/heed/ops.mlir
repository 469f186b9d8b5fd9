// RUN: heed-opt %s | heed-opt | FileCheck %s
// RUN: heed-opt %s --mlir-print-op-generic | heed-opt | FileCheck %s
// RUN: heed-opt %s -emit-bytecode | heed-opt | FileCheck %s
// Round trip of every heed op, in custom, generic and bytecode form.

// CHECK-LABEL: func.func @values
func.func @values(%x: tensor<?x4xf32>) -> (tensor<4xf32>, tensor<8x4xf32>, index, tensor<?x4xf32>, tensor<?xi64>) {
  // CHECK: heed.constant dense<1.000000e+00> : tensor<4xf32>
  %c = heed.constant dense<1.0> : tensor<4xf32>
  // CHECK: heed.weight "decoder.w" : tensor<8x4xf32>
  %w = heed.weight "decoder.w" : tensor<8x4xf32>
  // CHECK: %[[D:.*]] = heed.dim %{{.*}}, 0 : tensor<?x4xf32>
  %d = heed.dim %x, 0 : tensor<?x4xf32>
  // CHECK: heed.full 0.000000e+00 : f32[%[[D]]] : tensor<?x4xf32>
  %f = heed.full 0.0 : f32 [%d] : tensor<?x4xf32>
  %zero = arith.constant 0 : index
  %one = arith.constant 1 : index
  // CHECK: heed.range
  %r = heed.range %zero, %d, %one : (index, index, index) -> tensor<?xi64>
  return %c, %w, %d, %f, %r : tensor<4xf32>, tensor<8x4xf32>, index, tensor<?x4xf32>, tensor<?xi64>
}

// CHECK-LABEL: func.func @elementwise
func.func @elementwise(%x: tensor<2x?xf32>, %y: tensor<?xf32>, %b: tensor<2x1xi1>) -> tensor<2x?xf32> {
  // CHECK: heed.abs
  %0 = heed.abs %x : (tensor<2x?xf32>) -> tensor<2x?xf32>
  // CHECK: heed.erf
  %1 = heed.erf %0 : (tensor<2x?xf32>) -> tensor<2x?xf32>
  // CHECK: heed.exp
  %2 = heed.exp %1 : (tensor<2x?xf32>) -> tensor<2x?xf32>
  // CHECK: heed.log
  %3 = heed.log %2 : (tensor<2x?xf32>) -> tensor<2x?xf32>
  // CHECK: heed.neg
  %4 = heed.neg %3 : (tensor<2x?xf32>) -> tensor<2x?xf32>
  // CHECK: heed.reciprocal
  %5 = heed.reciprocal %4 : (tensor<2x?xf32>) -> tensor<2x?xf32>
  // CHECK: heed.relu
  %6 = heed.relu %5 : (tensor<2x?xf32>) -> tensor<2x?xf32>
  // CHECK: heed.rsqrt
  %7 = heed.rsqrt %6 : (tensor<2x?xf32>) -> tensor<2x?xf32>
  // CHECK: heed.sigmoid
  %8 = heed.sigmoid %7 : (tensor<2x?xf32>) -> tensor<2x?xf32>
  // CHECK: heed.sqrt
  %9 = heed.sqrt %8 : (tensor<2x?xf32>) -> tensor<2x?xf32>
  // CHECK: heed.tanh
  %10 = heed.tanh %9 : (tensor<2x?xf32>) -> tensor<2x?xf32>
  // CHECK: heed.gelu %{{.*}} {approximate = #heed<gelu_approx tanh>}
  %11 = heed.gelu %10 {approximate = #heed<gelu_approx tanh>} : (tensor<2x?xf32>) -> tensor<2x?xf32>
  // CHECK: heed.gelu %{{.*}} :
  %12 = heed.gelu %11 : (tensor<2x?xf32>) -> tensor<2x?xf32>
  // CHECK: heed.add {{.*}} : (tensor<2x?xf32>, tensor<?xf32>) -> tensor<2x?xf32>
  %13 = heed.add %12, %y : (tensor<2x?xf32>, tensor<?xf32>) -> tensor<2x?xf32>
  // CHECK: heed.sub
  %14 = heed.sub %13, %y : (tensor<2x?xf32>, tensor<?xf32>) -> tensor<2x?xf32>
  // CHECK: heed.mul
  %15 = heed.mul %14, %y : (tensor<2x?xf32>, tensor<?xf32>) -> tensor<2x?xf32>
  // CHECK: heed.div
  %16 = heed.div %15, %y : (tensor<2x?xf32>, tensor<?xf32>) -> tensor<2x?xf32>
  // CHECK: heed.max
  %17 = heed.max %16, %y : (tensor<2x?xf32>, tensor<?xf32>) -> tensor<2x?xf32>
  // CHECK: heed.min
  %18 = heed.min %17, %y : (tensor<2x?xf32>, tensor<?xf32>) -> tensor<2x?xf32>
  // CHECK: heed.pow
  %19 = heed.pow %18, %y : (tensor<2x?xf32>, tensor<?xf32>) -> tensor<2x?xf32>
  // CHECK: heed.compare lt, {{.*}} -> tensor<2x?xi1>
  %20 = heed.compare lt, %19, %y : (tensor<2x?xf32>, tensor<?xf32>) -> tensor<2x?xi1>
  // CHECK: heed.not
  %21 = heed.not %20 : (tensor<2x?xi1>) -> tensor<2x?xi1>
  // CHECK: heed.and
  %22 = heed.and %21, %b : (tensor<2x?xi1>, tensor<2x1xi1>) -> tensor<2x?xi1>
  // CHECK: heed.or
  %23 = heed.or %22, %b : (tensor<2x?xi1>, tensor<2x1xi1>) -> tensor<2x?xi1>
  // CHECK: heed.where
  %24 = heed.where %23, %19, %y : (tensor<2x?xi1>, tensor<2x?xf32>, tensor<?xf32>) -> tensor<2x?xf32>
  // CHECK: heed.cast %{{.*}} {to = i32} : (tensor<2x?xf32>) -> tensor<2x?xi32>
  %25 = heed.cast %24 {to = i32} : (tensor<2x?xf32>) -> tensor<2x?xi32>
  // CHECK: heed.cast %{{.*}} {to = f32} : (tensor<2x?xi32>) -> tensor<2x?xf32>
  %26 = heed.cast %25 {to = f32} : (tensor<2x?xi32>) -> tensor<2x?xf32>
  return %26 : tensor<2x?xf32>
}

// CHECK-LABEL: func.func @normalization
func.func @normalization(%x: tensor<?x?x512xf32>, %g: tensor<512xf32>, %b: tensor<512xf32>) -> (tensor<?x?x512xf32>, tensor<?x?x512xf32>, tensor<?x?x512xf32>, tensor<?x?x512xf32>) {
  // CHECK: heed.softmax %{{.*}} {axis = 1 : i64}
  %0 = heed.softmax %x {axis = 1} : (tensor<?x?x512xf32>) -> tensor<?x?x512xf32>
  // CHECK: heed.log_softmax %{{.*}} :
  %1 = heed.log_softmax %x : (tensor<?x?x512xf32>) -> tensor<?x?x512xf32>
  // CHECK: heed.layer_norm %{{.*}} scale %{{.*}} bias %{{.*}} {epsilon = 9.99999997E-7 : f32}
  %2 = heed.layer_norm %x scale %g bias %b {epsilon = 1.0e-6 : f32} : (tensor<?x?x512xf32>, tensor<512xf32>, tensor<512xf32>) -> tensor<?x?x512xf32>
  // CHECK: heed.layer_norm %{{.*}} {axis = 2 : i64} : (tensor<?x?x512xf32>) -> tensor<?x?x512xf32>
  %3 = heed.layer_norm %x {axis = 2} : (tensor<?x?x512xf32>) -> tensor<?x?x512xf32>
  return %0, %1, %2, %3 : tensor<?x?x512xf32>, tensor<?x?x512xf32>, tensor<?x?x512xf32>, tensor<?x?x512xf32>
}

// CHECK-LABEL: func.func @linear_algebra
func.func @linear_algebra(%q: tensor<?x8x?x64xf32>, %k: tensor<?x8x?x64xf32>, %x: tensor<?x?x256xf32>, %w: tensor<512x256xf32>, %b: tensor<512xf32>) -> (tensor<?x8x?x?xf32>, tensor<?x?x512xf32>) {
  // CHECK: heed.matmul %{{.*}}, %{{.*}} {transpose_b = true} : (tensor<?x8x?x64xf32>, tensor<?x8x?x64xf32>) -> tensor<?x8x?x?xf32>
  %s = heed.matmul %q, %k {transpose_b = true} : (tensor<?x8x?x64xf32>, tensor<?x8x?x64xf32>) -> tensor<?x8x?x?xf32>
  // CHECK: heed.linear
  %y = heed.linear %x, %w, %b : (tensor<?x?x256xf32>, tensor<512x256xf32>, tensor<512xf32>) -> tensor<?x?x512xf32>
  return %s, %y : tensor<?x8x?x?xf32>, tensor<?x?x512xf32>
}

// CHECK-LABEL: func.func @data_movement
func.func @data_movement(%x: tensor<?x?x512xf32>, %ids: tensor<?x?xi64>, %table: tensor<1000x512xf32>) -> (tensor<?x8x?x64xf32>, tensor<?x?x1024xf32>, tensor<?x3x512xf32>, tensor<?x?x512xf32>, tensor<?x?x512xf32>, tensor<?x?x512xf32>) {
  // CHECK: heed.reshape %{{.*}} {shape = array<i64: 0, 0, 8, 64>}
  %r = heed.reshape %x {shape = array<i64: 0, 0, 8, 64>} : (tensor<?x?x512xf32>) -> tensor<?x?x8x64xf32>
  // CHECK: heed.transpose %{{.*}} {permutation = array<i64: 0, 2, 1, 3>}
  %t = heed.transpose %r {permutation = array<i64: 0, 2, 1, 3>} : (tensor<?x?x8x64xf32>) -> tensor<?x8x?x64xf32>
  // CHECK: heed.concat %{{.*}}, %{{.*}} {axis = 2 : i64}
  %c = heed.concat %x, %x {axis = 2} : (tensor<?x?x512xf32>, tensor<?x?x512xf32>) -> tensor<?x?x1024xf32>
  // CHECK: heed.slice %{{.*}} {axis = 1 : i64, end = 3 : i64, start = 0 : i64}
  %s = heed.slice %x {axis = 1, start = 0, end = 3} : (tensor<?x?x512xf32>) -> tensor<?x3x512xf32>
  // CHECK: heed.broadcast
  %bc = heed.broadcast %table, %x : (tensor<1000x512xf32>, tensor<?x?x512xf32>) -> tensor<?x1000x512xf32>
  // CHECK: heed.gather %{{.*}}, %{{.*}} :
  %g = heed.gather %table, %ids : (tensor<1000x512xf32>, tensor<?x?xi64>) -> tensor<?x?x512xf32>
  // CHECK: heed.embedding
  %e = heed.embedding %table, %ids : (tensor<1000x512xf32>, tensor<?x?xi64>) -> tensor<?x?x512xf32>
  return %t, %c, %s, %g, %e, %g : tensor<?x8x?x64xf32>, tensor<?x?x1024xf32>, tensor<?x3x512xf32>, tensor<?x?x512xf32>, tensor<?x?x512xf32>, tensor<?x?x512xf32>
}

// Shapes read from tensors when the function runs; a constant dim is static in the result type.
// CHECK-LABEL: func.func @runtime_shapes
func.func @runtime_shapes(%x: tensor<?x6xf32>, %shape: tensor<2xi64>, %k: tensor<i32>) -> (tensor<?x3xf32>, tensor<?x6xf32>) {
  // CHECK: heed.extract %{{.*}}[1] : tensor<2xi64>
  %d = heed.extract %shape[1] : tensor<2xi64>
  // CHECK: heed.extract %{{.*}}[0] : tensor<i32>
  %s = heed.extract %k[0] : tensor<i32>
  %c3 = arith.constant 3 : index
  %c0 = arith.constant 0 : index
  %cm1 = arith.constant -1 : index
  // CHECK: heed.reshape_dynamic %{{.*}}, %{{.*}}, %{{.*}} : (tensor<?x6xf32>, index, index) -> tensor<?x3xf32>
  %r = heed.reshape_dynamic %x, %d, %c3 : (tensor<?x6xf32>, index, index) -> tensor<?x3xf32>
  // CHECK: heed.slice_dynamic %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {axis = 0 : i64}
  %l = heed.slice_dynamic %x, %s, %c0, %cm1 {axis = 0} : (tensor<?x6xf32>, index, index, index) -> tensor<?x6xf32>
  return %r, %l : tensor<?x3xf32>, tensor<?x6xf32>
}

// CHECK-LABEL: func.func @masks_and_positions
func.func @masks_and_positions(%len: tensor<?xi32>, %n: index, %m: index) -> (tensor<?x?xi1>, tensor<?x?xi1>, tensor<?x512xf32>) {
  // CHECK: heed.sequence_mask
  %0 = heed.sequence_mask %len, %n : (tensor<?xi32>, index) -> tensor<?x?xi1>
  // CHECK: heed.causal_mask %{{.*}}, %{{.*}} {align = #heed<causal_align bottom_right>}
  %1 = heed.causal_mask %n, %m {align = #heed<causal_align bottom_right>} : (index, index) -> tensor<?x?xi1>
  // CHECK: heed.sinusoidal_positions %{{.*}}, %{{.*}} {dim = 512 : i64}
  %2 = heed.sinusoidal_positions %m, %n {dim = 512} : (index, index) -> tensor<?x512xf32>
  return %0, %1, %2 : tensor<?x?xi1>, tensor<?x?xi1>, tensor<?x512xf32>
}

// CHECK-LABEL: func.func @reductions
func.func @reductions(%x: tensor<?x?x1000xf32>) -> (tensor<?x?x1xf32>, tensor<?x?xi64>, tensor<?x?x4xf32>, tensor<?x?x4xi64>) {
  // CHECK: heed.reduce mean, %{{.*}} {axes = array<i64: -1>, keep_dims = true}
  %0 = heed.reduce mean, %x {axes = array<i64: -1>, keep_dims = true} : (tensor<?x?x1000xf32>) -> tensor<?x?x1xf32>
  // CHECK: heed.argmax
  %1 = heed.argmax %x : (tensor<?x?x1000xf32>) -> tensor<?x?xi64>
  // CHECK: heed.top_k %{{.*}} {k = 4 : i64}
  %2:2 = heed.top_k %x {k = 4} : (tensor<?x?x1000xf32>) -> (tensor<?x?x4xf32>, tensor<?x?x4xi64>)
  return %0, %1, %2#0, %2#1 : tensor<?x?x1xf32>, tensor<?x?xi64>, tensor<?x?x4xf32>, tensor<?x?x4xi64>
}

// CHECK-LABEL: func.func @cells
func.func @cells(%x: tensor<?x32xf32>, %h: tensor<?x64xf32>, %c: tensor<?x64xf32>,
                 %wr: tensor<64x32xf32>, %ur: tensor<64x64xf32>, %br: tensor<64xf32>,
                 %wg: tensor<192x32xf32>, %ug: tensor<192x64xf32>, %bg: tensor<192xf32>,
                 %wl: tensor<256x32xf32>, %ul: tensor<256x64xf32>, %bl: tensor<256xf32>) -> (tensor<?x64xf32>, tensor<?x64xf32>, tensor<?x64xf32>, tensor<?x64xf32>) {
  // CHECK: heed.rnn_cell {{.*}} {activation = #heed<rnn_activation relu>}
  %0 = heed.rnn_cell %x, %h, %wr, %ur, %br, %br {activation = #heed<rnn_activation relu>} : (tensor<?x32xf32>, tensor<?x64xf32>, tensor<64x32xf32>, tensor<64x64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<?x64xf32>
  // CHECK: heed.gru_cell {{.*}} {linear_before_reset = false}
  %1 = heed.gru_cell %x, %h, %wg, %ug {linear_before_reset = false} : (tensor<?x32xf32>, tensor<?x64xf32>, tensor<192x32xf32>, tensor<192x64xf32>) -> tensor<?x64xf32>
  // CHECK: heed.lstm_cell
  %2:2 = heed.lstm_cell %x, %h, %c, %wl, %ul, %bl, %bl : (tensor<?x32xf32>, tensor<?x64xf32>, tensor<?x64xf32>, tensor<256x32xf32>, tensor<256x64xf32>, tensor<256xf32>, tensor<256xf32>) -> (tensor<?x64xf32>, tensor<?x64xf32>)
  return %0, %1, %2#0, %2#1 : tensor<?x64xf32>, tensor<?x64xf32>, tensor<?x64xf32>, tensor<?x64xf32>
}

// CHECK-LABEL: func.func @sequences
func.func @sequences(%x: tensor<?x?x32xf32>, %h0: tensor<2x?x64xf32>, %len: tensor<?xi64>,
                     %w0: tensor<256x32xf32>, %u: tensor<256x64xf32>, %b: tensor<256xf32>,
                     %g0: tensor<192x32xf32>, %gu: tensor<192x64xf32>, %gb: tensor<192xf32>,
                     %r0: tensor<64x32xf32>, %r1: tensor<64x64xf32>, %ru: tensor<64x64xf32>) -> (tensor<?x?x128xf32>, tensor<?x?x64xf32>, tensor<?x?x64xf32>) {
  // CHECK: heed.lstm %{{.*}} init(%{{.*}}, %{{.*}}) lengths %{{.*}} weights(
  // CHECK-SAME: bidirectional = true
  %y:3 = heed.lstm %x init(%h0, %h0) lengths %len weights(%w0, %u, %b, %b, %w0, %u, %b, %b) {hidden_size = 64, bidirectional = true} : (tensor<?x?x32xf32>, tensor<2x?x64xf32>, tensor<2x?x64xf32>, tensor<?xi64>, tensor<256x32xf32>, tensor<256x64xf32>, tensor<256xf32>, tensor<256xf32>, tensor<256x32xf32>, tensor<256x64xf32>, tensor<256xf32>, tensor<256xf32>) -> (tensor<?x?x128xf32>, tensor<2x?x64xf32>, tensor<2x?x64xf32>)
  // CHECK: heed.gru %{{.*}} weights(
  %g:2 = heed.gru %x weights(%g0, %gu, %gb, %gb) {hidden_size = 64, batch_first = true} : (tensor<?x?x32xf32>, tensor<192x32xf32>, tensor<192x64xf32>, tensor<192xf32>, tensor<192xf32>) -> (tensor<?x?x64xf32>, tensor<1x?x64xf32>)
  // CHECK: heed.rnn %{{.*}} init(%{{.*}}) weights(
  %r:2 = heed.rnn %x init(%h0) weights(%r0, %ru, %r1, %ru) {hidden_size = 64, num_layers = 2, has_biases = false} : (tensor<?x?x32xf32>, tensor<2x?x64xf32>, tensor<64x32xf32>, tensor<64x64xf32>, tensor<64x64xf32>, tensor<64x64xf32>) -> (tensor<?x?x64xf32>, tensor<2x?x64xf32>)
  return %y#0, %g#0, %r#0 : tensor<?x?x128xf32>, tensor<?x?x64xf32>, tensor<?x?x64xf32>
}

// CHECK-LABEL: func.func @attention
func.func @attention(%q: tensor<?x8x?x64xf32>, %k: tensor<?x8x?x64xf32>, %v: tensor<?x8x?x64xf32>,
                     %pad: tensor<?x1x1x?xi1>, %len: tensor<?xi64>, %add: tensor<?x?xf32>,
                     %xq: tensor<?x?x512xf32>, %xkv: tensor<?x?x128xf32>) -> (tensor<?x8x?x64xf32>, tensor<?x8x?x?xf32>, tensor<?x8x?x64xf32>, tensor<?x8x?x64xf32>, tensor<?x?x512xf32>) {
  // CHECK: heed.attention %{{.*}} {causal_align = #heed<causal_align bottom_right>, mask_kind = #heed<mask boolean|causal>, masked_rows = #heed<masked_rows nan>, return_weights, scale = 1.250000e-01 : f32}
  %o:2 = heed.attention %q, %k, %v, %pad {scale = 0.125 : f32, mask_kind = #heed<mask boolean|causal>, causal_align = #heed<causal_align bottom_right>, masked_rows = #heed<masked_rows nan>, return_weights} : (tensor<?x8x?x64xf32>, tensor<?x8x?x64xf32>, tensor<?x8x?x64xf32>, tensor<?x1x1x?xi1>) -> (tensor<?x8x?x64xf32>, tensor<?x8x?x?xf32>)
  // CHECK: heed.attention {{.*}}mask_kind = #heed<mask lengths>
  %l = heed.attention %q, %k, %v, %len {scale = 0.125 : f32, mask_kind = #heed<mask lengths>} : (tensor<?x8x?x64xf32>, tensor<?x8x?x64xf32>, tensor<?x8x?x64xf32>, tensor<?xi64>) -> tensor<?x8x?x64xf32>
  // CHECK: heed.attention {{.*}}mask_kind = #heed<mask additive>
  %a = heed.attention %q, %k, %v, %add {scale = 0.125 : f32, mask_kind = #heed<mask additive>} : (tensor<?x8x?x64xf32>, tensor<?x8x?x64xf32>, tensor<?x8x?x64xf32>, tensor<?x?xf32>) -> tensor<?x8x?x64xf32>
  // Packed heads with grouped-query key/value heads.
  // CHECK: heed.attention {{.*}}num_heads = 8 : i64, num_kv_heads = 2 : i64
  %p = heed.attention %xq, %xkv, %xkv {scale = 0.125 : f32, num_heads = 8, num_kv_heads = 2, mask_kind = #heed<mask causal>} : (tensor<?x?x512xf32>, tensor<?x?x128xf32>, tensor<?x?x128xf32>) -> tensor<?x?x512xf32>
  return %o#0, %o#1, %l, %a, %p : tensor<?x8x?x64xf32>, tensor<?x8x?x?xf32>, tensor<?x8x?x64xf32>, tensor<?x8x?x64xf32>, tensor<?x?x512xf32>
}

// Leading dims broadcast both ways: the query's batch of 1 against the
// keys' 3, and the keys' single head against the query's 4.
// CHECK-LABEL: func.func @attention_broadcast
// CHECK: heed.attention {{.*}} -> tensor<3x4x5x8xf32>
func.func @attention_broadcast(%q: tensor<1x4x5x8xf32>, %k: tensor<3x1x6x8xf32>) -> tensor<3x4x5x8xf32> {
  %o = heed.attention %q, %k, %k {scale = 1.0 : f32} : (tensor<1x4x5x8xf32>, tensor<3x1x6x8xf32>, tensor<3x1x6x8xf32>) -> tensor<3x4x5x8xf32>
  return %o : tensor<3x4x5x8xf32>
}

// CHECK-LABEL: func.func @additive_attention
func.func @additive_attention(%s: tensor<?x128xf32>, %keys: tensor<?x?x96xf32>, %h: tensor<?x?x256xf32>,
                              %wq: tensor<96x128xf32>, %v: tensor<96xf32>, %len: tensor<?xi32>) -> (tensor<?x256xf32>, tensor<?x?xf32>) {
  // CHECK: heed.additive_attention {{.*}} {mask_kind = #heed<mask lengths>, return_weights}
  %c:2 = heed.additive_attention %s, %keys, %h, %wq, %v, %len {mask_kind = #heed<mask lengths>, return_weights} : (tensor<?x128xf32>, tensor<?x?x96xf32>, tensor<?x?x256xf32>, tensor<96x128xf32>, tensor<96xf32>, tensor<?xi32>) -> (tensor<?x256xf32>, tensor<?x?xf32>)
  return %c#0, %c#1 : tensor<?x256xf32>, tensor<?x?xf32>
}

// CHECK-LABEL: func.func @scan
func.func @scan(%xs: tensor<?x?x32xf32>, %h0: tensor<?x64xf32>, %w: tensor<64x32xf32>, %u: tensor<64x64xf32>) -> (tensor<?x64xf32>, tensor<?x?x64xf32>) {
  // CHECK: heed.scan init(%{{.*}} : tensor<?x64xf32>) over(%{{.*}} : tensor<?x?x32xf32>) attributes {reverse = true} -> (tensor<?x64xf32>, tensor<?x?x64xf32>)
  // CHECK: ^bb0(%[[H:.*]]: tensor<?x64xf32>, %[[X:.*]]: tensor<?x32xf32>):
  // CHECK: heed.yield %{{.*}}, %{{.*}} : tensor<?x64xf32>, tensor<?x64xf32>
  %r:2 = heed.scan init(%h0 : tensor<?x64xf32>) over(%xs : tensor<?x?x32xf32>) attributes {reverse = true} -> (tensor<?x64xf32>, tensor<?x?x64xf32>) {
  ^bb0(%h: tensor<?x64xf32>, %x: tensor<?x32xf32>):
    %n = heed.rnn_cell %x, %h, %w, %u : (tensor<?x32xf32>, tensor<?x64xf32>, tensor<64x32xf32>, tensor<64x64xf32>) -> tensor<?x64xf32>
    heed.yield %n, %n : tensor<?x64xf32>, tensor<?x64xf32>
  }
  return %r#0, %r#1 : tensor<?x64xf32>, tensor<?x?x64xf32>
}

// CHECK-LABEL: func.func @scan_steps
func.func @scan_steps(%n: index, %m0: tensor<?x0x8xf32>) -> tensor<?x?x8xf32> {
  %m = heed.reshape %m0 {shape = array<i64: 0, 0, 8>} : (tensor<?x0x8xf32>) -> tensor<?x?x8xf32>
  // A memory that grows by one state per step (LSTMN).
  // CHECK: heed.scan init(%{{.*}} : tensor<?x?x8xf32>) over() steps %{{.*}} -> (tensor<?x?x8xf32>)
  %r = heed.scan init(%m : tensor<?x?x8xf32>) over() steps %n -> (tensor<?x?x8xf32>) {
  ^bb0(%mem: tensor<?x?x8xf32>):
    %last = heed.slice %mem {axis = 1, start = -1} : (tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
    %grown = heed.concat %mem, %last {axis = 1} : (tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
    heed.yield %grown : tensor<?x?x8xf32>
  }
  return %r : tensor<?x?x8xf32>
}

// CHECK-LABEL: func.func @narrow_and_unsigned
func.func @narrow_and_unsigned(%h: tensor<4xf16>, %b: tensor<4xbf16>, %u: tensor<4xui8>, %v: tensor<4xui64>) -> (tensor<4xf16>, tensor<4xbf16>, tensor<4xui8>, tensor<4xi1>, tensor<4xui32>) {
  // CHECK: heed.add %{{.*}}, %{{.*}} : (tensor<4xf16>, tensor<4xf16>) -> tensor<4xf16>
  %0 = heed.add %h, %h : (tensor<4xf16>, tensor<4xf16>) -> tensor<4xf16>
  // CHECK: heed.cast %{{.*}} {to = bf16}
  %1 = heed.cast %0 {to = bf16} : (tensor<4xf16>) -> tensor<4xbf16>
  // CHECK: heed.mul %{{.*}}, %{{.*}} : (tensor<4xui8>, tensor<4xui8>) -> tensor<4xui8>
  %2 = heed.mul %u, %u : (tensor<4xui8>, tensor<4xui8>) -> tensor<4xui8>
  // CHECK: heed.compare gt, %{{.*}}, %{{.*}} : (tensor<4xui64>, tensor<4xui64>) -> tensor<4xi1>
  %3 = heed.compare gt, %v, %v : (tensor<4xui64>, tensor<4xui64>) -> tensor<4xi1>
  // CHECK: heed.constant dense<[1, 2, 3, 4294967295]> : tensor<4xui32>
  %4 = heed.constant dense<[1, 2, 3, 4294967295]> : tensor<4xui32>
  return %0, %1, %2, %3, %4 : tensor<4xf16>, tensor<4xbf16>, tensor<4xui8>, tensor<4xi1>, tensor<4xui32>
}

// CHECK-LABEL: func.func @sequence_extras
func.func @sequence_extras(%x: tensor<?x?x32xf32>, %w: tensor<256x32xf32>, %u: tensor<256x64xf32>, %b: tensor<256xf32>, %p: tensor<192xf32>) -> (tensor<?x?x64xf32>, tensor<1x?x64xf32>, tensor<1x?x64xf32>) {
  // CHECK: heed.lstm %{{.*}} weights({{.*}}) {clip = 5.000000e-01 : f64, hidden_size = 64 : i64, input_forget = true, peepholes = true, reverse = true}
  %y:3 = heed.lstm %x weights(%w, %u, %b, %b, %p) {hidden_size = 64, reverse = true, clip = 0.5 : f64, peepholes = true, input_forget = true} : (tensor<?x?x32xf32>, tensor<256x32xf32>, tensor<256x64xf32>, tensor<256xf32>, tensor<256xf32>, tensor<192xf32>) -> (tensor<?x?x64xf32>, tensor<1x?x64xf32>, tensor<1x?x64xf32>)
  return %y#0, %y#1, %y#2 : tensor<?x?x64xf32>, tensor<1x?x64xf32>, tensor<1x?x64xf32>
}
