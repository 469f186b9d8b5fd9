#!/usr/bin/python3
"""Runs models through heed-compile + heed-run against their saved references,
fused and unfused.

For each model it compiles ONE module per pipeline variant (fused: the default
pipeline; unfused: heed-compile --no-fusion) and runs that module with heed-run
at every saved sequence length, comparing every output with the reference
(heed-run --expected-output, atol 1e-4 / rtol 1e-3). It also counts the
softmaxes and fused attention ops of each variant's IR (--emit=mlir), so the
two variants are known to differ in what they fuse.

  zoo MODEL...      examples/onnx/zoo/MODEL/opset{14,17}.onnx (or --zoo=DIR) with
                    L{5,9}/input_<i>.npy -> output_<i>.npy (graph order)
  heed NAME...      examples/NAME/model.heed with ref/<function>-len<S>/
                    in.<i>.*.npy -> out.<i>.*.npy

Prints one line per step: "IR <model> <variant>: S softmax, F fused" and
"MATCH <model> <variant> <case>" or "FAIL <model> <variant> <case>: <why>".
Exits 1 on any failure.

Usage: run_zoo.py --tools=BUILD/bin --work=DIR [--zoo=DIR] (zoo|heed) NAME...
"""

import argparse
import glob
import os
import re
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
VARIANTS = (("fused", []), ("unfused", ["--no-fusion"]))


def ordered(paths):
    def key(p):
        name = os.path.basename(p)
        m = re.match(r"(?:input|output)_(\d+)\.npy$", name) or re.match(r"(?:in|out)\.(\d+)\.", name)
        return int(m.group(1))
    return sorted(paths, key=key)


class Runner:
    def __init__(self, tools, work):
        self.tools, self.work = tools, work
        self.failed = False

    def tool(self, name, args):
        run = subprocess.run([os.path.join(self.tools, name)] + args, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, timeout=120)
        return run.returncode, run.stdout.decode(errors="replace"), run.stderr.decode(
            errors="replace")

    def fail(self, what, why):
        lines = [l for l in why.splitlines() if l.strip()]
        print("FAIL %s: %s" % (what, lines[-1].strip() if lines else "(no message)"))
        self.failed = True

    def compile(self, label, model, flags):
        """Returns the module path, or None after reporting the failure."""
        out = os.path.join(self.work, label.replace("/", "_").replace(" ", "_") + ".heedm")
        rc, _, err = self.tool("heed-compile", [model, "-o", out] + flags)
        if rc != 0:
            self.fail(label + " compile", err)
            return None
        rc, ir, err = self.tool("heed-compile", [model, "--emit=mlir"] + flags)
        if rc != 0:
            self.fail(label + " emit", err)
            return None
        softmax = len(re.findall(r"\bheed\.softmax\b", ir))
        fused = len(re.findall(r"\bheed\.(?:additive_)?attention\b", ir))
        print("IR %s: %d softmax, %d fused" % (label, softmax, fused))
        return out

    def run(self, label, module, args):
        rc, out, err = self.tool("heed-run", [module] + args)
        if rc != 0:
            self.fail(label, err or out)
        else:
            print("MATCH %s" % label)


def run_zoo(runner, name, zoo):
    base = os.path.join(zoo, name)
    lengths = sorted(d for d in os.listdir(base) if re.match(r"L\d+$", d))
    for opset in ("opset14", "opset17"):
        for variant, flags in VARIANTS:
            label = "%s/%s %s" % (name, opset, variant)
            module = runner.compile(label, os.path.join(base, opset + ".onnx"), flags)
            if not module:
                continue
            for length in lengths:
                d = os.path.join(base, length)
                args = ["--input=@" + p for p in ordered(glob.glob(os.path.join(d, "input_*.npy")))]
                args += ["--expected-output=@" + p
                         for p in ordered(glob.glob(os.path.join(d, "output_*.npy")))]
                runner.run("%s %s" % (label, length), module, args)


def run_heed(runner, name):
    base = os.path.join(ROOT, "examples", name)
    cases = sorted(os.listdir(os.path.join(base, "ref")))
    for variant, flags in VARIANTS:
        label = "%s %s" % (name, variant)
        module = runner.compile(label, os.path.join(base, "model.heed"), flags)
        if not module:
            continue
        for case in cases:
            d = os.path.join(base, "ref", case)
            function = case.rsplit("-len", 1)[0]
            args = ["--function=" + function]
            args += ["--input=@" + p for p in ordered(glob.glob(os.path.join(d, "in.*.npy")))]
            args += ["--expected-output=@" + p for p in ordered(glob.glob(os.path.join(d, "out.*.npy")))]
            runner.run("%s %s" % (label, case), module, args)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tools", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--zoo", default=os.path.join(ROOT, "examples", "onnx", "zoo"),
                        help="zoo directory (default: examples/onnx/zoo)")
    parser.add_argument("kind", choices=("zoo", "heed"))
    parser.add_argument("names", nargs="+")
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    runner = Runner(args.tools, args.work)
    for name in args.names:
        if args.kind == "zoo":
            run_zoo(runner, name, args.zoo)
        else:
            run_heed(runner, name)
    return 1 if runner.failed else 0


if __name__ == "__main__":
    sys.exit(main())
