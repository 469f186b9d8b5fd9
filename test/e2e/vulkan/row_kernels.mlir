// The row-reduction kernels (softmax, log_softmax, layer_norm; additive attention runs in
// test/e2e/additive_attention.mlir) with subgroup reductions (lavapipe's default) and with the
// shared-memory tree (HEED_VULKAN_NO_SUBGROUPS=1) against numpy references (row_ref.py), at row
// lengths 1, 7, 64, 65 and 1000, with masked (-inf) entries and a fully masked row. run_rows.py
// checks from the HEED_VULKAN_DEBUG=1 notes that each run used the reductions it names.
// REQUIRES: vulkan
// RUN: heed-compile %s --target=vulkan -o %t.heedm
// RUN: rm -rf %t.d && mkdir -p %t.d && %python %S/row_ref.py %t.d
// RUN: %python %S/run_rows.py heed-run %t.heedm %t.d

func.func @softmax_last(%x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %y = heed.softmax %x : (tensor<?x?xf32>) -> tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}

// Over the middle axis: rows are strided (inner = 3).
func.func @softmax_mid(%x: tensor<?x?x3xf32>) -> tensor<?x?x3xf32> {
  %y = heed.softmax %x {axis = 1} : (tensor<?x?x3xf32>) -> tensor<?x?x3xf32>
  return %y : tensor<?x?x3xf32>
}

func.func @log_softmax(%x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %y = heed.log_softmax %x : (tensor<?x?xf32>) -> tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}

func.func @layer_norm(%x: tensor<?x?xf32>, %g: tensor<?xf32>, %b: tensor<?xf32>) -> tensor<?x?xf32> {
  %y = heed.layer_norm %x scale %g bias %b {epsilon = 1.0e-5 : f32} : (tensor<?x?xf32>, tensor<?xf32>, tensor<?xf32>) -> tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}
