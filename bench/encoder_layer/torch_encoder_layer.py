# The same encoder layer in PyTorch (the baseline; also writes ref.npy for heed-run to check).
# Usage (in the inputs directory): torch_encoder_layer.py REPEATS
import numpy as np, time, torch, sys
torch.set_num_threads(2)
names = "x len wqkv bqkv wo bo g1 b1 w1 c1 w2 c2 g2 b2".split()
t = {k: torch.from_numpy(np.load(f"{k}.npy")) for k in names}
B, L, _ = t["x"].shape
F = torch.nn.functional
def enc():
    qkv = F.linear(t["x"], t["wqkv"], t["bqkv"])
    q, k, v = [z.view(B, L, 8, 64).transpose(1, 2) for z in qkv.split(512, dim=-1)]
    s = (q @ k.transpose(-1, -2)) * 0.125
    mask = torch.arange(L)[None, :] >= t["len"][:, None]
    s = s.masked_fill(mask[:, None, None, :], float("-inf"))
    a = (s.softmax(-1) @ v).transpose(1, 2).reshape(B, L, 512)
    n1 = F.layer_norm(t["x"] + F.linear(a, t["wo"], t["bo"]), (512,), t["g1"], t["b1"])
    f = F.linear(F.relu(F.linear(n1, t["w1"], t["c1"])), t["w2"], t["c2"])
    return F.layer_norm(n1 + f, (512,), t["g2"], t["b2"])
with torch.no_grad():
    out = enc()
    np.save("ref.npy", out.numpy())
    times = []
    for _ in range(int(sys.argv[1])):
        s = time.perf_counter(); enc(); times.append((time.perf_counter() - s) * 1000)
print("torch median %.3f ms min %.3f ms" % (np.median(times), min(times)))
