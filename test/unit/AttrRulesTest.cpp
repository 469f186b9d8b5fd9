//===- AttrRulesTest.cpp - The attribute rule table against the dialect ---===//
//
// dialects/heed/IR/AttrRules.h is read by the dialect's verifier and by the
// runtime's module loader. These tests keep it tied to the dialect: every
// rule names a registered op and one of its attributes (a renamed attribute
// would otherwise leave the loader checking nothing), and the verifier's
// table check reports a forged value with the op and attribute.
//
//===----------------------------------------------------------------------===//

#include "dialects/heed/IR/AttrRules.h"
#include "dialects/heed/IR/HeedDialect.h"
#include "dialects/heed/IR/HeedOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

using namespace mlir;
namespace rules = ::heed::attr_rules;

namespace {

MLIRContext &context() {
  static MLIRContext *ctx = [] {
    DialectRegistry registry;
    registry.insert<mlir::heed::HeedDialect, arith::ArithDialect, func::FuncDialect>();
    auto *c = new MLIRContext(registry);
    c->loadAllAvailableDialects();
    return c;
  }();
  return *ctx;
}

TEST(AttrRules, EveryRuleNamesAnOpAndOneOfItsAttributes) {
  for (const rules::Rule &rule : rules::kRules) {
    auto name = RegisteredOperationName::lookup(rule.op, &context());
    ASSERT_TRUE(name.has_value()) << rule.op << " is not a registered op";
    bool found = false;
    for (StringAttr attr : name->getAttributeNames())
      found |= attr.getValue() == rule.attr;
    EXPECT_TRUE(found) << rule.op << " has no attribute '" << rule.attr << "'";
  }
}

TEST(AttrRules, Violations) {
  rules::Rule heads{"heed.attention", "num_heads", 0, rules::kNoMax};
  EXPECT_EQ(rules::violation(heads, 4), "");
  EXPECT_EQ(rules::violation(heads, -4), "-4 is out of range [0, 2^63)");
  rules::Rule align{"heed.attention", "causal_align", 0, rules::kCausalAlignMax};
  EXPECT_EQ(rules::violation(align, 9), "9 is out of range [0, 1]");
  rules::Rule mask{"heed.attention", "mask_kind", 0, rules::kMaskOperandKinds | rules::kMaskCausal,
                   rules::Kind::mask};
  EXPECT_EQ(rules::violation(mask, rules::kMaskLengths | rules::kMaskCausal), "");
  EXPECT_EQ(rules::violation(mask, 255), "has unknown mask bits (255; allowed: 15)");
  EXPECT_EQ(rules::violation(mask, -1), "has unknown mask bits (-1; allowed: 15)");
  EXPECT_EQ(rules::violation(mask, rules::kMaskAdditive | rules::kMaskBoolean),
            "combines more than one of additive, boolean and lengths (3)");
}

TEST(AttrRules, VerifierReportsTheOpAndAttribute) {
  const char *source = R"mlir(
    func.func @f(%x: tensor<4xf32>) -> tensor<2xf32> {
      %v, %i = heed.top_k %x {k = 2} : (tensor<4xf32>) -> (tensor<2xf32>, tensor<2xi64>)
      return %v : tensor<2xf32>
    })mlir";
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(source, &context());
  ASSERT_TRUE(module);
  Operation *topK = nullptr;
  module->walk([&](mlir::heed::TopKOp op) { topK = op; });
  ASSERT_NE(topK, nullptr);
  EXPECT_TRUE(succeeded(mlir::heed::verifyAttrRules(topK)));
  topK->setAttr("k", IntegerAttr::get(IntegerType::get(&context(), 64), -2));
  std::string message;
  ScopedDiagnosticHandler capture(&context(), [&](Diagnostic &d) {
    message = d.str();
    return success();
  });
  EXPECT_TRUE(failed(mlir::heed::verifyAttrRules(topK)));
  EXPECT_EQ(message, "'heed.top_k' op attribute 'k' -2 is out of range [1, 2^63)");
}

} // namespace
