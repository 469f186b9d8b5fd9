// Weights bound by name from the file in the module attribute heed.weights (an .npz written
// here), copied into the module at compile time: one Bahdanau decoder step.
// RUN: rm -rf %t.d && mkdir -p %t.d && %python %S/gen_refs.py weights %t.d
// RUN: sed 's|WEIGHTS_FILE|%t.d/weights.npz|' %s > %t.d/model.mlir
// RUN: heed-compile %t.d/model.mlir --target=all -o %t.heedm
// RUN: heed-run %t.heedm --input=@%t.d/s_4.npy --input=@%t.d/keys_4.npy --input=@%t.d/h_4.npy \
// RUN:   --input=@%t.d/len_4.npy --expected-output=@%t.d/ctx_4.npy --expected-output=@%t.d/alpha_4.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --input=@%t.d/s_4.npy --input=@%t.d/keys_4.npy --input=@%t.d/h_4.npy \
// RUN:   --input=@%t.d/len_4.npy --expected-output=@%t.d/ctx_4.npy --expected-output=@%t.d/alpha_4.npy %}
// RUN: heed-run %t.heedm --input=@%t.d/s_9.npy --input=@%t.d/keys_9.npy --input=@%t.d/h_9.npy \
// RUN:   --input=@%t.d/len_9.npy --expected-output=@%t.d/ctx_9.npy --expected-output=@%t.d/alpha_9.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --input=@%t.d/s_9.npy --input=@%t.d/keys_9.npy --input=@%t.d/h_9.npy \
// RUN:   --input=@%t.d/len_9.npy --expected-output=@%t.d/ctx_9.npy --expected-output=@%t.d/alpha_9.npy %}
// A model file runs directly too (compiled in memory):
// RUN: heed-run %t.d/model.mlir --input=@%t.d/s_9.npy --input=@%t.d/keys_9.npy \
// RUN:   --input=@%t.d/h_9.npy --input=@%t.d/len_9.npy --expected-output=@%t.d/ctx_9.npy \
// RUN:   --expected-output=@%t.d/alpha_9.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.d/model.mlir --input=@%t.d/s_9.npy --input=@%t.d/keys_9.npy \
// RUN:   --input=@%t.d/h_9.npy --input=@%t.d/len_9.npy --expected-output=@%t.d/ctx_9.npy \
// RUN:   --expected-output=@%t.d/alpha_9.npy %}
// A relative heed.weights path resolves beside the model file, from any working directory:
// RUN: sed 's|WEIGHTS_FILE|weights.npz|' %s > %t.d/relative.mlir
// RUN: cd %t.d && heed-compile relative.mlir -o %t.rel.heedm
// RUN: cd / && heed-compile %t.d/relative.mlir -o %t.rel.heedm
// RUN: heed-run %t.rel.heedm --input=@%t.d/s_4.npy --input=@%t.d/keys_4.npy --input=@%t.d/h_4.npy \
// RUN:   --input=@%t.d/len_4.npy --expected-output=@%t.d/ctx_4.npy --expected-output=@%t.d/alpha_4.npy
// A weight the file lacks, or of the wrong shape, is a located compile error:
// RUN: sed 's|WEIGHTS_FILE|%t.d/weights.npz|; s|"attn.v"|"attn.nope"|' %s > %t.d/missing.mlir
// RUN: not heed-compile %t.d/missing.mlir -o %t.bad 2>&1 | FileCheck %s --check-prefix=MISSING
// MISSING: missing.mlir:[[@LINE+8]]:10: error: weight 'attn.nope' is not in the weights file
// RUN: sed 's|WEIGHTS_FILE|%t.d/weights_bad.npz|' %s > %t.d/shape.mlir
// RUN: not heed-compile %t.d/shape.mlir -o %t.bad 2>&1 | FileCheck %s --check-prefix=SHAPE
// SHAPE: error: weight 'attn.v' is 95xf32 in the weights file, but the model declares 'tensor<96xf32>'

module attributes {heed.weights = "WEIGHTS_FILE"} {
  func.func @attend(%s: tensor<?x128xf32>, %keys: tensor<?x?x96xf32>, %h: tensor<?x?x256xf32>, %len: tensor<?xi64>) -> (tensor<?x256xf32>, tensor<?x?xf32>) {
    %ws = heed.weight "attn.w_s" : tensor<96x128xf32>
    %v = heed.weight "attn.v" : tensor<96xf32>
    %ctx:2 = heed.additive_attention %s, %keys, %h, %ws, %v, %len {mask_kind = #heed<mask lengths>, return_weights} : (tensor<?x128xf32>, tensor<?x?x96xf32>, tensor<?x?x256xf32>, tensor<96x128xf32>, tensor<96xf32>, tensor<?xi64>) -> (tensor<?x256xf32>, tensor<?x?xf32>)
    return %ctx#0, %ctx#1 : tensor<?x256xf32>, tensor<?x?xf32>
  }
}
