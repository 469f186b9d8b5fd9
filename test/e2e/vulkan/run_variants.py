# Runs attention_variants.mlir's functions on Vulkan in each kernel variant and
# compares them with the numpy references; from the driver's notes
# (HEED_VULKAN_DEBUG=1) it checks that the run took the variant it names, so
# a variant that silently stops being selected fails the test.
# Usage: run_variants.py HEED_RUN MODULE REFS_DIR
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from attention_ref import SHAPES  # noqa: E402
from variant_run import run_variant  # noqa: E402

# name -> (environment, note every attention run must print)
VARIANTS = {
    "subgroups": ({"HEED_VULKAN_SPLIT_K": "0"}, "flash attention, subgroup reductions"),
    "shared": (
        {"HEED_VULKAN_SPLIT_K": "0", "HEED_VULKAN_NO_SUBGROUPS": "1"},
        "flash attention, shared-memory reductions",
    ),
    "split-subgroups": ({"HEED_VULKAN_SPLIT_K": "1"}, "keys, subgroup reductions"),
    "split-shared": (
        {"HEED_VULKAN_SPLIT_K": "1", "HEED_VULKAN_NO_SUBGROUPS": "1"},
        "keys, shared-memory reductions",
    ),
    "auto": ({}, None),  # split-K exactly when Lq <= 4 and Lk > 256
    "staging": ({"HEED_VULKAN_FORCE_STAGING": "1"}, "staging copies"),
}


def cases(d, tag):
    f = lambda n: "@" + os.path.join(d, n + "_" + tag + ".npy")
    return {
        "bool_causal": ([f("bc_q"), f("bc_k"), f("bc_v"), f("bc_pad")], [f("bc_out")]),
        "bool_weights": ([f("bc_q"), f("bc_k"), f("bc_v"), f("bc_pad")], [f("bw_out"), f("bw_w")]),
        "gqa_lengths": ([f("gl_xq"), f("gl_xkv"), f("gl_len")], [f("gl_out")]),
        "additive": ([f("ad_q"), f("ad_k"), f("ad_v"), f("ad_mask")], [f("ad_out")]),
    }


# Which variants run where: every mask function through split-K at every
# decode size (and with shared-memory reductions at four); both flash
# reductions on the sizes that exercise them; the automatic choice and
# staging on a few.
SPLIT_SIZES = [(1, 1), (1, 255), (1, 256), (1, 257), (1, 1024), (1, 4097), (3, 300)]
FLASH_SIZES = [(1, 1), (1, 257), (3, 300), (17, 33)]
PLAN = (
    [(fn, s, "split-subgroups") for fn in ("bool_causal", "gqa_lengths", "additive")
     for s in SPLIT_SIZES]
    + [(fn, s, "split-shared") for fn in ("bool_causal", "gqa_lengths", "additive")
       for s in [(1, 1), (1, 257), (1, 4097), (3, 300)]]
    + [(fn, s, v) for fn in ("bool_causal", "bool_weights", "gqa_lengths", "additive")
       for s in FLASH_SIZES for v in ("subgroups", "shared")]
    + [("bool_causal", s, "auto") for s in SHAPES]
    + [(fn, s, "staging") for fn in ("bool_weights", "gqa_lengths") for s in [(1, 1024), (17, 33)]]
)


def main(heed_run, module, d):
    failures = 0
    for fn, (lq, lk), name in PLAN:
        ins, outs = cases(d, f"{lq}_{lk}")[fn]
        env, want = VARIANTS[name]
        if name == "auto":
            want = "split-K attention" if lq <= 4 and lk > 256 else "flash attention"
        if not run_variant(heed_run, module, fn, ins, outs, env, want,
                           f"{fn} Lq={lq} Lk={lk} variant={name}"):
            failures += 1
    print(f"{len(PLAN)} runs, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
