// heed-run --trace writes a Chrome trace with one "X" event per executed op, each naming its op
// kind, location, operand and result shapes and the device; the count matches --print-stats.
// RUN: heed-compile %s -o %t.heedm
// RUN: heed-run %t.heedm --function=block --input="2x3x4xf32=0.5" --input="2x5x4xf32=0.25" \
// RUN:   --input="4x4xf32=1" --repeat=2 --print-stats --trace=%t.json > %t.out
// RUN: %python %S/check_trace.py %t.json %t.out | FileCheck %s
// The Vulkan driver times each op between two GPU timestamp queries of its one command buffer.
// RUN: %if vulkan %{ heed-compile --target=all %s -o %t.all.heedm %}
// RUN: %if vulkan %{ heed-run %t.all.heedm --device=vulkan --function=block --input="2x3x4xf32=0.5" \
// RUN:   --input="2x5x4xf32=0.25" --input="4x4xf32=1" --print-stats --trace=%t.vk.json > %t.vk.out %}
// RUN: %if vulkan %{ %python %S/check_trace.py %t.vk.json %t.vk.out | FileCheck %s --check-prefix=VK %}
// RUN: not heed-run %t.heedm --function=block --input="2x3x4xf32=0.5" --input="2x5x4xf32=0.25" \
// RUN:   --input="4x4xf32=1" --trace=%t.missing/dir/x.json 2>&1 | FileCheck %s --check-prefix=BAD

// CHECK: events 3 ops 3
// CHECK: heed.linear 2x3x4xf32, 4x4xf32 -> 2x3x4xf32 cpu
// CHECK: heed.attention 2x3x4xf32, 2x5x4xf32, 2x5x4xf32 -> 2x3x4xf32 cpu
// CHECK: heed.add 2x3x4xf32, 2x3x4xf32 -> 2x3x4xf32 cpu
// VK: events 3 ops 3
// VK: heed.linear 2x3x4xf32, 4x4xf32 -> 2x3x4xf32 vulkan
// VK: heed.attention 2x3x4xf32, 2x5x4xf32, 2x5x4xf32 -> 2x3x4xf32 vulkan
// VK: heed.add 2x3x4xf32, 2x3x4xf32 -> 2x3x4xf32 vulkan
// BAD: heed-run: cannot write trace file: {{.*}}x.json: cannot write: No such file or directory

func.func @block(%x: tensor<2x3x4xf32>, %kv: tensor<2x5x4xf32>, %w: tensor<4x4xf32>) -> tensor<2x3x4xf32> {
  %q = heed.linear %x, %w : (tensor<2x3x4xf32>, tensor<4x4xf32>) -> tensor<2x3x4xf32>
  %o = heed.attention %q, %kv, %kv {scale = 0.5 : f32} : (tensor<2x3x4xf32>, tensor<2x5x4xf32>, tensor<2x5x4xf32>) -> tensor<2x3x4xf32>
  %y = heed.add %o, %x : (tensor<2x3x4xf32>, tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  return %y : tensor<2x3x4xf32>
}
