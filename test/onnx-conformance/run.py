#!/usr/bin/python3
"""ONNX backend node-test conformance runner for Heed.

Walks Debian's libonnx-testdata node tests (DATA/*/model.onnx with
test_data_set_0/input_*.pb and output_*.pb) and checks every node test of the
ops seq2seq and attention exports use (POPULATION below, whether Heed imports
the op or not; EXCLUDED lists the cases left out and why):

  --mode=import  heed-compile MODEL --emit=mlir-input succeeds (exit 0);
  --mode=eval    the imported IR, run by the numpy reference interpreter
                 test/Frontends/onnx/heed_eval.py, matches the reference
                 outputs (atol 1e-4, rtol 1e-3): the importer's semantics,
                 before any backend;
  --mode=run     heed-run MODEL --input=@in.npy ... --expected-output=@out.npy ...
                 succeeds (the inputs/outputs are converted from TensorProto
                 .pb to .npy with onnx.numpy_helper; bf16 ones to one-tensor
                 .safetensors files, compared within one bf16 ulp).

--device=vulkan runs run mode on the Vulkan backend (the model compiled
with --target=all), against expected-run-vulkan.txt.

The set of passing cases is compared with a checked-in list
(expected-<mode>.txt): a case on the list that fails is a regression and
fails the run; a case that passes but is not on the list is reported, so the
list can be extended (--update rewrites it). --report=FILE writes a
markdown summary with every failure and its first error line.

Usage:
  run.py --mode=import|eval|run --tools=BUILD/bin [--device=cpu|vulkan] [--data=DIR]
         [--expected=FILE] [--update]
         [--report=FILE] [--jobs=N] [--filter=SUBSTRING]
"""

import argparse
import concurrent.futures
import glob
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DATA = "/usr/share/libonnx-testdata/data/node"

# The population: every node test of the ops that seq2seq and attention exports use (issue 19's
# list), whether Heed imports the op or not, so the pass rate counts what users bring. A case
# belongs to the op it tests: the single node of a one-node model, or the op its name starts with
# (the `_expanded` function bodies and multi-node tests).
POPULATION = {
    "MatMul", "Gemm", "Softmax", "LogSoftmax", "LSTM", "GRU", "RNN", "Gather", "GatherElements",
    "LayerNormalization", "Transpose", "Reshape", "Where", "Add", "Sub", "Mul", "Div", "Tanh",
    "Sigmoid", "Relu", "Erf", "Concat", "Split", "Expand", "Squeeze", "Unsqueeze", "Slice", "Cast",
    "Trilu", "ReduceMean", "ReduceMax", "ReduceSum", "Sqrt", "Pow", "Exp", "Equal", "Less",
    "Greater", "Shape", "ConstantOfShape", "Range", "CumSum", "Einsum", "ArgMax", "TopK", "Neg",
    "IsNaN", "IsInf", "Identity", "Dropout",
}

# Node tests of the other ops the importer handles (with any population op): not counted in the
# population's pass rate, but run and kept on the expected lists so they cannot regress.
NEIGHBOURS = {"Floor", "Ceil", "Round", "Not", "Constant", "Attention", "ReduceMin", "Abs",
              "Log", "Reciprocal", "Max", "Min", "And", "Or", "LessOrEqual", "GreaterOrEqual",
              "Gelu", "Size", "Sign", "ArgMin", "Tile", "Flatten"}

STRINGS = "string tensors (Heed has no string element type)"
TRAINING = "training-mode Dropout: the reference mask comes from numpy's generator"
BAD_DATA = "the test feeds a [1] tensor to an input the model declares [3, 4]"
# Cases left out for a reason outside the ops' semantics.
EXCLUDED = {
    "test_cast_FLOAT_to_STRING": STRINGS,
    "test_cast_STRING_to_FLOAT": STRINGS,
    "test_castlike_FLOAT_to_STRING_expanded": STRINGS,
    "test_castlike_STRING_to_FLOAT_expanded": STRINGS,
    "test_training_dropout": TRAINING,
    "test_training_dropout_default": TRAINING,
    "test_training_dropout_default_mask": TRAINING,
    "test_training_dropout_mask": TRAINING,
    "test_identity_opt": "an optional value, not a tensor (Heed values are tensors)",
    "test_identity_sequence": "a sequence value, not a tensor (Heed values are tensors)",
    "test_castlike_BFLOAT16_to_FLOAT_expanded": BAD_DATA,
    "test_castlike_FLOAT_to_BFLOAT16_expanded": BAD_DATA,
}


def load_tensor(pb_path):
    import onnx
    tensor = onnx.TensorProto()
    with open(pb_path, "rb") as f:
        tensor.ParseFromString(f.read())
    return tensor


def snake_case(op):
    return re.sub(r"(?<!^)(?=[A-Z])", "_", op).lower()


