// bool_elementwise.mlir substitutes each arithmetic op for heed.OP.
func.func @main(%a: tensor<4xi1>, %b: tensor<4xi1>) -> tensor<4xi1> {
  %y = heed.OP %a, %b : (tensor<4xi1>, tensor<4xi1>) -> tensor<4xi1>
  return %y : tensor<4xi1>
}
