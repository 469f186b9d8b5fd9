//===- Passes.td - Passes of the heed dialect -----------------------------===//

#ifndef HEED_TRANSFORMS_PASSES_TD
#define HEED_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// Shapes
//===----------------------------------------------------------------------===//

def HeedInferShapes : Pass<"heed-infer-shapes", "func::FuncOp"> {
  let summary = "Refines result types with the shapes the heed ops infer";
  let description = [{
    Frontends may declare results with dynamic dims; this pass replaces each
    heed op's result type with the more static one its shape rules give
    (static model widths, constant lengths), so later passes and backends see
    every dim that is known at compile time. Values that leave the function or
    feed a non-heed op keep their types, so signatures never change.
  }];
  let dependentDialects = ["::mlir::heed::HeedDialect"];
}

#endif // HEED_TRANSFORMS_PASSES_TD
