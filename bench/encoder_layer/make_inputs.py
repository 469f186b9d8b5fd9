# Writes the inputs of encoder_layer.mlir (B x L tokens, d = 512, 8 heads, FFN 2048) as .npy
# into the current directory. Usage: make_inputs.py B L
import numpy as np, sys
B, L = int(sys.argv[1]), int(sys.argv[2])
r = np.random.default_rng(0)
def n(*s, sc=0.05): return (r.standard_normal(s) * sc).astype(np.float32)
arrs = dict(x=n(B, L, 512, sc=1), len=np.array([L] * (B - 1) + [L // 2], dtype=np.int64),
            wqkv=n(1536, 512), bqkv=n(1536), wo=n(512, 512), bo=n(512), g1=1 + n(512), b1=n(512),
            w1=n(2048, 512), c1=n(2048), w2=n(512, 2048), c2=n(512), g2=1 + n(512), b2=n(512))
for k, v in arrs.items(): np.save(f"{k}.npy", v)
