// The file ends inside the function body.
func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = heed.exp %x : (tensor<4xf32>) -> tensor<4xf32>
