//===- Einsum.cpp - ONNX Einsum as transposes, reshapes, matmul, sums -----===//
//
// Einsum has no heed op of its own: a 2-operand contraction becomes one
// heed.matmul between transposes and reshapes (so the attention fusion sees
// Q K^T and P V as it would from MatMul), a 1-operand one a heed.reduce sum
// and a transpose. The letters of each operand are grouped:
//   batch      in both operands and the output   -> matmul batch dims
//   kept (M/N) in one operand and the output      -> matmul rows / columns
//   contracted in both operands, not the output   -> matmul K
//   summed     in one operand only, not output    -> summed away first
// An operand whose letters already stand as [batch, K, M] (or [batch, N, K])
// uses matmul's transpose flags instead of a transpose. Diagonals (a letter
// repeated in one operand) and 3+ operands are refused.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/Importer.h"

#include "llvm/ADT/STLExtras.h"

#include <map>

using namespace mlir;
using namespace mlir::heed;
using namespace mlir::heed::onnx::detail;

namespace {

/// A label: a letter's character code, or kEllipsis + its position among the broadcast "..."
/// dims (right-aligned across operands, as NumPy broadcasts them).
using Label = int;
constexpr Label kEllipsis = 1000;

struct Equation {
  SmallVector<SmallVector<Label>> inputs;
  SmallVector<Label> output;
};

/// One term's labels for an operand of rank `rank`, "..." expanded; "" when the term is fine.
std::string parseTerm(StringRef term, int64_t rank, int64_t ellipsisDims,
                      SmallVectorImpl<Label> &labels) {
  size_t dots = term.find("...");
  if (dots != StringRef::npos && term.find("...", dots + 3) != StringRef::npos)
    return "has two '...' in one term";
  int64_t letters = int64_t(term.size()) - (dots == StringRef::npos ? 0 : 3);
  int64_t here = dots == StringRef::npos ? 0 : rank - letters;
  if (here < 0 || (dots == StringRef::npos && letters != rank))
    return "has a term '" + term.str() + "' for an operand of rank " + std::to_string(rank);
  for (size_t i = 0; i < term.size(); ++i) {
    if (i == dots) {
      for (int64_t j = 0; j < here; ++j)
        labels.push_back(kEllipsis + int(ellipsisDims - here + j));
      i += 2;
      continue;
    }
    char c = term[i];
    if (!llvm::isAlpha(c))
      return std::string("has the character '") + c + "', not a letter";
    if (llvm::is_contained(labels, Label(c)))
      return std::string("repeats the letter '") + c +
             "' in one operand (a diagonal), which Heed does not import";
    labels.push_back(Label(c));
  }
  return "";
}

/// The parsed equation, or a message.
std::string parseEquation(std::string text, ArrayRef<int64_t> ranks, Equation &eq) {
  llvm::erase_if(text, [](char c) { return c == ' '; });
  StringRef s(text);
  auto [lhs, rhs] = s.split("->");
  bool explicitOut = s.contains("->");
  SmallVector<StringRef> terms;
  lhs.split(terms, ',');
  if (terms.size() != ranks.size())
    return "has " + std::to_string(terms.size()) + " input terms for " +
           std::to_string(ranks.size()) + " inputs";
  // The "..." dims of all operands broadcast together: as many as the most any operand has.
  int64_t ellipsisDims = 0;
  for (auto [term, rank] : llvm::zip(terms, ranks))
    if (term.contains("..."))
      ellipsisDims = std::max(ellipsisDims, rank - int64_t(term.size() - 3));
  std::map<Label, int> uses;
  for (auto [term, rank] : llvm::zip(terms, ranks)) {
    eq.inputs.emplace_back();
    if (std::string e = parseTerm(term, rank, ellipsisDims, eq.inputs.back()); !e.empty())
      return e;
    for (Label l : eq.inputs.back())
      ++uses[l];
  }
  if (explicitOut) {
    if (rhs.contains("...") && !lhs.contains("..."))
      return "has '...' in the output only";
    if (std::string e = parseTerm(rhs,
                                  int64_t(rhs.size()) - (rhs.contains("...") ? 3 : 0) +
                                      (rhs.contains("...") ? ellipsisDims : 0),
                                  ellipsisDims, eq.output);
        !e.empty())
      return e;
    for (Label l : eq.output)
      if (!uses.count(l))
        return std::string("has the output letter '") + char(l) + "', which no input has";
    return "";
  }
  // Implicit output: the "..." dims, then the letters used once, in alphabetical (code) order.
  for (int64_t j = 0; j < ellipsisDims; ++j)
    eq.output.push_back(kEllipsis + int(j));
  for (auto [l, n] : uses)
    if (l < kEllipsis && n == 1)
      eq.output.push_back(l);
  return "";
}

/// Positions of `wanted` labels within `have`.
SmallVector<int64_t> positions(ArrayRef<Label> have, ArrayRef<Label> wanted) {
  return llvm::map_to_vector(wanted,
                             [&](Label l) { return int64_t(llvm::find(have, l) - have.begin()); });
}

bool isIdentity(ArrayRef<int64_t> perm) {
  for (auto [i, p] : llvm::enumerate(perm))
    if (int64_t(i) != p)
      return false;
  return true;
}

} // namespace

