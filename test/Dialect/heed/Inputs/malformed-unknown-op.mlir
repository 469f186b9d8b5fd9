// Parses as MLIR, but the heed dialect has no such op.
func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = heed.frobnicate %x : (tensor<4xf32>) -> tensor<4xf32>
  return %y : tensor<4xf32>
}
