//===- HeedBase.td - The heed dialect and its op base class ---------------===//
//
// The heed dialect holds the whole vocabulary of sequence-to-sequence and
// attention models at tensor level: the fused attention ops the compiler
// targets, and every op a frontend needs to spell a model out before fusion.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_BASE_TD
#define HEED_BASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"

def Heed_Dialect : Dialect {
  let name = "heed";
  let cppNamespace = "::mlir::heed";
  let summary = "Sequence-to-sequence and attention models at tensor level";
  let description = [{
    Ops work on builtin ranked tensors whose dims may be dynamic. Shapes are
    inferred by one implementation (ShapeInference.cpp) that the verifiers use
    too, so an op that verifies always has a well-defined result shape.
    Declared result types may be more static than the inferred ones (a
    refinement), never contradict them.

    Entry points are `func.func`s; index arithmetic uses `arith`.
  }];
  let useDefaultAttributePrinterParser = 1;
  let hasConstantMaterializer = 1;
  // heed.dims / heed.name on entry arguments and results (HeedDialect.cpp).
  let hasRegionArgAttrVerify = 1;
  let hasRegionResultAttrVerify = 1;
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

// Checks every heed op shares (HeedOps.h, CommonChecks): a fully static result
// type above the tensor size limit (runtime/core/TensorLimits.h,
// HEED_MAX_TENSOR_BYTES) is refused before any pass or the module writer
// materialises it, and integer attributes follow the rule table the runtime's
// module loader uses too (AttrRules.h).
def Heed_CommonChecks : NativeOpTrait<"CommonChecks"> {
  let cppNamespace = "::mlir::heed";
}

// heedFamily: how the runtime groups the op (ops::Family in the generated op table, OpTable.h):
// the ops of one family share a Vulkan kernel generator and a driver routine, so an op added to
// an existing family needs no new dispatch code. The op table generator refuses an op without one.
class Heed_Op<string mnemonic, list<Trait> traits = []>
    : Op<Heed_Dialect, mnemonic, !listconcat([Heed_CommonChecks], traits)> {
  string heedFamily = "";
}

//===----------------------------------------------------------------------===//
// Type constraints
//===----------------------------------------------------------------------===//

// f16 and bf16 are storage types: the CPU target computes with them in f32.
def Heed_FloatTensor : RankedTensorOf<[F16, BF16, F32, F64]>;
// Indices, lengths and ids: signed.
def Heed_IntTensor : RankedTensorOf<[I32, I64]>;
// Signed numbers: what abs, neg and sign take.
def Heed_SignedTensor : RankedTensorOf<[F16, BF16, F32, F64, I32, I64]>;
def Heed_BoolTensor : RankedTensorOf<[I1]>;
// Ops with one f32 kernel per backend (heed.rotary): fusions produce them only from f32.
def Heed_F32Tensor : RankedTensorOf<[F32]>;
// Unsigned integers (ONNX uint8/uint32/uint64) take part in constants, casts,
// wrapping arithmetic, comparisons, selection and data movement.
def Heed_Tensor : RankedTensorOf<[F16, BF16, F32, F64, I1, I32, I64, UI8, UI32, UI64]>;
// What reductions accept: no unsigned integers (their sums would not wrap).
def Heed_ReduceTensor : RankedTensorOf<[F16, BF16, F32, F64, I1, I32, I64]>;

#endif // HEED_BASE_TD
