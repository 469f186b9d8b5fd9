#!/usr/bin/python3
"""Inputs and independent reference outputs for the e2e suite.

Usage: gen_refs.py CASE OUTDIR

Each case writes its inputs and expected outputs as small .npy files, for two
or more sequence lengths, computed with numpy (float64 where it matters) or
torch; never with Heed. Run with /usr/bin/python3 (Debian's numpy and torch).
"""

import math
import os
import sys

import numpy as np

CASES = {}
OUT = "."


def case(fn):
    CASES[fn.__name__] = fn
    return fn


def save(name, array):
    np.save(os.path.join(OUT, name + ".npy"), array)


def f32(a):
    return np.asarray(a, dtype=np.float32)


def rng(seed):
    return np.random.default_rng(seed)


erf = np.vectorize(math.erf)


@case
def elementwise():
    for L in (3, 7):
        r = rng(L)
        x = f32(r.standard_normal((L, 4)))
        p = f32(r.uniform(0.5, 2.0, 4))
        q = f32(r.uniform(0.1, 3.0, (L, 4)))
        b = r.random((L, 1)) < 0.5
        save(f"x_{L}", x)
        save(f"p_{L}", p)
        save(f"q_{L}", q)
        save(f"b_{L}", b)
        xd, pd, qd = x.astype(np.float64), p.astype(np.float64), q.astype(np.float64)
        arith = [xd + pd, pd - xd, xd * pd, xd / pd, np.maximum(xd, pd), np.minimum(xd, pd),
                 np.power(pd, xd)]
        for i, a in enumerate(arith):
            save(f"arith{i}_{L}", f32(a))
        save(f"square_{L}", f32(xd ** 2))
        save(f"cube_{L}", f32(xd ** 3))
        gelu = 0.5 * xd * (1 + erf(xd / math.sqrt(2)))
        gelu_tanh = 0.5 * xd * (1 + np.tanh(math.sqrt(2 / math.pi) * (xd + 0.044715 * xd**3)))
        unary = [np.abs(xd), erf(xd), np.exp(xd), np.log(qd), -xd, 1 / qd, np.maximum(xd, 0),
                 1 / np.sqrt(qd), 1 / (1 + np.exp(-xd)), np.sqrt(qd), np.tanh(xd), gelu, gelu_tanh]
        save(f"unary_{L}", f32(np.concatenate(unary, axis=0)))
        lt = x < p
        o = (~lt & b) | (x >= p)
        save(f"logic0_{L}", o)
        save(f"logic1_{L}", np.where(lt, x, p).astype(np.float32))
        save(f"logic2_{L}", np.trunc(x * p).astype(np.int32))
        save(f"logic3_{L}", o.astype(np.float32))


@case
def matmul():
    for L in (5, 9):
        r = rng(100 + L)
        q = f32(r.standard_normal((2, 2, L, 8)))
        k = f32(r.standard_normal((2, 2, L + 1, 8)))
        save(f"q_{L}", q)
        save(f"k_{L}", k)
        qd, kd = q.astype(np.float64), k.astype(np.float64)
        save(f"scores_{L}", f32(qd @ kd.swapaxes(-1, -2)))
        save(f"ta_{L}", f32(qd.swapaxes(-1, -2) @ qd))
        x = f32(r.standard_normal((3, L, 6)))
        m = f32(r.standard_normal((6, 3)))
        w = f32(r.standard_normal((5, 6)))
        bias = f32(r.standard_normal(5))
        save(f"x_{L}", x)
        save(f"m_{L}", m)
        save(f"w_{L}", w)
        save(f"bias_{L}", bias)
        xd = x.astype(np.float64)
        save(f"shared_{L}", f32(xd @ m.astype(np.float64)))
        save(f"bcast_{L}", f32(xd @ m.astype(np.float64)))
        save(f"lin_{L}", f32(xd @ w.astype(np.float64).T + bias))
        save(f"linT_{L}", f32(xd @ w.astype(np.float64).T))
        # heed.linear's activations (weight given at run time: sgemm, then the activation).
        z = xd @ w.astype(np.float64).T + bias
        save(f"act_relu_{L}", f32(np.maximum(z, 0)))
        save(f"act_gelu_{L}", f32(0.5 * z * (1 + erf(z / math.sqrt(2)))))
        save(f"act_gelu_tanh_{L}", f32(0.5 * z * (1 + np.tanh(math.sqrt(2 / math.pi) *
                                                              (z + 0.044715 * z ** 3)))))
        save(f"act_tanh_{L}", f32(np.tanh(z)))
        save(f"act_sigmoid_{L}", f32(1 / (1 + np.exp(-z))))
        save(f"act_silu_{L}", f32(z / (1 + np.exp(-z))))


