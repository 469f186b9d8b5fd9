//===- AttentionOps.cpp - Shape rules of the attention ops ----------------===//
//
// The inferReturnTypes of heed.attention and heed.additive_attention (masks,
// grouped heads, returned weights), apart from HeedOps.cpp by op family.
//
//===----------------------------------------------------------------------===//

#include "dialects/heed/IR/HeedOps.h"
#include "dialects/heed/IR/InferHelpers.h"

#include "llvm/ADT/bit.h"

#include <cmath>

using namespace mlir;
using namespace mlir::heed;
using namespace mlir::heed::infer;

//===----------------------------------------------------------------------===//
// Fused attention
//===----------------------------------------------------------------------===//

namespace {
/// Checks the mask operand against the mask kind and the scores shape S.
LogicalResult checkMask(const ShapeError &error, MaskKind kind, Value mask,
                        ArrayRef<int64_t> scores, Type element, bool causalAllowed,
                        bool hasBatchDim) {
  MaskKind operandKinds = kind & (MaskKind::additive | MaskKind::boolean | MaskKind::lengths);
  if (llvm::popcount(static_cast<uint32_t>(operandKinds)) > 1)
    return error("expects at most one of additive, boolean and lengths masks, got '",
                 stringifyMaskKind(kind), "'");
  if (!causalAllowed && bitEnumContainsAny(kind, MaskKind::causal))
    return error("does not support a causal mask");
  if (!mask) {
    if (operandKinds != MaskKind::none)
      return error("mask kind '", stringifyMaskKind(kind), "' needs a mask operand");
    return success();
  }
  if (operandKinds == MaskKind::none)
    return error("has a mask operand but mask kind '", stringifyMaskKind(kind), "' takes none");
  auto maskType = tensorOf(mask);
  if (!maskType)
    return failure();
  if (operandKinds == MaskKind::lengths) {
    if (!maskType.getElementType().isInteger(32) && !maskType.getElementType().isInteger(64))
      return error("expects i32 or i64 key lengths, got ", maskType.getElementType());
    if (!hasBatchDim)
      return error("a lengths mask needs a batch dim; the scores are ", shapeString(scores));
    if (maskType.getRank() != 1 || !shape::compatible(maskType.getDimSize(0), scores.front()))
      return error("expects key lengths of shape [", dimString(scores.front()), "], got ",
                   shapeString(maskType.getShape()));
    return success();
  }
  if (operandKinds == MaskKind::boolean && !maskType.getElementType().isInteger(1))
    return error("expects an i1 boolean mask, got ", maskType.getElementType());
  if (operandKinds == MaskKind::additive && maskType.getElementType() != element)
    return error("expects an additive mask of element type ", element, ", got ",
                 maskType.getElementType());
  if (!shape::broadcastsTo(maskType.getShape(), scores))
    return error("mask of shape ", shapeString(maskType.getShape()),
                 " does not broadcast to the scores ", shapeString(scores));
  return success();
}

/// The output, then the attention weights (the scores' shape) when asked for.
/// mask_fill: a finite score for the keys a boolean mask hides.
LogicalResult checkMaskFill(const ShapeError &error, MaskKind kind, std::optional<APFloat> fill) {
  if (!fill)
    return success();
  if (!bitEnumContainsAny(kind, MaskKind::boolean))
    return error("has mask_fill but no boolean mask");
  if (!std::isfinite(fill->convertToDouble()))
    return error("expects a finite mask_fill");
  return success();
}

void pushAttentionResults(ArrayRef<int64_t> out, ArrayRef<int64_t> scores, Type element,
                          bool returnWeights, Types &inferred) {
  inferred.push_back(tensorLike(out, element));
  if (returnWeights)
    inferred.push_back(tensorLike(scores, element));
}
} // namespace

