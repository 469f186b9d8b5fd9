//===- heed-opt.cpp - The heed optimizer driver ---------------------------===//
//
// mlir-opt for Heed: the heed dialect, the upstream dialects Heed uses, every
// heed pass and the upstream passes tests rely on (canonicalize, cse).
//
//===----------------------------------------------------------------------===//

#include "compiler/driver/OptMain.h"
#include "compiler/pipelines/Pipeline.h"
#include "dialects/heed/IR/HeedDialect.h"
#include "dialects/heed/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Transforms/Passes.h"

int main(int argc, char **argv) {
  mlir::registerTransformsPasses();
  mlir::heed::registerHeedPasses();
  mlir::heed::registerHeedPipelines();

  mlir::DialectRegistry registry;
  registry.insert<mlir::heed::HeedDialect, mlir::arith::ArithDialect, mlir::func::FuncDialect>();
  return mlir::heed::optMain(argc, argv, "Heed optimizer driver\n", registry);
}
