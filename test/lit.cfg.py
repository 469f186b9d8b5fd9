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
