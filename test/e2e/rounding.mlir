// heed.ceil and heed.round on both devices. round takes halves to even (ONNX Round, numpy):
// 0.5 -> 0, 1.5 -> 2, 2.5 -> 2, -2.5 -> -2 (a round-half-up would give 1, 3, -2).
// RUN: heed-compile %s --target=all -o %t.heedm
// RUN: heed-run %t.heedm --function=ceil --input="6xf32=[-1.5 -0.5 0.5 1.5 2.0 7.001]" \
// RUN:   --expected-output="6xf32=[-1 0 1 2 2 8]"
// RUN: heed-run %t.heedm --function=round --input="8xf32=[0.5 1.5 2.5 -2.5 -0.4 2.6 -3.7 inf]" \
// RUN:   --expected-output="8xf32=[0 2 2 -2 0 3 -4 inf]"
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=ceil \
// RUN:   --input="6xf32=[-1.5 -0.5 0.5 1.5 2.0 7.001]" --expected-output="6xf32=[-1 0 1 2 2 8]" %}
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=round \
// RUN:   --input="8xf32=[0.5 1.5 2.5 -2.5 -0.4 2.6 -3.7 inf]" \
// RUN:   --expected-output="8xf32=[0 2 2 -2 0 3 -4 inf]" %}

func.func @ceil(%x: tensor<?xf32>) -> tensor<?xf32> {
  %y = heed.ceil %x : (tensor<?xf32>) -> tensor<?xf32>
  return %y : tensor<?xf32>
}

func.func @round(%x: tensor<?xf32>) -> tensor<?xf32> {
  %y = heed.round %x : (tensor<?xf32>) -> tensor<?xf32>
  return %y : tensor<?xf32>
}
