"""threads_on_vulkan.py DIR: four Python threads call one Function of a PyTorch export
(nn.MultiheadAttention block with a key padding mask) on Vulkan and on the CPU, 20 calls each at
two shapes; every output must equal torch's (atol 1e-4, rtol 1e-3). Before the Vulkan driver
serialised its invokes, concurrent calls shared one command buffer: crashes or wrong numbers."""

import os
import sys
import threading

import numpy as np
import torch
import torch.nn as nn

import heed


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.attn = nn.MultiheadAttention(32, 4, batch_first=True)
        self.norm = nn.LayerNorm(32)

    def forward(self, x, key_padding_mask):
        y, _ = self.attn(x, x, x, key_padding_mask=key_padding_mask, need_weights=False)
        return self.norm(x + y)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(3)
    block = Block().eval()
    path = os.path.join(out, "block.onnx")
    kpm = torch.zeros(2, 5, dtype=torch.bool)
    torch.onnx.export(block, (torch.randn(2, 5, 32), kpm), path, opset_version=17,
                      input_names=["x", "key_padding_mask"], output_names=["y"],
                      dynamic_axes={"x": {0: "batch", 1: "len"},
                                    "key_padding_mask": {0: "batch", 1: "len"},
                                    "y": {0: "batch", 1: "len"}})
    f = heed.compile(path, target="all")["main"]
    cases = []
    for B, L in ((2, 5), (3, 9)):
        rng = np.random.default_rng(B * 100 + L)
        x = rng.standard_normal((B, L, 32)).astype(np.float32)
        mask = np.zeros((B, L), dtype=bool)
        mask[-1, L // 2:] = True
        with torch.no_grad():
            cases.append((x, mask, block(torch.from_numpy(x), torch.from_numpy(mask)).numpy()))
    devices = ["vulkan", "vulkan", "vulkan", "cpu"]
    bad = []

    def work(i):
        try:
            for k in range(20):
                x, mask, want = cases[(i + k) % 2]
                got = f(x, mask, device=devices[i])
                if not np.allclose(got, want, atol=1e-4, rtol=1e-3):
                    bad.append("thread %d call %d on %s: max error %.2e" % (
                        i, k, devices[i], float(np.max(np.abs(got - want)))))
        except Exception as e:  # noqa: BLE001
            bad.append("thread %d: %r" % (i, e))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if bad:
        sys.exit("; ".join(bad[:3]))
    print("80 calls from 4 threads equal torch")


if __name__ == "__main__":
    main()
