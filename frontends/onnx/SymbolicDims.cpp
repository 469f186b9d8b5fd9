//===- SymbolicDims.cpp - Dynamic dims by root, and reshapeTo -------------===//
//
// A dynamic dim is named by its root: the (value, dim) it was copied from,
// followed back through the ops that pass dims through unchanged (elementwise
// ops, transposes, reshape copies, matmul rows, ...), and graph inputs with one
// dim_param share one root. Reshapes compare roots to turn target dims read
// from other tensors into copies (0) or into transposes around the reshape.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/Importer.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/MathExtras.h"

#include <functional>
#include <limits>

using namespace mlir;
using namespace mlir::heed;
using namespace mlir::heed::onnx::detail;

using Root = Importer::Root;
using Monomial = Importer::Monomial;

static int64_t normAxis(int64_t axis, int64_t rank) { return axis < 0 ? axis + rank : axis; }

//===----------------------------------------------------------------------===//
// Roots
//===----------------------------------------------------------------------===//

std::optional<Root> Importer::dynamicRoot(Value u, int64_t j) {
  auto ut = cast<RankedTensorType>(u.getType());
  if (j < 0 || j >= ut.getRank() || !ut.isDynamicDim(j))
    return std::nullopt;
  return rootOf(u, j);
}

Root Importer::rootOf(Value v, int64_t i) {
  Root self{v, i};
  auto memo = rootMemo.find(self);
  if (memo != rootMemo.end())
    return memo->second;
  std::optional<Root> found;
  if (isa<BlockArgument>(v)) {
    auto it = argRoots.find(self);
    if (it != argRoots.end())
      found = it->second;
  } else if (Operation *op = v.getDefiningOp()) {
    unsigned result = cast<OpResult>(v).getResultNumber();
    found = rootThrough(op, result, i);
    if (!found)
      found = rootThroughSource(op, result, i);
  }
  Root root = found ? *found : self;
  rootMemo[self] = root;
  return root;
}

