//===- FuseAttention.cpp - Scaled dot-product attention -> heed.attention -===//
//
// Anchored at heed.softmax. Walks back from the softmax input through masks
// (add, where), constant scales (mul, div) to the QK^T matmul, and forward to
// the matmul with V; checks every soundness rule; and only then rewrites.
// The matcher never changes the IR, so the fusion report asks the very same
// code why a softmax was not fused.
//
//===----------------------------------------------------------------------===//

#include "dialects/heed/Transforms/AttentionMatch.h"
#include "dialects/heed/Transforms/Passes.h"
#include "dialects/heed/Transforms/Patterns.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <limits>

namespace mlir::heed {
#define GEN_PASS_DEF_HEEDFUSEATTENTION
#include "dialects/heed/Transforms/Passes.h.inc"
} // namespace mlir::heed

using namespace mlir;
using namespace mlir::heed;
using namespace mlir::heed::fusion;

namespace {
SmallVector<int64_t> swapLastTwo(int64_t rank) {
  SmallVector<int64_t> perm = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  std::swap(perm[rank - 1], perm[rank - 2]);
  return perm;
}

std::string opName(Operation *op) { return op->getName().getStringRef().str(); }

/// [B, L, H*D] -> reshape [B, L, H, D] -> transpose [0, 2, 1, 3]: the [B, L,
/// H*D] input and H, or nothing.
std::pair<Value, int64_t> headSplit(Value value) {
  auto transpose = value.getDefiningOp<TransposeOp>();
  if (!transpose || transpose.getPermutation() != ArrayRef<int64_t>{0, 2, 1, 3})
    return {};
  auto reshape = transpose.getInput().getDefiningOp<ReshapeOp>();
  if (!reshape)
    return {};
  auto in = reshape.getInput().getType(), out = reshape.getType();
  if (in.getRank() != 3 || out.getRank() != 4 || out.isDynamicDim(2) || !keepsDim(reshape, 0, 0) ||
      !keepsDim(reshape, 1, 1))
    return {};
  return {reshape.getInput(), out.getDimSize(2)};
}

/// sum(a * b, axis -1) with a [B, 1, D] and b [B, Lk, D]: a single-query dot
/// product (Luong dot in tutorials); sets the query and the keys.
bool matchDotReduction(ReduceOp reduce, Value &query, Value &keys) {
  auto in = reduce.getInput().getType();
  if (reduce.getKind() != ReduceKind::sum || reduce.getKeepDims() || in.getRank() != 3 ||
      reduce.getAxes().size() != 1 || shape::normalizeAxis(reduce.getAxes()[0], 3) != 2)
    return false;
  auto mul = reduce.getInput().getDefiningOp<MulOp>();
  if (!mul || !mul.getResult().hasOneUse())
    return false;
  for (auto [a, b] : {std::pair{mul.getLhs(), mul.getRhs()}, {mul.getRhs(), mul.getLhs()}}) {
    auto at = dyn_cast<RankedTensorType>(a.getType());
    auto bt = dyn_cast<RankedTensorType>(b.getType());
    if (!at || !bt || at.getRank() != 3 || bt.getRank() != 3 || at.getDimSize(1) != 1 ||
        bt != mul.getType() || bt.getDimSize(1) == 1 ||
        !shape::compatible(at.getDimSize(0), bt.getDimSize(0)) ||
        (at.getDimSize(0) == 1) != (bt.getDimSize(0) == 1) || at.getDimSize(2) != bt.getDimSize(2))
      continue;
    query = a;
    keys = b;
    return true;
  }
  return false;
}
/// reshape(bmm(k [B, Lk, D], q [B, D, 1]) [B, Lk, 1]) or
/// reshape(bmm(q [B, 1, D], k^T [B, D, Lk]) [B, 1, Lk]) to [B, Lk]: a
/// single-query product written with torch.bmm (Luong dot and general in
/// tutorials); sets the query, the key and whether they are transposed.
bool matchSingleQueryProduct(ReshapeOp reshape, SdpaMatch &m) {
  auto in = reshape.getInput().getType();
  auto matmul = reshape.getInput().getDefiningOp<MatmulOp>();
  if (!matmul || !reshape.getInput().hasOneUse() || in.getRank() != 3 ||
      reshape.getType().getRank() != 2 || matmul.getTransposeA() || !keepsDim(reshape, 0, 0))
    return false;
  auto lhs = cast<RankedTensorType>(matmul.getLhs().getType());
  auto rhs = cast<RankedTensorType>(matmul.getRhs().getType());
  if (lhs.getRank() != 3 || rhs.getRank() != 3 ||
      (lhs.getDimSize(0) == 1) != (rhs.getDimSize(0) == 1))
    return false;
  if (in.getDimSize(2) == 1 && in.getDimSize(1) != 1 && keepsDim(reshape, 1, 1) &&
      !matmul.getTransposeB()) {
    m.key = matmul.getLhs();   // [B, Lk, D]
    m.query = matmul.getRhs(); // [B, D, 1]
    m.queryColumn = true;
    return true;
  }
  if (in.getDimSize(1) == 1 && in.getDimSize(2) != 1 && keepsDim(reshape, 2, 1)) {
    m.query = matmul.getLhs(); // [B, 1, D]
    m.key = matmul.getRhs();   // [B, D, Lk], or [B, Lk, D] with transpose_b
    m.transposeKey = !matmul.getTransposeB();
    return true;
  }
  return false;
}
} // namespace

