func.func @main(%x: tensor<?x3xf32>, %y: tensor<3xf32>) -> (tensor<?x3xf32>, tensor<?x3xf32>, index) {
  %0 = heed.add %x, %y : (tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  %1 = heed.softmax %0 : (tensor<?x3xf32>) -> tensor<?x3xf32>
  %d = heed.dim %x, 0 : tensor<?x3xf32>
  %c2 = arith.constant 2 : index
  %e = arith.muli %d, %c2 : index
  return %0, %1, %e : tensor<?x3xf32>, tensor<?x3xf32>, index
}
