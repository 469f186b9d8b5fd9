//===- RecurrentRulesTest.cpp - The recurrent ops' shape rules ------------===//
//
// runtime/drivers/rules/RecurrentRules.h: cells' and sequences' gate sizes, weight, bias, state
// and length shapes as both drivers check them, success and error paths.
//
//===----------------------------------------------------------------------===//

#include "runtime/drivers/rules/RecurrentRules.h"

#include <gtest/gtest.h>

using namespace heed::rt;

namespace {

using Shape = std::vector<int64_t>;
constexpr ElemType f32 = ElemType::f32;

TEST(RecurrentRules, ExpectF32) {
  Shape s{2, 3};
  EXPECT_EQ(expectF32({s, f32}, {2, 3}, "hidden"), "");
  EXPECT_EQ(expectF32({s, ElemType::f64}, {2, 3}, "hidden"), "hidden must be f32, got f64");
  EXPECT_EQ(expectF32({s, f32}, {3, 2}, "w_ih"), "w_ih has shape 2x3xf32, expected 3x2xf32");
}

TEST(RecurrentRules, LstmCell) {
  // x [2, 5], h [2, 3], c [2, 3], w_ih [12, 5], w_hh [12, 3], b_ih, b_hh [12].
  Shape x{2, 5}, h{2, 3}, wih{12, 5}, whh{12, 3}, b{12}, badB{3};
  CellLayout l;
  EXPECT_EQ(cellLayout({{x, f32}, {h, f32}, {h, f32}, {wih, f32}, {whh, f32}, {b, f32}, {b, f32}},
                       true, 4, l),
            "");
  EXPECT_EQ(l.batch, 2);
  EXPECT_EQ(l.input, 5);
  EXPECT_EQ(l.hidden, 3);
  EXPECT_EQ(l.weightsAt, 3u);
  EXPECT_TRUE(l.biases);
  EXPECT_EQ(cellLayout({{x, f32}, {h, f32}, {h, f32}, {wih, f32}, {whh, f32}}, true, 4, l), "");
  EXPECT_FALSE(l.biases);
  EXPECT_EQ(
      cellLayout({{x, f32}, {h, f32}, {h, f32}, {wih, f32}, {whh, f32}, {b, f32}}, true, 4, l),
      "expects either no biases or both b_ih and b_hh");
  EXPECT_EQ(cellLayout({{x, f32}, {b, f32}, {h, f32}, {wih, f32}, {whh, f32}}, true, 4, l),
            "expects input [B, I] and hidden [B, H]");
  EXPECT_EQ(
      cellLayout({{x, f32}, {h, f32}, {h, f32}, {wih, f32}, {whh, f32}, {b, f32}, {badB, f32}},
                 true, 4, l),
      "b_hh has shape 3xf32, expected 12xf32");
  EXPECT_EQ(cellLayout({{x, f32}, {h, f32}, {wih, f32}, {whh, f32}}, false, 3, l),
            "w_ih has shape 12x5xf32, expected 9x5xf32");
}

TEST(RecurrentRules, Sequence) {
  Shape x{2, 6, 5}; // batch first: B = 2, T = 6, I = 5
  SequenceAttrs a;
  a.gates = 3;
  a.hidden = 4;
  a.layers = 2;
  a.batchFirst = true;
  a.bidirectional = true;
  a.biases = false;
  SequenceLayout l;
  EXPECT_EQ(sequenceLayout({x, f32}, a, 8, l), "");
  EXPECT_EQ(l.steps, 6);
  EXPECT_EQ(l.batch, 2);
  EXPECT_EQ(l.stateShape, (Shape{4, 2, 4}));
  EXPECT_EQ(l.outShape, (Shape{2, 6, 8}));
  EXPECT_EQ(l.perDirection, 2u);
  Shape w0{12, 5}, w1{12, 8}, hh{12, 4};
  std::vector<TypedShape> weights{{w0, f32}, {hh, f32}, {w0, f32}, {hh, f32},
                                  {w1, f32}, {hh, f32}, {w1, f32}, {hh, f32}};
  EXPECT_EQ(sequenceWeights(l, weights), "");
  std::vector<TypedShape> wrong{{w0, f32}, {hh, f32}, {w0, f32}, {hh, f32},
                                {w1, f32}, {hh, f32}, {w0, f32}, {hh, f32}};
  EXPECT_EQ(sequenceWeights(l, wrong),
            "layer 1 reverse w_ih has shape 12x5xf32, expected 12x8xf32");
  EXPECT_EQ(sequenceLayout({x, f32}, a, 7, l),
            "expects 2 layers x 2 directions x 2 weights with hidden_size >= 1, got 7 weights and "
            "hidden_size 4");
  Shape state{4, 2, 4}, badState{2, 2, 4};
  EXPECT_EQ(sequenceInitialState(l, {state, f32}, false), "");
  EXPECT_EQ(sequenceInitialState(l, {badState, f32}, true),
            "initial cell state has shape 2x2x4xf32, expected 4x2x4xf32");
  Shape lens{2}, badLens{3};
  EXPECT_EQ(sequenceLengths(l, {lens, ElemType::i64}), "");
  EXPECT_EQ(sequenceLengths(l, {badLens, ElemType::i32}), "expects lengths [2], got 3xi32");
  EXPECT_EQ(sequenceLengths(l, {lens, f32}), "expects integer lengths, got 2xf32");
  a.reverse = true;
  EXPECT_EQ(sequenceLayout({x, f32}, a, 8, l), "is both reverse and bidirectional");
  Shape flat{6, 5};
  EXPECT_EQ(sequenceLayout({flat, f32}, a, 8, l), "expects a rank-3 input, got 6x5xf32");
  EXPECT_EQ(sequenceLayout({x, ElemType::f64}, a, 8, l), "supports only f32 input");
}

} // namespace
