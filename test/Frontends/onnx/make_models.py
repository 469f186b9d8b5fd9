#!/usr/bin/python3
"""Builds the small ONNX models of the importer tests into OUTDIR.

Usage: make_models.py OUTDIR

One model per op family (good_*.onnx) and one per malformed-model class
(bad_*.onnx, plus bad_ext_* for external data). Models are generated at test
time so the repository holds no binaries, and so the external-data cases can
use real symlinks.
"""

import os
import sys

import numpy as np
import onnx
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh

OUT = os.path.abspath(sys.argv[1])
os.makedirs(OUT, exist_ok=True)


def vi(name, dtype, shape):
    return h.make_tensor_value_info(name, dtype, shape)


def init(name, array):
    return nh.from_array(np.asarray(array), name)


def save(name, nodes, inputs, outputs, inits=(), opset=17, path=None):
    graph = h.make_graph(nodes, name, inputs, outputs, list(inits))
    model = h.make_model(graph, opset_imports=[h.make_opsetid("", opset)])
    model.ir_version = 8
    data = model.SerializeToString()
    with open(path or os.path.join(OUT, name + ".onnx"), "wb") as f:
        f.write(data)
    return data


F = T.FLOAT
N = h.make_node

# --- Elementwise, comparisons, casts ---------------------------------------
save("good_elementwise", [
    N("Add", ["x", "y"], ["add"], name="add"),
    N("Sub", ["add", "y"], ["sub"], name="sub"),
    N("Mul", ["sub", "two"], ["mul"], name="mul"),
    N("Div", ["mul", "two"], ["div"], name="div"),
    N("Pow", ["div", "two"], ["pow"], name="pow"),
    N("Sqrt", ["pow"], ["sqrt"], name="sqrt"),
    N("Tanh", ["sqrt"], ["tanh"], name="tanh"),
    N("Sigmoid", ["tanh"], ["sig"], name="sigmoid"),
    N("Relu", ["sig"], ["relu"], name="relu"),
    N("Erf", ["relu"], ["erf"], name="erf"),
    N("Equal", ["ids", "zero"], ["eq"], name="equal"),
    N("Not", ["eq"], ["ne"], name="not"),
    N("Cast", ["ne"], ["nef"], to=T.FLOAT, name="cast"),
    N("Where", ["eq", "ninf", "erf"], ["out"], name="where"),
    N("Identity", ["out"], ["ident"], name="identity"),
    N("Dropout", ["ident"], ["drop"], name="dropout"),
], [vi("x", F, ["B", 4]), vi("y", F, [4]), vi("ids", T.INT64, ["B", 4])],
   [vi("drop", F, None), vi("nef", F, None)],
   [init("two", np.float32(2)), init("zero", np.int64(0)),
    init("ninf", np.float32(-np.inf))])

# --- Tests, signs, selection, running sums, GatherElements, Einsum ------------------------------
save("good_new_ops", [
    N("IsNaN", ["x"], ["nan"], name="isnan"),
    N("IsInf", ["x"], ["inf"], detect_negative=0, name="isinf"),
    N("Sign", ["x"], ["sign"], name="sign"),
    N("Abs", ["ids"], ["abs"], name="abs_int"),
    N("Neg", ["ids"], ["neg"], name="neg_int"),
    N("Max", ["ids", "abs", "neg"], ["max"], name="max_int"),
    N("ArgMin", ["x"], ["amin"], axis=1, keepdims=0, select_last_index=1, name="argmin"),
    N("ArgMax", ["x"], ["amax"], axis=-1, select_last_index=1, name="argmax"),
    N("CumSum", ["x", "one"], ["csum"], exclusive=1, reverse=1, name="cumsum_const"),
    N("CumSum", ["ids", "ax"], ["csum_rt"], name="cumsum_runtime"),
    N("GatherElements", ["x", "ids"], ["ge"], axis=-1, name="gather_elements"),
    N("Einsum", ["q", "k"], ["scores"], equation="bhqd,bhkd->bhqk", name="einsum_qk"),
    N("Einsum", ["q"], ["qsum"], equation="bhqd->bdq", name="einsum_sum"),
], [vi("x", F, ["B", 4]), vi("ids", T.INT64, ["B", 4]), vi("ax", T.INT64, []),
    vi("q", F, [2, 3, "L", 8]), vi("k", F, [2, 3, 5, 8])],
   [vi(n, F, None) for n in ("nan", "inf", "sign", "abs", "neg", "max", "amin", "amax", "csum",
                             "csum_rt", "ge", "scores", "qsum")],
   [init("one", np.int64(1))], opset=13)
