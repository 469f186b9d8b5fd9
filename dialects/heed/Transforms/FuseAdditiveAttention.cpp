//===- FuseAdditiveAttention.cpp - Bahdanau/Luong concat -> heed.additive_attention ===//
//
// Anchored at heed.softmax over scores [B, Lk] of one decoder step:
//   e = v^T tanh(W_q q + b_q + K')            (Bahdanau; K' = W_k h + b)
//   e = v^T tanh(W [q; h] + b)                (Luong concat; W split in two)
//   alpha = softmax(mask(e)),  c = alpha H     (as [B,1,Lk] x [B,Lk,Dv])
// v^T x is spelled as a linear with a [1, A] weight, a matmul with an [A, 1]
// column, or a sum over A of x * v, each followed by dropping the unit dim.
//
//===----------------------------------------------------------------------===//

#include "dialects/heed/Transforms/AttentionMatch.h"
#include "dialects/heed/Transforms/Passes.h"
#include "dialects/heed/Transforms/Patterns.h"

namespace mlir::heed {
#define GEN_PASS_DEF_HEEDFUSEADDITIVEATTENTION
#include "dialects/heed/Transforms/Passes.h.inc"
} // namespace mlir::heed

using namespace mlir;
using namespace mlir::heed;
using namespace mlir::heed::fusion;

