// Batched matmul (transposes, broadcast batch dims) and linear (both weight layouts, and each
// activation a linear applies: after oneDNN's sgemm and with HEED_CPU_NO_DNNL's loops).
// RUN: heed-compile %s --target=all -o %t.heedm
// RUN: rm -rf %t.d && mkdir -p %t.d && %python %S/gen_refs.py matmul %t.d
// RUN: heed-run %t.heedm --function=scores --input=@%t.d/q_5.npy --input=@%t.d/k_5.npy \
// RUN:   --expected-output=@%t.d/scores_5.npy --expected-output=@%t.d/ta_5.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=scores --input=@%t.d/q_5.npy --input=@%t.d/k_5.npy \
// RUN:   --expected-output=@%t.d/scores_5.npy --expected-output=@%t.d/ta_5.npy %}
// RUN: heed-run %t.heedm --function=scores --input=@%t.d/q_9.npy --input=@%t.d/k_9.npy \
// RUN:   --expected-output=@%t.d/scores_9.npy --expected-output=@%t.d/ta_9.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=scores --input=@%t.d/q_9.npy --input=@%t.d/k_9.npy \
// RUN:   --expected-output=@%t.d/scores_9.npy --expected-output=@%t.d/ta_9.npy %}
// RUN: heed-run %t.heedm --function=shared --input=@%t.d/x_5.npy --input=@%t.d/m_5.npy \
// RUN:   --expected-output=@%t.d/shared_5.npy --expected-output=@%t.d/bcast_5.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=shared --input=@%t.d/x_5.npy --input=@%t.d/m_5.npy \
// RUN:   --expected-output=@%t.d/shared_5.npy --expected-output=@%t.d/bcast_5.npy %}
// RUN: heed-run %t.heedm --function=shared --input=@%t.d/x_9.npy --input=@%t.d/m_9.npy \
// RUN:   --expected-output=@%t.d/shared_9.npy --expected-output=@%t.d/bcast_9.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=shared --input=@%t.d/x_9.npy --input=@%t.d/m_9.npy \
// RUN:   --expected-output=@%t.d/shared_9.npy --expected-output=@%t.d/bcast_9.npy %}
// RUN: heed-run %t.heedm --function=linear --input=@%t.d/x_5.npy --input=@%t.d/w_5.npy \
// RUN:   --input=@%t.d/bias_5.npy --expected-output=@%t.d/lin_5.npy --expected-output=@%t.d/linT_5.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=linear --input=@%t.d/x_5.npy --input=@%t.d/w_5.npy \
// RUN:   --input=@%t.d/bias_5.npy --expected-output=@%t.d/lin_5.npy --expected-output=@%t.d/linT_5.npy %}
// RUN: heed-run %t.heedm --function=linear --input=@%t.d/x_9.npy --input=@%t.d/w_9.npy \
// RUN:   --input=@%t.d/bias_9.npy --expected-output=@%t.d/lin_9.npy --expected-output=@%t.d/linT_9.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=linear --input=@%t.d/x_9.npy --input=@%t.d/w_9.npy \
// RUN:   --input=@%t.d/bias_9.npy --expected-output=@%t.d/lin_9.npy --expected-output=@%t.d/linT_9.npy %}
// RUN: heed-run %t.heedm --function=activations --input=@%t.d/x_5.npy --input=@%t.d/w_5.npy \
// RUN:   --input=@%t.d/bias_5.npy --expected-output=@%t.d/act_relu_5.npy --expected-output=@%t.d/act_gelu_5.npy --expected-output=@%t.d/act_gelu_tanh_5.npy --expected-output=@%t.d/act_tanh_5.npy --expected-output=@%t.d/act_sigmoid_5.npy --expected-output=@%t.d/act_silu_5.npy
// RUN: env HEED_CPU_NO_DNNL=1 heed-run %t.heedm --function=activations --input=@%t.d/x_5.npy --input=@%t.d/w_5.npy \
// RUN:   --input=@%t.d/bias_5.npy --expected-output=@%t.d/act_relu_5.npy --expected-output=@%t.d/act_gelu_5.npy --expected-output=@%t.d/act_gelu_tanh_5.npy --expected-output=@%t.d/act_tanh_5.npy --expected-output=@%t.d/act_sigmoid_5.npy --expected-output=@%t.d/act_silu_5.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=activations --input=@%t.d/x_5.npy --input=@%t.d/w_5.npy \
// RUN:   --input=@%t.d/bias_5.npy --expected-output=@%t.d/act_relu_5.npy --expected-output=@%t.d/act_gelu_5.npy --expected-output=@%t.d/act_gelu_tanh_5.npy --expected-output=@%t.d/act_tanh_5.npy --expected-output=@%t.d/act_sigmoid_5.npy --expected-output=@%t.d/act_silu_5.npy %}
// RUN: heed-run %t.heedm --function=activations --input=@%t.d/x_9.npy --input=@%t.d/w_9.npy \
// RUN:   --input=@%t.d/bias_9.npy --expected-output=@%t.d/act_relu_9.npy --expected-output=@%t.d/act_gelu_9.npy --expected-output=@%t.d/act_gelu_tanh_9.npy --expected-output=@%t.d/act_tanh_9.npy --expected-output=@%t.d/act_sigmoid_9.npy --expected-output=@%t.d/act_silu_9.npy
// RUN: env HEED_CPU_NO_DNNL=1 heed-run %t.heedm --function=activations --input=@%t.d/x_9.npy --input=@%t.d/w_9.npy \
// RUN:   --input=@%t.d/bias_9.npy --expected-output=@%t.d/act_relu_9.npy --expected-output=@%t.d/act_gelu_9.npy --expected-output=@%t.d/act_gelu_tanh_9.npy --expected-output=@%t.d/act_tanh_9.npy --expected-output=@%t.d/act_sigmoid_9.npy --expected-output=@%t.d/act_silu_9.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=activations --input=@%t.d/x_9.npy --input=@%t.d/w_9.npy \
// RUN:   --input=@%t.d/bias_9.npy --expected-output=@%t.d/act_relu_9.npy --expected-output=@%t.d/act_gelu_9.npy --expected-output=@%t.d/act_gelu_tanh_9.npy --expected-output=@%t.d/act_tanh_9.npy --expected-output=@%t.d/act_sigmoid_9.npy --expected-output=@%t.d/act_silu_9.npy %}

