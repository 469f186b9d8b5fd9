"""heed.compile / load / save, functions, calls with numpy arrays, errors."""

import os
import threading

import numpy as np
import pytest


def test_version(heed):
    assert heed.__version__.count(".") == 2


def test_functions_and_signature(heed, two):
    assert two.functions == ["main"]
    f = two["main"]
    assert [v.name for v in f.inputs] == ["x", "y"]
    assert f.inputs[0].dtype == "float32" and f.inputs[0].dims == ("N", 3)
    assert [v.name for v in f.outputs] == ["sum", "prod", "diff"]
    with pytest.raises(KeyError, match="no function 'nope'"):
        two["nope"]


def test_call_positional_and_named(two):
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    y = np.full((2, 3), 3, np.float32)
    s, p, d = two["main"](x, y)
    np.testing.assert_array_equal(s, x + y)
    np.testing.assert_array_equal(p, x * y)
    np.testing.assert_array_equal(d, x - y)
    s2, _, d2 = two["main"](y=y, x=x)
    np.testing.assert_array_equal(s2, x + y)
    np.testing.assert_array_equal(d2, x - y)


def test_outputs_own_the_runtime_buffer(two):
    x = np.ones((4, 3), np.float32)
    s, _, _ = two["main"](x, x)
    # No copy: the array's memory belongs to the runtime tensor the capsule owns.
    assert s.base is not None and type(s.base).__name__ == "PyCapsule"
    assert not s.flags.writeable


def test_function_and_outputs_outlive_module(heed, src):
    module = heed.compile(os.path.join(src, "test/tools/Inputs/two.heed"))
    f = module["main"]
    del module
    x = np.ones((2, 3), np.float32)
    out = f(x, x)
    del f
    np.testing.assert_array_equal(out[0], 2 * x)


def test_save_load_and_bytes(heed, two, tmp_path):
    path = tmp_path / "two.heedm"
    two.save(str(path))
    loaded = heed.load(str(path))
    again = heed.load_bytes(path.read_bytes())
    x = np.arange(3, dtype=np.float32).reshape(1, 3)
    for m in (loaded, again):
        np.testing.assert_array_equal(m["main"](x, x)[1], x * x)
    # The tools' safe writer: a FIFO at the target is refused, not written into (or hung on).
    fifo = tmp_path / "fifo.heedm"
    os.mkfifo(fifo)
    with pytest.raises(heed.Error, match="is a FIFO, not a regular file"):
        two.save(str(fifo))


def test_compile_onnx_and_mlir(heed, src, tmp_path):
    mlir = tmp_path / "add.mlir"
    mlir.write_text(
        "func.func @main(%a: tensor<2x2xf32>, %b: tensor<2x2xf32>) -> tensor<2x2xf32> {\n"
        "  %0 = heed.add %a, %b : (tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x2xf32>\n"
        "  return %0 : tensor<2x2xf32>\n}\n")
    m = heed.compile(str(mlir))
    a = np.eye(2, dtype=np.float32)
    np.testing.assert_array_equal(m["main"](a, a), 2 * a)
    # A PyTorch export of the zoo, against the outputs torch gave (committed .npy files).
    zoo = os.path.join(src, "examples/onnx/zoo/bahdanau")
    m = heed.compile(os.path.join(zoo, "opset17.onnx"))
    assert m.functions == ["main"]
    case = os.path.join(zoo, "L5")
    inputs = sorted(f for f in os.listdir(case) if f.startswith("input_"))
    outputs = sorted(f for f in os.listdir(case) if f.startswith("output_"))
    got = m["main"](*[np.load(os.path.join(case, f)) for f in inputs])
    got = got if isinstance(got, tuple) else (got,)
    for g, f in zip(got, outputs):
        np.testing.assert_allclose(g, np.load(os.path.join(case, f)), atol=1e-4, rtol=1e-3)


