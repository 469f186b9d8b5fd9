// reduce (sum, mean, max, min, prod; keep_dims), argmax (first on ties) and top_k.
// RUN: heed-compile %s --target=all -o %t.heedm
// RUN: rm -rf %t.d && mkdir -p %t.d && %python %S/gen_refs.py reductions %t.d
// RUN: heed-run %t.heedm --function=reduce --input=@%t.d/x_5.npy \
// RUN:   --expected-output=@%t.d/sum_5.npy --expected-output=@%t.d/mean_5.npy \
// RUN:   --expected-output=@%t.d/max_5.npy --expected-output=@%t.d/min_5.npy \
// RUN:   --expected-output=@%t.d/prod_5.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=reduce --input=@%t.d/x_5.npy \
// RUN:   --expected-output=@%t.d/sum_5.npy --expected-output=@%t.d/mean_5.npy \
// RUN:   --expected-output=@%t.d/max_5.npy --expected-output=@%t.d/min_5.npy \
// RUN:   --expected-output=@%t.d/prod_5.npy %}
// RUN: heed-run %t.heedm --function=reduce --input=@%t.d/x_12.npy \
// RUN:   --expected-output=@%t.d/sum_12.npy --expected-output=@%t.d/mean_12.npy \
// RUN:   --expected-output=@%t.d/max_12.npy --expected-output=@%t.d/min_12.npy \
// RUN:   --expected-output=@%t.d/prod_12.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=reduce --input=@%t.d/x_12.npy \
// RUN:   --expected-output=@%t.d/sum_12.npy --expected-output=@%t.d/mean_12.npy \
// RUN:   --expected-output=@%t.d/max_12.npy --expected-output=@%t.d/min_12.npy \
// RUN:   --expected-output=@%t.d/prod_12.npy %}
// RUN: heed-run %t.heedm --function=select --input=@%t.d/x_5.npy \
// RUN:   --expected-output=@%t.d/am_5.npy --expected-output=@%t.d/am1_5.npy \
// RUN:   --expected-output=@%t.d/tkv_5.npy --expected-output=@%t.d/tki_5.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=select --input=@%t.d/x_5.npy \
// RUN:   --expected-output=@%t.d/am_5.npy --expected-output=@%t.d/am1_5.npy \
// RUN:   --expected-output=@%t.d/tkv_5.npy --expected-output=@%t.d/tki_5.npy %}
// RUN: heed-run %t.heedm --function=select --input=@%t.d/x_12.npy \
// RUN:   --expected-output=@%t.d/am_12.npy --expected-output=@%t.d/am1_12.npy \
// RUN:   --expected-output=@%t.d/tkv_12.npy --expected-output=@%t.d/tki_12.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=select --input=@%t.d/x_12.npy \
// RUN:   --expected-output=@%t.d/am_12.npy --expected-output=@%t.d/am1_12.npy \
// RUN:   --expected-output=@%t.d/tkv_12.npy --expected-output=@%t.d/tki_12.npy %}
// Rows reduced over their last axis (the CPU's row loop, shared among threads; a NaN row):
// RUN: heed-run %t.heedm --function=rows --input=@%t.d/rows.npy --expected-output=@%t.d/rows_sum.npy \
// RUN:   --expected-output=@%t.d/rows_mean.npy --expected-output=@%t.d/rows_max.npy --expected-output=@%t.d/rows_min.npy
// RUN: %if vulkan %{ heed-run --device=vulkan %t.heedm --function=rows --input=@%t.d/rows.npy --expected-output=@%t.d/rows_sum.npy \
// RUN:   --expected-output=@%t.d/rows_mean.npy --expected-output=@%t.d/rows_max.npy --expected-output=@%t.d/rows_min.npy %}

func.func @reduce(%x: tensor<2x?x6xf32>) -> (tensor<2x1x6xf32>, tensor<2xf32>, tensor<2x?x1xf32>, tensor<?x6xf32>, tensor<2x6xf32>) {
  %0 = heed.reduce sum, %x {axes = array<i64: 1>, keep_dims = true} : (tensor<2x?x6xf32>) -> tensor<2x1x6xf32>
  %1 = heed.reduce mean, %x {axes = array<i64: 1, -1>} : (tensor<2x?x6xf32>) -> tensor<2xf32>
  %2 = heed.reduce max, %x {axes = array<i64: -1>, keep_dims = true} : (tensor<2x?x6xf32>) -> tensor<2x?x1xf32>
  %3 = heed.reduce min, %x {axes = array<i64: 0>} : (tensor<2x?x6xf32>) -> tensor<?x6xf32>
  %4 = heed.reduce prod, %x {axes = array<i64: 1>} : (tensor<2x?x6xf32>) -> tensor<2x6xf32>
  return %0, %1, %2, %3, %4 : tensor<2x1x6xf32>, tensor<2xf32>, tensor<2x?x1xf32>, tensor<?x6xf32>, tensor<2x6xf32>
}

func.func @select(%x: tensor<2x?x6xf32>) -> (tensor<2x?xi64>, tensor<2x1x6xi64>, tensor<2x?x3xf32>, tensor<2x?x3xi64>) {
  %0 = heed.argmax %x : (tensor<2x?x6xf32>) -> tensor<2x?xi64>
  %1 = heed.argmax %x {axis = 1, keep_dims = true} : (tensor<2x?x6xf32>) -> tensor<2x1x6xi64>
  %2:2 = heed.top_k %x {k = 3} : (tensor<2x?x6xf32>) -> (tensor<2x?x3xf32>, tensor<2x?x3xi64>)
  return %0, %1, %2#0, %2#1 : tensor<2x?xi64>, tensor<2x1x6xi64>, tensor<2x?x3xf32>, tensor<2x?x3xi64>
}

func.func @rows(%x: tensor<?x301xf32>) -> (tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>) {
  %0 = heed.reduce sum, %x {axes = array<i64: -1>} : (tensor<?x301xf32>) -> tensor<?xf32>
  %1 = heed.reduce mean, %x {axes = array<i64: 1>} : (tensor<?x301xf32>) -> tensor<?xf32>
  %2 = heed.reduce max, %x {axes = array<i64: -1>} : (tensor<?x301xf32>) -> tensor<?xf32>
  %3 = heed.reduce min, %x {axes = array<i64: -1>} : (tensor<?x301xf32>) -> tensor<?xf32>
  return %0, %1, %2, %3 : tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>
}
