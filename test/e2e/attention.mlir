// heed.attention against a float64 numpy reference: boolean|causal (bottom-right, Lq != Lk,
// fully masked rows under both policies) with weights, key lengths (and logits ~1e4), additive
// masks mixing -inf and finfo.min, padding masks with and without a leading run of visible keys,
// shared by the heads or per head (the CPU runs a run the heads share as key lengths), packed
// grouped-query heads with causal, and rank-3 operands.
// Two (Lq, Lk) pairs from one module: (3, 5) and (7, 4).
// RUN: heed-compile %s --target=all -o %t.heedm
// RUN: rm -rf %t.d && mkdir -p %t.d && %python %S/gen_refs.py attention %t.d
// RUN: heed-run %t.heedm --function=bool_causal --input=@%t.d/q_3.npy --input=@%t.d/k_3.npy \
// RUN:   --input=@%t.d/v_3.npy --input=@%t.d/pad_3.npy --expected-output=@%t.d/bc_o_3.npy \
// RUN:   --expected-output=@%t.d/bc_w_3.npy --expected-output=@%t.d/bc_nan_3.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=bool_causal --input=@%t.d/q_3.npy --input=@%t.d/k_3.npy \
// RUN:   --input=@%t.d/v_3.npy --input=@%t.d/pad_3.npy --expected-output=@%t.d/bc_o_3.npy \
// RUN:   --expected-output=@%t.d/bc_w_3.npy --expected-output=@%t.d/bc_nan_3.npy %}
// RUN: heed-run %t.heedm --function=bool_causal --input=@%t.d/q_7.npy --input=@%t.d/k_7.npy \
// RUN:   --input=@%t.d/v_7.npy --input=@%t.d/pad_7.npy --expected-output=@%t.d/bc_o_7.npy \
// RUN:   --expected-output=@%t.d/bc_w_7.npy --expected-output=@%t.d/bc_nan_7.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=bool_causal --input=@%t.d/q_7.npy --input=@%t.d/k_7.npy \
// RUN:   --input=@%t.d/v_7.npy --input=@%t.d/pad_7.npy --expected-output=@%t.d/bc_o_7.npy \
// RUN:   --expected-output=@%t.d/bc_w_7.npy --expected-output=@%t.d/bc_nan_7.npy %}
// The scalar kernels (HEED_CPU_ISA, what a machine without AVX2 runs) give the same numbers:
// RUN: env HEED_CPU_ISA=scalar heed-run %t.heedm --function=bool_causal --input=@%t.d/q_7.npy --input=@%t.d/k_7.npy \
// RUN:   --input=@%t.d/v_7.npy --input=@%t.d/pad_7.npy --expected-output=@%t.d/bc_o_7.npy \
// RUN:   --expected-output=@%t.d/bc_w_7.npy --expected-output=@%t.d/bc_nan_7.npy
// Lengths 1, tile - 1 / tile + 1 and 2 * tile + 1 keys, one module:
// RUN: heed-run %t.heedm --function=bool_causal --input=@%t.d/q_1.npy --input=@%t.d/k_1.npy \
// RUN:   --input=@%t.d/v_1.npy --input=@%t.d/pad_1.npy --expected-output=@%t.d/bc_o_1.npy \
// RUN:   --expected-output=@%t.d/bc_w_1.npy --expected-output=@%t.d/bc_nan_1.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=bool_causal --input=@%t.d/q_1.npy --input=@%t.d/k_1.npy \
// RUN:   --input=@%t.d/v_1.npy --input=@%t.d/pad_1.npy --expected-output=@%t.d/bc_o_1.npy \
// RUN:   --expected-output=@%t.d/bc_w_1.npy --expected-output=@%t.d/bc_nan_1.npy %}
// RUN: heed-run %t.heedm --function=bool_causal --input=@%t.d/q_65.npy --input=@%t.d/k_65.npy \
// RUN:   --input=@%t.d/v_65.npy --input=@%t.d/pad_65.npy --expected-output=@%t.d/bc_o_65.npy \
// RUN:   --expected-output=@%t.d/bc_w_65.npy --expected-output=@%t.d/bc_nan_65.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=bool_causal --input=@%t.d/q_65.npy --input=@%t.d/k_65.npy \
// RUN:   --input=@%t.d/v_65.npy --input=@%t.d/pad_65.npy --expected-output=@%t.d/bc_o_65.npy \
// RUN:   --expected-output=@%t.d/bc_w_65.npy --expected-output=@%t.d/bc_nan_65.npy %}
// RUN: heed-run %t.heedm --function=bool_causal --input=@%t.d/q_64.npy --input=@%t.d/k_64.npy \
// RUN:   --input=@%t.d/v_64.npy --input=@%t.d/pad_64.npy --expected-output=@%t.d/bc_o_64.npy \
// RUN:   --expected-output=@%t.d/bc_w_64.npy --expected-output=@%t.d/bc_nan_64.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=bool_causal --input=@%t.d/q_64.npy --input=@%t.d/k_64.npy \
// RUN:   --input=@%t.d/v_64.npy --input=@%t.d/pad_64.npy --expected-output=@%t.d/bc_o_64.npy \
// RUN:   --expected-output=@%t.d/bc_w_64.npy --expected-output=@%t.d/bc_nan_64.npy %}
// RUN: heed-run %t.heedm --function=lengths --input=@%t.d/q_65.npy --input=@%t.d/k_65.npy \
// RUN:   --input=@%t.d/v_65.npy --input=@%t.d/len_65.npy --expected-output=@%t.d/len_o_65.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=lengths --input=@%t.d/q_65.npy --input=@%t.d/k_65.npy \
// RUN:   --input=@%t.d/v_65.npy --input=@%t.d/len_65.npy --expected-output=@%t.d/len_o_65.npy %}
// RUN: heed-run %t.heedm --function=additive --input=@%t.d/q_64.npy --input=@%t.d/k_64.npy \
// RUN:   --input=@%t.d/v_64.npy --input=@%t.d/add_64.npy --expected-output=@%t.d/add_o_64.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=additive --input=@%t.d/q_64.npy --input=@%t.d/k_64.npy \
// RUN:   --input=@%t.d/v_64.npy --input=@%t.d/add_64.npy --expected-output=@%t.d/add_o_64.npy %}
// RUN: heed-run %t.heedm --function=packed --input=@%t.d/xq_65.npy --input=@%t.d/xkv_65.npy \
// RUN:   --expected-output=@%t.d/packed_65.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=packed --input=@%t.d/xq_65.npy --input=@%t.d/xkv_65.npy \
// RUN:   --expected-output=@%t.d/packed_65.npy %}
// RUN: heed-run %t.heedm --function=packed --input=@%t.d/xq_1.npy --input=@%t.d/xkv_1.npy \
// RUN:   --expected-output=@%t.d/packed_1.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=packed --input=@%t.d/xq_1.npy --input=@%t.d/xkv_1.npy \
// RUN:   --expected-output=@%t.d/packed_1.npy %}
// RUN: heed-run %t.heedm --function=lengths --input=@%t.d/q_3.npy --input=@%t.d/k_3.npy \
// RUN:   --input=@%t.d/v_3.npy --input=@%t.d/len_3.npy --expected-output=@%t.d/len_o_3.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=lengths --input=@%t.d/q_3.npy --input=@%t.d/k_3.npy \
// RUN:   --input=@%t.d/v_3.npy --input=@%t.d/len_3.npy --expected-output=@%t.d/len_o_3.npy %}
// RUN: heed-run %t.heedm --function=lengths --input=@%t.d/q_7.npy --input=@%t.d/k_7.npy \
// RUN:   --input=@%t.d/v_7.npy --input=@%t.d/len_7.npy --expected-output=@%t.d/len_o_7.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=lengths --input=@%t.d/q_7.npy --input=@%t.d/k_7.npy \
// RUN:   --input=@%t.d/v_7.npy --input=@%t.d/len_7.npy --expected-output=@%t.d/len_o_7.npy %}
// RUN: heed-run %t.heedm --function=lengths --input=@%t.d/qbig_7.npy --input=@%t.d/k_7.npy \
// RUN:   --input=@%t.d/v_7.npy --input=@%t.d/len_7.npy --expected-output=@%t.d/big_o_7.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=lengths --input=@%t.d/qbig_7.npy --input=@%t.d/k_7.npy \
// RUN:   --input=@%t.d/v_7.npy --input=@%t.d/len_7.npy --expected-output=@%t.d/big_o_7.npy %}
// RUN: heed-run %t.heedm --function=additive --input=@%t.d/q_3.npy --input=@%t.d/k_3.npy \
// RUN:   --input=@%t.d/v_3.npy --input=@%t.d/add_3.npy --expected-output=@%t.d/add_o_3.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=additive --input=@%t.d/q_3.npy --input=@%t.d/k_3.npy \
// RUN:   --input=@%t.d/v_3.npy --input=@%t.d/add_3.npy --expected-output=@%t.d/add_o_3.npy %}
// RUN: heed-run %t.heedm --function=additive --input=@%t.d/q_7.npy --input=@%t.d/k_7.npy \
// RUN:   --input=@%t.d/v_7.npy --input=@%t.d/add_7.npy --expected-output=@%t.d/add_o_7.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=additive --input=@%t.d/q_7.npy --input=@%t.d/k_7.npy \
// RUN:   --input=@%t.d/v_7.npy --input=@%t.d/add_7.npy --expected-output=@%t.d/add_o_7.npy %}
// RUN: heed-run %t.heedm --function=padding --input=@%t.d/q_3.npy --input=@%t.d/k_3.npy \
// RUN:   --input=@%t.d/v_3.npy --input=@%t.d/pad_3.npy --expected-output=@%t.d/pad_o_3.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=padding --input=@%t.d/q_3.npy --input=@%t.d/k_3.npy \
// RUN:   --input=@%t.d/v_3.npy --input=@%t.d/pad_3.npy --expected-output=@%t.d/pad_o_3.npy %}
// RUN: heed-run %t.heedm --function=padding --input=@%t.d/q_3.npy --input=@%t.d/k_3.npy \
// RUN:   --input=@%t.d/v_3.npy --input=@%t.d/pad2_3.npy --expected-output=@%t.d/pad2_o_3.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=padding --input=@%t.d/q_3.npy --input=@%t.d/k_3.npy \
// RUN:   --input=@%t.d/v_3.npy --input=@%t.d/pad2_3.npy --expected-output=@%t.d/pad2_o_3.npy %}
// RUN: heed-run %t.heedm --function=padding --input=@%t.d/q_7.npy --input=@%t.d/k_7.npy \
// RUN:   --input=@%t.d/v_7.npy --input=@%t.d/pad_7.npy --expected-output=@%t.d/pad_o_7.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=padding --input=@%t.d/q_7.npy --input=@%t.d/k_7.npy \
// RUN:   --input=@%t.d/v_7.npy --input=@%t.d/pad_7.npy --expected-output=@%t.d/pad_o_7.npy %}
// RUN: heed-run %t.heedm --function=padding --input=@%t.d/q_7.npy --input=@%t.d/k_7.npy \
// RUN:   --input=@%t.d/v_7.npy --input=@%t.d/pad2_7.npy --expected-output=@%t.d/pad2_o_7.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=padding --input=@%t.d/q_7.npy --input=@%t.d/k_7.npy \
// RUN:   --input=@%t.d/v_7.npy --input=@%t.d/pad2_7.npy --expected-output=@%t.d/pad2_o_7.npy %}
// RUN: heed-run %t.heedm --function=padding --input=@%t.d/q_65.npy --input=@%t.d/k_65.npy \
// RUN:   --input=@%t.d/v_65.npy --input=@%t.d/pad_65.npy --expected-output=@%t.d/pad_o_65.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=padding --input=@%t.d/q_65.npy --input=@%t.d/k_65.npy \
// RUN:   --input=@%t.d/v_65.npy --input=@%t.d/pad_65.npy --expected-output=@%t.d/pad_o_65.npy %}
// RUN: heed-run %t.heedm --function=padding --input=@%t.d/q_65.npy --input=@%t.d/k_65.npy \
// RUN:   --input=@%t.d/v_65.npy --input=@%t.d/pad2_65.npy --expected-output=@%t.d/pad2_o_65.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=padding --input=@%t.d/q_65.npy --input=@%t.d/k_65.npy \
// RUN:   --input=@%t.d/v_65.npy --input=@%t.d/pad2_65.npy --expected-output=@%t.d/pad2_o_65.npy %}
// RUN: heed-run %t.heedm --function=head_padding --input=@%t.d/q_3.npy --input=@%t.d/k_3.npy \
// RUN:   --input=@%t.d/v_3.npy --input=@%t.d/heads_same_3.npy --expected-output=@%t.d/heads_same_o_3.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=head_padding --input=@%t.d/q_3.npy --input=@%t.d/k_3.npy \
// RUN:   --input=@%t.d/v_3.npy --input=@%t.d/heads_same_3.npy --expected-output=@%t.d/heads_same_o_3.npy %}
// RUN: heed-run %t.heedm --function=head_padding --input=@%t.d/q_3.npy --input=@%t.d/k_3.npy \
// RUN:   --input=@%t.d/v_3.npy --input=@%t.d/heads_differ_3.npy --expected-output=@%t.d/heads_differ_o_3.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=head_padding --input=@%t.d/q_3.npy --input=@%t.d/k_3.npy \
// RUN:   --input=@%t.d/v_3.npy --input=@%t.d/heads_differ_3.npy --expected-output=@%t.d/heads_differ_o_3.npy %}
// RUN: heed-run %t.heedm --function=head_padding --input=@%t.d/q_7.npy --input=@%t.d/k_7.npy \
// RUN:   --input=@%t.d/v_7.npy --input=@%t.d/heads_same_7.npy --expected-output=@%t.d/heads_same_o_7.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=head_padding --input=@%t.d/q_7.npy --input=@%t.d/k_7.npy \
// RUN:   --input=@%t.d/v_7.npy --input=@%t.d/heads_same_7.npy --expected-output=@%t.d/heads_same_o_7.npy %}
// RUN: heed-run %t.heedm --function=head_padding --input=@%t.d/q_7.npy --input=@%t.d/k_7.npy \
// RUN:   --input=@%t.d/v_7.npy --input=@%t.d/heads_differ_7.npy --expected-output=@%t.d/heads_differ_o_7.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=head_padding --input=@%t.d/q_7.npy --input=@%t.d/k_7.npy \
// RUN:   --input=@%t.d/v_7.npy --input=@%t.d/heads_differ_7.npy --expected-output=@%t.d/heads_differ_o_7.npy %}
// RUN: heed-run %t.heedm --function=head_padding --input=@%t.d/q_65.npy --input=@%t.d/k_65.npy \
// RUN:   --input=@%t.d/v_65.npy --input=@%t.d/heads_same_65.npy --expected-output=@%t.d/heads_same_o_65.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=head_padding --input=@%t.d/q_65.npy --input=@%t.d/k_65.npy \
// RUN:   --input=@%t.d/v_65.npy --input=@%t.d/heads_same_65.npy --expected-output=@%t.d/heads_same_o_65.npy %}
// RUN: heed-run %t.heedm --function=head_padding --input=@%t.d/q_65.npy --input=@%t.d/k_65.npy \
// RUN:   --input=@%t.d/v_65.npy --input=@%t.d/heads_differ_65.npy --expected-output=@%t.d/heads_differ_o_65.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=head_padding --input=@%t.d/q_65.npy --input=@%t.d/k_65.npy \
// RUN:   --input=@%t.d/v_65.npy --input=@%t.d/heads_differ_65.npy --expected-output=@%t.d/heads_differ_o_65.npy %}
// RUN: heed-run %t.heedm --function=packed --input=@%t.d/xq_3.npy --input=@%t.d/xkv_3.npy \
// RUN:   --expected-output=@%t.d/packed_3.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=packed --input=@%t.d/xq_3.npy --input=@%t.d/xkv_3.npy \
// RUN:   --expected-output=@%t.d/packed_3.npy %}
// RUN: heed-run %t.heedm --function=packed --input=@%t.d/xq_7.npy --input=@%t.d/xkv_7.npy \
// RUN:   --expected-output=@%t.d/packed_7.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=packed --input=@%t.d/xq_7.npy --input=@%t.d/xkv_7.npy \
// RUN:   --expected-output=@%t.d/packed_7.npy %}
// RUN: heed-run %t.heedm --function=rank3 --input=@%t.d/q3_3.npy --input=@%t.d/k3_3.npy \
// RUN:   --input=@%t.d/v3_3.npy --expected-output=@%t.d/r3_3.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=rank3 --input=@%t.d/q3_3.npy --input=@%t.d/k3_3.npy \
// RUN:   --input=@%t.d/v3_3.npy --expected-output=@%t.d/r3_3.npy %}
// RUN: heed-run %t.heedm --function=rank3 --input=@%t.d/q3_7.npy --input=@%t.d/k3_7.npy \
// RUN:   --input=@%t.d/v3_7.npy --expected-output=@%t.d/r3_7.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=rank3 --input=@%t.d/q3_7.npy --input=@%t.d/k3_7.npy \
// RUN:   --input=@%t.d/v3_7.npy --expected-output=@%t.d/r3_7.npy %}

