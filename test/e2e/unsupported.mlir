// An op the cpu target cannot lower is a located compile error, not a crash.
// RUN: not heed-compile %s -o %t.heedm 2>&1 | FileCheck %s
// CHECK: unsupported.mlir:[[@LINE+3]]:8: error: 'arith.shli' is not supported by the cpu target

func.func @main(%a: index) -> index {
  %c = arith.shli %a, %a : index
  return %c : index
}
