//===- ElementwiseOps.cpp - Arithmetic, logic, comparisons, casts ---------===//
//
// ONNX's elementwise ops map one to one onto heed's (NumPy broadcasting in
// both); Max/Min fold their inputs left to right, Clip is a Max and a Min, integer Pow goes
// through f64.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/Importer.h"

using namespace mlir;
using namespace mlir::heed;
using namespace mlir::heed::onnx::detail;

template <typename OpTy> LogicalResult Importer::importUnary(const NodeProto &node) {
  return define(node, 0, op<OpTy>(input(node, 0)));
}

// Operands are read into locals first: reading one may build ops (a known
// value materialized), and they are built in input order.

template <typename OpTy> LogicalResult Importer::importBinary(const NodeProto &node) {
  Value lhs = input(node, 0), rhs = input(node, 1);
  return define(node, 0, op<OpTy>(lhs, rhs));
}

template <CompareKind kind> LogicalResult Importer::importCompare(const NodeProto &node) {
  Value lhs = input(node, 0), rhs = input(node, 1);
  return define(node, 0, compare(kind, lhs, rhs));
}

template <typename OpTy> LogicalResult Importer::importVariadic(const NodeProto &node) {
  Value acc = input(node, 0);
  for (int i = 1; i < node.input_size() && acc; ++i)
    acc = op<OpTy>(acc, input(node, i));
  return define(node, 0, acc);
}

LogicalResult Importer::importPow(const NodeProto &node) {
  Value x = input(node, 0), y = input(node, 1);
  if (!x || !y)
    return failure();
  Type et = cast<RankedTensorType>(x.getType()).getElementType();
  if (!isa<FloatType>(et)) {
    // Integer powers go through f64, exact for the results that fit.
    Value xd = castTo(x, builder.getF64Type()), yd = castTo(y, builder.getF64Type());
    Value p = op<PowOp>(xd, yd);
    return define(node, 0, castTo(p, et));
  }
  return define(node, 0, op<PowOp>(x, castTo(y, et)));
}

/// Clip as min(max(x, lo), hi), a missing bound left out: the bounds are optional inputs from
/// opset 11 on (torch's clamp of int64 relative positions), float attributes before. With
/// lo > hi every element is hi, as ONNX specifies.
LogicalResult Importer::importClip(const NodeProto &node) {
  Value x = input(node, 0);
  if (!x)
    return failure();
  Type et = cast<RankedTensorType>(x.getType()).getElementType();
  auto bound = [&](int i, StringRef name) -> Value {
    if (opset >= 11)
      return has(node, i) ? input(node, i) : Value();
    return attribute(node, name) ? scalarConstant(et, floatAttr(node, name, 0)) : Value();
  };
  Value lo = bound(1, "min"), hi = bound(2, "max");
  if (lo)
    x = op<MaxOp>(x, lo);
  if (x && hi)
    x = op<MinOp>(x, hi);
  return define(node, 0, x);
}

LogicalResult Importer::importIsInf(const NodeProto &node) {
  Value x = input(node, 0);
  return define(node, 0,
                op<IsInfOp>(x, intAttr(node, "detect_negative", 1) != 0,
                            intAttr(node, "detect_positive", 1) != 0));
}

LogicalResult Importer::importIdentity(const NodeProto &node) {
  return define(node, 0, input(node, 0));
}

LogicalResult Importer::importWhere(const NodeProto &node) {
  Value condition = input(node, 0), x = input(node, 1), y = input(node, 2);
  return define(node, 0, op<WhereOp>(condition, x, y));
}

LogicalResult Importer::importCast(const NodeProto &node) {
  FailureOr<Type> to = elementType(intAttr(node, "to", 0), "Cast's 'to'");
  if (failed(to))
    return failure();
  return define(node, 0, castTo(input(node, 0), *to));
}

void mlir::heed::onnx::detail::registerElementwiseOps(OpTable &t) {
  t.add("Add", &Importer::importBinary<AddOp>, 2);
  t.add("Sub", &Importer::importBinary<SubOp>, 2);
  t.add("Mul", &Importer::importBinary<MulOp>, 2);
  t.add("Div", &Importer::importBinary<DivOp>, 2);
  t.add("Max", &Importer::importVariadic<MaxOp>, OpImport::kAllInputs);
  t.add("Min", &Importer::importVariadic<MinOp>, OpImport::kAllInputs);
  t.add("Pow", &Importer::importPow, 2);
  t.add("And", &Importer::importBinary<AndOp>, 2);
  t.add("Or", &Importer::importBinary<OrOp>, 2);
  t.add("Equal", &Importer::importCompare<CompareKind::eq>, 2);
  t.add("Less", &Importer::importCompare<CompareKind::lt>, 2);
  t.add("LessOrEqual", &Importer::importCompare<CompareKind::le>, 2);
  t.add("Greater", &Importer::importCompare<CompareKind::gt>, 2);
  t.add("GreaterOrEqual", &Importer::importCompare<CompareKind::ge>, 2);
  t.add("Sqrt", &Importer::importUnary<SqrtOp>);
  t.add("Tanh", &Importer::importUnary<TanhOp>);
  t.add("Sigmoid", &Importer::importUnary<SigmoidOp>);
  t.add("Relu", &Importer::importUnary<ReluOp>);
  t.add("Erf", &Importer::importUnary<ErfOp>);
  t.add("Exp", &Importer::importUnary<ExpOp>);
  t.add("Floor", &Importer::importUnary<FloorOp>);
  t.add("Ceil", &Importer::importUnary<CeilOp>);
  t.add("Round", &Importer::importUnary<RoundOp>);
  t.add("Log", &Importer::importUnary<LogOp>);
  t.add("Neg", &Importer::importUnary<NegOp>);
  t.add("Abs", &Importer::importUnary<AbsOp>);
  t.add("Sign", &Importer::importUnary<SignOp>);
  t.add("IsNaN", &Importer::importUnary<IsNanOp>);
  t.add("IsInf", &Importer::importIsInf);
  t.add("Clip", &Importer::importClip);
  t.add("Reciprocal", &Importer::importUnary<ReciprocalOp>);
  t.add("Not", &Importer::importUnary<NotOp>);
  t.add("Identity", &Importer::importIdentity);
  t.add("Where", &Importer::importWhere, 3);
  t.add("Cast", &Importer::importCast);
}