namespace {
/// A reshape that inserts one unit dim at `at` and keeps the others: its
/// input, else null.
Value insertsUnitDim(Value value, int64_t at) {
  auto reshape = value.getDefiningOp<ReshapeOp>();
  if (!reshape)
    return {};
  auto in = reshape.getInput().getType(), out = reshape.getType();
  if (out.getRank() != in.getRank() + 1 || out.getDimSize(at) != 1)
    return {};
  for (int64_t d = 0; d < in.getRank(); ++d)
    if (!keepsDim(reshape, d, d < at ? d : d + 1))
      return {};
  return reshape.getInput();
}

/// x W^T + b as heed.linear, or as heed.matmul (+ heed.add of a [A] bias),
/// the way torch exports nn.Linear on inputs of rank 3.
struct Projection {
  Value input, weight, bias;
  bool weightTransposed; // weight is [A, Dq] (PyTorch), else [Dq, A]
};
std::optional<Projection> matchProjection(Value value) {
  if (auto linear = value.getDefiningOp<LinearOp>()) {
    if (linear.getActivation() != Activation::none)
      return std::nullopt; // not a projection alone
    return Projection{linear.getInput(), linear.getWeight(), linear.getBias(),
                      linear.getTransposeWeight()};
  }
  Value bias;
  if (auto add = value.getDefiningOp<AddOp>()) {
    for (auto [x, b] : {std::pair{add.getLhs(), add.getRhs()}, {add.getRhs(), add.getLhs()}}) {
      if (x.getDefiningOp<MatmulOp>() && x.getType() == add.getType() &&
          cast<RankedTensorType>(b.getType()).getRank() == 1) {
        value = x;
        bias = b;
        break;
      }
    }
    if (!bias)
      return std::nullopt;
  }
  auto matmul = value.getDefiningOp<MatmulOp>();
  if (!matmul || matmul.getTransposeA() || matmul.getRhs().getType().getRank() != 2)
    return std::nullopt;
  return Projection{matmul.getLhs(), matmul.getRhs(), bias, matmul.getTransposeB()};
}

/// W_1 q_1 + b_1 + W_2 q_2 + ... over [B, D_i] inputs (the biases may sit on
/// any of them): the projections, or false when it is not such a sum.
bool matchProjectionSum(Value value, SmallVectorImpl<Projection> &parts) {
  if (std::optional<Projection> projection = matchProjection(value)) {
    if (cast<RankedTensorType>(projection->input.getType()).getRank() != 2)
      return false;
    parts.push_back(*projection);
    return true;
  }
  auto add = value.getDefiningOp<AddOp>();
  return add && add.getLhs().getType() == add.getType() &&
         add.getRhs().getType() == add.getType() && matchProjectionSum(add.getLhs(), parts) &&
         matchProjectionSum(add.getRhs(), parts);
}

/// W_q q + b_q for a [B, Dq] query, shaped [B, 1, A].
bool matchQueryProjection(Value value, AdditiveMatch &m) {
  std::optional<Projection> projection;
  if (Value projected = insertsStepDim(value)) {
    SmallVector<Projection> parts;
    if (!matchProjectionSum(projected, parts) || parts.size() > 8)
      return false;
    // One bias at most (more would need adding; LSTMN has one).
    if (llvm::count_if(parts, [](const Projection &p) { return p.bias; }) > 1)
      return false;
    projection = parts[0];
    for (const Projection &part : llvm::drop_begin(parts)) {
      m.moreQueries.push_back(part.input);
      m.moreWQuery.push_back(part.weight);
      m.moreTransposeWQuery.push_back(!part.weightTransposed);
      if (part.bias)
        projection->bias = part.bias;
    }
    m.query = projection->input;
  } else {
    projection = matchProjection(value);
    if (!projection)
      return false;
    m.query = insertsStepDim(projection->input);
    auto input = cast<RankedTensorType>(projection->input.getType());
    if (!m.query && input.getRank() == 3 && input.getDimSize(1) == 1) {
      // A query that arrives as [B, 1, Dq] (TF's query_with_time_axis).
      m.query = projection->input;
      m.squeezeQuery = true;
    }
    if (!m.query)
      return false;
  }
  m.wQuery = projection->weight;
  m.transposeWQuery = !projection->weightTransposed;
  m.queryBias = projection->bias;
  return true;
}

/// v^T t over the last dim of t [B, Lk, A], giving [B, Lk]: returns t and v.
std::pair<Value, Value> matchScoreVector(Value score) {
  int64_t rank = cast<RankedTensorType>(score.getType()).getRank();
  if (auto reduce = score.getDefiningOp<ReduceOp>()) {
    auto in = reduce.getInput().getType();
    if (reduce.getKind() != ReduceKind::sum || reduce.getKeepDims() || in.getRank() != rank + 1 ||
        reduce.getAxes().size() != 1 || shape::normalizeAxis(reduce.getAxes()[0], rank + 1) != rank)
      return {};
    auto mul = reduce.getInput().getDefiningOp<MulOp>();
    if (!mul || !mul.getResult().hasOneUse())
      return {};
    for (auto [t, v] : {std::pair{mul.getLhs(), mul.getRhs()}, {mul.getRhs(), mul.getLhs()}})
      if (t.getType() == mul.getType() && cast<RankedTensorType>(v.getType()).getRank() == 1)
        return {t, v};
    return {};
  }
  // [..., 1] -> [...]: the unit dim dropped, every other dim kept.
  auto reshape = score.getDefiningOp<ReshapeOp>();
  if (!reshape || reshape.getInput().getType().getRank() != rank + 1 ||
      reshape.getInput().getType().getDimSize(rank) != 1 || !reshape.getInput().hasOneUse() ||
      !llvm::all_of(llvm::seq<int64_t>(0, rank),
                    [&](int64_t d) { return keepsDim(reshape, d, d); }))
    return {};
  Value projected = reshape.getInput();
  if (auto linear = projected.getDefiningOp<LinearOp>();
      linear && linear.getActivation() == Activation::none) {
    auto w = linear.getWeight().getType();
    int64_t outDim = linear.getTransposeWeight() ? 0 : 1;
    // A scalar bias (Keras Dense(1)) shifts every score alike: softmax
    // ignores it.
    auto bias = linear.getBias() ? cast<RankedTensorType>(linear.getBias().getType()) : nullptr;
    if ((bias && (!bias.hasStaticShape() || bias.getNumElements() != 1)) || w.getRank() != 2 ||
        w.getDimSize(outDim) != 1)
      return {};
    return {linear.getInput(), linear.getWeight()};
  }
  if (auto matmul = projected.getDefiningOp<MatmulOp>()) {
    auto w = matmul.getRhs().getType();
    if (matmul.getTransposeA() || matmul.getTransposeB() || w.getRank() != 2 ||
        w.getDimSize(1) != 1)
      return {};
    return {matmul.getLhs(), matmul.getRhs()};
  }
  return {};
}
} // namespace

