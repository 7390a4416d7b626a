# lit configuration for Tessel's IR tests.
import os
import lit.formats

config.name = "Tessel"
config.test_format = lit.formats.ShTest(not lit.util.which("bash") is None)
config.suffixes = [".mlir", ".test"]
config.test_source_root = config.tessel_lit_source_dir
config.test_exec_root = os.path.join(config.tessel_binary_dir, "tests", "lit")
config.environment["PATH"] = os.pathsep.join(
    [config.tessel_tools_dir, config.llvm_tools_dir, config.environment.get("PATH", "")])
