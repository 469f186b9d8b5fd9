#!/usr/bin/python3
"""Float64 numpy reference for Heed's fused attention kernel.

Writes, into OUTDIR, one set of .npy files per case (float32 inputs, float64
reference outputs and weights) and cases.txt describing them; HeedKernelTests'
NumpyReference.Cases reads them back (see numpy-reference.test).

The reference follows the definition, independently of the kernel: scores in
float64, hidden keys (boolean false, causal, key length, additive -inf) get
weight 0 and never touch the output (so inf/NaN "poison" values there cannot
leak), softmax with max subtraction, and a row with no visible key gives zeros
or NaN per the masked-rows policy.

usage: attention_ref.py OUTDIR
"""

import os
import sys

import numpy as np


def reference(q, k, v, scale, causal=False, bottom_right=False, additive=None, boolean=None,
              keylen=None, nan_rows=False):
    B, H, Lq, D = q.shape
    Hkv, Lk = k.shape[1], k.shape[2]
    k = np.repeat(k.astype(np.float64), H // Hkv, axis=1)
    v = np.repeat(v.astype(np.float64), H // Hkv, axis=1)
    s = scale * np.einsum("bhqd,bhkd->bhqk", q.astype(np.float64), k)
    visible = np.ones((B, H, Lq, Lk), dtype=bool)
    if additive is not None:
        s = s + np.broadcast_to(additive.astype(np.float64), s.shape)
    if boolean is not None:
        visible &= np.broadcast_to(boolean, s.shape)
    if keylen is not None:
        visible &= (np.arange(Lk)[None, :] < keylen[:, None])[:, None, None, :]
    if causal:
        offset = Lk - Lq if bottom_right else 0
        visible &= (np.arange(Lk)[None, :] <= np.arange(Lq)[:, None] + offset)[None, None]
    visible &= s != -np.inf
    masked_row = ~visible.any(axis=-1, keepdims=True)
    m = np.where(visible, s, -np.inf).max(axis=-1, keepdims=True)
    m = np.where(masked_row, 0.0, m)
    with np.errstate(invalid="ignore", over="ignore"):
        e = np.where(visible, np.exp(np.where(visible, s, 0.0) - m), 0.0)
        w = e / np.where(masked_row, 1.0, e.sum(axis=-1, keepdims=True))
        # Sum only over visible keys: 0 * inf at hidden keys would be NaN.
        out = np.einsum("bhqk,bhkd->bhqd", w, np.where(np.isfinite(v), v, 0.0))
        poison = ~np.isfinite(v)
        if poison.any():
            for idx in zip(*np.nonzero(poison)):
                b, h, j, c = idx
                out[b, h, :, c] += np.where(visible[b, h, :, j], w[b, h, :, j] * v[b, h, j, c], 0.0)
    fill = np.nan if nan_rows else 0.0
    out = np.where(masked_row, fill, out)
    w = np.where(masked_row, fill, w)
    return out, w


def main():
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    rng = np.random.default_rng(5)
    lines = []
    f32 = np.float32
    lowest = np.finfo(np.float32).min

    def case(name, B=1, H=2, Hkv=None, Lq=8, Lk=8, D=16, Dv=16, causal=False,
             bottom_right=False, mask="none", mask_shape=None, nan_rows=False, logit=1.0,
             keylen=None, poison=False, hidden_rows=()):
        Hkv = Hkv or H
        q = (rng.uniform(-1, 1, (B, H, Lq, D)) * logit).astype(f32)
        k = rng.uniform(-1, 1, (B, Hkv, Lk, D)).astype(f32)
        v = rng.uniform(-1, 1, (B, Hkv, Lk, Dv)).astype(f32)
        scale = f32(1.0 / np.sqrt(D))
        additive = boolean = lengths = None
        mask_arr = None
        if mask == "additive":
            shape = mask_shape or (B, H, Lq, Lk)
            u = rng.uniform(0, 1, shape)
            mask_arr = rng.uniform(-1, 1, shape).astype(f32)
            mask_arr[u < 0.1] = -np.inf
            mask_arr[(u >= 0.1) & (u < 0.2)] = lowest
            mask_arr[(u >= 0.2) & (u < 0.3)] = f32(-1e4)
            for r in hidden_rows:
                mask_arr[..., r, :] = -np.inf
            additive = mask_arr
        elif mask == "boolean":
            shape = mask_shape or (B, H, Lq, Lk)
            mask_arr = rng.uniform(0, 1, shape) > 0.3
            for r in hidden_rows:
                mask_arr[..., r, :] = False
            boolean = mask_arr
        elif mask == "keylen":
            lengths = np.array(keylen if keylen is not None else rng.integers(0, Lk + 1, B),
                               dtype=np.int64)
            mask_arr = lengths
        if poison and lengths is not None:
            for b in range(B):
                v[b, :, lengths[b]:, :] = np.inf
        out, w = reference(q, k, v, float(scale), causal, bottom_right, additive, boolean,
                           lengths, nan_rows)
        base = os.path.join(outdir, name + "_")
        np.save(base + "q.npy", q)
        np.save(base + "k.npy", k)
        np.save(base + "v.npy", v)
        np.save(base + "out.npy", out.astype(np.float64))
        np.save(base + "weights.npy", w.astype(np.float64))
        if mask_arr is not None:
            np.save(base + "mask.npy", mask_arr)
        lines.append(f"{name} B={B} H={H} Hkv={Hkv} Lq={Lq} Lk={Lk} D={D} Dv={Dv} "
                     f"scale={float(scale)!r} causal={int(causal)} bottom_right={int(bottom_right)} "
                     f"nan_rows={int(nan_rows)} mask={mask}")

    for L in (1, 63, 64, 65, 127, 129):
        case(f"len{L}", Lq=L, Lk=L)
        case(f"len{L}_causal", Lq=L, Lk=L, causal=True)
    for lq, lk in ((1, 65), (65, 1), (5, 130), (130, 5), (64, 129)):
        for br in (False, True):
            for nan in (False, True):
                case(f"causal_{lq}x{lk}_br{int(br)}_nan{int(nan)}", B=2, Lq=lq, Lk=lk, causal=True,
                     bottom_right=br, nan_rows=nan)
    for nan in (False, True):
        case(f"masked_rows_additive_nan{int(nan)}", Lq=66, Lk=70, mask="additive",
             hidden_rows=(0, 64, 65), nan_rows=nan)
        case(f"masked_rows_boolean_nan{int(nan)}", Lq=66, Lk=70, mask="boolean",
             hidden_rows=(1, 63), nan_rows=nan)
        case(f"keylen_nan{int(nan)}", B=4, Lq=9, Lk=65, mask="keylen", keylen=[0, 1, 64, 65],
             nan_rows=nan, poison=True)
    case("logits_1e4", Lq=65, Lk=130, D=64, logit=2000.0)
    case("logits_1e4_causal", Lq=65, Lk=130, D=64, logit=2000.0, causal=True, bottom_right=True)
    for shape_name, shape in (("2d", lambda B, H, Lq, Lk: (Lq, Lk)),
                              ("keypad", lambda B, H, Lq, Lk: (B, 1, 1, Lk)),
                              ("full", lambda B, H, Lq, Lk: (B, H, Lq, Lk))):
        for kind in ("additive", "boolean"):
            case(f"mask_{kind}_{shape_name}", B=2, H=3, Lq=70, Lk=67, mask=kind,
                 mask_shape=shape(2, 3, 70, 67), causal=shape_name == "full", bottom_right=True)
    case("gqa_8x2", B=2, H=8, Hkv=2, Lq=33, Lk=77, causal=True, bottom_right=True)
    case("gqa_4x1_mixed_masks", B=1, H=4, Hkv=1, Lq=65, Lk=65, mask="additive", Dv=8, D=32)
    case("decode", B=2, H=4, Lq=1, Lk=300, D=64, Dv=64, mask="keylen", keylen=[300, 17])
    with open(os.path.join(outdir, "cases.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