FailureOr<AdditiveMatch> fusion::matchAdditive(SoftmaxOp softmax, std::string &reason,
                                               bool &recognized, MaskedRows maskedRows) {
  AdditiveMatch m;
  m.softmax = softmax;
  recognized = false;
  auto inputType = softmax.getInput().getType();
  // [B, Lk] for one decoder step, [B, Lq, Lk] for several queries at once.
  bool multiQuery = inputType.getRank() == 3;
  if (inputType.getRank() != 2 && !multiQuery) {
    reason = "scores are not [batch, keys] or [batch, queries, keys]";
    return failure();
  }

  // Masks between the score and the softmax.
  SmallVector<Operation *> maskOps;
  Value cur = softmax.getInput();
  auto [t, v] = matchScoreVector(cur);
  while (!t) {
    Operation *def = cur.getDefiningOp();
    if (!def || !isa<AddOp, WhereOp>(def) || !cur.hasOneUse()) {
      reason = "scores are not v^T tanh(...)";
      return failure();
    }
    maskOps.push_back(def);
    auto isScore = [](Value x) { return static_cast<bool>(matchScoreVector(x).first); };
    Value next;
    for (Value operand : def->getOperands())
      if (isScore(operand) || leadsTo(operand, [&](Operation *op) {
            return op->getNumResults() == 1 && isScore(op->getResult(0));
          }))
        next = operand;
    if (!next) {
      reason = "scores are not v^T tanh(...)";
      return failure();
    }
    cur = next;
    std::tie(t, v) = matchScoreVector(cur);
  }
  if (!cur.hasOneUse()) {
    reason = "the scores have other users";
    return failure();
  }
  auto tanh = t.getDefiningOp<TanhOp>();
  if (!tanh) {
    reason = "scores are not v^T tanh(...)";
    return failure();
  }
  recognized = true;
  m.v = v;
  if (!t.hasOneUse() || !tanh.getInput().hasOneUse()) {
    reason = "the tanh input or output has other users";
    return failure();
  }

  // The tanh argument: W_q q + K' (Bahdanau) or W [q; h] + b (Luong concat, as a heed.linear
  // or, exported from nn.Linear on rank 3, a heed.matmul plus the bias).
  Value hidden = tanh.getInput();
  std::optional<Projection> concatProjection = matchProjection(hidden);
  if (concatProjection && !concatProjection->input.getDefiningOp<ConcatOp>())
    concatProjection.reset();
  if (auto add = hidden.getDefiningOp<AddOp>(); add && multiQuery && !concatProjection) {
    // [B, Lq, 1, A] + [B, 1, Lk, A]: W_q q and K' each given a unit dim.
    for (auto [p, k] : {std::pair{add.getLhs(), add.getRhs()}, {add.getRhs(), add.getLhs()}}) {
      Value projected = insertsUnitDim(p, 2), keys = insertsUnitDim(k, 1);
      std::optional<Projection> projection = projected ? matchProjection(projected) : std::nullopt;
      if (!keys || !projection ||
          cast<RankedTensorType>(projection->input.getType()).getRank() != 3)
        continue;
      m.query = projection->input;
      m.wQuery = projection->weight;
      m.transposeWQuery = !projection->weightTransposed;
      m.queryBias = projection->bias;
      m.keysProj = keys;
      break;
    }
    if (!m.query) {
      reason = "the tanh argument is not a query projection plus the key projection";
      return failure();
    }
  } else if (auto add = hidden.getDefiningOp<AddOp>(); add && !concatProjection) {
    bool lhsQuery = matchQueryProjection(add.getLhs(), m);
    if (!lhsQuery && !matchQueryProjection(add.getRhs(), m)) {
      reason = "the tanh argument is not a query projection plus the key projection";
      return failure();
    }
    m.keysProj = lhsQuery ? add.getRhs() : add.getLhs();
    if (m.keysProj.getType() != add.getType()) {
      reason = "the key projection does not have the shape of the tanh argument";
      return failure();
    }
  } else if (concatProjection) {
    auto concat = concatProjection->input.getDefiningOp<ConcatOp>();
    auto w = cast<RankedTensorType>(concatProjection->weight.getType());
    if (concat.getInputs().size() != 2 || !w.hasStaticShape() || !concat.getResult().hasOneUse() ||
        shape::normalizeAxis(concat.getAxis(), 3) != 2) {
      reason = "the tanh argument is not a query projection plus the key projection";
      return failure();
    }
    for (int i : {0, 1}) {
      auto broadcast = concat.getInputs()[i].getDefiningOp<BroadcastOp>();
      Value q = broadcast ? insertsStepDim(broadcast.getInput()) : Value();
      if (!q)
        continue;
      auto qType = cast<RankedTensorType>(q.getType());
      auto bType = broadcast.getType();
      if (bType.getRank() != 3 || bType.getDimSize(2) != qType.getDimSize(1) ||
          !shape::compatible(bType.getDimSize(0), qType.getDimSize(0)) ||
          (qType.getDimSize(0) == 1) != (bType.getDimSize(0) == 1))
        continue;
      m.query = q;
      m.queryFirst = i == 0;
      m.concatKeys = concat.getInputs()[1 - i];
    }
    auto keysType = m.concatKeys ? cast<RankedTensorType>(m.concatKeys.getType()) : nullptr;
    if (!m.query || keysType.getRank() != 3 || keysType.isDynamicDim(2) ||
        cast<RankedTensorType>(m.query.getType()).isDynamicDim(1)) {
      reason = "the concatenation is not the broadcast query and the keys with static widths";
      return failure();
    }
    m.queryWidth = cast<RankedTensorType>(m.query.getType()).getDimSize(1);
    m.keyWidth = keysType.getDimSize(2);
    m.concatWeight = concatProjection->weight;
    m.concatBias = concatProjection->bias;
    m.concatWeightTransposed = concatProjection->weightTransposed;
  } else {
    reason = "the tanh argument is not a query projection plus the key projection";
    return failure();
  }

  // The context: alpha [B, Lk] -> [B, 1, Lk] x values [B, Lk, Dv] (-> [B, Dv]).
  Value alpha = softmax.getResult();
  int64_t rank = inputType.getRank();
  auto axis = shape::normalizeAxis(static_cast<int64_t>(softmax.getAxis()), rank);
  if (!axis || *axis != rank - 1) {
    reason = "softmax axis " + std::to_string(static_cast<int64_t>(softmax.getAxis())) +
             " is not the key axis";
    return failure();
  }
  // Or: alpha [B, Lk] -> [B, Lk, 1] * values, summed over Lk (-> [B, Dv]).
  ReshapeOp step;
  Operation *product = nullptr;
  bool wrongContraction = false;
  for (OpOperand &use : alpha.getUses()) {
    if (multiQuery) {
      // alpha [B, Lq, Lk] x values [B, Lk, Dv].
      auto matmul = dyn_cast<MatmulOp>(use.getOwner());
      if (!matmul || product)
        continue;
      if (use.getOperandNumber() != 0 || matmul.getTransposeA() || matmul.getTransposeB() ||
          matmul.getRhs().getType().getRank() != 3) {
        wrongContraction = true;
        continue;
      }
      m.values = matmul.getRhs();
      product = matmul;
      continue;
    }
    auto reshape = dyn_cast<ReshapeOp>(use.getOwner());
    if (!reshape || step || !reshape.getResult().hasOneUse())
      continue;
    Operation *user = *reshape.getResult().getUsers().begin();
    if (insertsStepDim(reshape.getResult()) == alpha) {
      auto matmul = dyn_cast<MatmulOp>(user);
      if (!matmul || matmul.getLhs() != reshape.getResult())
        continue;
      if (matmul.getTransposeA() || matmul.getTransposeB() ||
          matmul.getRhs().getType().getRank() != 3) {
        wrongContraction = true;
        continue;
      }
      m.values = matmul.getRhs();
    } else if (reshape.getType().getRank() == 3 && reshape.getType().getDimSize(2) == 1 &&
               keepsDim(reshape, 0, 0) && keepsDim(reshape, 1, 1)) {
      auto mul = dyn_cast<MulOp>(user);
      if (!mul || !mul.getResult().hasOneUse())
        continue;
      Value values = mul.getLhs() == reshape.getResult() ? mul.getRhs() : mul.getLhs();
      auto sum = dyn_cast<ReduceOp>(*mul.getResult().getUsers().begin());
      if (values == reshape.getResult() || values.getType() != mul.getType() || !sum ||
          sum.getKind() != ReduceKind::sum)
        continue;
      if (sum.getAxes().size() != 1 || shape::normalizeAxis(sum.getAxes()[0], 3) != 1) {
        wrongContraction = true;
        continue;
      }
      m.values = values;
      user = sum;
    } else {
      continue;
    }
    step = reshape;
    product = user;
  }
  if (!product) {
    reason = wrongContraction ? "value contraction is not over the key axis"
                              : "the softmax output is not multiplied with values";
    return failure();
  }
  for (OpOperand &use : alpha.getUses())
    if (use.getOwner() != (step ? step.getOperation() : product))
      m.weightUses.push_back(&use);
  m.replaced = product;
  m.keepsStepDim =
      !multiQuery && cast<RankedTensorType>(product->getResult(0).getType()).getRank() == 3;
  if (m.keepsStepDim && product->getResult(0).hasOneUse()) {
    auto drop = dyn_cast<ReshapeOp>(*product->getResult(0).getUsers().begin());
    if (drop && drop.getType().getRank() == 2 && keepsDim(drop, 0, 0) && keepsDim(drop, 2, 1)) {
      m.replaced = drop;
      m.keepsStepDim = false;
    }
  }

  // Masks, now that the key dims are known.
  ScoresInfo info;
  info.shape = llvm::to_vector(inputType.getShape());
  info.causalAllowed = false;
  for (Value keys : {m.keysProj, m.values, m.concatKeys})
    if (keys)
      info.keyLength.push_back({keys, 1});
  for (Operation *op : llvm::reverse(maskOps)) {
    Value inner;
    if (failed(peelMask(op->getResult(0), m.mask, info, inner, reason))) {
      if (reason.empty())
        reason = "scores are not v^T tanh(...)";
      return failure();
    }
  }
  if (failed(checkMaskedRows(m.mask, maskedRows, reason)) || failed(checkScoreFill(m.mask, reason)))
    return failure();

  auto build = [&](OpBuilder &b) {
    return buildAdditiveAttention(b, m, MaskedRows::zero).getOperation();
  };
  if (failed(
          placeFusedOp(softmax, m.values, product, m.weightUses, build, m.insertionPoint, reason)))
    return failure();
  return m;
}

