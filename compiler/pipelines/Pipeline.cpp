//===- Pipeline.cpp - The Heed compile pipeline ---------------------------===//

#include "compiler/pipelines/Pipeline.h"

#include "dialects/heed/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void heed::buildHeedPipeline(OpPassManager &pm, const PipelineOptions &options) {
  pm.addNestedPass<func::FuncOp>(createHeedInferShapes());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void heed::registerHeedPipelines() {
  PassPipelineRegistration<PipelineOptions>(
      "heed-pipeline", "The Heed compile pipeline: shapes, canonicalization, attention fusion",
      buildHeedPipeline);
}
