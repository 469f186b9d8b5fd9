// softmax / log_softmax on either axis (large logits included) and layer_norm.
// RUN: heed-compile %s --target=all -o %t.heedm
// RUN: rm -rf %t.d && mkdir -p %t.d && %python %S/gen_refs.py normalization %t.d
// RUN: heed-run %t.heedm --function=softmaxes --input=@%t.d/x_4.npy \
// RUN:   --expected-output=@%t.d/sm_4.npy --expected-output=@%t.d/sm1_4.npy \
// RUN:   --expected-output=@%t.d/lsm_4.npy --expected-output=@%t.d/big_4.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=softmaxes --input=@%t.d/x_4.npy \
// RUN:   --expected-output=@%t.d/sm_4.npy --expected-output=@%t.d/sm1_4.npy \
// RUN:   --expected-output=@%t.d/lsm_4.npy --expected-output=@%t.d/big_4.npy %}
// RUN: heed-run %t.heedm --function=softmaxes --input=@%t.d/x_11.npy \
// RUN:   --expected-output=@%t.d/sm_11.npy --expected-output=@%t.d/sm1_11.npy \
// RUN:   --expected-output=@%t.d/lsm_11.npy --expected-output=@%t.d/big_11.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=softmaxes --input=@%t.d/x_11.npy \
// RUN:   --expected-output=@%t.d/sm_11.npy --expected-output=@%t.d/sm1_11.npy \
// RUN:   --expected-output=@%t.d/lsm_11.npy --expected-output=@%t.d/big_11.npy %}
// Heed's own loops (instead of oneDNN's primitives) give the same results:
// RUN: env HEED_CPU_NO_DNNL=1 heed-run %t.heedm --function=softmaxes --input=@%t.d/x_11.npy \
// RUN:   --expected-output=@%t.d/sm_11.npy --expected-output=@%t.d/sm1_11.npy \
// RUN:   --expected-output=@%t.d/lsm_11.npy --expected-output=@%t.d/big_11.npy
// RUN: env HEED_CPU_NO_DNNL=1 heed-run %t.heedm --function=norms --input=@%t.d/x_11.npy \
// RUN:   --input=@%t.d/g_11.npy --input=@%t.d/b_11.npy --expected-output=@%t.d/ln_11.npy \
// RUN:   --expected-output=@%t.d/ln0_11.npy --expected-output=@%t.d/ln2_11.npy
// RUN: heed-run %t.heedm --function=norms --input=@%t.d/x_4.npy --input=@%t.d/g_4.npy \
// RUN:   --input=@%t.d/b_4.npy --expected-output=@%t.d/ln_4.npy \
// RUN:   --expected-output=@%t.d/ln0_4.npy --expected-output=@%t.d/ln2_4.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=norms --input=@%t.d/x_4.npy --input=@%t.d/g_4.npy \
// RUN:   --input=@%t.d/b_4.npy --expected-output=@%t.d/ln_4.npy \
// RUN:   --expected-output=@%t.d/ln0_4.npy --expected-output=@%t.d/ln2_4.npy %}
// RUN: heed-run %t.heedm --function=norms --input=@%t.d/x_11.npy --input=@%t.d/g_11.npy \
// RUN:   --input=@%t.d/b_11.npy --expected-output=@%t.d/ln_11.npy \
// RUN:   --expected-output=@%t.d/ln0_11.npy --expected-output=@%t.d/ln2_11.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=norms --input=@%t.d/x_11.npy --input=@%t.d/g_11.npy \
// RUN:   --input=@%t.d/b_11.npy --expected-output=@%t.d/ln_11.npy \
// RUN:   --expected-output=@%t.d/ln0_11.npy --expected-output=@%t.d/ln2_11.npy %}

func.func @softmaxes(%x: tensor<2x?x16xf32>) -> (tensor<2x?x16xf32>, tensor<2x?x16xf32>, tensor<2x?x16xf32>, tensor<2x?x16xf32>) {
  %0 = heed.softmax %x : (tensor<2x?x16xf32>) -> tensor<2x?x16xf32>
  %1 = heed.softmax %x {axis = 1} : (tensor<2x?x16xf32>) -> tensor<2x?x16xf32>
  %2 = heed.log_softmax %x : (tensor<2x?x16xf32>) -> tensor<2x?x16xf32>
  %c = heed.constant dense<1000.0> : tensor<f32>
  %big = heed.mul %x, %c : (tensor<2x?x16xf32>, tensor<f32>) -> tensor<2x?x16xf32>
  %3 = heed.softmax %big : (tensor<2x?x16xf32>) -> tensor<2x?x16xf32>
  return %0, %1, %2, %3 : tensor<2x?x16xf32>, tensor<2x?x16xf32>, tensor<2x?x16xf32>, tensor<2x?x16xf32>
}

func.func @norms(%x: tensor<2x?x16xf32>, %g: tensor<16xf32>, %b: tensor<16xf32>) -> (tensor<2x?x16xf32>, tensor<2x?x16xf32>, tensor<2x?x16xf32>) {
  %0 = heed.layer_norm %x scale %g bias %b {epsilon = 1.0e-5 : f32} : (tensor<2x?x16xf32>, tensor<16xf32>, tensor<16xf32>) -> tensor<2x?x16xf32>
  %1 = heed.layer_norm %x : (tensor<2x?x16xf32>) -> tensor<2x?x16xf32>
  %2 = heed.layer_norm %x {axis = 1} : (tensor<2x?x16xf32>) -> tensor<2x?x16xf32>
  return %0, %1, %2 : tensor<2x?x16xf32>, tensor<2x?x16xf32>, tensor<2x?x16xf32>
}
