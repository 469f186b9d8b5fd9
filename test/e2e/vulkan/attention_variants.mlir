// The attention kernel variants against numpy references (attention_ref.py): the flash kernel
// with subgroup reductions (lavapipe has subgroup arithmetic), the same with shared-memory
// reductions (HEED_VULKAN_NO_SUBGROUPS=1, as on a device without them), split-K for decode
// shapes (Lq 1 or 3, Lk from 1 to 4097 around the 256-key split) forced and automatic, with
// subgroup and with shared-memory reductions, and the staging path (HEED_VULKAN_FORCE_STAGING=1).
// run_variants.py also checks, from the driver's HEED_VULKAN_DEBUG=1 notes, that each run took
// the path it names.
// REQUIRES: vulkan
// RUN: heed-compile %s --target=all -o %t.heedm
// RUN: rm -rf %t.d && mkdir -p %t.d && %python %S/attention_ref.py %t.d
// RUN: %python %S/run_variants.py heed-run %t.heedm %t.d

// Boolean padding + bottom-right causal, zero rows; the values of padded keys are +inf.
func.func @bool_causal(%q: tensor<?x2x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>, %pad: tensor<?x1x1x?xi1>) -> tensor<?x2x?x8xf32> {
  %o = heed.attention %q, %k, %v, %pad {scale = 0.35355339 : f32, mask_kind = #heed<mask boolean|causal>, causal_align = #heed<causal_align bottom_right>} : (tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x1x1x?xi1>) -> tensor<?x2x?x8xf32>
  return %o : tensor<?x2x?x8xf32>
}

// The same with weights: split-K does not apply, the flash kernels write them.
func.func @bool_weights(%q: tensor<?x2x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>, %pad: tensor<?x1x1x?xi1>) -> (tensor<?x2x?x8xf32>, tensor<?x2x?x?xf32>) {
  %o:2 = heed.attention %q, %k, %v, %pad {scale = 0.35355339 : f32, mask_kind = #heed<mask boolean|causal>, causal_align = #heed<causal_align bottom_right>, return_weights} : (tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x1x1x?xi1>) -> (tensor<?x2x?x8xf32>, tensor<?x2x?x?xf32>)
  return %o#0, %o#1 : tensor<?x2x?x8xf32>, tensor<?x2x?x?xf32>
}

// Packed heads, 4 query heads over 2 kv heads, i64 key lengths (batch 1 has none: NaN rows),
// top-left causal.
func.func @gqa_lengths(%xq: tensor<?x?x32xf32>, %xkv: tensor<?x?x16xf32>, %len: tensor<?xi64>) -> tensor<?x?x32xf32> {
  %o = heed.attention %xq, %xkv, %xkv, %len {scale = 0.35355339 : f32, num_heads = 4, num_kv_heads = 2, mask_kind = #heed<mask lengths|causal>, masked_rows = #heed<masked_rows nan>} : (tensor<?x?x32xf32>, tensor<?x?x16xf32>, tensor<?x?x16xf32>, tensor<?xi64>) -> tensor<?x?x32xf32>
  return %o : tensor<?x?x32xf32>
}

// An additive mask broadcast over heads, with a NaN that must poison its whole row.
func.func @additive(%q: tensor<?x2x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>, %m: tensor<?x1x?x?xf32>) -> tensor<?x2x?x16xf32> {
  %o = heed.attention %q, %k, %v, %m {scale = 0.35355339 : f32, mask_kind = #heed<mask additive>} : (tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x1x?x?xf32>) -> tensor<?x2x?x16xf32>
  return %o : tensor<?x2x?x16xf32>
}
