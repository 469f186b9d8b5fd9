#!/usr/bin/python3
"""ONNX Attention (opset 24) cases the backend node tests barely cover: is_causal with
nonpad_kv_seqlen (the static KV cache: decode and chunked prefill), attn_mask shorter than the
keys (padded, not broadcast), explicit scale, 3-D inputs with heads, past_key/past_value
(the growing KV cache) with present_key/present_value. Writes, per case,
OUT/CASE/model.onnx, in_*.npy and ref_*.npy, where the references come from this file's numpy
transcription of the operator's reference semantics (float64):

  past_key/past_value: K = concat(past_key, K), V likewise, on the sequence axis (also the
  present_key/present_value outputs);
  scores = scale * Q K^T + bias, over [B, Hq, Lq, Lk] (K, V heads repeated for GQA);
  attn_mask with fewer than Lk keys is padded to Lk with -inf (bool: False); a bool mask is
  0 where True and -inf where False;
  is_causal: query i sees key j iff j <= i + offset, where offset is
  nonpad_kv_seqlen[b] - Lq with nonpad_kv_seqlen (bottom-right, aligned to each batch row's
  real length), the past length with past_key (bottom-right: the new queries are the last
  positions), else 0 (upper-left);
  nonpad_kv_seqlen: key j is seen iff j < nonpad_kv_seqlen[b];
  softmax over keys; a query row that sees no key gives zeros (opset 24); times V.

Then runs each model with heed-run on DEVICE (compiled on the fly) and compares
(atol 1e-4, rtol 1e-3): prints "PASS CASE" or "FAIL CASE: first error line".

Usage: attention24.py OUTDIR TOOLS_DIR [cpu|vulkan]
"""

import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper


def reference(q, k, v, mask=None, nonpad=None, is_causal=0, scale=None, q_heads=0, kv_heads=0,
              past_k=None, past_v=None):
    q, k, v = (a.astype(np.float64) for a in (q, k, v))
    past = 0
    if past_k is not None:
        past = past_k.shape[2]
        k = np.concatenate([past_k, k], axis=2)
        v = np.concatenate([past_v, v], axis=2)
    present = (k.astype(np.float32), v.astype(np.float32))
    three_d = q.ndim == 3
    if three_d:
        B, Lq, _ = q.shape
        q = q.reshape(B, Lq, q_heads, -1).transpose(0, 2, 1, 3)
        k = k.reshape(B, k.shape[1], kv_heads, -1).transpose(0, 2, 1, 3)
        v = v.reshape(B, v.shape[1], kv_heads, -1).transpose(0, 2, 1, 3)
    B, Hq, Lq, D = q.shape
    Lk = k.shape[2]
    if scale is None:
        scale = 1.0 / np.sqrt(D)
    rep = Hq // k.shape[1]
    k, v = np.repeat(k, rep, axis=1), np.repeat(v, rep, axis=1)
    bias = np.zeros((B, 1, Lq, Lk))
    if mask is not None:
        pad = Lk - mask.shape[-1]
        if pad > 0:
            fill = False if mask.dtype == np.bool_ else -np.inf
            mask = np.pad(mask, [(0, 0)] * (mask.ndim - 1) + [(0, pad)], constant_values=fill)
        if mask.dtype == np.bool_:
            mask = np.where(mask, 0.0, -np.inf)
        bias = bias + mask.astype(np.float64)
    i = np.arange(Lq)[:, None]
    j = np.arange(Lk)[None, :]
    for b in range(B):
        seen = np.ones((Lq, Lk), dtype=bool)
        if is_causal:
            offset = nonpad[b] - Lq if nonpad is not None else past
            seen &= j <= i + offset
        if nonpad is not None:
            seen &= j < nonpad[b]
        bias[b] = np.where(seen, bias[b], -np.inf)
    s = scale * (q @ k.swapaxes(-1, -2)) + bias
    dead = np.all(np.isneginf(s), axis=-1, keepdims=True)
    s = np.where(dead, 0.0, s)
    p = np.exp(s - s.max(axis=-1, keepdims=True))
    p = np.where(dead, 0.0, p / p.sum(axis=-1, keepdims=True))
    o = p @ v
    if three_d:
        o = o.transpose(0, 2, 1, 3).reshape(B, Lq, -1)
    return [o.astype(np.float32)] + (list(present) if past_k is not None else [])


