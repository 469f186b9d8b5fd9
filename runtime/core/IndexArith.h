//===- IndexArith.h - The plan's index arithmetic, shared by drivers -*- C++ -*-===//
//
// Dims bound at run time flow through `arith` ops on `index` values (heed.dim,
// addi, muli, divsi, cmpi, ...). Every driver evaluates them on the host the
// same way: wrapping two's-complement arithmetic as MLIR's index type, with the
// cases C++ leaves undefined (INT64_MIN / -1, x % -1) defined.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_RUNTIME_CORE_INDEXARITH_H
#define HEED_RUNTIME_CORE_INDEXARITH_H

#include "runtime/module/OpTable.h"

#include <cstdint>
#include <string>

namespace heed::rt {

/// Evaluates the binary index op `kind` (arith.addi, ..., arith.cmpi with its
/// `predicate`) on a and b. Returns an error ("divides by zero", "has an
/// unknown predicate", "is not an index operation") or an empty string.
std::string evalIndexBinary(ops::OpKind kind, int64_t predicate, int64_t a, int64_t b,
                            int64_t &result);

} // namespace heed::rt

#endif // HEED_RUNTIME_CORE_INDEXARITH_H
