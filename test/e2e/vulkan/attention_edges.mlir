// Vulkan vs CPU on attention edge cases: lengths 1 and the kernel's tile (16) +- 1,
// Lq != Lk with causal in both alignments, fully masked rows (zero and NaN), padded keys
// whose values are +inf, key lengths of 0, packed grouped-query heads. The CPU result is
// the reference for the Vulkan run.
// REQUIRES: vulkan
// RUN: heed-compile %s --target=all -o %t.heedm
// RUN: rm -rf %t.d && mkdir -p %t.d && %python %S/gen_edges.py %t.d
// RUN: heed-run %t.heedm --function=bool_causal --input=@%t.d/q_1_1.npy --input=@%t.d/k_1_1.npy \
// RUN:   --input=@%t.d/v_1_1.npy --input=@%t.d/pad_1_1.npy --output=@%t.d/bc0_1_1.npy --output=@%t.d/bc1_1_1.npy
// RUN: heed-run %t.heedm --device=vulkan --function=bool_causal --input=@%t.d/q_1_1.npy --input=@%t.d/k_1_1.npy \
// RUN:   --input=@%t.d/v_1_1.npy --input=@%t.d/pad_1_1.npy --expected-output=@%t.d/bc0_1_1.npy --expected-output=@%t.d/bc1_1_1.npy
// RUN: heed-run %t.heedm --function=lengths_causal --input=@%t.d/xq_1_1.npy --input=@%t.d/xkv_1_1.npy \
// RUN:   --input=@%t.d/len_1_1.npy --output=@%t.d/lc_1_1.npy
// RUN: heed-run %t.heedm --device=vulkan --function=lengths_causal --input=@%t.d/xq_1_1.npy --input=@%t.d/xkv_1_1.npy \
// RUN:   --input=@%t.d/len_1_1.npy --expected-output=@%t.d/lc_1_1.npy
// RUN: heed-run %t.heedm --function=bool_causal --input=@%t.d/q_1_17.npy --input=@%t.d/k_1_17.npy \
// RUN:   --input=@%t.d/v_1_17.npy --input=@%t.d/pad_1_17.npy --output=@%t.d/bc0_1_17.npy --output=@%t.d/bc1_1_17.npy
// RUN: heed-run %t.heedm --device=vulkan --function=bool_causal --input=@%t.d/q_1_17.npy --input=@%t.d/k_1_17.npy \
// RUN:   --input=@%t.d/v_1_17.npy --input=@%t.d/pad_1_17.npy --expected-output=@%t.d/bc0_1_17.npy --expected-output=@%t.d/bc1_1_17.npy
// RUN: heed-run %t.heedm --function=lengths_causal --input=@%t.d/xq_1_17.npy --input=@%t.d/xkv_1_17.npy \
// RUN:   --input=@%t.d/len_1_17.npy --output=@%t.d/lc_1_17.npy
// RUN: heed-run %t.heedm --device=vulkan --function=lengths_causal --input=@%t.d/xq_1_17.npy --input=@%t.d/xkv_1_17.npy \
// RUN:   --input=@%t.d/len_1_17.npy --expected-output=@%t.d/lc_1_17.npy
// RUN: heed-run %t.heedm --function=bool_causal --input=@%t.d/q_15_16.npy --input=@%t.d/k_15_16.npy \
// RUN:   --input=@%t.d/v_15_16.npy --input=@%t.d/pad_15_16.npy --output=@%t.d/bc0_15_16.npy --output=@%t.d/bc1_15_16.npy
// RUN: heed-run %t.heedm --device=vulkan --function=bool_causal --input=@%t.d/q_15_16.npy --input=@%t.d/k_15_16.npy \
// RUN:   --input=@%t.d/v_15_16.npy --input=@%t.d/pad_15_16.npy --expected-output=@%t.d/bc0_15_16.npy --expected-output=@%t.d/bc1_15_16.npy
// RUN: heed-run %t.heedm --function=lengths_causal --input=@%t.d/xq_15_16.npy --input=@%t.d/xkv_15_16.npy \
// RUN:   --input=@%t.d/len_15_16.npy --output=@%t.d/lc_15_16.npy
// RUN: heed-run %t.heedm --device=vulkan --function=lengths_causal --input=@%t.d/xq_15_16.npy --input=@%t.d/xkv_15_16.npy \
// RUN:   --input=@%t.d/len_15_16.npy --expected-output=@%t.d/lc_15_16.npy
// RUN: heed-run %t.heedm --function=bool_causal --input=@%t.d/q_16_15.npy --input=@%t.d/k_16_15.npy \
// RUN:   --input=@%t.d/v_16_15.npy --input=@%t.d/pad_16_15.npy --output=@%t.d/bc0_16_15.npy --output=@%t.d/bc1_16_15.npy
// RUN: heed-run %t.heedm --device=vulkan --function=bool_causal --input=@%t.d/q_16_15.npy --input=@%t.d/k_16_15.npy \
// RUN:   --input=@%t.d/v_16_15.npy --input=@%t.d/pad_16_15.npy --expected-output=@%t.d/bc0_16_15.npy --expected-output=@%t.d/bc1_16_15.npy
// RUN: heed-run %t.heedm --function=lengths_causal --input=@%t.d/xq_16_15.npy --input=@%t.d/xkv_16_15.npy \
// RUN:   --input=@%t.d/len_16_15.npy --output=@%t.d/lc_16_15.npy
// RUN: heed-run %t.heedm --device=vulkan --function=lengths_causal --input=@%t.d/xq_16_15.npy --input=@%t.d/xkv_16_15.npy \
// RUN:   --input=@%t.d/len_16_15.npy --expected-output=@%t.d/lc_16_15.npy
// RUN: heed-run %t.heedm --function=bool_causal --input=@%t.d/q_17_17.npy --input=@%t.d/k_17_17.npy \
// RUN:   --input=@%t.d/v_17_17.npy --input=@%t.d/pad_17_17.npy --output=@%t.d/bc0_17_17.npy --output=@%t.d/bc1_17_17.npy
// RUN: heed-run %t.heedm --device=vulkan --function=bool_causal --input=@%t.d/q_17_17.npy --input=@%t.d/k_17_17.npy \
// RUN:   --input=@%t.d/v_17_17.npy --input=@%t.d/pad_17_17.npy --expected-output=@%t.d/bc0_17_17.npy --expected-output=@%t.d/bc1_17_17.npy
// RUN: heed-run %t.heedm --function=lengths_causal --input=@%t.d/xq_17_17.npy --input=@%t.d/xkv_17_17.npy \
// RUN:   --input=@%t.d/len_17_17.npy --output=@%t.d/lc_17_17.npy
// RUN: heed-run %t.heedm --device=vulkan --function=lengths_causal --input=@%t.d/xq_17_17.npy --input=@%t.d/xkv_17_17.npy \
// RUN:   --input=@%t.d/len_17_17.npy --expected-output=@%t.d/lc_17_17.npy
// RUN: heed-run %t.heedm --function=bool_causal --input=@%t.d/q_17_33.npy --input=@%t.d/k_17_33.npy \
// RUN:   --input=@%t.d/v_17_33.npy --input=@%t.d/pad_17_33.npy --output=@%t.d/bc0_17_33.npy --output=@%t.d/bc1_17_33.npy
// RUN: heed-run %t.heedm --device=vulkan --function=bool_causal --input=@%t.d/q_17_33.npy --input=@%t.d/k_17_33.npy \
// RUN:   --input=@%t.d/v_17_33.npy --input=@%t.d/pad_17_33.npy --expected-output=@%t.d/bc0_17_33.npy --expected-output=@%t.d/bc1_17_33.npy
// RUN: heed-run %t.heedm --function=lengths_causal --input=@%t.d/xq_17_33.npy --input=@%t.d/xkv_17_33.npy \
// RUN:   --input=@%t.d/len_17_33.npy --output=@%t.d/lc_17_33.npy
// RUN: heed-run %t.heedm --device=vulkan --function=lengths_causal --input=@%t.d/xq_17_33.npy --input=@%t.d/xkv_17_33.npy \
// RUN:   --input=@%t.d/len_17_33.npy --expected-output=@%t.d/lc_17_33.npy
// RUN: heed-run %t.heedm --function=bool_causal --input=@%t.d/q_3_40.npy --input=@%t.d/k_3_40.npy \
// RUN:   --input=@%t.d/v_3_40.npy --input=@%t.d/pad_3_40.npy --output=@%t.d/bc0_3_40.npy --output=@%t.d/bc1_3_40.npy
// RUN: heed-run %t.heedm --device=vulkan --function=bool_causal --input=@%t.d/q_3_40.npy --input=@%t.d/k_3_40.npy \
// RUN:   --input=@%t.d/v_3_40.npy --input=@%t.d/pad_3_40.npy --expected-output=@%t.d/bc0_3_40.npy --expected-output=@%t.d/bc1_3_40.npy
// RUN: heed-run %t.heedm --function=lengths_causal --input=@%t.d/xq_3_40.npy --input=@%t.d/xkv_3_40.npy \
// RUN:   --input=@%t.d/len_3_40.npy --output=@%t.d/lc_3_40.npy
// RUN: heed-run %t.heedm --device=vulkan --function=lengths_causal --input=@%t.d/xq_3_40.npy --input=@%t.d/xkv_3_40.npy \
// RUN:   --input=@%t.d/len_3_40.npy --expected-output=@%t.d/lc_3_40.npy

