// Two attentions for report-format.test: the first fuses, the second takes
// the softmax over the query axis and stays decomposed.
func.func @exact(%q: tensor<?x?x16xf32>, %k: tensor<?x?x16xf32>, %v: tensor<?x?x16xf32>) -> tensor<?x?x16xf32> {
  %s = heed.matmul %q, %k {transpose_b = true} : (tensor<?x?x16xf32>, tensor<?x?x16xf32>) -> tensor<?x?x?xf32>
  %p = heed.softmax %s {axis = 2} : (tensor<?x?x?xf32>) -> tensor<?x?x?xf32>
  %o = heed.matmul %p, %v : (tensor<?x?x?xf32>, tensor<?x?x16xf32>) -> tensor<?x?x16xf32>
  return %o : tensor<?x?x16xf32>
}

func.func @query_axis(%q: tensor<?x?x16xf32>, %k: tensor<?x?x16xf32>, %v: tensor<?x?x16xf32>) -> tensor<?x?x16xf32> {
  %s = heed.matmul %q, %k {transpose_b = true} : (tensor<?x?x16xf32>, tensor<?x?x16xf32>) -> tensor<?x?x?xf32>
  %p = heed.softmax %s {axis = 1} : (tensor<?x?x?xf32>) -> tensor<?x?x?xf32>
  %o = heed.matmul %p, %v : (tensor<?x?x?xf32>, tensor<?x?x16xf32>) -> tensor<?x?x16xf32>
  return %o : tensor<?x?x16xf32>
}
