//===- HeedAttrs.td - Enum attributes of the heed dialect -----------------===//

#ifndef HEED_ATTRS_TD
#define HEED_ATTRS_TD

include "dialects/heed/IR/HeedBase.td"
include "mlir/IR/EnumAttr.td"

// Which masks an attention op applies. The operand kinds (additive, boolean,
// lengths) are exclusive; causal combines with any of them, as a decoder's
// self-attention needs both a causal and a padding mask.
def Heed_MaskKind : I32BitEnumAttr<"MaskKind", "attention mask kinds", [
    I32BitEnumAttrCaseNone<"none">,
    I32BitEnumAttrCaseBit<"additive", 0>,
    I32BitEnumAttrCaseBit<"boolean", 1>,
    I32BitEnumAttrCaseBit<"lengths", 2>,
    I32BitEnumAttrCaseBit<"causal", 3>]> {
  let cppNamespace = "::mlir::heed";
  let separator = "|";
  let genSpecializedAttr = 0;
  let printBitEnumPrimaryGroups = 0;
}
def Heed_MaskKindAttr : EnumAttr<Heed_Dialect, Heed_MaskKind, "mask">;

// Where the causal diagonal sits when Lq != Lk. top_left: query i sees keys
// 0..i (PyTorch is_causal). bottom_right: query i sees keys 0..i+Lk-Lq (ONNX
// Attention-24, decoding with a KV cache).
def Heed_CausalAlign : I32EnumAttr<"CausalAlign", "causal mask alignment", [
    I32EnumAttrCase<"top_left", 0>,
    I32EnumAttrCase<"bottom_right", 1>]> {
  let cppNamespace = "::mlir::heed";
  let genSpecializedAttr = 0;
}
def Heed_CausalAlignAttr : EnumAttr<Heed_Dialect, Heed_CausalAlign, "causal_align">;

// What a query row whose keys are all masked produces: zeros (ONNX
// Attention-24, newer PyTorch SDPA) or NaN (the IEEE result of the
// decomposed graph).
def Heed_MaskedRows : I32EnumAttr<"MaskedRows", "fully masked row policy", [
    I32EnumAttrCase<"zero", 0>,
    I32EnumAttrCase<"nan", 1>]> {
  let cppNamespace = "::mlir::heed";
  let genSpecializedAttr = 0;
}
def Heed_MaskedRowsAttr : EnumAttr<Heed_Dialect, Heed_MaskedRows, "masked_rows">;

// An elementwise function a heed.linear applies to its result (after the bias): the
// activation that followed the projection, fused by heed-fuse-linear-activation so the CPU's
// GEMM applies it as an epilogue instead of another pass over the result.
def Heed_Activation : I32EnumAttr<"Activation", "activation after a projection", [
    I32EnumAttrCase<"none", 0>, I32EnumAttrCase<"relu", 1>,
    I32EnumAttrCase<"gelu", 2>, I32EnumAttrCase<"gelu_tanh", 3>,
    I32EnumAttrCase<"tanh", 4>, I32EnumAttrCase<"sigmoid", 5>,
    I32EnumAttrCase<"silu", 6>]> {
  let cppNamespace = "::mlir::heed";
  let genSpecializedAttr = 0;
}
def Heed_ActivationAttr : EnumAttr<Heed_Dialect, Heed_Activation, "activation">;

def Heed_CompareKind : I32EnumAttr<"CompareKind", "comparison predicate", [
    I32EnumAttrCase<"eq", 0>, I32EnumAttrCase<"ne", 1>,
    I32EnumAttrCase<"lt", 2>, I32EnumAttrCase<"le", 3>,
    I32EnumAttrCase<"gt", 4>, I32EnumAttrCase<"ge", 5>]> {
  let cppNamespace = "::mlir::heed";
  let genSpecializedAttr = 0;
}
def Heed_CompareKindAttr : EnumAttr<Heed_Dialect, Heed_CompareKind, "compare">;

def Heed_ReduceKind : I32EnumAttr<"ReduceKind", "reduction", [
    I32EnumAttrCase<"sum", 0>, I32EnumAttrCase<"mean", 1>,
    I32EnumAttrCase<"max", 2>, I32EnumAttrCase<"min", 3>,
    I32EnumAttrCase<"prod", 4>]> {
  let cppNamespace = "::mlir::heed";
  let genSpecializedAttr = 0;
}
def Heed_ReduceKindAttr : EnumAttr<Heed_Dialect, Heed_ReduceKind, "reduce">;

def Heed_GeluApprox : I32EnumAttr<"GeluApprox", "GELU approximation", [
    I32EnumAttrCase<"none", 0>, I32EnumAttrCase<"tanh", 1>]> {
  let cppNamespace = "::mlir::heed";
  let genSpecializedAttr = 0;
}
def Heed_GeluApproxAttr : EnumAttr<Heed_Dialect, Heed_GeluApprox, "gelu_approx">;

def Heed_RnnActivation : I32EnumAttr<"RnnActivation", "vanilla RNN activation", [
    I32EnumAttrCase<"tanh", 0>, I32EnumAttrCase<"relu", 1>]> {
  let cppNamespace = "::mlir::heed";
  let genSpecializedAttr = 0;
}
def Heed_RnnActivationAttr : EnumAttr<Heed_Dialect, Heed_RnnActivation, "rnn_activation">;

#endif // HEED_ATTRS_TD