LogicalResult Importer::importEinsum(const NodeProto &node) {
  std::string equation = stringAttr(node, "equation", "");
  SmallVector<Value> xs;
  SmallVector<int64_t> ranks;
  for (int i = 0; i < node.input_size(); ++i) {
    xs.push_back(input(node, i));
    if (!xs.back())
      return failure();
    ranks.push_back(cast<RankedTensorType>(xs.back().getType()).getRank());
  }
  auto refuse = [&](const std::string &why) {
    return error() << "equation '" << equation << "' " << why;
  };
  if (xs.size() > 2)
    return refuse("has " + std::to_string(xs.size()) +
                  " operands; Heed imports Einsum of one or two");
  Equation eq;
  if (std::string e = parseEquation(equation, ranks, eq); !e.empty())
    return refuse(e);
  for (auto [i, l] : llvm::enumerate(eq.output))
    if (llvm::is_contained(ArrayRef(eq.output).take_front(i), l))
      return refuse("repeats an output letter");

  // Sums away the labels of operand k that no other operand and not the output has.
  auto sumAlone = [&](Value x, SmallVector<Label> &labels, ArrayRef<Label> other) -> Value {
    SmallVector<int64_t> axes;
    SmallVector<Label> kept;
    for (auto [d, l] : llvm::enumerate(labels)) {
      if (!llvm::is_contained(eq.output, l) && !llvm::is_contained(other, l))
        axes.push_back(int64_t(d));
      else
        kept.push_back(l);
    }
    if (axes.empty())
      return x;
    labels = kept;
    return op<ReduceOp>(ReduceKind::sum, x, axes, ValueRange(), false);
  };
  // x (labels `have`) transposed to the order `want`.
  auto permute = [&](Value x, ArrayRef<Label> have, ArrayRef<Label> want) -> Value {
    SmallVector<int64_t> perm = positions(have, want);
    return !x || isIdentity(perm) ? x : transpose(x, perm);
  };

  if (xs.size() == 1) {
    SmallVector<Label> labels = eq.inputs[0];
    Value y = sumAlone(xs[0], labels, {});
    return define(node, 0, permute(y, labels, eq.output));
  }

  SmallVector<Label> la = eq.inputs[0], lb = eq.inputs[1];
  Value a = sumAlone(xs[0], la, lb), b = sumAlone(xs[1], lb, la);
  if (!a || !b)
    return failure();
  SmallVector<Label> batch, m, n, k;
  for (Label l : la) {
    bool inB = llvm::is_contained(lb, l), out = llvm::is_contained(eq.output, l);
    (inB ? (out ? batch : k) : m).push_back(l);
  }
  for (Label l : lb)
    if (!llvm::is_contained(la, l))
      n.push_back(l);
  // batch in the output's order, so the result needs the least moving.
  llvm::sort(batch,
             [&](Label x, Label y) { return llvm::find(eq.output, x) < llvm::find(eq.output, y); });

  // The dims of a label, from whichever operand has it (kDyn when dynamic there).
  // Each label's size, from the operands as they are before any transpose (kDyn when dynamic);
  // a "..." dim of 1 broadcast against the other operand's takes the other's.
  std::map<Label, int64_t> sizes;
  for (auto [x, labels] : {std::pair{a, &la}, std::pair{b, &lb}})
    for (auto [d, l] : llvm::enumerate(*labels)) {
      int64_t s = cast<RankedTensorType>(x.getType()).getDimSize(int64_t(d));
      auto [it, inserted] = sizes.try_emplace(l, s);
      if (!inserted && (it->second == 1 || (it->second == kDyn && s != 1)))
        it->second = s;
    }
  auto dimOf = [&](Label l) { return sizes.at(l); };
  // The reshape spec of `groups` laid out in order from operand dims in the same order: a copy (0)
  // for a group of one dim at its own position, the product when static, one -1 otherwise.
  bool failedSpec = false;
  auto spec = [&](ArrayRef<ArrayRef<Label>> groups) {
    SmallVector<int64_t> s;
    int64_t at = 0;
    bool inferred = false;
    for (ArrayRef<Label> g : groups) {
      int64_t product = 1;
      for (Label l : g)
        product = (product == kDyn || dimOf(l) == kDyn) ? kDyn : product * dimOf(l);
      if (g.size() == 1 && int64_t(s.size()) == at) {
        s.push_back(0);
      } else if (product != kDyn) {
        s.push_back(product);
      } else if (!inferred) {
        s.push_back(-1);
        inferred = true;
      } else {
        failedSpec = true;
      }
      at += int64_t(g.size());
    }
    return s;
  };
  // a as [batch, M, K] or, already so, [batch, K, M] with transpose_a; b likewise.
  auto concatLabels = [](std::initializer_list<ArrayRef<Label>> parts) {
    SmallVector<Label> all;
    for (ArrayRef<Label> p : parts)
      llvm::append_range(all, p);
    return all;
  };
  SmallVector<Label> aRows = concatLabels({batch, m, k}), aCols = concatLabels({batch, k, m});
  bool ta = !isIdentity(positions(la, aRows)) && isIdentity(positions(la, aCols));
  SmallVector<Label> bRows = concatLabels({batch, k, n}), bCols = concatLabels({batch, n, k});
  bool tb = !isIdentity(positions(lb, bRows)) && isIdentity(positions(lb, bCols));
  a = permute(a, la, ta ? aCols : aRows);
  b = permute(b, lb, tb ? bCols : bRows);
  SmallVector<ArrayRef<Label>> aGroups, bGroups;
  for (Label &l : batch) {
    aGroups.push_back(ArrayRef<Label>(l));
    bGroups.push_back(ArrayRef<Label>(l));
  }
  aGroups.append({ta ? ArrayRef<Label>(k) : ArrayRef<Label>(m), ta ? ArrayRef<Label>(m) : k});
  bGroups.append({tb ? ArrayRef<Label>(n) : ArrayRef<Label>(k), tb ? ArrayRef<Label>(k) : n});
  SmallVector<int64_t> aSpec = spec(aGroups), bSpec = spec(bGroups);
  if (failedSpec)
    return refuse("groups several dynamic dims into one matmul dim");
  auto reshapeIf = [&](Value x, ArrayRef<int64_t> s) -> Value {
    auto t = cast<RankedTensorType>(x.getType());
    bool same = int64_t(s.size()) == t.getRank() && llvm::all_of(llvm::enumerate(s), [&](auto e) {
                  return e.value() == 0 || e.value() == t.getDimSize(e.index());
                });
    return same ? x : reshape(x, s);
  };
  a = a ? reshapeIf(a, aSpec) : a;
  b = b ? reshapeIf(b, bSpec) : b;
  Value y = op<MatmulOp>(a, b, ta, tb);
  if (!y)
    return failure();
  // [batch, prod M, prod N] back to [batch, M, N], then in the output's order.
  SmallVector<ArrayRef<Label>> yGroups;
  for (Label &l : batch)
    yGroups.push_back(ArrayRef<Label>(l));
  for (Label &l : m)
    yGroups.push_back(ArrayRef<Label>(l));
  for (Label &l : n)
    yGroups.push_back(ArrayRef<Label>(l));
  // Each M and N dim is its own group now; a copy (0) only where it still sits at its place:
  // the batch dims, a lone M dim (prod M), a lone N dim after a lone M dim (prod N).
  SmallVector<int64_t> ySpec;
  int64_t dynamics = 0;
  for (auto [i, g] : llvm::enumerate(yGroups)) {
    int64_t d = dimOf(g[0]);
    bool inPlace = i < batch.size() || (m.size() == 1 && i == batch.size()) ||
                   (n.size() == 1 && m.size() == 1 && i == batch.size() + 1);
    if (inPlace)
      ySpec.push_back(0);
    else if (d != kDyn)
      ySpec.push_back(d);
    else {
      ySpec.push_back(-1);
      ++dynamics;
    }
  }
  if (dynamics > 1)
    return refuse("splits several dynamic dims out of one matmul dim");
  SmallVector<Label> yLabels = concatLabels({batch, m, n});
  // With M (or N) empty the matmul still has its 1-sized dim: the reshape drops it.
  y = reshapeIf(y, ySpec);
  return define(node, 0, permute(y, yLabels, eq.output));
}
