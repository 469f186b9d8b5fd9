//===- Passes.h - Passes of the heed dialect --------------------*- C++ -*-===//

#ifndef HEED_DIALECT_HEED_TRANSFORMS_PASSES_H
#define HEED_DIALECT_HEED_TRANSFORMS_PASSES_H

#include "dialects/heed/IR/HeedOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::heed {

#define GEN_PASS_DECL
#include "dialects/heed/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "dialects/heed/Transforms/Passes.h.inc"

} // namespace mlir::heed

#endif // HEED_DIALECT_HEED_TRANSFORMS_PASSES_H