def tested_op(name, model_path):
    """The population op this case tests, "neighbour" for a case whose ops are all ones the
    importer handles, or None."""
    import onnx
    nodes = onnx.load(model_path, load_external_data=False).graph.node
    types = {n.op_type for n in nodes} | {n.domain for n in nodes if n.domain not in ("", "ai.onnx")}
    if len(nodes) == 1 and nodes[0].op_type in POPULATION:
        return nodes[0].op_type
    for op in POPULATION:
        for stem in {"test_" + snake_case(op), "test_" + op.lower()}:
            if len(nodes) > 1 and (name == stem or name.startswith(stem + "_")):
                return op
    if types and types <= POPULATION | NEIGHBOURS:
        return "neighbour"
    return None


def selected_cases(data, pattern):
    """(name, model, op) of every selected case, and (name, reason) of the excluded ones."""
    cases, left_out = [], []
    for model in sorted(glob.glob(os.path.join(data, "*", "model.onnx"))):
        name = os.path.basename(os.path.dirname(model))
        if pattern and pattern not in name:
            continue
        try:
            op = tested_op(name, model)
        except Exception:  # unreadable model: not ours to judge
            continue
        if op is None:
            continue
        if name in EXCLUDED:
            left_out.append((name, EXCLUDED[name]))
        else:
            cases.append((name, model, op))
    return cases, left_out


# bf16 references in these tests were made by truncating f32 (ONNX 1.12's
# generator); Heed rounds to nearest even, as IEEE and later ONNX releases do.
# The two differ by at most one bf16 unit in the last place: 2^-7 relative.
BF16_RTOL = 2.0 ** -7


def to_file(pb_path, stem, declared):
    """Writes the TensorProto as STEM.npy, or STEM.safetensors when the model
    declares the value bf16 (numpy has no bf16; these tests store bf16 data as
    UINT16 tensors); returns (path, is_bf16)."""
    import json
    import numpy as np
    import onnx
    from onnx import numpy_helper
    tensor = load_tensor(pb_path)
    array = numpy_helper.to_array(tensor)
    if onnx.TensorProto.BFLOAT16 in (tensor.data_type, declared):
        # Bit patterns, as uint16 (what onnx 1.12 gives for both spellings).
        bits = np.ascontiguousarray(array, dtype="<u2").tobytes()
        header = json.dumps({"t": {"dtype": "BF16", "shape": list(array.shape),
                                   "data_offsets": [0, len(bits)]}}).encode()
        header += b" " * ((8 - len(header) % 8) % 8)
        path = stem + ".safetensors"
        with open(path, "wb") as f:
            f.write(len(header).to_bytes(8, "little") + header + bits)
        return path, True
    path = stem + ".npy"
    np.save(path, array)
    return path, False


