#!/usr/bin/python3
"""Summarises a heed-run translate/score --trace file for FileCheck: the calls by function, and
whether every op event lies inside a call of the function it names (the runtime-wide time line
of heed_runtime_write_trace)."""
import collections
import json
import sys

events = json.load(open(sys.argv[1]))["traceEvents"]
calls = [e for e in events if e.get("cat") == "call"]
ops = [e for e in events if e.get("cat") != "call"]
counts = collections.Counter(e["name"] for e in calls)
print("calls:", ", ".join(f"{name} {n}" for name, n in sorted(counts.items())))
ordered = all(a["ts"] + a["dur"] <= b["ts"] + 1e-3 for a, b in zip(calls, calls[1:]))
inside = all(any(c["name"] == o["args"]["function"] and c["ts"] - 1e-3 <= o["ts"] and
                 o["ts"] + o["dur"] <= c["ts"] + c["dur"] + 1e-3 for c in calls) for o in ops)
kinds = sorted({o["name"] for o in ops})
print(f"calls in order: {ordered}; {len(ops)} ops, each inside its call: {inside}")
print("op kinds:", " ".join(kinds))
