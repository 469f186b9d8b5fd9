"""Prints a Chrome trace written by heed-run --trace, one line per event, for FileCheck.

usage: check_trace.py TRACE.json STATS.txt   (STATS.txt: heed-run --print-stats output)
"""
import json
import re
import sys

trace = json.load(open(sys.argv[1]))
stats = open(sys.argv[2]).read()
ops = int(re.search(r"ops (\d+)", stats).group(1))
events = trace["traceEvents"]
print(f"events {len(events)} ops {ops}")
for e in events:
    assert e["ph"] == "X" and e["dur"] >= 0 and e["ts"] >= 0, e
    a = e["args"]
    assert a["op"] == e["name"] and a["loc"], e
    print(f"{e['name']} {a['inputs']} -> {a['outputs']} {a['device']}")