LogicalResult AttentionOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                            Adaptor adaptor, Types &inferred) {
  auto q = tensorOf(adaptor.getQuery()), k = tensorOf(adaptor.getKey()),
       v = tensorOf(adaptor.getValue());
  if (!q || !k || !v)
    return failure();
  ShapeError error(loc, getOperationName());
  Type element = q.getElementType();
  if (k.getElementType() != element || v.getElementType() != element)
    return error("expects query, key and value of one element type");
  if (!std::isfinite(adaptor.getScale().convertToDouble()) ||
      adaptor.getScale().convertToDouble() <= 0)
    return error("expects a finite positive scale");
  int64_t heads = adaptor.getNumHeads();
  int64_t kvHeads = adaptor.getNumKvHeads() ? adaptor.getNumKvHeads() : heads;
  if (heads < 0 || kvHeads < 0)
    return error("expects non-negative head counts");

  SmallVector<int64_t> out, scores;
  if (heads == 0) {
    if (adaptor.getNumKvHeads() != 0)
      return error("num_kv_heads needs num_heads");
    if (q.getRank() < 2 || k.getRank() != q.getRank() || v.getRank() != q.getRank())
      return error("expects query, key and value of one rank >= 2, got ", q.getRank(), ", ",
                   k.getRank(), " and ", v.getRank());
    int64_t rank = q.getRank();
    int64_t lq = q.getDimSize(rank - 2), d = q.getDimSize(rank - 1);
    int64_t lk = k.getDimSize(rank - 2), dv = v.getDimSize(rank - 1);
    if (!shape::compatible(k.getDimSize(rank - 1), d))
      return error("query and key head sizes differ: ", d, " vs ", k.getDimSize(rank - 1));
    if (!shape::compatible(v.getDimSize(rank - 2), lk))
      return error("key and value lengths differ: ", lk, " vs ", v.getDimSize(rank - 2));
    lk = shape::meet(lk, v.getDimSize(rank - 2));
    // Leading dims broadcast; the heads dim of key/value may instead divide the
    // query's (grouped-query attention).
    SmallVector<int64_t> batch(q.getShape().drop_back(2));
    for (int64_t i = 0; i + 2 < rank; ++i) {
      int64_t kd = k.getDimSize(i), vd = v.getDimSize(i);
      if (kd != 1 && vd != 1 && !shape::compatible(kd, vd))
        return error("key and value dim ", i, " differ: ", kd, " vs ", vd);
    }
    for (RankedTensorType kv : {k, v}) {
      for (int64_t i = 0; i + 2 < rank; ++i) {
        int64_t qd = batch[i], kd = kv.getDimSize(i);
        bool headsDim = rank >= 4 && i == rank - 3;
        bool grouped = headsDim && qd != kDyn && kd != kDyn && kd > 0 && qd % kd == 0;
        if (qd == 1 || kd == 1 || shape::compatible(qd, kd) || grouped) {
          // The query's dim broadcasts to a key/value dim other than 1; a
          // dynamic one must be 1 or that dim, except for the heads dim,
          // where it may also be a multiple of it.
          if (kd != 1 && (qd == 1 || (qd == kDyn && !headsDim)))
            batch[i] = kd;
          continue;
        }
        return error("key/value dim ", i, " (", kd,
                     ") neither broadcasts to nor divides the "
                     "query's (",
                     qd, ")");
      }
    }
    out = batch;
    out.append({lq, dv});
    scores = batch;
    scores.append({lq, lk});
  } else {
    // kvHeads > 0 here: it is num_kv_heads, or num_heads when that is 0.
    if (heads % kvHeads != 0)
      return error("num_kv_heads (", kvHeads, ") must divide num_heads (", heads, ")");
    if (q.getRank() != 3 || k.getRank() != 3 || v.getRank() != 3)
      return error("with num_heads, expects query, key and value of rank 3 [B, L, heads*D]");
    int64_t b = q.getDimSize(0), lq = q.getDimSize(1), dq = q.getDimSize(2);
    int64_t lk = k.getDimSize(1), dk = k.getDimSize(2), dvAll = v.getDimSize(2);
    // A key or value batch of 1 broadcasts against the queries' (the drivers give it stride 0).
    int64_t kb = k.getDimSize(0), vb = v.getDimSize(0), batch = b;
    for (int64_t d : {kb, vb}) {
      if (d == 1)
        continue;
      if (!shape::compatible(d, batch))
        return error("query, key and value batch sizes differ");
      batch = shape::meet(batch, d);
    }
    if (!shape::compatible(v.getDimSize(1), lk))
      return error("key and value lengths differ: ", lk, " vs ", v.getDimSize(1));
    auto divides = [](int64_t total, int64_t n) { return total == kDyn || total % n == 0; };
    if (!divides(dq, heads))
      return error("query width ", dq, " is not divisible by num_heads ", heads);
    if (!divides(dk, kvHeads) || !divides(dvAll, kvHeads))
      return error("key/value widths ", dimString(dk), " and ", dimString(dvAll),
                   " are not divisible by num_kv_heads ", kvHeads);
    if (dq != kDyn && dk != kDyn && dq / heads != dk / kvHeads)
      return error("query and key head sizes differ: ", dq / heads, " vs ", dk / kvHeads);
    int64_t dv = dvAll == kDyn ? kDyn : dvAll / kvHeads;
    lk = shape::meet(lk, v.getDimSize(1));
    out = {batch, lq, shape::mul(heads, dv)};
    scores = {batch, heads, lq, lk};
  }
  if (failed(checkMask(error, adaptor.getMaskKind(), adaptor.getMask(), scores, element,
                       /*causalAllowed=*/true, /*hasBatchDim=*/scores.size() >= 3)) ||
      failed(checkMaskFill(error, adaptor.getMaskKind(), adaptor.getMaskFill())))
    return failure();
  pushAttentionResults(out, scores, element, adaptor.getReturnWeights(), inferred);
  return success();
}

