// Not valid MLIR syntax: heed.add is missing its second operand.
func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = heed.add %x, : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %y : tensor<4xf32>
}
