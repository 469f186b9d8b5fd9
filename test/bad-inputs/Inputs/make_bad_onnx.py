#!/usr/bin/python3
"""Writes the hostile ONNX models of the bad-input suite into OUTDIR (lit's %t): the model-file
classes (docs/reliability.md) that test/Frontends/onnx/errors.test does not already hold: a file
over protobuf's 2 GiB limit, dims of exactly 2^31 and 2^63 - 1, negative graph dims, graph inputs
and initializers defined twice, Reshape 0 past the rank and allowzero with -1, Reshape target
dims whose product overflows, Split sizes that overflow, exceed the dim or num_outputs 0,
one-element inputs given empty (Trilu k, Dropout training_mode, ConstantOfShape value), an
undefined graph output, control bytes in names; plus valid models that are hostile at run time (Gather indices
from an input, zero-size dims). The 2 GiB file is sparse: it takes no disk space.
Usage: make_bad_onnx.py OUTDIR"""
import os
import sys

import numpy as np
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh

OUT = sys.argv[1]
os.makedirs(OUT, exist_ok=True)
F = T.FLOAT
N = h.make_node


def save(name, nodes, inputs, outputs, inits=(), opset=17):
    graph = h.make_graph(nodes, name, inputs, outputs, list(inits))
    model = h.make_model(graph, opset_imports=[h.make_opsetid("", opset)])
    model.ir_version = 8
    with open(os.path.join(OUT, name + ".onnx"), "wb") as f:
        f.write(model.SerializeToString())


def vi(name, dtype, shape):
    return h.make_tensor_value_info(name, dtype, shape)


def relu(name, shape):
    save(name, [N("Relu", ["x"], ["y"], name="relu")], [vi("x", F, shape)], [vi("y", F, None)])


# Over 2 GiB: protobuf cannot parse it at all. 2^31 + 1 bytes (not a multiple of the page size,
# so the tools map the file instead of reading it), all holes.
with open(os.path.join(OUT, "over_2gib.onnx"), "wb") as f:
    f.truncate(2**31 + 1)

# Dims on the edges of the importer's limit (2^31 - 1) and of int64.
relu("input_dim_2_31", [2**31, 4])
relu("input_dim_2_63", [2**63 - 1])
relu("input_dim_negative", [-3, 4])


def dims_only(name, dims):
    """An initializer that claims `dims` and holds no data: the importer must check dims first."""
    t = T()
    t.name, t.data_type = name, F
    t.dims.extend(dims)
    return t


big = dims_only("w", [2**31])
save("init_dim_2_31", [N("Add", ["x", "w"], ["y"], name="add")], [vi("x", F, [1])],
     [vi("y", F, None)], [big])
huge = dims_only("w", [2**63 - 1, 1])
save("init_dim_2_63", [N("Add", ["x", "w"], ["y"], name="add")], [vi("x", F, [1])],
     [vi("y", F, None)], [huge])

# Names defined twice at graph level (errors.test holds a node output defined twice).
save("duplicate_input", [N("Add", ["x", "x"], ["y"], name="add")],
     [vi("x", F, [2]), vi("x", F, [2])], [vi("y", F, None)])
one = nh.from_array(np.ones([2], np.float32), "w")
save("duplicate_initializer", [N("Add", ["x", "w"], ["y"], name="add")], [vi("x", F, [2])],
     [vi("y", F, None)], [one, one])

# Reshape: 0 (copy the input's dim) past the input's rank; allowzero=1 with both 0 and -1.
save("reshape_copy_past_rank", [N("Reshape", ["x", "s"], ["y"], name="reshape")],
     [vi("x", F, [6])], [vi("y", F, None)], [nh.from_array(np.array([2, 0, 3], np.int64), "s")])
save("reshape_allowzero_minus_one", [N("Reshape", ["x", "s"], ["y"], name="reshape", allowzero=1)],
     [vi("x", F, [6])], [vi("y", F, None)], [nh.from_array(np.array([0, -1], np.int64), "s")],
     opset=14)

# A dynamic Reshape whose static target dims multiply past int64 (fuzz-onnx found the overflow:
# test/fuzz/regressions/fuzz-onnx/ubsan-reshape-product-overflow). The target swaps B and S, so
# the importer compares element counts segment by segment.
i64 = lambda name, v: nh.from_array(np.array(v, np.int64), name)
save("reshape_product_overflow", [
    N("Shape", ["x"], ["shape"], name="shape"),
    N("Gather", ["shape", "i0"], ["b"], axis=0, name="gather_b"),
    N("Gather", ["shape", "i1"], ["s"], axis=0, name="gather_s"),
    N("Unsqueeze", ["b", "ax0"], ["bu"], name="unsq_b"),
    N("Unsqueeze", ["s", "ax0"], ["su"], name="unsq_s"),
    N("Concat", ["su", "bu", "huge"], ["tgt"], axis=0, name="concat"),
    N("Reshape", ["x", "tgt"], ["y"], name="reshape_heads"),
], [vi("x", F, ["B", "S", 8])], [vi("y", F, None)],
   [i64("i0", 0), i64("i1", 1), i64("ax0", [0]), i64("huge", [2**42, 2**42])])

