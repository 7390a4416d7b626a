// RUN: tessel-opt %s --convert-tile-to-tilegpu="num-warps=4 target=sm_90a" --tilegpu-pipeline-loads | FileCheck %s --check-prefix=PIPE
// RUN: tessel-opt %s --convert-tile-to-tilegpu="num-warps=4 target=sm_90a" --tilegpu-pipeline-loads --convert-tilegpu-to-llvm --reconcile-unrealized-casts | FileCheck %s --check-prefix=LLVM

// c[64x128] = sum over k of a[64 x k] . b[128 x k]^T, read through tensor
// descriptors whose base, shape and strides the host knows (kernel
// arguments, 16-byte aligned, and the constant 1): on sm_90a each operand
// block is one bulk tensor copy (TMA) into a ring of 3 slots of 128-byte
// rows, which signals the slot's mbarrier. Each descriptor becomes a kernel
// argument holding the tensor map, described for the host.
// PIPE: module attributes {tilegpu.num_warps = 4 : i32, tilegpu.pipeline_bytes = 73752 : i32
// PIPE-LABEL: func.func @gemm
// PIPE-SAME: %arg4: !tile.tensordesc<tensor<64x128xf8E4M3FN>> {tilegpu.tensor_map = {base = 0 : i64, box = array<i64: 64, 128>, shape_args = array<i64: 3, -1>, shape_values = array<i64: 0, 4096>, strides_args = array<i64: -1, -1>, strides_values = array<i64: 4096, 1>, swizzle = 128 : i64}}
// PIPE-SAME: %arg5: !tile.tensordesc<tensor<128x128xf8E4M3FN>> {tilegpu.tensor_map = {base = 1 : i64, box = array<i64: 128, 128>, shape_args = array<i64: -1, -1>, shape_values = array<i64: 7168, 4096>, strides_args = array<i64: -1, -1>, strides_values = array<i64: 4096, 1>, swizzle = 128 : i64}}
// PIPE-NOT: tile.make_tensor_descriptor
// PIPE: tilegpu.mbarrier_init %{{.*}} {barriers = 3 : i32, count = 1 : i32}
// PIPE: tilegpu.mbarrier_expect_tx %{{.*}}, %{{.*}} {bytes = 24576 : i32}
// PIPE: tilegpu.tma_load %arg4[%{{.*}}, %{{.*}}] to
// PIPE: tilegpu.tma_load %arg5[%{{.*}}, %{{.*}}] to
// PIPE: tilegpu.async_commit
// PIPE: tilegpu.mbarrier_expect_tx
// PIPE: scf.for
// PIPE: tilegpu.mbarrier_wait
// PIPE-NEXT: tilegpu.async_wait 1
// PIPE: tilegpu.dot_shared {{.*}} {aType = f8E4M3FN, bType = f8E4M3FN, k = 32 : i64, kBegin = 0 : i64, pitch = 128 : i64}
// PIPE: tilegpu.mbarrier_expect_tx
// PIPE: tilegpu.tma_load %arg4
// PIPE: tilegpu.tma_load %arg5
// PIPE-NOT: tile.descriptor_load
// PIPE-NOT: tile.transpose
// PIPE: tilegpu.dot_shared {{.*}} {aType = f8E4M3FN, bType = f8E4M3FN, k = 96 : i64, kBegin = 32 : i64, pitch = 128 : i64}
// PIPE: scf.yield
// PIPE: tilegpu.async_wait 0
// PIPE: tilegpu.mbarrier_inval %{{.*}} {barriers = 3 : i32}

