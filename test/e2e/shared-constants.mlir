// Equal constant bytes are stored once in a module (an encoder and a decoder compiled together
// share their embeddings): two functions each holding the same 16 KiB of weights, one of them
// also as [64, 64], make a module with one copy (< 24 KiB), and every function still reads its
// own constant with its own dims, on both devices. (Three copies would take 51 KiB.)
// RUN: heed-compile %s -o %t.cpu.heedm
// RUN: %python -c "import os, sys; n = os.path.getsize(sys.argv[1]); print(n); sys.exit(n >= 24576)" %t.cpu.heedm
// RUN: heed-compile %s --target=all -o %t.heedm
// RUN: heed-run %t.heedm --function=first --input="4096xf32=0" | FileCheck %s --check-prefix=FIRST
// RUN: heed-run %t.heedm --function=second --input="64x64xf32=1" | FileCheck %s --check-prefix=SECOND
// RUN: %if vulkan %{ heed-run %t.heedm --device=vulkan --function=second --input="64x64xf32=1" | FileCheck %s --check-prefix=SECOND %}
// FIRST: 4096xf32=[1.5 1.5 1.5
// SECOND: 64x64xf32=[2.5 2.5 2.5

func.func @first(%x: tensor<4096xf32>) -> tensor<4096xf32> {
  %w = heed.constant dense<1.5> : tensor<4096xf32>
  %y = heed.add %x, %w : (tensor<4096xf32>, tensor<4096xf32>) -> tensor<4096xf32>
  return %y : tensor<4096xf32>
}

func.func @second(%x: tensor<64x64xf32>) -> tensor<64x64xf32> {
  %w = heed.constant dense<1.5> : tensor<64x64xf32>
  %v = heed.constant dense<1.5> : tensor<4096xf32>
  %r = heed.reshape %v {shape = array<i64: 64, 64>} : (tensor<4096xf32>) -> tensor<64x64xf32>
  %s = heed.add %x, %w : (tensor<64x64xf32>, tensor<64x64xf32>) -> tensor<64x64xf32>
  %y = heed.add %s, %r : (tensor<64x64xf32>, tensor<64x64xf32>) -> tensor<64x64xf32>
  %z = heed.sub %y, %r : (tensor<64x64xf32>, tensor<64x64xf32>) -> tensor<64x64xf32>
  return %z : tensor<64x64xf32>
}