FailureOr<SdpaMatch> fusion::matchSdpa(SoftmaxOp softmax, std::string &reason,
                                       MaskedRows maskedRows) {
  SdpaMatch m;
  m.softmax = softmax;
  Value input = softmax.getInput();
  int64_t rank = softmax.getInput().getType().getRank();
  auto isChain = [](Value v) {
    return leadsTo(v, [](Operation *op) {
      Value q, k;
      auto reduce = dyn_cast<ReduceOp>(op);
      return isa<MatmulOp>(op) || (reduce && matchDotReduction(reduce, q, k));
    });
  };

  // Phase 1: find the QK^T matmul, collecting the ops in between.
  SmallVector<Operation *> chain; // softmax side first
  Value cur = input;
  while (true) {
    Operation *def = cur.getDefiningOp();
    if (!def) {
      reason = "scores are not a matrix product";
      return failure();
    }
    if (!cur.hasOneUse()) {
      reason =
          "the result of " + opName(def) + " between the scores and the softmax has other users";
      return failure();
    }
    if (auto matmul = dyn_cast<MatmulOp>(def)) {
      m.scores = matmul;
      break;
    }
    if (auto reduce = dyn_cast<ReduceOp>(def);
        reduce && matchDotReduction(reduce, m.query, m.key)) {
      m.singleQuery = reduce;
      break;
    }
    if (auto reshape = dyn_cast<ReshapeOp>(def); reshape && matchSingleQueryProduct(reshape, m)) {
      m.singleQuery = reshape;
      break;
    }
    chain.push_back(def);
    if (auto mul = dyn_cast<MulOp>(def)) {
      bool lhsConst = splatFloat(mul.getLhs()) && isScalarLike(mul.getLhs(), mul.getRhs());
      bool rhsConst = splatFloat(mul.getRhs()) && isScalarLike(mul.getRhs(), mul.getLhs());
      if (!lhsConst && !rhsConst) {
        reason = isChain(mul.getLhs()) || isChain(mul.getRhs()) ? "scale is not a constant"
                                                                : "scores are not a matrix product";
        return failure();
      }
      cur = rhsConst ? mul.getLhs() : mul.getRhs();
    } else if (auto div = dyn_cast<DivOp>(def)) {
      if (!splatFloat(div.getRhs()) || !isScalarLike(div.getRhs(), div.getLhs())) {
        reason =
            isChain(div.getLhs()) ? "scale is not a constant" : "scores are not a matrix product";
        return failure();
      }
      cur = div.getLhs();
    } else if (auto add = dyn_cast<AddOp>(def)) {
      bool lhs = isChain(add.getLhs()), rhs = isChain(add.getRhs());
      if (lhs == rhs) {
        reason = lhs ? "cannot tell the scores from the mask in an add"
                     : "scores are not a matrix product";
        return failure();
      }
      cur = lhs ? add.getLhs() : add.getRhs();
    } else if (auto where = dyn_cast<WhereOp>(def)) {
      bool t = isChain(where.getOnTrue()), f = isChain(where.getOnFalse());
      if (t == f) {
        reason = t ? "cannot tell the scores from the fill value in a where"
                   : "scores are not a matrix product";
        return failure();
      }
      cur = t ? where.getOnTrue() : where.getOnFalse();
    } else if (auto transpose = dyn_cast<TransposeOp>(def)) {
      cur = transpose.getInput();
    } else if (isa<ReshapeOp>(def) && isChain(cur)) {
      reason = "scores are reshaped before the softmax";
      return failure();
    } else {
      reason = "scores are not a matrix product (the softmax input comes from " + opName(def) + ")";
      return failure();
    }
  }
  SmallVector<int64_t> scoresShape =
      llvm::to_vector(cast<RankedTensorType>(cur.getType()).getShape());
  if (static_cast<int64_t>(scoresShape.size()) != rank) {
    reason = "scores are reshaped before the softmax";
    return failure();
  }

  // The softmax must run over the key axis: the scores' last dim, moved by
  // any transposes on the way.
  int64_t keyAxis = rank - 1;
  bool permuted = false;
  for (Operation *op : llvm::reverse(chain)) {
    auto transpose = dyn_cast<TransposeOp>(op);
    if (!transpose)
      continue;
    permuted = true;
    ArrayRef<int64_t> perm = transpose.getPermutation();
    keyAxis = llvm::find(perm, keyAxis) - perm.begin();
  }
  auto axis = shape::normalizeAxis(static_cast<int64_t>(softmax.getAxis()), rank);
  if (!axis || *axis != keyAxis) {
    reason = "softmax axis " + std::to_string(static_cast<int64_t>(softmax.getAxis())) +
             " is not the key axis";
    return failure();
  }
  if (permuted) {
    reason = "scores are permuted before the softmax";
    return failure();
  }

  // The value product: the softmax output contracted with V over the key axis.
  // With a single query the weights [B, Lk] reach V as [B, 1, Lk].
  Value weights = softmax.getResult();
  bool wrongContraction = false;
  for (OpOperand &use : weights.getUses()) {
    Operation *user = use.getOwner();
    Value operand = weights;
    if (m.singleQuery) {
      auto reshape = dyn_cast<ReshapeOp>(user);
      if (!reshape || m.stepReshape || insertsStepDim(reshape.getResult()) != weights ||
          !reshape.getResult().hasOneUse())
        continue;
      operand = reshape.getResult();
      user = *operand.getUsers().begin();
    }
    auto matmul = dyn_cast<MatmulOp>(user);
    if (!matmul)
      continue;
    if (!m.valueProduct && matmul.getLhs() == operand && !matmul.getTransposeA() &&
        matmul.getRhs() != operand) {
      m.valueProduct = matmul;
      if (m.singleQuery)
        m.stepReshape = use.getOwner();
    } else {
      wrongContraction = true;
    }
  }
  if (!m.valueProduct) {
    reason = wrongContraction ? "value contraction is not over the key axis"
                              : "the softmax output is not multiplied with values";
    return failure();
  }
  for (OpOperand &use : weights.getUses())
    if (use.getOwner() != m.valueProduct.getOperation() && use.getOwner() != m.stepReshape)
      m.weightUses.push_back(&use);
  if (!m.singleQuery) {
    m.query = m.scores.getLhs();
    m.transposeQuery = m.scores.getTransposeA();
    m.key = m.scores.getRhs();
    m.transposeKey = !m.scores.getTransposeB();
  }
  m.value = m.valueProduct.getRhs();
  m.transposeValue = m.valueProduct.getTransposeB();
  m.replaced = m.valueProduct;
  auto rankOf = [](Value v) { return cast<RankedTensorType>(v.getType()).getRank(); };
  // The fused op's rank and scores: [B, 1, Lk] for a single query.
  int64_t attRank = m.singleQuery ? 3 : rank;
  SmallVector<int64_t> attScores = scoresShape;
  if (m.singleQuery)
    attScores.insert(attScores.begin() + 1, 1);
  if (rankOf(m.query) != attRank || rankOf(m.key) != attRank || rankOf(m.value) != attRank) {
    reason = "query, key and value ranks differ";
    return failure();
  }

  // Luong general in a decoder loop: score = (s W_a^T) h^T = s (h W_a)^T, so
  // W_a can be applied to the encoder outputs once, before the loop, instead
  // of to the query at every step.
  if (auto linear = m.query.getDefiningOp<LinearOp>();
      linear && !linear.getBias() && linear.getActivation() == Activation::none &&
      !m.transposeQuery && !m.transposeKey && m.query.hasOneUse() && rank == 3 && !m.singleQuery) {
    auto outside = [](Value v, ScanOp scan) {
      return !scan.getBody().isAncestor(v.getParentRegion());
    };
    Operation *point = softmax;
    while (auto scan = point->getParentOfType<ScanOp>()) {
      if (!outside(m.key, scan) || !outside(linear.getWeight(), scan))
        break;
      point = scan;
    }
    if (point != softmax.getOperation()) {
      m.query = linear.getInput();
      m.keyWeight = linear.getWeight();
      m.keyWeightTransposed = linear.getTransposeWeight();
      m.keyProjectionPoint = point;
    }
  }

  ScoresInfo info;
  info.scores = cur;
  info.shape = scoresShape;
  info.queryLength.push_back(
      {m.query, m.transposeQuery || m.queryColumn ? attRank - 1 : attRank - 2});
  info.keyLength.push_back({m.key, m.transposeKey ? attRank - 1 : attRank - 2});
  info.keyLength.push_back({m.value, m.transposeValue ? attRank - 1 : attRank - 2});
  info.lengthsAllowed = rank >= 3 || m.singleQuery;
  info.causalAllowed = !m.singleQuery;

  // Heads split and merged around the attention fold into num_heads.
  if (rank == 4 && !m.transposeQuery && !m.transposeKey && !m.transposeValue) {
    auto [q, hq] = headSplit(m.query);
    auto [k, hk] = headSplit(m.key);
    auto [v, hv] = headSplit(m.value);
    if (q && k && v && hq == hk && hk == hv) {
      if (ReshapeOp merge = headMerge(m.valueProduct.getResult())) {
        m.numHeads = hq;
        m.query = q;
        m.key = k;
        m.value = v;
        m.replaced = merge;
        info.queryLength.push_back({q, 1});
        info.keyLength.push_back({k, 1});
        info.keyLength.push_back({v, 1});
      }
    }
  }

  // Phase 2: scales and masks, from the scores outward. A masking fill that
  // a later scale multiplies must stay masking: -inf does for any positive
  // scale, the lowest finite value for any scale that is not tiny.
  bool maskSeen = false;
  double scaleAfterMasks = 1;
  for (Operation *op : llvm::reverse(chain)) {
    double factor;
    if (auto mul = dyn_cast<MulOp>(op)) {
      bool rhsConst = splatFloat(mul.getRhs()) && isScalarLike(mul.getRhs(), mul.getLhs());
      factor = *splatFloat(rhsConst ? mul.getRhs() : mul.getLhs());
    } else if (auto div = dyn_cast<DivOp>(op)) {
      factor = 1 / *splatFloat(div.getRhs());
    } else {
      Value inner;
      if (failed(peelMask(op->getResult(0), m.mask, info, inner, reason))) {
        if (reason.empty())
          reason = "scores are not a matrix product";
        return failure();
      }
      maskSeen = true;
      continue;
    }
    m.scale *= factor;
    if (maskSeen)
      scaleAfterMasks *= factor;
    if (!m.mask.extraAdditive.empty() || bitEnumContainsAny(m.mask.kind, MaskKind::additive)) {
      reason = "an additive mask is added before the scale";
      return failure();
    }
  }
  if (!std::isfinite(m.scale) || m.scale <= 0) {
    reason = "scale " + formatDouble(m.scale) + " is not a finite positive constant";
    return failure();
  }
  if (maskSeen && std::abs(scaleAfterMasks) < 1e-3) {
    reason = "a mask is scaled by " + formatDouble(scaleAfterMasks) + " after it is applied";
    return failure();
  }
  if (failed(checkMaskedRows(m.mask, maskedRows, reason)) || failed(checkScoreFill(m.mask, reason)))
    return failure();
  // The fill is a score: the scales after it apply to it as to the others.
  if (m.mask.scoreFill)
    *m.mask.scoreFill *= scaleAfterMasks;

  // V must not broadcast the weights to more batch or heads rows: the fused
  // op's rows are the scores' rows.
  ArrayRef<int64_t> outShape = m.valueProduct.getType().getShape();
  for (auto [o, s] : llvm::zip(outShape.drop_back(2), ArrayRef(attScores).drop_back(2))) {
    if (!shape::compatible(o, s) || (o == 1) != (s == 1)) {
      reason = "the values broadcast the attention weights";
      return failure();
    }
  }

  auto build = [&](OpBuilder &b) {
    return buildAttention(b, m, MaskedRows::zero, /*hoist=*/false).getOperation();
  };
  if (failed(placeFusedOp(softmax, m.value, m.valueProduct, m.weightUses, build, m.insertionPoint,
                          reason)))
    return failure();
  return m;
}

