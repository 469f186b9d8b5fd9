//===- ShapeInference.h - Shape rules of the heed ops -----------*- C++ -*-===//
//
// The one implementation of every heed op's shape rules. Each op's
// inferReturnTypes calls into here, and the op verifiers are that same
// inference (InferTypeOpInterface), so what verifies is exactly what can be
// inferred. Errors go through emitOptionalError: builders and passes may ask
// without a location and get a plain failure.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_DIALECT_HEED_IR_SHAPEINFERENCE_H
#define HEED_DIALECT_HEED_IR_SHAPEINFERENCE_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Location.h"
#include "mlir/IR/TypeRange.h"
#include "llvm/ADT/SmallVector.h"

#include <optional>
#include <string>

namespace mlir::heed {

/// Whether `declared` result types may stand for `inferred` ones: same count,
/// same element types and ranks, and every dim equal or dynamic on one side.
bool isRefinementOf(TypeRange inferred, TypeRange declared);

/// Dim-level helpers, also used by the frontends and unit-tested directly.
namespace shape {
/// Maps a possibly negative axis into [0, rank), or nothing if out of range.
std::optional<int64_t> normalizeAxis(int64_t axis, int64_t rank);
/// NumPy broadcasting of two shapes; nothing when two static dims clash.
std::optional<SmallVector<int64_t>> broadcast(ArrayRef<int64_t> a, ArrayRef<int64_t> b);
/// Whether `from` can be broadcast to exactly `to` (mask onto scores).
bool broadcastsTo(ArrayRef<int64_t> from, ArrayRef<int64_t> to);
/// Two dims that may be equal at run time: equal, or one is dynamic.
bool compatible(int64_t a, int64_t b);
/// The more static of two compatible dims.
int64_t meet(int64_t a, int64_t b);
/// The most static of dims that must all be equal at run time, or nothing
/// when two of them are static and differ (also when the first is dynamic).
std::optional<int64_t> meetAll(ArrayRef<int64_t> dims);
/// a * b with dynamic and overflow both giving dynamic.
int64_t mul(int64_t a, int64_t b);
/// Result length of a Python slice [start:end:step] of a dim of size n.
int64_t sliceLength(int64_t n, int64_t start, int64_t end, int64_t step);
/// Result shape of an ONNX-style reshape; an error message when impossible.
FailureOr<SmallVector<int64_t>> reshape(ArrayRef<int64_t> input, ArrayRef<int64_t> spec,
                                        std::string &error);
} // namespace shape

/// Reports shape errors in the same words an op verifier would use.
class ShapeError {
public:
  ShapeError(std::optional<Location> loc, StringRef opName) : loc(loc), opName(opName) {}
  template <typename... Args> LogicalResult operator()(Args &&...args) const {
    return emitOptionalError(loc, "'", opName, "' op ", std::forward<Args>(args)...);
  }

private:
  std::optional<Location> loc;
  StringRef opName;
};

} // namespace mlir::heed

#endif // HEED_DIALECT_HEED_IR_SHAPEINFERENCE_H