def softmax64(x, axis):
    x = x - x.max(axis=axis, keepdims=True)
    e = np.exp(x)
    return e / e.sum(axis=axis, keepdims=True)


def layer_norm64(x, axes, g=None, b=None, eps=1e-5):
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    y = (x - mean) / np.sqrt(var + eps)
    if g is not None:
        y = y * g
    if b is not None:
        y = y + b
    return y


@case
def normalization():
    for L in (4, 11):
        r = rng(200 + L)
        x = f32(r.standard_normal((2, L, 16)) * 3)
        g = f32(r.uniform(0.5, 1.5, 16))
        b = f32(r.standard_normal(16))
        for n, a in (("x", x), ("g", g), ("b", b)):
            save(f"{n}_{L}", a)
        xd = x.astype(np.float64)
        save(f"sm_{L}", f32(softmax64(xd, -1)))
        save(f"sm1_{L}", f32(softmax64(xd, 1)))
        save(f"lsm_{L}", f32(np.log(softmax64(xd, -1))))
        save(f"big_{L}", f32(softmax64(x * np.float32(1000), -1)))
        save(f"ln_{L}", f32(layer_norm64(xd, (-1,), g, b)))
        save(f"ln0_{L}", f32(layer_norm64(xd, (-1,))))
        save(f"ln2_{L}", f32(layer_norm64(xd, (1, 2))))


@case
def data_movement():
    for L in (3, 8):
        r = rng(300 + L)
        x = f32(r.standard_normal((2, L, 8)))
        y = f32(r.standard_normal((2, 1, 8)))
        save(f"x_{L}", x)
        save(f"y_{L}", y)
        save(f"heads_{L}", x.reshape(2, L, 2, 4).transpose(0, 2, 1, 3).copy())
        cat = np.concatenate([x, y, x], axis=1)
        save(f"cat_{L}", cat)
        save(f"sl_{L}", cat[:, -5:100:2].copy())
        save(f"bc_{L}", np.broadcast_to(y, x.shape).copy())
        save(f"flat_{L}", x.reshape(2, -1).copy())
        table = f32(r.standard_normal((10, 8)))
        ids = r.integers(0, 10, (2, L)).astype(np.int64)
        gi = r.integers(-L, L, L + 2).astype(np.int32)
        save(f"table_{L}", table)
        save(f"ids_{L}", ids)
        save(f"gi_{L}", gi)
        save(f"emb_{L}", table[ids])
        save(f"gat_{L}", np.take(x, gi, axis=1))
    r = rng(311)
    cache = f32(r.standard_normal((2, 8, 300, 64)))
    step = f32(r.standard_normal((2, 8, 1, 64)))
    save("cache", cache)
    save("step", step)
    save("grown", np.concatenate([cache, step], axis=2))


