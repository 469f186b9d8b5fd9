# -*- Python -*-
# The Heed regression suite: FileCheck tests of the tools, plus the GoogleTest
# unit tests run as one lit test each.

import os

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "Heed"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.heed_obj_root, "test")
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "Inputs"]

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%heed_src", config.heed_src_root))
config.substitutions.append(("%heed_obj", config.heed_obj_root))
# Debian's numpy/onnx/torch live only in the system interpreter.
config.substitutions.append(("%python", "/usr/bin/python3"))
config.substitutions.append(("%heed_cxx_flags", getattr(config, "heed_cxx_flags", "")))

llvm_config.with_system_environment(["HOME", "INCLUDE", "LIB", "TMP", "TEMP"])
# Two tests run at once on two cores: OpenMP threads spinning at barriers while the other core is
# busy turn microsecond ops into milliseconds (docs/performance.md). Sleep instead.
config.environment["OMP_WAIT_POLICY"] = "PASSIVE"
llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

tools = [
    ToolSubst("heed-opt", unresolved="fatal"),
    ToolSubst("heed-compile", unresolved="ignore"),
    ToolSubst("heed-run", unresolved="ignore"),
]
llvm_config.add_tool_substitutions(tools, [config.heed_tools_dir])
# The Python package is built when pybind11 is present (HEED_ENABLE_PYTHON); its tests need pytest.
# SentencePiece (runtime/text) loads libsentencepiece with RTLD_DEEPBIND, which AddressSanitizer
# refuses: its tests are off in the sanitizer build.
if "-fsanitize=address" not in getattr(config, "heed_cxx_flags", ""):
    config.available_features.add("sentencepiece")
if os.path.exists(os.path.join(config.heed_obj_root, "python", "heed", "__init__.py")):
    config.available_features.add("python-package")
# heed-bench is built only with HEED_ENABLE_BENCHMARKS (the default).
if os.path.exists(os.path.join(config.heed_tools_dir, "heed-bench")):
    config.available_features.add("heed-bench")
    llvm_config.add_tool_substitutions([ToolSubst("heed-bench")], [config.heed_tools_dir])

# Vulkan: the e2e tests run their models on --device=vulkan too, inside
# `%if vulkan %{ ... %}`, always with VK_LAYER_KHRONOS_validation (any
# validation message fails the run). The feature needs a build with
# HEED_ENABLE_VULKAN, a Vulkan device (lavapipe in CI) and the validation layer;
# the probe creates the runtime, which fails before the missing file is read.
# Without a device the vulkan lines are skipped with a note; `lit -Dvulkan=required`
# makes that an error, `-Dvulkan=0` skips them on purpose.
import subprocess

config.environment["HEED_VULKAN_VALIDATION"] = "1"
# Tests never write pipeline caches into $HOME; pipeline_cache.mlir turns it on in its own dir.
config.environment["HEED_VULKAN_PIPELINE_CACHE"] = "0"
# Driver variants the whole suite can be rerun under, e.g.
# HEED_VULKAN_FORCE_STAGING=1 lit build/test (docs/rationale.md, Vulkan).
# HEED_GUARD_ALLOC=1: every runtime buffer ends at a guard page (docs/c-api.md).
# HEED_POISON_ALLOC=1: buffers a kernel should fill completely start as 0xff bytes (NaN).
# ONEDNN_MAX_CPU_ISA=AVX2 HEED_CPU_ISA=avx2: the CPU paths of a machine without AVX-512 (there
# HEED_CPU_LINEAR defaults to Heed's panel GEMM; =panel or =dnnl forces either).
for var in ("HEED_VULKAN_FORCE_STAGING", "HEED_VULKAN_NO_SUBGROUPS", "HEED_VULKAN_SPLIT_K",
            "HEED_GUARD_ALLOC", "HEED_POISON_ALLOC", "ONEDNN_MAX_CPU_ISA", "HEED_CPU_ISA",
            "HEED_CPU_LINEAR"):
    if var in os.environ:
        config.environment[var] = os.environ[var]
if getattr(config, "heed_enable_vulkan", False) and lit_config.params.get("vulkan", "1") != "0":
    probe = subprocess.run(
        [os.path.join(config.heed_tools_dir, "heed-run"), "/nonexistent.heedm", "--device=vulkan"],
        env=dict(os.environ, HEED_VULKAN_VALIDATION="1"),
        capture_output=True,
        text=True,
    )
    if "cannot open module file" in probe.stderr:
        config.available_features.add("vulkan")
    elif lit_config.params.get("vulkan") == "required":
        lit_config.fatal("vulkan tests required but unavailable: " + probe.stderr.strip())
    else:
        lit_config.note("vulkan tests disabled: " + probe.stderr.strip())
