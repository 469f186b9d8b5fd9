#!/usr/bin/python3
"""Regenerates the seed corpora under test/fuzz/corpus/ from the repository's own examples and
test inputs, plus a few small generated files (every dtype, .npy versions 1-3, stored and deflated
.npz). Modules (fuzz-module, fuzz-decoder) need a built heed-compile: pass --heed-compile PATH.
Usage: test/fuzz/make_corpus.py [--heed-compile build/bin/heed-compile] [--onnx]"""
import argparse
import glob
import io
import json
import os
import re
import shutil
import struct
import subprocess
import tempfile
import zipfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.path.join(ROOT, "test", "fuzz", "corpus")


def out(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def rel(path):
    return os.path.relpath(path, os.path.join(CORPUS, "fuzz-native"))


def native():
    # The harness names its input corpus/fuzz-native/model.heed: weights paths are rewritten
    # relative to that folder.
    for model in sorted(glob.glob(os.path.join(ROOT, "examples", "*", "model.heed"))):
        d = os.path.dirname(model)
        text = open(model).read()
        text = re.sub(r'weights "([^"]*)"', lambda m: 'weights "%s"' % rel(os.path.join(d, m.group(1))), text)
        out("fuzz-native", "example-" + os.path.basename(d), text)
    for heed in sorted(glob.glob(os.path.join(ROOT, "test", "Frontends", "native", "**", "*.heed"),
                              recursive=True)):
        d = os.path.dirname(heed)
        text = open(heed).read()
        text = re.sub(r'weights "([^"]*)"', lambda m: 'weights "%s"' % rel(os.path.normpath(os.path.join(d, m.group(1)))), text)
        # Drop lit's RUN/CHECK lines: they are comments but only noise to the fuzzer.
        text = "\n".join(l for l in text.splitlines() if not re.match(r"\s*#\s*(RUN|CHECK)", l)) + "\n"
        name = os.path.relpath(heed, os.path.join(ROOT, "test", "Frontends", "native"))
        out("fuzz-native", "test-" + name.replace("/", "-").replace(".heed", ""), text)


def heed_ir():
    files = sorted(glob.glob(os.path.join(ROOT, "test", "**", "*.mlir"), recursive=True))
    files += sorted(glob.glob(os.path.join(ROOT, "examples", "mlir", "*.mlir")))
    for path in files:
        if "/fuzz/" in path:
            continue
        name = os.path.relpath(path, ROOT).replace("/", "-").replace(".mlir", "")
        chunks = open(path).read().split("// -----")
        for i, chunk in enumerate(chunks):
            chunk = "\n".join(l for l in chunk.splitlines() if not re.match(r"\s*//\s*(RUN|CHECK)", l))
            if chunk.strip():
                out("fuzz-heed-ir", "%s-%d" % (name, i), chunk + "\n")


def npy_bytes(a, version=None):
    b = io.BytesIO()
    if version is None:
        np.save(b, a)
    else:
        np.lib.format.write_array(b, a, version=version)
    return b.getvalue()


def tensors():
    rng = np.random.default_rng(0)
    arrays = {
        "f32": rng.standard_normal((2, 3)).astype(np.float32),
        "f64": rng.standard_normal((3,)).astype(np.float64),
        "f16": rng.standard_normal((2, 2)).astype(np.float16),
        "i8": np.arange(4, dtype=np.int8),
        "u8": np.arange(4, dtype=np.uint8),
        "i32": np.arange(6, dtype=np.int32).reshape(2, 3),
        "i64": np.arange(5, dtype=np.int64),
        "bool": np.array([[True, False], [False, True]]),
        "scalar": np.array(1.5, dtype=np.float32),
        "empty": np.zeros((0, 4), dtype=np.float32),
        "rank8": np.zeros((1, 2, 1, 2, 1, 2, 1, 2), dtype=np.float32),
    }
    for name, a in arrays.items():
        out("fuzz-npy", name, npy_bytes(a))
    out("fuzz-npy", "v2", npy_bytes(arrays["f32"], (2, 0)))
    out("fuzz-npy", "v3", npy_bytes(arrays["i64"], (3, 0)))
    # Example inputs as heed-run reads them (ids, lengths, states).
    for path in sorted(glob.glob(os.path.join(ROOT, "examples", "*", "ref", "*-len5", "in.*.npy")))[:6]:
        parts = os.path.relpath(path, os.path.join(ROOT, "examples")).split("/")
        out("fuzz-npy", "example-%s-%s" % (parts[0], parts[-1].replace(".npy", "")), open(path, "rb").read())

    for method, tag in ((zipfile.ZIP_STORED, "stored"), (zipfile.ZIP_DEFLATED, "deflated")):
        b = io.BytesIO()
        with zipfile.ZipFile(b, "w", compression=method) as z:
            for name in ("f32", "i64", "bool", "empty"):
                z.writestr(name + ".npy", npy_bytes(arrays[name]))
        out("fuzz-npz", tag, b.getvalue())
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w") as z:
        pass
    out("fuzz-npz", "empty", b.getvalue())
    for path in sorted(glob.glob(os.path.join(ROOT, "test", "Frontends", "native", "Inputs", "*.npz"))):
        out("fuzz-npz", "test-" + os.path.basename(path)[:-4], open(path, "rb").read())

    st = {"F32": "f32", "F64": "f64", "F16": "f16", "I8": "i8", "U8": "u8", "I32": "i32",
          "I64": "i64", "BOOL": "bool"}
    header, data = {}, b""
    for dt, key in st.items():
        raw = arrays[key].tobytes()
        header["t_" + key] = {"dtype": dt, "shape": list(arrays[key].shape),
                              "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    header["bf16"] = {"dtype": "BF16", "shape": [2], "data_offsets": [len(data), len(data) + 4]}
    data += b"\x80\x3f\x00\x40"
    header["__metadata__"] = {"format": "pt"}
    h = json.dumps(header).encode()
    out("fuzz-safetensors", "all-dtypes", struct.pack("<Q", len(h)) + h + data)
    h = b"{}"
    out("fuzz-safetensors", "empty", struct.pack("<Q", len(h)) + h)
    for path in sorted(glob.glob(os.path.join(ROOT, "test", "Frontends", "native", "Inputs", "*.safetensors"))):
        if os.path.getsize(path) <= 16384:
            out("fuzz-safetensors", "test-" + os.path.basename(path)[:-12], open(path, "rb").read())


def modules(heed_compile):
    tmp = tempfile.mkdtemp()
    try:
        for model in sorted(glob.glob(os.path.join(ROOT, "examples", "*", "model.heed"))):
            name = os.path.basename(os.path.dirname(model))
            dst = os.path.join(tmp, name + ".heedm")
            r = subprocess.run([heed_compile, model, "-o", dst], capture_output=True)
            if r.returncode == 0 and os.path.getsize(dst) <= 50000:
                out("fuzz-module", "example-" + name, open(dst, "rb").read())
        for path in sorted(glob.glob(os.path.join(ROOT, "test", "Frontends", "native", "*.heed"))):
            name = os.path.basename(path)[:-5]
            dst = os.path.join(tmp, name + ".heedm")
            r = subprocess.run([heed_compile, path, "-o", dst], capture_output=True)
            if r.returncode == 0 and os.path.getsize(dst) <= 50000:
                out("fuzz-module", "test-" + name, open(dst, "rb").read())
    finally:
        shutil.rmtree(tmp)


# A decoder with every kind of binding: a state initialised by encode, a per-source constant from
# an encode output (memory) and one from an encode input (src_len), and an attention output.
RICH_DECODER = """module {
  func.func @encode(%src: tensor<?x?xi64> {heed.dims = ["B", "S"], heed.name = "src"}, %len: tensor<?xi64> {heed.dims = ["B"], heed.name = "src_len"})
      -> (tensor<?x4xf32> {heed.dims = ["B", "4"], heed.name = "s"}, tensor<?x?x4xf32> {heed.dims = ["B", "S", "4"], heed.name = "memory"}) {
    %b = heed.dim %src, 0 : tensor<?x?xi64>
    %n = heed.dim %src, 1 : tensor<?x?xi64>
    %st = heed.full 0.000000e+00 : f32[%b] : tensor<?x4xf32>
    %m = heed.full 5.000000e-01 : f32[%b, %n] : tensor<?x?x4xf32>
    return %st, %m : tensor<?x4xf32>, tensor<?x?x4xf32>
  }
  func.func @decode_step(%prev: tensor<?xi64> {heed.dims = ["B"], heed.name = "prev"},
                         %s: tensor<?x4xf32> {heed.dims = ["B", "4"], heed.name = "s"},
                         %memory: tensor<?x?x4xf32> {heed.dims = ["B", "S", "4"], heed.name = "memory"},
                         %len: tensor<?xi64> {heed.dims = ["B"], heed.name = "src_len"})
      -> (tensor<?x5xf32> {heed.dims = ["B", "5"], heed.name = "log_probs"}, tensor<?x4xf32> {heed.dims = ["B", "4"], heed.name = "s"},
          tensor<?x?xf32> {heed.dims = ["B", "S"], heed.name = "attention"}) {
    %b = heed.dim %prev, 0 : tensor<?xi64>
    %n = heed.dim %memory, 1 : tensor<?x?x4xf32>
    %1 = heed.full 0.000000e+00 : f32[%b] : tensor<?x5xf32>
    %2 = heed.log_softmax %1 : (tensor<?x5xf32>) -> tensor<?x5xf32>
    %a = heed.full 2.500000e-01 : f32[%b, %n] : tensor<?x?xf32>
    return %2, %s, %a : tensor<?x5xf32>, tensor<?x4xf32>, tensor<?x?xf32>
  }
}
"""


def decoders(heed_compile):
    # fuzz-decoder: modules with encode and decode_step (the decoder's contract), small enough
    # for libFuzzer's -max_len: the tie-breaking and keys-in-step test models, the examples
    # that fit, and the decode-dims test's module with a state dim named "BB".
    tmp = tempfile.mkdtemp()
    try:
        models = [os.path.join(ROOT, "test", "decode", "Inputs", "uniform.heed")]
        models += sorted(glob.glob(os.path.join(ROOT, "examples", "*", "model.heed")))
        dims = open(os.path.join(ROOT, "test", "bad-inputs", "decode-dims.test")).read()
        good = os.path.join(tmp, "contract.mlir")
        with open(good, "w") as f:
            f.write(dims[dims.index("#--- good.mlir\n") + len("#--- good.mlir\n"):])
        models.append(good)
        rich = os.path.join(tmp, "bindings.mlir")
        with open(rich, "w") as f:
            f.write(RICH_DECODER)
        models.append(rich)
        for model in models:
            name = os.path.basename(model).split(".")[0]
            if name == "model":
                name = "example-" + os.path.basename(os.path.dirname(model))
            dst = os.path.join(tmp, name + ".heedm")
            r = subprocess.run([heed_compile, model, "-o", dst], capture_output=True)
            data = open(dst, "rb").read() if r.returncode == 0 else b""
            if b"decode_step" in data and len(data) <= 60000:  # decoders only
                out("fuzz-decoder", name, data)
    finally:
        shutil.rmtree(tmp)


def onnx_models():
    base = "/usr/share/libonnx-testdata/data/node"
    picks = ["test_gather_0", "test_reshape_negative_dim", "test_attention_4d", "test_softmax_axis_1",
             "test_matmul_2d", "test_lstm_defaults", "test_gru_defaults", "test_layer_normalization_2d_axis0",
             "test_add_bcast", "test_where_example", "test_transpose_default", "test_concat_2d_axis_0"]
    for p in picks:
        path = os.path.join(base, p, "model.onnx")
        if os.path.exists(path):
            out("fuzz-onnx", p, open(path, "rb").read())
    # The importer tests' models: every op family it imports (good_*) and every malformed-model
    # class it rejects (bad_*), so mutations start next to each check.
    tmp = tempfile.mkdtemp()
    try:
        subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "test", "Frontends", "onnx",
                                                         "make_models.py"), tmp], check=True)
        for path in sorted(glob.glob(os.path.join(tmp, "*.onnx"))):
            if 0 < os.path.getsize(path) <= 16384:
                out("fuzz-onnx", "test-" + os.path.basename(path)[:-5], open(path, "rb").read())
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--heed-compile")
    ap.add_argument("--onnx", action="store_true")
    args = ap.parse_args()
    native()
    heed_ir()
    tensors()
    if args.heed_compile:
        modules(args.heed_compile)
        decoders(args.heed_compile)
    if args.onnx:
        onnx_models()
