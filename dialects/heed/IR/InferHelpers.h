//===- InferHelpers.h - What the ops' shape rules share ---------*- C++ -*-===//
//
// The type and diagnostic helpers every op family's inferReturnTypes uses
// (HeedOps.cpp, RecurrentOps.cpp, AttentionOps.cpp): the op definitions are
// split by family so that no file grows past a reviewable size, and these
// must not be copied into each.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_DIALECTS_HEED_IR_INFERHELPERS_H
#define HEED_DIALECTS_HEED_IR_INFERHELPERS_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"

#include <string>

namespace mlir::heed::infer {

inline constexpr int64_t kDyn = ShapedType::kDynamic;
using Types = SmallVectorImpl<Type>;

inline RankedTensorType tensorOf(Value v) {
  return v ? dyn_cast<RankedTensorType>(v.getType()) : RankedTensorType();
}

inline RankedTensorType tensorLike(ArrayRef<int64_t> shape, Type elementType) {
  return RankedTensorType::get(shape, elementType);
}

/// A dim as diagnostics show it: `?` when dynamic.
inline std::string dimString(int64_t d) { return d == kDyn ? "?" : std::to_string(d); }

inline std::string shapeString(ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (auto [i, d] : llvm::enumerate(shape)) {
    if (i)
      s += ", ";
    s += dimString(d);
  }
  return s + "]";
}

} // namespace mlir::heed::infer

#endif // HEED_DIALECTS_HEED_IR_INFERHELPERS_H