AttentionOp fusion::buildAttention(OpBuilder &builder, const SdpaMatch &m, MaskedRows maskedRows,
                                   bool hoist) {
  Location loc = m.softmax->getLoc();
  auto transposed = [&](Value v, bool transpose) -> Value {
    if (!transpose)
      return v;
    int64_t rank = cast<RankedTensorType>(v.getType()).getRank();
    return TransposeOp::create(builder, loc, v, swapLastTwo(rank));
  };
  Value key = transposed(m.key, m.transposeKey);
  if (m.keyWeight) {
    OpBuilder::InsertionGuard guard(builder);
    if (hoist)
      builder.setInsertionPoint(m.keyProjectionPoint);
    key = LinearOp::create(builder, loc, key, m.keyWeight, Value(), !m.keyWeightTransposed);
  }
  Value query =
      m.queryColumn
          ? ReshapeOp::create(builder, loc, m.query, ArrayRef<int64_t>{0, 1, -1}).getResult()
          : transposed(m.query, m.transposeQuery);
  SmallVector<Value> operands{query, key, transposed(m.value, m.transposeValue)};
  for (auto [i, limit] : llvm::enumerate(m.mask.limits)) {
    if (llvm::is_contained(ArrayRef(m.mask.limits).take_front(i), limit))
      continue; // rows and columns cut to the same length: one check
    auto bound = [&](arith::CmpIPredicate pred, int64_t c) -> Value {
      return arith::CmpIOp::create(builder, loc, pred, limit.value,
                                   arith::ConstantIndexOp::create(builder, loc, c));
    };
    SmallVector<Value> conditions;
    if (limit.min != std::numeric_limits<int64_t>::min())
      conditions.push_back(bound(arith::CmpIPredicate::sge, limit.min));
    if (limit.max != std::numeric_limits<int64_t>::max())
      conditions.push_back(bound(arith::CmpIPredicate::sle, limit.max));
    CheckOp::create(builder, loc, conditions, ValueRange{limit.value},
                    builder.getStringAttr(limit.message));
  }
  if (Value mask = materializeMask(builder, loc, m.mask)) {
    // [B, Lk] masks of a single query apply to the [B, 1, Lk] scores.
    if (m.singleQuery && cast<RankedTensorType>(mask.getType()).getRank() == 2 &&
        !bitEnumContainsAny(m.mask.kind, MaskKind::lengths))
      mask = ReshapeOp::create(builder, loc, mask, ArrayRef<int64_t>{0, 1, -1});
    operands.push_back(mask);
  }

  MLIRContext *context = builder.getContext();
  SmallVector<NamedAttribute> attrs{
      builder.getNamedAttr("scale", builder.getF32FloatAttr(m.scale)),
      builder.getNamedAttr("mask_kind", MaskKindAttr::get(context, m.mask.kind)),
      builder.getNamedAttr("causal_align", CausalAlignAttr::get(context, m.mask.align)),
      builder.getNamedAttr("masked_rows", MaskedRowsAttr::get(context, maskedRows))};
  if (m.mask.scoreFill)
    attrs.push_back(
        builder.getNamedAttr("mask_fill", builder.getF32FloatAttr(float(*m.mask.scoreFill))));
  if (m.numHeads)
    attrs.push_back(builder.getNamedAttr("num_heads", builder.getI64IntegerAttr(m.numHeads)));
  SmallVector<Type> types{m.replaced->getResult(0).getType()};
  if (!m.weightUses.empty()) {
    attrs.push_back(builder.getNamedAttr("return_weights", builder.getUnitAttr()));
    auto weightsType = cast<RankedTensorType>(m.softmax->getResult(0).getType());
    if (m.singleQuery) {
      SmallVector<int64_t> shape(weightsType.getShape());
      shape.insert(shape.begin() + 1, 1);
      weightsType = RankedTensorType::get(shape, weightsType.getElementType());
    }
    types.push_back(weightsType);
  }
  return AttentionOp::create(builder, loc, types, operands, attrs);
}