@case
def masks_positions():
    def pe(offset, n, dim, interleaved):
        pos = np.arange(offset, offset + n, dtype=np.float64)[:, None]
        i = np.arange(dim // 2, dtype=np.float64)[None, :]
        angle = pos / np.power(10000.0, 2 * i / dim)
        out = np.zeros((n, dim))
        if interleaved:
            out[:, 0::2] = np.sin(angle)
            out[:, 1::2] = np.cos(angle)
        else:
            out[:, : dim // 2] = np.sin(angle)
            out[:, dim // 2 :] = np.cos(angle)
        return f32(out)

    for L in (6, 13):
        r = rng(400 + L)
        lengths = r.integers(0, L + 1, 3).astype(np.int64)
        save(f"len_{L}", lengths)
        save(f"seq_{L}", np.arange(L)[None, :] < lengths[:, None])
        M = 9
        i, j = np.arange(L)[:, None], np.arange(M)[None, :]
        save(f"tl_{L}", j <= i)
        save(f"br_{L}", j <= i + (M - L))
        save(f"pe_{L}", pe(3, L, 16, True))
        save(f"pe2_{L}", pe(3, L, 16, False))


def rotate_half(x):
    h = x.shape[-1] // 2
    return np.concatenate((-x[..., h:], x[..., :h]), axis=-1)


@case
def rotary():
    for L in (5, 9):
        r = rng(700 + L)
        x = f32(r.standard_normal((2, 3, L, 8)))
        xb = f32(r.standard_normal((1, 3, L, 8)))
        angles = np.outer(np.arange(L), 1.0 / 10000 ** (np.arange(0, 8, 2) / 8))
        angles = np.concatenate((angles, angles), axis=-1)
        cos, sin = f32(np.cos(angles)), f32(np.sin(angles))
        # Per-batch tables [B, 1, L, D]: another offset into the positions for each row.
        cb = f32(np.cos(np.stack((angles, angles + 0.5)))[:, None])
        sb = f32(np.sin(np.stack((angles, angles + 0.5)))[:, None])
        for n, a in (("x", x), ("xb", xb), ("cos", cos), ("sin", sin), ("cb", cb), ("sb", sb)):
            save(f"{n}_{L}", a)
        d = lambda a: a.astype(np.float64)
        save(f"y_{L}", f32(d(x) * d(cos) + rotate_half(d(x)) * d(sin)))
        save(f"yb_{L}", f32(d(xb) * d(cb) + rotate_half(d(xb)) * d(sb)))
        # GPT-J's rotate_every_two: element 2i takes -x[2i + 1], 2i + 1 takes x[2i].
        pairs = np.stack((-d(x)[..., 1::2], d(x)[..., ::2]), axis=-1).reshape(x.shape)
        save(f"yi_{L}", f32(d(x) * d(cos) + pairs * d(sin)))


@case
def reductions():
    for L in (5, 12):
        r = rng(500 + L)
        x = f32(r.integers(-4, 5, (2, L, 6)) * 0.5 + r.standard_normal((2, L, 6)) * 0.01)
        x[0, 0, :3] = 7.0  # ties: the first index wins
        save(f"x_{L}", x)
        xd = x.astype(np.float64)
        save(f"sum_{L}", f32(xd.sum(axis=1, keepdims=True)))
        save(f"mean_{L}", f32(xd.mean(axis=(1, 2))))
        save(f"max_{L}", x.max(axis=-1, keepdims=True))
        save(f"min_{L}", x.min(axis=0))
        save(f"prod_{L}", f32(xd.prod(axis=1)))
        save(f"am_{L}", np.argmax(x, axis=-1).astype(np.int64))
        save(f"am1_{L}", np.argmax(x, axis=1)[:, None, :].astype(np.int64))
        order = np.argsort(-x, axis=-1, kind="stable")[..., :3]
        save(f"tkv_{L}", np.take_along_axis(x, order, axis=-1))
        save(f"tki_{L}", order.astype(np.int64))
    # Reductions over the last axis of rows large enough to share among threads, one with a NaN.
    x = f32(rng(590).standard_normal((300, 301)))
    x[7, 100] = np.nan
    save("rows", x)
    xd = x.astype(np.float64)
    for name, f in (("sum", np.sum), ("mean", np.mean), ("max", np.max), ("min", np.min)):
        save(f"rows_{name}", f32(f(xd, axis=-1)))


def torch():
    import torch as t

    t.set_num_threads(1)
    return t


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


@case
def cells():
    T = torch()
    for B in (2, 5):
        r = rng(600 + B)
        n = lambda *shape: f32(r.standard_normal(shape) * 0.5)
        x, h, c = n(B, 6), n(B, 4), n(B, 4)
        rw, ru, rb1, rb2 = n(4, 6), n(4, 4), n(4), n(4)
        gw, gu, gb1, gb2 = n(12, 6), n(12, 4), n(12), n(12)
        lw, lu, lb1, lb2 = n(16, 6), n(16, 4), n(16), n(16)
        for name, a in dict(x=x, h=h, c=c, rw=rw, ru=ru, rb1=rb1, rb2=rb2, gw=gw, gu=gu, gb1=gb1,
                            gb2=gb2, lw=lw, lu=lu, lb1=lb1, lb2=lb2).items():
            save(f"{name}_{B}", a)
        tt = lambda a: T.from_numpy(a.astype(np.float64))
        with T.no_grad():
            for act in ("tanh", "relu"):
                cell = T.nn.RNNCell(6, 4, nonlinearity=act).double()
                cell.weight_ih.copy_(tt(rw)); cell.weight_hh.copy_(tt(ru))
                cell.bias_ih.copy_(tt(rb1)); cell.bias_hh.copy_(tt(rb2))
                save(f"rnn_{act}_{B}", f32(cell(tt(x), tt(h)).numpy()))
            cell = T.nn.RNNCell(6, 4, bias=False).double()
            cell.weight_ih.copy_(tt(rw)); cell.weight_hh.copy_(tt(ru))
            save(f"rnn_nob_{B}", f32(cell(tt(x), tt(h)).numpy()))
            gru = T.nn.GRUCell(6, 4).double()
            gru.weight_ih.copy_(tt(gw)); gru.weight_hh.copy_(tt(gu))
            gru.bias_ih.copy_(tt(gb1)); gru.bias_hh.copy_(tt(gb2))
            save(f"gru_lbr_{B}", f32(gru(tt(x), tt(h)).numpy()))
            lstm = T.nn.LSTMCell(6, 4).double()
            lstm.weight_ih.copy_(tt(lw)); lstm.weight_hh.copy_(tt(lu))
            lstm.bias_ih.copy_(tt(lb1)); lstm.bias_hh.copy_(tt(lb2))
            hh, cc = lstm(tt(x), (tt(h), tt(c)))
            save(f"lstm_h_{B}", f32(hh.numpy()))
            save(f"lstm_c_{B}", f32(cc.numpy()))
        # ONNX's default GRU (reset applied before the recurrent product), in numpy.
        xd, hd = x.astype(np.float64), h.astype(np.float64)
        gi = xd @ gw.T.astype(np.float64) + gb1
        H = 4
        rz = gi[:, : 2 * H] + hd @ gu[: 2 * H].T.astype(np.float64) + gb2[: 2 * H]
        rr, z = sigmoid(rz[:, :H]), sigmoid(rz[:, H:])
        nn_ = np.tanh(gi[:, 2 * H :] + (rr * hd) @ gu[2 * H :].T.astype(np.float64) + gb2[2 * H :])
        save(f"gru_onnx_{B}", f32((1 - z) * nn_ + z * hd))


def set_params(module, flat, names):
    """Copies a flat vector into the module's parameters in `names` order."""
    at = 0
    for name in names:
        p = getattr(module, name)
        n = p.numel()
        p.data.copy_(module._T.from_numpy(flat[at : at + n].astype(np.float64)).view_as(p))
        at += n
    assert at == flat.size, (at, flat.size)


@case
def sequences():
    T = torch()
    for L in (4, 9):
        r = rng(700 + L)
        x = f32(r.standard_normal((L, 3, 5)))
        xb = f32(r.standard_normal((3, L, 5)))
        h0 = f32(r.standard_normal((4, 3, 3)) * 0.5)
        c0 = f32(r.standard_normal((4, 3, 3)) * 0.5)
        lengths = np.array([L, max(1, L - 2), 1], dtype=np.int64)
        for name, a in dict(x=x, xb=xb, h0=h0, c0=c0, len=lengths).items():
            save(f"{name}_{L}", a)
        tt = lambda a: T.from_numpy(a.astype(np.float64))
        with T.no_grad():
            # LSTM with packed sequences (lengths), bidirectional, 2 layers.
            lstm = T.nn.LSTM(5, 3, num_layers=2, bidirectional=True).double()
            lstm._T = T
            names = [f"{k}_l{l}{s}" for l in range(2) for s in ("", "_reverse")
                     for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
            flat = f32(r.standard_normal(504) * 0.4)
            set_params(lstm, flat, names)
            save(f"lstm_w_{L}", flat)
            packed = T.nn.utils.rnn.pack_padded_sequence(tt(x), T.from_numpy(lengths),
                                                         enforce_sorted=False)
            y, (hn, cn) = lstm(packed, (tt(h0), tt(c0)))
            y, _ = T.nn.utils.rnn.pad_packed_sequence(y, total_length=L)
            save(f"lstm_y_{L}", f32(y.numpy()))
            save(f"lstm_h_{L}", f32(hn.numpy()))
            save(f"lstm_c_{L}", f32(cn.numpy()))
            gru = T.nn.GRU(5, 4, batch_first=True).double()
            gru._T = T
            flat = f32(r.standard_normal(132) * 0.4)
            set_params(gru, flat, ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"])
            save(f"gru_w_{L}", flat)
            y, hn = gru(tt(xb))
            save(f"gru_y_{L}", f32(y.numpy()))
            save(f"gru_h_{L}", f32(hn.numpy()))
            rnn = T.nn.RNN(5, 4, num_layers=2, nonlinearity="relu", bias=False).double()
            rnn._T = T
            flat = f32(r.standard_normal(68) * 0.4)
            set_params(rnn, flat, ["weight_ih_l0", "weight_hh_l0", "weight_ih_l1", "weight_hh_l1"])
            save(f"rnn_w_{L}", flat)
            y, hn = rnn(tt(x))
            save(f"rnn_y_{L}", f32(y.numpy()))
            save(f"rnn_h_{L}", f32(hn.numpy()))


def attention64(q, k, v, scale, visible=None, additive=None, policy="zero"):
    """softmax(scale q k^T + additive, masked by `visible`) v in float64; [..., L, D]."""
    q, k, v = (a.astype(np.float64) for a in (q, k, v))
    s = scale * (q @ k.swapaxes(-1, -2))
    if additive is not None:
        s = s + additive.astype(np.float64)
    if visible is not None:
        s = np.where(visible, s, -np.inf)
    s = np.broadcast_to(s, np.broadcast_shapes(s.shape, q.shape[:-1] + (k.shape[-2],))).copy()
    dead = np.all(np.isneginf(s), axis=-1, keepdims=True)
    s = np.where(dead, 0.0, s)
    p = softmax64(s, -1)
    p = np.where(dead, np.nan if policy == "nan" else 0.0, p)
    return p @ v, p


@case
def attention():
    scale = np.float32(0.35355339)
    # (1, 1), tile - 1 / tile + 1 (the kernels' blocks are 64) and Lq != Lk both ways.
    for Lq, Lk in ((3, 5), (7, 4), (1, 1), (65, 63), (64, 129)):
        r = rng(800 + Lq)
        B = 2
        q = f32(r.standard_normal((B, 2, Lq, 8)))
        k = f32(r.standard_normal((B, 2, Lk, 8)))
        v = f32(r.standard_normal((B, 2, Lk, 8)))
        v[:, :, -1, :] = 1000.0  # poison V: masked keys must not leak
        pad = np.ones((B, 1, 1, Lk), dtype=bool)
        pad[0, ..., -1] = False
        pad[1] = False  # batch row 1 sees no key at all: fully masked rows
        lengths = np.array([Lk - 1, 1], dtype=np.int64)
        add = f32(r.standard_normal((Lq, Lk)))
        add[:, -1] = -np.inf
        add[0, 0] = np.finfo(np.float32).min
        for name, a in dict(q=q, k=k, v=v, pad=pad, len=lengths, add=add).items():
            save(f"{name}_{Lq}", a)
        causal = np.arange(Lk)[None, :] <= np.arange(Lq)[:, None] + (Lk - Lq)
        o, w = attention64(q, k, v, scale, visible=pad & causal)
        save(f"bc_o_{Lq}", f32(o))
        save(f"bc_w_{Lq}", f32(w))
        save(f"bc_nan_{Lq}", f32(attention64(q, k, v, scale, pad & causal, policy="nan")[0]))
        keyvis = (np.arange(Lk)[None, :] < lengths[:, None])[:, None, None, :]
        save(f"len_o_{Lq}", f32(attention64(q, k, v, scale, keyvis)[0]))
        qbig = f32(q * 300.0)  # logits ~1e4
        save(f"qbig_{Lq}", qbig)
        save(f"big_o_{Lq}", f32(attention64(qbig, k, v, scale, keyvis)[0]))
        save(f"add_o_{Lq}", f32(attention64(q, k, v, scale, additive=add)[0]))
        # Padding masks shared by heads and rows: a leading run of visible keys per batch row
        # (the CPU runs it as key lengths) and, in pad2, a row whose hidden key comes first
        # (left padding: it stays a mask).
        save(f"pad_o_{Lq}", f32(attention64(q, k, v, scale, visible=pad)[0]))
        pad2 = np.ones((B, 1, 1, Lk), dtype=bool)
        pad2[0, ..., 0] = Lk == 1  # one key: keep it visible, the row is then a prefix too
        pad2[1, ..., Lk // 2:] = False
        save(f"pad2_{Lq}", pad2)
        save(f"pad2_o_{Lq}", f32(attention64(q, k, v, scale, visible=pad2)[0]))
        # Per-head copies (nn.MultiheadAttention's): the same run in both heads, then not.
        heads_same = np.repeat(pad, 2, axis=1)
        heads_differ = heads_same.copy()
        heads_differ[0, 1, 0, :] = np.arange(Lk) < max(Lk // 2, 1)
        for name, m in dict(heads_same=heads_same, heads_differ=heads_differ).items():
            save(f"{name}_{Lq}", m)
            save(f"{name}_o_{Lq}", f32(attention64(q, k, v, scale, visible=m)[0]))
        # Packed heads: H = 4 query heads of D = 8, Hkv = 2; causal top-left.
        xq = f32(r.standard_normal((B, Lq, 32)))
        xkv = f32(r.standard_normal((B, Lk, 16)))
        save(f"xq_{Lq}", xq)
        save(f"xkv_{Lq}", xkv)
        qh = xq.reshape(B, Lq, 4, 8).transpose(0, 2, 1, 3)
        kh = np.repeat(xkv.reshape(B, Lk, 2, 8).transpose(0, 2, 1, 3), 2, axis=1)
        top_left = np.arange(Lk)[None, :] <= np.arange(Lq)[:, None]
        o = attention64(qh, kh, kh, scale, top_left)[0]
        save(f"packed_{Lq}", f32(o.transpose(0, 2, 1, 3).reshape(B, Lq, 32)))
        q3 = f32(r.standard_normal((3, Lq, 8)))
        k3 = f32(r.standard_normal((3, Lk, 8)))
        v3 = f32(r.standard_normal((3, Lk, 6)))
        save(f"q3_{Lq}", q3)
        save(f"k3_{Lq}", k3)
        save(f"v3_{Lq}", v3)
        save(f"r3_{Lq}", f32(attention64(q3, k3, v3, 0.5)[0]))


@case
def attention_broadcast_kv():
    # Keys or values [1, Lk, D] shared by every query batch row (numpy broadcasting of matmul).
    r = rng(870)
    q = f32(r.standard_normal((2, 3, 8)))
    k1 = f32(r.standard_normal((1, 4, 8)))
    v1 = f32(r.standard_normal((1, 4, 8)))
    k2 = f32(r.standard_normal((2, 4, 8)))
    v2 = f32(r.standard_normal((2, 4, 8)))
    for name, a in dict(q=q, k1=k1, v1=v1, k2=k2, v2=v2).items():
        save(name, a)
    scale = 0.35355339
    save("k1v2", f32(attention64(q, k1, v2, scale)[0]))
    save("k2v1", f32(attention64(q, k2, v1, scale)[0]))
    save("k1v1", f32(attention64(q, k1, v1, scale)[0]))
    # Packed heads (num_heads = 2 of D = 8) with a batch-1 key and value.
    xq = f32(r.standard_normal((2, 3, 16)))
    xkv = f32(r.standard_normal((1, 4, 16)))
    save("xq", xq)
    save("xkv", xkv)
    heads = lambda x: x.reshape(x.shape[0], x.shape[1], 2, 8).transpose(0, 2, 1, 3)
    o = attention64(heads(xq), heads(xkv), heads(xkv), scale)[0]
    save("packed", f32(o.transpose(0, 2, 1, 3).reshape(2, 3, 16)))


@case
def gather_scalar():
    # matmul -> reshape -> transpose -> gather of a constant scalar index (a fused QKV split).
    r = rng(880)
    x = f32(r.standard_normal((4, 4, 16)))
    w = f32(r.standard_normal((16, 48)))
    save("x", x)
    save("w", w)
    t = (x.astype(np.float64) @ w).reshape(4, 4, 3, 16).transpose(2, 0, 1, 3)
    save("y", f32(t[2]))
    save("y0", f32(t[0]))


def additive64(q, kp, h, wq, v, visible):
    """q [B, Lq, Dq]; returns [B, Lq, Dv] and the weights [B, Lq, Lk]."""
    q, kp, h, wq, v = (a.astype(np.float64) for a in (q, kp, h, wq, v))
    e = np.tanh((q @ wq.T)[:, :, None, :] + kp[:, None, :, :]) @ v  # [B, Lq, Lk]
    e = np.where(visible, e, -np.inf)
    dead = np.all(np.isneginf(e), axis=-1, keepdims=True)
    p = np.where(dead, 0.0, softmax64(np.where(dead, 0.0, e), -1))
    return p @ h, p


@case
def additive_attention():
    for Lk in (4, 10):
        r = rng(900 + Lk)
        B = 3
        s = f32(r.standard_normal((B, 8)))
        qs = f32(r.standard_normal((B, 2, 8)))
        kp = f32(r.standard_normal((B, Lk, 6)))
        h = f32(r.standard_normal((B, Lk, 5)))
        wq = f32(r.standard_normal((6, 8)) * 0.5)
        v = f32(r.standard_normal(6))
        lengths = np.array([Lk, 2, 0], dtype=np.int32)
        bm = r.random((B, 1, Lk)) < 0.7
        bm[:, :, 0] = True
        for name, a in dict(s=s, qs=qs, kp=kp, h=h, wq=wq, v=v, len=lengths, bm=bm).items():
            save(f"{name}_{Lk}", a)
        visible = (np.arange(Lk)[None, :] < lengths[:, None])[:, None, :]
        o, p = additive64(s[:, None, :], kp, h, wq, v, visible)
        save(f"step_o_{Lk}", f32(o[:, 0]))
        save(f"step_w_{Lk}", f32(p[:, 0]))
        save(f"seq_o_{Lk}", f32(additive64(qs, kp, h, wq, v, bm)[0]))
        # A padding mask whose visible keys lead each row (the CPU runs it as key lengths).
        save(f"pm_{Lk}", visible)
        save(f"seq_pm_o_{Lk}", f32(additive64(qs, kp, h, wq, v, visible)[0]))


@case
def scan():
    for T in (3, 8):
        r = rng(1000 + T)
        xs = f32(r.standard_normal((T, 2, 4)))
        h0 = f32(r.standard_normal((2, 3)))
        w = f32(r.standard_normal((3, 4)) * 0.5)
        u = f32(r.standard_normal((3, 3)) * 0.5)
        for name, a in dict(xs=xs, h0=h0, w=w, u=u).items():
            save(f"{name}_{T}", a)
        h = h0.astype(np.float64)
        hs = np.zeros((T, 2, 3))
        for t in reversed(range(T)):
            h = np.tanh(xs[t] @ w.T.astype(np.float64) + h @ u.T.astype(np.float64))
            hs[t] = h
        save(f"hT_{T}", f32(h))
        save(f"hs_{T}", f32(hs))
        m0 = f32(r.standard_normal((2, 1, 2)))
        save(f"m0_{T}", m0)
        save(f"grown_{T}", f32(m0 * (2.0 ** np.arange(T + 1))[None, :, None]))


@case
def weights():
    r = rng(1100)
    ws = f32(r.standard_normal((96, 128)) * 0.1)
    v = f32(r.standard_normal(96))
    np.savez(os.path.join(OUT, "weights.npz"), **{"attn.w_s": ws, "attn.v": v})
    np.savez(os.path.join(OUT, "weights_bad.npz"), **{"attn.w_s": ws, "attn.v": v[:95]})
    for Lk in (4, 9):
        B = 2
        s = f32(r.standard_normal((B, 128)))
        keys = f32(r.standard_normal((B, Lk, 96)))
        h = f32(r.standard_normal((B, Lk, 256)))
        lengths = np.array([Lk, 3], dtype=np.int64)
        for name, a in dict(s=s, keys=keys, h=h, len=lengths).items():
            save(f"{name}_{Lk}", a)
        visible = (np.arange(Lk)[None, :] < lengths[:, None])[:, None, :]
        o, p = additive64(s[:, None, :], keys, h, ws, v, visible)
        save(f"ctx_{Lk}", f32(o[:, 0]))
        save(f"alpha_{Lk}", f32(p[:, 0]))


def main():
    global OUT
    if len(sys.argv) != 3 or sys.argv[1] not in CASES:
        sys.exit("usage: gen_refs.py {%s} OUTDIR" % ",".join(sorted(CASES)))
    OUT = sys.argv[2]
    os.makedirs(OUT, exist_ok=True)
    CASES[sys.argv[1]]()


if __name__ == "__main__":
    main()
