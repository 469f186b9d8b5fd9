# Inputs and numpy reference outputs for attention_variants.mlir: decode shapes
# (Lq 1 or 3 with Lk from 1 to 4097, around the 256-key split size) and a
# flash-sized one, for boolean + causal, weights, grouped-query heads with key
# lengths and NaN rows, and an additive mask holding a NaN. The reference is
# written from the op's definition (docs/dialect), independently of Heed.
import os
import sys

import numpy as np

SHAPES = [(1, 1), (1, 255), (1, 256), (1, 257), (1, 1024), (1, 4097), (3, 300), (17, 33)]
SCALE = np.float32(0.35355339)


def attend(q, k, v, visible, add=None, nan_rows=False, weights=False):
    """q [B,H,Lq,D], k/v [B,H,Lk,*], visible bool [B,H,Lq,Lk]; the CPU rules:
    a NaN score makes the row NaN, a row that sees no key is 0 (or NaN with
    nan_rows), masked keys never touch the output ("poison V")."""
    s = np.einsum("bhqd,bhkd->bhqk", q.astype(np.float64), k.astype(np.float64)) * float(SCALE)
    if add is not None:
        s = s + add
    s = np.where(visible, s, -np.inf)
    B, H, Lq, Lk = s.shape
    out = np.zeros((B, H, Lq, v.shape[-1]))
    w = np.zeros(s.shape)
    for b in range(B):
        for h in range(H):
            for i in range(Lq):
                row = s[b, h, i]
                if np.isnan(row).any() or not np.isfinite(row.max(initial=-np.inf)):
                    fill = np.nan if (np.isnan(row).any() or nan_rows) else 0.0
                    out[b, h, i] = fill
                    w[b, h, i] = fill
                    continue
                p = np.exp(row - row.max())
                p /= p.sum()
                keep = p > 0
                out[b, h, i] = p[keep] @ v[b, h, keep].astype(np.float64)
                w[b, h, i] = p
    out = out.astype(np.float32)
    return (out, w.astype(np.float32)) if weights else out


def causal(lq, lk, shift):
    i = np.arange(lq)[:, None]
    j = np.arange(lk)[None, :]
    return j <= i + shift


def main(out):
    rng = np.random.default_rng(11)
    save = lambda name, a: np.save(os.path.join(out, name), a)
    for lq, lk in SHAPES:
        tag = f"{lq}_{lk}"
        # bool_causal: [B,H,L,D], padding mask [B,1,1,Lk], bottom-right causal.
        q = rng.standard_normal((2, 2, lq, 8)).astype(np.float32)
        k = rng.standard_normal((2, 2, lk, 8)).astype(np.float32)
        v = rng.standard_normal((2, 2, lk, 8)).astype(np.float32)
        pad = np.ones((2, 1, 1, lk), dtype=bool)
        pad[0, ..., lk - lk // 3 :] = False  # batch 0: the last third is padding
        pad[1, ..., :] = lk < 4  # batch 1: all padding unless tiny (fully masked rows)
        for b in range(2):
            v[b][:, ~pad[b, 0, 0], :] = np.inf  # "poison V" at padded keys
        vis = pad & causal(lq, lk, lk - lq)[None, None]
        for n, a in [("q", q), ("k", k), ("v", v), ("pad", pad)]:
            save(f"bc_{n}_{tag}.npy", a)
        save(f"bc_out_{tag}.npy", attend(q, k, v, vis))
        o, w = attend(q, k, v, vis, weights=True)
        save(f"bw_out_{tag}.npy", o)
        save(f"bw_w_{tag}.npy", w)
        # gqa_lengths: packed [B,L,H*D], 4 query heads over 2 kv heads, i64 key
        # lengths (batch 1: 0 keys, NaN rows), top-left causal.
        xq = rng.standard_normal((2, lq, 32)).astype(np.float32)
        xkv = rng.standard_normal((2, lk, 16)).astype(np.float32)
        lens = np.array([max(lk - 2, 1), 0], dtype=np.int64)
        qh = xq.reshape(2, lq, 4, 8).transpose(0, 2, 1, 3)
        kh = xkv.reshape(2, lk, 2, 8).transpose(0, 2, 1, 3).repeat(2, axis=1)
        vis = (np.arange(lk)[None, None, None, :] < lens[:, None, None, None]) & causal(lq, lk, 0)
        o = attend(qh, kh, kh, vis, nan_rows=True)
        save(f"gl_xq_{tag}.npy", xq)
        save(f"gl_xkv_{tag}.npy", xkv)
        save(f"gl_len_{tag}.npy", lens)
        save(f"gl_out_{tag}.npy", o.transpose(0, 2, 1, 3).reshape(2, lq, 32))
        # additive: [B,H,L,16], mask [B,1,Lq,Lk]; batch 1 row 0 has a NaN at its last key.
        q = rng.standard_normal((2, 2, lq, 16)).astype(np.float32)
        k = rng.standard_normal((2, 2, lk, 16)).astype(np.float32)
        v = rng.standard_normal((2, 2, lk, 16)).astype(np.float32)
        add = (rng.standard_normal((2, 1, lq, lk)) * 2).astype(np.float32)
        add[1, 0, 0, lk - 1] = np.nan
        for n, a in [("q", q), ("k", k), ("v", v), ("mask", add)]:
            save(f"ad_{n}_{tag}.npy", a)
        save(f"ad_out_{tag}.npy", attend(q, k, v, np.ones((2, 2, lq, lk), bool), add=add))


if __name__ == "__main__":
    main(sys.argv[1])
