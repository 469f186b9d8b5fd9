// Every .npy element type heed-run reads and writes (f32, f64, i32, i64, bool), through ops that
// keep or convert them; inputs as literals, outputs compared as literals and written as .npy.
// RUN: heed-compile %s -o %t.heedm
// RUN: heed-run %t.heedm --input="2x2xf64=[1.5 -2][3 0.25]" --input="2xi32=[3 -4]" \
// RUN:   --input="2xi64=[10 20]" --input="2x1xi1=[true][false]" \
// RUN:   --expected-output="2x2xf64=[4.5 -6][9 0.75]" --expected-output="2xi32=[6 -8]" \
// RUN:   --expected-output="2xi64=[13 16]" --expected-output="2x2xi1=[1 0][0 0]" \
// RUN:   --expected-output="2x2xf32=[1.5 -2][0 0]" | FileCheck %s
// CHECK-COUNT-5: max abs error {{.*}}, ok
// RUN: rm -rf %t.d && mkdir -p %t.d
// RUN: heed-run %t.heedm --input="2x2xf64=[1.5 -2][3 0.25]" --input="2xi32=[3 -4]" \
// RUN:   --input="2xi64=[10 20]" --input="2x1xi1=[true][false]" --output=@%t.d/f64.npy \
// RUN:   --output=@%t.d/i32.npy --output=@%t.d/i64.npy --output=@%t.d/bool.npy --output=@%t.d/f32.npy
// RUN: %python -c "import numpy as np, sys; d = sys.argv[1]; print(*[(n, np.load(d + '/' + n + '.npy').dtype, np.load(d + '/' + n + '.npy').tolist()) for n in ('f64', 'i32', 'i64', 'bool', 'f32')], sep='\n')" %t.d | FileCheck %s --check-prefix=NPY
// NPY: ('f64', dtype('float64'), {{\[}}[4.5, -6.0], [9.0, 0.75]])
// NPY: ('i32', dtype('int32'), [6, -8])
// NPY: ('i64', dtype('int64'), [13, 16])
// NPY: ('bool', dtype('bool'), {{\[}}[True, False], [False, False]])
// NPY: ('f32', dtype('float32'), {{\[}}[1.5, -2.0], [0.0, 0.0]])
// The written files read back as inputs:
// RUN: heed-run %t.heedm --input=@%t.d/f64.npy --input=@%t.d/i32.npy --input=@%t.d/i64.npy \
// RUN:   --input="2x1xi1=[1][0]" --expected-output="2x2xf64=[13.5 -18][27 2.25]" \
// RUN:   --expected-output="2xi32=[12 -16]" --expected-output="2xi64=[19 8]" \
// RUN:   --expected-output="2x2xi1=[1 0][0 0]" --expected-output="2x2xf32=[4.5 -6][0 0]"

func.func @main(%a: tensor<2x2xf64>, %b: tensor<2xi32>, %c: tensor<2xi64>, %m: tensor<2x1xi1>) -> (tensor<2x2xf64>, tensor<2xi32>, tensor<2xi64>, tensor<2x2xi1>, tensor<2x2xf32>) {
  %three = heed.constant dense<3.0> : tensor<f64>
  %0 = heed.mul %a, %three : (tensor<2x2xf64>, tensor<f64>) -> tensor<2x2xf64>
  %1 = heed.add %b, %b : (tensor<2xi32>, tensor<2xi32>) -> tensor<2xi32>
  %bc = heed.cast %b {to = i64} : (tensor<2xi32>) -> tensor<2xi64>
  %2 = heed.add %c, %bc : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
  %pos = heed.constant dense<0.0> : tensor<f64>
  %gt = heed.compare gt, %a, %pos : (tensor<2x2xf64>, tensor<f64>) -> tensor<2x2xi1>
  %3 = heed.and %gt, %m : (tensor<2x2xi1>, tensor<2x1xi1>) -> tensor<2x2xi1>
  %af = heed.cast %a {to = f32} : (tensor<2x2xf64>) -> tensor<2x2xf32>
  %zero = heed.constant dense<0.0> : tensor<f32>
  %4 = heed.where %m, %af, %zero : (tensor<2x1xi1>, tensor<2x2xf32>, tensor<f32>) -> tensor<2x2xf32>
  return %0, %1, %2, %3, %4 : tensor<2x2xf64>, tensor<2xi32>, tensor<2xi64>, tensor<2x2xi1>, tensor<2x2xf32>
}
