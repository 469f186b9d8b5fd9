//===- ShapeInference.cpp - Dim-level shape rules -------------------------===//

#include "dialects/heed/IR/ShapeInference.h"

#include "llvm/Support/MathExtras.h"

#include <algorithm>

using namespace mlir;
using namespace mlir::heed;

static constexpr int64_t kDyn = ShapedType::kDynamic;

bool mlir::heed::isRefinementOf(TypeRange inferred, TypeRange declared) {
  if (inferred.size() != declared.size())
    return false;
  for (auto [inf, dec] : llvm::zip(inferred, declared)) {
    auto infTensor = dyn_cast<RankedTensorType>(inf);
    auto decTensor = dyn_cast<RankedTensorType>(dec);
    if (!infTensor || !decTensor) {
      if (inf != dec)
        return false;
      continue;
    }
    if (infTensor.getElementType() != decTensor.getElementType() ||
        infTensor.getRank() != decTensor.getRank())
      return false;
    for (auto [a, b] : llvm::zip(infTensor.getShape(), decTensor.getShape()))
      if (!shape::compatible(a, b))
        return false;
  }
  return true;
}

std::optional<int64_t> shape::normalizeAxis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    return std::nullopt;
  return axis < 0 ? axis + rank : axis;
}

bool shape::compatible(int64_t a, int64_t b) { return a == b || a == kDyn || b == kDyn; }

int64_t shape::meet(int64_t a, int64_t b) { return a == kDyn ? b : a; }

std::optional<int64_t> shape::meetAll(ArrayRef<int64_t> dims) {
  int64_t result = kDyn;
  for (int64_t d : dims) {
    if (!compatible(result, d))
      return std::nullopt;
    result = meet(result, d);
  }
  return result;
}

int64_t shape::mul(int64_t a, int64_t b) {
  if (a == kDyn || b == kDyn)
    return kDyn;
  int64_t product;
  if (llvm::MulOverflow(a, b, product))
    return kDyn;
  return product;
}

std::optional<SmallVector<int64_t>> shape::broadcast(ArrayRef<int64_t> a, ArrayRef<int64_t> b) {
  size_t rank = std::max(a.size(), b.size());
  SmallVector<int64_t> result(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da == 1)
      result[i] = db;
    else if (db == 1)
      result[i] = da;
    else if (da == kDyn)
      result[i] = db; // a must be 1 or db at run time; either way the result is db
    else if (db == kDyn)
      result[i] = da;
    else if (da == db)
      result[i] = da;
    else
      return std::nullopt;
  }
  return result;
}

bool shape::broadcastsTo(ArrayRef<int64_t> from, ArrayRef<int64_t> to) {
  if (from.size() > to.size())
    return false;
  size_t offset = to.size() - from.size();
  for (size_t i = 0; i < from.size(); ++i) {
    int64_t f = from[i], t = to[i + offset];
    if (f != 1 && !compatible(f, t))
      return false;
  }
  return true;
}

int64_t shape::sliceLength(int64_t n, int64_t start, int64_t end, int64_t step) {
  if (n == kDyn || step <= 0)
    return kDyn;
  auto clampIndex = [n](int64_t i) {
    if (i < 0)
      i = std::max<int64_t>(i, -n) + n;
    return std::min(i, n);
  };
  int64_t s = clampIndex(start), e = clampIndex(end);
  if (e <= s)
    return 0;
  return (e - s + step - 1) / step;
}

FailureOr<SmallVector<int64_t>> shape::reshape(ArrayRef<int64_t> input, ArrayRef<int64_t> spec,
                                               std::string &error) {
  SmallVector<int64_t> result;
  int inferred = -1;
  for (auto [i, d] : llvm::enumerate(spec)) {
    if (d == 0) {
      if (i >= input.size()) {
        error = "shape entry " + std::to_string(i) + " is 0 (copy) but the input has rank " +
                std::to_string(input.size());
        return failure();
      }
      result.push_back(input[i]);
    } else if (d == -1) {
      if (inferred >= 0) {
        error = "shape has more than one -1";
        return failure();
      }
      inferred = static_cast<int>(i);
      result.push_back(kDyn);
    } else if (d < 0) {
      error = "shape entry " + std::to_string(i) + " is " + std::to_string(d) +
              "; expected a positive size, 0 (copy) or -1 (infer)";
      return failure();
    } else {
      result.push_back(d);
    }
  }
  int64_t inputCount = 1;
  for (int64_t d : input)
    inputCount = mul(inputCount, d);
  int64_t knownCount = 1;
  for (auto [i, d] : llvm::enumerate(result))
    if (static_cast<int>(i) != inferred)
      knownCount = mul(knownCount, d);
  if (inputCount == kDyn || knownCount == kDyn) {
    if (inferred < 0)
      return result;
    // A dim copied by a 0 entry is on both sides of the element count, so it
    // cancels: [?, 256] with [0, 1, -1] gives [?, 1, 256] whatever ? is.
    auto copied = [&](size_t i) { return i < spec.size() && spec[i] == 0; };
    int64_t inputRest = 1, knownRest = 1;
    for (auto [i, d] : llvm::enumerate(input))
      if (!copied(i))
        inputRest = mul(inputRest, d);
    for (auto [i, d] : llvm::enumerate(result))
      if (static_cast<int>(i) != inferred && !copied(i))
        knownRest = mul(knownRest, d);
    if (inputRest == kDyn || knownRest == kDyn)
      return result;
    if (inputRest % knownRest != 0) {
      error = "cannot infer the -1 entry: the " + std::to_string(inputRest) +
              " elements of the dims not copied do not divide into " + std::to_string(knownRest);
      return failure();
    }
    result[inferred] = inputRest / knownRest;
    return result;
  }
  if (inferred >= 0) {
    if (knownCount == 0 || inputCount % knownCount != 0) {
      error = "cannot infer the -1 entry: " + std::to_string(inputCount) +
              " elements do not divide into " + std::to_string(knownCount);
      return failure();
    }
    result[inferred] = inputCount / knownCount;
  } else if (knownCount != inputCount) {
    error = "reshape changes the element count from " + std::to_string(inputCount) + " to " +
            std::to_string(knownCount);
    return failure();
  }
  return result;
}
