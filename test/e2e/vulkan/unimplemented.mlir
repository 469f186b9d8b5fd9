// An op without a Vulkan kernel: --target=vulkan refuses it at compile time, --target=all records
// it and the Vulkan driver refuses the module when it loads it (never a CPU fallback), while the
// CPU still runs the module.
// REQUIRES: vulkan
// RUN: not heed-compile %s --target=vulkan -o %t.v 2>&1 | FileCheck %s --check-prefix=COMPILE
// COMPILE: unimplemented.mlir:[[@LINE+11]]:10: error: 'heed.rnn' has no vulkan shader yet (unimplemented on vulkan)
// RUN: heed-compile %s --target=all -o %t.heedm
// RUN: not heed-run %t.heedm --device=vulkan --input="2x1x1xf32=[[1]][[2]]" --input="1x1xf32=[0.5]" --input="1x1xf32=[0.25]" 2>&1 \
// RUN:   | FileCheck %s --check-prefix=PREPARE
// PREPARE: heed-run: {{.*}}unimplemented.mlir:[[@LINE+7]]:10: 'heed.rnn' has no vulkan shader yet (unimplemented on vulkan)
// RUN: heed-run %t.heedm --input="2x1x1xf32=[[1]][[2]]" --input="1x1xf32=[0.5]" --input="1x1xf32=[0.25]" --output=@%t.npy
// RUN: not heed-run %t.heedm --device=vulkan:7 --input="2x1x1xf32=[[1]][[2]]" --input="1x1xf32=[0.5]" --input="1x1xf32=[0.25]" 2>&1 \
// RUN:   | FileCheck %s --check-prefix=INDEX
// INDEX: heed-run: vulkan: no device 7 (found {{[0-9]+}})

func.func @main(%x: tensor<?x1x1xf32>, %x0: tensor<1x1xf32>, %u0: tensor<1x1xf32>) -> tensor<?x1x1xf32> {
  %y:2 = heed.rnn %x weights(%x0, %u0) {hidden_size = 1, has_biases = false} : (tensor<?x1x1xf32>, tensor<1x1xf32>, tensor<1x1xf32>) -> (tensor<?x1x1xf32>, tensor<1x1x1xf32>)
  return %y#0 : tensor<?x1x1xf32>
}
