//===- HeedOps.td - Operations of the heed dialect ------------------------===//
//
// Conventions shared by every op:
//  - tensors are ranked; any dim may be dynamic;
//  - negative axes count from the end, as in PyTorch and ONNX;
//  - elementwise binary ops broadcast with NumPy rules;
//  - result shapes come from ShapeInference.cpp, and the verifier is that
//    same inference: an op verifies iff its shapes can be inferred and its
//    declared result types refine the inferred ones.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_OPS_TD
#define HEED_OPS_TD

include "dialects/heed/IR/HeedBase.td"
include "dialects/heed/IR/HeedAttrs.td"
include "mlir/IR/OpBase.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"

// Result types are inferred by ShapeInference.cpp; a declared type may be
// more static than the inferred one.
def Heed_InferShapes : InferTypeOpAdaptorBase<[{
  static bool isCompatibleReturnTypes(::mlir::TypeRange inferred,
                                      ::mlir::TypeRange declared) {
    return ::mlir::heed::isRefinementOf(inferred, declared);
  }
}]>;

// The verifier runs the shape inference with the op's location, so a shape
// error is reported once, in its own words, before InferTypeOpInterface's
// generic "failed to infer returned types" could add a second diagnostic.
class Heed_PureOp<string mnemonic, list<Trait> traits = []>
    : Heed_Op<mnemonic, !listconcat([Pure, Heed_InferShapes], traits)> {
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
  let extraClassDefinition = [{
    ::llvm::LogicalResult $cppClass::verify() {
      return ::mlir::heed::verifyInferredTypes(getOperation());
    }
  }];
}

//===----------------------------------------------------------------------===//
// Values: constants, weights, dims, fills, ranges
//===----------------------------------------------------------------------===//

def Heed_ConstantOp : Heed_PureOp<"constant", [ConstantLike]> {
  let heedFamily = "constant";
  let summary = "A constant tensor";
  let description = [{
    Example: `%c = heed.constant dense<1.0> : tensor<4xf32>`
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs Heed_Tensor:$result);
  let assemblyFormat = "attr-dict $value";
  let hasFolder = 1;
  // Also checks that the result type is exactly the value's type.
  let extraClassDefinition = "";
}

def Heed_WeightOp : Heed_Op<"weight", [Pure]> {
  let heedFamily = "constant";
  let summary = "A named model parameter, bound from the weights file at load time";
  let description = [{
    The name is the key in the model's weights file (safetensors or .npz).
    The backend loads it once; its shape and dtype are checked at bind time.

    Example: `%w = heed.weight "encoder.w_ih" : tensor<1024x256xf32>`
  }];
  let arguments = (ins StrAttr:$name);
  let results = (outs Heed_Tensor:$result);
  let assemblyFormat = "$name attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Heed_DimOp : Heed_Op<"dim", [Pure]> {
  let heedFamily = "shape";
  let summary = "The size of one dimension, as an index";
  let arguments = (ins Heed_Tensor:$input, I64Attr:$dim);
  let results = (outs Index:$result);
  let assemblyFormat = "$input `,` $dim attr-dict `:` type($input)";
  let hasFolder = 1;
  let hasVerifier = 1;
}

def Heed_ExtractOp : Heed_Op<"extract", [Pure]> {
  let heedFamily = "shape";
  let summary = "One element of a 0-D or 1-D integer tensor, as an index";
  let description = [{
    How a shape, a slice bound or a count held in a tensor that is only known
    when the function runs (a graph input, a value computed from data) joins
    the index arithmetic: `%n = heed.extract %shape[1] : tensor<3xi64>`.
    An index outside the tensor is a run-time error naming the op. On Vulkan
    the tensor is read back to the host (commands recorded before it are
    submitted and waited for) unless the host holds it already.
  }];
  let arguments = (ins Heed_IntTensor:$input, I64Attr:$index);
  let results = (outs Index:$result);
  let assemblyFormat = "$input `[` $index `]` attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Heed_CheckOp : Heed_Op<"check", [AttrSizedOperandSegments]> {
  let heedFamily = "shape";
  let summary = "A run-time error naming the op unless every condition holds";
  let description = [{
    What an operand known only when the function runs must satisfy where a
    wrong value would not otherwise fail (axes given as a tensor must be
    distinct and within the rank, split sizes must add up to the dim, ...):
    the drivers evaluate the conditions on the host, as the index arithmetic,
    and fail with `message` followed by the `values` (the operands as given)
    when one is false. It has no results, and is kept where it is because it
    is not pure.

    Example: `heed.check %ok0, %ok1 [%axis0, %axis1] "expects distinct axes in [-3, 3), got"`
  }];
  let arguments = (ins Variadic<I1>:$conditions, Variadic<Index>:$values, StrAttr:$message);
  let assemblyFormat = "$conditions (`[` $values^ `]`)? $message attr-dict";
}

def Heed_FullOp : Heed_Op<"full", [Pure]> {
  let heedFamily = "elementwise";
  let summary = "A tensor filled with one value (ONNX ConstantOfShape)";
  let description = [{
    The static dims come from the result type; each dynamic dim of the
    result type takes the next `dynamic_dims` operand, in order.
  }];
  let arguments = (ins TypedAttrInterface:$value, Variadic<Index>:$dynamic_dims);
  let results = (outs Heed_Tensor:$result);
  let assemblyFormat = "$value (`[` $dynamic_dims^ `]`)? attr-dict `:` type($result)";
  // The result type is the declaration itself, so there is nothing to infer.
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The `dynamic_dims` operand giving dim `axis`, or null when that dim is static.
    ::mlir::Value getSizeOf(int64_t axis) {
      auto type = ::llvm::cast<::mlir::RankedTensorType>(getType());
      if (!type.isDynamicDim(axis))
        return {};
      return getDynamicDims()[::llvm::count_if(type.getShape().take_front(axis),
                                               ::mlir::ShapedType::isDynamic)];
    }
  }];
}

