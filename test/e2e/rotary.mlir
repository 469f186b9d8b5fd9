// heed.rotary (heed-fuse-rotary's op) against numpy in float64: [L, D] tables broadcast over the
// batch and heads, and per-batch [B, 1, L, D] tables with x broadcast along the batch; the
// interleaved pairs (GPT-J's rotate_every_two) on the same tables; two lengths; CPU (default, plain
// loops, scalar) and Vulkan. Tables of another length fail with the shapes named.
// RUN: heed-compile %s --target=all -o %t.heedm
// RUN: rm -rf %t.d && mkdir -p %t.d && %python %S/gen_refs.py rotary %t.d
// RUN: heed-run %t.heedm --function=tables --input=@%t.d/x_5.npy --input=@%t.d/cos_5.npy --input=@%t.d/sin_5.npy --expected-output=@%t.d/y_5.npy
// RUN: heed-run %t.heedm --function=tables --input=@%t.d/x_9.npy --input=@%t.d/cos_9.npy --input=@%t.d/sin_9.npy --expected-output=@%t.d/y_9.npy
// RUN: env HEED_CPU_NO_DNNL=1 heed-run %t.heedm --function=tables --input=@%t.d/x_9.npy --input=@%t.d/cos_9.npy --input=@%t.d/sin_9.npy --expected-output=@%t.d/y_9.npy
// RUN: env HEED_CPU_ISA=scalar heed-run %t.heedm --function=tables --input=@%t.d/x_9.npy --input=@%t.d/cos_9.npy --input=@%t.d/sin_9.npy --expected-output=@%t.d/y_9.npy
// RUN: heed-run %t.heedm --function=per_batch --input=@%t.d/xb_5.npy --input=@%t.d/cb_5.npy --input=@%t.d/sb_5.npy --expected-output=@%t.d/yb_5.npy
// RUN: heed-run %t.heedm --function=per_batch --input=@%t.d/xb_9.npy --input=@%t.d/cb_9.npy --input=@%t.d/sb_9.npy --expected-output=@%t.d/yb_9.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=tables --input=@%t.d/x_9.npy --input=@%t.d/cos_9.npy --input=@%t.d/sin_9.npy --expected-output=@%t.d/y_9.npy %}
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=per_batch --input=@%t.d/xb_5.npy --input=@%t.d/cb_5.npy --input=@%t.d/sb_5.npy --expected-output=@%t.d/yb_5.npy %}
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=per_batch --input=@%t.d/xb_9.npy --input=@%t.d/cb_9.npy --input=@%t.d/sb_9.npy --expected-output=@%t.d/yb_9.npy %}
// RUN: heed-run %t.heedm --function=interleaved --input=@%t.d/x_5.npy --input=@%t.d/cos_5.npy --input=@%t.d/sin_5.npy --expected-output=@%t.d/yi_5.npy
// RUN: heed-run %t.heedm --function=interleaved --input=@%t.d/x_9.npy --input=@%t.d/cos_9.npy --input=@%t.d/sin_9.npy --expected-output=@%t.d/yi_9.npy
// RUN: env HEED_CPU_ISA=scalar heed-run %t.heedm --function=interleaved --input=@%t.d/x_9.npy --input=@%t.d/cos_9.npy --input=@%t.d/sin_9.npy --expected-output=@%t.d/yi_9.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=interleaved --input=@%t.d/x_9.npy --input=@%t.d/cos_9.npy --input=@%t.d/sin_9.npy --expected-output=@%t.d/yi_9.npy %}
// RUN: not heed-run %t.heedm --function=interleaved --input=@%t.d/x_9.npy --input=@%t.d/cos_9.npy --input=@%t.d/sin_9.npy --expected-output=@%t.d/y_9.npy
// RUN: not heed-run %t.heedm --function=tables --input=@%t.d/x_9.npy --input=@%t.d/cos_5.npy --input=@%t.d/sin_5.npy 2>&1 | FileCheck %s
// RUN: %if vulkan %{ not heed-run --device=vulkan %t.heedm --function=tables --input=@%t.d/x_9.npy --input=@%t.d/cos_5.npy --input=@%t.d/sin_5.npy 2>&1 | FileCheck %s %}
// CHECK: 'heed.rotary' cannot broadcast operands of shapes 2x3x9x8xf32 and 5x8xf32 and 5x8xf32

func.func @tables(%x: tensor<?x3x?x8xf32>, %cos: tensor<?x8xf32>, %sin: tensor<?x8xf32>) -> tensor<?x3x?x8xf32> {
  %y = heed.rotary %x cos %cos sin %sin : (tensor<?x3x?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x3x?x8xf32>
  return %y : tensor<?x3x?x8xf32>
}

func.func @per_batch(%x: tensor<1x3x?x8xf32>, %cos: tensor<?x1x?x8xf32>, %sin: tensor<?x1x?x8xf32>) -> tensor<?x3x?x8xf32> {
  %y = heed.rotary %x cos %cos sin %sin : (tensor<1x3x?x8xf32>, tensor<?x1x?x8xf32>, tensor<?x1x?x8xf32>) -> tensor<?x3x?x8xf32>
  return %y : tensor<?x3x?x8xf32>
}

func.func @interleaved(%x: tensor<?x3x?x8xf32>, %cos: tensor<?x8xf32>, %sin: tensor<?x8xf32>) -> tensor<?x3x?x8xf32> {
  %y = heed.rotary %x cos %cos sin %sin {interleaved = true} : (tensor<?x3x?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x3x?x8xf32>
  return %y : tensor<?x3x?x8xf32>
}
