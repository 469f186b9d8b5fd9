//===- AttentionBuiltins.cpp - attention, luong, bahdanau, multi-head -------===//
//
// Layer-level attention constructs emit heed.attention and
// heed.additive_attention directly, with their masks (built by the shared
// HeedBuilder).
//
//===----------------------------------------------------------------------===//

#include "frontends/native/Importer.h"

#include "llvm/ADT/STLExtras.h"

#include <cmath>

using namespace mlir;
using namespace mlir::heed;
using namespace mlir::heed::native::detail;
using frontend::AdditiveAttentionSpec;
using frontend::AttentionSpec;

LogicalResult Importer::maskArgs(Call &c, uint32_t &kind, Value &mask, bool allowCausal) {
  kind = 0;
  const char *names[] = {"lengths", "mask", "additive_mask"};
  MaskKind kinds[] = {MaskKind::lengths, MaskKind::boolean, MaskKind::additive};
  const Val *seen = nullptr;
  for (int i = 0; i < 3; ++i) {
    const Val *v = get(c, names[i]);
    if (!v)
      continue;
    if (seen)
      return fail(v->loc, "'" + c.name +
                              "' takes at most one of lengths, mask and "
                              "additive_mask");
    seen = v;
    auto t = asTensor(*v, "'" + Twine(names[i]) + "'");
    if (failed(t))
      return failure();
    mask = *t;
    kind |= static_cast<uint32_t>(kinds[i]);
  }
  auto causal = boolArg(c, "causal", false);
  if (failed(causal))
    return failure();
  if (*causal) {
    if (!allowCausal)
      return fail(argLoc(c, "causal"), "'" + c.name + "' has no causal mask");
    kind |= static_cast<uint32_t>(MaskKind::causal);
  }
  return success();
}

FailureOr<Val> Importer::attention(Call &c, Value q, Value k, Value v, double scale, int64_t heads,
                                   int64_t kvHeads, uint32_t maskKind, Value mask,
                                   CausalAlign align) {
  if (failed(requireQuery(c, q)) || failed(requireRank2(c, {k, v})))
    return failure();
  bool step = tensorType(q).getRank() == 2 && tensorType(k).getRank() == 3;
  if (step) {
    auto q3 = reshape(
        c.loc, q,
        {0, 1, tensorType(q).getShape().back() == kDyn ? -1 : tensorType(q).getShape().back()});
    if (failed(q3))
      return failure();
    q = *q3;
  }
  bool withWeights = c.targets >= 2;
  AttentionSpec spec;
  spec.query = q;
  spec.key = k;
  spec.value = v;
  spec.mask = mask;
  spec.scale = scale;
  spec.numHeads = heads;
  spec.numKvHeads = kvHeads;
  spec.maskKind = static_cast<MaskKind>(maskKind);
  spec.causalAlign = align;
  spec.returnWeights = withWeights;
  auto op = orShapeError(c.loc, heed.attention(loc(c.loc), spec));
  if (failed(op))
    return failure();
  SmallVector<Value> results((*op)->getResults());
  if (step) {
    int64_t dv = lastDim(results[0]);
    auto out = reshape(c.loc, results[0], {0, dv == kDyn ? -1 : dv});
    if (failed(out))
      return failure();
    results[0] = *out;
    if (withWeights) {
      auto w = reshape(c.loc, results[1], {0, -1});
      if (failed(w))
        return failure();
      results[1] = *w;
    }
  }
  if (withWeights)
    return tupleVal(results, c.loc);
  return tensorVal(results[0], c.loc);
}

FailureOr<double> Importer::defaultScale(Call &c, Value q, int64_t heads) {
  if (get(c, "scale"))
    return numberArg(c, "scale", std::nullopt);
  int64_t d = lastDim(q);
  if (d == kDyn || (heads && d % heads))
    return fail(c.loc, "'" + c.name + "' cannot derive 1/sqrt(d) from the query " +
                           typeString(q.getType()) + "; give 'scale'");
  return 1.0 / std::sqrt(double(heads ? d / heads : d));
}

FailureOr<Val> Importer::bAttention(Call &c) {
  auto q = tensorArg(c, "query");
  auto k = tensorArg(c, "keys");
  auto v = tensorArg(c, "values");
  auto heads = intArg(c, "heads", 0);
  auto kvHeads = intArg(c, "kv_heads", 0);
  auto align = stringArg(c, "align", std::string("top_left"));
  if (failed(q) || failed(k) || failed(v) || failed(heads) || failed(kvHeads) || failed(align))
    return failure();
  auto alignment = parseAlign(argLoc(c, "align"), *align);
  auto scale = defaultScale(c, *q, *heads);
  uint32_t kind;
  Value mask;
  if (failed(alignment) || failed(scale) || failed(maskArgs(c, kind, mask, true)))
    return failure();
  return attention(c, *q, *k, *v, *scale, *heads, *kvHeads, kind, mask, *alignment);
}