func.func @bool_causal(%q: tensor<?x2x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>, %pad: tensor<?x1x1x?xi1>) -> (tensor<?x2x?x8xf32>, tensor<?x2x?x?xf32>) {
  %o:2 = heed.attention %q, %k, %v, %pad {scale = 0.35355339 : f32, mask_kind = #heed<mask boolean|causal>, causal_align = #heed<causal_align bottom_right>, return_weights} : (tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x1x1x?xi1>) -> (tensor<?x2x?x8xf32>, tensor<?x2x?x?xf32>)
  return %o#0, %o#1 : tensor<?x2x?x8xf32>, tensor<?x2x?x?xf32>
}

// Top-left causal, key lengths (batch 1 has none: NaN rows), 4 query heads over 2 kv heads.
func.func @lengths_causal(%xq: tensor<?x?x32xf32>, %xkv: tensor<?x?x16xf32>, %len: tensor<?xi64>) -> tensor<?x?x32xf32> {
  %o = heed.attention %xq, %xkv, %xkv, %len {scale = 0.35355339 : f32, num_heads = 4, num_kv_heads = 2, mask_kind = #heed<mask lengths|causal>, masked_rows = #heed<masked_rows nan>} : (tensor<?x?x32xf32>, tensor<?x?x16xf32>, tensor<?x?x16xf32>, tensor<?xi64>) -> tensor<?x?x32xf32>
  return %o : tensor<?x?x32xf32>
}
