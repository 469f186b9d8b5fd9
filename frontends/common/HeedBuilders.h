//===- HeedBuilders.h - Typed heed op construction for the frontends -*- C++ -*-===//
//
// What the .heed frontend and the ONNX importer both need to build heed IR:
// ops made with their ODS-generated typed builders whose result types the
// op's own shape inference gives (so what a frontend emits verifies by
// construction, and a shape error is a diagnostic, never a crash), and the
// recurrent (rnn/gru/lstm and their cells) and attention ops built in one
// place from a description of what the model asks for.
//
//===----------------------------------------------------------------------===//

#ifndef HEED_FRONTENDS_COMMON_HEEDBUILDERS_H
#define HEED_FRONTENDS_COMMON_HEEDBUILDERS_H

#include "dialects/heed/IR/HeedOps.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/STLFunctionalExtras.h"

#include <optional>
#include <string>

namespace mlir::heed::frontend {

/// Why an op's shape inference refused what it was given.
struct InferenceError {
  std::string opName;             // "heed.lstm"
  SmallVector<Type> operandTypes; // as given
  std::string message;            // the op's first diagnostic ("" if none)
};

namespace detail {
/// The results an op declares at the least: the placeholder result types
/// its typed builder checks before inference replaces them.
template <typename OpTy> constexpr unsigned minResults() {
  if constexpr (OpTy::template hasTrait<OpTrait::OneResult>())
    return 1;
  else if constexpr (OpTy::template hasTrait<OpTrait::NResults<2>::Impl>())
    return 2;
  else if constexpr (OpTy::template hasTrait<OpTrait::NResults<3>::Impl>())
    return 3;
  else if constexpr (OpTy::template hasTrait<OpTrait::AtLeastNResults<1>::Impl>())
    return 1;
  else
    return 0;
}
} // namespace detail

/// The three recurrent families; the gates each has: 1, 3, 4.
enum class RecurrentKind { rnn, gru, lstm };
int64_t gateCount(RecurrentKind kind);

/// heed.rnn / heed.gru / heed.lstm over a whole sequence (HeedOps.td).
struct RecurrentSpec {
  RecurrentKind kind = RecurrentKind::lstm;
  Value input;
  Value initialHidden, initialCell, lengths; // optional; initialCell: lstm only
  ValueRange weights;                        // PyTorch's flat order
  int64_t hiddenSize = 0, numLayers = 1;
  bool bidirectional = false, batchFirst = false, hasBiases = true, reverse = false;
  std::optional<double> clip;
  bool peepholes = false, inputForget = false;    // lstm
  bool linearBeforeReset = true;                  // gru
  RnnActivation activation = RnnActivation::tanh; // rnn
};

/// heed.rnn_cell / heed.gru_cell / heed.lstm_cell: one step.
struct CellSpec {
  RecurrentKind kind = RecurrentKind::lstm;
  Value input, hidden, cell; // cell: lstm only
  Value wIh, wHh;
  ValueRange biases;                              // none, or b_ih and b_hh
  RnnActivation activation = RnnActivation::tanh; // rnn
};

/// heed.attention.
struct AttentionSpec {
  Value query, key, value, mask; // mask: optional
  double scale = 1.0;
  int64_t numHeads = 0, numKvHeads = 0;
  MaskKind maskKind = MaskKind::none;
  CausalAlign causalAlign = CausalAlign::top_left;
  MaskedRows maskedRows = MaskedRows::zero;
  bool returnWeights = false;
};

/// heed.additive_attention.
struct AdditiveAttentionSpec {
  Value query, keysProj, values, wQuery, v, mask; // mask: optional
  MaskKind maskKind = MaskKind::none;
  bool returnWeights = false;
};

/// Builds heed ops at an OpBuilder's insertion point. An op whose shape
/// inference fails is not built: its message goes to the context's
/// diagnostic handlers at the op's location (the ONNX importer), or, with
/// `capture`, into *capture for the frontend to word in the model's terms (the
/// .heed frontend; every build resets it). An op given a null operand where
/// one is required (an earlier step failed and reported) is not built either,
/// silently: every builder here returns null then.
class HeedBuilder {
public:
  explicit HeedBuilder(OpBuilder &builder, InferenceError *capture = nullptr)
      : builder(builder), capture(capture) {}

  /// OpTy built with its typed ODS builder, minus the result types:
  /// create<LinearOp>(loc, x, w, bias, /*transpose_weight=*/true).
  template <typename OpTy, typename... Args> OpTy create(Location loc, Args &&...args) {
    OperationState state(loc, OpTy::getOperationName());
    SmallVector<Type, 3> placeholders(detail::minResults<OpTy>(), builder.getNoneType());
    OpTy::build(builder, state, TypeRange(placeholders), std::forward<Args>(args)...);
    return cast_or_null<OpTy>(finish(state, [&](SmallVectorImpl<Type> &types) {
      return OpTy::inferReturnTypes(builder.getContext(), state.location, state.operands,
                                    state.attributes.getDictionary(builder.getContext()),
                                    state.getRawProperties(), state.regions, types);
    }));
  }

  /// The first result of create<OpTy>(...), or null.
  template <typename OpTy, typename... Args> Value value(Location loc, Args &&...args) {
    Operation *op = create<OpTy>(loc, std::forward<Args>(args)...);
    return op ? op->getResult(0) : Value();
  }

  // The ops both frontends build. Results as the ops declare them.
  Operation *recurrent(Location loc, const RecurrentSpec &spec);
  Operation *cell(Location loc, const CellSpec &spec);
  AttentionOp attention(Location loc, const AttentionSpec &spec);
  AdditiveAttentionOp additiveAttention(Location loc, const AdditiveAttentionSpec &spec);

  OpBuilder &builder;

private:
  using Infer = llvm::function_ref<LogicalResult(SmallVectorImpl<Type> &)>;
  /// Infers the result types of `state` and builds it; null on failure.
  Operation *finish(OperationState &state, Infer infer);

  InferenceError *capture;
};

} // namespace mlir::heed::frontend

#endif // HEED_FRONTENDS_COMMON_HEEDBUILDERS_H
