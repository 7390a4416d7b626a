// RUN: tessel-opt %s --convert-tile-to-tilegpu="num-warps=4 target=sm_90a" --tilegpu-pipeline-loads | FileCheck %s --check-prefix=PIPE
// RUN: tessel-opt %s --convert-tile-to-tilegpu="num-warps=4 target=sm_90a" --tilegpu-pipeline-loads --convert-tilegpu-to-llvm --reconcile-unrealized-casts | FileCheck %s --check-prefix=LLVM

// A scaled GEMM loop, as fp8_gemm's: besides the dot's operands, each
// iteration loads a row scale per row of the tile and one scalar scale. They
// are staged like the operands (async_stage into rings of their own, in the
// same copy groups) and read back from shared memory, so that no load from
// global memory is left in the loop. Pipeline region: operands 2 stages x
// (64 + 64 rows x 128 bytes) = 32768 bytes, then 2 x 256 bytes of row scales
// and 2 x 16 bytes for the scalar.
// PIPE: module attributes {tilegpu.num_warps = 4 : i32, tilegpu.pipeline_bytes = 33312 : i32
// PIPE-LABEL: func.func @scaled_gemm
// PIPE: tilegpu.async_copy
// PIPE: tilegpu.async_copy
// PIPE: tilegpu.async_stage {{.*}} : tensor<64x!tile.ptr<f32>
// PIPE: tilegpu.async_stage {{.*}} : !tile.ptr<f32>, i1
// PIPE: tilegpu.async_commit
// PIPE: scf.for
// PIPE-NOT: tile.load
// PIPE: tilegpu.async_wait 0
// PIPE-DAG: tilegpu.load_staged {{.*}} : tensor<64xf32
// PIPE-DAG: tilegpu.load_staged {{.*}} : f32
// PIPE: tilegpu.dot_shared {{.*}}kBegin = 0
// PIPE: tilegpu.async_copy
// PIPE: tilegpu.async_copy
// PIPE: tilegpu.async_stage
// PIPE: tilegpu.async_stage
// PIPE: tilegpu.async_commit
// PIPE: tilegpu.dot_shared {{.*}}kBegin = 32
// PIPE-NOT: tile.load
// PIPE: scf.yield

