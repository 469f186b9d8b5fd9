#!/usr/bin/python3
"""ONNX graphs whose axes, sizes and counts are graph inputs, so they are known only when the
function runs, with numpy references for two different run-time values each (run0, run1): one
compiled module is checked at both.

  unsqueeze   Unsqueeze(x, axes)                   axes [0, 3], then [-1, 1] (unsorted, negative)
  squeeze     Squeeze(x, axes), x [A, B, C]         x 1x3x4 axes [0], then x 3x4x1 axes [-1]
  reduce_sum  ReduceSum(x, axes, keepdims=0)        axes [0, 2], then [-1, 1]
  reduce_max  ReduceMax(x, axes, keepdims=1), opset 18 (axes as an input)
  slice_axes  Slice(x, starts, ends, axes, steps)   axes [0, 2] forwards, then [-1, 1] backwards
  split       Split(x, split) into 3, x [N]          sizes [1, 2, 3], then [0, 5, 0]
  top_k       TopK(x, k)                             k 2, then 5 (the whole axis)
  cumsum      CumSum(x, axis)                        axis 0, then -1
  range_float Range(start, limit, delta) in f32      1, 5, 2, then 0.5, -1, -0.25
  dropout     Dropout(x, ratio, training_mode)        the identity and an all-true mask: inference
                                                   with ratio 0.5, then training with ratio 0

usage: runtime_axes_models.py OUT_DIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(0)
F, I64, BOOL = TensorProto.FLOAT, TensorProto.INT64, TensorProto.BOOL


def tensor(name, elem, shape):
    return helper.make_tensor_value_info(name, elem, shape)


def save(name, nodes, inputs, outputs, runs, opset=13):
    graph = helper.make_graph(nodes, name, inputs, outputs)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    onnx.save(model, os.path.join(out, name + ".onnx"))
    for run, (ins, outs) in enumerate(runs):
        for i, a in enumerate(ins):
            np.save(os.path.join(out, f"{name}.run{run}.in{i}.npy"), a)
        for i, a in enumerate(outs):
            np.save(os.path.join(out, f"{name}.run{run}.out{i}.npy"), a)


def f32(*shape):
    return rng.standard_normal(shape).astype(np.float32)


def i64(*values):
    return np.array(values, dtype=np.int64)


# Unsqueeze: numpy inserts the axes in increasing order, as ONNX defines it.
x = f32(3, 4)
save("unsqueeze", [helper.make_node("Unsqueeze", ["x", "axes"], ["y"])],
     [tensor("x", F, [3, 4]), tensor("axes", I64, [2])], [tensor("y", F, None)],
     [([x, i64(0, 3)], [np.expand_dims(x, (0, 3))]),
      ([x, i64(-1, 1)], [np.expand_dims(x, (1, 3))])])

x0, x1 = f32(1, 3, 4), f32(3, 4, 1)
save("squeeze", [helper.make_node("Squeeze", ["x", "axes"], ["y"])],
     [tensor("x", F, ["A", "B", "C"]), tensor("axes", I64, [1])], [tensor("y", F, None)],
     [([x0, i64(0)], [np.squeeze(x0, 0)]), ([x1, i64(-1)], [np.squeeze(x1, 2)])])

x = f32(2, 3, 4)
save("reduce_sum", [helper.make_node("ReduceSum", ["x", "axes"], ["y"], keepdims=0)],
     [tensor("x", F, [2, 3, 4]), tensor("axes", I64, [2])], [tensor("y", F, None)],
     [([x, i64(0, 2)], [x.sum(axis=(0, 2))]), ([x, i64(-1, 1)], [x.sum(axis=(1, 2))])])
save("reduce_max", [helper.make_node("ReduceMax", ["x", "axes"], ["y"], keepdims=1)],
     [tensor("x", F, [2, 3, 4]), tensor("axes", I64, [1])], [tensor("y", F, None)],
     [([x, i64(1)], [x.max(axis=1, keepdims=True)]),
      ([x, i64(-3)], [x.max(axis=0, keepdims=True)])], opset=18)

x = f32(4, 5, 6)
save("slice_axes",
     [helper.make_node("Slice", ["x", "starts", "ends", "axes", "steps"], ["y"])],
     [tensor("x", F, [4, 5, 6]), tensor("starts", I64, [2]), tensor("ends", I64, [2]),
      tensor("axes", I64, [2]), tensor("steps", I64, [2])], [tensor("y", F, None)],
     [([x, i64(1, 0), i64(3, 6), i64(0, 2), i64(1, 2)], [x[1:3, :, 0:6:2]]),
      ([x, i64(-1, 4), i64(-7, 0), i64(-1, 1), i64(-1, -2)], [x[:, 4:0:-2, -1::-1]])])

x0, x1 = f32(6), f32(5)
save("split", [helper.make_node("Split", ["x", "split"], ["a", "b", "c"])],
     [tensor("x", F, ["N"]), tensor("split", I64, [3])],
     [tensor("a", F, None), tensor("b", F, None), tensor("c", F, None)],
     [([x0, i64(1, 2, 3)], [x0[:1], x0[1:3], x0[3:]]),
      ([x1, i64(0, 5, 0)], [x1[:0], x1, x1[5:]])])

# Distinct values: TopK's order is then unique.
x = rng.permutation(15).reshape(3, 5).astype(np.float32)
order = np.argsort(-x, axis=1, kind="stable")
save("top_k", [helper.make_node("TopK", ["x", "k"], ["values", "indices"], axis=1)],
     [tensor("x", F, [3, 5]), tensor("k", I64, [1])],
     [tensor("values", F, None), tensor("indices", I64, None)],
     [([x, i64(k)], [np.take_along_axis(x, order[:, :k], 1), order[:, :k].astype(np.int64)])
      for k in (2, 5)])


x = f32(3, 4)
save("cumsum", [helper.make_node("CumSum", ["x", "axis"], ["y"])],
     [tensor("x", F, [3, 4]), tensor("axis", I64, [])], [tensor("y", F, None)],
     [([x, np.array(a, dtype=np.int64)], [np.cumsum(x, axis=a)]) for a in (0, -1)])

def scalar(v):
    return np.array(v, dtype=np.float32)


save("range_float", [helper.make_node("Range", ["start", "limit", "delta"], ["y"])],
     [tensor("start", F, []), tensor("limit", F, []), tensor("delta", F, [])],
     [tensor("y", F, None)],
     [([scalar(s), scalar(l), scalar(d)], [np.arange(s, l, d, dtype=np.float32)])
      for s, l, d in ((1, 5, 2), (0.5, -1, -0.25))])

x = f32(3, 4)
save("dropout", [helper.make_node("Dropout", ["x", "ratio", "training_mode"], ["y", "mask"])],
     [tensor("x", F, [3, 4]), tensor("ratio", F, []), tensor("training_mode", BOOL, [])],
     [tensor("y", F, [3, 4]), tensor("mask", BOOL, [3, 4])],
     [([x, scalar(r), np.array(t)], [x, np.ones((3, 4), bool)])
      for r, t in ((0.5, False), (0.0, True))])
# training_mode true, for test/bad-inputs/runtime-axes.test.
np.save(os.path.join(out, "train.npy"), np.array(True))