save("bad_einsum_diagonal", [N("Einsum", ["x"], ["y"], equation="ii->i", name="einsum_diag")],
     [vi("x", F, [3, 3])], [vi("y", F, None)], opset=13)
save("bad_einsum_three", [N("Einsum", ["x", "x", "x"], ["y"], equation="i,i,i->", name="einsum3")],
     [vi("x", F, [3])], [vi("y", F, None)], opset=13)
save("bad_einsum_rank", [N("Einsum", ["x", "x"], ["y"], equation="ij,jk->ik", name="einsum_rank")],
     [vi("x", F, [3])], [vi("y", F, None)], opset=13)
save("bad_isnan_int", [N("IsNaN", ["x"], ["y"], name="isnan_int")], [vi("x", T.INT64, [2])],
     [vi("y", T.BOOL, None)], opset=13)
save("bad_gather_elements_rank",
     [N("GatherElements", ["x", "i"], ["y"], name="ge_rank")],
     [vi("x", F, [3, 4]), vi("i", T.INT64, [3])], [vi("y", F, None)], opset=13)

# --- Softmax family ----------------------------------------------------------
save("good_softmax", [
    N("Softmax", ["x"], ["s"], axis=-1, name="Softmax_12"),
    N("LogSoftmax", ["x"], ["l"], axis=1, name="LogSoftmax_3"),
], [vi("x", F, ["B", "S", 8])], [vi("s", F, None), vi("l", F, None)])

# --- Linear algebra ------------------------------------------------------------
rng = np.random.default_rng(0)
save("good_matmul", [
    N("MatMul", ["x", "w"], ["mm"], name="matmul"),
    N("Gemm", ["x2", "wt", "b"], ["lin"], transB=1, name="gemm_linear"),
    N("Gemm", ["x2", "w", "c"], ["gen"], alpha=0.5, beta=2.0, name="gemm_general"),
    N("MatMul", ["x", "v"], ["mv"], name="matvec"),
], [vi("x", F, ["B", "S", 4]), vi("x2", F, ["N", 4])],
   [vi("mm", F, None), vi("lin", F, None), vi("gen", F, None), vi("mv", F, None)],
   [init("w", rng.standard_normal((4, 6)).astype(np.float32)),
    init("wt", rng.standard_normal((6, 4)).astype(np.float32)),
    init("b", np.zeros(6, np.float32)), init("c", np.ones((1, 6), np.float32)),
    init("v", np.ones(4, np.float32))])

# --- Shape plumbing: dynamic (folded into reshape specs / dims) --------------
save("good_shape_dynamic", [
    N("Shape", ["x"], ["shape"], name="shape"),
    N("Gather", ["shape", "i0"], ["b"], axis=0, name="gather_b"),
    N("Gather", ["shape", "i1"], ["s"], axis=0, name="gather_s"),
    N("Unsqueeze", ["b", "ax0"], ["bu"], name="unsq_b"),
    N("Unsqueeze", ["s", "ax0"], ["su"], name="unsq_s"),
    N("Concat", ["bu", "su", "heads"], ["tgt"], axis=0, name="concat"),
    N("Reshape", ["x", "tgt"], ["r"], name="reshape_heads"),
    N("Transpose", ["r"], ["t"], perm=[0, 2, 1, 3], name="transpose"),
    N("Mul", ["b", "s"], ["bs"], name="mul_dims"),
    N("Unsqueeze", ["bs", "ax0"], ["bsu"], name="unsq_bs"),
    N("Concat", ["bsu", "m1"], ["flat_shape"], axis=0, name="concat2"),
    N("Reshape", ["x", "flat_shape"], ["flat"], name="reshape_flat"),
    N("ConstantOfShape", ["shape"], ["zeros"], value=h.make_tensor("v", F, [1], [0.0]),
      name="zeros"),
    N("Concat", ["bu", "su", "one"], ["mshape"], axis=0, name="concat3"),
    N("Expand", ["col", "mshape"], ["expanded"], name="expand"),
    N("Range", ["zero", "s", "one_s"], ["pos"], name="range"),
    N("Trilu", ["square"], ["tri"], upper=1, name="trilu"),
], [vi("x", F, ["B", "S", 8]), vi("square", F, ["S", "S"])],
   [vi("t", F, None), vi("flat", F, None), vi("zeros", F, None), vi("expanded", F, None),
    vi("pos", T.INT64, None), vi("tri", F, None)],
   [init("i0", np.int64(0)), init("i1", np.int64(1)), init("ax0", np.array([0], np.int64)),
    init("heads", np.array([2, 4], np.int64)), init("m1", np.array([-1], np.int64)),
    init("one", np.array([1], np.int64)), init("col", np.zeros((1, 1), np.float32)),
    init("zero", np.int64(0)), init("one_s", np.int64(1))])

