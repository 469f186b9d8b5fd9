// Whole-sequence recurrences against torch.nn.LSTM / GRU / RNN: bidirectional, two layers,
// batch_first, no biases, and key lengths (packed sequences), at two sequence lengths.
// RUN: heed-compile %s --target=all -o %t.heedm
// RUN: rm -rf %t.d && mkdir -p %t.d && %python %S/gen_refs.py sequences %t.d
// RUN: heed-run %t.heedm --function=lstm --input=@%t.d/x_4.npy --input=@%t.d/h0_4.npy \
// RUN:   --input=@%t.d/c0_4.npy --input=@%t.d/len_4.npy --input=@%t.d/lstm_w_4.npy \
// RUN:   --expected-output=@%t.d/lstm_y_4.npy --expected-output=@%t.d/lstm_h_4.npy \
// RUN:   --expected-output=@%t.d/lstm_c_4.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=lstm --input=@%t.d/x_4.npy --input=@%t.d/h0_4.npy \
// RUN:   --input=@%t.d/c0_4.npy --input=@%t.d/len_4.npy --input=@%t.d/lstm_w_4.npy \
// RUN:   --expected-output=@%t.d/lstm_y_4.npy --expected-output=@%t.d/lstm_h_4.npy \
// RUN:   --expected-output=@%t.d/lstm_c_4.npy %}
// RUN: heed-run %t.heedm --function=lstm --input=@%t.d/x_9.npy --input=@%t.d/h0_9.npy \
// RUN:   --input=@%t.d/c0_9.npy --input=@%t.d/len_9.npy --input=@%t.d/lstm_w_9.npy \
// RUN:   --expected-output=@%t.d/lstm_y_9.npy --expected-output=@%t.d/lstm_h_9.npy \
// RUN:   --expected-output=@%t.d/lstm_c_9.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=lstm --input=@%t.d/x_9.npy --input=@%t.d/h0_9.npy \
// RUN:   --input=@%t.d/c0_9.npy --input=@%t.d/len_9.npy --input=@%t.d/lstm_w_9.npy \
// RUN:   --expected-output=@%t.d/lstm_y_9.npy --expected-output=@%t.d/lstm_h_9.npy \
// RUN:   --expected-output=@%t.d/lstm_c_9.npy %}
// RUN: heed-run %t.heedm --function=gru --input=@%t.d/xb_4.npy --input=@%t.d/gru_w_4.npy \
// RUN:   --expected-output=@%t.d/gru_y_4.npy --expected-output=@%t.d/gru_h_4.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=gru --input=@%t.d/xb_4.npy --input=@%t.d/gru_w_4.npy \
// RUN:   --expected-output=@%t.d/gru_y_4.npy --expected-output=@%t.d/gru_h_4.npy %}
// RUN: heed-run %t.heedm --function=gru --input=@%t.d/xb_9.npy --input=@%t.d/gru_w_9.npy \
// RUN:   --expected-output=@%t.d/gru_y_9.npy --expected-output=@%t.d/gru_h_9.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=gru --input=@%t.d/xb_9.npy --input=@%t.d/gru_w_9.npy \
// RUN:   --expected-output=@%t.d/gru_y_9.npy --expected-output=@%t.d/gru_h_9.npy %}
// RUN: heed-run %t.heedm --function=rnn --input=@%t.d/x_4.npy --input=@%t.d/rnn_w_4.npy \
// RUN:   --expected-output=@%t.d/rnn_y_4.npy --expected-output=@%t.d/rnn_h_4.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=rnn --input=@%t.d/x_4.npy --input=@%t.d/rnn_w_4.npy \
// RUN:   --expected-output=@%t.d/rnn_y_4.npy --expected-output=@%t.d/rnn_h_4.npy %}
// RUN: heed-run %t.heedm --function=rnn --input=@%t.d/x_9.npy --input=@%t.d/rnn_w_9.npy \
// RUN:   --expected-output=@%t.d/rnn_y_9.npy --expected-output=@%t.d/rnn_h_9.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=rnn --input=@%t.d/x_9.npy --input=@%t.d/rnn_w_9.npy \
// RUN:   --expected-output=@%t.d/rnn_y_9.npy --expected-output=@%t.d/rnn_h_9.npy %}

