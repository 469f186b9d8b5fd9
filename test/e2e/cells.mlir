// rnn_cell (tanh, relu, no biases), gru_cell (both reset forms) and lstm_cell against torch.
// RUN: heed-compile %s --target=all -o %t.heedm
// RUN: rm -rf %t.d && mkdir -p %t.d && %python %S/gen_refs.py cells %t.d
// RUN: heed-run %t.heedm --function=rnn --input=@%t.d/x_2.npy --input=@%t.d/h_2.npy \
// RUN:   --input=@%t.d/rw_2.npy --input=@%t.d/ru_2.npy --input=@%t.d/rb1_2.npy --input=@%t.d/rb2_2.npy \
// RUN:   --expected-output=@%t.d/rnn_tanh_2.npy --expected-output=@%t.d/rnn_relu_2.npy \
// RUN:   --expected-output=@%t.d/rnn_nob_2.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=rnn --input=@%t.d/x_2.npy --input=@%t.d/h_2.npy \
// RUN:   --input=@%t.d/rw_2.npy --input=@%t.d/ru_2.npy --input=@%t.d/rb1_2.npy --input=@%t.d/rb2_2.npy \
// RUN:   --expected-output=@%t.d/rnn_tanh_2.npy --expected-output=@%t.d/rnn_relu_2.npy \
// RUN:   --expected-output=@%t.d/rnn_nob_2.npy %}
// RUN: heed-run %t.heedm --function=rnn --input=@%t.d/x_5.npy --input=@%t.d/h_5.npy \
// RUN:   --input=@%t.d/rw_5.npy --input=@%t.d/ru_5.npy --input=@%t.d/rb1_5.npy --input=@%t.d/rb2_5.npy \
// RUN:   --expected-output=@%t.d/rnn_tanh_5.npy --expected-output=@%t.d/rnn_relu_5.npy \
// RUN:   --expected-output=@%t.d/rnn_nob_5.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=rnn --input=@%t.d/x_5.npy --input=@%t.d/h_5.npy \
// RUN:   --input=@%t.d/rw_5.npy --input=@%t.d/ru_5.npy --input=@%t.d/rb1_5.npy --input=@%t.d/rb2_5.npy \
// RUN:   --expected-output=@%t.d/rnn_tanh_5.npy --expected-output=@%t.d/rnn_relu_5.npy \
// RUN:   --expected-output=@%t.d/rnn_nob_5.npy %}
// RUN: heed-run %t.heedm --function=gru --input=@%t.d/x_2.npy --input=@%t.d/h_2.npy \
// RUN:   --input=@%t.d/gw_2.npy --input=@%t.d/gu_2.npy --input=@%t.d/gb1_2.npy --input=@%t.d/gb2_2.npy \
// RUN:   --expected-output=@%t.d/gru_lbr_2.npy --expected-output=@%t.d/gru_onnx_2.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=gru --input=@%t.d/x_2.npy --input=@%t.d/h_2.npy \
// RUN:   --input=@%t.d/gw_2.npy --input=@%t.d/gu_2.npy --input=@%t.d/gb1_2.npy --input=@%t.d/gb2_2.npy \
// RUN:   --expected-output=@%t.d/gru_lbr_2.npy --expected-output=@%t.d/gru_onnx_2.npy %}
// RUN: heed-run %t.heedm --function=gru --input=@%t.d/x_5.npy --input=@%t.d/h_5.npy \
// RUN:   --input=@%t.d/gw_5.npy --input=@%t.d/gu_5.npy --input=@%t.d/gb1_5.npy --input=@%t.d/gb2_5.npy \
// RUN:   --expected-output=@%t.d/gru_lbr_5.npy --expected-output=@%t.d/gru_onnx_5.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=gru --input=@%t.d/x_5.npy --input=@%t.d/h_5.npy \
// RUN:   --input=@%t.d/gw_5.npy --input=@%t.d/gu_5.npy --input=@%t.d/gb1_5.npy --input=@%t.d/gb2_5.npy \
// RUN:   --expected-output=@%t.d/gru_lbr_5.npy --expected-output=@%t.d/gru_onnx_5.npy %}
// RUN: heed-run %t.heedm --function=lstm --input=@%t.d/x_2.npy --input=@%t.d/h_2.npy \
// RUN:   --input=@%t.d/c_2.npy --input=@%t.d/lw_2.npy --input=@%t.d/lu_2.npy --input=@%t.d/lb1_2.npy \
// RUN:   --input=@%t.d/lb2_2.npy --expected-output=@%t.d/lstm_h_2.npy --expected-output=@%t.d/lstm_c_2.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=lstm --input=@%t.d/x_2.npy --input=@%t.d/h_2.npy \
// RUN:   --input=@%t.d/c_2.npy --input=@%t.d/lw_2.npy --input=@%t.d/lu_2.npy --input=@%t.d/lb1_2.npy \
// RUN:   --input=@%t.d/lb2_2.npy --expected-output=@%t.d/lstm_h_2.npy --expected-output=@%t.d/lstm_c_2.npy %}
// RUN: heed-run %t.heedm --function=lstm --input=@%t.d/x_5.npy --input=@%t.d/h_5.npy \
// RUN:   --input=@%t.d/c_5.npy --input=@%t.d/lw_5.npy --input=@%t.d/lu_5.npy --input=@%t.d/lb1_5.npy \
// RUN:   --input=@%t.d/lb2_5.npy --expected-output=@%t.d/lstm_h_5.npy --expected-output=@%t.d/lstm_c_5.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=lstm --input=@%t.d/x_5.npy --input=@%t.d/h_5.npy \
// RUN:   --input=@%t.d/c_5.npy --input=@%t.d/lw_5.npy --input=@%t.d/lu_5.npy --input=@%t.d/lb1_5.npy \
// RUN:   --input=@%t.d/lb2_5.npy --expected-output=@%t.d/lstm_h_5.npy --expected-output=@%t.d/lstm_c_5.npy %}