# Split sizes that add up past int64 (fuzz-onnx: regressions/fuzz-onnx/ubsan-split-size-overflow),
# and num_outputs 0 (a division by zero before the check).
save("split_sizes_overflow", [N("Split", ["x", "sizes"], ["a", "b"], axis=0, name="split")],
     [vi("x", F, [4])], [vi("a", F, None), vi("b", F, None)], [i64("sizes", [2**62, 2**62])],
     opset=13)
save("split_num_outputs_zero", [N("Split", ["x"], ["a", "b"], axis=0, num_outputs=0, name="split")],
     [vi("x", F, [4])], [vi("a", F, None), vi("b", F, None)], opset=18)

# Split sizes that add up to more than the dim (slicing would clamp the last part to nothing)
# or to less (the tail would be dropped): ONNX wants exactly the dim.
save("split_sizes_beyond_dim", [N("Split", ["x", "sizes"], ["a", "b"], axis=0, name="split")],
     [vi("x", F, [4])], [vi("a", F, None), vi("b", F, None)], [i64("sizes", [3, 3])], opset=13)
save("split_sizes_below_dim", [N("Split", ["x", "sizes"], ["a", "b"], axis=0, name="split")],
     [vi("x", F, [4])], [vi("a", F, None), vi("b", F, None)], [i64("sizes", [1, 2])], opset=13)

# One-element inputs and attributes given with no element (the importer read element 0).
save("trilu_empty_k", [N("Trilu", ["x", "k"], ["y"], name="trilu")], [vi("x", F, [2, 2])],
     [vi("y", F, None)], [i64("k", [])], opset=14)
save("dropout_empty_training", [N("Dropout", ["x", "", "training"], ["y"], name="dropout")],
     [vi("x", F, [2])], [vi("y", F, None)], [nh.from_array(np.zeros([0], bool), "training")],
     opset=13)
save("constant_of_shape_empty_value",
     [N("ConstantOfShape", ["shape"], ["y"], name="fill", value=i64("v", []))], [],
     [vi("y", T.INT64, None)], [i64("shape", [2])])
# A constant shape of almost 2^62 elements: refused by the compile-time size limit before the splat is
# expanded (issue 20, item 6).
save("constant_of_shape_huge",
     [N("ConstantOfShape", ["shape"], ["y"], name="fill", value=i64("v", [1]))], [],
     [vi("y", T.INT64, None)], [i64("shape", [2147483647, 2147483647])])

# Split sizes on a dynamic dim: checked when the model runs (bad-inputs/onnx.test feeds 5 rows
# where the sizes add up to 4, and 4 rows, which must work).
save("split_sizes_dynamic_dim", [N("Split", ["x", "sizes"], ["a", "b"], axis=0, name="split")],
     [vi("x", F, ["n", 2])], [vi("a", F, None), vi("b", F, None)], [i64("sizes", [1, 3])],
     opset=13)

# Dropout in training mode on a value the importer knows at import time (a shape): folding it
# as Identity skipped the training-mode refusal.
save("dropout_training_known_input",
     [N("Shape", ["x"], ["s"]), N("Dropout", ["s", "ratio", "training"], ["y"], name="dropout")],
     [vi("x", F, [2, 3])], [vi("y", T.INT64, None)],
     [nh.from_array(np.array(0.5, np.float32), "ratio"),
      nh.from_array(np.array(True), "training")], opset=13)

# A graph output that nothing defines (no nodes at all).
save("undefined_output", [], [vi("x", F, [2])], [vi("nothing", F, [2])])

# Names are bytes: an escape sequence (clear screen) and a NUL in a node name must reach the
# message escaped.
save("control_name", [N("FancyOp", ["x"], ["y"], name="a\x1b[2Jb\x00c")], [vi("x", F, [2])],
     [vi("y", F, None)])

# Valid models whose inputs are hostile at run time.
emb = nh.from_array(np.arange(20, dtype=np.float32).reshape(10, 2), "emb")
save("gather_dynamic", [N("Gather", ["emb", "ids"], ["y"], axis=0, name="Gather_ids")],
     [vi("ids", T.INT64, ["n"])], [vi("y", F, None)], [emb])
save("zero_size", [N("Relu", ["x"], ["r"], name="relu"),
                   N("ReduceSum", ["r", "axes"], ["y"], name="sum", keepdims=0)],
     [vi("x", F, ["b", 3])], [vi("y", F, None)], [nh.from_array(np.array([0], np.int64), "axes")])
