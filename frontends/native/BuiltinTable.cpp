//===- BuiltinTable.cpp - The builtins' names and parameters ----------------===//
//
// One table maps each builtin to its member function and parameter names;
// bindArgs binds a call's positional and named arguments to them.
//
//===----------------------------------------------------------------------===//

#include "frontends/native/Importer.h"

#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace mlir::heed;
using namespace mlir::heed::native::detail;

const std::map<std::string, Importer::BuiltinInfo> &Importer::builtins() {
  static const std::map<std::string, BuiltinInfo> table = {
      // Op level.
      {"exp", {&Importer::unaryOp<ExpOp>, {"x"}}},
      {"floor", {&Importer::unaryOp<FloorOp>, {"x"}}},
      {"ceil", {&Importer::unaryOp<CeilOp>, {"x"}}},
      {"round", {&Importer::unaryOp<RoundOp>, {"x"}}},
      {"log", {&Importer::unaryOp<LogOp>, {"x"}}},
      {"tanh", {&Importer::unaryOp<TanhOp>, {"x"}}},
      {"sigmoid", {&Importer::unaryOp<SigmoidOp>, {"x"}}},
      {"relu", {&Importer::unaryOp<ReluOp>, {"x"}}},
      {"sqrt", {&Importer::unaryOp<SqrtOp>, {"x"}}},
      {"rsqrt", {&Importer::unaryOp<RsqrtOp>, {"x"}}},
      {"abs", {&Importer::unaryOp<AbsOp>, {"x"}}},
      {"neg", {&Importer::unaryOp<NegOp>, {"x"}}},
      {"erf", {&Importer::unaryOp<ErfOp>, {"x"}}},
      {"reciprocal", {&Importer::unaryOp<ReciprocalOp>, {"x"}}},
      {"logical_not", {&Importer::unaryOp<NotOp>, {"x"}}},
      {"gelu", {&Importer::bGelu, {"x", "approximate"}}},
      {"add", {&Importer::bAdd, {"a", "b"}}},
      {"sub", {&Importer::bSub, {"a", "b"}}},
      {"mul", {&Importer::bMul, {"a", "b"}}},
      {"div", {&Importer::bDiv, {"a", "b"}}},
      {"maximum", {&Importer::binaryOp<MaxOp>, {"a", "b"}}},
      {"minimum", {&Importer::binaryOp<MinOp>, {"a", "b"}}},
      {"pow", {&Importer::binaryOp<PowOp>, {"a", "b"}}},
      {"logical_and", {&Importer::binaryOp<AndOp>, {"a", "b"}}},
      {"logical_or", {&Importer::binaryOp<OrOp>, {"a", "b"}}},
      {"matmul", {&Importer::bMatmul, {"a", "b", "transpose_a", "transpose_b"}}},
      {"transpose", {&Importer::bTranspose, {"x", "perm"}}},
      {"reshape", {&Importer::bReshape, {"x", "shape"}}},
      {"softmax", {&Importer::softmaxLike<SoftmaxOp>, {"x", "axis"}}},
      {"log_softmax", {&Importer::softmaxLike<LogSoftmaxOp>, {"x", "axis"}}},
      {"where", {&Importer::bWhere, {"condition", "a", "b"}}},
      {"concat", {&Importer::bConcat, {"axis"}, /*variadic=*/true}},
      {"slice", {&Importer::bSlice, {"x", "axis", "start", "end", "step"}}},
      {"gather", {&Importer::bGather, {"x", "indices", "axis"}}},
      {"cast", {&Importer::bCast, {"x", "to"}}},
      {"sum", {&Importer::bSum, {"x", "axes", "keep_dims"}}},
      {"mean", {&Importer::bMean, {"x", "axes", "keep_dims"}}},
      {"reduce_max", {&Importer::bReduceMax, {"x", "axes", "keep_dims"}}},
      {"reduce_min", {&Importer::bReduceMin, {"x", "axes", "keep_dims"}}},
      {"argmax", {&Importer::bArgmax, {"x", "axis", "keep_dims"}}},
      {"dim", {&Importer::bDim, {"x", "axis"}}},
      {"zeros", {&Importer::bZeros, {"shape", "dtype"}}},
      {"full", {&Importer::bFullValue, {"shape", "value", "dtype"}}},
      {"sequence_mask", {&Importer::bSequenceMask, {"lengths", "max_length"}}},
      {"causal_mask", {&Importer::bCausalMask, {"query_length", "key_length", "align"}}},
      {"sinusoidal_positions",
       {&Importer::bSinusoidalPositions, {"length", "dim", "offset", "base", "interleaved"}}},
      {"rotary", {&Importer::bRotary, {"x", "cos", "sin", "interleaved"}}},
      {"weight", {&Importer::bWeight, {"name"}}},
      // Layer level.
      {"embedding", {&Importer::bEmbedding, {"ids", "weights"}}},
      {"linear", {&Importer::bLinear, {"x", "weights"}}},
      {"layer_norm", {&Importer::bLayerNorm, {"x", "weights", "eps"}}},
      {"feed_forward", {&Importer::bFeedForward, {"x", "weights", "activation"}}},
      {"residual", {&Importer::bResidual, {"x", "y"}}},
      {"positional_encoding", {&Importer::bPositionalEncoding, {"x", "offset"}}},
      {"lstm",
       {&Importer::bLstm,
        {"x", "weights", "layers", "bidirectional", "lengths", "h0", "c0", "batch_first"}}},
      {"gru",
       {&Importer::bGru,
        {"x", "weights", "layers", "bidirectional", "lengths", "h0", "batch_first"}}},
      {"rnn",
       {&Importer::bRnn,
        {"x", "weights", "layers", "bidirectional", "lengths", "h0", "batch_first", "activation"}}},
      {"lstm_cell", {&Importer::bLstmCell, {"x", "h", "c", "weights"}}},
      {"gru_cell", {&Importer::bGruCell, {"x", "h", "weights"}}},
      {"rnn_cell", {&Importer::bRnnCell, {"x", "h", "weights", "activation"}}},
      {"attention",
       {&Importer::bAttention,
        {"query", "keys", "values", "scale", "heads", "kv_heads", "lengths", "mask",
         "additive_mask", "causal", "align"}}},
      {"luong",
       {&Importer::bLuong,
        {"query", "keys", "values", "score", "weights", "lengths", "mask", "additive_mask"}}},
      {"bahdanau",
       {&Importer::bBahdanau,
        {"query", "keys", "values", "weights", "lengths", "mask", "additive_mask"}}},
      {"multihead_attention",
       {&Importer::bMultiheadAttention,
        {"query", "memory", "weights", "heads", "keys", "values", "scale", "lengths", "mask",
         "additive_mask", "causal", "align"}}},
      {"self_attention",
       {&Importer::bSelfAttention,
        {"x", "weights", "heads", "scale", "lengths", "mask", "additive_mask", "causal", "align"}}},
      {"cross_attention",
       {&Importer::bCrossAttention,
        {"query", "memory", "weights", "heads", "keys", "values", "scale", "lengths", "mask",
         "additive_mask"}}},
  };
  return table;
}

LogicalResult Importer::bindArgs(Call &call, const BuiltinInfo &info) {
  size_t nextPositional = 0;
  for (Arg &arg : call.args) {
    if (arg.name.empty()) {
      if (info.variadic && arg.val.kind != Val::list && arg.val.kind != Val::string &&
          arg.val.kind != Val::boolean) {
        call.rest.push_back(arg.val);
        continue;
      }
      if (nextPositional >= info.params.size())
        return fail(arg.val.loc, "'" + call.name + "' takes at most " +
                                     std::to_string(info.params.size()) + " positional arguments");
      call.bound[info.params[nextPositional++]] = arg.val;
      continue;
    }
    if (!llvm::is_contained(
            llvm::map_range(info.params, [](const char *p) { return StringRef(p); }),
            StringRef(arg.name))) {
      std::string known;
      for (const char *p : info.params)
        known += (known.empty() ? "" : ", ") + std::string(p);
      return fail(arg.nameLoc,
                  "'" + call.name + "' has no argument '" + arg.name + "'; it takes " + known);
    }
    if (call.bound.count(arg.name))
      return fail(arg.nameLoc, "argument '" + arg.name + "' of '" + call.name + "' is given twice");
    call.bound[arg.name] = arg.val;
  }
  return success();
}