func.func @bool_causal(%q: tensor<?x2x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>, %pad: tensor<?x1x1x?xi1>) -> (tensor<?x2x?x8xf32>, tensor<?x2x?x?xf32>, tensor<?x2x?x8xf32>) {
  %o:2 = heed.attention %q, %k, %v, %pad {scale = 0.35355339 : f32, mask_kind = #heed<mask boolean|causal>, causal_align = #heed<causal_align bottom_right>, return_weights} : (tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x1x1x?xi1>) -> (tensor<?x2x?x8xf32>, tensor<?x2x?x?xf32>)
  %n = heed.attention %q, %k, %v, %pad {scale = 0.35355339 : f32, mask_kind = #heed<mask boolean|causal>, causal_align = #heed<causal_align bottom_right>, masked_rows = #heed<masked_rows nan>} : (tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x1x1x?xi1>) -> tensor<?x2x?x8xf32>
  return %o#0, %o#1, %n : tensor<?x2x?x8xf32>, tensor<?x2x?x?xf32>, tensor<?x2x?x8xf32>
}

func.func @padding(%q: tensor<?x2x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>, %pad: tensor<?x1x1x?xi1>) -> tensor<?x2x?x8xf32> {
  %o = heed.attention %q, %k, %v, %pad {scale = 0.35355339 : f32, mask_kind = #heed<mask boolean>} : (tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x1x1x?xi1>) -> tensor<?x2x?x8xf32>
  return %o : tensor<?x2x?x8xf32>
}

func.func @head_padding(%q: tensor<?x2x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>, %pad: tensor<?x2x1x?xi1>) -> tensor<?x2x?x8xf32> {
  %o = heed.attention %q, %k, %v, %pad {scale = 0.35355339 : f32, mask_kind = #heed<mask boolean>} : (tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x1x?xi1>) -> tensor<?x2x?x8xf32>
  return %o : tensor<?x2x?x8xf32>
}

func.func @lengths(%q: tensor<?x2x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>, %len: tensor<?xi64>) -> tensor<?x2x?x8xf32> {
  %o = heed.attention %q, %k, %v, %len {scale = 0.35355339 : f32, mask_kind = #heed<mask lengths>} : (tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?xi64>) -> tensor<?x2x?x8xf32>
  return %o : tensor<?x2x?x8xf32>
}

func.func @additive(%q: tensor<?x2x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>, %add: tensor<?x?xf32>) -> tensor<?x2x?x8xf32> {
  %o = heed.attention %q, %k, %v, %add {scale = 0.35355339 : f32, mask_kind = #heed<mask additive>} : (tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x?xf32>) -> tensor<?x2x?x8xf32>
  return %o : tensor<?x2x?x8xf32>
}

func.func @packed(%xq: tensor<?x?x32xf32>, %xkv: tensor<?x?x16xf32>) -> tensor<?x?x32xf32> {
  %o = heed.attention %xq, %xkv, %xkv {scale = 0.35355339 : f32, num_heads = 4, num_kv_heads = 2, mask_kind = #heed<mask causal>} : (tensor<?x?x32xf32>, tensor<?x?x16xf32>, tensor<?x?x16xf32>) -> tensor<?x?x32xf32>
  return %o : tensor<?x?x32xf32>
}

func.func @rank3(%q: tensor<?x?x8xf32>, %k: tensor<?x?x8xf32>, %v: tensor<?x?x6xf32>) -> tensor<?x?x6xf32> {
  %o = heed.attention %q, %k, %v {scale = 0.5 : f32} : (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x6xf32>) -> tensor<?x?x6xf32>
  return %o : tensor<?x?x6xf32>
}