func.func @scores(%q: tensor<?x2x?x8xf32>, %k: tensor<?x2x?x8xf32>) -> (tensor<?x2x?x?xf32>, tensor<?x2x8x8xf32>) {
  %s = heed.matmul %q, %k {transpose_b = true} : (tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x2x?x?xf32>
  %t = heed.matmul %q, %q {transpose_a = true} : (tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x2x8x8xf32>
  return %s, %t : tensor<?x2x?x?xf32>, tensor<?x2x8x8xf32>
}

// A shared 2-D rhs (one gemm over all rows) and a broadcast batch dim.
func.func @shared(%x: tensor<?x?x6xf32>, %m: tensor<6x3xf32>) -> (tensor<?x?x3xf32>, tensor<?x?x3xf32>) {
  %y = heed.matmul %x, %m : (tensor<?x?x6xf32>, tensor<6x3xf32>) -> tensor<?x?x3xf32>
  %m3 = heed.reshape %m {shape = array<i64: 1, 6, 3>} : (tensor<6x3xf32>) -> tensor<1x6x3xf32>
  %z = heed.matmul %x, %m3 : (tensor<?x?x6xf32>, tensor<1x6x3xf32>) -> tensor<?x?x3xf32>
  return %y, %z : tensor<?x?x3xf32>, tensor<?x?x3xf32>
}

func.func @linear(%x: tensor<?x?x6xf32>, %w: tensor<5x6xf32>, %b: tensor<5xf32>) -> (tensor<?x?x5xf32>, tensor<?x?x5xf32>) {
  %y = heed.linear %x, %w, %b : (tensor<?x?x6xf32>, tensor<5x6xf32>, tensor<5xf32>) -> tensor<?x?x5xf32>
  %wt = heed.transpose %w {permutation = array<i64: 1, 0>} : (tensor<5x6xf32>) -> tensor<6x5xf32>
  %z = heed.linear %x, %wt {transpose_weight = false} : (tensor<?x?x6xf32>, tensor<6x5xf32>) -> tensor<?x?x5xf32>
  return %y, %z : tensor<?x?x5xf32>, tensor<?x?x5xf32>
}

func.func @activations(%x: tensor<?x?x6xf32>, %w: tensor<5x6xf32>, %b: tensor<5xf32>) -> (tensor<?x?x5xf32>, tensor<?x?x5xf32>, tensor<?x?x5xf32>, tensor<?x?x5xf32>, tensor<?x?x5xf32>, tensor<?x?x5xf32>) {
  %r = heed.linear %x, %w, %b {activation = #heed<activation relu>} : (tensor<?x?x6xf32>, tensor<5x6xf32>, tensor<5xf32>) -> tensor<?x?x5xf32>
  %g = heed.linear %x, %w, %b {activation = #heed<activation gelu>} : (tensor<?x?x6xf32>, tensor<5x6xf32>, tensor<5xf32>) -> tensor<?x?x5xf32>
  %gt = heed.linear %x, %w, %b {activation = #heed<activation gelu_tanh>} : (tensor<?x?x6xf32>, tensor<5x6xf32>, tensor<5xf32>) -> tensor<?x?x5xf32>
  %t = heed.linear %x, %w, %b {activation = #heed<activation tanh>} : (tensor<?x?x6xf32>, tensor<5x6xf32>, tensor<5xf32>) -> tensor<?x?x5xf32>
  %s = heed.linear %x, %w, %b {activation = #heed<activation sigmoid>} : (tensor<?x?x6xf32>, tensor<5x6xf32>, tensor<5xf32>) -> tensor<?x?x5xf32>
  %si = heed.linear %x, %w, %b {activation = #heed<activation silu>} : (tensor<?x?x6xf32>, tensor<5x6xf32>, tensor<5xf32>) -> tensor<?x?x5xf32>
  return %r, %g, %gt, %t, %s, %si : tensor<?x?x5xf32>, tensor<?x?x5xf32>, tensor<?x?x5xf32>, tensor<?x?x5xf32>, tensor<?x?x5xf32>, tensor<?x?x5xf32>
}
