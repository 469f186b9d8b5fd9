// heed.scan: a reversed RNN over a sequence (carried state + stacked per-step outputs), and a
// memory that grows by one state per step (steps from an index operand).
// RUN: heed-compile %s --target=all -o %t.heedm
// RUN: rm -rf %t.d && mkdir -p %t.d && %python %S/gen_refs.py scan %t.d
// RUN: heed-run %t.heedm --function=rnn --input=@%t.d/xs_3.npy --input=@%t.d/h0_3.npy \
// RUN:   --input=@%t.d/w_3.npy --input=@%t.d/u_3.npy --expected-output=@%t.d/hT_3.npy \
// RUN:   --expected-output=@%t.d/hs_3.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=rnn --input=@%t.d/xs_3.npy --input=@%t.d/h0_3.npy \
// RUN:   --input=@%t.d/w_3.npy --input=@%t.d/u_3.npy --expected-output=@%t.d/hT_3.npy \
// RUN:   --expected-output=@%t.d/hs_3.npy %}
// RUN: heed-run %t.heedm --function=rnn --input=@%t.d/xs_8.npy --input=@%t.d/h0_8.npy \
// RUN:   --input=@%t.d/w_8.npy --input=@%t.d/u_8.npy --expected-output=@%t.d/hT_8.npy \
// RUN:   --expected-output=@%t.d/hs_8.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=rnn --input=@%t.d/xs_8.npy --input=@%t.d/h0_8.npy \
// RUN:   --input=@%t.d/w_8.npy --input=@%t.d/u_8.npy --expected-output=@%t.d/hT_8.npy \
// RUN:   --expected-output=@%t.d/hs_8.npy %}
// RUN: heed-run %t.heedm --function=grow --input=index=3 --input=@%t.d/m0_3.npy \
// RUN:   --expected-output=@%t.d/grown_3.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=grow --input=index=3 --input=@%t.d/m0_3.npy \
// RUN:   --expected-output=@%t.d/grown_3.npy %}
// RUN: heed-run %t.heedm --function=grow --input=index=8 --input=@%t.d/m0_8.npy \
// RUN:   --expected-output=@%t.d/grown_8.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=grow --input=index=8 --input=@%t.d/m0_8.npy \
// RUN:   --expected-output=@%t.d/grown_8.npy %}

func.func @rnn(%xs: tensor<?x?x4xf32>, %h0: tensor<?x3xf32>, %w: tensor<3x4xf32>, %u: tensor<3x3xf32>) -> (tensor<?x3xf32>, tensor<?x?x3xf32>) {
  %r:2 = heed.scan init(%h0 : tensor<?x3xf32>) over(%xs : tensor<?x?x4xf32>) attributes {reverse = true} -> (tensor<?x3xf32>, tensor<?x?x3xf32>) {
  ^bb0(%h: tensor<?x3xf32>, %x: tensor<?x4xf32>):
    %n = heed.rnn_cell %x, %h, %w, %u : (tensor<?x4xf32>, tensor<?x3xf32>, tensor<3x4xf32>, tensor<3x3xf32>) -> tensor<?x3xf32>
    heed.yield %n, %n : tensor<?x3xf32>, tensor<?x3xf32>
  }
  return %r#0, %r#1 : tensor<?x3xf32>, tensor<?x?x3xf32>
}

func.func @grow(%n: index, %m0: tensor<?x1x2xf32>) -> tensor<?x?x2xf32> {
  %m = heed.reshape %m0 {shape = array<i64: 0, -1, 2>} : (tensor<?x1x2xf32>) -> tensor<?x?x2xf32>
  %r = heed.scan init(%m : tensor<?x?x2xf32>) over() steps %n -> (tensor<?x?x2xf32>) {
  ^bb0(%mem: tensor<?x?x2xf32>):
    %last = heed.slice %mem {axis = 1, start = -1} : (tensor<?x?x2xf32>) -> tensor<?x?x2xf32>
    %twice = heed.add %last, %last : (tensor<?x?x2xf32>, tensor<?x?x2xf32>) -> tensor<?x?x2xf32>
    %grown = heed.concat %mem, %twice {axis = 1} : (tensor<?x?x2xf32>, tensor<?x?x2xf32>) -> tensor<?x?x2xf32>
    heed.yield %grown : tensor<?x?x2xf32>
  }
  return %r : tensor<?x?x2xf32>
}