/// Ops whose result dim i is a dim of an operand: elementwise and broadcasting
/// ops, layout changes, matrix products, slices, concatenations, gathers.
std::optional<Root> Importer::rootThrough(Operation *op, unsigned result, int64_t i) {
  int64_t rank = cast<RankedTensorType>(op->getResult(result).getType()).getRank();
  if (isa<AddOp, SubOp, MulOp, DivOp, MaxOp, MinOp, PowOp, AndOp, OrOp, CompareOp, WhereOp,
          BroadcastOp>(op)) {
    for (Value u : op->getOperands()) {
      auto ut = dyn_cast<RankedTensorType>(u.getType());
      if (!ut)
        continue;
      if (auto r = dynamicRoot(u, i - (rank - ut.getRank())))
        return r;
    }
    return std::nullopt;
  }
  if (op->hasTrait<OpTrait::Elementwise>() || isa<SoftmaxOp, LogSoftmaxOp, LayerNormOp>(op))
    return dynamicRoot(op->getOperand(0), i);
  if (auto o = dyn_cast<TransposeOp>(op))
    return dynamicRoot(o.getInput(), o.getPermutation()[i]);
  if (auto o = dyn_cast<ReshapeOp>(op))
    return o.getShape()[i] == 0 ? dynamicRoot(o.getInput(), i) : std::nullopt;
  if (auto o = dyn_cast<MatmulOp>(op)) {
    int64_t lr = o.getLhs().getType().getRank(), rr = o.getRhs().getType().getRank();
    if (i == rank - 2)
      return dynamicRoot(o.getLhs(), o.getTransposeA() ? lr - 1 : lr - 2);
    if (i == rank - 1)
      return dynamicRoot(o.getRhs(), o.getTransposeB() ? rr - 2 : rr - 1);
    if (auto r = dynamicRoot(o.getLhs(), i - (rank - lr)))
      return r;
    return dynamicRoot(o.getRhs(), i - (rank - rr));
  }
  if (auto o = dyn_cast<LinearOp>(op))
    return i < rank - 1 ? dynamicRoot(o.getInput(), i) : std::nullopt;
  if (auto o = dyn_cast<SliceOp>(op)) {
    bool whole =
        o.getStart() == 0 && o.getEnd() == std::numeric_limits<int64_t>::max() && o.getStep() == 1;
    return i != normAxis(o.getAxis(), rank) || whole ? dynamicRoot(o.getInput(), i) : std::nullopt;
  }
  if (auto o = dyn_cast<SliceDynamicOp>(op))
    return i != normAxis(o.getAxis(), rank) ? dynamicRoot(o.getInput(), i) : std::nullopt;
  if (auto o = dyn_cast<ReshapeDynamicOp>(op)) {
    std::optional<int64_t> d = getConstantIntValue(o.getShape()[i]);
    return d == 0 && !o.getAllowzero() ? dynamicRoot(o.getInput(), i) : std::nullopt;
  }
  if (auto o = dyn_cast<ConcatOp>(op)) {
    if (i != normAxis(o.getAxis(), rank))
      for (Value u : o.getInputs())
        if (auto r = dynamicRoot(u, i))
          return r;
    return std::nullopt;
  }
  if (auto o = dyn_cast<GatherOp>(op)) {
    int64_t axis = normAxis(o.getAxis(), o.getInput().getType().getRank());
    int64_t ir = o.getIndices().getType().getRank();
    if (i < axis)
      return dynamicRoot(o.getInput(), i);
    if (i < axis + ir)
      return dynamicRoot(o.getIndices(), i - axis);
    return dynamicRoot(o.getInput(), i - ir + 1);
  }
  if (auto o = dyn_cast<EmbeddingOp>(op))
    return i < rank - 1 ? dynamicRoot(o.getIds(), i) : std::nullopt;
  return std::nullopt;
}

