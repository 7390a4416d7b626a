// RUN: tessel-opt %s --convert-tile-to-tilegpu="num-warps=4 target=sm_90a" --tilegpu-pipeline-loads | FileCheck %s --check-prefix=PIPE
// RUN: tessel-opt %s --convert-tile-to-tilegpu="num-warps=4 target=sm_90a" --tilegpu-pipeline-loads --convert-tilegpu-to-llvm --reconcile-unrealized-casts | FileCheck %s --check-prefix=LLVM
// RUN: tessel-opt %s --convert-tile-to-tilegpu="num-warps=4 target=sm_90" --tilegpu-pipeline-loads --convert-tilegpu-to-llvm --reconcile-unrealized-casts | FileCheck %s --check-prefix=SM90
// RUN: tessel-opt %s --convert-tile-to-tilegpu="num-warps=4 target=sm_89" --convert-tilegpu-to-llvm --reconcile-unrealized-casts | FileCheck %s --check-prefix=SM89
// RUN: tessel-opt %s --convert-tile-to-tilegpu="num-warps=4 target=sm_80" --convert-tilegpu-to-llvm --reconcile-unrealized-casts | FileCheck %s --check-prefix=SM80

// c[64x64] = sum over k of a[64 x k] . b[64 x k]^T, stepping 64 along k with
// three stages: the loads become cp.async copies two iterations ahead into
// rings of 3 buffers (A: 64 rows, B: 64 rows, each of 64 bytes, unpadded:
// the copies and ldmatrix swizzle 16-byte chunks instead), and the dot reads
// its operands from the ring: its first K step of 32, then the copies for a
// later iteration, then the rest of K.
// PIPE: module attributes {tilegpu.num_warps = 4 : i32, tilegpu.pipeline_bytes = 24576 : i32
// PIPE-LABEL: func.func @gemm
// PIPE: tilegpu.async_copy
// PIPE: tilegpu.async_copy
// PIPE: tilegpu.async_commit
// PIPE: tilegpu.async_copy
// PIPE: tilegpu.async_copy
// PIPE: tilegpu.async_commit
// PIPE: scf.for
// PIPE: tilegpu.async_wait 1
// PIPE: tilegpu.dot_shared {{.*}} {aType = f8E4M3FN, bType = f8E4M3FN, k = 32 : i64, kBegin = 0 : i64, pitch = 64 : i64}
// PIPE: tilegpu.async_copy
// PIPE: tilegpu.async_copy
// PIPE: tilegpu.async_commit
// PIPE-NOT: tile.load
// PIPE: tilegpu.dot_shared {{.*}} {aType = f8E4M3FN, bType = f8E4M3FN, k = 32 : i64, kBegin = 32 : i64, pitch = 64 : i64}
// PIPE-NOT: tile.dot
// PIPE: scf.yield
// PIPE: tilegpu.async_wait 0

// sm_90a: the copies are fenced for the async proxy before the barrier
// that publishes them, and the warpgroup multiplies its 64 rows with wgmma,
// reading both operands through descriptors (the 64-byte rows are wgmma's
// 64-byte swizzle). The first part of the split dot leaves its wgmma in
// flight over the copies; the part that ends K waits for both.
// LLVM-LABEL: llvm.func @gemm
// LLVM: nvvm.cp.async.shared.global {{.*}}, 16, cache = cg
// LLVM: nvvm.cp.async.commit.group
// LLVM: nvvm.cp.async.wait.group 1
// LLVM-NEXT: nvvm.fence.proxy {kind = #nvvm.proxy_kind<async.shared>, space = #nvvm.shared_space<cta>}
// LLVM-NEXT: nvvm.barrier0
// LLVM-NOT: mma.sync
// LLVM: nvvm.wgmma.fence.aligned
// LLVM-NEXT: nvvm.wgmma.mma_async {{.*}}, <m = 64, n = 64, k = 32>, D[<f32>, <one>], A[<e4m3>, <one>, <row>], B[<e4m3>, <one>, <col>]
// LLVM-NEXT: nvvm.wgmma.commit.group.sync.aligned
// LLVM-NOT: nvvm.wgmma.wait.group
// LLVM: nvvm.cp.async.commit.group
// LLVM: nvvm.wgmma.mma_async
// LLVM: nvvm.wgmma.commit.group.sync.aligned
// LLVM-NEXT: nvvm.wgmma.wait.group.sync.aligned 0
// LLVM-NOT: mma.sync

// sm_90 without the "a" features has no wgmma: each fp8 fragment is
// widened to f16 once, and a K step of 32 is two f16 instructions (ptxas
// would emulate the fp8 instruction at a higher cost).
// SM90-LABEL: llvm.func @gemm
// SM90-NOT: fence.proxy
// SM90: cvt.rn.f16x2.e4m3x2
// SM90-NOT: e4m3.e4m3
// SM90: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
// SM90-NOT: wgmma

// sm_89 has the fp8 instruction.
// SM89-LABEL: llvm.func @gemm
// SM89-NOT: cvt.rn.f16x2
// SM89: mma.sync.aligned.m16n8k32.row.col.f32.e4m3.e4m3.f32

