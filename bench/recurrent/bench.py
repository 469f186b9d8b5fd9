#!/usr/bin/python3
"""heed.lstm / heed.gru on the CPU: oneDNN's RNN primitives against Heed's own loop.

usage: bench/recurrent/bench.py [--build DIR] [--threads N] [--rounds R] [--repeat N]
                                [--workdir DIR] [--sizes T,B,I,H]

Writes, with test/e2e/recurrent_primitives.py's generator, one module per cell (forward, one
layer, zero initial states, T64 B16 512 by default) with its weights as module constants
(packed for oneDNN once) and one with the weights as function arguments (packed every call),
then times `heed-run --repeat=N --print-stats` with HEED_CPU_RNN=loop and =dnnl alternately, R
rounds, and prints the median of the per-round medians (ms) and the ratios. Alternating rounds
in one run keeps the comparison fair on a shared machine; quote the ratios. It also prints the
CPU time of one run (user + sys of heed-run with --repeat=N+1 minus --repeat=1, over N): on a
loaded machine the wall time measures the load as much as the code, the CPU time much less
(with --threads=1 it is the work itself).
"""
import argparse
import os
import re
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "test", "e2e"))
import recurrent_primitives as rp  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--workdir", default="/tmp/heed-bench-recurrent")
    ap.add_argument("--sizes", default="64,16,512,512")
    a = ap.parse_args()
    T, B, I, H = map(int, a.sizes.split(","))
    tools = os.path.join(a.build, "bin")
    variants = []
    for kind in ("LSTM", "GRU"):
        for weights in ("const", "args"):
            name = f"{kind.lower()}_{weights}"
            d = os.path.join(a.workdir, name)
            os.makedirs(d, exist_ok=True)
            ins, _ = rp.build(name, dict(kind=kind, init=True, weights=weights), T, B, I, H, d)
            mod = os.path.join(d, "m.heedm")
            subprocess.run([os.path.join(tools, "heed-compile"), os.path.join(d, "module.mlir"),
                            "-o", mod], check=True)
            variants.append((name, mod, [f"--input=@{os.path.join(d, i + '.npy')}" for i in ins]))
    def run(mod, ins, mode, repeat):
        """(median wall ms per run, CPU seconds of the process)."""
        cmd = [os.path.join(tools, "heed-run"), mod, f"--repeat={repeat}", "--print-stats",
               f"--threads={a.threads}"] + ins
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             env=dict(os.environ, HEED_CPU_RNN=mode))
        out = p.stdout.read()
        _, status, usage = os.wait4(p.pid, 0)
        if status != 0:
            sys.exit(f"heed-run failed: {out}")
        return (float(re.search(r"median ([0-9.]+) ms", out).group(1)),
                usage.ru_utime + usage.ru_stime)

    times, cpu = {}, {}
    for _ in range(a.rounds):
        for name, mod, ins in variants:
            for mode in ("loop", "dnnl"):
                ms, long_cpu = run(mod, ins, mode, a.repeat + 1)
                _, short_cpu = run(mod, ins, mode, 1)
                times.setdefault((name, mode), []).append(ms)
                cpu.setdefault((name, mode), []).append((long_cpu - short_cpu) * 1e3 / a.repeat)
    print(f"T{T} B{B} I{I} H{H}, {a.threads} threads, {a.rounds} rounds x {a.repeat} runs")
    print("| case | wall: loop ms | primitive ms | loop / primitive "
          "| CPU: loop ms | primitive ms | loop / primitive |")
    print("|---|---|---|---|---|---|---|")
    med = statistics.median
    for name, _, _ in variants:
        wl, wp = med(times[(name, "loop")]), med(times[(name, "dnnl")])
        cl, cp = med(cpu[(name, "loop")]), med(cpu[(name, "dnnl")])
        print(f"| {name} | {wl:.1f} | {wp:.1f} | {wl / wp:.2f} | {cl:.1f} | {cp:.1f} | {cl / cp:.2f} |")


if __name__ == "__main__":
    main()