def Heed_RangeOp : Heed_PureOp<"range"> {
  let heedFamily = "generator";
  let summary = "start, start+step, ... below limit, as a 1-D i64 tensor (ONNX Range)";
  let arguments = (ins Index:$start, Index:$limit, Index:$step);
  let results = (outs RankedTensorOf<[I64]>:$result);
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

// A unary op whose result has its input's type: inferred here, so a new one needs no C++.
class Heed_UnaryOp<string mnemonic, string what, Type type, list<Trait> traits = []>
    : Heed_PureOp<mnemonic, !listconcat([Elementwise], traits)> {
  let heedFamily = "elementwise";
  let summary = what # ", elementwise";
  let arguments = (ins type:$input);
  let results = (outs type:$result);
  let extraClassDefinition = [{
    ::llvm::LogicalResult $cppClass::verify() {
      return ::mlir::heed::verifyInferredTypes(getOperation());
    }
    ::llvm::LogicalResult $cppClass::inferReturnTypes(::mlir::MLIRContext *,
        std::optional<::mlir::Location>, Adaptor adaptor,
        ::llvm::SmallVectorImpl<::mlir::Type> &inferred) {
      return inferSameAsInput(adaptor.getInput(), inferred);
    }
  }];
}

class Heed_UnaryFloatOp<string mnemonic, string what, list<Trait> traits = []>
    : Heed_UnaryOp<mnemonic, what, Heed_FloatTensor, traits>;
// Signed integers too: integer results wrap (abs and neg of the most negative value are itself).
class Heed_UnarySignedOp<string mnemonic, string what, list<Trait> traits = []>
    : Heed_UnaryOp<mnemonic, what, Heed_SignedTensor, traits>;

def Heed_AbsOp : Heed_UnarySignedOp<"abs", "|x|">;
def Heed_CeilOp : Heed_UnaryFloatOp<"ceil", "The smallest integer not below x">;
def Heed_ErfOp : Heed_UnaryFloatOp<"erf", "The error function">;
def Heed_ExpOp : Heed_UnaryFloatOp<"exp", "e^x">;
def Heed_FloorOp : Heed_UnaryFloatOp<"floor", "The largest integer not above x">;
def Heed_LogOp : Heed_UnaryFloatOp<"log", "The natural logarithm">;
def Heed_NegOp : Heed_UnarySignedOp<"neg", "-x"> { let hasFolder = 1; }
def Heed_ReciprocalOp : Heed_UnaryFloatOp<"reciprocal", "1/x">;
def Heed_ReluOp : Heed_UnaryFloatOp<"relu", "max(x, 0)">;
def Heed_RoundOp : Heed_UnaryFloatOp<"round", "x rounded to the nearest integer, halves to even">;
def Heed_RsqrtOp : Heed_UnaryFloatOp<"rsqrt", "1/sqrt(x)">;
def Heed_SignOp : Heed_UnarySignedOp<"sign", "-1, 0 or 1 by the sign of x (NaN stays NaN)">;
def Heed_SigmoidOp : Heed_UnaryFloatOp<"sigmoid", "1/(1+e^-x)">;
def Heed_SqrtOp : Heed_UnaryFloatOp<"sqrt", "The square root">;
def Heed_TanhOp : Heed_UnaryFloatOp<"tanh", "The hyperbolic tangent">;

def Heed_IsNanOp : Heed_PureOp<"is_nan", [Elementwise]> {
  let heedFamily = "elementwise";
  let summary = "Whether x is NaN, elementwise (ONNX IsNaN)";
  let arguments = (ins Heed_FloatTensor:$input);
  let results = (outs Heed_BoolTensor:$result);
}

def Heed_IsInfOp : Heed_PureOp<"is_inf", [Elementwise]> {
  let heedFamily = "elementwise";
  let summary = "Whether x is an infinity of a detected sign, elementwise (ONNX IsInf)";
  let arguments = (ins Heed_FloatTensor:$input,
                   DefaultValuedAttr<BoolAttr, "true">:$detect_negative,
                   DefaultValuedAttr<BoolAttr, "true">:$detect_positive);
  let results = (outs Heed_BoolTensor:$result);
}

def Heed_GeluOp : Heed_PureOp<"gelu", [Elementwise]> {
  let heedFamily = "elementwise";
  let summary = "GELU, exact (erf) or tanh-approximated, elementwise";
  let arguments = (ins Heed_FloatTensor:$input,
                   DefaultValuedAttr<Heed_GeluApproxAttr, "GeluApprox::none">:$approximate);
  let results = (outs Heed_FloatTensor:$result);
}

def Heed_NotOp : Heed_PureOp<"not", [Elementwise]> {
  let heedFamily = "elementwise";
  let summary = "Logical not, elementwise";
  let arguments = (ins Heed_BoolTensor:$input);
  let results = (outs Heed_BoolTensor:$result);
  let hasFolder = 1;
}

def Heed_CastOp : Heed_PureOp<"cast", [Elementwise]> {
  let heedFamily = "elementwise";
  let summary = "Converts the element type (the shape stays)";
  let description = [{
    The result element type is the declared one; float to int truncates
    toward zero, anything to i1 is `!= 0`.
  }];
  let arguments = (ins Heed_Tensor:$input, TypeAttr:$to);
  let results = (outs Heed_Tensor:$result);
  let hasFolder = 1;
}

class Heed_BinaryOp<string mnemonic, string what, Type operandType,
                    list<Trait> traits = []>
    : Heed_PureOp<mnemonic, traits> {
  let heedFamily = "elementwise";
  let summary = what # ", elementwise with NumPy broadcasting";
  let arguments = (ins operandType:$lhs, operandType:$rhs);
  let results = (outs operandType:$result);
}

def Heed_AddOp : Heed_BinaryOp<"add", "lhs + rhs", Heed_Tensor, [Commutative]> {
  let hasFolder = 1;
}
def Heed_SubOp : Heed_BinaryOp<"sub", "lhs - rhs", Heed_Tensor> { let hasFolder = 1; }
def Heed_MulOp : Heed_BinaryOp<"mul", "lhs * rhs", Heed_Tensor, [Commutative]> {
  let hasFolder = 1;
}
def Heed_DivOp : Heed_BinaryOp<"div", "lhs / rhs", Heed_Tensor> { let hasFolder = 1; }
def Heed_MaxOp : Heed_BinaryOp<"max", "max(lhs, rhs)", Heed_Tensor, [Commutative]>;
def Heed_MinOp : Heed_BinaryOp<"min", "min(lhs, rhs)", Heed_Tensor, [Commutative]>;
def Heed_PowOp : Heed_BinaryOp<"pow", "lhs ^ rhs", Heed_FloatTensor>;
def Heed_AndOp : Heed_BinaryOp<"and", "Logical and", Heed_BoolTensor, [Commutative]>;
def Heed_OrOp : Heed_BinaryOp<"or", "Logical or", Heed_BoolTensor, [Commutative]>;

def Heed_CompareOp : Heed_PureOp<"compare"> {
  let heedFamily = "elementwise";
  let summary = "Compares elementwise with NumPy broadcasting, giving i1";
  let arguments = (ins Heed_CompareKindAttr:$predicate, Heed_Tensor:$lhs,
                   Heed_Tensor:$rhs);
  let results = (outs Heed_BoolTensor:$result);
  let assemblyFormat =
      "$predicate `,` $lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
}

def Heed_WhereOp : Heed_PureOp<"where"> {
  let heedFamily = "elementwise";
  let summary = "condition ? on_true : on_false, with NumPy broadcasting of all three";
  let arguments = (ins Heed_BoolTensor:$condition, Heed_Tensor:$on_true,
                   Heed_Tensor:$on_false);
  let results = (outs Heed_Tensor:$result);
}

def Heed_RotaryOp : Heed_PureOp<"rotary"> {
  let heedFamily = "elementwise";
  let summary = "Rotary position embedding (rotate_half, or interleaved pairs)";
  let description = [{
    y = x * cos + rotate_half(x) * sin, where rotate_half(x) is
    concat(-x[..., D/2:], x[..., :D/2]) along the last dim: the RoPE of
    GPT-NeoX, Llama and their descendants as PyTorch code writes it. With
    `interleaved`, the rotation pairs neighbours instead (GPT-J's
    rotate_every_two: stack(-x[..., 1::2], x[..., ::2]) flattened, so element
    2i takes -x[2i + 1] and 2i + 1 takes x[2i]). The last dim D of x is static
    and even, and cos and sin have exactly that last dim; the other dims of
    all three broadcast with NumPy rules, as the mul and add they replace did
    (heed-fuse-rotary).
  }];
  let arguments = (ins Heed_F32Tensor:$input, Heed_F32Tensor:$cos, Heed_F32Tensor:$sin,
                   DefaultValuedAttr<BoolAttr, "false">:$interleaved);
  let results = (outs Heed_F32Tensor:$result);
  let assemblyFormat = [{
    $input `cos` $cos `sin` $sin attr-dict `:` functional-type(operands, results)
  }];
}

//===----------------------------------------------------------------------===//
// Normalization
//===----------------------------------------------------------------------===//

def Heed_SoftmaxOp : Heed_PureOp<"softmax"> {
  let heedFamily = "softmax";
  let summary = "Softmax along one axis (max-subtracted)";
  let arguments = (ins Heed_FloatTensor:$input, DefaultValuedAttr<I64Attr, "-1">:$axis);
  let results = (outs Heed_FloatTensor:$result);
}

def Heed_LogSoftmaxOp : Heed_PureOp<"log_softmax"> {
  let heedFamily = "softmax";
  let summary = "log(softmax(x)) along one axis, computed stably";
  let arguments = (ins Heed_FloatTensor:$input, DefaultValuedAttr<I64Attr, "-1">:$axis);
  let results = (outs Heed_FloatTensor:$result);
}

def Heed_LayerNormOp : Heed_PureOp<"layer_norm", [AttrSizedOperandSegments]> {
  let heedFamily = "layer_norm";
  let assemblyFormat = [{
    $input (`scale` $scale^)? (`bias` $bias^)? (`residual` $residual^)? attr-dict `:`
    functional-type(operands, results)
  }];
  let summary = "Layer normalization over the dims from `axis` to the last";
  let description = [{
    y = (x - mean) / sqrt(var + epsilon) * scale + bias, with mean and the
    biased variance taken over dims `axis`..rank-1. `scale` and `bias`, when
    present, have exactly those trailing dims. With `residual` (the input's
    shape), x is input + residual: the residual add of a post-norm Transformer
    layer, summed as the rows are read instead of in a pass of its own
    (heed-fuse-residual-norm). With `rms`, no mean is subtracted: y = x /
    sqrt(mean(x^2) + epsilon) * scale + bias, the RMSNorm of T5 and Llama.
  }];
  let arguments = (ins Heed_FloatTensor:$input, Optional<Heed_FloatTensor>:$scale,
                   Optional<Heed_FloatTensor>:$bias, Optional<Heed_FloatTensor>:$residual,
                   DefaultValuedAttr<I64Attr, "-1">:$axis,
                   DefaultValuedAttr<F32Attr, "1.0e-5">:$epsilon,
                   DefaultValuedAttr<BoolAttr, "false">:$rms);
  let results = (outs Heed_FloatTensor:$result);
}

//===----------------------------------------------------------------------===//
// Linear algebra
//===----------------------------------------------------------------------===//

def Heed_MatmulOp : Heed_PureOp<"matmul"> {
  let heedFamily = "matmul";
  let summary = "Batched matrix product with transpose flags";
  let description = [{
    Operands have rank >= 2; the last two dims are the matrix, the others
    are batch dims broadcast with NumPy rules. With `transpose_b`, rhs is
    [..., N, K] (as K in Q K^T).
  }];
  let arguments = (ins Heed_FloatTensor:$lhs, Heed_FloatTensor:$rhs,
                   DefaultValuedAttr<BoolAttr, "false">:$transpose_a,
                   DefaultValuedAttr<BoolAttr, "false">:$transpose_b);
  let results = (outs Heed_FloatTensor:$result);
}

def Heed_LinearOp : Heed_PureOp<"linear"> {
  let heedFamily = "linear";
  let summary = "x W^T + b over the last dim (PyTorch nn.Linear)";
  let description = [{
    `weight` is [N, K] as in PyTorch, or [K, N] with `transpose_weight = false`
    (ONNX Gemm without transB); input is [..., K], result [..., N].
    `activation` (relu, gelu, gelu_tanh, tanh, sigmoid, silu) is applied to
    x W^T + b, as heed.relu, heed.gelu, heed.tanh and heed.sigmoid would be
    (silu: z * sigmoid(z), SwiGLU's gate).
  }];
  let arguments = (ins Heed_FloatTensor:$input, Heed_FloatTensor:$weight,
                   Optional<Heed_FloatTensor>:$bias,
                   DefaultValuedAttr<BoolAttr, "true">:$transpose_weight,
                   DefaultValuedAttr<Heed_ActivationAttr, "Activation::none">:$activation);
  let results = (outs Heed_FloatTensor:$result);
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

def Heed_ReshapeOp : Heed_PureOp<"reshape"> {
  let heedFamily = "shape";
  let summary = "Reshape with ONNX semantics: 0 copies the input dim, one -1 is inferred";
  let arguments = (ins Heed_Tensor:$input, DenseI64ArrayAttr:$shape);
  let results = (outs Heed_Tensor:$result);
  let hasFolder = 1;
  // reshape(reshape(x)) -> reshape(x)
  let hasCanonicalizer = 1;
}

def Heed_ReshapeDynamicOp : Heed_PureOp<"reshape_dynamic"> {
  let heedFamily = "shape";
  let summary = "Reshape to dims given as index values (ONNX Reshape with a run-time shape)";
  let description = [{
    One index operand per result dim, with ONNX Reshape's rules applied when
    the function runs: 0 copies the input dim at that position (a 0-sized dim
    with `allowzero`), one -1 is inferred from the element count, anything
    else below -1 or a count that does not match is a run-time error. A dim
    whose operand is a constant is static in the result type. The importer
    uses heed.reshape whenever the target shape folds to constants.
  }];
  let arguments = (ins Heed_Tensor:$input, Variadic<Index>:$shape,
                   DefaultValuedAttr<BoolAttr, "false">:$allowzero);
  let results = (outs Heed_Tensor:$result);
}

def Heed_TransposeOp : Heed_PureOp<"transpose"> {
  let heedFamily = "copy";
  let summary = "Permutes dims: result dim i is input dim permutation[i]";
  let arguments = (ins Heed_Tensor:$input, DenseI64ArrayAttr:$permutation);
  let results = (outs Heed_Tensor:$result);
  let hasFolder = 1;
  // transpose(transpose(x)) -> transpose(x) with the composed permutation
  let hasCanonicalizer = 1;
}

def Heed_ConcatOp : Heed_PureOp<"concat"> {
  let heedFamily = "copy";
  let summary = "Concatenates along one axis";
  let arguments = (ins Variadic<Heed_Tensor>:$inputs, I64Attr:$axis);
  let results = (outs Heed_Tensor:$result);
  let hasFolder = 1;
}

def Heed_SliceOp : Heed_PureOp<"slice"> {
  let heedFamily = "copy";
  let summary = "Elements start, start+step, ... before end along one axis";
  let description = [{
    Python slice semantics: negative start/end count from the end and are
    clamped to the dim; step is positive. `end` defaults to the end of the dim.
  }];
  let arguments = (ins Heed_Tensor:$input, I64Attr:$axis, I64Attr:$start,
                   DefaultValuedAttr<I64Attr, "std::numeric_limits<int64_t>::max()">:$end,
                   DefaultValuedAttr<I64Attr, "1">:$step);
  let results = (outs Heed_Tensor:$result);
  let hasFolder = 1;
}

def Heed_SliceDynamicOp : Heed_PureOp<"slice_dynamic"> {
  let heedFamily = "copy";
  let summary = "heed.slice with start, end and step given as index values";
  let description = [{
    ONNX Slice along `axis` with bounds known only when the function runs:
    negative start/end count from the end, then they are clamped (to [0, n]
    for a positive step, to [-1, n-1] for a negative one, which walks
    backwards); a zero step is a run-time error. The importer uses heed.slice
    whenever the bounds fold to constants.
  }];
  let arguments = (ins Heed_Tensor:$input, Index:$start, Index:$end, Index:$step, I64Attr:$axis);
  let results = (outs Heed_Tensor:$result);
}

def Heed_BroadcastOp : Heed_PureOp<"broadcast"> {
  let heedFamily = "copy";
  let summary = "Broadcasts to the shape of `like` (NumPy rules, ONNX Expand)";
  let arguments = (ins Heed_Tensor:$input, Heed_Tensor:$like);
  let results = (outs Heed_Tensor:$result);
}

def Heed_GatherOp : Heed_PureOp<"gather"> {
  let heedFamily = "gather";
  let summary = "Takes slices along one axis at the given indices (ONNX Gather)";
  let description = [{
    Result shape: input[:axis] + indices + input[axis+1:]. Negative indices
    count from the end; out-of-range indices are a run-time error.
  }];
  let arguments = (ins Heed_Tensor:$input, Heed_IntTensor:$indices,
                   DefaultValuedAttr<I64Attr, "0">:$axis);
  let results = (outs Heed_Tensor:$result);
}

def Heed_GatherElementsOp : Heed_PureOp<"gather_elements"> {
  let heedFamily = "gather";
  let summary = "Takes one element per index along one axis (ONNX GatherElements)";
  let description = [{
    result[i0, .., i_axis, ..] = input[i0, .., indices[i0, .., i_axis, ..], ..]: the result has
    the indices' shape; both have the same rank, and each other dim of the indices is at most
    the input's. Negative indices count from the end; out-of-range ones are a run-time error.
  }];
  let arguments = (ins Heed_Tensor:$input, Heed_IntTensor:$indices,
                   DefaultValuedAttr<I64Attr, "0">:$axis);
  let results = (outs Heed_Tensor:$result);
}

def Heed_EmbeddingOp : Heed_PureOp<"embedding"> {
  let heedFamily = "gather";
  let summary = "Looks token ids up in a [vocab, dim] table";
  let description = [{
    Result: ids.shape + [dim]. An id outside [0, vocab) is a run-time error
    naming the id, never a wild read.
  }];
  let arguments = (ins Heed_FloatTensor:$table, Heed_IntTensor:$ids);
  let results = (outs Heed_FloatTensor:$result);
}

//===----------------------------------------------------------------------===//
// Masks and positions
//===----------------------------------------------------------------------===//

def Heed_SequenceMaskOp : Heed_PureOp<"sequence_mask"> {
  let heedFamily = "generator";
  let summary = "Padding mask from lengths: result[b, t] = t < lengths[b]";
  let arguments = (ins Heed_IntTensor:$lengths, Index:$max_length);
  let results = (outs Heed_BoolTensor:$result);
}

def Heed_CausalMaskOp : Heed_PureOp<"causal_mask"> {
  let heedFamily = "generator";
  let summary = "[Lq, Lk] i1 mask, true where query i may see key j";
  let arguments = (ins Index:$query_length, Index:$key_length,
                   DefaultValuedAttr<Heed_CausalAlignAttr, "CausalAlign::top_left">:$align);
  let results = (outs Heed_BoolTensor:$result);
}

def Heed_SinusoidalPositionsOp : Heed_PureOp<"sinusoidal_positions"> {
  let heedFamily = "generator";
  let summary = "Transformer sinusoidal position encodings for positions offset..offset+length-1";
  let description = [{
    Result [length, dim]: sin(p / base^(2i/dim)) and cos(...) for i < dim/2,
    interleaved (sin at even, cos at odd columns, as in "Attention is all you
    need" and the PyTorch tutorial) or, with `interleaved = false`, all sines
    then all cosines (tensor2tensor). `offset` is the first position, so a
    decoder step can ask for its own position.
  }];
  let arguments = (ins Index:$offset, Index:$length, I64Attr:$dim,
                   DefaultValuedAttr<F64Attr, "10000.0">:$base,
                   DefaultValuedAttr<BoolAttr, "true">:$interleaved);
  let results = (outs RankedTensorOf<[F32]>:$result);
}

//===----------------------------------------------------------------------===//
// Reductions and selection
//===----------------------------------------------------------------------===//

def Heed_ReduceOp : Heed_PureOp<"reduce"> {
  let heedFamily = "reduce";
  let summary = "Sum, mean, max, min or product over a set of axes";
  let description = [{
    The axes are the `axes` attribute or, when the model gives them only at
    run time (ONNX ReduceSum's axes input), the `axis_values` operands: exactly
    one of the two is non-empty. Their number is static either way, so the
    result's rank is; which dims they name is then read when the function runs,
    where an axis out of range or repeated is an error naming the op.
  }];
  let arguments = (ins Heed_ReduceKindAttr:$kind, Heed_ReduceTensor:$input,
                   DenseI64ArrayAttr:$axes, Variadic<Index>:$axis_values,
                   DefaultValuedAttr<BoolAttr, "false">:$keep_dims);
  let results = (outs Heed_ReduceTensor:$result);
  let assemblyFormat =
      "$kind `,` $input (`[` $axis_values^ `]`)? attr-dict `:` functional-type(operands, results)";
}

def Heed_CumsumOp : Heed_PureOp<"cumsum"> {
  let heedFamily = "reduce";
  let summary = "Running sums along one axis (ONNX CumSum)";
  let description = [{
    The axis is the `axis` attribute or, when the model computes it, the run-time
    `axis_tensor` operand (one integer; the drivers read it on the host): exactly one of the
    two. With `exclusive`, element j sums the elements before j only; with `reverse`, the
    sums run from the end of the axis. Integer sums wrap.
  }];
  let arguments = (ins Heed_ReduceTensor:$input, Optional<Heed_IntTensor>:$axis_tensor,
                   OptionalAttr<I64Attr>:$axis,
                   DefaultValuedAttr<BoolAttr, "false">:$exclusive,
                   DefaultValuedAttr<BoolAttr, "false">:$reverse);
  let results = (outs Heed_ReduceTensor:$result);
}

// Ties go to the first index, or with `select_last_index` the last; a NaN wins over numbers.
class Heed_ArgOp<string mnemonic, string what> : Heed_PureOp<mnemonic> {
  let heedFamily = "select";
  let summary = "Index of the " # what # " element along one axis, as i64";
  let arguments = (ins Heed_Tensor:$input, DefaultValuedAttr<I64Attr, "-1">:$axis,
                   DefaultValuedAttr<BoolAttr, "false">:$keep_dims,
                   DefaultValuedAttr<BoolAttr, "false">:$select_last_index);
  let results = (outs RankedTensorOf<[I64]>:$result);
}

def Heed_ArgmaxOp : Heed_ArgOp<"argmax", "largest">;
def Heed_ArgminOp : Heed_ArgOp<"argmin", "smallest">;

def Heed_TopKOp : Heed_PureOp<"top_k"> {
  let heedFamily = "select";
  let summary = "The k largest elements along one axis, sorted, and their i64 indices";
  let description = [{
    k is the `k` attribute or, when the model gives it only at run time (ONNX
    TopK's k input), the `k_value` operand: exactly one of the two. A run-time
    k outside [0, the axis size] is an error naming the op.
  }];
  let arguments = (ins Heed_FloatTensor:$input, OptionalAttr<I64Attr>:$k,
                   Optional<Index>:$k_value, DefaultValuedAttr<I64Attr, "-1">:$axis);
  let results = (outs Heed_FloatTensor:$values, RankedTensorOf<[I64]>:$indices);
}

//===----------------------------------------------------------------------===//
// Recurrent cells and sequences
//===----------------------------------------------------------------------===//
//
// Weights follow PyTorch: w_ih [G*H, I], w_hh [G*H, H], biases [G*H], gates in
// PyTorch order (LSTM i,f,g,o; GRU r,z,n). Frontends reorder other layouts.
// A cell's `biases` are either absent or exactly (b_ih, b_hh).

def Heed_RnnCellOp : Heed_PureOp<"rnn_cell"> {
  let heedFamily = "cell";
  let summary = "One Elman RNN step: h' = act(W_ih x + b_ih + W_hh h + b_hh)";
  let arguments = (ins Heed_FloatTensor:$input, Heed_FloatTensor:$hidden,
                   Heed_FloatTensor:$w_ih, Heed_FloatTensor:$w_hh,
                   Variadic<Heed_FloatTensor>:$biases,
                   DefaultValuedAttr<Heed_RnnActivationAttr, "RnnActivation::tanh">:$activation);
  let results = (outs Heed_FloatTensor:$result);
}

def Heed_GruCellOp : Heed_PureOp<"gru_cell"> {
  let heedFamily = "cell";
  let summary = "One GRU step";
  let description = [{
    With `linear_before_reset` (PyTorch, ONNX linear_before_reset=1):
    n = tanh(W_in x + b_in + r * (W_hn h + b_hn)); without it (ONNX default):
    n = tanh(W_in x + b_in + W_hn (r * h) + b_hn).
  }];
  let arguments = (ins Heed_FloatTensor:$input, Heed_FloatTensor:$hidden,
                   Heed_FloatTensor:$w_ih, Heed_FloatTensor:$w_hh,
                   Variadic<Heed_FloatTensor>:$biases,
                   DefaultValuedAttr<BoolAttr, "true">:$linear_before_reset);
  let results = (outs Heed_FloatTensor:$result);
}

def Heed_LstmCellOp : Heed_PureOp<"lstm_cell"> {
  let heedFamily = "cell";
  let summary = "One LSTM step, giving (h', c')";
  let arguments = (ins Heed_FloatTensor:$input, Heed_FloatTensor:$hidden,
                   Heed_FloatTensor:$cell, Heed_FloatTensor:$w_ih,
                   Heed_FloatTensor:$w_hh, Variadic<Heed_FloatTensor>:$biases);
  let results = (outs Heed_FloatTensor:$new_hidden, Heed_FloatTensor:$new_cell);
}

class Heed_RecurrentSequenceOp<string mnemonic, string what, int gates>
    : Heed_PureOp<mnemonic, [AttrSizedOperandSegments]> {
  let heedFamily = "sequence";
  let assemblyFormat = [{
    $input (`init` `(` $initial_hidden^ `)`)? (`lengths` $lengths^)? `weights` `(` $weights `)`
    attr-dict `:` functional-type(operands, results)
  }];
  let summary = what # " over a whole sequence: multi-layer, optionally bidirectional";
  let description = [{
    input is [T, B, I] ([B, T, I] with `batch_first`). `weights` holds, for
    each layer and then each direction (forward, reverse), w_ih, w_hh and,
    with `has_biases`, b_ih and b_hh: PyTorch's flat weight order.
    Initial states are [layers*dirs, B, H] and default to zeros. `lengths`
    ([B]) ends each batch row early: outputs past a row's length are zero and
    its final state is the one at its last valid step (packed sequences).
    Results: the top layer's outputs [T, B, dirs*H] (or batch first) and the
    final states [layers*dirs, B, H].

    `reverse` (not with `bidirectional`) runs the one direction from the last
    step to the first (ONNX direction=reverse); outputs stay in time order.
    `clip` (ONNX) clamps every gate's pre-activation to [-clip, clip].
  }] # !if(!eq(gates, 3), [{

    The gates are r, z, n; `linear_before_reset` as in heed.gru_cell.
  }], "") # !if(!eq(gates, 4), [{

    With `peepholes`, each direction's weights end with p [3*H]: the peephole
    weights of the i, f and o gates (ONNX P, reordered): i and f add p_i * c
    and p_f * c of the previous cell state, o adds p_o * c of the new one.
    With `input_forget` (ONNX), the forget gate is 1 - i.
  }], "");
}

