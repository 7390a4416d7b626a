// Transforms of tilegpu IR: passes that rewrite distributed tiles into
// distributed tiles, before the lowering to LLVM.
#ifndef TESSEL_DIALECT_TILEGPU_TRANSFORMS_PASSES_TD
#define TESSEL_DIALECT_TILEGPU_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def PipelineLoads : Pass<"tilegpu-pipeline-loads", "mlir::ModuleOp"> {
  let summary = "Overlaps the loads of later iterations with the dots of this one";
  let description = [{
    In an scf.for whose tile.dot operands are loaded in the loop, replaces
    those loads with cp.async copies (tilegpu.async_copy) into a ring of
    `tile.num_stages` shared-memory buffers per operand, issued S - 1
    iterations ahead, and the dot with tilegpu.dot_shared ops that read its
    operands from the ring. The loop's other small loads (a GEMM's scales)
    are staged the same way (tilegpu.async_stage, read back with
    tilegpu.load_staged). See PipelineLoads.cpp for the schedule and the
    conditions a load must meet. Loops without the attribute take 3 stages;
    fewer when the buffers would not fit in shared memory, none below 2.
    Records the buffers' bytes on the module (tilegpu.pipeline_bytes).

    A loop marked `tile.warp_specialize` whose dot operands the TMA copies
    (sm_90a) takes the warp-specialized schedule instead: a producer
    warpgroup added to the CTA issues the copies, full and empty mbarrier
    rings hand the slots between it and the kernel's warps, and the module
    records the extra warps (tilegpu.producer_warps) and the CTAs per
    multiprocessor the registers were split for
    (tilegpu.ctas_per_multiprocessor: two where one warpgroup computes and
    both CTAs fit). See WarpSpecialize.cpp.
  }];
  let dependentDialects = ["::tessel::tilegpu::TileGPUDialect", "::mlir::arith::ArithDialect"];
}

#endif // TESSEL_DIALECT_TILEGPU_TRANSFORMS_PASSES_TD