# --- Shape plumbing: static (folds away entirely) ----------------------------
save("good_shape_static", [
    N("Shape", ["x"], ["shape"], name="shape"),
    N("Slice", ["shape", "s0", "s1"], ["lead"], name="slice_shape"),
    N("Concat", ["lead", "rest"], ["tgt"], axis=0, name="concat"),
    N("Reshape", ["x", "tgt"], ["r"], name="reshape"),
    N("Squeeze", ["r", "sq"], ["sqz"], name="squeeze"),
    N("Unsqueeze", ["sqz", "sq"], ["unsq"], name="unsqueeze"),
    N("Split", ["unsq", "sizes"], ["p0", "p1"], axis=2, name="split"),
    N("Slice", ["p1", "st", "en", "axs", "stp"], ["sl"], name="slice"),
    N("Gather", ["emb", "ids"], ["g"], axis=0, name="embedding"),
    N("Constant", [], ["c"], value=h.make_tensor("c", F, [2], [1.0, 2.0]), name="const"),
    N("Add", ["sl", "c"], ["out"], name="add"),
], [vi("x", F, [2, 3, 4]), vi("ids", T.INT64, ["B", "S"])],
   [vi("out", F, None), vi("p0", F, None), vi("g", F, None)],
   [init("s0", np.array([0], np.int64)), init("s1", np.array([1], np.int64)),
    init("rest", np.array([1, 12], np.int64)), init("sq", np.array([1], np.int64)),
    init("sizes", np.array([5, 7], np.int64)), init("st", np.array([1], np.int64)),
    init("en", np.array([100], np.int64)), init("axs", np.array([-1], np.int64)),
    init("stp", np.array([3], np.int64)),
    init("emb", rng.standard_normal((10, 4)).astype(np.float32))])

# --- Shape plumbing: torch's repeat_interleave counts (Expand, Split of a known value) --------
save("good_fold_expand_split", [
    N("Expand", ["four", "two"], ["counts"], name="expand_counts"),
    N("Split", ["counts", "ones"], ["c0", "c1"], axis=0, name="split_counts"),
    N("Concat", ["m1", "c0", "c1"], ["tgt"], axis=0, name="concat"),
    N("Reshape", ["x", "tgt"], ["r"], name="reshape"),
], [vi("x", F, ["B", 16])], [vi("r", F, None)],
   [init("four", np.int64(4)), init("two", np.array([2], np.int64)),
    init("ones", np.array([1, 1], np.int64)), init("m1", np.array([-1], np.int64))])

# --- Clip: min(max(x, lo), hi), a missing bound left out ------------------------------------
save("good_clip", [
    N("Clip", ["x", "lo", "hi"], ["both"], name="clip_both"),
    N("Clip", ["x", "", "hi"], ["upper"], name="clip_upper"),
], [vi("x", T.INT64, ["S", "S"])], [vi("both", T.INT64, None), vi("upper", T.INT64, None)],
   [init("lo", np.int64(-4)), init("hi", np.int64(4))])

# --- Reductions ----------------------------------------------------------------
save("good_reduce", [
    N("ReduceMean", ["x"], ["mean"], axes=[-1], keepdims=1, name="mean"),
    N("ReduceSum", ["x", "ax"], ["sum"], keepdims=0, name="sum"),
    N("ReduceMax", ["x"], ["max"], axes=[1], keepdims=0, name="max"),
], [vi("x", F, ["B", "S", 8])], [vi("mean", F, None), vi("sum", F, None), vi("max", F, None)],
   [init("ax", np.array([1], np.int64))])

