// heed.floor on both devices: halves round down (not to even), negative values away from zero,
// integers and infinities stay, NaN stays NaN. (The op that docs/adding-an-op.md adds.)
// RUN: heed-compile %s --target=all -o %t.heedm
// RUN: heed-run %t.heedm --input="8xf32=[-1.5 -0.5 0.5 1.5 2.0 -3.0 7.999 -7.001]" \
// RUN:   --expected-output="8xf32=[-2 -1 0 1 2 -3 7 -8]"
// RUN: heed-run %t.heedm --input="3xf32=[inf -inf nan]" | FileCheck %s
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm \
// RUN:   --input="8xf32=[-1.5 -0.5 0.5 1.5 2.0 -3.0 7.999 -7.001]" \
// RUN:   --expected-output="8xf32=[-2 -1 0 1 2 -3 7 -8]" %}
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --input="3xf32=[inf -inf nan]" | FileCheck %s %}
// CHECK: 3xf32=[inf -inf nan]

func.func @main(%x: tensor<?xf32>) -> tensor<?xf32> {
  %y = heed.floor %x : (tensor<?xf32>) -> tensor<?xf32>
  return %y : tensor<?xf32>
}