namespace {
struct FuseAttentionPattern : OpRewritePattern<SoftmaxOp> {
  FuseAttentionPattern(MLIRContext *context, FusionOptions options)
      : OpRewritePattern(context), options(options) {}

  LogicalResult matchAndRewrite(SoftmaxOp softmax, PatternRewriter &rewriter) const override {
    std::string reason;
    FailureOr<SdpaMatch> m = matchSdpa(softmax, reason, options.maskedRows);
    if (failed(m))
      return rewriter.notifyMatchFailure(softmax, reason);
    if (options.report) {
      // The mask as fused: "causal" says the kernel skips the masked blocks.
      std::string mask;
      if (m->mask.kind != MaskKind::none) {
        mask = " (mask " + stringifyMaskKind(m->mask.kind);
        if (bitEnumContainsAny(m->mask.kind, MaskKind::causal))
          mask += ", " + stringifyCausalAlign(m->mask.align).str();
        mask += ")";
      }
      softmax.emitRemark("softmax fused into heed.attention" + mask);
    }

    rewriter.setInsertionPoint(m->insertionPoint);
    AttentionOp fused = buildAttention(rewriter, *m, options.maskedRows);
    Value weights = fused.getWeights();
    if (weights && m->singleQuery)
      weights = ReshapeOp::create(rewriter, softmax.getLoc(), softmax.getType(), weights,
                                  ArrayRef<int64_t>{0, -1});
    for (OpOperand *use : m->weightUses)
      rewriter.modifyOpInPlace(use->getOwner(), [&] { use->set(weights); });
    rewriter.replaceOp(m->replaced, fused.getOutput());
    return success();
  }