// sm_80 widens with integer arithmetic (no fp8 conversions there).
// SM80-LABEL: llvm.func @gemm
// SM80-NOT: cvt.rn.f16x2
// SM80-NOT: e4m3.e4m3
// SM80: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
func.func @gemm(%a: !tile.ptr<f8E4M3FN> {tile.divisibility = 16 : i64},
                %b: !tile.ptr<f8E4M3FN> {tile.divisibility = 16 : i64},
                %c: !tile.ptr<f32> {tile.divisibility = 16 : i64},
                %k: i32 {tile.divisibility = 16 : i64}) {
  %c0 = arith.constant 0 : i32
  %c64 = arith.constant 64 : i32
  %rows = tile.make_range {start = 0 : i32, end = 64 : i32} : tensor<64xi32>
  %ks = tile.make_range {start = 0 : i32, end = 64 : i32} : tensor<64xi32>
  %kSplat = tile.splat %k : i32 -> tensor<64x1xi32>
  %rowCol = tile.expand_dims %rows {axis = 1 : i32} : tensor<64xi32> -> tensor<64x1xi32>
  %rowOffsets = arith.muli %rowCol, %kSplat : tensor<64x1xi32>
  %rowB = tile.broadcast %rowOffsets : tensor<64x1xi32> -> tensor<64x64xi32>
  %kRow = tile.expand_dims %ks {axis = 0 : i32} : tensor<64xi32> -> tensor<1x64xi32>
  %kB = tile.broadcast %kRow : tensor<1x64xi32> -> tensor<64x64xi32>
  %aOffsets = arith.addi %rowB, %kB : tensor<64x64xi32>
  // b is read as [k, n]: element (kk, n) at n * k + kk.
  %kCol = tile.expand_dims %ks {axis = 1 : i32} : tensor<64xi32> -> tensor<64x1xi32>
  %kColB = tile.broadcast %kCol : tensor<64x1xi32> -> tensor<64x64xi32>
  %nRow = tile.expand_dims %rows {axis = 0 : i32} : tensor<64xi32> -> tensor<1x64xi32>
  %kSplatRow = tile.splat %k : i32 -> tensor<1x64xi32>
  %nOffsets = arith.muli %nRow, %kSplatRow : tensor<1x64xi32>
  %nB = tile.broadcast %nOffsets : tensor<1x64xi32> -> tensor<64x64xi32>
  %bOffsets = arith.addi %nB, %kColB : tensor<64x64xi32>
  %zero = arith.constant dense<0.0> : tensor<64x64xf32>
  %acc = scf.for %i = %c0 to %k step %c64 iter_args(%sum = %zero) -> (tensor<64x64xf32>) : i32 {
    %step = tile.splat %i : i32 -> tensor<64x64xi32>
    %aPtrs0 = tile.splat %a : !tile.ptr<f8E4M3FN> -> tensor<64x64x!tile.ptr<f8E4M3FN>>
    %aPtrs1 = tile.addptr %aPtrs0, %aOffsets : tensor<64x64x!tile.ptr<f8E4M3FN>>, tensor<64x64xi32>
    %aPtrs = tile.addptr %aPtrs1, %step : tensor<64x64x!tile.ptr<f8E4M3FN>>, tensor<64x64xi32>
    %av = tile.load %aPtrs : tensor<64x64x!tile.ptr<f8E4M3FN>> -> tensor<64x64xf8E4M3FN>
    %bPtrs0 = tile.splat %b : !tile.ptr<f8E4M3FN> -> tensor<64x64x!tile.ptr<f8E4M3FN>>
    %bPtrs1 = tile.addptr %bPtrs0, %bOffsets : tensor<64x64x!tile.ptr<f8E4M3FN>>, tensor<64x64xi32>
    %bPtrs = tile.addptr %bPtrs1, %step : tensor<64x64x!tile.ptr<f8E4M3FN>>, tensor<64x64xi32>
    %bv = tile.load %bPtrs : tensor<64x64x!tile.ptr<f8E4M3FN>> -> tensor<64x64xf8E4M3FN>
    %next = tile.dot %av, %bv, %sum : tensor<64x64xf8E4M3FN>, tensor<64x64xf8E4M3FN> -> tensor<64x64xf32>
    scf.yield %next : tensor<64x64xf32>
  } {tile.num_stages = 3 : i32}
  %cSplat = tile.splat %c : !tile.ptr<f32> -> tensor<64x64x!tile.ptr<f32>>
  %cRow = tile.expand_dims %rows {axis = 1 : i32} : tensor<64xi32> -> tensor<64x1xi32>
  %c64s = arith.constant dense<64> : tensor<64x1xi32>
  %cRowOffsets = arith.muli %cRow, %c64s : tensor<64x1xi32>
  %cRowB = tile.broadcast %cRowOffsets : tensor<64x1xi32> -> tensor<64x64xi32>
  %cCol = tile.expand_dims %rows {axis = 0 : i32} : tensor<64xi32> -> tensor<1x64xi32>
  %cColB = tile.broadcast %cCol : tensor<1x64xi32> -> tensor<64x64xi32>
  %cOffsets = arith.addi %cRowB, %cColB : tensor<64x64xi32>
  %cPtrs = tile.addptr %cSplat, %cOffsets : tensor<64x64x!tile.ptr<f32>>, tensor<64x64xi32>
  tile.store %cPtrs, %acc : tensor<64x64x!tile.ptr<f32>>, tensor<64x64xf32>
  return
}
