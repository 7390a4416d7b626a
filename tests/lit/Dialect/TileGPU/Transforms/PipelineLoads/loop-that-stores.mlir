// RUN: tessel-opt %s --convert-tile-to-tilegpu="num-warps=4 target=sm_90a" --tilegpu-pipeline-loads | FileCheck %s --check-prefix=PIPE

// A loop that also stores keeps its scale load: read an iteration ahead, it
// could miss what an earlier iteration stored. The operands are still copied.
// PIPE-LABEL: func.func @gemm_that_stores
// PIPE-NOT: tilegpu.async_stage
// PIPE: scf.for
// PIPE-NOT: tilegpu.async_stage
// PIPE: tile.load {{.*}} : !tile.ptr<f32> -> f32
// PIPE: tilegpu.dot_shared
// PIPE: tile.store
// PIPE: scf.yield
func.func @gemm_that_stores(%a: !tile.ptr<f8E4M3FN> {tile.divisibility = 16 : i64},
                            %b: !tile.ptr<f8E4M3FN> {tile.divisibility = 16 : i64},
                            %s: !tile.ptr<f32> {tile.divisibility = 16 : i64},
                            %k: i32 {tile.divisibility = 16 : i64}) {
  %c0 = arith.constant 0 : i32
  %c64 = arith.constant 64 : i32
  %rows = tile.make_range {start = 0 : i32, end = 64 : i32} : tensor<64xi32>
  %kSplat = tile.splat %k : i32 -> tensor<64x1xi32>
  %rowCol = tile.expand_dims %rows {axis = 1 : i32} : tensor<64xi32> -> tensor<64x1xi32>
  %rowOffsets = arith.muli %rowCol, %kSplat : tensor<64x1xi32>
  %rowB = tile.broadcast %rowOffsets : tensor<64x1xi32> -> tensor<64x64xi32>
  %kRow = tile.expand_dims %rows {axis = 0 : i32} : tensor<64xi32> -> tensor<1x64xi32>
  %kB = tile.broadcast %kRow : tensor<1x64xi32> -> tensor<64x64xi32>
  %aOffsets = arith.addi %rowB, %kB : tensor<64x64xi32>
  %kCol = tile.expand_dims %rows {axis = 1 : i32} : tensor<64xi32> -> tensor<64x1xi32>
  %kColB = tile.broadcast %kCol : tensor<64x1xi32> -> tensor<64x64xi32>
  %kSplatRow = tile.splat %k : i32 -> tensor<1x64xi32>
  %nOffsets = arith.muli %kRow, %kSplatRow : tensor<1x64xi32>
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
    %sPtr = tile.addptr %s, %i : !tile.ptr<f32>, i32
    %scale = tile.load %sPtr : !tile.ptr<f32> -> f32
    %product = tile.dot %av, %bv, %zero : tensor<64x64xf8E4M3FN>, tensor<64x64xf8E4M3FN> -> tensor<64x64xf32>
    %scaleB = tile.splat %scale : f32 -> tensor<64x64xf32>
    %next = math.fma %product, %scaleB, %sum : tensor<64x64xf32>
    %nextPtr = tile.addptr %sPtr, %c64 : !tile.ptr<f32>, i32
    tile.store %nextPtr, %scale : !tile.ptr<f32>, f32
    scf.yield %next : tensor<64x64xf32>
  } {tile.num_stages = 2 : i32}
  return
}
