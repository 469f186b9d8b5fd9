// One decoder step of a Bahdanau (additive) attention model, spelled out in
// heed ops: score = v^T tanh(W_s s + K'), alpha = softmax(score), c = alpha H.
// K' = W_h H + b is the per-source key projection, an input here because
// `encode` computes it once per source sentence.
// Shown by examples/run-main.sh until the CPU backend runs whole models.
func.func @attend(%s: tensor<?x128xf32>, %keys: tensor<?x?x96xf32>, %h: tensor<?x?x256xf32>,
                  %len: tensor<?xi64>) -> (tensor<?x256xf32>, tensor<?x?xf32>) {
  %ws = heed.weight "attn.w_s" : tensor<96x128xf32>
  %v = heed.weight "attn.v" : tensor<96xf32>
  %ctx:2 = heed.additive_attention %s, %keys, %h, %ws, %v, %len
      {mask_kind = #heed<mask lengths>, return_weights}
      : (tensor<?x128xf32>, tensor<?x?x96xf32>, tensor<?x?x256xf32>, tensor<96x128xf32>,
         tensor<96xf32>, tensor<?xi64>) -> (tensor<?x256xf32>, tensor<?x?xf32>)
  return %ctx#0, %ctx#1 : tensor<?x256xf32>, tensor<?x?xf32>
}

// The same step with Luong dot scoring, spelled the way exporters do it:
// a no-op scale by 1.0 and dynamic dims the shapes fix. The pipeline removes
// the no-op and refines the types.
func.func @luong_dot(%s: tensor<?x256xf32>, %h: tensor<?x?x256xf32>) -> tensor<?x?xf32> {
  %q = heed.reshape %s {shape = array<i64: 0, 1, -1>} : (tensor<?x256xf32>) -> tensor<?x?x?xf32>
  %scores = heed.matmul %q, %h {transpose_b = true} : (tensor<?x?x?xf32>, tensor<?x?x256xf32>) -> tensor<?x?x?xf32>
  %one = heed.constant dense<1.0> : tensor<f32>
  %scaled = heed.mul %scores, %one : (tensor<?x?x?xf32>, tensor<f32>) -> tensor<?x?x?xf32>
  %alpha = heed.softmax %scaled {axis = -1} : (tensor<?x?x?xf32>) -> tensor<?x?x?xf32>
  %ctx = heed.matmul %alpha, %h : (tensor<?x?x?xf32>, tensor<?x?x256xf32>) -> tensor<?x?x256xf32>
  %out = heed.reshape %ctx {shape = array<i64: 0, -1>} : (tensor<?x?x256xf32>) -> tensor<?x?xf32>
  return %out : tensor<?x?xf32>
}
