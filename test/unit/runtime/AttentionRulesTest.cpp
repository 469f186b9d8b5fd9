//===- AttentionRulesTest.cpp - The attention ops' shape rules ------------===//
//
// runtime/drivers/rules/AttentionRules.h: how both drivers read attention's query, key, value
// and masks, and additive attention's operands; success and error paths of each rule.
//
//===----------------------------------------------------------------------===//

#include "runtime/drivers/rules/AttentionRules.h"

#include <gtest/gtest.h>

using namespace heed::rt;

namespace {

using Shape = std::vector<int64_t>;
using Pos = std::vector<int>;
constexpr ElemType f32 = ElemType::f32;

TEST(AttentionRules, PackedHeads) {
  AttentionLayout l;
  EXPECT_EQ(attentionLayout({2, 5, 8}, {2, 7, 4}, {1, 7, 6}, f32, 4, 2, l), "");
  EXPECT_EQ(l.heads, 4);
  EXPECT_EQ(l.kvHeads, 2);
  EXPECT_EQ(l.headDim, 2);
  EXPECT_EQ(l.valueDim, 3);
  EXPECT_EQ(l.outShape, (Shape{2, 5, 12}));
  EXPECT_EQ(l.scoresShape, (Shape{2, 4, 5, 7}));
  EXPECT_EQ(l.value[0], 0); // a value batch of 1 broadcasts
  EXPECT_EQ(attentionLayout({2, 5, 8}, {2, 7, 8}, {2, 7, 8}, f32, 4, 3, l),
            "num_kv_heads 3 does not divide num_heads 4");
  EXPECT_EQ(attentionLayout({2, 5, 8}, {2, 7, 8}, {2, 7, 8, 1}, f32, 4, 0, l),
            "with num_heads expects [B, L, H*D] query, key and value");
  EXPECT_EQ(attentionLayout({2, 5, 6}, {2, 7, 8}, {2, 7, 8}, f32, 4, 0, l),
            "has feature dims not divisible by the head counts");
}

TEST(AttentionRules, SeparateHeads) {
  AttentionLayout l;
  EXPECT_EQ(attentionLayout({2, 4, 5, 8}, {2, 2, 7, 8}, {2, 2, 7, 3}, f32, 0, 0, l), "");
  EXPECT_EQ(l.outShape, (Shape{2, 4, 5, 3}));
  EXPECT_EQ(l.scoresPos, (Pos{0, 1, 2, 3}));
  EXPECT_EQ(attentionLayout({5, 8}, {7, 8}, {7, 3}, f32, 0, 0, l), "");
  EXPECT_EQ(l.scoresShape, (Shape{5, 7}));
  EXPECT_EQ(l.scoresPos, (Pos{2, 3}));
  EXPECT_EQ(attentionLayout({8}, {8}, {8}, f32, 0, 0, l),
            "expects query, key and value of the same rank 2, 3 or 4");
  EXPECT_EQ(attentionLayout({2, 5, 8}, {2, 7, 6}, {2, 7, 3}, f32, 0, 0, l),
            "has inconsistent query 2x5x8xf32, key 2x7x6xf32 and value 2x7x3xf32");
}

TEST(AttentionRules, Masks) {
  Shape scores{2, 4, 5, 7}, mask{2, 1, 1, 7}, lengths{2}, wrong{3};
  Pos pos{0, 1, 2, 3};
  std::array<int64_t, 4> st{};
  TypedShape additive{mask, f32}, boolean{mask, ElemType::boolean}, lens{lengths, ElemType::i32};
  EXPECT_EQ(attentionMask(&additive, MaskOperand::additive, 2, scores, pos, st), "");
  EXPECT_EQ(st, (std::array<int64_t, 4>{7, 0, 0, 1}));
  EXPECT_EQ(attentionMask(&boolean, MaskOperand::boolean, 2, scores, pos, st), "");
  EXPECT_EQ(attentionMask(&boolean, MaskOperand::additive, 2, scores, pos, st),
            "expects an f32 additive mask");
  EXPECT_EQ(attentionMask(&additive, MaskOperand::boolean, 2, scores, pos, st),
            "expects an i1 boolean mask");
  EXPECT_EQ(attentionMask(nullptr, MaskOperand::boolean, 2, scores, pos, st),
            "has a mask kind that needs a mask operand");
  EXPECT_EQ(attentionMask(&lens, MaskOperand::lengths, 2, scores, pos, st), "");
  TypedShape badLens{wrong, ElemType::i64}, floatLens{lengths, f32};
  EXPECT_EQ(attentionMask(&badLens, MaskOperand::lengths, 2, scores, pos, st),
            "expects key lengths [2], got 3xi64");
  EXPECT_EQ(attentionMask(&floatLens, MaskOperand::lengths, 2, scores, pos, st),
            "expects integer key lengths");
  Shape tooWide{2, 1, 1, 8};
  TypedShape bad{tooWide, f32};
  EXPECT_EQ(attentionMask(&bad, MaskOperand::additive, 2, scores, pos, st),
            "mask 2x1x1x8xf32 does not broadcast to the scores 2x4x5x7");
}

TEST(AttentionRules, Additive) {
  Shape q{2, 6}, q3{2, 3, 6}, kp{2, 7, 5}, vals{2, 7, 4}, wq{5, 6}, v{5}, badV{4};
  AdditiveAttentionLayout l;
  EXPECT_EQ(additiveAttentionLayout({{q, f32}, {kp, f32}, {vals, f32}, {wq, f32}, {v, f32}}, l),
            "");
  EXPECT_TRUE(l.step);
  EXPECT_EQ(l.outShape, (Shape{2, 4}));
  EXPECT_EQ(l.scoresShape, (Shape{2, 7}));
  EXPECT_EQ(l.scoresPos, (Pos{0, 3}));
  EXPECT_EQ(additiveAttentionLayout({{q3, f32}, {kp, f32}, {vals, f32}, {wq, f32}, {v, f32}}, l),
            "");
  EXPECT_EQ(l.outShape, (Shape{2, 3, 4}));
  EXPECT_EQ(l.scoresShape, (Shape{2, 3, 7}));
  EXPECT_EQ(additiveAttentionLayout({{q, f32}, {kp, f32}}, l),
            "expects query, keys_proj, values, w_query and v");
  EXPECT_NE(additiveAttentionLayout({{q, f32}, {kp, f32}, {vals, f32}, {wq, f32}, {wq, f32}}, l)
                .find("expects query [B, Dq] or [B, Lq, Dq]"),
            std::string::npos);
  EXPECT_NE(additiveAttentionLayout({{q, f32}, {kp, f32}, {vals, f32}, {wq, f32}, {badV, f32}}, l)
                .find("has inconsistent shapes"),
            std::string::npos);
}

} // namespace
