//===- Pipeline.h - The Heed compile pipeline -------------------*- C++ -*-===//
//
// One pipeline, registered as `heed-pipeline`, that heed-compile and the lit
// tests both run: shapes are refined, exporter spellings canonicalized, and
// attention fused before a target takes over.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_COMPILER_DRIVER_PIPELINE_H
#define HEED_COMPILER_DRIVER_PIPELINE_H

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

namespace mlir::heed {

struct PipelineOptions : public PassPipelineOptions<PipelineOptions> {
  PassOptions::Option<bool> fuse{*this, "fuse",
                                 llvm::cl::desc("Fuse attention (off: keep the decomposed graph)"),
                                 llvm::cl::init(true)};
  PassOptions::Option<bool> fusionReport{
      *this, "fusion-report",
      llvm::cl::desc("Emit a remark for every softmax: fused into which op, or why not"),
      llvm::cl::init(false)};
  PassOptions::Option<std::string> maskedRows{
      *this, "masked-rows",
      llvm::cl::desc("Fully masked attention rows give zero (default) or nan"),
      llvm::cl::init("zero")};
};

/// Appends the heed pipeline to a module-level pass manager.
void buildHeedPipeline(OpPassManager &pm, const PipelineOptions &options);

/// Registers `heed-pipeline` for heed-opt's --pass-pipeline and --heed-pipeline.
void registerHeedPipelines();

} // namespace mlir::heed

#endif // HEED_COMPILER_DRIVER_PIPELINE_H
