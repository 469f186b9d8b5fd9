//===- HeedDialect.cpp - The heed dialect ---------------------------------===//

#include "dialects/heed/IR/HeedDialect.h"
#include "dialects/heed/IR/HeedOps.h"

#include "mlir/IR/DialectImplementation.h"
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