# --- LayerNormalization (opset 17) ----------------------------------------------
save("good_layernorm", [
    N("LayerNormalization", ["x", "g", "b"], ["y"], axis=-1, epsilon=1e-6, name="ln"),
], [vi("x", F, ["B", "S", 8])], [vi("y", F, None)],
   [init("g", np.ones(8, np.float32)), init("b", np.zeros(8, np.float32))])

# --- Recurrent --------------------------------------------------------------------
H, I = 4, 3


def rnn_weights(prefix, gates, dirs):
    return [init(prefix + "W", rng.standard_normal((dirs, gates * H, I)).astype(np.float32)),
            init(prefix + "R", rng.standard_normal((dirs, gates * H, H)).astype(np.float32)),
            init(prefix + "B", rng.standard_normal((dirs, 2 * gates * H)).astype(np.float32))]


save("good_recurrent", [
    N("LSTM", ["x", "lW", "lR", "lB", "", "h0", "c0"], ["ly", "lh", "lc"], hidden_size=H,
      direction="bidirectional", name="lstm"),
    N("GRU", ["x", "gW", "gR", "gB"], ["gy", "gh"], hidden_size=H, linear_before_reset=1,
      name="gru"),
    N("RNN", ["x", "rW", "rR"], ["ry", "rh"], hidden_size=H, activations=["Relu"], name="rnn"),
], [vi("x", F, ["T", "B", I]), vi("h0", F, [2, "B", H]), vi("c0", F, [2, "B", H])],
   [vi("ly", F, None), vi("lh", F, None), vi("lc", F, None), vi("gy", F, None),
    vi("gh", F, None), vi("ry", F, None), vi("rh", F, None)],
   rnn_weights("l", 4, 2) + rnn_weights("g", 3, 1) + rnn_weights("r", 1, 1)[:2])

# --- Attention (opsets 23 and 24) ---------------------------------------------------
save("good_attention23", [
    N("Attention", ["q", "k", "v"], ["y"], is_causal=1, name="attn"),
], [vi("q", F, ["B", 2, "L", 8]), vi("k", F, ["B", 2, "S", 8]), vi("v", F, ["B", 2, "S", 8])],
   [vi("y", F, None)], opset=23)
save("good_attention24", [
    N("Attention", ["q", "k", "v", "mask"], ["y"], q_num_heads=4, kv_num_heads=2, scale=0.25,
      name="attn_gqa"),
], [vi("q", F, ["B", "L", 32]), vi("k", F, ["B", "S", 16]), vi("v", F, ["B", "S", 16]),
    vi("mask", T.BOOL, ["B", 1, 1, "S"])],
   [vi("y", F, None)], opset=24)

# --- Malformed models -----------------------------------------------------------------
good = save("tmp_good", [N("Relu", ["x"], ["y"], name="relu")], [vi("x", F, [2, 3])],
            [vi("y", F, None)])
os.remove(os.path.join(OUT, "tmp_good.onnx"))
with open(os.path.join(OUT, "bad_garbage.onnx"), "wb") as f:
    f.write(b"\xde\xad\xbe\xef" * 16)
with open(os.path.join(OUT, "bad_truncated.onnx"), "wb") as f:
    f.write(good[: len(good) - 7])
with open(os.path.join(OUT, "bad_empty.onnx"), "wb") as f:
    pass


def relu_model(name, **kw):
    save(name, [N("Relu", ["x"], ["y"], name="relu")], [vi("x", F, [2, 3])],
         [vi("y", F, None)], **kw)


relu_model("bad_unknown_opset", opset=99)
graph = h.make_graph([N("Relu", ["x"], ["y"], name="relu")], "g", [vi("x", F, [2])],
                     [vi("y", F, None)])
no_opset = h.make_model(graph)
del no_opset.opset_import[:]
onnx.save(no_opset, os.path.join(OUT, "bad_no_opset.onnx"))

save("bad_unknown_op", [N("FancyOp", ["x"], ["y"], name="fancy_1")], [vi("x", F, [2])],
     [vi("y", F, None)])