  FusionOptions options;
};

bool sameOrigin(DimSource a, DimSource b) { return a.tensor == b.tensor && a.axis == b.axis; }

/// k [B, Hkv, Lk, D] repeated to [B, Hkv * g, Lk, D] by a reshape to [B, Hkv, 1, Lk, D], a
/// broadcast of that unit dim to g and a reshape merging Hkv and g: torch's grouped-query
/// `k[:, :, None].expand(b, kv, g, l, d).reshape(b, kv * g, l, d)`, whose head order (each kv
/// head g times in a row) is the one heed.attention gives a k with fewer heads than q. Returns k.
/// The heads may be dim `heads` = 2 instead ([B, Lk, Hkv, D], repeated before the transpose to
/// [B, H, Lk, D]). The broadcast must leave every other dim as it is: a `like` dim that is 1,
/// equal and static, or read (through torch's `where(shape == -1, 1, shape)`) from the same dim of
/// k or of `sibling` (the keys for the values: heed.attention checks that they agree).
Value repeatedKvHeads(Value value, Value sibling, int64_t heads = 1) {
  auto merge = value.getDefiningOp<ReshapeOp>();
  auto broadcast = merge ? merge.getInput().getDefiningOp<BroadcastOp>() : BroadcastOp();
  auto split = broadcast ? broadcast.getInput().getDefiningOp<ReshapeOp>() : ReshapeOp();
  int64_t unit = heads + 1; // the dim g broadcasts
  if (!split || merge.getType().getRank() != 4 || split.getType().getRank() != 5 ||
      split.getInput().getType().getRank() != 4 || split.getType().getDimSize(unit) != 1)
    return {};
  Value k = split.getInput();
  auto in = split.getType(), out = broadcast.getType();
  auto like = cast<RankedTensorType>(broadcast.getLike().getType());
  if (like.getRank() != 5 || out.isDynamicDim(unit) || in.isDynamicDim(heads))
    return {};
  // k's dim d is dim `outer(d)` of the split, and the unit dim is inserted at `unit`.
  auto outer = [&](int64_t d) { return d < unit ? d : d + 1; };
  for (int64_t d = 0; d < 4; ++d)
    if (!keepsDim(split, d, outer(d)))
      return {};
  auto kept = [&](int64_t d) {
    if (!like.isDynamicDim(d))
      return like.getDimSize(d) == 1 ||
             (!in.isDynamicDim(d) && in.getDimSize(d) == like.getDimSize(d));
    auto full = broadcast.getLike().getDefiningOp<FullOp>();
    Value size = full ? full.getSizeOf(d) : Value();
    if (auto select = size ? size.getDefiningOp<arith::SelectOp>() : arith::SelectOp()) {
      APInt one;
      if (matchPattern(select.getTrueValue(), m_ConstantInt(&one)) && one.isOne())
        size = select.getFalseValue();
      else if (matchPattern(select.getFalseValue(), m_ConstantInt(&one)) && one.isOne())
        size = select.getTrueValue();
    }
    auto dim = size ? size.getDefiningOp<DimOp>() : DimOp();
    if (!dim || !in.isDynamicDim(d))
      return false;
    DimSource origin = dimOrigin(dim.getInput(), dim.getDim());
    int64_t kd = d < unit ? d : d - 1;
    return sameOrigin(origin, dimOrigin(k, kd)) ||
           (sibling && sameOrigin(origin, dimOrigin(sibling, kd)));
  };
  for (int64_t d = 0; d < 5; ++d)
    if (d != unit && !kept(d))
      return {};
  // Every dim but the heads kept, so the merged dim is Hkv * g.
  for (int64_t d = 0; d < 4; ++d)
    if (d != heads && !keepsDim(merge, outer(d), d))
      return {};
  return k;
}

/// k [B, Hkv, Lk, D] repeated per query head by torch's export of `k.repeat_interleave(g, dim=1)`
/// (a static Hkv): the slices k[:, i:i+1] in head order, each repeated g times as above, then
/// concatenated along the heads: the same elements in the same order as the expand spelling.
/// Returns k. (One kv head: the slice and the concat of one piece fold away, leaving the above.)
Value interleavedKvHeads(Value value, int64_t heads) {
  auto concat = value.getDefiningOp<ConcatOp>();
  if (!concat || cast<RankedTensorType>(concat.getType()).getRank() != 4 ||
      shape::normalizeAxis(static_cast<int64_t>(concat.getAxis()), 4) != heads)
    return {};
  Value source;
  int64_t group = 0;
  for (auto [i, piece] : llvm::enumerate(concat.getInputs())) {
    Value head = repeatedKvHeads(piece, Value(), heads);
    auto slice = head ? head.getDefiningOp<SliceOp>() : SliceOp();
    int64_t size = cast<RankedTensorType>(piece.getType()).getDimSize(heads);
    if (!slice || shape::normalizeAxis(static_cast<int64_t>(slice.getAxis()), 4) != heads ||
        slice.getStep() != 1 || static_cast<int64_t>(slice.getStart()) != int64_t(i) ||
        static_cast<int64_t>(slice.getEnd()) != int64_t(i) + 1 ||
        (source && slice.getInput() != source) || (group && size != group))
      return {};
    source = slice.getInput();
    group = size;
  }
  // Every head of k, each once.
  auto type = source ? cast<RankedTensorType>(source.getType()) : RankedTensorType();
  if (!type || type.isDynamicDim(heads) ||
      type.getDimSize(heads) != static_cast<int64_t>(concat.getInputs().size()))
    return {};
  return source;
}

/// The unrepeated keys or values [B, Hkv, Lk, D] behind `value` [B, H, Lk, D], or null:
/// repeated by either spelling above, or repeated as [B, Lk, H, D] (heads at dim 2) and then
/// transposed, when `transposed` is set (the caller transposes the unrepeated tensor, a copy g
/// times smaller than the repeated one).
Value unrepeatedKvHeads(Value value, Value sibling, bool &transposed) {
  transposed = false;
  if (Value k = repeatedKvHeads(value, sibling))
    return k;
  if (Value k = interleavedKvHeads(value, 1))
    return k;
  auto transpose = value.getDefiningOp<TransposeOp>();
  if (!transpose || transpose.getPermutation() != ArrayRef<int64_t>{0, 2, 1, 3})
    return {};
  Value k = repeatedKvHeads(transpose.getInput(), Value(), 2);
  if (!k)
    k = interleavedKvHeads(transpose.getInput(), 2);
  transposed = static_cast<bool>(k);
  return k;
}

/// heed.attention of keys and values repeated per query head (above) takes the unrepeated
/// ones: grouped-query attention without the copies.
struct FoldRepeatedKvHeads : OpRewritePattern<AttentionOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(AttentionOp op, PatternRewriter &rewriter) const override {
    bool kTransposed = false, vTransposed = false;
    Value k = unrepeatedKvHeads(op.getKey(), Value(), kTransposed);
    Value v = k ? unrepeatedKvHeads(op.getValue(), k, vTransposed) : Value();
    auto q = cast<RankedTensorType>(op.getQuery().getType());
    if (op.getNumHeads() != 0 || !k || !v || q.getRank() != 4 || q.isDynamicDim(1))
      return failure();
    int64_t hk = cast<RankedTensorType>(k.getType()).getDimSize(kTransposed ? 2 : 1);
    if (hk != cast<RankedTensorType>(v.getType()).getDimSize(vTransposed ? 2 : 1) ||
        q.getDimSize(1) % hk != 0)
      return failure();
    auto headsFirst = [&](Value x, bool transposed) -> Value {
      if (!transposed)
        return x;
      SmallVector<int64_t> perm{0, 2, 1, 3}, shape;
      auto type = cast<RankedTensorType>(x.getType());
      for (int64_t p : perm)
        shape.push_back(type.getDimSize(p));
      return TransposeOp::create(rewriter, op.getLoc(),
                                 RankedTensorType::get(shape, type.getElementType()), x, perm);
    };
    rewriter.setInsertionPoint(op);
    Value key = headsFirst(k, kTransposed), value = headsFirst(v, vTransposed);
    rewriter.modifyOpInPlace(op, [&] {
      op.getKeyMutable().assign(key);
      op.getValueMutable().assign(value);
    });
    return success();
  }
};

