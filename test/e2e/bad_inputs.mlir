// Every user error exits 1 with a message naming the place; none is a crash.
// RUN: heed-compile %s -o %t.heedm
// Wrong number of inputs, wrong shape, wrong dtype, a bad literal, a missing file:
// RUN: not heed-run %t.heedm --input="2x3xi64=[1 2 3][4 5 6]" 2>&1 | FileCheck %s --check-prefix=COUNT
// COUNT: heed-run: function 'main' takes 2 inputs (ids: tensor<?x?xi64>, table: tensor<5x4xf32>), got 1; input 1 ('table') is missing
// RUN: not heed-run %t.heedm --input="2x3xi64=[1 2 3][4 5 6]" --input="5x3xf32=0" 2>&1 | FileCheck %s --check-prefix=SHAPE
// SHAPE: heed-run: input 1 ('table') of function 'main' expects tensor<5x4xf32>, got 5x3xf32 (dim 1)
// RUN: not heed-run %t.heedm --input="2x3xi32=[1 2 3][4 5 6]" --input="5x4xf32=0" 2>&1 | FileCheck %s --check-prefix=DTYPE
// DTYPE: heed-run: input 0 ('ids') of function 'main' expects tensor<?x?xi64>, got 2x3xi32
// RUN: not heed-run %t.heedm --input="2x3xi64=[1 2 3]" --input="5x4xf32=0" 2>&1 | FileCheck %s --check-prefix=LITERAL
// LITERAL: heed-run: input 0 ('ids'): literal '2x3xi64=[1 2 3]' has 3 values, its shape needs 6
// RUN: not heed-run %t.heedm --input=@%t.nope.npy --input="5x4xf32=0" 2>&1 | FileCheck %s --check-prefix=NOFILE
// NOFILE: heed-run: input 0 ('ids'): {{.*}}nope.npy: cannot open: No such file or directory
// RUN: not heed-run %t.heedm --input=table=@%t.nope.npy --input=idz=@x.npy 2>&1 | FileCheck %s --check-prefix=NAME
// NAME: heed-run: --input=idz=@x.npy: function 'main' has no input named 'idz'; its inputs are (ids: tensor<?x?xi64>, table: tensor<5x4xf32>)
// Out-of-range and negative embedding ids are run-time errors at the op's location:
// RUN: not heed-run %t.heedm --input="1x3xi64=[0 5 1]" --input="5x4xf32=1" 2>&1 | FileCheck %s --check-prefix=RANGE
// RANGE: heed-run: {{.*}}bad_inputs.mlir:[[@LINE+34]]:8: 'heed.embedding' id 5 at position 1 is out of range [0, 5)
// RUN: not heed-run %t.heedm --input="1x3xi64=[0 -1 1]" --input="5x4xf32=1" 2>&1 | FileCheck %s --check-prefix=NEG
// NEG: 'heed.embedding' id -1 at position 1 is out of range [0, 5)
// A mismatch against the expected output names the element:
// RUN: not heed-run %t.heedm --input="1x2xi64=[0 1]" --input="5x4xf32=1" --expected-output="1x2x4xf32=[[1 1 1 1][1 1 1 1.5]]" 2>&1 | FileCheck %s --check-prefix=MISMATCH
// MISMATCH: output 0: max abs error 0.5, max rel error 0.333, MISMATCH
// MISMATCH: heed-run: output 0 does not match the expected output: 1 elements outside atol 0.000100 / rtol 0.001000; first at [0, 1, 3]: got 1, expected 1.5
// Corrupt, truncated, wrong-version and non-module files:
// RUN: %python -c "import sys; b = bytearray(open(sys.argv[1], 'rb').read()); b[len(b) // 2] ^= 0xFF; open(sys.argv[2], 'wb').write(b)" %t.heedm %t.corrupt
// RUN: not heed-run %t.corrupt --input="1x1xi64=0" --input="5x4xf32=1" 2>&1 | FileCheck %s --check-prefix=CORRUPT
// CORRUPT: heed-run: {{.*}}.corrupt: invalid module: checksum mismatch (the file is corrupt)
// RUN: head -c 200 %t.heedm > %t.trunc
// RUN: not heed-run %t.trunc 2>&1 | FileCheck %s --check-prefix=TRUNC
// TRUNC: heed-run: {{.*}}.trunc: invalid module: file is 200 bytes but the header says {{[0-9]+}} (truncated)
// RUN: %python -c "import sys; b = bytearray(open(sys.argv[1], 'rb').read()); b[8] = 99; open(sys.argv[2], 'wb').write(b)" %t.heedm %t.version
// RUN: not heed-run %t.version 2>&1 | FileCheck %s --check-prefix=VERSION
// VERSION: heed-run: {{.*}}.version: invalid module: format version 99, this runtime reads version 1; recompile the model with this heed-compile
// RUN: not heed-run %s.nothing.heedm 2>&1 | FileCheck %s --check-prefix=MISSINGMOD
// MISSINGMOD: heed-run: {{.*}}nothing.heedm: cannot open module file
// RUN: not heed-run %S/gen_refs.py 2>&1 | FileCheck %s --check-prefix=NOTMOD
// NOTMOD: heed-run: {{.*}}gen_refs.py: invalid module: not a Heed module (bad magic)
// Unknown function and device:
// RUN: not heed-run %t.heedm --function=decode 2>&1 | FileCheck %s --check-prefix=FUNC
// FUNC: heed-run: {{.*}} has no function 'decode'; it has: main
// RUN: not heed-run %t.heedm --device=vulkan 2>&1 | FileCheck %s --check-prefix=VULKAN
// VULKAN: heed-run: {{.*}}: the module has no vulkan kernels; compile it with --target=vulkan or --target=all
// RUN: not heed-run %t.heedm --device=metal 2>&1 | FileCheck %s --check-prefix=DEVICE
// DEVICE: heed-run: unknown --device 'metal'; expected cpu, vulkan or vulkan:N
// RUN: not heed-run %t.heedm --device=vulkan:x 2>&1 | FileCheck %s --check-prefix=VKINDEX
// VKINDEX: heed-run: bad device 'vulkan:x'; expected vulkan:N
// RUN: not heed-compile %s --target=metal -o %t.v 2>&1 | FileCheck %s --check-prefix=TARGET
// TARGET: unknown --target 'metal'; expected cpu, vulkan or all

func.func @main(%ids: tensor<?x?xi64> {heed.name = "ids"}, %table: tensor<5x4xf32> {heed.name = "table"}) -> tensor<?x?x4xf32> {
  %e = heed.embedding %table, %ids : (tensor<5x4xf32>, tensor<?x?xi64>) -> tensor<?x?x4xf32>
  return %e : tensor<?x?x4xf32>
}
