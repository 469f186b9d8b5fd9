// Attention whose keys or values broadcast the batch ([1, Lk, D] against [2, Lq, D] queries) is
// fused into heed.attention, which both drivers run with a batch stride of 0 for that operand
// (it once failed at run time: "inconsistent query 2x3x8xf32, key 1x4x8xf32 ..."). References:
// numpy (gen_refs.py attention_broadcast_kv).
// RUN: heed-compile %s --emit=mlir | FileCheck %s --check-prefix=FUSED
// FUSED-COUNT-4: heed.attention
// FUSED-NOT: heed.softmax
// RUN: heed-compile %s --target=all -o %t.heedm
// RUN: rm -rf %t.d && mkdir -p %t.d && %python %S/gen_refs.py attention_broadcast_kv %t.d
// RUN: heed-run %t.heedm --function=k1v2 --input=@%t.d/q.npy --input=@%t.d/k1.npy \
// RUN:   --input=@%t.d/v2.npy --expected-output=@%t.d/k1v2.npy
// RUN: heed-run %t.heedm --function=k2v1 --input=@%t.d/q.npy --input=@%t.d/k2.npy \
// RUN:   --input=@%t.d/v1.npy --expected-output=@%t.d/k2v1.npy
// RUN: heed-run %t.heedm --function=k1v1 --input=@%t.d/q.npy --input=@%t.d/k1.npy \
// RUN:   --input=@%t.d/v1.npy --expected-output=@%t.d/k1v1.npy
// RUN: heed-run %t.heedm --function=packed --input=@%t.d/xq.npy --input=@%t.d/xkv.npy \
// RUN:   --expected-output=@%t.d/packed.npy
// RUN: %if vulkan %{ heed-run %t.heedm --device=vulkan --function=packed --input=@%t.d/xq.npy \
// RUN:   --input=@%t.d/xkv.npy --expected-output=@%t.d/packed.npy %}
// RUN: env HEED_CPU_NO_DNNL=1 heed-run %t.heedm --function=k1v2 --input=@%t.d/q.npy \
// RUN:   --input=@%t.d/k1.npy --input=@%t.d/v2.npy --expected-output=@%t.d/k1v2.npy
// RUN: %if vulkan %{ heed-run %t.heedm --device=vulkan --function=k1v2 --input=@%t.d/q.npy \
// RUN:   --input=@%t.d/k1.npy --input=@%t.d/v2.npy --expected-output=@%t.d/k1v2.npy %}
// RUN: %if vulkan %{ heed-run %t.heedm --device=vulkan --function=k2v1 --input=@%t.d/q.npy \
// RUN:   --input=@%t.d/k2.npy --input=@%t.d/v1.npy --expected-output=@%t.d/k2v1.npy %}
// RUN: %if vulkan %{ heed-run %t.heedm --device=vulkan --function=k1v1 --input=@%t.d/q.npy \
// RUN:   --input=@%t.d/k1.npy --input=@%t.d/v1.npy --expected-output=@%t.d/k1v1.npy %}

func.func @k1v2(%q: tensor<2x3x8xf32>, %k: tensor<1x4x8xf32>, %v: tensor<2x4x8xf32>) -> tensor<2x3x8xf32> {
  %s = heed.matmul %q, %k {transpose_b = true} : (tensor<2x3x8xf32>, tensor<1x4x8xf32>) -> tensor<2x3x4xf32>
  %c = arith.constant dense<0.35355339> : tensor<f32>
  %t = heed.mul %s, %c : (tensor<2x3x4xf32>, tensor<f32>) -> tensor<2x3x4xf32>
  %p = heed.softmax %t {axis = -1} : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  %o = heed.matmul %p, %v : (tensor<2x3x4xf32>, tensor<2x4x8xf32>) -> tensor<2x3x8xf32>
  return %o : tensor<2x3x8xf32>
}

func.func @k2v1(%q: tensor<2x3x8xf32>, %k: tensor<2x4x8xf32>, %v: tensor<1x4x8xf32>) -> tensor<2x3x8xf32> {
  %s = heed.matmul %q, %k {transpose_b = true} : (tensor<2x3x8xf32>, tensor<2x4x8xf32>) -> tensor<2x3x4xf32>
  %c = arith.constant dense<0.35355339> : tensor<f32>
  %t = heed.mul %s, %c : (tensor<2x3x4xf32>, tensor<f32>) -> tensor<2x3x4xf32>
  %p = heed.softmax %t {axis = -1} : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  %o = heed.matmul %p, %v : (tensor<2x3x4xf32>, tensor<1x4x8xf32>) -> tensor<2x3x8xf32>
  return %o : tensor<2x3x8xf32>
}

func.func @k1v1(%q: tensor<2x3x8xf32>, %k: tensor<1x4x8xf32>, %v: tensor<1x4x8xf32>) -> tensor<2x3x8xf32> {
  %s = heed.matmul %q, %k {transpose_b = true} : (tensor<2x3x8xf32>, tensor<1x4x8xf32>) -> tensor<2x3x4xf32>
  %c = arith.constant dense<0.35355339> : tensor<f32>
  %t = heed.mul %s, %c : (tensor<2x3x4xf32>, tensor<f32>) -> tensor<2x3x4xf32>
  %p = heed.softmax %t {axis = -1} : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  %o = heed.matmul %p, %v : (tensor<2x3x4xf32>, tensor<1x4x8xf32>) -> tensor<2x3x8xf32>
  return %o : tensor<2x3x8xf32>
}

// The packed-heads layout ([B, L, H*D] with num_heads) takes a batch-1 key and value too.
func.func @packed(%q: tensor<2x3x16xf32>, %kv: tensor<1x4x16xf32>) -> tensor<2x3x16xf32> {
  %o = heed.attention %q, %kv, %kv {scale = 0.35355339 : f32, num_heads = 2} : (tensor<2x3x16xf32>, tensor<1x4x16xf32>, tensor<1x4x16xf32>) -> tensor<2x3x16xf32>
  return %o : tensor<2x3x16xf32>
}