def Heed_RnnOp : Heed_RecurrentSequenceOp<"rnn", "An Elman RNN", 1> {
  let arguments = (ins Heed_FloatTensor:$input, Optional<Heed_FloatTensor>:$initial_hidden,
                   Optional<Heed_IntTensor>:$lengths, Variadic<Heed_FloatTensor>:$weights,
                   I64Attr:$hidden_size, DefaultValuedAttr<I64Attr, "1">:$num_layers,
                   DefaultValuedAttr<BoolAttr, "false">:$bidirectional,
                   DefaultValuedAttr<BoolAttr, "false">:$batch_first,
                   DefaultValuedAttr<BoolAttr, "true">:$has_biases,
                   DefaultValuedAttr<Heed_RnnActivationAttr, "RnnActivation::tanh">:$activation,
                   DefaultValuedAttr<BoolAttr, "false">:$reverse,
                   OptionalAttr<F64Attr>:$clip);
  let results = (outs Heed_FloatTensor:$output, Heed_FloatTensor:$final_hidden);
}

def Heed_GruOp : Heed_RecurrentSequenceOp<"gru", "A GRU", 3> {
  let arguments = (ins Heed_FloatTensor:$input, Optional<Heed_FloatTensor>:$initial_hidden,
                   Optional<Heed_IntTensor>:$lengths, Variadic<Heed_FloatTensor>:$weights,
                   I64Attr:$hidden_size, DefaultValuedAttr<I64Attr, "1">:$num_layers,
                   DefaultValuedAttr<BoolAttr, "false">:$bidirectional,
                   DefaultValuedAttr<BoolAttr, "false">:$batch_first,
                   DefaultValuedAttr<BoolAttr, "true">:$has_biases,
                   DefaultValuedAttr<BoolAttr, "true">:$linear_before_reset,
                   DefaultValuedAttr<BoolAttr, "false">:$reverse,
                   OptionalAttr<F64Attr>:$clip);
  let results = (outs Heed_FloatTensor:$output, Heed_FloatTensor:$final_hidden);
}

