//===- AttentionOps.cpp - Attention (opsets 23 and 24) --------------------===//
//
// 4-D inputs use num_heads = 0, 3-D inputs num_heads/num_kv_heads; bool masks
// are `boolean`, float masks `additive`, nonpad_kv_seqlen is `lengths`,
// is_causal adds `causal`; an attn_mask with fewer keys than K is padded with
// -inf (false), as the spec says. past_key/past_value (4-D only) are
// concatenated before K and V, and is_causal is then bottom-right. Fully
// masked rows are nan at opset 23 (the spec's decomposition) and zero at 24.
// The op itself is built by the shared HeedBuilder.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/Importer.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::heed;
using namespace mlir::heed::onnx::detail;
using frontend::AttentionSpec;

/// What this importer does not support of the cache and the outputs.
LogicalResult Importer::attentionChecks(const NodeProto &node, RankedTensorType qt, bool past) {
  if (past) {
    if (!has(node, 4) || !has(node, 5))
      return error() << "expects both past_key and past_value, or neither";
    if (qt.getRank() != 4)
      return error() << "unsupported past_key/past_value with 3-D inputs";
    if (has(node, 6))
      return error() << "unsupported: both past_key/past_value and nonpad_kv_seqlen";
  }
  for (int i = 1; i < node.output_size(); ++i)
    if (!node.output(i).empty() && (i == 3 || qt.getRank() != 4))
      return error() << "unsupported output " << i
                     << (i == 3 ? " (qk_matmul_output is not produced)"
                                : " (present_key and present_value need 4-D inputs)");
  return success();
}

/// The heads of 3-D inputs, and the scale (default 1/sqrt(head size)).
LogicalResult Importer::attentionHeads(const NodeProto &node, RankedTensorType qt,
                                       AttentionSpec &spec) {
  int64_t qHeads = intAttr(node, "q_num_heads", 0), kvHeads = intAttr(node, "kv_num_heads", 0);
  int64_t headSize;
  if (qt.getRank() == 4) {
    headSize = qt.getDimSize(3);
  } else if (qt.getRank() == 3) {
    if (qHeads <= 0 || kvHeads <= 0)
      return error() << "3-D inputs need q_num_heads and kv_num_heads";
    headSize = qt.isDynamicDim(2) ? kDyn : qt.getDimSize(2) / qHeads;
    spec.numHeads = qHeads;
    spec.numKvHeads = kvHeads;
  } else {
    return error() << "expects 3-D or 4-D query, got " << qt;
  }
  float scale = floatAttr(node, "scale", 0.0f);
  if (!attribute(node, "scale")) {
    if (headSize == kDyn || headSize <= 0)
      return error() << "unsupported dynamic head size without an explicit scale";
    scale = 1.0f / std::sqrt(static_cast<float>(headSize));
  }
  spec.scale = scale;
  return success();
}

Value Importer::padMaskToKeys(Value mask, Value keys, int64_t seqAxis) {
  // The spec pads an attn_mask shorter than the keys with -inf (false) up to the key length;
  // it does not broadcast it.
  if (!mask)
    return {};
  auto mt = cast<RankedTensorType>(mask.getType());
  auto kt = cast<RankedTensorType>(keys.getType());
  int64_t last = mt.getRank() - 1;
  if (last < 0)
    return mask; // a scalar mask broadcasts (the heed op checks it)
  int64_t m = mt.getDimSize(last), n = kt.getDimSize(seqAxis);
  if (m != kDyn && m == n)
    return mask;
  SmallVector<int64_t> padShape(mt.getShape());
  SmallVector<Value> dynamic;
  for (int64_t i = 0; i < last; ++i)
    if (mt.isDynamicDim(i))
      dynamic.push_back(dimOf(mask, i));
  if (m != kDyn && n != kDyn) {
    if (n < m) {
      error() << "has an attn_mask over " << m << " keys, more than the " << n << " keys";
      return {};
    }
    padShape[last] = n - m;
  } else {
    padShape[last] = kDyn; // a mask longer than the keys gives a negative size: a run error
    dynamic.push_back(arith::SubIOp::create(builder, loc, dimOf(keys, seqAxis), dimOf(mask, last)));
  }
  Type et = mt.getElementType();
  TypedAttr fill =
      et.isInteger(1)
          ? TypedAttr(builder.getBoolAttr(false))
          : TypedAttr(builder.getFloatAttr(et, -std::numeric_limits<double>::infinity()));
  Value pad =
      FullOp::create(builder, loc, RankedTensorType::get(padShape, et), fill, dynamic).getResult();
  return concat({mask, pad}, last);
}

