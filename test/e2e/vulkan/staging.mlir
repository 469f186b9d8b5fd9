// The staging path (device-local tensors, inputs/constants/outputs copied through host-visible
// buffers in the same submission), forced on lavapipe's unified memory with
// HEED_VULKAN_FORCE_STAGING=1: outputs that are constants, inputs or computed values of every
// element type, and a kernel's data error whose bad id must be read back from device memory.
// REQUIRES: vulkan
// RUN: heed-compile %s --target=vulkan -o %t.heedm
// RUN: env HEED_VULKAN_FORCE_STAGING=1 HEED_VULKAN_DEBUG=1 heed-run %t.heedm --device=vulkan --function=mixed \
// RUN:   --input="2x3xf32=[1 2 3][4 5 6]" --input="3xi64=[7 8 9]" \
// RUN:   --expected-output="2x3xf32=[11 22 33][14 25 36]" --expected-output="3xf32=[10 20 30]" \
// RUN:   --expected-output="3xi64=[7 8 9]" --expected-output="2x3xi1=[0 0 1][1 1 1]" 2>&1 | FileCheck %s --check-prefix=MIXED
// MIXED: heed-vulkan: memory: device-local tensors, staging copies
// RUN: env HEED_VULKAN_FORCE_STAGING=1 heed-run %t.heedm --device=vulkan --function=embed \
// RUN:   --input="5x4xf32=[1 2 3 4][5 6 7 8][9 10 11 12][13 14 15 16][17 18 19 20]" \
// RUN:   --input="2xi64=[4 0]" --expected-output="2x4xf32=[17 18 19 20][1 2 3 4]"
// RUN: env HEED_VULKAN_FORCE_STAGING=1 not heed-run %t.heedm --device=vulkan --function=embed \
// RUN:   --input="5x4xf32=[1 2 3 4][5 6 7 8][9 10 11 12][13 14 15 16][17 18 19 20]" \
// RUN:   --input="4xi64=[4 0 5 -1]" 2>&1 | FileCheck %s --check-prefix=BADID
// BADID: heed-run: {{.*}}staging.mlir:[[@LINE+11]]:8: 'heed.embedding' id 5 at position 2 is out of range [0, 5)

func.func @mixed(%x: tensor<2x3xf32>, %i: tensor<3xi64>) -> (tensor<2x3xf32>, tensor<3xf32>, tensor<3xi64>, tensor<2x3xi1>) {
  %c = heed.constant dense<[10.0, 20.0, 30.0]> : tensor<3xf32>
  %y = heed.add %x, %c : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %t = heed.constant dense<3.0> : tensor<f32>
  %b = heed.compare ge, %x, %t : (tensor<2x3xf32>, tensor<f32>) -> tensor<2x3xi1>
  return %y, %c, %i, %b : tensor<2x3xf32>, tensor<3xf32>, tensor<3xi64>, tensor<2x3xi1>
}

func.func @embed(%t: tensor<5x4xf32>, %ids: tensor<?xi64>) -> tensor<?x4xf32> {
  %e = heed.embedding %t, %ids : (tensor<5x4xf32>, tensor<?xi64>) -> tensor<?x4xf32>
  return %e : tensor<?x4xf32>
}