def Heed_LstmOp : Heed_RecurrentSequenceOp<"lstm", "An LSTM", 4> {
  let arguments = (ins Heed_FloatTensor:$input, Optional<Heed_FloatTensor>:$initial_hidden,
                   Optional<Heed_FloatTensor>:$initial_cell,
                   Optional<Heed_IntTensor>:$lengths, Variadic<Heed_FloatTensor>:$weights,
                   I64Attr:$hidden_size, DefaultValuedAttr<I64Attr, "1">:$num_layers,
                   DefaultValuedAttr<BoolAttr, "false">:$bidirectional,
                   DefaultValuedAttr<BoolAttr, "false">:$batch_first,
                   DefaultValuedAttr<BoolAttr, "true">:$has_biases,
                   DefaultValuedAttr<BoolAttr, "false">:$reverse,
                   OptionalAttr<F64Attr>:$clip,
                   DefaultValuedAttr<BoolAttr, "false">:$peepholes,
                   DefaultValuedAttr<BoolAttr, "false">:$input_forget);
  let results = (outs Heed_FloatTensor:$output, Heed_FloatTensor:$final_hidden,
                 Heed_FloatTensor:$final_cell);
  let assemblyFormat = [{
    $input (`init` `(` $initial_hidden^ `,` $initial_cell `)`)? (`lengths` $lengths^)?
    `weights` `(` $weights `)` attr-dict `:` functional-type(operands, results)
  }];
}

