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