FailureOr<Val> Importer::additive(Call &c, Value q, Value keys, Value values, StringRef prefix,
                                  SMLoc wl) {
  uint32_t kind;
  Value mask;
  if (failed(maskArgs(c, kind, mask, false)))
    return failure();
  if (failed(requireQuery(c, q)) || failed(requireRank2(c, {keys, values})))
    return failure();
  int64_t a = lastDim(keys);
  int64_t dq = lastDim(q);
  SmallVector<int64_t> wq{a, dq}, vs{a};
  std::string what =
      c.name + " with query " + typeString(q.getType()) + " and keys " + typeString(keys.getType());
  auto w = weight(wl, (prefix + ".query.weight").str(), ArrayRef<int64_t>(wq), what);
  if (failed(w))
    return failure();
  auto vv = weight(wl, (prefix + ".v").str(), ArrayRef<int64_t>(vs), what);
  if (failed(vv))
    return failure();
  bool withWeights = c.targets >= 2;
  AdditiveAttentionSpec spec{q,          keys, values, *w, *vv, mask, static_cast<MaskKind>(kind),
                             withWeights};
  auto op = orShapeError(c.loc, heed.additiveAttention(loc(c.loc), spec));
  if (failed(op))
    return failure();
  if (withWeights)
    return tupleVal(SmallVector<Value>((*op)->getResults()), c.loc);
  return tensorVal((*op)->getResult(0), c.loc);
}

FailureOr<Val> Importer::bBahdanau(Call &c) {
  auto q = tensorArg(c, "query");
  auto k = tensorArg(c, "keys");
  auto v = tensorArg(c, "values");
  auto prefix = prefixArg(c);
  if (failed(q) || failed(k) || failed(v) || failed(prefix))
    return failure();
  return additive(c, *q, *k, *v, *prefix, argLoc(c, "weights"));
}

FailureOr<Val> Importer::bLuong(Call &c) {
  auto q = tensorArg(c, "query");
  auto k = tensorArg(c, "keys");
  auto v = tensorArg(c, "values");
  auto score = stringArg(c, "score", std::string("dot"));
  if (failed(q) || failed(k) || failed(v) || failed(score))
    return failure();
  if (*score == "concat") {
    auto prefix = prefixArg(c);
    if (failed(prefix))
      return failure();
    return additive(c, *q, *k, *v, *prefix, argLoc(c, "weights"));
  }
  if (*score != "dot" && *score != "general")
    return fail(argLoc(c, "score"), "expected \"dot\", \"general\" or \"concat\"");
  if (get(c, "weights"))
    return fail(argLoc(c, "weights"),
                "luong " + *score +
                    " takes no weights here: for \"general\", compute the keys once per "
                    "source in encode with linear(memory, \"W_a\")");
  uint32_t kind;
  Value mask;
  if (failed(maskArgs(c, kind, mask, false)))
    return failure();
  return attention(c, *q, *k, *v, 1.0, 0, 0, kind, mask, CausalAlign::top_left);
}

FailureOr<Val> Importer::multihead(Call &c, Value x, Value memory) {
  auto prefix = prefixArg(c);
  auto heads = intArg(c, "heads", std::nullopt);
  auto kIn = optTensorArg(c, "keys");
  auto vIn = optTensorArg(c, "values");
  if (failed(prefix) || failed(heads) || failed(kIn) || failed(vIn))
    return failure();
  if (*heads <= 0)
    return fail(argLoc(c, "heads"), "'heads' must be positive");
  if (bool(*kIn) != bool(*vIn))
    return fail(c.loc, "give both 'keys' and 'values' (already projected), or neither");
  if (*kIn && memory)
    return fail(argLoc(c, "keys"), "give either a memory to project or projected 'keys' and "
                                   "'values', not both");
  SMLoc wl = argLoc(c, "weights");
  auto q = linear(c.loc, wl, x, *prefix + ".q_proj");
  if (failed(q))
    return failure();
  Value k = *kIn, v = *vIn;
  if (!k) {
    Value source = memory ? memory : x;
    auto kp = linear(c.loc, wl, source, *prefix + ".k_proj");
    if (failed(kp))
      return failure();
    auto vp = linear(c.loc, wl, source, *prefix + ".v_proj");
    if (failed(vp))
      return failure();
    k = *kp;
    v = *vp;
  }
  auto scale = defaultScale(c, *q, *heads);
  uint32_t kind;
  Value mask;
  if (failed(scale) || failed(maskArgs(c, kind, mask, true)))
    return failure();
  auto align = stringArg(c, "align", std::string("top_left"));
  if (failed(align))
    return failure();
  auto alignment = parseAlign(argLoc(c, "align"), *align);
  if (failed(alignment))
    return failure();
  unsigned targets = c.targets;
  c.targets = std::min(targets, 2u);
  auto att = attention(c, *q, k, v, *scale, *heads, 0, kind, mask, *alignment);
  c.targets = targets;
  if (failed(att))
    return failure();
  Value out = att->kind == Val::tuple ? att->items[0].value : att->value;
  auto projected = linear(c.loc, wl, out, *prefix + ".out_proj");
  if (failed(projected))
    return failure();
  if (att->kind == Val::tuple) {
    att->items[0] = tensorVal(*projected, c.loc);
    return *att;
  }
  return tensorVal(*projected, c.loc);
}

FailureOr<Val> Importer::bMultiheadAttention(Call &c) {
  auto x = tensorArg(c, "query");
  auto memory = optTensorArg(c, "memory");
  if (failed(x) || failed(memory))
    return failure();
  return multihead(c, *x, *memory);
}

FailureOr<Val> Importer::bSelfAttention(Call &c) {
  auto x = tensorArg(c, "x");
  if (failed(x))
    return failure();
  return multihead(c, *x, Value());
}

FailureOr<Val> Importer::bCrossAttention(Call &c) {
  auto x = tensorArg(c, "query");
  auto memory = optTensorArg(c, "memory");
  if (failed(x) || failed(memory))
    return failure();
  return multihead(c, *x, *memory);
}
