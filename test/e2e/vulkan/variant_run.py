# One Vulkan run of a kernel variant for run_rows.py and run_variants.py: heed-run with the
# variant's environment and HEED_VULKAN_DEBUG=1, then a check that it passed its expected outputs
# and that the driver's notes name the variant it was meant to take.
import os
import subprocess

# Suite-wide variant settings (lit.cfg.py passes them through) must not leak in.
OVERRIDES = ("HEED_VULKAN_FORCE_STAGING", "HEED_VULKAN_NO_SUBGROUPS", "HEED_VULKAN_SPLIT_K")


def run_variant(heed_run, module, fn, ins, outs, env, want, where):
    """Runs `fn` of `module`; prints what failed and returns False, or returns True."""
    cmd = [heed_run, module, "--device=vulkan", "--function=" + fn]
    cmd += ["--input=" + i for i in ins] + ["--expected-output=" + o for o in outs]
    e = {k: v for k, v in os.environ.items() if k not in OVERRIDES}
    e.update(HEED_VULKAN_DEBUG="1", **env)
    r = subprocess.run(cmd, env=e, capture_output=True, text=True)
    if r.returncode != 0:
        print(f"FAIL {where}: exit {r.returncode}\n{r.stdout}{r.stderr}")
        return False
    if want not in r.stderr:
        print(f"FAIL {where}: no note '{want}' in\n{r.stderr}")
        return False
    return True
