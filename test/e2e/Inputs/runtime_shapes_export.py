#!/usr/bin/python3
"""Models whose result shapes come from tensor values known only at run time, with reference
outputs from PyTorch 1.13 or numpy for two different run-time shapes each (run.0, run.1), so one
compiled module is checked at both.

PyTorch spellings (torch.onnx.export with dynamic axes):
  pe       x + pe[:x.size(0)]              (the PyTorch Transformer tutorial: dynamic Slice ends)
  pe_step  x + pe[p:p + 1], p = past.size(1) (dynamic Slice starts)
  swin     x.reshape(-1, 4, 16).sum(1).reshape(B, L, 16)   (dynamic Reshape)
  expand   x.expand(y.size(0), -1, -1)     (Expand(x, Where(Equal(shape, -1), 1, shape)))
  repeat   x.repeat(2, y.size(0), 1)       (Tile with repeats from a dim)
  repeat_interleave  torch.repeat_interleave(x, 2, dim=1) with a dynamic batch (Expand shapes
           computed from tensors: read back at run time)
ONNX graphs whose shape operands are graph inputs (numpy references):
  reshape_input  Reshape(x, shape)          0 copies, -1 infers
  slice_input    Slice(x, starts, ends, [0, 1], steps)   clamping, negative steps
  reshape_device Reshape(2 x, shape * [1, 1, 1]) + 1: the shape is computed on the device
  tile_input     Tile(x, repeats)           zero and non-zero repeats
  fill_input     ConstantOfShape(shape) + Range(start, limit, delta) (broadcast together)

usage: runtime_shapes_export.py OUT_DIR
"""
import os
import sys

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
torch.manual_seed(0)
rng = np.random.default_rng(0)


def save_run(name, run, inputs, outputs):
    for i, a in enumerate(inputs):
        np.save(os.path.join(out, f"{name}.run{run}.in{i}.npy"), a)
    for i, a in enumerate(outputs):
        np.save(os.path.join(out, f"{name}.run{run}.out{i}.npy"), a)


def export_torch(name, model, example, names, axes, runs):
    torch.onnx.export(model, tuple(example), os.path.join(out, f"{name}.onnx"), opset_version=14,
                      input_names=names, dynamic_axes=axes)
    for run, shapes in enumerate(runs):
        xs = [torch.randn(*s) for s in shapes]
        with torch.no_grad():
            y = model(*xs)
        save_run(name, run, [x.numpy() for x in xs], [y.numpy()])


class PositionalEncoding(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.pe = torch.randn(50, 1, 8)

    def forward(self, x):
        return x + self.pe[:x.size(0)]


class PositionStep(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.pe = torch.randn(50, 8)

    def forward(self, x, past):
        p = past.size(1)
        return x + self.pe[p:p + 1]


class WindowMerge(torch.nn.Module):
    def forward(self, x):
        b, l = x.size(0), x.size(1)
        return x.reshape(-1, 4, 16).sum(1).reshape(b, l, 16)


export_torch("pe", PositionalEncoding(), [torch.randn(7, 2, 8)], ["x"], {"x": {0: "S", 1: "B"}},
             [[(7, 2, 8)], [(3, 1, 8)]])
export_torch("pe_step", PositionStep(), [torch.randn(2, 1, 8), torch.randn(2, 5, 8)],
             ["x", "past"], {"x": {0: "B"}, "past": {0: "B", 1: "P"}},
             [[(2, 1, 8), (2, 5, 8)], [(3, 1, 8), (3, 11, 8)]])
class Expand(torch.nn.Module):
    def forward(self, x, y):
        return x.expand(y.size(0), -1, -1)


class Repeat(torch.nn.Module):
    def forward(self, x, y):
        return x.repeat(2, y.size(0), 1)


export_torch("expand", Expand(), [torch.randn(1, 3, 4), torch.randn(5)], ["x", "y"],
             {"y": {0: "N"}}, [[(1, 3, 4), (5,)], [(1, 3, 4), (2,)]])
export_torch("repeat", Repeat(), [torch.randn(2, 3, 4), torch.randn(5)], ["x", "y"],
             {"x": {0: "A", 1: "B"}, "y": {0: "N"}}, [[(2, 3, 4), (3,)], [(1, 2, 4), (1,)]])
class RepeatInterleave(torch.nn.Module):
    def forward(self, x):
        return torch.repeat_interleave(x, 2, dim=1)


export_torch("repeat_interleave", RepeatInterleave(), [torch.randn(2, 3, 4)], ["x"],
             {"x": {0: "B"}}, [[(2, 3, 4)], [(1, 3, 4)]])
export_torch("swin", WindowMerge(), [torch.randn(2, 3, 4, 16)], ["x"], {"x": {0: "B", 1: "L"}},
             [[(2, 3, 4, 16)], [(1, 5, 4, 16)]])


def save_onnx(name, nodes, inputs, outputs, initializers=()):
    graph = helper.make_graph(nodes, name, inputs, outputs, list(initializers))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(out, f"{name}.onnx"))


def f32(name, dims):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, dims)


