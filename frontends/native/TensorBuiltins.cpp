//===- TensorBuiltins.cpp - Op-level and layer-level tensor builtins --------===//
//
// Op-level spellings (matmul, softmax, ...) stay decomposed for the fusion
// passes to find; layer-level ones (linear, layer_norm, ...) build their ops.
//
//===----------------------------------------------------------------------===//

#include "frontends/native/Importer.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "llvm/ADT/STLExtras.h"

#include <cmath>

using namespace mlir;
using namespace mlir::heed;
using namespace mlir::heed::native::detail;

FailureOr<std::pair<Value, Value>> Importer::twoTensors(Call &c) {
  const Val *a = get(c, "a");
  const Val *b = get(c, "b");
  if (!a || !b)
    return fail(c.loc, "'" + c.name + "' needs two operands");
  auto lhs = asTensor(*a, "'" + c.name + "'");
  auto rhs = asTensor(*b, "'" + c.name + "'");
  if (failed(lhs) || failed(rhs))
    return failure();
  return std::make_pair(*lhs, *rhs);
}

FailureOr<Val> Importer::arithmeticCall(Call &c, Token::Kind kind) {
  const Val *a = get(c, "a");
  const Val *b = get(c, "b");
  if (!a || !b)
    return fail(c.loc, "'" + c.name + "' needs two operands");
  return binary(c.loc, kind, *a, *b);
}

FailureOr<Val> Importer::bGelu(Call &c) {
  auto x = tensorArg(c, "x");
  auto approx = stringArg(c, "approximate", std::string("none"));
  if (failed(x) || failed(approx))
    return failure();
  if (*approx != "none" && *approx != "tanh")
    return fail(argLoc(c, "approximate"), "expected \"none\" or \"tanh\"");
  return one(build1<GeluOp>(c.loc, *x, *approx == "tanh" ? GeluApprox::tanh : GeluApprox::none),
             c.loc);
}

FailureOr<Val> Importer::bMatmul(Call &c) {
  auto a = tensorArg(c, "a");
  auto b = tensorArg(c, "b");
  auto ta = boolArg(c, "transpose_a", false);
  auto tb = boolArg(c, "transpose_b", false);
  if (failed(a) || failed(b) || failed(ta) || failed(tb))
    return failure();
  return one(build1<MatmulOp>(c.loc, *a, *b, *ta, *tb), c.loc);
}

FailureOr<Val> Importer::bTranspose(Call &c) {
  auto x = tensorArg(c, "x");
  if (failed(x))
    return failure();
  SmallVector<int64_t> perm;
  if (get(c, "perm")) {
    auto p = intListArg(c, "perm", false);
    if (failed(p))
      return failure();
    perm = *p;
  } else {
    // Swap the last two dims.
    int64_t rank = tensorType(*x).getRank();
    if (rank < 2)
      return fail(c.loc, "'transpose' without a permutation swaps the last two dims and "
                         "needs rank >= 2");
    for (int64_t i = 0; i < rank; ++i)
      perm.push_back(i);
    std::swap(perm[rank - 1], perm[rank - 2]);
  }
  return one(build1<TransposeOp>(c.loc, *x, ArrayRef<int64_t>(perm)), c.loc);
}

FailureOr<Val> Importer::bReshape(Call &c) {
  auto x = tensorArg(c, "x");
  auto shape = intListArg(c, "shape", false);
  if (failed(x) || failed(shape))
    return failure();
  return one(reshape(c.loc, *x, *shape), c.loc);
}

FailureOr<Val> Importer::bWhere(Call &c) {
  const Val *cond = get(c, "condition");
  const Val *a = get(c, "a");
  const Val *b = get(c, "b");
  if (!cond || !a || !b)
    return fail(c.loc, "'where' needs a condition and two values");
  auto condition = asTensor(*cond, "the condition of 'where'");
  if (failed(condition))
    return failure();
  // A literal takes the element type of the other branch.
  Value values[2];
  const Val *branches[2] = {a, b};
  for (int i = 0; i < 2; ++i) {
    if (branches[i]->kind == Val::tensor) {
      values[i] = branches[i]->value;
      continue;
    }
    const Val *other = branches[1 - i];
    if (!branches[i]->isScalarLiteral() || other->kind != Val::tensor)
      return fail(branches[i]->loc, "expected a tensor (or a number beside a tensor) for 'where'");
    auto scalar = scalarTensor(*branches[i], tensorType(other->value).getElementType());
    if (failed(scalar))
      return failure();
    values[i] = *scalar;
  }
  return one(build1<WhereOp>(c.loc, *condition, values[0], values[1]), c.loc);
}

