#!/usr/bin/python3
"""What a call from Python costs on top of the same call from C++.

usage: bench/python_overhead.py [--build DIR] [--calls N] [--repeat R]

One function `x + y`, over f32[1, 4] (the runtime's own cost per call is a few microseconds) and
over f32[256, 1024] (1 MiB per input: what copying the inputs would cost shows), timed three ways
in one run:
- C++: heed-bench (Google Benchmark over heed::Function::invoke, the C API), its mean per call;
- Python: `f(x, y)` through the heed package, N calls in a loop (fewer for the large shape), best
  of R loops;
- Python, ctypes-free floor: the same loop calling a no-op Python function, to show the loop's cost.
Prints microseconds per call and the difference Python - C++ (issue goal: under 20 us). Benchmarks
are not tests: nothing fails on a slow number; quote numbers measured side by side in one run.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

MODEL = """model add
func main(x: f32[{rows}, {cols}], y: f32[{rows}, {cols}]) -> (z: f32[{rows}, {cols}]) {{
  return x + y
}}
"""
SHAPES = [(1, 4), (256, 1024)]


def per_call(fn, calls, repeat):
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, (time.perf_counter() - start) / calls)
    return best * 1e6


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--calls", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    sys.path.insert(0, os.path.join(args.build, "python"))
    import heed

    heed.set_num_threads(1)
    noop_us = per_call(lambda: None, args.calls, args.repeat)
    print(f"Python loop alone:        {noop_us:8.2f} us per call")
    for rows, cols in SHAPES:
        spec = f"--input={rows}x{cols}xf32"
        with tempfile.TemporaryDirectory() as tmp:
            model = os.path.join(tmp, "add.heed")
            with open(model, "w") as f:
                f.write(MODEL.format(rows=rows, cols=cols))
            module = heed.compile(model)
            path = os.path.join(tmp, "add.heedm")
            module.save(path)
            out = subprocess.run(
                [os.path.join(args.build, "bin", "heed-bench"), path, spec, spec, "--threads=1",
                 "--benchmark_format=json", "--benchmark_min_time=1"],
                check=True, capture_output=True, text=True).stdout
            bench = json.loads(out)["benchmarks"][0]
            scale = {"ns": 1e-3, "us": 1.0, "ms": 1e3}[bench["time_unit"]]
            c_us = bench["real_time"] * scale
        f = module["main"]
        x = np.ones((rows, cols), np.float32)
        y = np.ones((rows, cols), np.float32)
        calls = max(args.calls * 4 // (rows * cols), 200)
        py_us = per_call(lambda: f(x, y), calls, args.repeat)
        print(f"f32[{rows}, {cols}]:")
        print(f"  C++ (heed-bench, C API):  {c_us:10.2f} us per call")
        print(f"  Python (heed package):    {py_us:10.2f} us per call")
        print(f"  Python - C++:             {py_us - c_us:10.2f} us per call")


if __name__ == "__main__":
    main()
