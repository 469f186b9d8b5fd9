#!/usr/bin/python3
"""Wrong-dtype and hostile files for dtype-inputs.test: OUTDIR/NAME.{npy,safetensors}."""

import json
import os
import sys

import numpy as np

out = sys.argv[1]


def safetensors(name, tensors, data, header_len=None):
    header = json.dumps(tensors).encode()
    header += b" " * ((8 - len(header) % 8) % 8)
    n = len(header) if header_len is None else header_len
    with open(os.path.join(out, name), "wb") as f:
        f.write(n.to_bytes(8, "little") + header + data)


np.save(os.path.join(out, "i64_3x4.npy"), np.arange(12, dtype=np.int64).reshape(3, 4))
np.save(os.path.join(out, "i8_3x4.npy"), np.arange(12, dtype=np.int8).reshape(3, 4))
np.save(os.path.join(out, "f32_2x4.npy"), np.zeros((2, 4), np.float32))
np.save(os.path.join(out, "u16_2x4.npy"), np.zeros((2, 4), np.uint16))
bits = np.zeros(8, "<u2").tobytes()
safetensors("two.safetensors", {"a": {"dtype": "BF16", "shape": [2, 4], "data_offsets": [0, 16]},
                                "b": {"dtype": "BF16", "shape": [2, 4],
                                      "data_offsets": [16, 32]}}, bits + bits)
safetensors("i8.safetensors", {"a": {"dtype": "I8", "shape": [2, 4], "data_offsets": [0, 8]}},
            bytes(8))
safetensors("short.safetensors", {"a": {"dtype": "BF16", "shape": [2, 4],
                                        "data_offsets": [0, 16]}}, bits[:10])
safetensors("f16_for_bf16.safetensors", {"a": {"dtype": "F16", "shape": [2, 4],
                                               "data_offsets": [0, 16]}}, bits)
