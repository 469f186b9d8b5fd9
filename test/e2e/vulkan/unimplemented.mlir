// An op without a Vulkan kernel (here: f64 exp, which GLSL lacks): --target=vulkan refuses it at
// compile time, --target=all records it and the Vulkan driver refuses the module when it loads it
// (never a CPU fallback), while the CPU still runs the module.
// REQUIRES: vulkan
// RUN: not heed-compile %s --target=vulkan -o %t.v 2>&1 | FileCheck %s --check-prefix=COMPILE
// COMPILE: unimplemented.mlir:[[@LINE+11]]:8: error: 'heed.exp' has no f64 shader on vulkan (GLSL has no double exp, log or erf) (unimplemented on vulkan)
// RUN: heed-compile %s --target=all -o %t.heedm
// RUN: not heed-run %t.heedm --device=vulkan --input="2xf64=[1 2]" 2>&1 \
// RUN:   | FileCheck %s --check-prefix=PREPARE
// PREPARE: heed-run: {{.*}}unimplemented.mlir:[[@LINE+7]]:8: 'heed.exp' has no f64 shader on vulkan (GLSL has no double exp, log or erf) (unimplemented on vulkan)
// RUN: heed-run %t.heedm --input="2xf64=[0 0]" --expected-output="2xf64=[1 1]"
// RUN: not heed-run %t.heedm --device=vulkan:7 --input="2xf64=[1 2]" 2>&1 \
// RUN:   | FileCheck %s --check-prefix=INDEX
// INDEX: heed-run: vulkan: no device 7 (found {{[0-9]+}})

func.func @main(%x: tensor<?xf64>) -> tensor<?xf64> {
  %y = heed.exp %x : (tensor<?xf64>) -> tensor<?xf64>
  return %y : tensor<?xf64>
}
