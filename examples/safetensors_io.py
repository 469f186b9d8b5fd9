"""safetensors by hand, for the example scripts (the format: u64 header length, JSON header,
raw little-endian data). Writes f32 only, which is all the examples' weights are."""
import json
import struct

import numpy as np
import torch


def save_safetensors(path, tensors):
    """Writes {name: torch tensor} as F32, names sorted, header padded to 8 bytes."""
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        array = np.ascontiguousarray(tensors[name].detach().numpy().astype(np.float32))
        data = array.tobytes()
        header[name] = {"dtype": "F32", "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def load_safetensors(path):
    """Reads an F32 safetensors file into {name: torch tensor}."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        lo, hi = info["data_offsets"]
        out[name] = torch.from_numpy(
            np.frombuffer(data[lo:hi], dtype=np.float32).reshape(info["shape"]).copy())
    return out