FailureOr<Val> Importer::bConcat(Call &c) {
  auto axis = intArg(c, "axis", -1);
  if (failed(axis))
    return failure();
  SmallVector<Value> inputs;
  for (const Val &v : c.rest) {
    auto t = asTensor(v, "'concat'");
    if (failed(t))
      return failure();
    inputs.push_back(*t);
  }
  if (inputs.empty())
    return fail(c.loc, "'concat' needs at least one tensor");
  return one(build1<ConcatOp>(c.loc, ValueRange(inputs), *axis), c.loc);
}

FailureOr<Val> Importer::bSlice(Call &c) {
  auto x = tensorArg(c, "x");
  auto axis = intArg(c, "axis", std::nullopt);
  auto start = intArg(c, "start", 0);
  auto end = intArg(c, "end", std::numeric_limits<int64_t>::max());
  auto step = intArg(c, "step", 1);
  if (failed(x) || failed(axis) || failed(start) || failed(end) || failed(step))
    return failure();
  if (*step <= 0)
    return fail(argLoc(c, "step"), "the step of 'slice' must be positive");
  return one(build1<SliceOp>(c.loc, *x, *axis, *start, *end, *step), c.loc);
}

FailureOr<Val> Importer::bGather(Call &c) {
  auto x = tensorArg(c, "x");
  auto indices = tensorArg(c, "indices");
  auto axis = intArg(c, "axis", 0);
  if (failed(x) || failed(indices) || failed(axis))
    return failure();
  return one(build1<GatherOp>(c.loc, *x, *indices, *axis), c.loc);
}

FailureOr<Val> Importer::bCast(Call &c) {
  auto x = tensorArg(c, "x");
  auto to = stringArg(c, "to", std::nullopt);
  if (failed(x) || failed(to))
    return failure();
  Type element = elementType(*to);
  if (!element)
    return fail(argLoc(c, "to"), "unknown element type \"" + *to + "\"");
  return one(build1<CastOp>(c.loc, *x, element), c.loc);
}

FailureOr<Val> Importer::reduce(Call &c, ReduceKind kind) {
  auto x = tensorArg(c, "x");
  auto keep = boolArg(c, "keep_dims", false);
  if (failed(x) || failed(keep))
    return failure();
  SmallVector<int64_t> axes{-1};
  if (get(c, "axes")) {
    auto list = intListArg(c, "axes", true);
    if (failed(list))
      return failure();
    axes = *list;
  }
  return one(build1<ReduceOp>(c.loc, kind, *x, ArrayRef<int64_t>(axes), ValueRange(), *keep),
             c.loc);
}

FailureOr<Val> Importer::bArgmax(Call &c) {
  auto x = tensorArg(c, "x");
  auto axis = intArg(c, "axis", -1);
  auto keep = boolArg(c, "keep_dims", false);
  if (failed(x) || failed(axis) || failed(keep))
    return failure();
  return one(build1<ArgmaxOp>(c.loc, *x, *axis, *keep), c.loc);
}

FailureOr<Val> Importer::bDim(Call &c) {
  auto x = tensorArg(c, "x");
  auto axis = intArg(c, "axis", std::nullopt);
  if (failed(x) || failed(axis))
    return failure();
  int64_t rank = tensorType(*x).getRank();
  if (*axis < -rank || *axis >= rank)
    return fail(argLoc(c, "axis"), "axis " + std::to_string(*axis) + " is out of range for " +
                                       typeString(x->getType()));
  Val out;
  out.kind = Val::index;
  out.loc = c.loc;
  out.value = mlir::heed::DimOp::create(builder, loc(c.loc), builder.getIndexType(), *x,
                                        builder.getI64IntegerAttr(*axis));
  return out;
}

FailureOr<Val> Importer::bFull(Call &c, double fallbackValue) {
  const Val *shape = get(c, "shape");
  if (!shape || shape->kind != Val::list)
    return fail(shape ? shape->loc : c.loc,
                "'" + c.name + "' needs a shape list such as [dim(x, 0), 0, 32]");
  auto value = numberArg(c, "value", fallbackValue);
  auto dtype = stringArg(c, "dtype", std::string("f32"));
  if (failed(value) || failed(dtype))
    return failure();
  Type element = elementType(*dtype);
  if (!element)
    return fail(argLoc(c, "dtype"), "unknown element type \"" + *dtype + "\"");
  SmallVector<int64_t> dims;
  SmallVector<Value> dynamic;
  for (const Val &item : shape->items) {
    if (item.kind == Val::integer && item.intValue >= 0) {
      dims.push_back(item.intValue);
    } else if (item.kind == Val::index) {
      dims.push_back(kDyn);
      dynamic.push_back(item.value);
    } else {
      return fail(item.loc, "expected a size (an integer or dim(x, axis)) in the shape");
    }
  }
  TypedAttr fill;
  if (isa<FloatType>(element))
    fill = FloatAttr::get(element, *value);
  else
    fill = IntegerAttr::get(element, static_cast<int64_t>(*value));
  auto type = RankedTensorType::get(dims, element);
  return tensorVal(mlir::heed::FullOp::create(builder, loc(c.loc), type, fill, dynamic), c.loc);
}

