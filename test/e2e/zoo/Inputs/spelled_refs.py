#!/usr/bin/python3
"""Inputs and float64 NumPy references for Inputs/spelled.heed (spelled.test),
at source lengths 4 and 10: spelled_refs.py OUT_DIR."""

import os
import sys

import numpy as np


def softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def main(out):
    rng = np.random.RandomState(7)
    B, L, D, H = 3, 3, 16, 4
    for M in (4, 10):
        save = lambda name, a: np.save(os.path.join(out, "%s_%d.npy" % (name, M)), a)
        lengths = np.array([M, 1, max(1, M // 2)], dtype=np.int64)  # no fully masked row
        see = np.arange(M)[None, :] < lengths[:, None]  # [B, M]

        q, k, v = (rng.randn(B, n, D).astype(np.float32) for n in (L, M, M))
        split = lambda x: x.astype(np.float64).reshape(B, -1, H, D // H).transpose(0, 2, 1, 3)
        scores = split(q) @ split(k).transpose(0, 1, 3, 2) * 0.5
        scores = np.where(see[:, None, None, :], scores, -np.inf)
        o = (softmax(scores) @ split(v)).transpose(0, 2, 1, 3).reshape(B, L, D)
        for name, a in (("q", q), ("k", k), ("v", v), ("len", lengths)):
            save(name, a)
        save("sdpa_o", o.astype(np.float32))

        s = rng.randn(B, 8).astype(np.float32)
        kp = rng.randn(B, M, 6).astype(np.float32)
        h = rng.randn(B, M, 5).astype(np.float32)
        wq = (rng.randn(8, 6) * 0.5).astype(np.float32)
        w = rng.randn(6).astype(np.float32)
        t = np.tanh((s.astype(np.float64) @ wq)[:, None, :] + kp)
        e = np.where(see, (t * w).sum(-1), -np.inf)
        alpha = softmax(e)
        c = (alpha[:, None, :] @ h)[:, 0, :]
        for name, a in (("s", s), ("kp", kp), ("h", h), ("wq", wq), ("w", w)):
            save(name, a)
        save("add_o", c.astype(np.float32))
        save("add_alpha", alpha.astype(np.float32))


if __name__ == "__main__":
    main(sys.argv[1])