struct FuseAttentionPass : heed::impl::HeedFuseAttentionBase<FuseAttentionPass> {
  using Base::Base;
  void runOnOperation() override {
    if (failed(
            applyFusionPatterns(getOperation(), report, maskedRows, populateFuseAttentionPatterns)))
      signalPassFailure();
  }
};
} // namespace

FailureOr<FusionOptions> heed::parseFusionOptions(Operation *anchor, bool report,
                                                  StringRef maskedRows) {
  std::optional<MaskedRows> policy = symbolizeMaskedRows(maskedRows);
  if (!policy)
    return anchor->emitError() << "unknown masked-rows policy '" << maskedRows
                               << "' (expected zero or nan)";
  FusionOptions options;
  options.report = report;
  options.maskedRows = *policy;
  return options;
}

LogicalResult heed::applyFusionPatterns(Operation *anchor, bool report, StringRef maskedRows,
                                        void (*populate)(RewritePatternSet &,
                                                         const FusionOptions &)) {
  FailureOr<FusionOptions> options = parseFusionOptions(anchor, report, maskedRows);
  if (failed(options))
    return failure();
  RewritePatternSet patterns(anchor->getContext());
  populate(patterns, *options);
  // Every rewrite is sound on its own, so stopping short of a fixpoint
  // (the driver's iteration limit) leaves valid, partly rewritten IR.
  (void)applyPatternsGreedily(anchor, std::move(patterns));
  return success();
}

void heed::populateFuseAttentionPatterns(RewritePatternSet &patterns,
                                         const FusionOptions &options) {
  patterns.add<FuseAttentionPattern>(patterns.getContext(), options);
  patterns.add<FoldRepeatedKvHeads>(patterns.getContext());
}