// Weights arrive packed in one flat vector and are sliced out, which also exercises
// slice + reshape feeding a recurrent op.
// LSTM, 2 layers, bidirectional, I=5, H=3: per direction w_ih [12, I_l], w_hh [12, 3], b_ih, b_hh.
func.func @lstm(%x: tensor<?x3x5xf32>, %h0: tensor<4x3x3xf32>, %c0: tensor<4x3x3xf32>, %len: tensor<3xi64>, %flat: tensor<504xf32>) -> (tensor<?x3x6xf32>, tensor<4x3x3xf32>, tensor<4x3x3xf32>) {
  %a0 = heed.slice %flat {axis = 0, start = 0, end = 60} : (tensor<504xf32>) -> tensor<60xf32>
  %w0 = heed.reshape %a0 {shape = array<i64: 12, 5>} : (tensor<60xf32>) -> tensor<12x5xf32>
  %a1 = heed.slice %flat {axis = 0, start = 60, end = 96} : (tensor<504xf32>) -> tensor<36xf32>
  %u0 = heed.reshape %a1 {shape = array<i64: 12, 3>} : (tensor<36xf32>) -> tensor<12x3xf32>
  %b0 = heed.slice %flat {axis = 0, start = 96, end = 108} : (tensor<504xf32>) -> tensor<12xf32>
  %c0b = heed.slice %flat {axis = 0, start = 108, end = 120} : (tensor<504xf32>) -> tensor<12xf32>
  %a2 = heed.slice %flat {axis = 0, start = 120, end = 180} : (tensor<504xf32>) -> tensor<60xf32>
  %w0r = heed.reshape %a2 {shape = array<i64: 12, 5>} : (tensor<60xf32>) -> tensor<12x5xf32>
  %a3 = heed.slice %flat {axis = 0, start = 180, end = 216} : (tensor<504xf32>) -> tensor<36xf32>
  %u0r = heed.reshape %a3 {shape = array<i64: 12, 3>} : (tensor<36xf32>) -> tensor<12x3xf32>
  %b0r = heed.slice %flat {axis = 0, start = 216, end = 228} : (tensor<504xf32>) -> tensor<12xf32>
  %c0r = heed.slice %flat {axis = 0, start = 228, end = 240} : (tensor<504xf32>) -> tensor<12xf32>
  %a4 = heed.slice %flat {axis = 0, start = 240, end = 312} : (tensor<504xf32>) -> tensor<72xf32>
  %w1 = heed.reshape %a4 {shape = array<i64: 12, 6>} : (tensor<72xf32>) -> tensor<12x6xf32>
  %a5 = heed.slice %flat {axis = 0, start = 312, end = 348} : (tensor<504xf32>) -> tensor<36xf32>
  %u1 = heed.reshape %a5 {shape = array<i64: 12, 3>} : (tensor<36xf32>) -> tensor<12x3xf32>
  %b1 = heed.slice %flat {axis = 0, start = 348, end = 360} : (tensor<504xf32>) -> tensor<12xf32>
  %c1b = heed.slice %flat {axis = 0, start = 360, end = 372} : (tensor<504xf32>) -> tensor<12xf32>
  %a6 = heed.slice %flat {axis = 0, start = 372, end = 444} : (tensor<504xf32>) -> tensor<72xf32>
  %w1r = heed.reshape %a6 {shape = array<i64: 12, 6>} : (tensor<72xf32>) -> tensor<12x6xf32>
  %a7 = heed.slice %flat {axis = 0, start = 444, end = 480} : (tensor<504xf32>) -> tensor<36xf32>
  %u1r = heed.reshape %a7 {shape = array<i64: 12, 3>} : (tensor<36xf32>) -> tensor<12x3xf32>
  %b1r = heed.slice %flat {axis = 0, start = 480, end = 492} : (tensor<504xf32>) -> tensor<12xf32>
  %c1r = heed.slice %flat {axis = 0, start = 492, end = 504} : (tensor<504xf32>) -> tensor<12xf32>
  %y:3 = heed.lstm %x init(%h0, %c0) lengths %len weights(%w0, %u0, %b0, %c0b, %w0r, %u0r, %b0r, %c0r, %w1, %u1, %b1, %c1b, %w1r, %u1r, %b1r, %c1r) {hidden_size = 3, num_layers = 2, bidirectional = true} : (tensor<?x3x5xf32>, tensor<4x3x3xf32>, tensor<4x3x3xf32>, tensor<3xi64>, tensor<12x5xf32>, tensor<12x3xf32>, tensor<12xf32>, tensor<12xf32>, tensor<12x5xf32>, tensor<12x3xf32>, tensor<12xf32>, tensor<12xf32>, tensor<12x6xf32>, tensor<12x3xf32>, tensor<12xf32>, tensor<12xf32>, tensor<12x6xf32>, tensor<12x3xf32>, tensor<12xf32>, tensor<12xf32>) -> (tensor<?x3x6xf32>, tensor<4x3x3xf32>, tensor<4x3x3xf32>)
  return %y#0, %y#1, %y#2 : tensor<?x3x6xf32>, tensor<4x3x3xf32>, tensor<4x3x3xf32>
}

