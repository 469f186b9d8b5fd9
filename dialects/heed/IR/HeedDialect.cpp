//===- HeedDialect.cpp - The heed dialect ---------------------------------===//

#include "dialects/heed/IR/HeedDialect.h"
#include "dialects/heed/IR/HeedOps.h"

#include "mlir/IR/DialectImplementation.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::heed;

#include "dialects/heed/IR/HeedDialect.cpp.inc"
#include "dialects/heed/IR/HeedEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/heed/IR/HeedAttrs.cpp.inc"

void HeedDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/heed/IR/HeedOps.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialects/heed/IR/HeedAttrs.cpp.inc"
      >();
}

Operation *HeedDialect::materializeConstant(OpBuilder &builder, Attribute value, Type type,
                                            Location loc) {
  if (isa<IndexType>(type))
    return arith::ConstantOp::materialize(builder, value, type, loc);
  if (auto elements = dyn_cast<ElementsAttr>(value))
    return ConstantOp::create(builder, loc, type, elements);
  return nullptr;
}

/// heed.name must be a string and heed.dims an array of strings with one name per dim of the
/// value's type: the runtime's decoder reorders hypotheses at the dim heed.dims calls the batch,
/// so a count that differs from the rank would index past the tensor's shape.
static LogicalResult verifyEntryAttr(Type type, NamedAttribute attr, Location loc,
                                     const Twine &what) {
  if (attr.getName() == "heed.name") {
    if (!isa<StringAttr>(attr.getValue()))
      return emitError(loc) << what << ": heed.name must be a string";
    return success();
  }
  if (attr.getName() != "heed.dims")
    return success();
  auto dims = dyn_cast<ArrayAttr>(attr.getValue());
  if (!dims || !llvm::all_of(dims, [](Attribute d) { return isa<StringAttr>(d); }))
    return emitError(loc) << what << ": heed.dims must be an array of strings";
  auto ranked = dyn_cast<RankedTensorType>(type);
  if (!ranked)
    return emitError(loc) << what << " has heed.dims but its type " << type
                          << " is not a ranked tensor";
  if (int64_t(dims.size()) != ranked.getRank())
    return emitError(loc) << what << " has heed.dims " << dims << " (" << dims.size()
                          << " dims) but its type " << type << " has rank " << ranked.getRank();
  return success();
}

LogicalResult HeedDialect::verifyRegionArgAttribute(Operation *op, unsigned region, unsigned index,
                                                    NamedAttribute attr) {
  auto fn = dyn_cast<FunctionOpInterface>(op);
  if (!fn || region != 0 || index >= fn.getNumArguments())
    return success();
  Location loc = fn.isExternal() ? op->getLoc() : fn.getArgument(index).getLoc();
  return verifyEntryAttr(fn.getArgumentTypes()[index], attr, loc,
                         "argument " + Twine(index) + " of @" + fn.getName());
}

LogicalResult HeedDialect::verifyRegionResultAttribute(Operation *op, unsigned region,
                                                       unsigned index, NamedAttribute attr) {
  auto fn = dyn_cast<FunctionOpInterface>(op);
  if (!fn || region != 0 || index >= fn.getNumResults())
    return success();
  return verifyEntryAttr(fn.getResultTypes()[index], attr, op->getLoc(),
                         "result " + Twine(index) + " of @" + fn.getName());
}
