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


def test_contiguous_aligned_inputs_are_not_copied(heed, two):
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    y = np.full((2, 3), 3, np.float32)
    y.flags.writeable = False  # read-only arrays too: the runtime never writes an input
    before = heed._debug_input_stats()
    s, p, _ = two["main"](x, y)
    after = heed._debug_input_stats()
    assert after["wrapped"] - before["wrapped"] == 2 and after["copied"] == before["copied"]
    # The runtime read the arrays' own memory.
    assert after["last_call_data"] == [x.ctypes.data, y.ctypes.data]
    np.testing.assert_array_equal(s, x + y)
    np.testing.assert_array_equal(p, x * y)


def test_other_inputs_are_copied(heed, two):
    """Strided, misaligned and byte-swapped arrays and lists are copied once, correctly."""
    base = np.arange(18, dtype=np.float32).reshape(3, 6)
    strided = base[:2, ::2]
    raw = np.zeros(2 * 3 * 4 + 1, np.uint8)
    misaligned = raw[1:].view(np.float32).reshape(2, 3)
    misaligned[...] = [[1, 2, 3], [4, 5, 6]]
    assert not misaligned.flags.aligned
    swapped = np.array([[7, 8, 9], [10, 11, 12]], dtype=">f4")
    for x in (strided, misaligned, swapped):
        before = heed._debug_input_stats()
        s, _, d = two["main"](x, np.ones((2, 3), np.float32))
        after = heed._debug_input_stats()
        assert after["copied"] - before["copied"] == 1 and after["wrapped"] - before["wrapped"] == 1
        assert after["last_call_data"][0] != x.ctypes.data
        np.testing.assert_array_equal(s, np.asarray(x, np.float32) + 1)
        np.testing.assert_array_equal(d, np.asarray(x, np.float32) - 1)
    # Not an array: made one of the input's dtype (numpy would make float64 of a list).
    s, _, _ = two["main"]([[1, 2, 3]], np.ones((1, 3), np.float32))
    np.testing.assert_array_equal(s, [[2, 3, 4]])


def test_outputs_never_share_an_input(heed, tmp_path):
    """A function returning its input (or a view of it) gives a copy: the output must not change
    when the caller later writes into the array it passed without a copy."""
    mlir = tmp_path / "same.mlir"
    mlir.write_text(
        "func.func @main(%a: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<6xf32>) {\n"
        "  %0 = heed.reshape %a {shape = array<i64: 6>} : (tensor<2x3xf32>) -> tensor<6xf32>\n"
        "  return %a, %0 : tensor<2x3xf32>, tensor<6xf32>\n}\n")
    m = heed.compile(str(mlir))
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    same, flat = m["main"](a)
    assert heed._debug_input_stats()["last_call_data"] == [a.ctypes.data]
    assert not np.shares_memory(same, a) and not np.shares_memory(flat, a)
    a[...] = -1
    np.testing.assert_array_equal(same, np.arange(6, dtype=np.float32).reshape(2, 3))
    np.testing.assert_array_equal(flat, np.arange(6, dtype=np.float32))


def test_inputs_are_left_unchanged(two):
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    y = np.full((2, 3), 3, np.float32)
    x0, y0 = x.copy(), y.copy()
    two["main"](x, y)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(y, y0)


def test_closed_module(heed, src):
    with heed.compile(os.path.join(src, "test/tools/Inputs/two.heed")) as module:
        f = module["main"]
        x = np.ones((2, 3), np.float32)
        kept = f(x, x)[0]
    assert module.closed
    with pytest.raises(heed.Error, match="module '.*two.heed' is closed"):
        f(x, x)
    with pytest.raises(heed.Error, match="is closed"):
        module["main"]
    np.testing.assert_array_equal(kept, 2 * x)  # arrays already returned stay valid
    # A translator made before close() refuses too.
    module = heed.compile(os.path.join(src, "examples/reverse/model.heed"))
    t = heed.Translator(module)
    assert t.translate_batch([[3, 4, 5]])[0].hypotheses[0] == [5, 4, 3]
    module.close()
    with pytest.raises(heed.Error, match="is closed"):
        t.translate_batch([[3, 4, 5]])
    with pytest.raises(heed.Error, match="is closed"):
        t.score_batch([[3, 4, 5]], [[5, 4, 3]])
    with pytest.raises(heed.Error, match="is closed"):
        heed.Translator(module)


def test_bfloat16_travels_as_uint16_bits(heed, tmp_path):
    mlir = tmp_path / "bf16.mlir"
    mlir.write_text(
        "func.func @main(%a: tensor<3xbf16>) -> tensor<3xbf16> {\n"
        "  %0 = heed.add %a, %a : (tensor<3xbf16>, tensor<3xbf16>) -> tensor<3xbf16>\n"
        "  return %0 : tensor<3xbf16>\n}\n")
    m = heed.compile(str(mlir))
    assert m["main"].inputs[0].dtype == "bfloat16"

    def bits(v):  # bf16 is the top half of an f32: exact for these values
        return (np.array(v, np.float32).view(np.uint32) >> 16).astype(np.uint16)

    got = m["main"](bits([0.5, 1.5, -2.0]))
    assert got.dtype == np.uint16
    np.testing.assert_array_equal(got, bits([1.0, 3.0, -4.0]))
    with pytest.raises(heed.Error, match="expects tensor<3xbf16>, got 3xf32"):
        m["main"](np.ones(3, np.float32))


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