AdditiveAttentionOp fusion::buildAdditiveAttention(OpBuilder &builder, const AdditiveMatch &m,
                                                   MaskedRows maskedRows) {
  Location loc = m.softmax->getLoc();
  Value wQuery = m.wQuery, keysProj = m.keysProj;
  if (m.concatWeight) {
    // W [A, Dq + Dk] = [W_q | W_k] (or [W_k | W_q]): split the columns.
    int64_t qStart = m.queryFirst ? 0 : m.keyWidth;
    int64_t kStart = m.queryFirst ? m.queryWidth : 0;
    int64_t axis = m.concatWeightTransposed ? 1 : 0; // the Dq + Dk axis
    wQuery = SliceOp::create(builder, loc, m.concatWeight, axis, qStart, qStart + m.queryWidth, 1);
    if (!m.concatWeightTransposed)
      wQuery = TransposeOp::create(builder, loc, wQuery, ArrayRef<int64_t>{1, 0});
    Value wKeys =
        SliceOp::create(builder, loc, m.concatWeight, axis, kStart, kStart + m.keyWidth, 1);
    keysProj =
        LinearOp::create(builder, loc, m.concatKeys, wKeys, m.concatBias, m.concatWeightTransposed);
  } else {
    // Each block as [A, Dq_i], side by side: [A, Dq_1 + Dq_2 + ...].
    auto asRows = [&](Value w, bool transpose) -> Value {
      return transpose ? TransposeOp::create(builder, loc, w, ArrayRef<int64_t>{1, 0}) : w;
    };
    wQuery = asRows(wQuery, m.transposeWQuery);
    if (!m.moreWQuery.empty()) {
      SmallVector<Value> blocks{wQuery};
      for (auto [w, transpose] : llvm::zip(m.moreWQuery, m.moreTransposeWQuery))
        blocks.push_back(asRows(w, transpose));
      wQuery = ConcatOp::create(builder, loc, blocks, 1);
    }
  }
  if (m.queryBias)
    keysProj = AddOp::create(builder, loc, keysProj, m.queryBias);
  Value v = m.v;
  if (cast<RankedTensorType>(v.getType()).getRank() != 1)
    v = ReshapeOp::create(builder, loc, v, ArrayRef<int64_t>{-1});

  Value query = m.query;
  if (!m.moreQueries.empty()) {
    SmallVector<Value> parts{query};
    parts.append(m.moreQueries.begin(), m.moreQueries.end());
    query = ConcatOp::create(builder, loc, parts, 1);
  }
  if (m.squeezeQuery) {
    auto type = cast<RankedTensorType>(query.getType());
    query = ReshapeOp::create(
        builder, loc,
        RankedTensorType::get({type.getDimSize(0), type.getDimSize(2)}, type.getElementType()),
        query, ArrayRef<int64_t>{0, -1});
  }
  SmallVector<Value> operands{query, keysProj, m.values, wQuery, v};
  if (Value mask = materializeMask(builder, loc, m.mask))
    operands.push_back(mask);
  MLIRContext *context = builder.getContext();
  SmallVector<NamedAttribute> attrs{
      builder.getNamedAttr("mask_kind", MaskKindAttr::get(context, m.mask.kind)),
      builder.getNamedAttr("masked_rows", MaskedRowsAttr::get(context, maskedRows))};
  if (m.mask.scoreFill)
    attrs.push_back(
        builder.getNamedAttr("mask_fill", builder.getF32FloatAttr(float(*m.mask.scoreFill))));
  auto outType = cast<RankedTensorType>(m.replaced->getResult(0).getType());
  SmallVector<Type> types{
      m.keepsStepDim ? RankedTensorType::get({outType.getDimSize(0), outType.getDimSize(2)},
                                             outType.getElementType())
                     : outType};
  if (!m.weightUses.empty()) {
    attrs.push_back(builder.getNamedAttr("return_weights", builder.getUnitAttr()));
    types.push_back(m.softmax->getResult(0).getType());
  }
  return AdditiveAttentionOp::create(builder, loc, types, operands, attrs);
}

