// RUN: tessel-opt %s --convert-tile-to-tilegpu="num-warps=8 target=sm_90a" --tilegpu-pipeline-loads | FileCheck %s --check-prefix=PIPE
// RUN: tessel-opt %s --convert-tile-to-tilegpu="num-warps=8 target=sm_90a" --tilegpu-pipeline-loads --convert-tilegpu-to-llvm --reconcile-unrealized-casts | FileCheck %s --check-prefix=LLVM
// RUN: tessel-opt %s --tile-lower-tensor-descriptors --convert-tile-to-tilegpu="num-warps=8 target=sm_89" --tilegpu-pipeline-loads | FileCheck %s --check-prefix=ADA

// A scaled GEMM loop asking for warp specialization: c[128x128] = sum over
// 128-wide k steps of (a . b^T) * a_s, both operands through tensor
// descriptors. On sm_90a the kernel splits by warpgroup: after the two
// mbarrier rings are set up, the producer warpgroup (threads 256..383, after
// the 8 computing warps) gives registers back, and its first thread alone
// runs a copy loop recomputed from the kernel's arguments: it waits for a
// slot's release (parity flipped: fresh barriers pass), announces the
// stage's bytes and starts both copies. The consumers run the kernel as
// written, the scale load left in the loop ahead of the wait for the slot,
// and each warp releases the slot after the dot.
// PIPE: module attributes {tilegpu.ctas_per_multiprocessor = 1 : i32, tilegpu.num_warps = 8 : i32, tilegpu.pipeline_bytes = 98352 : i32, tilegpu.producer_warps = 4 : i32
// PIPE-LABEL: func.func @gemm
// PIPE: tilegpu.mbarrier_init %[[FULL:.+]] {barriers = 3 : i32, count = 1 : i32}
// PIPE: tilegpu.mbarrier_init %[[EMPTY:.+]] {barriers = 3 : i32, count = 8 : i32}
// PIPE: %[[TID:.+]] = tilegpu.thread_id : i32
// PIPE: %[[IS_PRODUCER:.+]] = arith.cmpi uge, %[[TID]], %c256_i32
// PIPE: scf.if %[[IS_PRODUCER]] {
// PIPE-NEXT: tilegpu.set_max_registers 40
// PIPE-NOT: increase
// PIPE: %[[ISSUER:.+]] = arith.cmpi eq, %[[TID]], %c256
// PIPE: scf.if %[[ISSUER]] {
// PIPE: tile.program_id 0
// PIPE: scf.for
// PIPE: %[[ROUND:.+]] = arith.divsi %{{.*}}, %c3_i32
// PIPE: %[[BIT:.+]] = arith.andi %[[ROUND]]
// PIPE: %[[PARITY:.+]] = arith.xori %[[BIT]]
// PIPE: tilegpu.mbarrier_wait %{{.*}}, %[[PARITY]]
// PIPE: tilegpu.mbarrier_expect_tx %{{.*}}, %true {bytes = 32768 : i32}
// PIPE: tilegpu.tma_load %arg4
// PIPE: tilegpu.tma_load %arg5
// PIPE-NOT: tilegpu.dot_shared
// PIPE: } else {
// PIPE-NEXT: tilegpu.set_max_registers 232 increase
// PIPE: scf.for
// PIPE-NOT: tilegpu.tma_load
// PIPE-NOT: tilegpu.async
// PIPE: tile.load
// PIPE: tilegpu.mbarrier_wait
// PIPE-NEXT: arith.constant
// PIPE: tilegpu.dot_shared {{.*}} {aType = f8E4M3FN, bType = f8E4M3FN, k = 128 : i64, kBegin = 0 : i64, pitch = 128 : i64}
// PIPE: tilegpu.mbarrier_arrive
// PIPE: math.fma
// PIPE: } {tile.num_stages = 3 : i32, tile.warp_specialize}
// PIPE: tile.reduce
// PIPE: tile.store

// The CTA has 384 threads, one CTA per multiprocessor (a register cap at
// entry, which setmaxnreg needs); the barriers are set up with the whole CTA;
// after the split, the reduction syncs the 256 consumer threads alone, on
// named barrier 1.
// LLVM-LABEL: llvm.func @gemm
// LLVM-SAME: nvvm.maxntid = array<i32: 384, 1, 1>
// LLVM-SAME: nvvm.minctasm = 1 : i32
// LLVM: nvvm.fence.mbarrier.init
// LLVM-NEXT: nvvm.barrier0
// LLVM: nvvm.setmaxregister decrease 40
// LLVM: nvvm.mbarrier.try_wait.parity
// LLVM: nvvm.mbarrier.arrive.expect_tx
// LLVM: nvvm.cp.async.bulk.tensor.shared.cluster.global
// LLVM: nvvm.setmaxregister increase 232
// LLVM: nvvm.mbarrier.try_wait.parity
// LLVM: nvvm.wgmma.mma_async
// LLVM: nvvm.wgmma.wait.group.sync.aligned 0
// LLVM: nvvm.mbarrier.arrive
// LLVM: %[[THREADS:.+]] = llvm.mlir.constant(256 : i32) : i32
// LLVM-NEXT: %[[ID:.+]] = llvm.mlir.constant(1 : i32) : i32
// LLVM-NEXT: nvvm.barrier id = %[[ID]] number_of_threads = %[[THREADS]]
// LLVM-NOT: nvvm.barrier0