def test_num_threads(heed, two, src):
    before = heed.get_num_threads()
    heed.set_num_threads(1)
    assert heed.get_num_threads() == 1
    x = np.ones((2, 3), np.float32)
    np.testing.assert_array_equal(two["main"](x, x)[0], 2 * x)
    heed.set_num_threads(0)
    assert heed.get_num_threads() == before
    # Translator's threads= is the same process-wide setting (docs/python.md, Threads).
    heed.Translator(os.path.join(src, "examples/reverse/model.heed"), threads=1)
    assert heed.get_num_threads() == 1
    heed.set_num_threads(0)
    with pytest.raises(heed.Error):
        heed.set_num_threads(-1)


def test_the_gil_is_released_during_a_call(heed, tmp_path):
    """Another Python thread runs while a call is inside the runtime: the main thread's loop
    records times in the middle of the worker's call (never, were the GIL held)."""
    mlir = tmp_path / "mm.mlir"
    mlir.write_text(
        "func.func @main(%a: tensor<768x768xf32>) -> tensor<768x768xf32> {\n"
        "  %0 = heed.matmul %a, %a : (tensor<768x768xf32>, tensor<768x768xf32>) -> tensor<768x768xf32>\n"
        "  %1 = heed.matmul %0, %a : (tensor<768x768xf32>, tensor<768x768xf32>) -> tensor<768x768xf32>\n"
        "  %2 = heed.matmul %1, %a : (tensor<768x768xf32>, tensor<768x768xf32>) -> tensor<768x768xf32>\n"
        "  return %2 : tensor<768x768xf32>\n}\n")
    f = heed.compile(str(mlir))["main"]
    a = np.full((768, 768), 1e-3, np.float32)
    import time

    for _ in range(3):  # a loaded machine may not schedule the main thread during one call
        span = []

        def work():
            start = time.perf_counter()
            f(a)
            span.extend([start, time.perf_counter()])

        worker = threading.Thread(target=work)
        ticks = []
        worker.start()
        while worker.is_alive():
            ticks.append(time.perf_counter())
        worker.join()
        quarter = (span[1] - span[0]) / 4  # away from the Python code around the call
        if any(span[0] + quarter < t < span[1] - quarter for t in ticks):
            return
    pytest.fail("no Python code ran while the runtime worked")


def test_compile_options_masked_rows_and_fusion(heed, tmp_path):
    """masked_rows= and fusion= reach the pipeline: a fully masked attention row gives zeros
    (the default), NaN with masked_rows="nan" (what the decomposed graph, fusion=False, gives);
    the rows that see something match numpy either way."""
    mlir = tmp_path / "attn.mlir"
    mlir.write_text(
        "func.func @main(%q: tensor<2x8x16xf32>, %k: tensor<2x8x16xf32>, %v: tensor<2x8x16xf32>,"
        " %see: tensor<2x1x8xi1>) -> tensor<2x8x16xf32> {\n"
        "  %s = heed.matmul %q, %k {transpose_b = true} : (tensor<2x8x16xf32>, tensor<2x8x16xf32>)"
        " -> tensor<2x8x8xf32>\n"
        "  %fill = heed.constant dense<0xFF800000> : tensor<f32>\n"
        "  %y = heed.where %see, %s, %fill : (tensor<2x1x8xi1>, tensor<2x8x8xf32>, tensor<f32>)"
        " -> tensor<2x8x8xf32>\n"
        "  %a = heed.softmax %y : (tensor<2x8x8xf32>) -> tensor<2x8x8xf32>\n"
        "  %o = heed.matmul %a, %v : (tensor<2x8x8xf32>, tensor<2x8x16xf32>) -> tensor<2x8x16xf32>\n"
        "  return %o : tensor<2x8x16xf32>\n}\n")
    rng = np.random.default_rng(0)
    q, k, v = (rng.standard_normal((2, 8, 16)).astype(np.float32) for _ in range(3))
    see = np.ones((2, 1, 8), bool)
    see[0] = False  # batch 0: every key masked
    see[1, 0, 5:] = False
    s = q[1] @ k[1].T
    s[:, 5:] = -np.inf
    w = np.exp(s - s.max(-1, keepdims=True))
    want = (w / w.sum(-1, keepdims=True)) @ v[1]
    for options, row in (({}, "zero"), ({"masked_rows": "nan"}, "nan"), ({"fusion": False}, "nan")):
        got = heed.compile(str(mlir), **options)["main"](q, k, v, see)
        np.testing.assert_allclose(got[1], want, atol=1e-4, rtol=1e-3)
        if row == "zero":
            assert (got[0] == 0).all(), options
        else:
            assert np.isnan(got[0]).all(), options
    with pytest.raises(heed.Error, match="unknown masked_rows 'inf'"):
        heed.compile(str(mlir), masked_rows="inf")


@pytest.mark.skipif(os.environ.get("HEED_TEST_VULKAN") != "1",
                    reason="lit runs it where a Vulkan device is (HEED_TEST_VULKAN=1)")
def test_function_on_vulkan_reads_inputs_in_place_and_uploads(heed, src):
    """device="vulkan": an in-place input is uploaded from the array's memory; a strided one is
    copied first; outputs do not share the input either way."""
    f = heed.compile(os.path.join(src, "test/tools/Inputs/two.heed"), target="all")["main"]
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    strided = np.arange(12, dtype=np.float32).reshape(2, 6)[:, ::2]
    for a in (x, strided):
        s, p, d = f(a, x, device="vulkan")
        np.testing.assert_array_equal(s, a + x)
        np.testing.assert_array_equal(p, a * x)
        np.testing.assert_array_equal(d, a - x)
    assert heed._debug_input_stats()["last_call_data"][1] == x.ctypes.data
