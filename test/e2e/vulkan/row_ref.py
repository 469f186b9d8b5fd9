# Inputs and numpy references for row_kernels.mlir: 5 rows of each length;
# for the softmaxes row 1 has masked (-inf) entries, row 2 is fully masked
# (softmax of such a row is NaN everywhere, as exp(-inf - -inf)), row 3 ends
# in a logit of 200 (wrong unless the row's true max is subtracted) and row 4
# in a NaN (the whole row is NaN). The max and the NaN sit in the last lane,
# so a reduction that misses part of the row is caught.
import os
import sys

import numpy as np

SIZES = [1, 7, 64, 65, 1000]


def softmax(x, axis):
    m = x.max(axis=axis, keepdims=True)
    with np.errstate(invalid="ignore"):
        e = np.exp(x - m)
        return e / e.sum(axis=axis, keepdims=True)


def main(out):
    rng = np.random.default_rng(5)
    save = lambda name, a: np.save(os.path.join(out, name), a)
    for n in SIZES:
        x = (rng.standard_normal((5, n)) * 3).astype(np.float32)
        x[1, ::2] = -np.inf
        if n == 1:
            x[1, 0] = 0.5  # keep one visible entry
        x[2, :] = -np.inf
        x[3, -1] = 200.0  # exp overflows unless the row's true max is subtracted
        x[4, -1] = np.nan  # a NaN makes its whole row NaN
        save(f"sm_x_{n}.npy", x)
        save(f"sm_y_{n}.npy", softmax(x.astype(np.float64), -1).astype(np.float32))
        with np.errstate(invalid="ignore"):
            m = x.astype(np.float64).max(axis=-1, keepdims=True)
            ls = x - m - np.log(np.exp(x - m).sum(axis=-1, keepdims=True))
        save(f"ls_y_{n}.npy", ls.astype(np.float32))
        xm = (rng.standard_normal((2, n, 3)) * 3).astype(np.float32)
        xm[1, ::3, 1] = -np.inf
        if n == 1:
            xm[1, 0, 1] = 0.0
        save(f"mid_x_{n}.npy", xm)
        save(f"mid_y_{n}.npy", softmax(xm.astype(np.float64), 1).astype(np.float32))
        xl = (rng.standard_normal((5, n)) * 2 + 1).astype(np.float32)
        g = rng.standard_normal(n).astype(np.float32)
        b = rng.standard_normal(n).astype(np.float32)
        x64 = xl.astype(np.float64)
        mu = x64.mean(axis=-1, keepdims=True)
        var = ((x64 - mu) ** 2).mean(axis=-1, keepdims=True)
        save(f"ln_x_{n}.npy", xl)
        save(f"ln_g_{n}.npy", g)
        save(f"ln_b_{n}.npy", b)
        save(f"ln_y_{n}.npy", ((x64 - mu) / np.sqrt(var + 1e-5) * g + b).astype(np.float32))


if __name__ == "__main__":
    main(sys.argv[1])
