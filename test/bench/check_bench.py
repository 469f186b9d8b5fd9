"""Summarises heed-bench's --benchmark_format=json output for FileCheck (forms, not speeds)."""
import json
import sys

for b in json.load(open(sys.argv[1]))["benchmarks"]:
    line = [b["name"].removesuffix("/real_time")]
    if b.get("error_occurred"):
        line.append("error " + b.get("error_message", ""))
    if "median_ms" in b:
        line.append("median_ms>0" if b["median_ms"] > 0 else "median_ms=0")
        line.append("p90_ms>=median" if b["p90_ms"] >= b["median_ms"] else "p90_ms<median")
    if "GFLOP/s" in b:
        line.append("GFLOP/s>0" if b["GFLOP/s"] > 0 else "GFLOP/s=0")
    if "threads" in b and "attention" in b["name"]:
        line.append("threads=%d" % b["threads"])
    print(" ".join(line))