/// The causal diagonal sits at each row's own end: query i of batch b sees key j iff
/// j <= i + nonpad_kv_seqlen[b] - Lq (which also keeps j < nonpad_kv_seqlen[b]), i.e.
/// (j - (i - Lq)) <= nonpad_kv_seqlen[b]. heed.attention's causal_align cannot say
/// "per row", so the frontend builds that [B, 1, Lq, Lk] boolean mask.
Value Importer::causalLengthsMask(Value q, Value k, Value lengths, int64_t seqAxis) {
  Value zero = arith::ConstantIndexOp::create(builder, loc, 0);
  Value one = arith::ConstantIndexOp::create(builder, loc, 1);
  Value lq = dimOf(q, seqAxis);
  Value rows = op<RangeOp>(arith::SubIOp::create(builder, loc, zero, lq), zero, one); // i - Lq
  Value cols = op<RangeOp>(zero, dimOf(k, seqAxis), one);
  Value colsRow = reshape(cols, {1, -1}), rowsColumn = reshape(rows, {-1, 1});
  Value diff = op<SubOp>(colsRow, rowsColumn);
  Value len = reshape(castTo(lengths, builder.getI64Type()), {-1, 1, 1, 1});
  return compare(CompareKind::le, diff, len);
}

/// attn_mask (input 3) or nonpad_kv_seqlen (input 6), and is_causal.
LogicalResult Importer::attentionMask(const NodeProto &node, AttentionSpec &spec, int64_t seqAxis,
                                      bool &causal) {
  MaskKind kind = MaskKind::none;
  if (has(node, 3)) {
    spec.mask = padMaskToKeys(input(node, 3), spec.key, seqAxis);
    if (!spec.mask)
      return failure();
    kind = cast<RankedTensorType>(spec.mask.getType()).getElementType().isInteger(1)
               ? MaskKind::boolean
               : MaskKind::additive;
  }
  if (has(node, 6)) {
    if (has(node, 3))
      return error() << "unsupported: both attn_mask and nonpad_kv_seqlen";
    Value lengths = input(node, 6);
    if (!causal) {
      kind = MaskKind::lengths;
      spec.mask = lengths;
    } else {
      spec.mask = causalLengthsMask(spec.query, spec.key, lengths, seqAxis);
      if (!spec.mask)
        return failure();
      kind = MaskKind::boolean;
      causal = false;
    }
  }
  spec.maskKind = causal ? kind | MaskKind::causal : kind;
  return success();
}

LogicalResult Importer::importAttention(const NodeProto &node) {
  if (opset < 23)
    return error() << "the Attention op needs opset 23 or newer; the model imports opset " << opset;
  Value q = input(node, 0), k = input(node, 1), v = input(node, 2);
  if (!q || !k || !v)
    return failure();
  if (floatAttr(node, "softcap", 0.0f) != 0.0f)
    return error() << "unsupported softcap";
  auto qt = cast<RankedTensorType>(q.getType());
  bool past = has(node, 4) || has(node, 5);
  AttentionSpec spec;
  if (failed(attentionChecks(node, qt, past)) || failed(attentionHeads(node, qt, spec)))
    return failure();
  // The sequence axis of q, k and v: [B, H, L, D] or [B, L, H*D].
  const int64_t seqAxis = qt.getRank() == 4 ? 2 : 1;
  if (past) {
    // The cache grows by the new keys and values: present = concat(past, new) on the
    // sequence axis, which is also what the queries attend to.
    k = concat({input(node, 4), k}, seqAxis);
    v = concat({input(node, 5), v}, seqAxis);
    if (failed(define(node, 1, k)) || failed(define(node, 2, v)))
      return failure();
  } else if ((wants(node, 1) && failed(define(node, 1, k))) ||
             (wants(node, 2) && failed(define(node, 2, v)))) {
    return failure();
  }
  spec.query = q;
  spec.key = k;
  spec.value = v;
  bool causal = intAttr(node, "is_causal", 0) != 0;
  if (failed(attentionMask(node, spec, seqAxis, causal)))
    return failure();
  spec.maskedRows = opset >= 24 ? MaskedRows::zero : MaskedRows::nan;
  // With a cache the new queries are the last Lq positions: query i sees the past and the new
  // keys up to itself (bottom-right); without one the spec's cut is upper-left (the default).
  if (past && causal)
    spec.causalAlign = CausalAlign::bottom_right;
  AttentionOp attention = heed.attention(loc, spec);
  return define(node, 0, attention ? attention.getOutput() : Value());
}

void mlir::heed::onnx::detail::registerAttentionOps(OpTable &t) {
  t.add("Attention", &Importer::importAttention, 3);
}
