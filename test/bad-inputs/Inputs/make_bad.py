#!/usr/bin/python3
"""Writes the hostile inputs of the bad-input suite into OUTDIR (lit's %t): weights files
(safetensors, .npz) with a model naming each, .npy inputs, corrupt module files (from a good one,
when given), and .heed/.mlir files. Every file is small; the sizes they claim are not.
Usage: make_bad.py OUTDIR [GOOD_MODULE.heedm]"""
import io
import json
import os
import struct
import sys
import zipfile
import zlib

import numpy as np

OUT = sys.argv[1]
os.makedirs(OUT, exist_ok=True)
rng = np.random.RandomState(0)


def put(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


# The model every weights file is bound to: embedding "emb.weight" [10, 4], linear "out" [4, 4] + [4].
MODEL = """model m
weights "%s"

func f(src: i64[B, S]) -> (y: f32[B, S, 4]) {
  let x = embedding(src, "emb")
  return linear(x, "out")
}
"""
GOOD = {"emb.weight": rng.randn(10, 4).astype(np.float32), "out.weight": rng.randn(4, 4).astype(np.float32),
        "out.bias": rng.randn(4).astype(np.float32)}


def st_header(tensors):
    header, data = {}, b""
    for name in sorted(tensors):
        raw = tensors[name].tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape),
                        "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    return header, data


def st(name, header=None, data=b"", raw=None, length=None):
    """A weights file `name`.safetensors and the model `name`.heed naming it."""
    if raw is None:
        h = header if isinstance(header, bytes) else json.dumps(header).encode()
        raw = struct.pack("<Q", len(h) if length is None else length) + h + data
    put(name + ".safetensors", raw)
    put(name + ".heed", MODEL % (name + ".safetensors"))


good_header, good_data = st_header(GOOD)


def patched(**changes):
    h = json.loads(json.dumps(good_header))
    for name, fields in changes.items():
        h[name.replace("__", ".")].update(fields)
    return h


st("st_empty", raw=b"")
st("st_short", raw=b"\x10\x00\x00")
st("st_garbage", raw=bytes(rng.randint(0, 256, 200).astype(np.uint8)))
st("st_header_beyond", good_header, good_data, length=1 << 63)
st("st_truncated", raw=(struct.pack("<Q", len(json.dumps(good_header))) +
                        json.dumps(good_header).encode() + good_data)[:150])
st("st_bad_json", b'{"emb": {"dtype": "F32", "shape": [10, 4], ', good_data)
st("st_not_object", b"[1, 2, 3]", good_data)
st("st_deep", b'{"__metadata__": ' + b"[" * 100 + b"]" * 100 + b"}", good_data)
st("st_unknown_dtype", patched(emb__weight={"dtype": "F8_E4M3"}), good_data)
st("st_negative_dim", patched(emb__weight={"shape": [-10, 4]}), good_data)
st("st_dim_2_31", patched(emb__weight={"shape": [2 ** 31, 4]}), good_data)
st("st_dim_2_63", patched(emb__weight={"shape": [2 ** 63, 4]}), good_data)
st("st_dim_2_62", patched(emb__weight={"shape": [2 ** 62, 4]}), good_data)
st("st_dims_wrap", patched(emb__weight={"shape": [2 ** 32, 2 ** 32, 4]}), good_data)
st("st_dim_huge_int", json.dumps(patched()).replace("[10, 4]", "[100000000000000000000000, 4]").encode(),
   good_data)
st("st_rank9", patched(emb__weight={"shape": [1] * 9}), good_data)
st("st_zero_dim", patched(out__weight={"shape": [0, 4], "data_offsets": [176, 176]}), good_data)
st("st_offsets_reversed", patched(emb__weight={"data_offsets": [160, 0]}), good_data)
st("st_out_of_range", patched(out__bias={"data_offsets": [224, 1 << 40]}), good_data)
st("st_offset_wrap", patched(out__bias={"data_offsets": [2 ** 64 - 8, 2 ** 64 - 8 + 16]}), good_data)
st("st_overlap", patched(out__bias={"data_offsets": [0, 16]}), good_data)
st("st_size_mismatch", patched(emb__weight={"data_offsets": [0, 156]}), good_data)
st("st_dtype_mismatch", patched(emb__weight={"dtype": "I32"}), good_data)
st("st_duplicate", json.dumps(good_header)[:-1].encode() + b', "emb.weight": ' +
   json.dumps(good_header["emb.weight"]).encode() + b"}", good_data)
