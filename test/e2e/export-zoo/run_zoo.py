#!/usr/bin/python3
"""Runs the PyTorch export zoo (zoo.py) through Heed: for each variant of the given families and
each opset (14, 17), exports it with torch.onnx.export (dynamic batch and lengths), compiles ONE
module with `heed-compile --target=all --fusion-report`, and runs it at both shapes on the CPU (and
with --vulkan on Vulkan) against torch's outputs (atol 1e-4, rtol 1e-3). Modules run in this
process through Heed's Python package when it is built (BUILD/python), else through heed-run.

Prints, per variant and opset:
  IR <name>/opset<N>: <what each softmax became, sorted>   (or "no softmax")
  MATCH <name>/opset<N> (<devices>, 2 shapes)
  EXPECTED <name>/opset<N> fails at <stage>: <message>   (a known failure, as registered)
  FAIL <name>/opset<N> ...: <why>                          (anything else; exit status 1)
The fused ops are also compared with the registry (a difference is a FAIL), and the lit tests
FileCheck the IR lines.

Usage: run_zoo.py --tools=BUILD/bin --work=DIR [--vulkan] [--runner=auto|python|heed-run] FAMILY...
       run_zoo.py --checks FAMILY      the CHECK lines of a family's lit test, from the registry
       run_zoo.py --table              the variant table of docs/export-zoo.md
"""

import argparse
import os
import re
import subprocess
import sys
import warnings
import zlib

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import zoo  # noqa: E402

OPSETS = (14, 17)
ATOL, RTOL = 1e-4, 1e-3
REMARK = re.compile(r"softmax (?:fused into heed\.(attention|additive_attention)(?: \(mask ([^)]*)\))?"
                    r"|not fused: (.*))$")


def dim_name(sizes):
    return {(2, 3): "B", (5, 9): "L"}.get(sizes, "n%d_%d" % sizes)


def expected_ir(variant):
    if not variant.fused:
        return "no softmax"
    tokens = [f if f != "unfused" else "unfused: " + variant.why for f in variant.fused]
    if variant.kv_heads is not None:
        tokens = [t + " kv_heads=%s" % variant.kv_heads if t.startswith("attention") else t
                  for t in tokens]
    return ", ".join(sorted(tokens))


def fused_tokens(report):
    tokens = []
    for line in report.splitlines():
        m = REMARK.search(line)
        if not m:
            continue
        if m.group(3) is not None:
            tokens.append("unfused: " + m.group(3))
        elif m.group(1) == "additive_attention":
            tokens.append("additive")
        else:
            tokens.append("attention causal" if "causal" in (m.group(2) or "") else "attention")
    return tokens


def kv_heads(ir):
    """The head count of the keys of the heed.attention in `ir` (its operand types)."""
    m = re.search(r"heed\.attention .*: \(tensor<[^>]*>, tensor<(?:\?|\d+)x(\?|\d+)x", ir)
    return m.group(1) if m else None


def flat(outputs):
    if not isinstance(outputs, (tuple, list)):
        outputs = (outputs,)
    return [o.detach().numpy() for o in outputs]


def compare(got, want):
    """None when `got` matches `want` as heed-run --expected-output checks, else why not."""
    if len(got) != len(want):
        return "%d outputs, torch has %d" % (len(got), len(want))
    for i, (g, w) in enumerate(zip(got, want)):
        g = np.asarray(g)
        if g.shape != w.shape or g.dtype != w.dtype:
            return "output %d is %s %s, torch's %s %s" % (i, g.dtype, g.shape, w.dtype, w.shape)
        if not np.allclose(g, w, atol=ATOL, rtol=RTOL, equal_nan=True):
            err = np.abs(g.astype(np.float64) - w.astype(np.float64))
            return "output %d: max abs error %.3g (atol %g, rtol %g)" % (i, np.nanmax(err), ATOL,
                                                                       RTOL)
    return None