// GRU, batch_first, one layer, I=5, H=4 (PyTorch's reset form), zero initial state.
func.func @gru(%x: tensor<3x?x5xf32>, %flat: tensor<132xf32>) -> (tensor<3x?x4xf32>, tensor<1x3x4xf32>) {
  %a0 = heed.slice %flat {axis = 0, start = 0, end = 60} : (tensor<132xf32>) -> tensor<60xf32>
  %w = heed.reshape %a0 {shape = array<i64: 12, 5>} : (tensor<60xf32>) -> tensor<12x5xf32>
  %a1 = heed.slice %flat {axis = 0, start = 60, end = 108} : (tensor<132xf32>) -> tensor<48xf32>
  %u = heed.reshape %a1 {shape = array<i64: 12, 4>} : (tensor<48xf32>) -> tensor<12x4xf32>
  %b = heed.slice %flat {axis = 0, start = 108, end = 120} : (tensor<132xf32>) -> tensor<12xf32>
  %c = heed.slice %flat {axis = 0, start = 120, end = 132} : (tensor<132xf32>) -> tensor<12xf32>
  %y:2 = heed.gru %x weights(%w, %u, %b, %c) {hidden_size = 4, batch_first = true} : (tensor<3x?x5xf32>, tensor<12x5xf32>, tensor<12x4xf32>, tensor<12xf32>, tensor<12xf32>) -> (tensor<3x?x4xf32>, tensor<1x3x4xf32>)
  return %y#0, %y#1 : tensor<3x?x4xf32>, tensor<1x3x4xf32>
}

// Elman RNN, relu, 2 layers, no biases, I=5, H=4.
func.func @rnn(%x: tensor<?x3x5xf32>, %flat: tensor<68xf32>) -> (tensor<?x3x4xf32>, tensor<2x3x4xf32>) {
  %a0 = heed.slice %flat {axis = 0, start = 0, end = 20} : (tensor<68xf32>) -> tensor<20xf32>
  %w0 = heed.reshape %a0 {shape = array<i64: 4, 5>} : (tensor<20xf32>) -> tensor<4x5xf32>
  %a1 = heed.slice %flat {axis = 0, start = 20, end = 36} : (tensor<68xf32>) -> tensor<16xf32>
  %u0 = heed.reshape %a1 {shape = array<i64: 4, 4>} : (tensor<16xf32>) -> tensor<4x4xf32>
  %a2 = heed.slice %flat {axis = 0, start = 36, end = 52} : (tensor<68xf32>) -> tensor<16xf32>
  %w1 = heed.reshape %a2 {shape = array<i64: 4, 4>} : (tensor<16xf32>) -> tensor<4x4xf32>
  %a3 = heed.slice %flat {axis = 0, start = 52, end = 68} : (tensor<68xf32>) -> tensor<16xf32>
  %u1 = heed.reshape %a3 {shape = array<i64: 4, 4>} : (tensor<16xf32>) -> tensor<4x4xf32>
  %y:2 = heed.rnn %x weights(%w0, %u0, %w1, %u1) {hidden_size = 4, num_layers = 2, has_biases = false, activation = #heed<rnn_activation relu>} : (tensor<?x3x5xf32>, tensor<4x5xf32>, tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>) -> (tensor<?x3x4xf32>, tensor<2x3x4xf32>)
  return %y#0, %y#1 : tensor<?x3x4xf32>, tensor<2x3x4xf32>
}
