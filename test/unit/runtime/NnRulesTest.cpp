//===- NnRulesTest.cpp - The tensor ops' shape rules ----------------------===//
//
// Matmul, linear, rows, reductions, selection and the generators: the shapes and sizes both
// drivers take from runtime/drivers/rules/NnRules.h, and each rule's error paths.
//
//===----------------------------------------------------------------------===//

#include "runtime/drivers/rules/NnRules.h"

#include <gtest/gtest.h>

using namespace heed::rt;

namespace {

using Shape = std::vector<int64_t>;
constexpr ElemType f32 = ElemType::f32;

TEST(NnRules, Rows) {
  AxisView v;
  EXPECT_EQ(rowsLayout({2, 3, 4}, 1, v), "");
  EXPECT_EQ(v.outer, 2);
  EXPECT_EQ(v.n, 3);
  EXPECT_EQ(v.inner, 4);
  EXPECT_EQ(rowsLayout({}, -1, v), "expects rank >= 1");
  EXPECT_EQ(rowsLayout({2}, -2, v), "axis -2 is out of range for rank 1");
}

TEST(NnRules, LayerNorm) {
  Shape x{2, 3, 4}, good{3, 4}, bad{4};
  LayerNormLayout l;
  TypedShape scale{good, f32}, bias{bad, f32};
  EXPECT_EQ(layerNormLayout({x, f32}, 1, &scale, nullptr, l), "");
  EXPECT_EQ(l.outer, 2);
  EXPECT_EQ(l.n, 12);
  EXPECT_EQ(l.trailing, good);
  EXPECT_EQ(layerNormLayout({x, f32}, 1, &scale, &bias, l),
            "bias has shape 4xf32, expected 3x4xf32");
  EXPECT_EQ(layerNormLayout({x, f32}, 1, &bias, nullptr, l),
            "scale has shape 4xf32, expected 3x4xf32");
  Shape scalar;
  EXPECT_EQ(layerNormLayout({scalar, f32}, 0, nullptr, nullptr, l), "expects rank >= 1");
  TypedShape same{x, f32}, broadcast{good, f32};
  EXPECT_EQ(layerNormLayout({x, f32}, 1, &scale, nullptr, l, &same), "");
  EXPECT_EQ(layerNormLayout({x, f32}, 1, &scale, nullptr, l, &broadcast),
            "residual has shape 3x4xf32, expected 2x3x4xf32");
}

TEST(NnRules, MatmulBroadcastsBatches) {
  Shape a{2, 1, 3, 4}, b{5, 4, 6};
  MatmulLayout l;
  EXPECT_EQ(matmulLayout({a, f32}, {b, f32}, false, false, l), "");
  EXPECT_EQ(l.shape, (Shape{2, 5, 3, 6}));
  EXPECT_EQ(l.batch, (Shape{2, 5}));
  EXPECT_EQ(l.lhsStrides, (Shape{12, 0}));
  EXPECT_EQ(l.rhsStrides, (Shape{0, 24}));
  EXPECT_EQ(l.lhsBatches, 2);
  EXPECT_EQ(l.rhsBatches, 5);
  Shape at{4, 3}, bt{6, 4};
  EXPECT_EQ(matmulLayout({at, f32}, {bt, f32}, true, true, l), "");
  EXPECT_EQ(l.shape, (Shape{3, 6}));
  EXPECT_EQ(l.k, 4);
}

TEST(NnRules, MatmulErrors) {
  Shape v{4}, a{3, 4}, b{5, 6}, a3{2, 3, 4}, b3{3, 4, 6};
  MatmulLayout l;
  EXPECT_EQ(matmulLayout({v, f32}, {a, f32}, false, false, l), "expects operands of rank >= 2");
  EXPECT_EQ(matmulLayout({a, f32}, {b, f32}, false, false, l),
            "contracts lhs 3x4xf32 with rhs 5x6xf32: inner dims 4 and 5 differ");
  EXPECT_EQ(matmulLayout({a3, f32}, {b3, f32}, false, false, l),
            "cannot broadcast the batch dims of 2x3x4xf32 and 3x4x6xf32");
}

TEST(NnRules, Linear) {
  Shape x{2, 3, 4}, w{5, 4}, bias{5}, badBias{4};
  LinearLayout l;
  TypedShape b{bias, f32}, bb{badBias, f32};
  EXPECT_EQ(linearLayout({x, f32}, {w, f32}, true, &b, l), "");
  EXPECT_EQ(l.shape, (Shape{2, 3, 5}));
  EXPECT_EQ(l.rows, 6);
  EXPECT_EQ(l.n, 5);
  EXPECT_EQ(l.k, 4);
  EXPECT_EQ(linearLayout({x, f32}, {w, f32}, false, nullptr, l),
            "multiplies input 2x3x4xf32 by weight 5x4xf32: 4 vs 5");
  EXPECT_EQ(linearLayout({x, f32}, {w, f32}, true, &bb, l), "bias has shape 4xf32, expected [5]");
  EXPECT_EQ(linearLayout({x, f32}, {bias, f32}, true, nullptr, l),
            "expects input of rank >= 1 and a 2-D weight");
}

TEST(NnRules, Reduce) {
  ReduceLayout l;
  EXPECT_EQ(reduceLayout({2, 3, 4}, {-1, 0}, false, 0, l), "");
  EXPECT_EQ(l.shape, (Shape{3}));
  EXPECT_EQ(l.keptDims, (Shape{1, 3, 1}));
  EXPECT_EQ(l.keptStrides, (Shape{0, 4, 0}));
  EXPECT_EQ(l.reducedDims, (Shape{2, 1, 4}));
  EXPECT_EQ(l.reducedStrides, (Shape{12, 0, 1}));
  EXPECT_EQ(l.count, 8);
  EXPECT_EQ(reduceLayout({2, 3, 4}, {1}, true, 0, l), "");
  EXPECT_EQ(l.shape, (Shape{2, 1, 4}));
  EXPECT_EQ(reduceLayout({2, 3}, {}, false, 0, l), "has no axes");
  EXPECT_EQ(reduceLayout({2, 3}, {2}, false, 0, l), "axis 2 is out of range for rank 2");
  EXPECT_EQ(reduceLayout({2, 0}, {1}, false, 2, l), "reduces an empty axis with max/min");
  EXPECT_EQ(reduceLayout({2, 0}, {1}, false, 0, l), ""); // a sum of nothing is 0
}

TEST(NnRules, ArgmaxAndTopK) {
  SelectLayout l;
  EXPECT_EQ(argmaxLayout({2, 3, 4}, 1, false, l), "");
  EXPECT_EQ(l.shape, (Shape{2, 4}));
  EXPECT_EQ(argmaxLayout({2, 3, 4}, 1, true, l), "");
  EXPECT_EQ(l.shape, (Shape{2, 1, 4}));
  EXPECT_EQ(argmaxLayout({2, 0}, 1, false, l), "takes the argmax of an empty axis");
  EXPECT_EQ(topKLayout({2, 5}, -1, 3, l), "");
  EXPECT_EQ(l.shape, (Shape{2, 3}));
  EXPECT_EQ(l.view.n, 5);
  EXPECT_EQ(topKLayout({2, 3}, 1, 4, l), "k = 4 exceeds the axis size 3");
  EXPECT_EQ(topKLayout({2, 3}, 1, -1, l), "has a negative k");
  EXPECT_EQ(topKLayout({}, 0, 1, l), "expects rank >= 1");
}

TEST(NnRules, Generators) {
  Shape lengths{3}, matrix{3, 1};
  Shape shape;
  EXPECT_EQ(sequenceMaskShape({lengths, ElemType::i32}, 5, shape), "");
  EXPECT_EQ(shape, (Shape{3, 5}));
  EXPECT_EQ(sequenceMaskShape({matrix, ElemType::i32}, 5, shape), "expects lengths of rank 1");
  EXPECT_EQ(sequenceMaskShape({lengths, f32}, 5, shape), "expects integer lengths or indices");
  EXPECT_EQ(sequenceMaskShape({lengths, ElemType::i64}, -1, shape), "got a negative max_length -1");
  int64_t shift = 0;
  EXPECT_EQ(causalMaskShape(2, 5, 1, shape, shift), "");
  EXPECT_EQ(shape, (Shape{2, 5}));
  EXPECT_EQ(shift, 3);
  EXPECT_EQ(causalMaskShape(2, 5, 0, shape, shift), "");
  EXPECT_EQ(shift, 0);
  EXPECT_EQ(causalMaskShape(-1, 5, 0, shape, shift), "got a negative length");
  int64_t n = -1;
  EXPECT_EQ(rangeLength(0, 10, 3, n), "");
  EXPECT_EQ(n, 4);
  EXPECT_EQ(rangeLength(5, 0, -2, n), "");
  EXPECT_EQ(n, 3);
  EXPECT_EQ(rangeLength(5, 0, 1, n), "");
  EXPECT_EQ(n, 0);
  EXPECT_EQ(rangeLength(0, 1, 0, n), "has step 0");
  EXPECT_EQ(rangeLength(INT64_MIN, INT64_MAX, 1, n), "would give more than 2^48 elements");
  EXPECT_EQ(sinusoidalShape(4, 8, shape), "");
  EXPECT_EQ(shape, (Shape{4, 8}));
  EXPECT_EQ(sinusoidalShape(-2, 8, shape), "got a negative length -2");
}

} // namespace
