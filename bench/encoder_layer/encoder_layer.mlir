func.func @main(%x: tensor<?x?x512xf32>, %len: tensor<?xi64>, %wqkv: tensor<1536x512xf32>, %bqkv: tensor<1536xf32>, %wo: tensor<512x512xf32>, %bo: tensor<512xf32>, %g1: tensor<512xf32>, %b1: tensor<512xf32>, %w1: tensor<2048x512xf32>, %c1: tensor<2048xf32>, %w2: tensor<512x2048xf32>, %c2: tensor<512xf32>, %g2: tensor<512xf32>, %b2: tensor<512xf32>) -> tensor<?x?x512xf32> {
  %qkv = heed.linear %x, %wqkv, %bqkv : (tensor<?x?x512xf32>, tensor<1536x512xf32>, tensor<1536xf32>) -> tensor<?x?x1536xf32>
  %q = heed.slice %qkv {axis = 2, start = 0, end = 512} : (tensor<?x?x1536xf32>) -> tensor<?x?x512xf32>
  %k = heed.slice %qkv {axis = 2, start = 512, end = 1024} : (tensor<?x?x1536xf32>) -> tensor<?x?x512xf32>
  %v = heed.slice %qkv {axis = 2, start = 1024, end = 1536} : (tensor<?x?x1536xf32>) -> tensor<?x?x512xf32>
  %a = heed.attention %q, %k, %v, %len {scale = 0.125 : f32, num_heads = 8, mask_kind = #heed<mask lengths>} : (tensor<?x?x512xf32>, tensor<?x?x512xf32>, tensor<?x?x512xf32>, tensor<?xi64>) -> tensor<?x?x512xf32>
  %o = heed.linear %a, %wo, %bo : (tensor<?x?x512xf32>, tensor<512x512xf32>, tensor<512xf32>) -> tensor<?x?x512xf32>
  %r1 = heed.add %x, %o : (tensor<?x?x512xf32>, tensor<?x?x512xf32>) -> tensor<?x?x512xf32>
  %n1 = heed.layer_norm %r1 scale %g1 bias %b1 : (tensor<?x?x512xf32>, tensor<512xf32>, tensor<512xf32>) -> tensor<?x?x512xf32>
  %h = heed.linear %n1, %w1, %c1 : (tensor<?x?x512xf32>, tensor<2048x512xf32>, tensor<2048xf32>) -> tensor<?x?x2048xf32>
  %hr = heed.relu %h : (tensor<?x?x2048xf32>) -> tensor<?x?x2048xf32>
  %f = heed.linear %hr, %w2, %c2 : (tensor<?x?x2048xf32>, tensor<512x2048xf32>, tensor<512xf32>) -> tensor<?x?x512xf32>
  %r2 = heed.add %n1, %f : (tensor<?x?x512xf32>, tensor<?x?x512xf32>) -> tensor<?x?x512xf32>
  %n2 = heed.layer_norm %r2 scale %g2 bias %b2 : (tensor<?x?x512xf32>, tensor<512xf32>, tensor<512xf32>) -> tensor<?x?x512xf32>
  return %n2 : tensor<?x?x512xf32>
}
