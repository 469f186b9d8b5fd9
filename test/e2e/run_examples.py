#!/usr/bin/python3
"""Runs every shipped example through heed-compile + heed-run against its PyTorch references.

The .heed examples, and the torch-exported ONNX zoo (examples/onnx/zoo/<name>/opset{14,17}.onnx
with L5/ and L9/ inputs and outputs in graph order).

Usage: run_examples.py EXAMPLES_DIR BIN_DIR WORK_DIR

Each examples/<name>/model.heed is compiled ONCE; every ref/<function>-len<S>/ directory (two
source lengths per function) then runs from that one module with its in.<i>.*.npy inputs and
out.<i>.*.npy expected outputs (atol 1e-4, rtol 1e-3). Prints one line per run; exits 1 on the
first failure.
"""

import os
import subprocess
import sys


def numbered(directory, prefix):
    files = [f for f in os.listdir(directory) if f.startswith(prefix) and f.endswith(".npy")]
    return sorted(files, key=lambda f: int(f.split(".")[1]))


def main():
    examples, bindir, work = sys.argv[1:4]
    os.makedirs(work, exist_ok=True)
    names = sorted(d for d in os.listdir(examples)
                   if os.path.isfile(os.path.join(examples, d, "model.heed")))
    for name in names:
        module = os.path.join(work, name + ".heedm")
        subprocess.run([os.path.join(bindir, "heed-compile"),
                        os.path.join(examples, name, "model.heed"), "-o", module], check=True)
        refs = os.path.join(examples, name, "ref")
        for case in sorted(os.listdir(refs)):
            function = case.rsplit("-len", 1)[0]
            d = os.path.join(refs, case)
            cmd = [os.path.join(bindir, "heed-run"), module, "--function=" + function]
            cmd += ["--input=@" + os.path.join(d, f) for f in numbered(d, "in.")]
            cmd += ["--expected-output=@" + os.path.join(d, f) for f in numbered(d, "out.")]
            run = subprocess.run(cmd, capture_output=True, text=True)
            if run.returncode != 0:
                sys.stdout.write(run.stdout + run.stderr)
                print(f"FAILED {name} {case}: {' '.join(cmd)}")
                return 1
            print(f"PASSED {name} {case} ({len(numbered(d, 'out.'))} outputs)")
    zoo = os.path.join(examples, "onnx", "zoo")
    for name in sorted(os.listdir(zoo)) if os.path.isdir(zoo) else []:
        for opset in ("opset14", "opset17"):
            model = os.path.join(zoo, name, opset + ".onnx")
            module = os.path.join(work, f"onnx-{name}-{opset}.heedm")
            subprocess.run([os.path.join(bindir, "heed-compile"), model, "-o", module], check=True)
            for length in ("L5", "L9"):
                d = os.path.join(zoo, name, length)
                ins = sorted((f for f in os.listdir(d) if f.startswith("input_")),
                             key=lambda f: int(f[6:-4]))
                outs = sorted((f for f in os.listdir(d) if f.startswith("output_")),
                              key=lambda f: int(f[7:-4]))
                cmd = [os.path.join(bindir, "heed-run"), module]
                cmd += ["--input=@" + os.path.join(d, f) for f in ins]
                cmd += ["--expected-output=@" + os.path.join(d, f) for f in outs]
                run = subprocess.run(cmd, capture_output=True, text=True)
                if run.returncode != 0:
                    sys.stdout.write(run.stdout + run.stderr)
                    print(f"FAILED onnx/{name} {opset} {length}: {' '.join(cmd)}")
                    return 1
                print(f"PASSED onnx/{name} {opset} {length} ({len(outs)} outputs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