LogicalResult AdditiveAttentionOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                                    Adaptor adaptor, Types &inferred) {
  auto q = tensorOf(adaptor.getQuery()), keys = tensorOf(adaptor.getKeysProj()),
       values = tensorOf(adaptor.getValues()), wq = tensorOf(adaptor.getWQuery()),
       v = tensorOf(adaptor.getV());
  if (!q || !keys || !values || !wq || !v)
    return failure();
  ShapeError error(loc, getOperationName());
  Type element = q.getElementType();
  for (RankedTensorType t : {keys, values, wq, v})
    if (t.getElementType() != element)
      return error("expects every operand of element type ", element);
  if (q.getRank() != 2 && q.getRank() != 3)
    return error("expects a query [B, Dq] or [B, Lq, Dq], got rank ", q.getRank());
  if (keys.getRank() != 3 || values.getRank() != 3)
    return error("expects keys_proj [B, Lk, A] and values [B, Lk, Dv]");
  if (wq.getRank() != 2 || v.getRank() != 1)
    return error("expects w_query [A, Dq] and v [A]");
  int64_t dq = q.getShape().back();
  int64_t lk = keys.getDimSize(1), a = keys.getDimSize(2);
  auto b = shape::meetAll({q.getDimSize(0), keys.getDimSize(0), values.getDimSize(0)});
  if (!b)
    return error("query, keys_proj and values batch sizes differ");
  if (!shape::compatible(values.getDimSize(1), lk))
    return error("keys_proj and values lengths differ: ", lk, " vs ", values.getDimSize(1));
  if (!shape::meetAll({a, wq.getDimSize(0), v.getDimSize(0)}))
    return error("attention width differs: keys_proj ", dimString(a), ", w_query ",
                 dimString(wq.getDimSize(0)), ", v ", dimString(v.getDimSize(0)));
  if (!shape::compatible(wq.getDimSize(1), dq))
    return error("w_query takes ", wq.getDimSize(1), " features but the query has ", dq);
  lk = shape::meet(lk, values.getDimSize(1));
  SmallVector<int64_t> out{*b}, scores{*b};
  if (q.getRank() == 3) {
    out.push_back(q.getDimSize(1));
    scores.push_back(q.getDimSize(1));
  }
  out.push_back(values.getDimSize(2));
  scores.push_back(lk);
  if (failed(checkMask(error, adaptor.getMaskKind(), adaptor.getMask(), scores, element,
                       /*causalAllowed=*/false, /*hasBatchDim=*/true)) ||
      failed(checkMaskFill(error, adaptor.getMaskKind(), adaptor.getMaskFill())))
    return failure();
  pushAttentionResults(out, scores, element, adaptor.getReturnWeights(), inferred);
  return success();
}