class Zoo:
    def __init__(self, args):
        self.tools, self.work = args.tools, args.work
        self.devices = ["cpu"] + (["vulkan"] if args.vulkan else [])
        self.heed = None
        if args.runner != "heed-run":
            try:
                sys.path.insert(0, os.path.join(os.path.dirname(self.tools), "python"))
                import heed
                self.heed = heed
            except ImportError:
                if args.runner == "python":
                    raise
        self.failed = False
        self.modules = self.runs = 0

    def tool(self, name, args):
        run = subprocess.run([os.path.join(self.tools, name)] + args, capture_output=True,
                             timeout=300)
        return run.returncode, run.stdout.decode(errors="replace"), run.stderr.decode(
            errors="replace")

    def fail(self, label, why, variant=None, stage=None):
        """Reports a failure, or the registered expected one. Returns False."""
        lines = [l.strip() for l in why.splitlines() if l.strip()]
        message = lines[-1] if lines else "(no message)"
        run = stage in ("cpu", "vulkan")
        if variant is not None and variant.xfail and variant.xfail[1] in why and \
                variant.xfail[0] == ("run" if run else stage):
            print("EXPECTED %s fails at %s: %s" % (label, stage, variant.xfail[1]))
            return False
        print("FAIL %s%s: %s" % (label, " " + stage if stage else "", message))
        self.failed = True
        return False

    def run_module(self, label, variant, module_path, cases):
        """Runs the module on every device at every case; True when all match."""
        ok = True
        function = None
        if self.heed:
            try:
                function = self.heed.load(module_path)["main"]
            except self.heed.Error as e:
                return self.fail(label, str(e), variant, "cpu")
        for device in self.devices:
            for shape, (inputs, refs) in enumerate(cases):
                self.runs += 1
                if self.heed:
                    try:
                        got = function(*inputs, device=device)
                        why = compare(got if isinstance(got, tuple) else (got,), refs)
                    except self.heed.Error as e:
                        why = str(e)
                else:
                    why = self.heed_run(label, module_path, device, shape, inputs, refs)
                if why:
                    ok = self.fail("%s shape%d" % (label, shape), why, variant, device)
        return ok

    def heed_run(self, label, module_path, device, shape, inputs, refs):
        base = os.path.join(self.work, label.replace("/", "_") + ".shape%d" % shape)
        args = [module_path, "--device=" + device]
        for kind, arrays in (("input", inputs), ("expected-output", refs)):
            for i, a in enumerate(arrays):
                path = "%s.%s%d.npy" % (base, kind, i)
                np.save(path, a)
                args.append("--%s=@%s" % (kind, path))
        rc, out, err = self.tool("heed-run", args)
        return None if rc == 0 else (err or out)

    def variant(self, v):
        import torch
        torch.manual_seed(zlib.crc32(v.name.encode()))
        model = v.make().eval()
        shapes = [(2 if v.static_batch else b, l) for b, l in zoo.SHAPES]
        examples = [v.inputs(b, l) for b, l in shapes]
        cases = []
        for example in examples:
            # Grad enabled: torch's MHA/Transformer fast paths (nested tensors that zero padded
            # rows) stay off, so the references are the module's plain math.
            with torch.enable_grad():
                refs = flat(model(*example))
            cases.append(([x.numpy() for x in example], refs))
        axes = {}
        for name, a, b in zip(v.names, *examples):
            dims = {d: dim_name((a.shape[d], b.shape[d])) for d in range(a.dim())
                    if a.shape[d] != b.shape[d]}
            if dims:
                axes[name] = dims
        outputs = ["out%d" % i for i in range(len(cases[0][1]))]
        for opset in OPSETS:
            label = "%s/opset%d" % (v.name, opset)
            onnx_path = os.path.join(self.work, "%s_%d.onnx" % (v.name, opset))
            module_path = onnx_path[:-5] + ".heedm"
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    torch.onnx.export(model, tuple(examples[0]), onnx_path, opset_version=opset,
                                      input_names=list(v.names), output_names=outputs,
                                      dynamic_axes=axes)
            except Exception as e:  # noqa: BLE001 - any exporter error is this variant's finding
                self.fail(label, "%s: %s" % (type(e).__name__, e), v, "export")
                continue
            self.modules += 1
            rc, report, err = self.tool("heed-compile", [onnx_path, "--target=all",
                                                         "--fusion-report", "-o", module_path])
            if rc != 0:
                self.fail(label, err or report, v, "compile")
                continue
            tokens = fused_tokens(report)
            if v.kv_heads is not None:
                rc, ir, err = self.tool("heed-compile", [onnx_path, "--emit=mlir"])
                heads = kv_heads(ir) if rc == 0 else None
                tokens = [t + " kv_heads=%s" % heads if t.startswith("attention") else t
                          for t in tokens]
            got = ", ".join(sorted(tokens)) or "no softmax"
            print("IR %s: %s" % (label, got))
            if got != expected_ir(v):
                self.fail(label, "fused %r, the registry says %r" % (got, expected_ir(v)))
            if self.run_module(label, v, module_path, cases):
                if v.xfail:
                    self.fail(label, "registered to fail at %s (%s) but matches" % v.xfail)
                else:
                    print("MATCH %s (%s, %d shapes)" % (label, ", ".join(self.devices),
                                                        len(cases)))
            sys.stdout.flush()


