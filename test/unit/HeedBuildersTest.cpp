//===- HeedBuildersTest.cpp - The frontends' shared op builders -----------===//

#include "frontends/common/HeedBuilders.h"

#include "dialects/heed/IR/HeedDialect.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace mlir::heed;
using namespace mlir::heed::frontend;

namespace {
constexpr int64_t kDyn = ShapedType::kDynamic;

/// A module with one block to build into, and block arguments of given types as operands.
struct Fixture : ::testing::Test {
  Fixture() : builder(&context), loc(UnknownLoc::get(&context)) {
    context.loadDialect<HeedDialect>();
    module = ModuleOp::create(loc);
    builder.setInsertionPointToEnd(module->getBody());
    handler.emplace(&context, [this](Diagnostic &diag) {
      diagnostics.push_back(diag.str());
      return success();
    });
  }
  Value arg(ArrayRef<int64_t> shape, Type element = {}) {
    auto type = RankedTensorType::get(shape, element ? element : builder.getF32Type());
    return module->getBody()->addArgument(type, loc);
  }
  size_t opCount() { return module->getBody()->getOperations().size(); }

  MLIRContext context;
  OpBuilder builder;
  Location loc;
  OwningOpRef<ModuleOp> module;
  std::optional<ScopedDiagnosticHandler> handler;
  std::vector<std::string> diagnostics;
};

TEST_F(Fixture, CreateInfersResultTypes) {
  HeedBuilder heed(builder);
  Value y = heed.value<AddOp>(loc, arg({2, 3}), arg({3}));
  ASSERT_TRUE(y);
  EXPECT_EQ(y.getType(), RankedTensorType::get({2, 3}, builder.getF32Type()));
  auto r = heed.create<ReshapeOp>(loc, arg({kDyn, 4}), ArrayRef<int64_t>{0, 2, 2});
  ASSERT_TRUE(r);
  EXPECT_EQ(r.getType(), RankedTensorType::get({kDyn, 2, 2}, builder.getF32Type()));
  EXPECT_TRUE(diagnostics.empty());
}

TEST_F(Fixture, ShapeErrorGoesToTheContextOrIntoTheCapture) {
  HeedBuilder reporting(builder);
  EXPECT_FALSE(reporting.create<AddOp>(loc, arg({2, 3}), arg({4})));
  EXPECT_EQ(diagnostics.size(), 1u);
  EXPECT_EQ(opCount(), 0u);

  InferenceError error;
  HeedBuilder capturing(builder, &error);
  EXPECT_FALSE(capturing.create<AddOp>(loc, arg({2, 3}), arg({4})));
  EXPECT_EQ(diagnostics.size(), 1u); // nothing more reached the context
  EXPECT_EQ(error.opName, "heed.add");
  ASSERT_EQ(error.operandTypes.size(), 2u);
  EXPECT_EQ(error.operandTypes[1], RankedTensorType::get({4}, builder.getF32Type()));
  EXPECT_FALSE(error.message.empty());
  // The next build starts afresh.
  EXPECT_TRUE(capturing.create<AddOp>(loc, arg({2, 3}), arg({3})));
  EXPECT_TRUE(error.opName.empty());
}

TEST_F(Fixture, NullOperandBuildsNothingSilently) {
  HeedBuilder heed(builder);
  EXPECT_FALSE(heed.value<AddOp>(loc, arg({3}), Value()));
  // An absent optional operand is not a null required one.
  EXPECT_TRUE(heed.value<LinearOp>(loc, arg({2, 4}), arg({5, 4}), Value(), true));
  EXPECT_TRUE(diagnostics.empty());
  EXPECT_EQ(opCount(), 1u);
}

TEST_F(Fixture, RecurrentOpsTakeTheirOperandsBySegment) {
  HeedBuilder heed(builder);
  Value x = arg({7, 2, 3}), h0 = arg({1, 2, 5}), c0 = arg({1, 2, 5});
  SmallVector<Value> weights{arg({20, 3}), arg({20, 5})};
  RecurrentSpec spec;
  spec.input = x;
  spec.initialHidden = h0;
  spec.initialCell = c0;
  spec.weights = weights;
  spec.hiddenSize = 5;
  spec.hasBiases = false;
  Operation *op = heed.recurrent(loc, spec);
  auto lstm = dyn_cast_or_null<LstmOp>(op);
  ASSERT_TRUE(lstm);
  EXPECT_EQ(lstm.getInitialCell(), c0);
  EXPECT_FALSE(lstm.getLengths());
  EXPECT_EQ(lstm.getWeights().size(), 2u);
  EXPECT_EQ(lstm.getOutput().getType(), RankedTensorType::get({7, 2, 5}, builder.getF32Type()));

  spec.kind = RecurrentKind::gru;
  spec.initialCell = Value();
  SmallVector<Value> gruWeights{arg({15, 3}), arg({15, 5})};
  spec.weights = gruWeights;
  spec.linearBeforeReset = false;
  auto gru = dyn_cast_or_null<GruOp>(heed.recurrent(loc, spec));
  ASSERT_TRUE(gru);
  EXPECT_FALSE(gru.getLinearBeforeReset());
  EXPECT_EQ(gru->getNumResults(), 2u);
}

TEST_F(Fixture, AttentionReturnsItsWeightsWhenAsked) {
  HeedBuilder heed(builder);
  AttentionSpec spec;
  spec.query = arg({2, 4, 8});
  spec.key = arg({2, 6, 8});
  spec.value = arg({2, 6, 8});
  spec.scale = 0.125;
  spec.maskKind = MaskKind::causal;
  spec.returnWeights = true;
  AttentionOp op = heed.attention(loc, spec);
  ASSERT_TRUE(op);
  ASSERT_EQ(op->getNumResults(), 2u);
  EXPECT_EQ(op.getWeights().getType(), RankedTensorType::get({2, 4, 6}, builder.getF32Type()));
  EXPECT_EQ(op.getScale().convertToFloat(), 0.125f);
  EXPECT_EQ(op.getMaskKind(), MaskKind::causal);
}
} // namespace
