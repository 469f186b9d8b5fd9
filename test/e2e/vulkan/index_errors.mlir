// Out-of-range ids found by a Vulkan kernel are reported after the run with the CPU's message.
// REQUIRES: vulkan
// RUN: heed-compile %s --target=vulkan -o %t.heedm
// RUN: not heed-run %t.heedm --device=vulkan --input="5x4xf32=[1 2 3 4][5 6 7 8][9 10 11 12][13 14 15 16][17 18 19 20]" \
// RUN:   --input="4xi64=[4 0 5 -1]" 2>&1 | FileCheck %s
// CHECK: heed-run: {{.*}}index_errors.mlir:[[@LINE+5]]:8: 'heed.embedding' id 5 at position 2 is out of range [0, 5)
// RUN: heed-run %t.heedm --device=vulkan --input="5x4xf32=[1 2 3 4][5 6 7 8][9 10 11 12][13 14 15 16][17 18 19 20]" \
// RUN:   --input="2xi64=[4 0]" --expected-output="2x4xf32=[17 18 19 20][1 2 3 4]"

func.func @main(%t: tensor<5x4xf32>, %ids: tensor<?xi64>) -> tensor<?x4xf32> {
  %e = heed.embedding %t, %ids : (tensor<5x4xf32>, tensor<?xi64>) -> tensor<?x4xf32>
  return %e : tensor<?x4xf32>
}