FailureOr<Val> Importer::bRotary(Call &c) {
  const char *names[] = {"x", "cos", "sin"};
  Value operands[3];
  for (size_t i = 0; i < 3; ++i) {
    auto v = tensorArg(c, names[i]);
    if (failed(v))
      return failure();
    operands[i] = *v;
  }
  auto interleaved = boolArg(c, "interleaved", false);
  if (failed(interleaved))
    return failure();
  return one(build1<RotaryOp>(c.loc, operands[0], operands[1], operands[2], *interleaved), c.loc);
}

FailureOr<Val> Importer::bSequenceMask(Call &c) {
  auto lengths = tensorArg(c, "lengths");
  if (failed(lengths))
    return failure();
  const Val *max = get(c, "max_length");
  if (!max)
    return fail(c.loc, "'sequence_mask' needs 'max_length'");
  auto n = asIndex(*max, "'max_length'");
  if (failed(n))
    return failure();
  return one(build1<SequenceMaskOp>(c.loc, *lengths, *n), c.loc);
}

FailureOr<Val> Importer::bCausalMask(Call &c) {
  const Val *q = get(c, "query_length");
  const Val *k = get(c, "key_length");
  if (!q)
    return fail(c.loc, "'causal_mask' needs 'query_length'");
  auto n = asIndex(*q, "'query_length'");
  if (failed(n))
    return failure();
  auto m = k ? asIndex(*k, "'key_length'") : FailureOr<Value>(*n);
  auto align = stringArg(c, "align", std::string("top_left"));
  if (failed(m) || failed(align))
    return failure();
  auto alignment = parseAlign(argLoc(c, "align"), *align);
  if (failed(alignment))
    return failure();
  return one(build1<CausalMaskOp>(c.loc, *n, *m, *alignment), c.loc);
}

FailureOr<CausalAlign> Importer::parseAlign(SMLoc at, StringRef align) {
  if (align == "top_left")
    return CausalAlign::top_left;
  if (align == "bottom_right")
    return CausalAlign::bottom_right;
  return fail(at, "expected \"top_left\" or \"bottom_right\"");
}

FailureOr<Value> Importer::positions(SMLoc at, Value offset, Value length, int64_t dim, double base,
                                     bool interleaved) {
  return build1<SinusoidalPositionsOp>(at, offset, length, dim, APFloat(base), interleaved);
}

FailureOr<Val> Importer::bSinusoidalPositions(Call &c) {
  const Val *length = get(c, "length");
  if (!length)
    return fail(c.loc, "'sinusoidal_positions' needs 'length'");
  auto n = asIndex(*length, "'length'");
  auto dim = intArg(c, "dim", std::nullopt);
  auto base = numberArg(c, "base", 10000.0);
  auto interleaved = boolArg(c, "interleaved", true);
  if (failed(n) || failed(dim) || failed(base) || failed(interleaved))
    return failure();
  FailureOr<Value> offset = indexConstant(c.loc, 0);
  if (const Val *o = get(c, "offset"))
    offset = asIndex(*o, "'offset'");
  if (failed(offset))
    return failure();
  return one(positions(c.loc, *offset, *n, *dim, *base, *interleaved), c.loc);
}

FailureOr<Val> Importer::bWeight(Call &c) {
  auto name = stringArg(c, "name", std::nullopt);
  if (failed(name))
    return failure();
  return one(weight(argLoc(c, "name"), *name, std::nullopt, "'weight'"), c.loc);
}

FailureOr<Val> Importer::bEmbedding(Call &c) {
  auto ids = tensorArg(c, "ids");
  auto prefix = prefixArg(c);
  if (failed(ids) || failed(prefix))
    return failure();
  if (!isa<IntegerType>(tensorType(*ids).getElementType()))
    return fail(argLoc(c, "ids"),
                "'embedding' needs integer token ids, found " + typeString(ids->getType()));
  SmallVector<int64_t> shape{kDyn, kDyn};
  auto table = weight(argLoc(c, "weights"), *prefix + ".weight", ArrayRef<int64_t>(shape),
                      "an embedding table [vocab, dim]");
  if (failed(table))
    return failure();
  return one(build1<EmbeddingOp>(c.loc, *table, *ids), c.loc);
}