//===----------------------------------------------------------------------===//
// Fused attention
//===----------------------------------------------------------------------===//

def Heed_AttentionOp : Heed_PureOp<"attention"> {
  let heedFamily = "attention";
  let summary = "Scaled dot-product attention: softmax(scale * Q K^T + mask) V";
  let description = [{
    Layouts:
    - `num_heads = 0`: q [..., Lq, D], k [..., Lk, D], v [..., Lk, Dv]; the
      leading dims broadcast, except that the heads dim (rank >= 4, dim -3) of
      k and v may divide q's (grouped-query attention). Result [..., Lq, Dv].
    - `num_heads = H`: q [B, Lq, H*D], k [B, Lk, Hkv*D], v [B, Lk, Hkv*Dv]
      with Hkv = `num_kv_heads` (default H) dividing H; the heads are split
      and merged inside the op. Result [B, Lq, H*Dv].
    The scores have shape S = [..., Lq, Lk] ([B, H, Lq, Lk] with heads).

    `mask_kind` says which masks apply. At most one operand mask:
    - additive: a float mask broadcastable to S, added to the scaled scores;
    - boolean: an i1 mask broadcastable to S, true where a key may be seen;
    - lengths: integer key lengths [B]: key j is seen iff j < lengths[b];
    and independently `causal`, aligned by `causal_align`.

    `mask_fill` (boolean masks only): the keys the boolean mask hides score
    this finite value instead of being left out, as masked_fill(mask, -1e9)
    does; keys hidden by causal or lengths are still left out. Such a row
    always sees its hidden keys at that score: a row the boolean mask hides
    entirely gets uniform weights over them, as the decomposed graph does.

    A query row that sees no key gives zeros (`masked_rows = zero`) or NaN
    (`masked_rows = nan`, the IEEE result of the decomposed graph).

    With `return_weights`, the second result is the attention weights with
    shape S (what Bahdanau/Luong models return and heatmaps show).
  }];
  let arguments = (ins Heed_FloatTensor:$query, Heed_FloatTensor:$key,
                   Heed_FloatTensor:$value, Optional<Heed_Tensor>:$mask,
                   F32Attr:$scale,
                   DefaultValuedAttr<I64Attr, "0">:$num_heads,
                   DefaultValuedAttr<I64Attr, "0">:$num_kv_heads,
                   DefaultValuedAttr<Heed_MaskKindAttr, "MaskKind::none">:$mask_kind,
                   DefaultValuedAttr<Heed_CausalAlignAttr, "CausalAlign::top_left">:$causal_align,
                   DefaultValuedAttr<Heed_MaskedRowsAttr, "MaskedRows::zero">:$masked_rows,
                   UnitAttr:$return_weights, OptionalAttr<F32Attr>:$mask_fill);
  let results = (outs Heed_FloatTensor:$output, Optional<Heed_FloatTensor>:$weights);
}

