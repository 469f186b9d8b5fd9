//===- HeedDialect.h - The heed dialect -------------------------*- C++ -*-===//

#ifndef HEED_DIALECT_HEED_IR_HEEDDIALECT_H
#define HEED_DIALECT_HEED_IR_HEEDDIALECT_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Dialect.h"

#include "dialects/heed/IR/HeedDialect.h.inc"

#endif // HEED_DIALECT_HEED_IR_HEEDDIALECT_H
