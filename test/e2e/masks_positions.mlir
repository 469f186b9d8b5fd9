// sequence_mask, causal_mask (both alignments, Lq != Lk) and sinusoidal positions
// (interleaved and not, with an offset), index operands passed as rank-0 literals.
// RUN: heed-compile %s --target=all -o %t.heedm
// RUN: rm -rf %t.d && mkdir -p %t.d && %python %S/gen_refs.py masks_positions %t.d
// RUN: heed-run %t.heedm --function=masks --input=@%t.d/len_6.npy --input=index=6 --input=index=9 \
// RUN:   --expected-output=@%t.d/seq_6.npy --expected-output=@%t.d/tl_6.npy \
// RUN:   --expected-output=@%t.d/br_6.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=masks --input=@%t.d/len_6.npy --input=index=6 --input=index=9 \
// RUN:   --expected-output=@%t.d/seq_6.npy --expected-output=@%t.d/tl_6.npy \
// RUN:   --expected-output=@%t.d/br_6.npy %}
// RUN: heed-run %t.heedm --function=masks --input=@%t.d/len_13.npy --input=index=13 --input=index=9 \
// RUN:   --expected-output=@%t.d/seq_13.npy --expected-output=@%t.d/tl_13.npy \
// RUN:   --expected-output=@%t.d/br_13.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=masks --input=@%t.d/len_13.npy --input=index=13 --input=index=9 \
// RUN:   --expected-output=@%t.d/seq_13.npy --expected-output=@%t.d/tl_13.npy \
// RUN:   --expected-output=@%t.d/br_13.npy %}
// RUN: heed-run %t.heedm --function=positions --input=index=3 --input=index=6 \
// RUN:   --expected-output=@%t.d/pe_6.npy --expected-output=@%t.d/pe2_6.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=positions --input=index=3 --input=index=6 \
// RUN:   --expected-output=@%t.d/pe_6.npy --expected-output=@%t.d/pe2_6.npy %}
// RUN: heed-run %t.heedm --function=positions --input=index=3 --input=index=13 \
// RUN:   --expected-output=@%t.d/pe_13.npy --expected-output=@%t.d/pe2_13.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=positions --input=index=3 --input=index=13 \
// RUN:   --expected-output=@%t.d/pe_13.npy --expected-output=@%t.d/pe2_13.npy %}

func.func @masks(%len: tensor<?xi64>, %n: index, %m: index) -> (tensor<?x?xi1>, tensor<?x?xi1>, tensor<?x?xi1>) {
  %0 = heed.sequence_mask %len, %n : (tensor<?xi64>, index) -> tensor<?x?xi1>
  %1 = heed.causal_mask %n, %m : (index, index) -> tensor<?x?xi1>
  %2 = heed.causal_mask %n, %m {align = #heed<causal_align bottom_right>} : (index, index) -> tensor<?x?xi1>
  return %0, %1, %2 : tensor<?x?xi1>, tensor<?x?xi1>, tensor<?x?xi1>
}

func.func @positions(%offset: index, %n: index) -> (tensor<?x16xf32>, tensor<?x16xf32>) {
  %0 = heed.sinusoidal_positions %offset, %n {dim = 16} : (index, index) -> tensor<?x16xf32>
  %1 = heed.sinusoidal_positions %offset, %n {dim = 16, interleaved = false} : (index, index) -> tensor<?x16xf32>
  return %0, %1 : tensor<?x16xf32>, tensor<?x16xf32>
}
