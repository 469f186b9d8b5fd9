#!/usr/bin/python3
"""Usage: import_zoo.py HEED_COMPILE ZOO_DIR [--eval]

Imports every model of the torch-exported zoo (examples/onnx/zoo/*/opset*.onnx)
with --emit=mlir-input and --emit=mlir; prints one line per model and fails
if any import fails, the zoo is empty, or a model's function does not take
as many inputs as its saved .npy inputs.

With --eval, also runs each imported model with heed_eval.py (the numpy
reference interpreter of heed IR) on the saved inputs of every sequence
length and compares with torch's outputs (atol 1e-4, rtol 1e-3)."""
import glob
import os
import re
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import heed_eval  # noqa: E402

compiler, zoo = sys.argv[1], sys.argv[2]
evaluate = "--eval" in sys.argv[3:]
models = sorted(glob.glob(os.path.join(zoo, "*", "opset*.onnx")))
if not models:
    sys.exit("import_zoo.py: no models under " + zoo)
failures = 0
for model in models:
    name = os.path.relpath(model, zoo)
    inputs = glob.glob(os.path.join(os.path.dirname(model), "L*", "input_*.npy"))
    lengths = glob.glob(os.path.join(os.path.dirname(model), "L*"))
    for emit in ("mlir-input", "mlir"):
        run = subprocess.run([compiler, model, "--emit=" + emit], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        if run.returncode != 0:
            print("FAIL %s --emit=%s (exit %d): %s" % (name, emit, run.returncode,
                                                      run.stderr.decode(errors="replace")))
            failures += 1
            continue
        text = run.stdout.decode()
        header = re.search(r"func\.func @main\((.*?)\) ->", text)
        args = header.group(1).count("heed.name") if header else -1
        if emit == "mlir-input" and lengths and args != len(inputs) // len(lengths):
            print("FAIL %s: @main takes %d inputs, the zoo saved %d" %
                  (name, args, len(inputs) // len(lengths)))
            failures += 1
            continue
        print("OK %s --emit=%s" % (name, emit))
    if not evaluate:
        continue
    run = subprocess.run([compiler, model, "--emit=mlir-input", "--mlir-print-op-generic"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if run.returncode != 0:
        continue  # already reported
    for length in sorted(lengths):
        def files(kind):
            paths = glob.glob(os.path.join(length, kind + "_*.npy"))
            return sorted(paths, key=lambda p: int(p.rsplit("_", 1)[1][:-4]))
        tag = "%s %s" % (name, os.path.basename(length))
        try:
            got = heed_eval.evaluate(run.stdout.decode(), [np.load(p) for p in files("input")])
        except Exception as e:  # report, do not stop the sweep
            print("FAIL %s: evaluation failed: %s" % (tag, e))
            failures += 1
            continue
        whys = [heed_eval.compare(g, np.load(w), 1e-4, 1e-3)
                for g, w in zip(got, files("output"))]
        if len(got) != len(files("output")) or any(whys):
            print("FAIL %s: %s" % (tag, [w for w in whys if w] or "output count differs"))
            failures += 1
        else:
            print("MATCH %s" % tag)
sys.exit(1 if failures else 0)