def Heed_AdditiveAttentionOp : Heed_PureOp<"additive_attention"> {
  let heedFamily = "additive_attention";
  let summary = "Additive attention (Bahdanau, Luong concat): softmax(v^T tanh(W_q q + K')) V";
  let description = [{
    query is [B, Dq] (one decoder step) or [B, Lq, Dq]; keys_proj is
    K' = W_k keys + b, [B, Lk, A], computed once per source sequence and so a
    separate input; values [B, Lk, Dv]; w_query [A, Dq]; v [A].
    Result [B, Dv] or [B, Lq, Dv]; with `return_weights`, the weights
    [B, Lk] or [B, Lq, Lk] as the second result.
    Masks as in heed.attention (`mask_fill` too), except that causal does
    not apply.
  }];
  let arguments = (ins Heed_FloatTensor:$query, Heed_FloatTensor:$keys_proj,
                   Heed_FloatTensor:$values, Heed_FloatTensor:$w_query,
                   Heed_FloatTensor:$v, Optional<Heed_Tensor>:$mask,
                   DefaultValuedAttr<Heed_MaskKindAttr, "MaskKind::none">:$mask_kind,
                   DefaultValuedAttr<Heed_MaskedRowsAttr, "MaskedRows::zero">:$masked_rows,
                   UnitAttr:$return_weights, OptionalAttr<F32Attr>:$mask_fill);
  let results = (outs Heed_FloatTensor:$output, Optional<Heed_FloatTensor>:$weights);
}