def eval_case(name, model, data, tools):
    import numpy as np
    from onnx import numpy_helper
    sys.path.insert(0, os.path.join(HERE, "..", "Frontends", "onnx"))
    import heed_eval
    run = subprocess.run([os.path.join(tools, "heed-compile"), model, "--emit=mlir-input",
                          "--mlir-print-op-generic"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, timeout=60)
    if run.returncode != 0:
        why = first_error(run.stderr.decode(errors="replace"))
        if run.returncode < 0:
            why = "CRASH (signal %d): %s" % (-run.returncode, why)
        return name, False, why

    def tensors(kind):
        pbs = sorted(glob.glob(os.path.join(data, kind + "_*.pb")),
                     key=lambda p: int(p.rsplit("_", 1)[1].split(".")[0]))
        return [numpy_helper.to_array(load_tensor(p)) for p in pbs]

    inputs = tensors("input")
    try:
        got = heed_eval.evaluate(run.stdout.decode(), inputs)
    except Exception as e:
        return name, False, "evaluation failed: %s: %s" % (type(e).__name__, e)
    want = tensors("output")
    if len(got) != len(want):
        return name, False, "%d outputs, expected %d" % (len(got), len(want))
    for i, (g, w) in enumerate(zip(got, want)):
        why = heed_eval.compare(g, w, 1e-4, 1e-3)
        if why:
            return name, False, "output %d: %s" % (i, why)
    return name, True, ""


def first_error(text):
    for line in text.splitlines():
        if "error" in line:
            return line.strip()
    lines = [l for l in text.splitlines() if l.strip()]
    return lines[-1].strip() if lines else "(no message)"


def check(case, mode, tools, scratch, device="cpu"):
    name, model, _ = case
    data = os.path.join(os.path.dirname(model), "test_data_set_0")
    out = os.path.join(scratch, name)
    os.makedirs(out, exist_ok=True)
    if mode == "import":
        cmd = [os.path.join(tools, "heed-compile"), model, "--emit=mlir-input", "-o", os.devnull]
    elif mode == "eval":
        return eval_case(name, model, data, tools)
    else:
        cmd = [os.path.join(tools, "heed-run"), model, "--device=" + device]
        import onnx
        graph = onnx.load(model, load_external_data=False).graph
        for kind, flag in (("input", "--input"), ("output", "--expected-output")):
            pbs = sorted(glob.glob(os.path.join(data, kind + "_*.pb")),
                         key=lambda p: int(p.rsplit("_", 1)[1].split(".")[0]))
            infos = graph.input if kind == "input" else graph.output
            for position, pb in enumerate(pbs):
                declared = (infos[position].type.tensor_type.elem_type
                            if position < len(infos) else 0)
                try:
                    path, bf16 = to_file(pb, os.path.join(out, os.path.basename(pb)[:-3]),
                                         declared)
                except Exception as e:
                    return name, False, "cannot convert %s: %s" % (os.path.basename(pb), e)
                cmd.append("%s=@%s" % (flag, path))
                if bf16 and kind == "output" and "--rtol=%g" % BF16_RTOL not in cmd:
                    cmd.append("--rtol=%g" % BF16_RTOL)
    try:
        run = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    except subprocess.TimeoutExpired:
        return name, False, "timed out"
    if run.returncode == 0:
        return name, True, ""
    why = first_error(run.stderr.decode(errors="replace"))
    if run.returncode < 0:
        why = "CRASH (signal %d): %s" % (-run.returncode, why)
    return name, False, why


def write_report(path, label, cases, left_out, passed, failed, op_of):
    population = [n for n, o in op_of.items() if o != "neighbour"]
    neighbours = [n for n, o in op_of.items() if o == "neighbour"]

    def count(names):
        return sum(n in passed for n in names)

    with open(path, "w") as f:
        f.write("# ONNX node-test conformance (%s mode)\n\n" % label)
        f.write("%d of %d population cases pass (%.1f%%): every node test of the seq2seq and "
                "attention ops (run.py's POPULATION), every input as the test gives it; %d "
                "excluded (listed below). Also run: "
                "%d of %d node tests of the other ops the importer handles (NEIGHBOURS).\n\n" %
                (count(population), len(population),
                 100.0 * count(population) / max(len(population), 1), len(left_out),
                 count(neighbours), len(neighbours)))
        f.write("| op | passed | cases |\n|---|---|---|\n")
        for op in sorted(set(op_of.values())):
            names = [n for n, o in op_of.items() if o == op]
            f.write("| %s | %d | %d |\n" % (op, count(names), len(names)))
        f.write("\n## Failures\n\n| case | op | reason |\n|---|---|---|\n")
        for name, why in failed:
            f.write("| %s | %s | %s |\n" % (name, op_of[name], why.replace("|", "\\|")))
        f.write("\n## Excluded\n\n| case | reason |\n|---|---|\n")
        for name, why in left_out:
            f.write("| %s | %s |\n" % (name, why))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=("import", "eval", "run"), default="import")
    parser.add_argument("--device", default="cpu",
                        help="run mode: heed-run's --device (cpu or vulkan)")
    parser.add_argument("--tools", required=True, help="directory with heed-compile / heed-run")
    parser.add_argument("--data", default=DEFAULT_DATA)
    parser.add_argument("--expected", help="expected-pass list (default: expected-MODE.txt)")
    parser.add_argument("--update", action="store_true", help="rewrite the expected-pass list")
    parser.add_argument("--report", help="write a markdown summary here")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--filter", default="")
    args = parser.parse_args()
    label = args.mode if args.device == "cpu" else "%s-%s" % (args.mode, args.device)
    expected_path = args.expected or os.path.join(HERE, "expected-%s.txt" % label)

    if not os.path.isdir(args.data):
        print("run.py: no test data at %s (install libonnx-testdata)" % args.data)
        return 1
    cases, left_out = selected_cases(args.data, args.filter)
    op_of = {name: op for name, _, op in cases}
    with tempfile.TemporaryDirectory() as scratch:
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
            results = list(pool.map(
                lambda c: check(c, args.mode, args.tools, scratch, args.device), cases))
        # Reasons name the model by its path: keep just model.onnx, so reports are stable.
        results = [(name, ok, why.replace(os.path.join(scratch, name) + os.sep, "").replace(
            os.path.join(args.data, name) + os.sep, "")) for name, ok, why in results]

    passed = sorted(name for name, ok, _ in results if ok)
    failed = sorted((name, why) for name, ok, why in results if not ok)
    crashes = [f for f in failed if f[1].startswith("CRASH")]
    expected = set()
    if os.path.exists(expected_path) and not args.update:
        with open(expected_path) as f:
            expected = {l.strip() for l in f if l.strip() and not l.startswith("#")}
    regressions = sorted(n for n in expected if args.filter in n and n not in passed)
    new = sorted(n for n in passed if n not in expected)

    for name, why in failed:
        print("FAIL %s: %s" % (name, why))
    print("selected %d cases, passed %d, failed %d (%s mode)" %
          (len(cases), len(passed), len(failed), label))
    if args.report:
        write_report(args.report, label, cases, left_out, passed, failed, op_of)
    if args.update:
        with open(expected_path, "w") as f:
            f.write("# Cases expected to pass in %s mode (test/onnx-conformance/run.py --update)\n"
                    % label)
            f.write("".join(n + "\n" for n in passed))
        print("wrote %s (%d cases)" % (expected_path, len(passed)))
        return 1 if crashes else 0
    for name in new:
        print("NEW PASS %s (add it to %s)" % (name, os.path.basename(expected_path)))
    for name in regressions:
        print("REGRESSION %s" % name)
    for name, why in crashes:
        print("CRASH %s: %s" % (name, why))
    return 1 if regressions or crashes else 0


if __name__ == "__main__":
    sys.exit(main())
