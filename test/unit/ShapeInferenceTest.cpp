//===- ShapeInferenceTest.cpp - Dim-level shape rules ---------------------===//

#include "dialects/heed/IR/ShapeInference.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace mlir::heed;

namespace {
constexpr int64_t kDyn = ShapedType::kDynamic;

TEST(ShapeInference, NormalizeAxis) {
  EXPECT_EQ(shape::normalizeAxis(-1, 3), 2);
  EXPECT_EQ(shape::normalizeAxis(0, 3), 0);
  EXPECT_EQ(shape::normalizeAxis(-3, 3), 0);
  EXPECT_FALSE(shape::normalizeAxis(3, 3));
  EXPECT_FALSE(shape::normalizeAxis(-4, 3));
  EXPECT_FALSE(shape::normalizeAxis(0, 0));
}

TEST(ShapeInference, BroadcastFollowsNumPy) {
  auto r = shape::broadcast({4, 1, 3}, {5, 1});
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, (SmallVector<int64_t>{4, 5, 3}));
  EXPECT_FALSE(shape::broadcast({2, 3}, {4, 3}));
  // A dynamic dim against a static one other than 1 must be that one.
  auto d = shape::broadcast({kDyn, 3}, {7, 1});
  ASSERT_TRUE(d);
  EXPECT_EQ(*d, (SmallVector<int64_t>{7, 3}));
  auto dd = shape::broadcast({kDyn}, {1});
  ASSERT_TRUE(dd);
  EXPECT_EQ((*dd)[0], kDyn);
}

TEST(ShapeInference, MaskBroadcastsToScores) {
  EXPECT_TRUE(shape::broadcastsTo({2, 1, 1, 5}, {2, 8, 4, 5}));
  EXPECT_TRUE(shape::broadcastsTo({4, 5}, {2, 8, 4, 5}));
  EXPECT_TRUE(shape::broadcastsTo({kDyn, 5}, {2, 8, kDyn, 5}));
  EXPECT_FALSE(shape::broadcastsTo({3, 5}, {2, 8, 4, 5}));
  // A mask may not grow the scores.
  EXPECT_FALSE(shape::broadcastsTo({2, 8, 4, 5}, {8, 4, 5}));
  EXPECT_FALSE(shape::broadcastsTo({4, 7}, {4, 1}));
}

TEST(ShapeInference, SliceLengthIsPythonSlicing) {
  EXPECT_EQ(shape::sliceLength(10, 2, 7, 1), 5);
  EXPECT_EQ(shape::sliceLength(10, -3, std::numeric_limits<int64_t>::max(), 1), 3);
  EXPECT_EQ(shape::sliceLength(10, 0, 10, 3), 4);
  EXPECT_EQ(shape::sliceLength(10, 8, 2, 1), 0);
  EXPECT_EQ(shape::sliceLength(10, -100, 100, 1), 10);
  EXPECT_EQ(shape::sliceLength(kDyn, 0, 4, 1), kDyn);
}

TEST(ShapeInference, ReshapeCopiesAndInfers) {
  std::string error;
  auto r = shape::reshape({2, 6, 8}, {0, 0, 2, -1}, error);
  ASSERT_TRUE(succeeded(r)) << error;
  EXPECT_EQ(*r, (SmallVector<int64_t>{2, 6, 2, 4}));
  auto dyn = shape::reshape({kDyn, kDyn, 512}, {0, 0, 8, 64}, error);
  ASSERT_TRUE(succeeded(dyn)) << error;
  EXPECT_EQ(*dyn, (SmallVector<int64_t>{kDyn, kDyn, 8, 64}));
}

TEST(ShapeInference, ReshapeInfersPastCopiedDynamicDims) {
  std::string error;
  // The dynamic dim is copied, so it cancels out of the element count.
  auto r = shape::reshape({kDyn, 256}, {0, 1, -1}, error);
  ASSERT_TRUE(succeeded(r)) << error;
  EXPECT_EQ(*r, (SmallVector<int64_t>{kDyn, 1, 256}));
  auto heads = shape::reshape({kDyn, kDyn, 512}, {0, 0, 8, -1}, error);
  ASSERT_TRUE(succeeded(heads)) << error;
  EXPECT_EQ(*heads, (SmallVector<int64_t>{kDyn, kDyn, 8, 64}));
  auto merge = shape::reshape({kDyn, 8, 64}, {0, -1}, error);
  ASSERT_TRUE(succeeded(merge)) << error;
  EXPECT_EQ(*merge, (SmallVector<int64_t>{kDyn, 512}));
  // A dynamic dim that is not copied keeps the -1 dynamic.
  auto moved = shape::reshape({kDyn, 256}, {1, -1}, error);
  ASSERT_TRUE(succeeded(moved)) << error;
  EXPECT_EQ(*moved, (SmallVector<int64_t>{1, kDyn}));
  auto other = shape::reshape({4, kDyn, 6}, {0, -1}, error);
  ASSERT_TRUE(succeeded(other)) << error;
  EXPECT_EQ(*other, (SmallVector<int64_t>{4, kDyn}));
  // Without a -1, a dynamic count is left to run time.
  auto noInfer = shape::reshape({kDyn, 6}, {0, 6}, error);
  ASSERT_TRUE(succeeded(noInfer)) << error;
  EXPECT_EQ(*noInfer, (SmallVector<int64_t>{kDyn, 6}));
  // The dims that are not copied must still divide.
  EXPECT_TRUE(failed(shape::reshape({kDyn, 6}, {0, 4, -1}, error)));
  EXPECT_NE(error.find("do not divide into 4"), std::string::npos) << error;
}

TEST(ShapeInference, MeetAllFindsClashesBehindDynamicDims) {
  EXPECT_EQ(shape::meetAll({kDyn, 2, kDyn}), 2);
  EXPECT_EQ(shape::meetAll({kDyn, kDyn}), kDyn);
  EXPECT_EQ(shape::meetAll({}), kDyn);
  EXPECT_FALSE(shape::meetAll({kDyn, 2, 3}));
  EXPECT_FALSE(shape::meetAll({2, kDyn, 3}));
}

TEST(ShapeInference, ReshapeRejectsBadSpecs) {
  std::string error;
  EXPECT_TRUE(failed(shape::reshape({4, 6}, {-1, -1}, error)));
  EXPECT_NE(error.find("more than one -1"), std::string::npos);
  EXPECT_TRUE(failed(shape::reshape({4, 6}, {5, -1}, error)));
  EXPECT_TRUE(failed(shape::reshape({4, 6}, {5, 5}, error)));
  EXPECT_TRUE(failed(shape::reshape({4}, {0, 0}, error)));
  EXPECT_TRUE(failed(shape::reshape({4}, {-2, 2}, error)));
  // -1 next to a zero-size dim is ambiguous.
  EXPECT_TRUE(failed(shape::reshape({3, 0}, {-1, 0}, error)));
  auto empty = shape::reshape({0, 4}, {-1, 0}, error);
  ASSERT_TRUE(succeeded(empty)) << error;
  EXPECT_EQ(*empty, (SmallVector<int64_t>{0, 4}));
}

TEST(ShapeInference, MulSaturatesToDynamic) {
  EXPECT_EQ(shape::mul(3, 4), 12);
  EXPECT_EQ(shape::mul(kDyn, 4), kDyn);
  EXPECT_EQ(shape::mul(int64_t(1) << 40, int64_t(1) << 40), kDyn);
}
} // namespace
