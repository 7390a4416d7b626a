// RUN: not tessel-opt %s --convert-tile-to-tilegpu="num-warps=4 target=sm_75" 2>&1 | FileCheck %s --check-prefix=TARGET
// RUN: not tessel-opt %s --convert-tile-to-tilegpu="num-warps=4 target=sm_90x" 2>&1 | FileCheck %s --check-prefix=TARGET
// RUN: not tessel-opt %s --convert-tile-to-tilegpu="num-warps=3 target=sm_90a" 2>&1 | FileCheck %s --check-prefix=WARPS
// RUN: not tessel-opt %s --convert-tilegpu-to-llvm 2>&1 | FileCheck %s --check-prefix=UNCONVERTED
// The options that name the target and the warp count, and a lowering run
// before there is a target, fail with a message that says what is wrong.

// TARGET: error: tilegpu.target '{{sm_75|sm_90x}}' is not a target of Tessel: it compiles for sm_80, sm_86, sm_89, sm_90, sm_90a
// WARPS: error: num-warps must be a power of two in [1, 32], got 3
// UNCONVERTED: error: module has no tilegpu.num_warps: run convert-tile-to-tilegpu first
func.func @kernel() {
  return
}