/// Ops whose result dims come from index operands (fills, ranges), survive a
/// reduction, or are the batch and time dims of recurrent and attention ops.
std::optional<Root> Importer::rootThroughSource(Operation *op, unsigned result, int64_t i) {
  auto t = cast<RankedTensorType>(op->getResult(result).getType());
  int64_t rank = t.getRank();
  auto dimRoot = [&](Value index) -> std::optional<Root> {
    if (auto dim = index.getDefiningOp<DimOp>())
      return dynamicRoot(dim.getInput(),
                         normAxis(dim.getDim(), dim.getInput().getType().getRank()));
    return std::nullopt;
  };
  if (auto o = dyn_cast<FullOp>(op)) {
    Value size = o.getSizeOf(i);
    return size ? dimRoot(size) : std::nullopt;
  }
  if (auto o = dyn_cast<RangeOp>(op)) {
    auto start = getConstantIntValue(o.getStart()), step = getConstantIntValue(o.getStep());
    return start == 0 && step == 1 ? dimRoot(o.getLimit()) : std::nullopt;
  }
  if (auto o = dyn_cast<ReduceOp>(op)) {
    if (!o.getAxisValues().empty()) // which dims survive is known only at run time
      return std::nullopt;
    int64_t inRank = o.getInput().getType().getRank();
    SmallVector<bool> reduced(inRank, false);
    for (int64_t a : o.getAxes())
      reduced[normAxis(a, inRank)] = true;
    if (o.getKeepDims())
      return reduced[i] ? std::nullopt : dynamicRoot(o.getInput(), i);
    std::optional<Root> found;
    for (int64_t j = 0, k = 0; j < inRank; ++j)
      if (!reduced[j] && k++ == i)
        found = dynamicRoot(o.getInput(), j);
    return found;
  }
  if (isa<LstmOp, GruOp, RnnOp>(op)) {
    auto batchFirst = op->getAttrOfType<BoolAttr>("batch_first");
    bool bf = batchFirst && batchFirst.getValue();
    if (result == 0 && i < 2)
      return dynamicRoot(op->getOperand(0), i);
    if (result > 0 && i == 1)
      return dynamicRoot(op->getOperand(0), bf ? 0 : 1);
    return std::nullopt;
  }
  if (auto o = dyn_cast<AttentionOp>(op)) {
    if (result != 0)
      return std::nullopt;
    if (o.getNumHeads() == 0)
      return i < rank - 1 ? dynamicRoot(o.getQuery(), i) : dynamicRoot(o.getValue(), i);
    return i < 2 ? dynamicRoot(o.getQuery(), i) : std::nullopt;
  }
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// Monomials
//===----------------------------------------------------------------------===//

Monomial Importer::monomialOf(Value index) {
  Monomial m;
  if (auto dim = index.getDefiningOp<DimOp>()) {
    auto t = dim.getInput().getType();
    auto d = static_cast<int64_t>(dim.getDim()); // an I64Attr reads back as uint64_t
    int64_t i = d < 0 ? d + t.getRank() : d;
    if (t.isDynamicDim(i))
      m.roots.push_back(rootOf(dim.getInput(), i));
    else
      m.coeff = t.getDimSize(i);
  } else if (auto c = getConstantIntValue(index)) {
    m.coeff = *c;
  } else if (auto mul = index.getDefiningOp<arith::MulIOp>()) {
    Monomial a = monomialOf(mul.getLhs()), b = monomialOf(mul.getRhs());
    m.opaque = a.opaque || b.opaque || llvm::MulOverflow(a.coeff, b.coeff, m.coeff);
    m.roots = a.roots;
    m.roots.append(b.roots);
  } else if (auto div = index.getDefiningOp<arith::DivSIOp>()) {
    Monomial a = monomialOf(div.getLhs()), b = monomialOf(div.getRhs());
    if (a.opaque || b.opaque || !b.roots.empty() || b.coeff == 0 || a.coeff % b.coeff)
      m.opaque = true;
    m.coeff = b.coeff ? a.coeff / b.coeff : 0;
    m.roots = a.roots;
  } else {
    m.opaque = true;
  }
  llvm::sort(m.roots, [](const Root &a, const Root &b) {
    return std::make_pair(a.first.getAsOpaquePointer(), a.second) <
           std::make_pair(b.first.getAsOpaquePointer(), b.second);
  });
  return m;
}

Monomial Importer::monomialOf(const Sym &s) {
  if (s.isStatic()) {
    Monomial m;
    m.coeff = s.value;
    return m;
  }
  return monomialOf(s.dyn);
}

SmallVector<Monomial> Importer::dimsOf(Value x) {
  auto t = cast<RankedTensorType>(x.getType());
  SmallVector<Monomial> dims;
  for (int64_t i = 0; i < t.getRank(); ++i) {
    Monomial m;
    if (t.isDynamicDim(i))
      m.roots.push_back(rootOf(x, i));
    else
      m.coeff = t.getDimSize(i);
    dims.push_back(m);
  }
  return dims;
}

std::string Importer::describe(ArrayRef<Monomial> dims) {
  std::string text = "[";
  for (auto [i, m] : llvm::enumerate(dims)) {
    if (i)
      text += ", ";
    if (m.opaque) {
      text += "?";
      continue;
    }
    SmallVector<std::string> factors;
    if (m.coeff != 1 || m.roots.empty())
      factors.push_back(std::to_string(m.coeff));
    for (Root r : m.roots) {
      auto it = rootNames.find(r);
      factors.push_back(it != rootNames.end() ? it->second
                                              : "d" + std::to_string(rootNames.size()));
      if (it == rootNames.end())
        rootNames[r] = factors.back();
    }
    text += llvm::join(factors, "*");
  }
  return text + "]";
}

//===----------------------------------------------------------------------===//
// reshapeTo
//===----------------------------------------------------------------------===//

static bool isStaticMonomial(const Monomial &m) { return !m.opaque && m.roots.empty(); }
static bool isSingleRoot(const Monomial &m) {
  return !m.opaque && m.coeff == 1 && m.roots.size() == 1;
}
static bool sameRoot(const Monomial &a, const Monomial &b) {
  return isSingleRoot(a) && isSingleRoot(b) && a.roots[0] == b.roots[0];
}

/// The size of the one free target dim `free` (a -1 or an opaque expression)
/// that follows from the others: the input's element count over the product
/// of the rest, when that is a constant.
static std::optional<int64_t> solveFreeDim(ArrayRef<Monomial> in, ArrayRef<Monomial> target,
                                           ArrayRef<int64_t> spec, size_t free) {
  Monomial quotient;
  for (const Monomial &m : in) {
    if (llvm::MulOverflow(quotient.coeff, m.coeff, quotient.coeff))
      return std::nullopt;
    quotient.roots.append(m.roots);
  }
  for (auto [j, m] : llvm::enumerate(target)) {
    if (j == free)
      continue;
    const Monomial &d = spec[j] == 0 ? in[j] : m;
    if (d.coeff == 0 || quotient.coeff % d.coeff)
      return std::nullopt;
    quotient.coeff /= d.coeff;
    for (Root r : d.roots) {
      auto it = llvm::find(quotient.roots, r);
      if (it == quotient.roots.end())
        return std::nullopt;
      quotient.roots.erase(it);
    }
  }
  if (!quotient.roots.empty())
    return std::nullopt;
  return quotient.coeff;
}

Value Importer::reshapeToImpl(Value x, ArrayRef<Monomial> target, StringRef what) {
  SmallVector<Monomial> in = dimsOf(x);
  int64_t rank = in.size();
  if (static_cast<int64_t>(target.size()) > kMaxRank) {
    error() << "a target rank of " << target.size() << " exceeds the limit " << kMaxRank;
    return {};
  }
  // 1. Direct: static dims, same-position copies and at most one -1.
  SmallVector<int64_t> spec;
  SmallVector<size_t> unknown;
  for (auto [j, m] : llvm::enumerate(target)) {
    if (isStaticMonomial(m) && m.coeff != -1) {
      if (m.coeff < 0) {
        if (!quietReshape)
          error() << "invalid dim " << m.coeff << " in the target shape";
        return {};
      }
      spec.push_back(m.coeff);
    } else if (static_cast<int64_t>(j) < rank && sameRoot(m, in[j])) {
      spec.push_back(0);
    } else {
      unknown.push_back(j);
      spec.push_back(-1);
    }
  }
  if (unknown.size() <= 1)
    return reshape(x, spec);
  size_t literal = llvm::count_if(
      target, [](const Monomial &m) { return isStaticMonomial(m) && m.coeff == -1; });
  if (literal > 1) {
    if (!quietReshape)
      error() << "the target shape has more than one -1";
    return {};
  }
  // 2. One free dim (a -1 or an opaque expression) whose size follows from the others.
  SmallVector<size_t> free = llvm::filter_to_vector(
      unknown, [&](size_t j) { return target[j].opaque || isStaticMonomial(target[j]); });
  if (free.size() == 1) {
    if (std::optional<int64_t> size = solveFreeDim(in, target, spec, free[0])) {
      spec[free[0]] = *size;
      unknown.erase(llvm::find(unknown, free[0]));
      if (unknown.size() <= 1)
        return reshape(x, spec);
    }
  }
  // 3. Dims that pass through unchanged but move.
  return reshapeMovingDims(x, in, target, what);
}

/// Whether the segments between matched dims hold the same number of elements,
/// with at most one dynamic segment (its -1 is then inferred).
static bool segmentsFit(ArrayRef<Monomial> in, ArrayRef<Monomial> target, ArrayRef<int64_t> matchOf,
                        ArrayRef<bool> inMatched) {
  int64_t rank = in.size();
  int dynamicSegments = 0, minusOnes = 0;
  bool ok = true;
  int64_t i = 0;
  size_t j = 0;
  while (ok && (i <= rank || j <= target.size())) {
    int64_t inProd = 1, outProd = 1;
    bool dynamic = false;
    // Products of hostile dims overflow int64 (found by fuzz-onnx): not a match.
    for (; i < rank && !inMatched[i]; ++i) {
      dynamic |= !isStaticMonomial(in[i]);
      ok &= !llvm::MulOverflow(inProd, in[i].coeff, inProd);
    }
    for (; j < target.size() && matchOf[j] < 0; ++j) {
      if (!isStaticMonomial(target[j]) || target[j].coeff == -1) {
        dynamic = true;
        ++minusOnes;
      } else {
        ok &= !llvm::MulOverflow(outProd, target[j].coeff, outProd);
      }
    }
    if (dynamic)
      ++dynamicSegments;
    else if (inProd != outProd)
      ok = false;
    // Both sides now stand at a matched pair (or at their ends).
    if (i == rank && j == target.size())
      break;
    if (i == rank || j == target.size() || matchOf[j] != i)
      ok = false;
    ++i;
    ++j;
  }
  return ok && dynamicSegments <= 1 && minusOnes <= 1;
}

static bool isIdentity(ArrayRef<int64_t> p) {
  for (auto [k, v] : llvm::enumerate(p))
    if (static_cast<int64_t>(k) != v)
      return false;
  return true;
}

/// Transposes the dims that pass through to the front, reshapes the rest and
/// transposes into place.
Value Importer::reshapeMovingDims(Value x, ArrayRef<Monomial> in, ArrayRef<Monomial> target,
                                  StringRef what) {
  int64_t rank = in.size();
  SmallVector<int64_t> matchOf(target.size(), -1);
  SmallVector<bool> inMatched(rank, false);
  int64_t last = -1;
  for (auto [j, m] : llvm::enumerate(target)) {
    if (!isSingleRoot(m))
      continue;
    for (int64_t i = last + 1; i < rank; ++i)
      if (sameRoot(m, in[i])) {
        matchOf[j] = i;
        inMatched[i] = true;
        last = i;
        break;
      }
  }
  if (!segmentsFit(in, target, matchOf, inMatched)) {
    if (!quietReshape)
      error() << "unsupported dynamic " << what
              << ": the target dims cannot be expressed as copies of input dims plus one "
                 "inferred dim (input "
              << describe(in) << ", target " << describe(target) << ")";
    return {};
  }
  SmallVector<int64_t> perm, spec;
  for (int64_t k = 0; k < rank; ++k)
    if (inMatched[k])
      perm.push_back(k);
  int64_t passed = perm.size();
  for (int64_t k = 0; k < rank; ++k)
    if (!inMatched[k])
      perm.push_back(k);
  spec.assign(passed, 0);
  SmallVector<int64_t> outPerm;
  int64_t nextPassed = 0, nextOther = passed;
  for (auto [k, m] : llvm::enumerate(target)) {
    if (matchOf[k] >= 0) {
      outPerm.push_back(nextPassed++);
      continue;
    }
    outPerm.push_back(nextOther++);
    spec.push_back(isStaticMonomial(m) ? m.coeff : -1);
  }
  // Moving dims costs two copies of the tensor; Reshape prefers its run-time form, a view
  // (importReshape), and comes back here only when that cannot be built.
  if (!movingDimsAllowed && (!isIdentity(perm) || !isIdentity(outPerm)))
    return {};
  Value y = isIdentity(perm) ? x : transpose(x, perm);
  y = y ? reshape(y, spec) : Value();
  if (y && !isIdentity(outPerm))
    y = transpose(y, outPerm);
  return y;
}

/// ONNX Gemm is 2-D, so exporters flatten [L, B, K] to [L*B, K] before it
/// and split [L*B, N] back to [L, B, N] after it. With L and B both dynamic
/// the split has no static spec; but heed.linear / heed.matmul take [..., K],
/// so the reshape moves before the product: linear(reshape(z, [L, B, K])).
Value Importer::reshapeThroughLinear(Value x, ArrayRef<Monomial> target) {
  Operation *def = x.getDefiningOp();
  if (!def || target.size() < 2 || !isStaticMonomial(target.back()))
    return {};
  Value flat;
  std::function<Value(Value)> rebuild;
  if (auto linear = dyn_cast<LinearOp>(def)) {
    flat = linear.getInput();
    rebuild = [&, linear](Value in) mutable {
      return op<LinearOp>(in, linear.getWeight(), linear.getBias(), linear.getTransposeWeight());
    };
  } else if (auto matmul = dyn_cast<MatmulOp>(def)) {
    if (matmul.getTransposeA() || matmul.getRhs().getType().getRank() != 2)
      return {};
    flat = matmul.getLhs();
    rebuild = [&, matmul](Value in) mutable {
      return op<MatmulOp>(in, matmul.getRhs(), false, matmul.getTransposeB());
    };
  } else {
    return {};
  }
  auto flatType = cast<RankedTensorType>(flat.getType());
  auto xType = cast<RankedTensorType>(x.getType());
  auto source = flat.getDefiningOp<ReshapeOp>();
  if (!source || flatType.getRank() != 2 || flatType.isDynamicDim(1) || xType.isDynamicDim(1) ||
      xType.getDimSize(1) != target.back().coeff)
    return {};
  SmallVector<Monomial> unflattened(target.begin(), target.end());
  unflattened.back() = Monomial();
  unflattened.back().coeff = flatType.getDimSize(1);
  Value z = reshapeTo(source.getInput(), unflattened, "Reshape");
  return z ? rebuild(z) : Value();
}

Value Importer::reshapeTo(Value x, ArrayRef<Monomial> target, StringRef what) {
  Value y = reshapeToImpl(x, target, what);
  if (!y)
    return y;
  // A target dim that is a copy of a known dim keeps its root, even where the
  // reshape spells it -1 or moves it with transposes.
  auto t = cast<RankedTensorType>(y.getType());
  for (auto [j, m] : llvm::enumerate(target))
    if (isSingleRoot(m) && t.isDynamicDim(j))
      rootMemo[{y, static_cast<int64_t>(j)}] = m.roots[0];
  return y;
}

/// heed.reshape_dynamic: ONNX Reshape's rules applied to the target dims when the function runs.
/// `target` (when known) gives each result dim that copies a dim its root.
LogicalResult Importer::reshapeAtRunTime(const NodeProto &node, Value x, bool allowZero,
                                         ArrayRef<Monomial> target) {
  auto syms = indexInts(node, 1, "Reshape shape");
  if (failed(syms))
    return failure();
  if (static_cast<int64_t>(syms->size()) > kMaxRank)
    return error() << "a target rank of " << syms->size() << " exceeds the limit " << kMaxRank;
  for (const Sym &s : *syms)
    if (s.isStatic() && s.value > kMaxDim)
      return error() << "dim " << s.value << " in the target shape exceeds the limit " << kMaxDim;
  SmallVector<Value> dims = llvm::map_to_vector(*syms, [&](const Sym &s) { return index(s); });
  Value y = op<ReshapeDynamicOp>(x, dims, allowZero);
  if (!y)
    return failure();
  auto t = cast<RankedTensorType>(y.getType());
  for (auto [j, m] : llvm::enumerate(target))
    if (isSingleRoot(m) && t.isDynamicDim(j))
      rootMemo[{y, static_cast<int64_t>(j)}] = m.roots[0];
  return define(node, 0, y);
}