//===----------------------------------------------------------------------===//
// Recurrence over time steps
//===----------------------------------------------------------------------===//

def Heed_ScanOp : Heed_Op<"scan", [AttrSizedOperandSegments,
    SingleBlock, RecursiveMemoryEffects]> {
  let heedFamily = "scan";
  let summary = "A loop over time steps that carries state: custom cells and decoders";
  let description = [{
    The body runs once per step t. Its block arguments are the carried
    values, then the step-t slice (leading dim dropped) of each `sequences`
    operand. It yields the next carried values, then the per-step outputs.
    Results: the final carried values, then each per-step output stacked
    along a new leading dim [T, ...]; there is at least one result (the body
    has no side effects). T is the leading dim of the sequences, or `length`
    when there are none. With `reverse`, t runs from T-1 to 0 (outputs are
    still stored at index t). The body ends in heed.yield.

    Carried types stay fixed, but their dims may be dynamic, so a state can
    grow (an LSTMN memory of all previous states).
  }];
  let arguments = (ins Variadic<Heed_Tensor>:$initial, Variadic<Heed_Tensor>:$sequences,
                   Optional<Index>:$length,
                   DefaultValuedAttr<BoolAttr, "false">:$reverse);
  let results = (outs Variadic<Heed_Tensor>:$results);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    `init` `(` ($initial^ `:` type($initial))? `)`
    `over` `(` ($sequences^ `:` type($sequences))? `)`
    (`steps` $length^)? attr-dict-with-keyword `->` `(` type($results) `)` $body
  }];
  let hasVerifier = 1;
  let hasRegionVerifier = 1;
}

def Heed_YieldOp : Heed_Op<"yield", [Pure, Terminator, HasParent<"ScanOp">]> {
  let summary = "Ends a heed.scan step: next carried values, then per-step outputs";
  let arguments = (ins Variadic<Heed_Tensor>:$values);
  let assemblyFormat = "($values^ `:` type($values))? attr-dict";
}

#endif // HEED_OPS_TD