def checks(family):
    for v in zoo.ZOO:
        if v.family != family:
            continue
        for opset in OPSETS:
            if v.xfail and v.xfail[0] != "run":
                print("CHECK: EXPECTED %s/opset%d fails at %s" % (v.name, opset, v.xfail[0]))
                continue
            print("CHECK: IR %s/opset%d: %s" % (v.name, opset, expected_ir(v)))
            if v.xfail:
                print("CHECK-NEXT: EXPECTED %s/opset%d shape" % (v.name, opset))
            else:
                print("CHECK-NEXT: MATCH %s/opset%d" % (v.name, opset))


def table():
    print("| variant | family | fused into | status |")
    print("|---|---|---|---|")
    for v in zoo.ZOO:
        status = "xfail at %s: %s" % v.xfail if v.xfail else "matches torch"
        if "unfused" in v.fused:
            status += "; not fused: " + v.why
        elif v.why:
            status += "; " + v.why
        print("| %s | %s | %s | %s |" % (v.name, v.family, expected_ir(v), status))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tools")
    parser.add_argument("--work")
    parser.add_argument("--vulkan", action="store_true", help="also run on --device=vulkan")
    parser.add_argument("--runner", choices=("auto", "python", "heed-run"), default="auto")
    parser.add_argument("--checks", action="store_true")
    parser.add_argument("--table", action="store_true")
    parser.add_argument("--only", help="comma-separated variant names")
    parser.add_argument("families", nargs="*")
    args = parser.parse_args()
    for family in args.families:
        if family not in zoo.FAMILIES:
            parser.error("unknown family %r (known: %s)" % (family, ", ".join(zoo.FAMILIES)))
    if args.table:
        return table()
    if args.checks:
        for family in args.families:
            checks(family)
        return 0
    if not args.tools or not args.work:
        parser.error("--tools and --work are required to run the zoo")
    os.makedirs(args.work, exist_ok=True)
    runner = Zoo(args)
    only = set(args.only.split(",")) if args.only else None
    count = 0
    for v in zoo.ZOO:
        if v.family in args.families and (only is None or v.name in only):
            runner.variant(v)
            count += 1
    print("ZOO %s: %d variants, %d modules, %d runs" % (",".join(args.families), count,
                                                       runner.modules, runner.runs))
    return 1 if runner.failed else 0


if __name__ == "__main__":
    sys.exit(main())
