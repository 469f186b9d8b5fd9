# Runs row_kernels.mlir's functions on Vulkan with subgroup and with
# shared-memory row reductions against row_ref.py's references, checking the
# driver's HEED_VULKAN_DEBUG=1 note names the reductions each run used.
# Usage: run_rows.py HEED_RUN MODULE REFS_DIR
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from row_ref import SIZES  # noqa: E402
from variant_run import run_variant  # noqa: E402

VARIANTS = {
    "subgroups": ({}, "subgroup row reductions"),
    "shared": ({"HEED_VULKAN_NO_SUBGROUPS": "1"}, "shared-memory row reductions"),
}


def main(heed_run, module, d):
    f = lambda name, n: "@" + os.path.join(d, f"{name}_{n}.npy")
    failures = runs = 0
    for n in SIZES:
        cases = {
            "softmax_last": ([f("sm_x", n)], [f("sm_y", n)]),
            "softmax_mid": ([f("mid_x", n)], [f("mid_y", n)]),
            "log_softmax": ([f("sm_x", n)], [f("ls_y", n)]),
            "layer_norm": ([f("ln_x", n), f("ln_g", n), f("ln_b", n)], [f("ln_y", n)]),
        }
        for fn, (ins, outs) in cases.items():
            for name, (env, want) in VARIANTS.items():
                runs += 1
                if not run_variant(heed_run, module, fn, ins, outs, env, want,
                                   f"{fn} n={n} variant={name}"):
                    failures += 1
    print(f"{runs} runs, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