def i64(name, dims):
    return helper.make_tensor_value_info(name, TensorProto.INT64, dims)


def ints(*v):
    return np.array(v, dtype=np.int64)


def randn(*shape):
    return rng.standard_normal(shape).astype(np.float32)


def onnx_reshape(x, shape):
    shape = [x.shape[i] if d == 0 else d for i, d in enumerate(shape)]
    return x.reshape(shape)


save_onnx("reshape_input", [helper.make_node("Reshape", ["x", "shape"], ["y"])],
          [f32("x", ["A", "B", 4]), i64("shape", [3])], [f32("y", ["Y0", "Y1", "Y2"])])
for run, (x, s) in enumerate([(randn(2, 3, 4), ints(0, -1, 2)), (randn(1, 5, 4), ints(5, 4, 1))]):
    save_run("reshape_input", run, [x, s], [onnx_reshape(x, s)])

axes = helper.make_tensor("axes", TensorProto.INT64, [2], [0, 1])
save_onnx("slice_input", [helper.make_node("Slice", ["x", "starts", "ends", "axes", "steps"], ["y"])],
          [f32("x", ["A", "B"]), i64("starts", [2]), i64("ends", [2]), i64("steps", [2])],
          [f32("y", ["Y0", "Y1"])], [axes])
for run, (x, s, e, st) in enumerate([
        (randn(6, 7), ints(1, -1), ints(100, -100), ints(2, -2)),
        (randn(4, 9), ints(-3, 8), ints(-1, 2), ints(1, -3))]):
    save_run("slice_input", run, [x, s, e, st], [x[s[0]:e[0]:st[0], s[1]:e[1]:st[1]]])

one = helper.make_tensor("one", TensorProto.INT64, [3], [1, 1, 1])
two = helper.make_tensor("two", TensorProto.FLOAT, [], [2.0])
inc = helper.make_tensor("inc", TensorProto.FLOAT, [], [1.0])
save_onnx("reshape_device", [
    helper.make_node("Mul", ["shape", "one"], ["s"]),
    helper.make_node("Mul", ["x", "two"], ["x2"]),
    helper.make_node("Reshape", ["x2", "s"], ["r"]),
    helper.make_node("Add", ["r", "inc"], ["y"])],
    [f32("x", ["A", "B"]), i64("shape", [3])], [f32("y", ["Y0", "Y1", "Y2"])], [one, two, inc])
for run, (x, s) in enumerate([(randn(4, 6), ints(2, -1, 3)), (randn(3, 2), ints(0, 1, 2))]):
    save_run("reshape_device", run, [x, s], [onnx_reshape(x * 2, s) + 1])

save_onnx("tile_input", [helper.make_node("Tile", ["x", "repeats"], ["y"])],
          [f32("x", ["A", "B"]), i64("repeats", [2])], [f32("y", ["Y0", "Y1"])])
for run, (x, r) in enumerate([(randn(2, 3), ints(2, 3)), (randn(4, 1), ints(0, 5))]):
    save_run("tile_input", run, [x, r], [np.tile(x, r)])

save_onnx("fill_input", [
    helper.make_node("ConstantOfShape", ["shape"], ["c"],
                     value=helper.make_tensor("v", TensorProto.INT64, [1], [7])),
    helper.make_node("Range", ["start", "limit", "delta"], ["r"]),
    helper.make_node("Add", ["c", "r"], ["y"])],
    [i64("shape", [2]), i64("start", []), i64("limit", []), i64("delta", [])],
    [i64("y", ["Y0", "Y1"])])
for run, (shape, start, limit, delta) in enumerate([(ints(3, 4), 2, 10, 2), (ints(2, 3), 5, -1, -2)]):
    ins = [shape] + [np.array(v, dtype=np.int64) for v in (start, limit, delta)]
    save_run("fill_input", run, ins, [np.full(shape, 7, dtype=np.int64) +
                                      np.arange(start, limit, delta, dtype=np.int64)])