namespace {
struct FuseAdditiveAttentionPattern : OpRewritePattern<SoftmaxOp> {
  FuseAdditiveAttentionPattern(MLIRContext *context, FusionOptions options)
      : OpRewritePattern(context), options(options) {}

  LogicalResult matchAndRewrite(SoftmaxOp softmax, PatternRewriter &rewriter) const override {
    std::string reason;
    bool recognized;
    FailureOr<AdditiveMatch> m = matchAdditive(softmax, reason, recognized, options.maskedRows);
    if (failed(m))
      return rewriter.notifyMatchFailure(softmax, reason);
    if (options.report)
      softmax.emitRemark("softmax fused into heed.additive_attention");

    rewriter.setInsertionPoint(m->insertionPoint);
    AdditiveAttentionOp fused = buildAdditiveAttention(rewriter, *m, options.maskedRows);
    Location loc = softmax.getLoc();
    auto outType = cast<RankedTensorType>(m->replaced->getResult(0).getType());
    for (OpOperand *use : m->weightUses)
      rewriter.modifyOpInPlace(use->getOwner(), [&] { use->set(fused.getWeights()); });
    Value out = fused.getOutput();
    if (m->keepsStepDim)
      out = ReshapeOp::create(rewriter, loc, outType, out, ArrayRef<int64_t>{0, 1, -1});
    rewriter.replaceOp(m->replaced, out);
    return success();
  }

  FusionOptions options;
};

struct FuseAdditiveAttentionPass
    : heed::impl::HeedFuseAdditiveAttentionBase<FuseAdditiveAttentionPass> {
  using Base::Base;
  void runOnOperation() override {
    if (failed(applyFusionPatterns(getOperation(), report, maskedRows,
                                   populateFuseAdditiveAttentionPatterns)))
      signalPassFailure();
  }
};
} // namespace

void heed::populateFuseAdditiveAttentionPatterns(RewritePatternSet &patterns,
                                                 const FusionOptions &options) {
  patterns.add<FuseAdditiveAttentionPattern>(patterns.getContext(), options);
}
