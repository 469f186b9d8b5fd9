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

/// Refuses a fully static result type above maxTensorBytes() (TensorLimits.h).
LogicalResult verifyTensorSizeLimit(Operation *op);

/// Checks the op's integer and enum attributes against AttrRules.h.
LogicalResult verifyAttrRules(Operation *op);

/// The integer value of an integer, bool or heed enum attribute (what the
/// module writer stores), or nothing for any other attribute.
std::optional<int64_t> integerValue(Attribute attr);

/// The trait every heed op carries (HeedBase.td, Heed_CommonChecks). The size
/// limit runs first; the attribute rules run after the op's own verifier (as a
/// region-trait check, which MLIR runs last), so an op's more specific message
/// wins and the table catches what the op does not check itself.
template <typename ConcreteType>
class CommonChecks : public OpTrait::TraitBase<ConcreteType, CommonChecks> {
public:
  static LogicalResult verifyTrait(Operation *op) { return verifyTensorSizeLimit(op); }
  static LogicalResult verifyRegionTrait(Operation *op) { return verifyAttrRules(op); }
};
} // namespace mlir::heed

#define GET_OP_CLASSES
#include "dialects/heed/IR/HeedOps.h.inc"

#endif // HEED_DIALECT_HEED_IR_HEEDOPS_H
