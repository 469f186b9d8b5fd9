// Integer add, sub and mul wrap (two's complement) on the CPU, as GLSL's ints do on Vulkan
// (issue 20, item 10b). Before, the CPU computed them in signed C++ arithmetic: 2^62 * 4 was
// undefined behaviour (UBSan stops the sanitizer build's run here; an optimised build happened to
// wrap). Both devices must give the same wrapped values.
// RUN: heed-compile %s --target=all -o %t.heedm
// RUN: heed-run %t.heedm --function=mul --input="3xi64=[4611686018427387904 -9223372036854775807 3]" \
// RUN:   --input="3xi64=[4 2 -3074457345618258603]" \
// RUN:   --expected-output="3xi64=[0 2 9223372036854775807]"
// RUN: heed-run %t.heedm --function=add --input="2xi64=[9223372036854775807 -9223372036854775807]" \
// RUN:   --input="2xi64=[1 -2]" --expected-output="2xi64=[-9223372036854775808 9223372036854775807]"
// RUN: heed-run %t.heedm --function=sub32 --input="2xi32=[-2147483648 2147483647]" \
// RUN:   --input="2xi32=[1 -1]" --expected-output="2xi32=[2147483647 -2147483648]"
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=mul --input="3xi64=[4611686018427387904 -9223372036854775807 3]" \
// RUN:   --input="3xi64=[4 2 -3074457345618258603]" \
// RUN:   --expected-output="3xi64=[0 2 9223372036854775807]" %}
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=add --input="2xi64=[9223372036854775807 -9223372036854775807]" \
// RUN:   --input="2xi64=[1 -2]" --expected-output="2xi64=[-9223372036854775808 9223372036854775807]" %}
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=sub32 --input="2xi32=[-2147483648 2147483647]" \
// RUN:   --input="2xi32=[1 -1]" --expected-output="2xi32=[2147483647 -2147483648]" %}

// Integer reductions are exact in 64 bits and wrap the same way on both devices: sum and prod
// wrap (2^62 * 4 = 0; an i32 keeps the low 32 bits), max sees i64 values a double cannot hold, a
// mean is the wrapped sum over the count, truncated. Before, the CPU summed in double: 2^53 + 1
// was lost and converting an out-of-range sum back was undefined.
// RUN: heed-run %t.heedm --function=reduce64 \
// RUN:   --input="2x2xi64=[[4611686018427387904 4611686018427387904] [9007199254740993 1]]" \
// RUN:   --expected-output="2xi64=[-9223372036854775808 9007199254740994]" \
// RUN:   --expected-output="2xi64=[4611686018427387904 9007199254740993]" \
// RUN:   --expected-output="2xi64=[-4611686018427387904 4503599627370497]"
// RUN: heed-run %t.heedm --function=prod32 --input="2x2xi32=[[65536 65536] [-3 5]]" \
// RUN:   --expected-output="2xi32=[0 -15]"
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=reduce64 \
// RUN:   --input="2x2xi64=[[4611686018427387904 4611686018427387904] [9007199254740993 1]]" \
// RUN:   --expected-output="2xi64=[-9223372036854775808 9007199254740994]" \
// RUN:   --expected-output="2xi64=[4611686018427387904 9007199254740993]" \
// RUN:   --expected-output="2xi64=[-4611686018427387904 4503599627370497]" %}
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=prod32 \
// RUN:   --input="2x2xi32=[[65536 65536] [-3 5]]" --expected-output="2xi32=[0 -15]" %}

// Index arithmetic on the host: ceildivsi of INT64_MIN negated its operand first (undefined:
// UBSan stopped here); it now rounds up from the truncated quotient.
// RUN: heed-run %t.heedm --function=ceil --input=index=-9223372036854775808 --input=index=2 \
// RUN:   --expected-output="i64=-4611686018427387904"
// RUN: heed-run %t.heedm --function=ceil --input=index=-7 --input=index=2 --expected-output="i64=-3"
// RUN: heed-run %t.heedm --function=ceil --input=index=7 --input=index=-2 --expected-output="i64=-3"
// RUN: heed-run %t.heedm --function=ceil --input=index=7 --input=index=2 --expected-output="i64=4"
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=ceil \
// RUN:   --input=index=-9223372036854775808 --input=index=2 --expected-output="i64=-4611686018427387904" %}

func.func @mul(%a: tensor<?xi64>, %b: tensor<?xi64>) -> tensor<?xi64> {
  %y = heed.mul %a, %b : (tensor<?xi64>, tensor<?xi64>) -> tensor<?xi64>
  return %y : tensor<?xi64>
}

func.func @add(%a: tensor<?xi64>, %b: tensor<?xi64>) -> tensor<?xi64> {
  %y = heed.add %a, %b : (tensor<?xi64>, tensor<?xi64>) -> tensor<?xi64>
  return %y : tensor<?xi64>
}

func.func @sub32(%a: tensor<?xi32>, %b: tensor<?xi32>) -> tensor<?xi32> {
  %y = heed.sub %a, %b : (tensor<?xi32>, tensor<?xi32>) -> tensor<?xi32>
  return %y : tensor<?xi32>
}

func.func @reduce64(%x: tensor<2x2xi64>) -> (tensor<2xi64>, tensor<2xi64>, tensor<2xi64>) {
  %s = heed.reduce sum, %x {axes = array<i64: 1>} : (tensor<2x2xi64>) -> tensor<2xi64>
  %m = heed.reduce max, %x {axes = array<i64: 1>} : (tensor<2x2xi64>) -> tensor<2xi64>
  %a = heed.reduce mean, %x {axes = array<i64: 1>} : (tensor<2x2xi64>) -> tensor<2xi64>
  return %s, %m, %a : tensor<2xi64>, tensor<2xi64>, tensor<2xi64>
}

func.func @prod32(%x: tensor<2x2xi32>) -> tensor<2xi32> {
  %p = heed.reduce prod, %x {axes = array<i64: 1>} : (tensor<2x2xi32>) -> tensor<2xi32>
  return %p : tensor<2xi32>
}

func.func @ceil(%a: index, %b: index) -> index {
  %r = arith.ceildivsi %a, %b : index
  return %r : index
}
