//===- DataRulesTest.cpp - The data movement ops' shape rules -------------===//
//
// Both drivers take the data movement ops' result shapes, strides and messages from these
// rules, so their success and error paths are checked here once rather than per driver.
//
//===----------------------------------------------------------------------===//

#include "runtime/drivers/rules/DataRules.h"

#include <gtest/gtest.h>

using namespace heed::rt;

namespace {

using Shape = std::vector<int64_t>;

TEST(DataRules, BroadcastsOperands) {
  Shape a{2, 1, 4}, b{3, 1}, c{};
  BroadcastLayout l;
  EXPECT_EQ(broadcastOperands({{a, ElemType::f32}, {b, ElemType::f32}, {c, ElemType::f32}}, l), "");
  EXPECT_EQ(l.shape, (Shape{2, 3, 4}));
  ASSERT_EQ(l.strides.size(), 3u);
  EXPECT_EQ(l.strides[0], (Shape{4, 0, 1}));
  EXPECT_EQ(l.strides[1], (Shape{0, 1, 0}));
  EXPECT_EQ(l.strides[2], (Shape{0, 0, 0}));
}

TEST(DataRules, RejectsIncompatibleOperands) {
  Shape a{2, 3}, b{4};
  BroadcastLayout l;
  EXPECT_EQ(broadcastOperands({{a, ElemType::f32}, {b, ElemType::f32}}, l),
            "cannot broadcast operands of shapes " + shapeString(a, ElemType::f32) + " and " +
                shapeString(b, ElemType::f32));
}

TEST(DataRules, BroadcastsLike) {
  Shape x{3, 1}, like{2, 1, 5}, bad{4, 1};
  BroadcastLikeLayout l;
  EXPECT_EQ(broadcastLike({x, ElemType::f32}, {like, ElemType::f32}, l), "");
  EXPECT_EQ(l.shape, (Shape{2, 3, 5}));
  EXPECT_EQ(l.strides, (Shape{0, 1, 0}));
  EXPECT_NE(broadcastLike({x, ElemType::f32}, {bad, ElemType::f32}, l).find("cannot broadcast"),
            std::string::npos);
}

TEST(DataRules, Reshapes) {
  Shape out;
  EXPECT_EQ(reshapeShape({2, 3, 4}, ElemType::f32, {0, -1}, out), "");
  EXPECT_EQ(out, (Shape{2, 12}));
  EXPECT_EQ(reshapeShape({2, 3}, ElemType::f32, {-1, -1}, out), "has more than one -1");
  EXPECT_EQ(reshapeShape({2, 3}, ElemType::f32, {0, 0, 0}, out), "copies dim 2 of a rank-2 input");
  EXPECT_EQ(reshapeShape({2, 3}, ElemType::f32, {-2}, out), "has an invalid dim -2");
  EXPECT_NE(reshapeShape({2, 3}, ElemType::f32, {4}, out).find("cannot reshape"),
            std::string::npos);
}

// heed.reshape_dynamic: run-time dims, allowzero, hostile sizes.
TEST(DataRules, ReshapesAtRunTime) {
  Shape out;
  EXPECT_EQ(reshapeShape({0, 3}, ElemType::f32, {0, 3}, out, /*allowZero=*/true), "");
  EXPECT_EQ(out, (Shape{0, 3}));
  EXPECT_EQ(reshapeShape({2, 3}, ElemType::f32, {0, 3}, out), "");
  EXPECT_EQ(out, (Shape{2, 3}));
  EXPECT_EQ(reshapeShape({2, 3}, ElemType::f32, {INT64_MAX, 2, -1}, out),
            "has dims whose product overflows at entry 1 (2)");
  EXPECT_EQ(extractCheck({3}, ElemType::i64, 2), "");
  EXPECT_EQ(extractCheck({}, ElemType::i32, 0), "");
  EXPECT_EQ(extractCheck({3}, ElemType::i64, 3), "reads element 3 of 3xi64, which has 3");
  EXPECT_EQ(extractCheck({3}, ElemType::f32, 0), "expects an i32 or i64 tensor, got 3xf32");
  EXPECT_EQ(extractCheck({1, 3}, ElemType::i64, 0), "expects a 0-D or 1-D tensor, got 1x3xi64");
  int32_t i32[] = {7, -2};
  EXPECT_EQ(loadIndex(i32, ElemType::i32, 1), -2);
}

TEST(DataRules, Transposes) {
  TransposeLayout l;
  EXPECT_EQ(transposeLayout({2, 3, 4}, {0, 2, 1}, l), "");
  EXPECT_EQ(l.shape, (Shape{2, 4, 3}));
  EXPECT_EQ(l.strides, (Shape{12, 1, 4}));
  EXPECT_EQ(transposeLayout({2, 3}, {0}, l), "has a permutation that does not match rank 2");
  EXPECT_EQ(transposeLayout({2, 3}, {1, 1}, l), "has an invalid permutation");
  EXPECT_EQ(transposeLayout({2, 3}, {0, 2}, l), "has an invalid permutation");
}

TEST(DataRules, Slices) {
  SliceLayout l;
  EXPECT_EQ(sliceLayout({2, 10, 3}, -2, 1, -1, 3, l), "");
  EXPECT_EQ(l.shape, (Shape{2, 3, 3}));
  EXPECT_EQ(l.start, 1);
  EXPECT_EQ(l.length, 3);
  EXPECT_EQ(l.view.axis, 1);
  EXPECT_EQ(l.view.outer, 2);
  EXPECT_EQ(l.view.n, 10);
  EXPECT_EQ(l.view.inner, 3);
  // A huge step (a model's "to the end" sentinel) does not overflow.
  EXPECT_EQ(sliceLayout({5}, 0, 0, INT64_MAX, INT64_MAX, l), "");
  EXPECT_EQ(l.length, 1);
  EXPECT_EQ(sliceLayout({}, 0, 0, 1, 1, l), "cannot slice a scalar");
  EXPECT_EQ(sliceLayout({4}, 1, 0, 1, 1, l), "axis 1 is out of range for rank 1");
  EXPECT_EQ(sliceLayout({4}, 0, 0, 1, 0, l), "expects a positive step");
  EXPECT_EQ(sliceLayout({4}, 0, 3, 0, -1, l), "expects a positive step");
  // heed.slice_dynamic walks backwards with ONNX's clamping: start to [0, n-1], end to [-1, n-1].
  EXPECT_EQ(sliceDynamicLayout({5}, 0, -1, -100, -2, l), "");
  EXPECT_EQ(l.start, 4);
  EXPECT_EQ(l.length, 3);
  EXPECT_EQ(l.step, -2);
  EXPECT_EQ(sliceDynamicLayout({5}, 0, 100, 1, -3, l), "");
  EXPECT_EQ(l.start, 4);
  EXPECT_EQ(l.length, 1);
  EXPECT_EQ(sliceDynamicLayout({5}, 0, 0, 3, -1, l), "");
  EXPECT_EQ(l.length, 0);
  EXPECT_EQ(sliceDynamicLayout({5}, 0, INT64_MAX, INT64_MIN, INT64_MIN, l), "");
  EXPECT_EQ(l.start, 4);
  EXPECT_EQ(l.length, 1);
  EXPECT_EQ(sliceDynamicLayout({5}, 0, 0, 5, 2, l), "");
  EXPECT_EQ(l.length, 3);
  EXPECT_EQ(sliceDynamicLayout({5}, 0, 0, 5, 0, l), "got a zero step");
}

TEST(DataRules, Concatenates) {
  Shape a{2, 3, 4}, b{2, 5, 4}, c{2, 5, 3}, d{2, 5};
  ConcatLayout l;
  EXPECT_EQ(concatLayout({{a, ElemType::f32}, {b, ElemType::f32}}, 1, l), "");
  EXPECT_EQ(l.shape, (Shape{2, 8, 4}));
  EXPECT_EQ(l.view.outer, 2);
  EXPECT_EQ(l.view.n, 8);
  EXPECT_EQ(l.view.inner, 4);
  EXPECT_EQ(concatLayout({}, 0, l), "has no operands");
  Shape scalar;
  EXPECT_EQ(concatLayout({{scalar, ElemType::f32}}, 0, l), "cannot concatenate scalars");
  EXPECT_EQ(concatLayout({{a, ElemType::f32}}, 3, l), "axis 3 is out of range for rank 3");
  EXPECT_NE(concatLayout({{a, ElemType::f32}, {b, ElemType::i32}}, 1, l).find("unlike operand 0"),
            std::string::npos);
  EXPECT_NE(concatLayout({{a, ElemType::f32}, {d, ElemType::f32}}, 1, l).find("unlike operand 0"),
            std::string::npos);
  EXPECT_NE(concatLayout({{a, ElemType::f32}, {c, ElemType::f32}}, 1, l)
                .find("off the concatenation axis"),
            std::string::npos);
}

TEST(DataRules, Gathers) {
  Shape x{4, 5, 6}, ids{2, 3};
  GatherLayout l;
  EXPECT_EQ(gatherLayout({x, ElemType::f32}, {ids, ElemType::i64}, false, -2, l), "");
  EXPECT_EQ(l.shape, (Shape{4, 2, 3, 6}));
  EXPECT_EQ(l.view.outer, 4);
  EXPECT_EQ(l.view.n, 5);
  EXPECT_EQ(l.view.inner, 6);
  EXPECT_EQ(l.ids, 6);
  Shape table{10, 8};
  EXPECT_EQ(gatherLayout({table, ElemType::f32}, {ids, ElemType::i32}, true, 0, l), "");
  EXPECT_EQ(l.shape, (Shape{2, 3, 8}));
  EXPECT_EQ(gatherLayout({x, ElemType::f32}, {ids, ElemType::i32}, true, 0, l),
            "expects a [vocab, dim] table");
  Shape scalar;
  EXPECT_EQ(gatherLayout({scalar, ElemType::f32}, {ids, ElemType::i32}, false, 0, l),
            "cannot gather from a scalar");
  EXPECT_EQ(gatherLayout({x, ElemType::f32}, {ids, ElemType::f32}, false, 0, l),
            "expects integer indices");
  EXPECT_EQ(gatherIdOutOfRange(false, 7, 2, 5), "index 7 at position 2 is out of range [-5, 5)");
  EXPECT_EQ(gatherIdOutOfRange(true, -1, 0, 5), "id -1 at position 0 is out of range [0, 5)");
}

TEST(DataRules, GatherElements) {
  GatherElementsLayout l;
  Shape x{4, 5, 6}, ids{3, 2, 6};
  EXPECT_EQ(gatherElementsLayout({x, ElemType::f32}, {ids, ElemType::i64}, -2, l), "");
  EXPECT_EQ(l.axis, 1);
  EXPECT_EQ(l.n, 5);
  EXPECT_EQ(l.axisStride, 6);
  EXPECT_EQ(l.xStrides, (Shape{30, 0, 1}));
  EXPECT_EQ(l.shape, ids);
  Shape wide{3, 2, 7}, flat{3, 2};
  EXPECT_EQ(gatherElementsLayout({x, ElemType::f32}, {wide, ElemType::i32}, 1, l),
            "has indices 3x2x7xi32 larger than the input 4x5x6xf32 off the axis");
  EXPECT_EQ(gatherElementsLayout({x, ElemType::f32}, {flat, ElemType::i32}, 1, l),
            "expects indices of rank 3, got 3x2xi32");
  EXPECT_EQ(gatherElementsLayout({x, ElemType::f32}, {ids, ElemType::f32}, 1, l),
            "expects integer indices");
  EXPECT_NE(gatherElementsLayout({x, ElemType::f32}, {ids, ElemType::i32}, 3, l), "");
}

} // namespace
