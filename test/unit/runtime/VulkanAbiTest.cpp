//===- VulkanAbiTest.cpp - runtime/drivers/vulkan/abi ---------------------===//
//
// The push-constant structs are the contract between the SPIR-V inside a
// module and the driver that runs it, so a module compiled before a change
// must still find each field where its shaders read it: these tests pin the
// positions, check that every field table (the GLSL block the compiler emits)
// walks its struct in order, and that no field is named as a GLSL keyword
// (the generated shader would not compile).
//
//===----------------------------------------------------------------------===//

#include "runtime/drivers/vulkan/abi/AdditiveAttention.h"
#include "runtime/drivers/vulkan/abi/Attention.h"
#include "runtime/drivers/vulkan/abi/Copy.h"
#include "runtime/drivers/vulkan/abi/Elementwise.h"
#include "runtime/drivers/vulkan/abi/Gather.h"
#include "runtime/drivers/vulkan/abi/Generators.h"
#include "runtime/drivers/vulkan/abi/Matmul.h"
#include "runtime/drivers/vulkan/abi/Recurrent.h"
#include "runtime/drivers/vulkan/abi/Reduce.h"
#include "runtime/drivers/vulkan/abi/Rows.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <set>
#include <string>

using namespace heed::vkabi;

namespace {

/// The int index of a field, as a shader reads it.
#define AT(Type, field) (offsetof(Type, field) / sizeof(int32_t))

TEST(VulkanAbi, PositionsModulesRelyOn) {
  EXPECT_EQ(AT(ElementwisePush, shape), 1u);
  EXPECT_EQ(AT(CopyPush, shape), 3u);
  EXPECT_EQ(AT(MatmulPush, count), 3u);
  EXPECT_EQ(AT(MatmulPush, batch), 4u);
  EXPECT_EQ(AT(LinearPush, count), 3u);
  EXPECT_EQ(AT(ReducePush, shape), 1u);
  EXPECT_EQ(AT(TopKPush, k), 3u);
  EXPECT_EQ(AT(GatherPush, statusSlot), 4u);
  EXPECT_EQ(AT(CausalMaskPush, shift), 2u);
  EXPECT_EQ(AT(AttentionPush, causalShift), 7u);
  EXPECT_EQ(AT(AttentionPush, qStrides), 8u);
  EXPECT_EQ(AT(AttentionPush, outStrides), 17u);
  EXPECT_EQ(AT(AttentionPush, maskStrides), 20u);
  EXPECT_EQ(AT(AttentionPush, queryBlocks), 24u);
  EXPECT_EQ(AT(AttentionPush, splits), 26u);
  EXPECT_EQ(AT(AdditiveAttentionPush, maskStrides), 6u);
  EXPECT_EQ(AT(CellPush, hiddenSize), 2u);
  EXPECT_EQ(AT(RecurrentStepPush, x), 4u);
  EXPECT_EQ(AT(RecurrentStepPush, zeroCPrev), 12u);
  EXPECT_EQ(AT(RecurrentStepPush, statusSlot), 14u);
  EXPECT_EQ(kCopyMaxRank, 9);
  EXPECT_EQ(kReduceMaxRank, 7);
  EXPECT_TRUE(elementwiseFits(7, 3));
  EXPECT_FALSE(elementwiseFits(8, 3));
  EXPECT_TRUE(matmulFits(9));
  EXPECT_FALSE(matmulFits(10));
}

TEST(VulkanAbi, VariantsAndMaskBits) {
  EXPECT_EQ(int(AttentionKernel::flash), 0);
  EXPECT_EQ(int(AttentionKernel::flashSubgroup), 1);
  EXPECT_EQ(int(AttentionKernel::split), 2);
  EXPECT_EQ(int(AttentionKernel::combine), 3);
  EXPECT_EQ(int(AttentionKernel::splitSubgroup), 4);
  EXPECT_EQ(int(RowKernel::subgroup), 1);
  EXPECT_EQ(int(RecurrentKernel::batchFirstCopy), 1);
  // heed.attention's mask_kind attribute (MaskKind in the dialect) uses these bits.
  EXPECT_EQ(kAdditive | kBoolean | kLengths | kCausal, 15);
  EXPECT_EQ(kMaskOperand, 7);
}

/// Each field of the table where the struct has it, in order.
#define EXPECT_INT(name)                                                                           \
  EXPECT_EQ(AT(T, name), size_t(at)) << #name;                                                     \
  ++at;
#define EXPECT_INTS(name, n)                                                                       \
  EXPECT_EQ(AT(T, name), size_t(at)) << #name;                                                     \
  at += n;
#define EXPECT_LAYOUT(Type, FIELDS)                                                                \
  [] {                                                                                             \
    using T = Type;                                                                                \
    int at = 0;                                                                                    \
    FIELDS(EXPECT_INT, EXPECT_INTS)                                                                \
    EXPECT_EQ(size_t(at) * sizeof(int32_t), sizeof(T));                                            \
    int ints = 0;                                                                                  \
    for (const PushField &f : PushLayout<T>::fields)                                               \
      ints += f.count;                                                                             \
    EXPECT_EQ(ints, at);                                                                           \
  }()

TEST(VulkanAbi, FieldTablesWalkTheStructs) {
  EXPECT_LAYOUT(ElementwisePush, HEED_VK_ELEMENTWISE_PUSH);
  EXPECT_LAYOUT(CopyPush, HEED_VK_COPY_PUSH);
  EXPECT_LAYOUT(MatmulPush, HEED_VK_MATMUL_PUSH);
  EXPECT_LAYOUT(LinearPush, HEED_VK_LINEAR_PUSH);
  EXPECT_LAYOUT(SoftmaxPush, HEED_VK_SOFTMAX_PUSH);
  EXPECT_LAYOUT(LayerNormPush, HEED_VK_LAYER_NORM_PUSH);
  EXPECT_LAYOUT(ReducePush, HEED_VK_REDUCE_PUSH);
  EXPECT_LAYOUT(ArgmaxPush, HEED_VK_ARGMAX_PUSH);
  EXPECT_LAYOUT(TopKPush, HEED_VK_TOP_K_PUSH);
  EXPECT_LAYOUT(GatherPush, HEED_VK_GATHER_PUSH);
  EXPECT_LAYOUT(SequenceMaskPush, HEED_VK_SEQUENCE_MASK_PUSH);
  EXPECT_LAYOUT(CausalMaskPush, HEED_VK_CAUSAL_MASK_PUSH);
  EXPECT_LAYOUT(RangePush, HEED_VK_RANGE_PUSH);
  EXPECT_LAYOUT(PositionsPush, HEED_VK_POSITIONS_PUSH);
  EXPECT_LAYOUT(AttentionPush, HEED_VK_ATTENTION_PUSH);
  EXPECT_LAYOUT(AdditiveAttentionPush, HEED_VK_ADDITIVE_ATTENTION_PUSH);
  EXPECT_LAYOUT(CellPush, HEED_VK_CELL_PUSH);
  EXPECT_LAYOUT(RecurrentStepPush, HEED_VK_RECURRENT_STEP_PUSH);
}

template <class Push> void expectGlslNames(const std::set<std::string> &keywords) {
  for (const PushField &f : PushLayout<Push>::fields)
    EXPECT_EQ(keywords.count(f.name), 0u) << f.name << " is a GLSL keyword";
}

TEST(VulkanAbi, FieldNamesAreNotGlslKeywords) {
  // GLSL 4.50's keywords and reserved words that could pass for a field name.
  const std::set<std::string> keywords = {
      "active",   "asm",      "attribute", "buffer",    "case",       "cast",      "centroid",
      "class",    "coherent", "common",    "const",     "default",    "discard",   "do",
      "else",     "enum",     "extern",    "external",  "filter",     "fixed",     "flat",
      "for",      "goto",     "half",      "high",      "highp",      "if",        "in",
      "inline",   "inout",    "input",     "interface", "invariant",  "layout",    "long",
      "low",      "lowp",     "medium",    "mediump",   "namespace",  "noinline",  "output",
      "out",      "packed",   "partition", "patch",     "precise",    "precision", "public",
      "readonly", "resource", "restrict",  "return",    "sample",     "shared",    "short",
      "sizeof",   "smooth",   "static",    "struct",    "subroutine", "superp",    "switch",
      "template", "this",     "typedef",   "uniform",   "union",      "unsigned",  "using",
      "varying",  "void",     "volatile",  "while",     "writeonly"};
  expectGlslNames<ElementwisePush>(keywords);
  expectGlslNames<CopyPush>(keywords);
  expectGlslNames<MatmulPush>(keywords);
  expectGlslNames<LinearPush>(keywords);
  expectGlslNames<SoftmaxPush>(keywords);
  expectGlslNames<LayerNormPush>(keywords);
  expectGlslNames<ReducePush>(keywords);
  expectGlslNames<ArgmaxPush>(keywords);
  expectGlslNames<TopKPush>(keywords);
  expectGlslNames<GatherPush>(keywords);
  expectGlslNames<SequenceMaskPush>(keywords);
  expectGlslNames<CausalMaskPush>(keywords);
  expectGlslNames<RangePush>(keywords);
  expectGlslNames<PositionsPush>(keywords);
  expectGlslNames<AttentionPush>(keywords);
  expectGlslNames<AdditiveAttentionPush>(keywords);
  expectGlslNames<CellPush>(keywords);
  expectGlslNames<RecurrentStepPush>(keywords);
}

} // namespace