st("st_offsets_floats", patched(emb__weight={"data_offsets": [0.5, 160]}), good_data)


def npy(a, version=(1, 0)):
    b = io.BytesIO()
    np.lib.format.write_array(b, a, version=version)
    return b.getvalue()


def npy_header(descr, shape, fortran=False, data=b""):
    h = "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (descr, fortran, shape)
    h = h + " " * ((64 - (10 + len(h) + 1) % 64) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h.encode() + data


def npz(name, members, method=zipfile.ZIP_STORED, patch=None):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", compression=method) as z:
        for member, data in members.items():
            z.writestr(member, data)
    raw = bytearray(b.getvalue())
    if patch:
        patch(raw)
    put(name + ".npz", bytes(raw))
    put(name + ".heed", MODEL % (name + ".npz"))


good_members = {k + ".npy": npy(v) for k, v in GOOD.items()}


def central(raw):
    return raw.find(b"PK\x01\x02")


def set_uncompressed(raw):
    at = central(raw)
    raw[at + 24:at + 28] = struct.pack("<I", 0xFFFFFFFE)  # claims a 4 GiB member


def set_both_sizes(raw):
    at = central(raw)
    raw[at + 20:at + 28] = struct.pack("<II", 0xFFFFFFFE, 0xFFFFFFFE)


def flip_crc(raw):
    at = central(raw)
    raw[at + 16] ^= 0xFF


def encrypt(raw):
    at = central(raw)
    raw[at + 8] |= 1


def bad_method(raw):
    at = central(raw)
    raw[at + 10:at + 12] = struct.pack("<H", 12)  # bzip2


def local_offset(raw):
    at = central(raw)
    raw[at + 42:at + 46] = struct.pack("<I", 0x7FFFFFF0)


npz("npz_truncated", good_members, patch=lambda r: r.__delitem__(slice(len(r) // 2, len(r) - 22)))
npz("npz_no_directory", good_members, patch=lambda r: r.__delitem__(slice(len(r) - 22, len(r))))
npz("npz_huge_member", good_members, patch=set_uncompressed)
npz("npz_huge_member_deflated", good_members, zipfile.ZIP_DEFLATED, patch=set_uncompressed)
npz("npz_huge_stored", good_members, patch=set_both_sizes)
npz("npz_bad_crc", good_members, patch=flip_crc)
npz("npz_encrypted", good_members, patch=encrypt)
npz("npz_bzip2", good_members, patch=bad_method)
npz("npz_local_offset", good_members, patch=local_offset)
npz("npz_bad_deflate", good_members, zipfile.ZIP_DEFLATED,
    patch=lambda r: r.__setitem__(slice(40, 60), b"\xff" * 20))
npz("npz_not_npy", {"emb.txt": b"hello"})
npz("npz_member_truncated", dict(good_members, **{"emb.weight.npy": good_members["emb.weight.npy"][:100]}))
npz("npz_member_2_63", dict(good_members, **{"emb.weight.npy": npy_header("<f4", "(9223372036854775807, 4)")}))
npz("npz_member_rank9", dict(good_members, **{"emb.weight.npy": npy_header("<f4", "(1,1,1,1,1,1,1,1,1)", data=b"\0" * 4)}))

# .npy inputs for heed-run (the transformer's encode takes src: i64[B, S], src_len: i64[B]).
src = np.array([[1, 2, 3, 4, 5], [6, 7, 8, 0, 0]], dtype=np.int64)
put("src.npy", npy(src))
put("src_len.npy", npy(np.array([5, 3], dtype=np.int64)))
put("npy_empty.npy", b"")
put("npy_bad_magic.npy", b"\x93NUMPX\x01\x00" + npy(src)[8:])
put("npy_version9.npy", b"\x93NUMPY\x09\x00" + npy(src)[8:])
put("npy_truncated.npy", npy(src)[:-8])
put("npy_header_beyond.npy", npy(src)[:8] + b"\xff\xff" + npy(src)[10:])
put("npy_dim_2_31.npy", npy_header("<i8", "(2147483648, 5)"))
put("npy_dim_2_63.npy", npy_header("<i8", "(9223372036854775807, 5)"))
put("npy_dims_wrap.npy", npy_header("<i8", "(4294967296, 4294967296)"))
put("npy_negative_dim.npy", npy_header("<i8", "(-2, 5)"))
put("npy_rank9.npy", npy_header("<i8", "(1, 1, 1, 1, 1, 1, 1, 2, 5)", data=src.tobytes()))
put("npy_fortran.npy", npy_header("<i8", "(2, 5)", fortran=True, data=src.tobytes()))
put("npy_big_endian.npy", npy(src.astype(">i8")))
put("npy_f16.npy", npy(src.astype(np.float16)))
put("npy_f32_ids.npy", npy(src.astype(np.float32)))
put("npy_rank1.npy", npy(src[0]))
put("npy_no_shape.npy", b"\x93NUMPY\x01\x00" + struct.pack("<H", 40) + b"{'descr': '<i8', 'fortran_order': False}" + src.tobytes())
put("ids_out_of_range.npy", npy(np.array([[1, 2, 3, 4, 20], [6, 7, 8, 0, 0]], dtype=np.int64)))
put("ids_negative.npy", npy(np.array([[1, 2, -1, 4, 5], [6, 7, 8, 0, 0]], dtype=np.int64)))
put("ids_huge.npy", npy(np.array([[1, 2, 3, 4, 2 ** 62], [6, 7, 8, 0, 0]], dtype=np.int64)))
put("src_len3.npy", npy(np.array([5, 3, 1], dtype=np.int64)))

# decode_step inputs (B=2, T=3, S=5) for the NaN test and the shape checks.
put("prev.npy", npy(np.array([1, 2], dtype=np.int64)))
for n, shape in (("self_k", (2, 3, 32)), ("self_v", (2, 3, 32)), ("cross_k", (2, 5, 32)),
                 ("cross_v", (2, 5, 32))):
    a = rng.randn(*shape).astype(np.float32)
    put(n + ".npy", npy(a))
    a[0, 1, 7] = np.nan  # one NaN in batch row 0
    put(n + "_nan.npy", npy(a))
put("self_k_wide.npy", npy(rng.randn(2, 3, 31).astype(np.float32)))

# Modules, corrupted from a good one.
if len(sys.argv) > 2:
    good = bytearray(open(sys.argv[2], "rb").read())

    def fix_crc(raw):
        raw[12:16] = struct.pack("<I", zlib.crc32(bytes(raw[64:])) & 0xFFFFFFFF)
        return raw

    put("mod_empty.heedm", b"")
    put("mod_short.heedm", bytes(good[:40]))
    put("mod_truncated.heedm", bytes(good[:len(good) // 2]))
    put("mod_bad_magic.heedm", b"HEEDMOX\0" + bytes(good[8:]))
    put("mod_version.heedm", bytes(good[:8]) + struct.pack("<I", 99) + bytes(good[12:]))
    flipped = bytearray(good)
    flipped[100] ^= 0x55
    put("mod_bad_crc.heedm", bytes(flipped))
    sizes = bytearray(good)
    sizes[24:32] = struct.pack("<Q", 2 ** 64 - 64)
    put("mod_sizes_wrap.heedm", bytes(fix_crc(sizes)))
    garbage = bytearray(good)
    payload = struct.unpack("<Q", bytes(good[24:32]))[0]
    garbage[64:64 + payload] = bytes(rng.randint(0, 256, payload).astype(np.uint8))
    put("mod_garbage_plan.heedm", bytes(fix_crc(garbage)))
    put("mod_garbage.heedm", bytes(rng.randint(0, 256, 4096).astype(np.uint8)))
    put("mod_trailing.heedm", bytes(fix_crc(bytearray(good + b"\0" * 64))))
