//===- HeedOps.h - Operations of the heed dialect ---------------*- C++ -*-===//

#ifndef HEED_DIALECT_HEED_IR_HEEDOPS_H
#define HEED_DIALECT_HEED_IR_HEEDOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dialects/heed/IR/HeedDialect.h"
#include "dialects/heed/IR/HeedEnums.h.inc"
#include "dialects/heed/IR/ShapeInference.h"

#define GET_ATTRDEF_CLASSES
#include "dialects/heed/IR/HeedAttrs.h.inc"

namespace mlir::heed {
/// The verifier of every op with inferred result types: runs the inference
/// at the op's location and checks the declared result types against it.
LogicalResult verifyInferredTypes(Operation *op);
} // namespace mlir::heed

#define GET_OP_CLASSES
#include "dialects/heed/IR/HeedOps.h.inc"

#endif // HEED_DIALECT_HEED_IR_HEEDOPS_H
