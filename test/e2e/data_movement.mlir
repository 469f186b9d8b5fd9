// reshape (ONNX 0 / -1), transpose, concat, slice (steps, negative bounds), broadcast,
// gather (negative indices) and embedding.
// RUN: heed-compile %s --target=all -o %t.heedm
// RUN: rm -rf %t.d && mkdir -p %t.d && %python %S/gen_refs.py data_movement %t.d
// RUN: heed-run %t.heedm --function=move --input=@%t.d/x_3.npy --input=@%t.d/y_3.npy \
// RUN:   --expected-output=@%t.d/heads_3.npy --expected-output=@%t.d/cat_3.npy \
// RUN:   --expected-output=@%t.d/sl_3.npy --expected-output=@%t.d/bc_3.npy \
// RUN:   --expected-output=@%t.d/flat_3.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=move --input=@%t.d/x_3.npy --input=@%t.d/y_3.npy \
// RUN:   --expected-output=@%t.d/heads_3.npy --expected-output=@%t.d/cat_3.npy \
// RUN:   --expected-output=@%t.d/sl_3.npy --expected-output=@%t.d/bc_3.npy \
// RUN:   --expected-output=@%t.d/flat_3.npy %}
// RUN: heed-run %t.heedm --function=move --input=@%t.d/x_8.npy --input=@%t.d/y_8.npy \
// RUN:   --expected-output=@%t.d/heads_8.npy --expected-output=@%t.d/cat_8.npy \
// RUN:   --expected-output=@%t.d/sl_8.npy --expected-output=@%t.d/bc_8.npy \
// RUN:   --expected-output=@%t.d/flat_8.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=move --input=@%t.d/x_8.npy --input=@%t.d/y_8.npy \
// RUN:   --expected-output=@%t.d/heads_8.npy --expected-output=@%t.d/cat_8.npy \
// RUN:   --expected-output=@%t.d/sl_8.npy --expected-output=@%t.d/bc_8.npy \
// RUN:   --expected-output=@%t.d/flat_8.npy %}
// RUN: heed-run %t.heedm --function=lookup --input=@%t.d/table_3.npy --input=@%t.d/ids_3.npy \
// RUN:   --input=@%t.d/x_3.npy --input=@%t.d/gi_3.npy \
// RUN:   --expected-output=@%t.d/emb_3.npy --expected-output=@%t.d/gat_3.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=lookup --input=@%t.d/table_3.npy --input=@%t.d/ids_3.npy \
// RUN:   --input=@%t.d/x_3.npy --input=@%t.d/gi_3.npy \
// RUN:   --expected-output=@%t.d/emb_3.npy --expected-output=@%t.d/gat_3.npy %}
// RUN: heed-run %t.heedm --function=lookup --input=@%t.d/table_8.npy --input=@%t.d/ids_8.npy \
// RUN:   --input=@%t.d/x_8.npy --input=@%t.d/gi_8.npy \
// RUN:   --expected-output=@%t.d/emb_8.npy --expected-output=@%t.d/gat_8.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=lookup --input=@%t.d/table_8.npy --input=@%t.d/ids_8.npy \
// RUN:   --input=@%t.d/x_8.npy --input=@%t.d/gi_8.npy \
// RUN:   --expected-output=@%t.d/emb_8.npy --expected-output=@%t.d/gat_8.npy %}
// A huge step (a model's "to the end" sentinel) takes one element on both devices; the length
// (end - start - 1) / step + 1 never overflows (the Vulkan driver's once did: sliceRange).
// RUN: heed-run %t.heedm --function=huge_step --input="1x4xf32=[1 2 3 4]" \
// RUN:   --expected-output="1x1xf32=[2]"
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=huge_step \
// RUN:   --input="1x4xf32=[1 2 3 4]" --expected-output="1x1xf32=[2]" %}
// A KV cache grown by one step, over 1 MiB: the CPU shares the copies among its threads.
// RUN: heed-run %t.heedm --function=grow --input=@%t.d/cache.npy --input=@%t.d/step.npy \
// RUN:   --expected-output=@%t.d/grown.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=grow --input=@%t.d/cache.npy \
// RUN:   --input=@%t.d/step.npy --expected-output=@%t.d/grown.npy %}

func.func @grow(%cache: tensor<?x8x?x64xf32>, %step: tensor<?x8x1x64xf32>) -> tensor<?x8x?x64xf32> {
  %g = heed.concat %cache, %step {axis = 2 : i64} : (tensor<?x8x?x64xf32>, tensor<?x8x1x64xf32>) -> tensor<?x8x?x64xf32>
  return %g : tensor<?x8x?x64xf32>
}

func.func @move(%x: tensor<?x?x8xf32>, %y: tensor<?x1x8xf32>) -> (tensor<?x2x?x4xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?xf32>) {
  %r = heed.reshape %x {shape = array<i64: 0, 0, 2, 4>} : (tensor<?x?x8xf32>) -> tensor<?x?x2x4xf32>
  %h = heed.transpose %r {permutation = array<i64: 0, 2, 1, 3>} : (tensor<?x?x2x4xf32>) -> tensor<?x2x?x4xf32>
  %c = heed.concat %x, %y, %x {axis = 1} : (tensor<?x?x8xf32>, tensor<?x1x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  %s = heed.slice %c {axis = 1, start = -5, end = 100, step = 2} : (tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  %b = heed.broadcast %y, %x : (tensor<?x1x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  %f = heed.reshape %x {shape = array<i64: 0, -1>} : (tensor<?x?x8xf32>) -> tensor<?x?xf32>
  return %h, %c, %s, %b, %f : tensor<?x2x?x4xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?xf32>
}

func.func @lookup(%table: tensor<10x8xf32>, %ids: tensor<?x?xi64>, %x: tensor<?x?x8xf32>, %gi: tensor<?xi32>) -> (tensor<?x?x8xf32>, tensor<?x?x8xf32>) {
  %e = heed.embedding %table, %ids : (tensor<10x8xf32>, tensor<?x?xi64>) -> tensor<?x?x8xf32>
  %g = heed.gather %x, %gi {axis = 1} : (tensor<?x?x8xf32>, tensor<?xi32>) -> tensor<?x?x8xf32>
  return %e, %g : tensor<?x?x8xf32>, tensor<?x?x8xf32>
}

func.func @huge_step(%x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %s = heed.slice %x {axis = 1, start = 1, end = 9223372036854775807, step = 9223372036854775807} : (tensor<?x?xf32>) -> tensor<?x?xf32>
  return %s : tensor<?x?xf32>
}