save("bad_undefined_input", [N("Add", ["x", "nowhere"], ["y"], name="add_1")],
     [vi("x", F, [2])], [vi("y", F, None)])
save("bad_duplicate_name", [N("Relu", ["x"], ["y"], name="r1"), N("Tanh", ["x"], ["y"], name="t1")],
     [vi("x", F, [2])], [vi("y", F, None)])
save("bad_cycle", [N("Relu", ["b"], ["a"], name="ra"), N("Tanh", ["a"], ["b"], name="tb")],
     [vi("x", F, [2])], [vi("a", F, None)])
raw = init("w", np.ones((2, 3), np.float32))
raw.raw_data = raw.raw_data[:20]
save("bad_initializer_size", [N("Add", ["x", "w"], ["y"], name="add")], [vi("x", F, [2, 3])],
     [vi("y", F, None)], [raw])
neg = T()
neg.name, neg.data_type = "w", T.FLOAT
neg.dims.extend([-2, 3])
save("bad_negative_dim", [N("Add", ["x", "w"], ["y"], name="add")], [vi("x", F, [2, 3])],
     [vi("y", F, None)], [neg])
huge = T()
huge.name, huge.data_type = "w", T.FLOAT
huge.dims.extend([1 << 40])
save("bad_huge_initializer", [N("Add", ["x", "w"], ["y"], name="add")], [vi("x", F, [2])],
     [vi("y", F, None)], [huge])
wrap = T()
wrap.name, wrap.data_type = "w", T.FLOAT
wrap.dims.extend([1 << 30, 1 << 30, 1 << 30])
save("bad_wrapping_dims", [N("Add", ["x", "w"], ["y"], name="add")], [vi("x", F, [2])],
     [vi("y", F, None)], [wrap])
relu_huge = save("bad_huge_input_dim", [N("Relu", ["x"], ["y"], name="relu")],
                 [vi("x", F, [1 << 40])], [vi("y", F, None)])
save("bad_rank9", [N("Relu", ["x"], ["y"], name="relu")], [vi("x", F, [1] * 9)],
     [vi("y", F, None)])
save("bad_shape_mismatch", [N("MatMul", ["x", "w"], ["y"], name="MatMul_7")],
     [vi("x", F, ["B", 4])], [vi("y", F, None)], [init("w", np.ones((5, 2), np.float32))])
save("bad_reshape_two_minus_one", [N("Reshape", ["x", "s"], ["y"], name="Reshape_3")],
     [vi("x", F, [4, 6])], [vi("y", F, None)], [init("s", np.array([-1, -1], np.int64))])
# allowzero=1: a 0 is a zero-sized dim, so a -1 beside it is undefined, and a non-empty input
# cannot become an empty tensor.
save("bad_reshape_allowzero_minus_one",
     [N("Reshape", ["x", "s"], ["y"], name="Reshape_az1", allowzero=1)],
     [vi("x", F, [0, 6])], [vi("y", F, None)], [init("s", np.array([0, -1], np.int64))])
save("bad_reshape_allowzero_nonempty",
     [N("Reshape", ["x", "s"], ["y"], name="Reshape_az2", allowzero=1)],
     [vi("x", F, [4, 6])], [vi("y", F, None)], [init("s", np.array([0, 24], np.int64))])
save("bad_dtype", [N("Relu", ["x"], ["y"], name="relu")], [vi("x", T.INT8, [2])],
     [vi("y", T.INT8, None)])
# uint8 is a Heed element type, but Relu takes floats only: the dialect's verifier says so.
save("bad_relu_uint8", [N("Relu", ["x"], ["y"], name="relu")], [vi("x", T.UINT8, [2])],
     [vi("y", T.UINT8, None)])


# --- External data ------------------------------------------------------------------------
def external(name, location, nbytes=24, offset=None, subdir="ext"):
    d = os.path.join(OUT, subdir)
    os.makedirs(d, exist_ok=True)
    t = T()
    t.name, t.data_type = "w", T.FLOAT
    t.dims.extend([2, 3])
    t.data_location = T.EXTERNAL
    kv = t.external_data.add()
    kv.key, kv.value = "location", location
    if offset is not None:
        kv = t.external_data.add()
        kv.key, kv.value = "offset", str(offset)
    kv = t.external_data.add()
    kv.key, kv.value = "length", str(nbytes)
    save(name, [N("Add", ["x", "w"], ["y"], name="add")], [vi("x", F, [2, 3])],
         [vi("y", F, None)], [t], path=os.path.join(d, name + ".onnx"))


