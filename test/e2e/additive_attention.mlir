// heed.additive_attention (Bahdanau) for one decoder step with key lengths and weights, and
// for a query sequence with a boolean mask (random, and padding whose visible keys lead each row:
// the CPU runs those as key lengths), against numpy; two source lengths from one module.
// RUN: heed-compile %s --target=all -o %t.heedm
// RUN: rm -rf %t.d && mkdir -p %t.d && %python %S/gen_refs.py additive_attention %t.d
// RUN: heed-run %t.heedm --function=step --input=@%t.d/s_4.npy --input=@%t.d/kp_4.npy \
// RUN:   --input=@%t.d/h_4.npy --input=@%t.d/wq_4.npy --input=@%t.d/v_4.npy --input=@%t.d/len_4.npy \
// RUN:   --expected-output=@%t.d/step_o_4.npy --expected-output=@%t.d/step_w_4.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=step --input=@%t.d/s_4.npy --input=@%t.d/kp_4.npy \
// RUN:   --input=@%t.d/h_4.npy --input=@%t.d/wq_4.npy --input=@%t.d/v_4.npy --input=@%t.d/len_4.npy \
// RUN:   --expected-output=@%t.d/step_o_4.npy --expected-output=@%t.d/step_w_4.npy %}
// RUN: heed-run %t.heedm --function=step --input=@%t.d/s_10.npy --input=@%t.d/kp_10.npy \
// RUN:   --input=@%t.d/h_10.npy --input=@%t.d/wq_10.npy --input=@%t.d/v_10.npy --input=@%t.d/len_10.npy \
// RUN:   --expected-output=@%t.d/step_o_10.npy --expected-output=@%t.d/step_w_10.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=step --input=@%t.d/s_10.npy --input=@%t.d/kp_10.npy \
// RUN:   --input=@%t.d/h_10.npy --input=@%t.d/wq_10.npy --input=@%t.d/v_10.npy --input=@%t.d/len_10.npy \
// RUN:   --expected-output=@%t.d/step_o_10.npy --expected-output=@%t.d/step_w_10.npy %}
// RUN: heed-run %t.heedm --function=seq --input=@%t.d/qs_4.npy --input=@%t.d/kp_4.npy \
// RUN:   --input=@%t.d/h_4.npy --input=@%t.d/wq_4.npy --input=@%t.d/v_4.npy --input=@%t.d/bm_4.npy \
// RUN:   --expected-output=@%t.d/seq_o_4.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=seq --input=@%t.d/qs_4.npy --input=@%t.d/kp_4.npy \
// RUN:   --input=@%t.d/h_4.npy --input=@%t.d/wq_4.npy --input=@%t.d/v_4.npy --input=@%t.d/bm_4.npy \
// RUN:   --expected-output=@%t.d/seq_o_4.npy %}
// RUN: heed-run %t.heedm --function=seq --input=@%t.d/qs_10.npy --input=@%t.d/kp_10.npy \
// RUN:   --input=@%t.d/h_10.npy --input=@%t.d/wq_10.npy --input=@%t.d/v_10.npy --input=@%t.d/bm_10.npy \
// RUN:   --expected-output=@%t.d/seq_o_10.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=seq --input=@%t.d/qs_10.npy --input=@%t.d/kp_10.npy \
// RUN:   --input=@%t.d/h_10.npy --input=@%t.d/wq_10.npy --input=@%t.d/v_10.npy --input=@%t.d/bm_10.npy \
// RUN:   --expected-output=@%t.d/seq_o_10.npy %}
// RUN: heed-run %t.heedm --function=seq --input=@%t.d/qs_4.npy --input=@%t.d/kp_4.npy \
// RUN:   --input=@%t.d/h_4.npy --input=@%t.d/wq_4.npy --input=@%t.d/v_4.npy --input=@%t.d/pm_4.npy \
// RUN:   --expected-output=@%t.d/seq_pm_o_4.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=seq --input=@%t.d/qs_4.npy --input=@%t.d/kp_4.npy \
// RUN:   --input=@%t.d/h_4.npy --input=@%t.d/wq_4.npy --input=@%t.d/v_4.npy --input=@%t.d/pm_4.npy \
// RUN:   --expected-output=@%t.d/seq_pm_o_4.npy %}
// RUN: heed-run %t.heedm --function=seq --input=@%t.d/qs_10.npy --input=@%t.d/kp_10.npy \
// RUN:   --input=@%t.d/h_10.npy --input=@%t.d/wq_10.npy --input=@%t.d/v_10.npy --input=@%t.d/pm_10.npy \
// RUN:   --expected-output=@%t.d/seq_pm_o_10.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=seq --input=@%t.d/qs_10.npy --input=@%t.d/kp_10.npy \
// RUN:   --input=@%t.d/h_10.npy --input=@%t.d/wq_10.npy --input=@%t.d/v_10.npy --input=@%t.d/pm_10.npy \
// RUN:   --expected-output=@%t.d/seq_pm_o_10.npy %}

func.func @step(%s: tensor<?x8xf32>, %kp: tensor<?x?x6xf32>, %h: tensor<?x?x5xf32>, %wq: tensor<6x8xf32>, %v: tensor<6xf32>, %len: tensor<?xi32>) -> (tensor<?x5xf32>, tensor<?x?xf32>) {
  %c:2 = heed.additive_attention %s, %kp, %h, %wq, %v, %len {mask_kind = #heed<mask lengths>, return_weights} : (tensor<?x8xf32>, tensor<?x?x6xf32>, tensor<?x?x5xf32>, tensor<6x8xf32>, tensor<6xf32>, tensor<?xi32>) -> (tensor<?x5xf32>, tensor<?x?xf32>)
  return %c#0, %c#1 : tensor<?x5xf32>, tensor<?x?xf32>
}

func.func @seq(%q: tensor<?x?x8xf32>, %kp: tensor<?x?x6xf32>, %h: tensor<?x?x5xf32>, %wq: tensor<6x8xf32>, %v: tensor<6xf32>, %m: tensor<?x1x?xi1>) -> tensor<?x?x5xf32> {
  %c = heed.additive_attention %q, %kp, %h, %wq, %v, %m {mask_kind = #heed<mask boolean>} : (tensor<?x?x8xf32>, tensor<?x?x6xf32>, tensor<?x?x5xf32>, tensor<6x8xf32>, tensor<6xf32>, tensor<?x1x?xi1>) -> tensor<?x?x5xf32>
  return %c : tensor<?x?x5xf32>
}
