# Inputs for attention_edges.mlir: lengths around the Vulkan kernel's 16-row /
# 16-key tiles, with padded keys whose values are +inf ("poison V").
import os
import sys

import numpy as np

SHAPES = [(1, 1), (1, 17), (15, 16), (16, 15), (17, 17), (17, 33), (3, 40)]


def main(out):
    rng = np.random.default_rng(7)
    for lq, lk in SHAPES:
        tag = f"{lq}_{lk}"
        q = rng.standard_normal((1, 2, lq, 8)).astype(np.float32)
        k = rng.standard_normal((1, 2, lk, 8)).astype(np.float32)
        v = rng.standard_normal((1, 2, lk, 8)).astype(np.float32)
        pad = np.ones((1, 1, 1, lk), dtype=bool)
        pad[..., lk - lk // 3 :] = False  # the last third of the keys is padding
        v[:, :, ~pad[0, 0, 0], :] = np.inf
        np.save(os.path.join(out, f"q_{tag}.npy"), q)
        np.save(os.path.join(out, f"k_{tag}.npy"), k)
        np.save(os.path.join(out, f"v_{tag}.npy"), v)
        np.save(os.path.join(out, f"pad_{tag}.npy"), pad)
        q2 = rng.standard_normal((2, lq, 32)).astype(np.float32)
        kv2 = rng.standard_normal((2, lk, 16)).astype(np.float32)
        np.save(os.path.join(out, f"xq_{tag}.npy"), q2)
        np.save(os.path.join(out, f"xkv_{tag}.npy"), kv2)
        np.save(os.path.join(out, f"len_{tag}.npy"), np.array([max(lk - 2, 1), 0], dtype=np.int64))


if __name__ == "__main__":
    main(sys.argv[1])