// The tensor maps are 128-byte parameters read in place; thread 0 sets up
// the barriers, announces each slot's bytes and starts the copies, with
// coordinates innermost first; every thread waits on the slot's phase.
// LLVM-LABEL: llvm.func @gemm
// LLVM-SAME: %arg4: !llvm.ptr {llvm.align = 64 : i64, llvm.byval = !llvm.array<128 x i8>, nvvm.grid_constant}
// LLVM: nvvm.mbarrier.init
// LLVM: nvvm.fence.mbarrier.init
// LLVM-NEXT: nvvm.barrier0
// LLVM: nvvm.mbarrier.arrive.expect_tx
// LLVM: nvvm.cp.async.bulk.tensor.shared.cluster.global %{{.*}}, %arg4, %{{.*}}, box[%{{.*}}, %{{.*}}]
// LLVM: nvvm.mbarrier.try_wait.parity
// LLVM: nvvm.wgmma.mma_async
// LLVM: nvvm.mbarrier.inval
func.func @gemm(%a: !tile.ptr<f8E4M3FN> {tile.divisibility = 16 : i64},
                %b: !tile.ptr<f8E4M3FN> {tile.divisibility = 16 : i64},
                %c: !tile.ptr<f32> {tile.divisibility = 16 : i64},
                %m: i32 {tile.divisibility = 16 : i64}) {
  %c0 = arith.constant 0 : i32
  %c1 = arith.constant 1 : i32
  %c128 = arith.constant 128 : i32
  %k = arith.constant 4096 : i32
  %n = arith.constant 7168 : i32
  %aDesc = tile.make_tensor_descriptor %a, shape [%m, %k], strides [%k, %c1]
      : !tile.ptr<f8E4M3FN> -> !tile.tensordesc<tensor<64x128xf8E4M3FN>>
  %bDesc = tile.make_tensor_descriptor %b, shape [%n, %k], strides [%k, %c1]
      : !tile.ptr<f8E4M3FN> -> !tile.tensordesc<tensor<128x128xf8E4M3FN>>
  %pid = tile.program_id 0 : i32
  %row = arith.muli %pid, %c128 : i32
  %zero = arith.constant dense<0.0> : tensor<64x128xf32>
  %acc = scf.for %i = %c0 to %k step %c128 iter_args(%sum = %zero) -> (tensor<64x128xf32>) : i32 {
    %av = tile.descriptor_load %aDesc[%row, %i]
        : !tile.tensordesc<tensor<64x128xf8E4M3FN>> -> tensor<64x128xf8E4M3FN>
    %bBlock = tile.descriptor_load %bDesc[%c0, %i]
        : !tile.tensordesc<tensor<128x128xf8E4M3FN>> -> tensor<128x128xf8E4M3FN>
    %bv = tile.transpose %bBlock : tensor<128x128xf8E4M3FN> -> tensor<128x128xf8E4M3FN>
    %next = tile.dot %av, %bv, %sum : tensor<64x128xf8E4M3FN>, tensor<128x128xf8E4M3FN> -> tensor<64x128xf32>
    scf.yield %next : tensor<64x128xf32>
  } {tile.num_stages = 3 : i32}
  %rows = tile.make_range {start = 0 : i32, end = 64 : i32} : tensor<64xi32>
  %cols = tile.make_range {start = 0 : i32, end = 128 : i32} : tensor<128xi32>
  %cSplat = tile.splat %c : !tile.ptr<f32> -> tensor<64x128x!tile.ptr<f32>>
  %cRow = tile.expand_dims %rows {axis = 1 : i32} : tensor<64xi32> -> tensor<64x1xi32>
  %c128s = arith.constant dense<128> : tensor<64x1xi32>
  %cRowOffsets = arith.muli %cRow, %c128s : tensor<64x1xi32>
  %cRowB = tile.broadcast %cRowOffsets : tensor<64x1xi32> -> tensor<64x128xi32>
  %cCol = tile.expand_dims %cols {axis = 0 : i32} : tensor<128xi32> -> tensor<1x128xi32>
  %cColB = tile.broadcast %cCol : tensor<1x128xi32> -> tensor<64x128xi32>
  %cOffsets = arith.addi %cRowB, %cColB : tensor<64x128xi32>
  %cPtrs = tile.addptr %cSplat, %cOffsets : tensor<64x128x!tile.ptr<f32>>, tensor<64x128xi32>
  tile.store %cPtrs, %acc : tensor<64x128x!tile.ptr<f32>>, tensor<64x128xf32>
  return
}
