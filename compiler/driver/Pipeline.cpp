//===- Pipeline.cpp - The Heed compile pipeline ---------------------------===//

#include "compiler/driver/Pipeline.h"

#include "dialects/heed/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void heed::buildHeedPipeline(OpPassManager &pm, const PipelineOptions &options) {
  pm.addNestedPass<func::FuncOp>(createHeedInferShapes());
  if (options.fuse) {
    // Canonical spellings first, cleaned up (x * 1, dead ops, duplicate
    // constants), then the fusions: dot-product before additive, since an
    // additive score never has the QK^T shape the first one looks for.
    pm.addNestedPass<func::FuncOp>(createHeedCanonicalizeAttention());
    pm.addPass(createCanonicalizerPass());
    pm.addPass(createCSEPass());
    HeedFuseAttentionOptions attention;
    attention.report = options.fusionReport;
    attention.maskedRows = options.maskedRows;
    pm.addNestedPass<func::FuncOp>(createHeedFuseAttention(attention));
    HeedFuseAdditiveAttentionOptions additive;
    additive.report = options.fusionReport;
    additive.maskedRows = options.maskedRows;
    pm.addNestedPass<func::FuncOp>(createHeedFuseAdditiveAttention(additive));
    // After both: their matchers read the matmuls and adds of the scores and key projections.
    pm.addNestedPass<func::FuncOp>(createHeedFuseLinear());
    // After the attention fusion, whose query-length proofs walk the rotary's muls (dimOrigin);
    // before the head transposes fold, since it moves the heads transpose past the rotary.
    pm.addNestedPass<func::FuncOp>(createHeedFuseRotary());
    // The fusions leave transpose pairs on the key (k^T of the scores, undone for the fused
    // op) that the head-split matcher reads as one transpose: cancelled first.
    pm.addPass(createCanonicalizerPass());
    pm.addNestedPass<func::FuncOp>(createHeedFoldHeadTransposes());
  }
  if (options.fusionReport) {
    HeedFusionReportOptions report;
    report.fusionDisabled = !options.fuse;
    report.maskedRows = options.maskedRows;
    pm.addNestedPass<func::FuncOp>(createHeedFusionReport(report));
  }
  // Last of the fusions: the matchers and the report above read linears as plain projections (a
  // softmax left alone is explained in terms of the exporter's tanh, not a linear's activation).
  if (options.fuse) {
    pm.addNestedPass<func::FuncOp>(createHeedFuseLinearActivation());
    pm.addNestedPass<func::FuncOp>(createHeedFuseResidualNorm());
  }
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addNestedPass<func::FuncOp>(createHeedInferShapes());
  // Last: it moves fused ops whole, and the layouts the fusions chose.
  pm.addPass(createHeedHoistStepInvariants());
  pm.addPass(createCSEPass());
}

void heed::registerHeedPipelines() {
  PassPipelineRegistration<PipelineOptions>(
      "heed-pipeline", "The Heed compile pipeline: shapes, canonicalization, attention fusion",
      buildHeedPipeline);
}
