//===- HeedBuilders.cpp - Typed heed op construction for the frontends ----===//

#include "frontends/common/HeedBuilders.h"

#include "mlir/IR/Diagnostics.h"

using namespace mlir;
using namespace mlir::heed;
using namespace mlir::heed::frontend;

int64_t mlir::heed::frontend::gateCount(RecurrentKind kind) {
  switch (kind) {
  case RecurrentKind::rnn:
    return 1;
  case RecurrentKind::gru:
    return 3;
  case RecurrentKind::lstm:
    return 4;
  }
  return 1;
}

Operation *HeedBuilder::finish(OperationState &state, Infer infer) {
  if (capture)
    *capture = InferenceError();
  if (llvm::any_of(state.operands, [](Value v) { return !v; }))
    return nullptr;
  // Shape inference, then (on the built op) the ODS constraints inference does not look at: an
  // operand element type the op does not take (an int64 Abs) is a diagnostic at the op's
  // location here, not a failure of the whole module's verifier later.
  std::string why;
  auto run = [&](auto step) {
    if (!capture)
      return step();
    ScopedDiagnosticHandler handler(builder.getContext(), [&](Diagnostic &diag) {
      if (why.empty())
        why = diag.str();
      return success();
    });
    return step();
  };
  auto refuse = [&]() -> Operation * {
    if (capture)
      *capture = InferenceError{state.name.getStringRef().str(),
                                SmallVector<Type>(ValueRange(state.operands).getTypes()), why};
    return nullptr;
  };
  SmallVector<Type> types;
  if (failed(run([&] { return infer(types); })))
    return refuse();
  state.types.assign(types.begin(), types.end());
  Operation *op = builder.create(state);
  // The message names the op and its types; the generic form of the op would add nothing.
  MLIRContext *context = builder.getContext();
  bool printOp = context->shouldPrintOpOnDiagnostic();
  context->printOpOnDiagnostic(false);
  LogicalResult verified = run([&] { return op->getName().verifyInvariants(op); });
  context->printOpOnDiagnostic(printOp);
  if (failed(verified)) {
    op->erase();
    return refuse();
  }
  return op;
}

Operation *HeedBuilder::recurrent(Location loc, const RecurrentSpec &s) {
  FloatAttr clip = s.clip ? builder.getF64FloatAttr(*s.clip) : FloatAttr();
  switch (s.kind) {
  case RecurrentKind::lstm:
    return create<LstmOp>(loc, s.input, s.initialHidden, s.initialCell, s.lengths, s.weights,
                          s.hiddenSize, s.numLayers, s.bidirectional, s.batchFirst, s.hasBiases,
                          s.reverse, clip, s.peepholes, s.inputForget);
  case RecurrentKind::gru:
    return create<GruOp>(loc, s.input, s.initialHidden, s.lengths, s.weights, s.hiddenSize,
                         s.numLayers, s.bidirectional, s.batchFirst, s.hasBiases,
                         s.linearBeforeReset, s.reverse, clip);
  case RecurrentKind::rnn:
    return create<RnnOp>(loc, s.input, s.initialHidden, s.lengths, s.weights, s.hiddenSize,
                         s.numLayers, s.bidirectional, s.batchFirst, s.hasBiases, s.activation,
                         s.reverse, clip);
  }
  return nullptr;
}

Operation *HeedBuilder::cell(Location loc, const CellSpec &s) {
  switch (s.kind) {
  case RecurrentKind::lstm:
    return create<LstmCellOp>(loc, s.input, s.hidden, s.cell, s.wIh, s.wHh, s.biases);
  case RecurrentKind::gru:
    return create<GruCellOp>(loc, s.input, s.hidden, s.wIh, s.wHh, s.biases);
  case RecurrentKind::rnn:
    return create<RnnCellOp>(loc, s.input, s.hidden, s.wIh, s.wHh, s.biases, s.activation);
  }
  return nullptr;
}

AttentionOp HeedBuilder::attention(Location loc, const AttentionSpec &s) {
  return create<AttentionOp>(loc, s.query, s.key, s.value, s.mask,
                             APFloat(static_cast<float>(s.scale)), s.numHeads, s.numKvHeads,
                             s.maskKind, s.causalAlign, s.maskedRows, s.returnWeights,
                             /*mask_fill=*/FloatAttr());
}

AdditiveAttentionOp HeedBuilder::additiveAttention(Location loc, const AdditiveAttentionSpec &s) {
  return create<AdditiveAttentionOp>(loc, s.query, s.keysProj, s.values, s.wQuery, s.v, s.mask,
                                     s.maskKind, MaskedRows::zero, s.returnWeights,
                                     /*mask_fill=*/FloatAttr());
}