FailureOr<Value> Importer::linear(SMLoc at, SMLoc weightsAt, Value x, StringRef prefix) {
  int64_t in = tensorType(x).getShape().empty() ? kDyn : tensorType(x).getShape().back();
  SmallVector<int64_t> shape{kDyn, in};
  auto w = weight(weightsAt, (prefix + ".weight").str(), ArrayRef<int64_t>(shape),
                  "a linear layer on " + typeString(x.getType()) + " (weight [out, in])");
  if (failed(w))
    return failure();
  Value bias;
  std::string biasName = (prefix + ".bias").str();
  if (hasWeight(biasName)) {
    SmallVector<int64_t> bshape{tensorType(*w).getDimSize(0)};
    auto b = weight(weightsAt, biasName, ArrayRef<int64_t>(bshape), "the linear layer's bias");
    if (failed(b))
      return failure();
    bias = *b;
  }
  return build1<LinearOp>(at, x, *w, bias);
}

FailureOr<Val> Importer::bLinear(Call &c) {
  auto x = tensorArg(c, "x");
  auto prefix = prefixArg(c);
  if (failed(x) || failed(prefix))
    return failure();
  return one(linear(c.loc, argLoc(c, "weights"), *x, *prefix), c.loc);
}

FailureOr<Val> Importer::bLayerNorm(Call &c) {
  auto x = tensorArg(c, "x");
  auto prefix = prefixArg(c);
  auto eps = numberArg(c, "eps", 1e-5);
  if (failed(x) || failed(prefix) || failed(eps))
    return failure();
  auto type = tensorType(*x);
  SmallVector<int64_t> shape{type.getRank() ? type.getShape().back() : kDyn};
  SMLoc wl = argLoc(c, "weights");
  auto g = weight(wl, *prefix + ".weight", ArrayRef<int64_t>(shape),
                  "layer_norm on " + typeString(type));
  auto b = succeeded(g) ? weight(wl, *prefix + ".bias", ArrayRef<int64_t>(shape),
                                 "layer_norm on " + typeString(type))
                        : FailureOr<Value>(failure());
  if (failed(g) || failed(b))
    return failure();
  return one(build1<LayerNormOp>(c.loc, *x, *g, *b, Value(), -1, APFloat(static_cast<float>(*eps))),
             c.loc);
}

FailureOr<Val> Importer::bFeedForward(Call &c) {
  auto x = tensorArg(c, "x");
  auto prefix = prefixArg(c);
  auto activation = stringArg(c, "activation", std::string("relu"));
  if (failed(x) || failed(prefix) || failed(activation))
    return failure();
  SMLoc wl = argLoc(c, "weights");
  auto hidden = linear(c.loc, wl, *x, *prefix + ".fc1");
  if (failed(hidden))
    return failure();
  FailureOr<Value> act;
  if (*activation == "relu")
    act = build1<ReluOp>(c.loc, *hidden);
  else if (*activation == "gelu")
    act = build1<GeluOp>(c.loc, *hidden);
  else if (*activation == "tanh")
    act = build1<TanhOp>(c.loc, *hidden);
  else
    return fail(argLoc(c, "activation"), "expected \"relu\", \"gelu\" or \"tanh\"");
  if (failed(act))
    return failure();
  return one(linear(c.loc, wl, *act, *prefix + ".fc2"), c.loc);
}

FailureOr<Val> Importer::bResidual(Call &c) {
  auto x = tensorArg(c, "x");
  auto y = tensorArg(c, "y");
  if (failed(x) || failed(y))
    return failure();
  return one(build1<AddOp>(c.loc, *x, *y), c.loc);
}

FailureOr<Val> Importer::bPositionalEncoding(Call &c) {
  auto x = tensorArg(c, "x");
  if (failed(x))
    return failure();
  auto type = tensorType(*x);
  if (type.getRank() != 3 || type.isDynamicDim(2))
    return fail(argLoc(c, "x"), "'positional_encoding' needs [B, S, D] with a static D, "
                                "found " +
                                    typeString(type));
  FailureOr<Value> offset = indexConstant(c.loc, 0);
  if (const Val *o = get(c, "offset"))
    offset = asIndex(*o, "'offset'");
  if (failed(offset))
    return failure();
  Value length = mlir::heed::DimOp::create(builder, loc(c.loc), builder.getIndexType(), *x,
                                           builder.getI64IntegerAttr(1));
  auto pos = positions(c.loc, *offset, length, type.getDimSize(2), 10000.0, true);
  if (failed(pos))
    return failure();
  return one(build1<AddOp>(c.loc, *x, *pos), c.loc);
}
