//===- OpKinds.h - The plan op kinds a module may contain -----------------===//
//
// One list for the writer (compiler/targets), which refuses any other op, and
// the loader, which refuses any other kind. Order is not part of the format
// (plans name kinds by string).
//
//===----------------------------------------------------------------------===//

#ifndef HEED_RUNTIME_MODULE_OPKINDS_H
#define HEED_RUNTIME_MODULE_OPKINDS_H

namespace heed::format {

inline constexpr const char *kOpKinds[] = {
    // index arithmetic
    "arith.constant", "arith.addi", "arith.subi", "arith.muli", "arith.divsi", "arith.divui",
    "arith.remsi", "arith.remui", "arith.ceildivsi", "arith.floordivsi", "arith.maxsi",
    "arith.minsi", "arith.index_cast", "arith.cmpi", "arith.select",
    // values
    "heed.constant", "heed.weight", "heed.dim", "heed.full", "heed.range",
    // elementwise
    "heed.abs", "heed.erf", "heed.exp", "heed.log", "heed.neg", "heed.reciprocal", "heed.relu",
    "heed.rsqrt", "heed.sigmoid", "heed.sqrt", "heed.tanh", "heed.gelu", "heed.not", "heed.cast",
    "heed.add", "heed.sub", "heed.mul", "heed.div", "heed.max", "heed.min", "heed.pow", "heed.and",
    "heed.or", "heed.compare", "heed.where",
    // normalization, linear algebra
    "heed.softmax", "heed.log_softmax", "heed.layer_norm", "heed.matmul", "heed.linear",
    // data movement
    "heed.reshape", "heed.transpose", "heed.concat", "heed.slice", "heed.broadcast", "heed.gather",
    "heed.embedding",
    // masks, positions, reductions
    "heed.sequence_mask", "heed.causal_mask", "heed.sinusoidal_positions", "heed.reduce",
    "heed.argmax", "heed.top_k",
    // recurrent
    "heed.rnn_cell", "heed.gru_cell", "heed.lstm_cell", "heed.rnn", "heed.gru", "heed.lstm",
    // attention, loops
    "heed.attention", "heed.additive_attention", "heed.scan"};

} // namespace heed::format

#endif // HEED_RUNTIME_MODULE_OPKINDS_H
