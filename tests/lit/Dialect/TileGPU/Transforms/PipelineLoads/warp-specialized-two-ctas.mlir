// RUN: tessel-opt %s --convert-tile-to-tilegpu="num-warps=4 target=sm_90a" --tilegpu-pipeline-loads | FileCheck %s --check-prefix=TWO
// RUN: tessel-opt %s --convert-tile-to-tilegpu="num-warps=4 target=sm_90a" --tilegpu-pipeline-loads --convert-tilegpu-to-llvm --reconcile-unrealized-casts | FileCheck %s --check-prefix=LLVM
// RUN: sed 's/num_stages = 4/num_stages = 6/' %s | tessel-opt --convert-tile-to-tilegpu="num-warps=4 target=sm_90a" --tilegpu-pipeline-loads | FileCheck %s --check-prefix=ONE

// One consumer warpgroup on a 64 x 128 tile: its accumulators (64 per
// thread, twice over with the dot's result) fit the registers that half a
// multiprocessor leaves it, and four stages of rings (96 KiB) fit twice in
// shared memory, so two CTAs share a multiprocessor: the register budget is
// split for two (the consumers rise to 216, not 232) and the kernel's entry
// cap says two CTAs. Six stages (144 KiB) fit only once.
// TWO: module attributes {tilegpu.ctas_per_multiprocessor = 2 : i32
// TWO: tilegpu.set_max_registers 40
// TWO: tilegpu.set_max_registers 216 increase
// LLVM: llvm.func @gemm
// LLVM-SAME: nvvm.maxntid = array<i32: 256, 1, 1>
// LLVM-SAME: nvvm.minctasm = 2 : i32
// ONE: module attributes {tilegpu.ctas_per_multiprocessor = 1 : i32
// ONE: tilegpu.set_max_registers 232 increase
func.func @gemm(%a: !tile.ptr<f8E4M3FN> {tile.divisibility = 16 : i64},
                %b: !tile.ptr<f8E4M3FN> {tile.divisibility = 16 : i64},
                %as: !tile.ptr<f32> {tile.divisibility = 16 : i64},
                %c: !tile.ptr<f32> {tile.divisibility = 16 : i64}) {
  %c0 = arith.constant 0 : i32
  %c1 = arith.constant 1 : i32
  %c64 = arith.constant 64 : i32
  %c128 = arith.constant 128 : i32
  %k = arith.constant 4096 : i32
  %m = arith.constant 4096 : i32
  %n = arith.constant 7168 : i32
  %steps = arith.divsi %k, %c128 : i32
  %aDesc = tile.make_tensor_descriptor %a, shape [%m, %k], strides [%k, %c1]
      : !tile.ptr<f8E4M3FN> -> !tile.tensordesc<tensor<64x128xf8E4M3FN>>
  %bDesc = tile.make_tensor_descriptor %b, shape [%n, %k], strides [%k, %c1]
      : !tile.ptr<f8E4M3FN> -> !tile.tensordesc<tensor<128x128xf8E4M3FN>>
  %pid = tile.program_id 0 : i32
  %row = arith.muli %pid, %c64 : i32
  %rows = tile.make_range {start = 0 : i32, end = 64 : i32} : tensor<64xi32>
  %stepsSplat = tile.splat %steps : i32 -> tensor<64xi32>
  %scaleRows = arith.muli %rows, %stepsSplat : tensor<64xi32>
  %zero = arith.constant dense<0.0> : tensor<64x128xf32>
  %acc = scf.for %i = %c0 to %steps step %c1 iter_args(%sum = %zero) -> (tensor<64x128xf32>) : i32 {
    %kOffset = arith.muli %i, %c128 : i32
    %av = tile.descriptor_load %aDesc[%row, %kOffset]
        : !tile.tensordesc<tensor<64x128xf8E4M3FN>> -> tensor<64x128xf8E4M3FN>
    %bBlock = tile.descriptor_load %bDesc[%c0, %kOffset]
        : !tile.tensordesc<tensor<128x128xf8E4M3FN>> -> tensor<128x128xf8E4M3FN>
    %bv = tile.transpose %bBlock : tensor<128x128xf8E4M3FN> -> tensor<128x128xf8E4M3FN>
    %stepS = tile.splat %i : i32 -> tensor<64xi32>
    %saOffsets = arith.addi %scaleRows, %stepS : tensor<64xi32>
    %saPtrs0 = tile.splat %as : !tile.ptr<f32> -> tensor<64x!tile.ptr<f32>>
    %saPtrs = tile.addptr %saPtrs0, %saOffsets : tensor<64x!tile.ptr<f32>>, tensor<64xi32>
    %sa = tile.load %saPtrs : tensor<64x!tile.ptr<f32>> -> tensor<64xf32>
    %zeroAcc = arith.constant dense<0.0> : tensor<64x128xf32>
    %product = tile.dot %av, %bv, %zeroAcc : tensor<64x128xf8E4M3FN>, tensor<128x128xf8E4M3FN> -> tensor<64x128xf32>
    %scaleCol = tile.expand_dims %sa {axis = 1 : i32} : tensor<64xf32> -> tensor<64x1xf32>
    %scaleB = tile.broadcast %scaleCol : tensor<64x1xf32> -> tensor<64x128xf32>
    %next = math.fma %product, %scaleB, %sum : tensor<64x128xf32>
    scf.yield %next : tensor<64x128xf32>
  } {tile.num_stages = 4 : i32, tile.warp_specialize}
  %colSums = tile.reduce sum, %acc {axis = 0 : i32} : tensor<64x128xf32> -> tensor<128xf32>
  %cols = tile.make_range {start = 0 : i32, end = 128 : i32} : tensor<128xi32>
  %cSplat = tile.splat %c : !tile.ptr<f32> -> tensor<128x!tile.ptr<f32>>
  %cPtrs = tile.addptr %cSplat, %cols : tensor<128x!tile.ptr<f32>>, tensor<128xi32>
  tile.store %cPtrs, %colSums : tensor<128x!tile.ptr<f32>>, tensor<128xf32>
  return
}
