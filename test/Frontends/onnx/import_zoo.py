#!/usr/bin/python3
"""Usage: import_zoo.py HEED_COMPILE ZOO_DIR

Imports every model of the torch-exported zoo (examples/onnx/zoo/*/opset*.onnx)
with --emit=mlir-input and --emit=mlir; prints one line per model and fails
if any import fails, the zoo is empty, or a model's function does not take
as many inputs as its saved .npy inputs."""
import glob
import os
import re
import subprocess
import sys

compiler, zoo = sys.argv[1], sys.argv[2]
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
sys.exit(1 if failures else 0)
