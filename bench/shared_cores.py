#!/usr/bin/python3
"""Two processes on the same cores: how much slower each runs, in Heed and in onnxruntime.

usage: bench/shared_cores.py WORKDIR [--build DIR] [--threads N] [--cases REGEX] [--min-time S]

WORKDIR is a bench/exports.py --workdir after a run: one folder per case and size holding
model.onnx and in_<i>.npy. For each case, Heed (heed-run --repeat --print-stats) and onnxruntime
(bench/onnxruntime/run.mjs) are timed alone with N threads, then as two copies started together
(each with N threads: both oversubscribe the cores; then each with N / 2 threads: what a user
running two processes should set). Prints each configuration's median ms (the mean of the two
copies' medians) and the slowdown against running alone (issue 16 item 6). A benchmark, not a
test: quote ratios from one run on an otherwise quiet machine.
"""
import argparse
import glob
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def heed_cmd(args, d, threads):
    reps = max(5, int(args.min_time * 20))
    ins = sorted(glob.glob(os.path.join(d, "in_*.npy")))
    return [os.path.join(args.build, "bin", "heed-run"), os.path.join(d, "model.onnx"),
            f"--threads={threads}", f"--repeat={reps}", "--print-stats"] + \
        [f"--input=@{i}" for i in ins]


def ort_cmd(args, d, threads):
    ins = sorted(glob.glob(os.path.join(d, "in_*.npy")))
    return ["node", os.path.join(HERE, "onnxruntime", "run.mjs"), os.path.join(d, "model.onnx"),
            d, str(threads), str(args.min_time)] + ins


def median(out):
    m = re.search(r"median ([0-9.]+) ms", out)
    return float(m.group(1)) if m else json.loads(out.strip().splitlines()[-1])["median_ms"]


def run_together(cmds, env):
    """Starts every command at once; the mean of their medians."""
    procs = [subprocess.Popen(c, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
             for c in cmds]
    outs = [p.communicate()[0] for p in procs]
    if any(p.returncode for p in procs):
        sys.exit(f"failed: {' '.join(cmds[0])}")
    return sum(median(o) for o in outs) / len(outs)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("workdir")
    p.add_argument("--build", default=os.path.join(ROOT, "build"))
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--cases", default=".")
    p.add_argument("--min-time", type=float, default=2.0)
    args = p.parse_args()
    module = subprocess.run([os.path.join(HERE, "onnxruntime", "install.sh")], check=True,
                            capture_output=True, text=True).stdout.strip()
    env = {**os.environ, "HEED_ORT_MODULE": module}
    half = max(1, args.threads // 2)
    print(f"| case | Heed alone | 2 x Heed, {args.threads} threads | 2 x Heed, {half} | "
          f"ort alone | 2 x ort, {args.threads} threads | 2 x ort, {half} |")
    print("|---|---|---|---|---|---|---|")
    for d in sorted(glob.glob(os.path.join(args.workdir, "*", "*", "model.onnx"))):
        d = os.path.dirname(d)
        name = os.path.relpath(d, args.workdir)
        if not re.search(args.cases, name):
            continue
        row = [name]
        for cmd in (heed_cmd, ort_cmd):
            alone = run_together([cmd(args, d, args.threads)], env)
            both = run_together([cmd(args, d, args.threads)] * 2, env)
            split = run_together([cmd(args, d, half)] * 2, env)
            row += [f"{alone:.2f}", f"{both:.2f} ({both / alone:.2f}x)",
                    f"{split:.2f} ({split / alone:.2f}x)"]
        print("| " + " | ".join(row) + " |", flush=True)


if __name__ == "__main__":
    main()