ext = os.path.join(OUT, "ext")
os.makedirs(os.path.join(ext, "weights"), exist_ok=True)
with open(os.path.join(ext, "weights", "w.bin"), "wb") as f:
    f.write(b"\0" * 8 + np.arange(6, dtype=np.float32).tobytes())
with open(os.path.join(OUT, "secret.bin"), "wb") as f:
    f.write(b"\0" * 64)
link = os.path.join(ext, "escape.bin")
if os.path.lexists(link):
    os.remove(link)
os.symlink(os.path.join(OUT, "secret.bin"), link)
external("good_ext", "weights/w.bin", offset=8)
external("bad_ext_absolute", os.path.join(OUT, "secret.bin"))
external("bad_ext_dotdot", "../secret.bin")
external("bad_ext_symlink", "escape.bin")
external("bad_ext_missing", "weights/nothing.bin")
external("bad_ext_short", "weights/w.bin", offset=16)
# Not regular files: read through the runtime's opener, refused without blocking on the FIFO.
for special, make in (("fifo.bin", os.mkfifo), ("dir.bin", os.mkdir)):
    p = os.path.join(ext, "weights", special)
    if not os.path.lexists(p):
        make(p)
external("bad_ext_fifo", "weights/fifo.bin")
external("bad_ext_dir", "weights/dir.bin")
external("bad_ext_wrap", "weights/w.bin", offset=9223372036854775800)

# --- Unsupported dynamic shapes and options: clear errors, not guesses ----------------------
save("bad_dynamic_reshape", [N("Reshape", ["x", "shape"], ["y"], name="Reshape_9")],
     [vi("x", F, ["B", 8]), vi("shape", T.INT64, [2])], [vi("y", F, None)])
# A KV cache is supported with 4-D inputs only (attention24.test runs those).
save("bad_attention_past", [
    N("Attention", ["q", "k", "v", "", "pk", "pv"], ["y"], q_num_heads=2, kv_num_heads=2,
      name="attn_past"),
], [vi("q", F, [1, 3, 16]), vi("k", F, [1, 3, 16]), vi("v", F, [1, 3, 16]),
    vi("pk", F, [1, 2, 4, 8]), vi("pv", F, [1, 2, 4, 8])], [vi("y", F, None)], opset=23)
save("bad_missing_input", [N("MatMul", ["x"], ["y"], name="MatMul_1")], [vi("x", F, [2, 2])],
     [vi("y", F, None)])
save("bad_gather_index", [N("Gather", ["emb", "ids"], ["y"], name="Gather_2")], [],
     [vi("y", F, None)], [init("emb", np.zeros((10, 4), np.float32)),
                          init("ids", np.array([[1, 10]], np.int64))])
save("bad_attention_heads", [
    N("Attention", ["q", "k", "v"], ["y"], q_num_heads=3, kv_num_heads=3, name="attn_heads"),
], [vi("q", F, ["B", "L", 32]), vi("k", F, ["B", "S", 32]), vi("v", F, ["B", "S", 32])],
   [vi("y", F, None)], opset=24)
save("bad_attention_gqa", [
    N("Attention", ["q", "k", "v"], ["y"], q_num_heads=4, kv_num_heads=3, name="attn_gqa"),
], [vi("q", F, ["B", "L", 24]), vi("k", F, ["B", "S", 18]), vi("v", F, ["B", "S", 18])],
   [vi("y", F, None)], opset=24)
# Found by fuzzing: Gather from a constant scalar once read past the rank.
save("bad_gather_scalar", [N("Gather", ["s", "i"], ["y"], name="Gather_s")], [],
     [vi("y", T.INT64, None)], [init("s", np.int64(0)), init("i", np.int64(1))])
# Found by fuzzing: an output the op does not have once failed silently.
save("bad_extra_output", [N("Relu", ["x"], ["y", "z"], name="Relu_2")], [vi("x", F, [2])],
     [vi("z", F, None)])
