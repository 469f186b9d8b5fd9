#!/usr/bin/python3
"""Writes the small weights files the .heed frontend tests bind against, good
and deliberately broken ones. Run: /usr/bin/python3 make_inputs.py (here)."""

import io
import json
import os
import struct
import zipfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.RandomState(0)


def w(*shape):
    return rng.randn(*shape).astype(np.float32)


def header_and_data(tensors, dtypes=None):
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        array = tensors[name]
        data = array.tobytes()
        dtype = (dtypes or {}).get(name, {np.float32: "F32", np.int64: "I64"}[array.dtype.type])
        header[name] = {"dtype": dtype, "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    return header, b"".join(blobs)


def save(name, tensors, dtypes=None):
    header, data = header_and_data(tensors, dtypes)
    write_raw(name, json.dumps(header).encode(), data)


def write_raw(name, header, data, length=None):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(struct.pack("<Q", len(header) if length is None else length))
        f.write(header)
        f.write(data)


def lstm(prefix, gates, inp, hidden, layers=1, dirs=1, bias=True):
    out = {}
    for layer in range(layers):
        for d in range(dirs):
            suffix = f"_l{layer}" + ("_reverse" if d else "")
            size = inp if layer == 0 else dirs * hidden
            out[f"{prefix}.weight_ih{suffix}"] = w(gates * hidden, size)
            out[f"{prefix}.weight_hh{suffix}"] = w(gates * hidden, hidden)
            if bias:
                out[f"{prefix}.bias_ih{suffix}"] = w(gates * hidden)
                out[f"{prefix}.bias_hh{suffix}"] = w(gates * hidden)
    return out


def linear(prefix, out, inp, bias=True):
    d = {f"{prefix}.weight": w(out, inp)}
    if bias:
        d[f"{prefix}.bias"] = w(out)
    return d


# The shared small model of the error tests: embedding 10x8, linear 4x8 (+bias).
tiny = {"emb.weight": w(10, 8), **linear("out", 4, 8)}
save("tiny.safetensors", tiny)
save("tiny_extra.safetensors", {**tiny, "unused.weight": w(3), "unused.bias": w(3)})
save("tiny_i64.safetensors", {"emb.weight": np.arange(80, dtype=np.int64).reshape(10, 8),
                              **linear("out", 4, 8)})
save("tiny_bad_lstm.safetensors", {"emb.weight": w(10, 8), "rnn.weight_ih_l0": w(64, 8),
                                   "rnn.weight_hh_l0": w(64, 15)})

# Broken files.
header, data = header_and_data(tiny)
text = json.dumps(header).encode()
write_raw("truncated.safetensors", text, data[: len(data) // 2])  # offsets beyond the data
with open(os.path.join(HERE, "short.safetensors"), "wb") as f:
    f.write(b"\x10\x00\x00")
write_raw("header_beyond.safetensors", text, data, length=1 << 20)
bad = json.loads(text)
bad["out.bias"]["data_offsets"] = [0, 16]  # overlaps emb.weight
write_raw("overlap.safetensors", json.dumps(bad).encode(), data)
bad = json.loads(text)
bad["out.bias"]["data_offsets"] = [len(data), len(data) + 16]
write_raw("out_of_range.safetensors", json.dumps(bad).encode(), data)
save("unknown_dtype.safetensors", tiny, {"out.bias": "F8_E5M2"})
write_raw("bad_json.safetensors", text[:-1] + b",}", data)


def npz(name, arrays, fortran=()):
    with zipfile.ZipFile(os.path.join(HERE, name), "w", zipfile.ZIP_DEFLATED) as z:
        for key, array in arrays.items():
            buffer = io.BytesIO()
            np.save(buffer, np.asfortranarray(array) if key in fortran else array)
            info = zipfile.ZipInfo(key + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED  # a fixed date keeps the file reproducible
            z.writestr(info, buffer.getvalue())


npz("tiny.npz", tiny)
npz("fortran.npz", tiny, fortran={"out.weight"})
np.savez(os.path.join(HERE, "tiny_numpy.npz"), **tiny)

# The construct tests.
save("layers.safetensors", {
    "emb.weight": w(10, 8), **linear("proj", 16, 8), **linear("nobias", 16, 8, bias=False),
    **lstm("lstm", 4, 8, 16, layers=2, dirs=2), **lstm("gru", 3, 8, 16),
    **lstm("rnn", 1, 8, 16, bias=False),
    "lcell.weight_ih": w(64, 8), "lcell.weight_hh": w(64, 16), "lcell.bias_ih": w(64),
    "lcell.bias_hh": w(64), "gcell.weight_ih": w(48, 8), "gcell.weight_hh": w(48, 16),
    "rcell.weight_ih": w(16, 8), "rcell.weight_hh": w(16, 16),
    "ln.weight": w(16), "ln.bias": w(16), **linear("ff.fc1", 32, 16), **linear("ff.fc2", 16, 32),
})
save("attention.safetensors", {
    "attn.query.weight": w(12, 16), "attn.v": w(12), **linear("attn.key", 12, 16),
    **linear("mha.q_proj", 16, 16), **linear("mha.k_proj", 16, 16),
    **linear("mha.v_proj", 16, 16), **linear("mha.out_proj", 16, 16),
    **linear("W_a", 16, 16, bias=False),
})
save("scan.safetensors", {"cell.weight_ih": w(48, 8), "cell.weight_hh": w(48, 16)})