def case_inputs(name, shapes, rng):
    return {n: rng.standard_normal(s).astype(np.float32) for n, s in shapes.items()}


CASES = {}


def case(fn):
    CASES[fn.__name__] = fn
    return fn


@case
def causal_nonpad_decode(rng):
    # One new token against a static cache of 6 slots holding 4 and 6 real keys.
    x = case_inputs("", {"q": (2, 2, 1, 8), "k": (2, 2, 6, 8), "v": (2, 2, 6, 8)}, rng)
    x["nonpad"] = np.array([4, 6], dtype=np.int64)
    return x, dict(is_causal=1), ["q", "k", "v", "", "", "", "nonpad"]


@case
def causal_nonpad_prefill(rng):
    # A chunk of 3 queries; row 1 has only 2 real keys, so its first query sees none.
    x = case_inputs("", {"q": (2, 2, 3, 8), "k": (2, 2, 6, 8), "v": (2, 2, 6, 8)}, rng)
    x["nonpad"] = np.array([5, 2], dtype=np.int64)
    return x, dict(is_causal=1, scale=0.3), ["q", "k", "v", "", "", "", "nonpad"]


@case
def nonpad_only(rng):
    x = case_inputs("", {"q": (2, 2, 3, 8), "k": (2, 2, 6, 8), "v": (2, 2, 6, 8)}, rng)
    x["nonpad"] = np.array([5, 2], dtype=np.int64)
    return x, dict(), ["q", "k", "v", "", "", "", "nonpad"]


@case
def causal_nonpad_heads_3d(rng):
    # [B, L, H*D] inputs, 4 query heads over 2 kv heads.
    x = case_inputs("", {"q": (2, 3, 32), "k": (2, 5, 16), "v": (2, 5, 16)}, rng)
    x["nonpad"] = np.array([4, 5], dtype=np.int64)
    return x, dict(is_causal=1, q_num_heads=4, kv_num_heads=2), \
        ["q", "k", "v", "", "", "", "nonpad"]


@case
def short_bool_mask(rng):
    # A [Lq, 1] mask over 5 keys: padded with False, so only key 0 can be seen (where True).
    x = case_inputs("", {"q": (1, 2, 3, 8), "k": (1, 2, 5, 8), "v": (1, 2, 5, 8)}, rng)
    x["mask"] = np.array([[True], [False], [True]])
    return x, dict(), ["q", "k", "v", "mask"]


@case
def short_float_mask(rng):
    x = case_inputs("", {"q": (1, 2, 3, 8), "k": (1, 2, 5, 8), "v": (1, 2, 5, 8)}, rng)
    x["mask"] = rng.standard_normal((3, 3)).astype(np.float32)
    return x, dict(scale=0.5), ["q", "k", "v", "mask"]


@case
def short_mask_causal(rng):
    x = case_inputs("", {"q": (1, 2, 4, 8), "k": (1, 2, 6, 8), "v": (1, 2, 6, 8)}, rng)
    x["mask"] = rng.standard_normal((1, 1, 4, 5)).astype(np.float32)
    return x, dict(is_causal=1), ["q", "k", "v", "mask"]


@case
def causal_upper_left(rng):
    # Without nonpad_kv_seqlen, a non-square causal mask is upper-left aligned.
    x = case_inputs("", {"q": (1, 2, 3, 8), "k": (1, 2, 5, 8), "v": (1, 2, 5, 8)}, rng)
    return x, dict(is_causal=1, scale=0.2), ["q", "k", "v"]