func.func @rnn(%x: tensor<?x6xf32>, %h: tensor<?x4xf32>, %w: tensor<4x6xf32>, %u: tensor<4x4xf32>, %b1: tensor<4xf32>, %b2: tensor<4xf32>) -> (tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>) {
  %0 = heed.rnn_cell %x, %h, %w, %u, %b1, %b2 : (tensor<?x6xf32>, tensor<?x4xf32>, tensor<4x6xf32>, tensor<4x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  %1 = heed.rnn_cell %x, %h, %w, %u, %b1, %b2 {activation = #heed<rnn_activation relu>} : (tensor<?x6xf32>, tensor<?x4xf32>, tensor<4x6xf32>, tensor<4x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  %2 = heed.rnn_cell %x, %h, %w, %u : (tensor<?x6xf32>, tensor<?x4xf32>, tensor<4x6xf32>, tensor<4x4xf32>) -> tensor<?x4xf32>
  return %0, %1, %2 : tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>
}

func.func @gru(%x: tensor<?x6xf32>, %h: tensor<?x4xf32>, %w: tensor<12x6xf32>, %u: tensor<12x4xf32>, %b1: tensor<12xf32>, %b2: tensor<12xf32>) -> (tensor<?x4xf32>, tensor<?x4xf32>) {
  %0 = heed.gru_cell %x, %h, %w, %u, %b1, %b2 : (tensor<?x6xf32>, tensor<?x4xf32>, tensor<12x6xf32>, tensor<12x4xf32>, tensor<12xf32>, tensor<12xf32>) -> tensor<?x4xf32>
  %1 = heed.gru_cell %x, %h, %w, %u, %b1, %b2 {linear_before_reset = false} : (tensor<?x6xf32>, tensor<?x4xf32>, tensor<12x6xf32>, tensor<12x4xf32>, tensor<12xf32>, tensor<12xf32>) -> tensor<?x4xf32>
  return %0, %1 : tensor<?x4xf32>, tensor<?x4xf32>
}

func.func @lstm(%x: tensor<?x6xf32>, %h: tensor<?x4xf32>, %c: tensor<?x4xf32>, %w: tensor<16x6xf32>, %u: tensor<16x4xf32>, %b1: tensor<16xf32>, %b2: tensor<16xf32>) -> (tensor<?x4xf32>, tensor<?x4xf32>) {
  %0:2 = heed.lstm_cell %x, %h, %c, %w, %u, %b1, %b2 : (tensor<?x6xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<16x6xf32>, tensor<16x4xf32>, tensor<16xf32>, tensor<16xf32>) -> (tensor<?x4xf32>, tensor<?x4xf32>)
  return %0#0, %0#1 : tensor<?x4xf32>, tensor<?x4xf32>
}