// Without the TMA (sm_89, where the descriptor loads become pointer loads)
// the option changes nothing: the loop is pipelined with cp.async as usual.
// ADA-NOT: tilegpu.producer_warps
// ADA-NOT: tilegpu.thread_id
// ADA: tilegpu.async_copy
func.func @gemm(%a: !tile.ptr<f8E4M3FN> {tile.divisibility = 16 : i64},
                %b: !tile.ptr<f8E4M3FN> {tile.divisibility = 16 : i64},
                %as: !tile.ptr<f32> {tile.divisibility = 16 : i64},
                %c: !tile.ptr<f32> {tile.divisibility = 16 : i64}) {
  %c0 = arith.constant 0 : i32
  %c1 = arith.constant 1 : i32
  %c128 = arith.constant 128 : i32
  %k = arith.constant 4096 : i32
  %m = arith.constant 4096 : i32
  %n = arith.constant 7168 : i32
  %steps = arith.divsi %k, %c128 : i32
  %aDesc = tile.make_tensor_descriptor %a, shape [%m, %k], strides [%k, %c1]
      : !tile.ptr<f8E4M3FN> -> !tile.tensordesc<tensor<128x128xf8E4M3FN>>
  %bDesc = tile.make_tensor_descriptor %b, shape [%n, %k], strides [%k, %c1]
      : !tile.ptr<f8E4M3FN> -> !tile.tensordesc<tensor<128x128xf8E4M3FN>>
  %pid = tile.program_id 0 : i32
  %row = arith.muli %pid, %c128 : i32
  %rows = tile.make_range {start = 0 : i32, end = 128 : i32} : tensor<128xi32>
  %stepsSplat = tile.splat %steps : i32 -> tensor<128xi32>
  %scaleRows = arith.muli %rows, %stepsSplat : tensor<128xi32>
  %zero = arith.constant dense<0.0> : tensor<128x128xf32>
  %acc = scf.for %i = %c0 to %steps step %c1 iter_args(%sum = %zero) -> (tensor<128x128xf32>) : i32 {
    %kOffset = arith.muli %i, %c128 : i32
    %av = tile.descriptor_load %aDesc[%row, %kOffset]
        : !tile.tensordesc<tensor<128x128xf8E4M3FN>> -> tensor<128x128xf8E4M3FN>
    %bBlock = tile.descriptor_load %bDesc[%c0, %kOffset]
        : !tile.tensordesc<tensor<128x128xf8E4M3FN>> -> tensor<128x128xf8E4M3FN>
    %bv = tile.transpose %bBlock : tensor<128x128xf8E4M3FN> -> tensor<128x128xf8E4M3FN>
    %stepS = tile.splat %i : i32 -> tensor<128xi32>
    %saOffsets = arith.addi %scaleRows, %stepS : tensor<128xi32>
    %saPtrs0 = tile.splat %as : !tile.ptr<f32> -> tensor<128x!tile.ptr<f32>>
    %saPtrs = tile.addptr %saPtrs0, %saOffsets : tensor<128x!tile.ptr<f32>>, tensor<128xi32>
    %sa = tile.load %saPtrs : tensor<128x!tile.ptr<f32>> -> tensor<128xf32>
    %zeroAcc = arith.constant dense<0.0> : tensor<128x128xf32>
    %product = tile.dot %av, %bv, %zeroAcc : tensor<128x128xf8E4M3FN>, tensor<128x128xf8E4M3FN> -> tensor<128x128xf32>
    %scaleCol = tile.expand_dims %sa {axis = 1 : i32} : tensor<128xf32> -> tensor<128x1xf32>
    %scaleB = tile.broadcast %scaleCol : tensor<128x1xf32> -> tensor<128x128xf32>
    %next = math.fma %product, %scaleB, %sum : tensor<128x128xf32>
    scf.yield %next : tensor<128x128xf32>
  } {tile.num_stages = 3 : i32, tile.warp_specialize}
  %colSums = tile.reduce sum, %acc {axis = 0 : i32} : tensor<128x128xf32> -> tensor<128xf32>
  %cSplat = tile.splat %c : !tile.ptr<f32> -> tensor<128x!tile.ptr<f32>>
  %cPtrs = tile.addptr %cSplat, %rows : tensor<128x!tile.ptr<f32>>, tensor<128xi32>
  tile.store %cPtrs, %colSums : tensor<128x!tile.ptr<f32>>, tensor<128xf32>
  return
}