@case
def causal_past_decode(rng):
    # One new token after 4 cached ones: it sees all 5 keys.
    x = case_inputs("", {"q": (1, 2, 1, 8), "k": (1, 2, 1, 8), "v": (1, 2, 1, 8),
                         "past_k": (1, 2, 4, 8), "past_v": (1, 2, 4, 8)}, rng)
    return x, dict(is_causal=1), ["q", "k", "v", "", "past_k", "past_v"]


@case
def causal_past_prefill_gqa(rng):
    # 3 new queries after 2 cached positions, 4 query heads over 2 kv heads, explicit scale.
    x = case_inputs("", {"q": (2, 4, 3, 8), "k": (2, 2, 3, 8), "v": (2, 2, 3, 8),
                         "past_k": (2, 2, 2, 8), "past_v": (2, 2, 2, 8)}, rng)
    return x, dict(is_causal=1, scale=0.25), ["q", "k", "v", "", "past_k", "past_v"]


@case
def past_short_mask(rng):
    # A mask over the 3 cached keys only: the 2 new keys are padded away.
    x = case_inputs("", {"q": (1, 2, 2, 8), "k": (1, 2, 2, 8), "v": (1, 2, 2, 8),
                         "past_k": (1, 2, 3, 8), "past_v": (1, 2, 3, 8)}, rng)
    x["mask"] = np.array([[True, False, True], [True, True, False]])
    return x, dict(), ["q", "k", "v", "mask", "past_k", "past_v"]


def make(out, name):
    rng = np.random.default_rng(sum(name.encode()))
    values, attrs, node_inputs = CASES[name](rng)
    runtime = [n for n in node_inputs if n]

    def info(n, a):
        dtype = onnx.mapping.NP_TYPE_TO_TENSOR_TYPE[np.dtype(a.dtype)]
        return helper.make_tensor_value_info(n, dtype, a.shape)

    refs = reference(values["q"], values["k"], values["v"], mask=values.get("mask"),
                     nonpad=values.get("nonpad"), is_causal=attrs.get("is_causal", 0),
                     scale=attrs.get("scale"), q_heads=attrs.get("q_num_heads", 0),
                     kv_heads=attrs.get("kv_num_heads", 0),
                     past_k=values.get("past_k"), past_v=values.get("past_v"))
    outputs = ["y", "present_key", "present_value"][:len(refs)]
    while node_inputs[-1] == "":
        node_inputs.pop()
    node = helper.make_node("Attention", node_inputs, outputs, name="attn", **attrs)
    graph = helper.make_graph([node], name, [info(n, values[n]) for n in runtime],
                              [info(n, r) for n, r in zip(outputs, refs)])
    # onnx 1.12 has no Attention schema: no checker, the opset is declared by hand.
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 24)])
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    onnx.save(model, os.path.join(d, "model.onnx"))
    for i, n in enumerate(runtime):
        np.save(os.path.join(d, "in_%d.npy" % i), values[n])
    for i, r in enumerate(refs):
        np.save(os.path.join(d, "ref_%d.npy" % i), r)
    return d, len(runtime), len(refs)


def main():
    out, tools = sys.argv[1], sys.argv[2]
    device = sys.argv[3] if len(sys.argv) > 3 else "cpu"
    failed = 0
    for name in CASES:
        d, n_in, n_out = make(out, name)
        cmd = [os.path.join(tools, "heed-run"), os.path.join(d, "model.onnx"), "--device=" + device]
        cmd += ["--input=@%s" % os.path.join(d, "in_%d.npy" % i) for i in range(n_in)]
        cmd += ["--expected-output=@%s" % os.path.join(d, "ref_%d.npy" % i)
                for i in range(n_out)]
        run = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        if run.returncode == 0:
            print("PASS %s" % name)
            continue
        failed += 1
        lines = [l for l in run.stderr.decode(errors="replace").splitlines() if l.strip()]
        print("FAIL %s: %s" % (name, lines[0] if lines else "exit %d" % run.returncode))
    print("%d of %d cases pass on %s" % (len(CASES) - failed, len(CASES), device))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