// Each scale is copied by the one thread that owns it, 4 bytes at a time,
// the others predicated off within the same statement; the reads are plain
// shared-memory loads.
// LLVM-LABEL: llvm.func @scaled_gemm
// LLVM: @owner cp.async.ca.shared.global [$1], [$2], 4, $3;
// LLVM: llvm.load {{.*}} : !llvm.ptr<3> -> f32
func.func @scaled_gemm(%a: !tile.ptr<f8E4M3FN> {tile.divisibility = 16 : i64},
                       %b: !tile.ptr<f8E4M3FN> {tile.divisibility = 16 : i64},
                       %as: !tile.ptr<f32> {tile.divisibility = 16 : i64},
                       %bs: !tile.ptr<f32> {tile.divisibility = 16 : i64},
                       %c: !tile.ptr<f32> {tile.divisibility = 16 : i64},
                       %k: i32 {tile.divisibility = 16 : i64}) {
  %c0 = arith.constant 0 : i32
  %c1 = arith.constant 1 : i32
  %c128 = arith.constant 128 : i32
  %steps = arith.divsi %k, %c128 : i32
  %rows = tile.make_range {start = 0 : i32, end = 64 : i32} : tensor<64xi32>
  %ks = tile.make_range {start = 0 : i32, end = 128 : i32} : tensor<128xi32>
  %kSplat = tile.splat %k : i32 -> tensor<64x1xi32>
  %rowCol = tile.expand_dims %rows {axis = 1 : i32} : tensor<64xi32> -> tensor<64x1xi32>
  %rowOffsets = arith.muli %rowCol, %kSplat : tensor<64x1xi32>
  %rowB = tile.broadcast %rowOffsets : tensor<64x1xi32> -> tensor<64x128xi32>
  %kRow = tile.expand_dims %ks {axis = 0 : i32} : tensor<128xi32> -> tensor<1x128xi32>
  %kB = tile.broadcast %kRow : tensor<1x128xi32> -> tensor<64x128xi32>
  %aOffsets = arith.addi %rowB, %kB : tensor<64x128xi32>
  // b is read as [k, n]: element (kk, n) at n * k + kk.
  %kCol = tile.expand_dims %ks {axis = 1 : i32} : tensor<128xi32> -> tensor<128x1xi32>
  %kColB = tile.broadcast %kCol : tensor<128x1xi32> -> tensor<128x64xi32>
  %nRow = tile.expand_dims %rows {axis = 0 : i32} : tensor<64xi32> -> tensor<1x64xi32>
  %kSplatRow = tile.splat %k : i32 -> tensor<1x64xi32>
  %nOffsets = arith.muli %nRow, %kSplatRow : tensor<1x64xi32>
  %nB = tile.broadcast %nOffsets : tensor<1x64xi32> -> tensor<128x64xi32>
  %bOffsets = arith.addi %nB, %kColB : tensor<128x64xi32>
  // Row scales: as[row, step], steps per row.
  %stepsSplat = tile.splat %steps : i32 -> tensor<64xi32>
  %scaleRows = arith.muli %rows, %stepsSplat : tensor<64xi32>
  %zero = arith.constant dense<0.0> : tensor<64x64xf32>
  %acc = scf.for %i = %c0 to %steps step %c1 iter_args(%sum = %zero) -> (tensor<64x64xf32>) : i32 {
    %kOffset = arith.muli %i, %c128 : i32
    %stepA = tile.splat %kOffset : i32 -> tensor<64x128xi32>
    %aPtrs0 = tile.splat %a : !tile.ptr<f8E4M3FN> -> tensor<64x128x!tile.ptr<f8E4M3FN>>
    %aPtrs1 = tile.addptr %aPtrs0, %aOffsets : tensor<64x128x!tile.ptr<f8E4M3FN>>, tensor<64x128xi32>
    %aPtrs = tile.addptr %aPtrs1, %stepA : tensor<64x128x!tile.ptr<f8E4M3FN>>, tensor<64x128xi32>
    %av = tile.load %aPtrs : tensor<64x128x!tile.ptr<f8E4M3FN>> -> tensor<64x128xf8E4M3FN>
    %stepB = tile.splat %kOffset : i32 -> tensor<128x64xi32>
    %bPtrs0 = tile.splat %b : !tile.ptr<f8E4M3FN> -> tensor<128x64x!tile.ptr<f8E4M3FN>>
    %bPtrs1 = tile.addptr %bPtrs0, %bOffsets : tensor<128x64x!tile.ptr<f8E4M3FN>>, tensor<128x64xi32>
    %bPtrs = tile.addptr %bPtrs1, %stepB : tensor<128x64x!tile.ptr<f8E4M3FN>>, tensor<128x64xi32>
    %bv = tile.load %bPtrs : tensor<128x64x!tile.ptr<f8E4M3FN>> -> tensor<128x64xf8E4M3FN>
    %stepS = tile.splat %i : i32 -> tensor<64xi32>
    %saOffsets = arith.addi %scaleRows, %stepS : tensor<64xi32>
    %saPtrs0 = tile.splat %as : !tile.ptr<f32> -> tensor<64x!tile.ptr<f32>>
    %saPtrs = tile.addptr %saPtrs0, %saOffsets : tensor<64x!tile.ptr<f32>>, tensor<64xi32>
    %sa = tile.load %saPtrs : tensor<64x!tile.ptr<f32>> -> tensor<64xf32>
    %sbPtr = tile.addptr %bs, %i : !tile.ptr<f32>, i32
    %sb = tile.load %sbPtr : !tile.ptr<f32> -> f32
    %zeroAcc = arith.constant dense<0.0> : tensor<64x64xf32>
    %product = tile.dot %av, %bv, %zeroAcc : tensor<64x128xf8E4M3FN>, tensor<128x64xf8E4M3FN> -> tensor<64x64xf32>
    %sbSplat = tile.splat %sb : f32 -> tensor<64xf32>
    %scale = arith.mulf %sa, %sbSplat : tensor<64xf32>
    %scaleCol = tile.expand_dims %scale {axis = 1 : i32} : tensor<64xf32> -> tensor<64x1xf32>
    %scaleB = tile.broadcast %scaleCol : tensor<64x1xf32> -> tensor<64x64xf32>
    %next = math.fma %product, %scaleB, %sum : tensor<64x64xf32>
    scf.yield %next : tensor<64x64xf32>
  } {tile.num_stages = 2 : i32}
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