def test_dtypes(heed, tmp_path):
    mlir = tmp_path / "types.mlir"
    mlir.write_text(
        "func.func @main(%a: tensor<3xf16>, %b: tensor<3xi64>, %c: tensor<3xi1>)"
        " -> (tensor<3xf16>, tensor<3xi64>, tensor<3xi1>) {\n"
        "  %0 = heed.add %a, %a : (tensor<3xf16>, tensor<3xf16>) -> tensor<3xf16>\n"
        "  %1 = heed.add %b, %b : (tensor<3xi64>, tensor<3xi64>) -> tensor<3xi64>\n"
        "  return %0, %1, %c : tensor<3xf16>, tensor<3xi64>, tensor<3xi1>\n}\n")
    m = heed.compile(str(mlir))
    a = np.array([0.5, 1.5, -2], np.float16)
    b = np.array([2**40, -3, 7], np.int64)
    c = np.array([True, False, True])
    ra, rb, rc = m["main"](a, b, c)
    assert ra.dtype == np.float16 and rb.dtype == np.int64 and rc.dtype == np.bool_
    np.testing.assert_array_equal(ra, a + a)
    np.testing.assert_array_equal(rb, b + b)
    np.testing.assert_array_equal(rc, c)


def test_bad_inputs(heed, two):
    f = two["main"]
    x = np.ones((2, 3), np.float32)
    with pytest.raises(heed.Error, match=r"input 0 \('x'\) of function 'main' expects tensor<\?x3xf32>, got 2x3xi32"):
        f(x.astype(np.int32), x)
    with pytest.raises(heed.Error, match=r"got 2x4xf32 \(dim 1\)"):
        f(np.ones((2, 4), np.float32), x)
    with pytest.raises(heed.Error, match="input 1 \\('y'\\) is missing"):
        f(x)
    with pytest.raises(heed.Error, match="takes 2 inputs"):
        f(x, x, x)
    with pytest.raises(heed.Error, match="no input named 'z'"):
        f(x, z=x)
    with pytest.raises(heed.Error, match="complex128 has no Heed element type"):
        f(x.astype(np.complex128), x)
    assert issubclass(heed.Error, RuntimeError)


def test_non_contiguous_inputs_are_copied(two):
    x = np.ascontiguousarray(np.arange(18, dtype=np.float32).reshape(6, 3)[::3])
    y = np.arange(18, dtype=np.float32).reshape(3, 6)[:2, ::2]  # strided view
    s, _, _ = two["main"](x, y)
    np.testing.assert_array_equal(s, x + y)


def test_errors_name_the_file(heed, tmp_path):
    bad = tmp_path / "bad.heed"
    bad.write_text("model m\nfunc main(x: f32[2]) -> (y: f32[2]) {\n  return nosuch(x)\n}\n")
    with pytest.raises(heed.Error, match=r"bad\.heed:3:\d+"):
        heed.compile(str(bad))
    garbage = tmp_path / "garbage.onnx"
    garbage.write_bytes(b"\x08\x07garbage")
    with pytest.raises(heed.Error, match=r"garbage\.onnx: error: not a valid ONNX model"):
        heed.compile(str(garbage))
    with pytest.raises(heed.Error, match="cannot read module file"):
        heed.load(str(tmp_path / "missing.heedm"))
    with pytest.raises(heed.Error, match="unknown target"):
        heed.compile(str(bad), target="tpu")


def test_four_threads_on_one_function(two):
    f = two["main"]
    errors = []

    def work(seed):
        rng = np.random.default_rng(seed)
        for _ in range(50):
            n = int(rng.integers(1, 64))
            x = rng.standard_normal((n, 3)).astype(np.float32)
            y = rng.standard_normal((n, 3)).astype(np.float32)
            s, p, d = f(x, y)
            if not (np.array_equal(s, x + y) and np.array_equal(p, x * y) and np.array_equal(d, x - y)):
                errors.append(seed)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_num_threads(heed, two):
    before = heed.get_num_threads()
    heed.set_num_threads(1)
    assert heed.get_num_threads() == 1
    x = np.ones((2, 3), np.float32)
    np.testing.assert_array_equal(two["main"](x, x)[0], 2 * x)
    heed.set_num_threads(0)
    assert heed.get_num_threads() == before
    with pytest.raises(heed.Error):
        heed.set_num_threads(-1)
