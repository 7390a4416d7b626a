// RUN: tessel-opt %s -split-input-file --convert-tile-to-tilegpu="num-warps=4 target=sm_89" | FileCheck %s
// RUN: tessel-opt %s -split-input-file --convert-tile-to-tilegpu="num-warps=4 target=sm_90a" | FileCheck %s --check-prefix=WGMMA

// A row-wise reduction over a 2-D tile built from two ranges: the ranges take
// slices of the 2-D layout, so no layout conversion is needed, and the
// reduction result is the row slice.
// CHECK-DAG: #[[B:blocked[0-9]*]] = #tilegpu.blocked<sizePerThread = [1, 8], threadsPerWarp = [2, 16], warpsPerCTA = [4, 1], order = [1, 0]>
// CHECK-DAG: #[[ROW:slice[0-9]*]] = #tilegpu.slice<dim = 1, parent = #[[B]]>
// CHECK-DAG: #[[COL:slice[0-9]*]] = #tilegpu.slice<dim = 0, parent = #[[B]]>
// CHECK-LABEL: func @rowmax
// CHECK-NOT: tilegpu.convert_layout
// CHECK: tile.make_range {{.*}} : tensor<8xi32, #[[ROW]]>
// CHECK: tile.make_range {{.*}} : tensor<128xi32, #[[COL]]>
// CHECK: tile.load {{.*}} -> tensor<8x128xbf16, #[[B]]>
// CHECK: tile.reduce max, {{.*}} -> tensor<8xf32, #[[ROW]]>
// CHECK: return
func.func @rowmax(%x: !tile.ptr<bf16>, %out: !tile.ptr<f32>) {
  %rows = tile.make_range {start = 0 : i32, end = 8 : i32} : tensor<8xi32>
  %cols = tile.make_range {start = 0 : i32, end = 128 : i32} : tensor<128xi32>
  %r2 = tile.expand_dims %rows {axis = 1 : i32} : tensor<8xi32> -> tensor<8x1xi32>
  %c2 = tile.expand_dims %cols {axis = 0 : i32} : tensor<128xi32> -> tensor<1x128xi32>
  %c128 = arith.constant dense<128> : tensor<8x1xi32>
  %rs = arith.muli %r2, %c128 : tensor<8x1xi32>
  %rb = tile.broadcast %rs : tensor<8x1xi32> -> tensor<8x128xi32>
  %cb = tile.broadcast %c2 : tensor<1x128xi32> -> tensor<8x128xi32>
  %offs = arith.addi %rb, %cb : tensor<8x128xi32>
  %xs = tile.splat %x : !tile.ptr<bf16> -> tensor<8x128x!tile.ptr<bf16>>
  %p = tile.addptr %xs, %offs : tensor<8x128x!tile.ptr<bf16>>, tensor<8x128xi32>
  %v = tile.load %p : tensor<8x128x!tile.ptr<bf16>> -> tensor<8x128xbf16>
  %f = arith.extf %v : tensor<8x128xbf16> to tensor<8x128xf32>
  %m = tile.reduce max, %f {axis = 1 : i32} : tensor<8x128xf32> -> tensor<8xf32>
  %os = tile.splat %out : !tile.ptr<f32> -> tensor<8x!tile.ptr<f32>>
  %op = tile.addptr %os, %rows : tensor<8x!tile.ptr<f32>>, tensor<8xi32>
  tile.store %op, %m : tensor<8x!tile.ptr<f32>>, tensor<8xf32>
  return
}

// -----

// A range used both as a row index and as a column index cannot be both
// slices of one layout; each use gets its own copy of the range instead of a
// conversion.
// CHECK-LABEL: func @transpose_index
// CHECK-COUNT-2: tile.make_range
// CHECK-NOT: tilegpu.convert_layout
func.func @transpose_index(%x: !tile.ptr<f32>) {
  %r = tile.make_range {start = 0 : i32, end = 32 : i32} : tensor<32xi32>
  %a = tile.expand_dims %r {axis = 1 : i32} : tensor<32xi32> -> tensor<32x1xi32>
  %b = tile.expand_dims %r {axis = 0 : i32} : tensor<32xi32> -> tensor<1x32xi32>
  %ab = tile.broadcast %a : tensor<32x1xi32> -> tensor<32x32xi32>
  %bb = tile.broadcast %b : tensor<1x32xi32> -> tensor<32x32xi32>
  %o = arith.addi %ab, %bb : tensor<32x32xi32>
  %xs = tile.splat %x : !tile.ptr<f32> -> tensor<32x32x!tile.ptr<f32>>
  %p = tile.addptr %xs, %o : tensor<32x32x!tile.ptr<f32>>, tensor<32x32xi32>
  %v = tile.load %p : tensor<32x32x!tile.ptr<f32>> -> tensor<32x32xf32>
  tile.store %p, %v : tensor<32x32x!tile.ptr<f32>>, tensor<32x32xf32>
  return
}

// -----

// A dot: the accumulator and result take the mma layout, warps splitting the
// longer side of the 64x128 result; the operands keep blocked layouts sized
// for their loads, B's contiguous along its first dimension (it is read
// from an [N, K] matrix as [K, N]).
// CHECK-DAG: #blocked = #tilegpu.blocked<sizePerThread = [1, 16], threadsPerWarp = [4, 8], warpsPerCTA = [4, 1], order = [1, 0]>
// CHECK-DAG: #blocked1 = #tilegpu.blocked<sizePerThread = [16, 1], threadsPerWarp = [8, 4], warpsPerCTA = [1, 4], order = [0, 1]>
// CHECK-DAG: #mma = #tilegpu.mma<warpsPerCTA = [2, 2]>
// CHECK-LABEL: func.func @dot
// CHECK: tile.dot %{{.*}}, %{{.*}}, %{{.*}} : tensor<64x128xf8E4M3FN, #blocked>, tensor<128x128xf8E4M3FN, #blocked1> -> tensor<64x128xf32, #mma>
// With wgmma (sm_90a) the warps stack along M instead: the 4 warps are one
// warpgroup, warp w holding rows 16 w to 16 w + 15 of every column.
// WGMMA: #mma = #tilegpu.mma<warpsPerCTA = [4, 1]>
// WGMMA-LABEL: func.func @dot
// WGMMA: tile.dot {{.*}} -> tensor<64x128xf32, #mma>
func.func @dot(%a: !tile.ptr<f8E4M3FN> {tile.divisibility = 16 : i32},
               %b: !tile.ptr<f8E4M3FN> {tile.divisibility = 16 : i32},
               %out: !tile.ptr<f32> {tile.divisibility = 16 : i32}) {
  %rm = tile.make_range {start = 0 : i32, end = 64 : i32} : tensor<64xi32>
  %rk = tile.make_range {start = 0 : i32, end = 128 : i32} : tensor<128xi32>
  %c128 = arith.constant dense<128> : tensor<64x1xi32>
  %rows = tile.expand_dims %rm {axis = 1 : i32} : tensor<64xi32> -> tensor<64x1xi32>
  %rowOffsets = arith.muli %rows, %c128 : tensor<64x1xi32>
  %rowOffsetsB = tile.broadcast %rowOffsets : tensor<64x1xi32> -> tensor<64x128xi32>
  %ks = tile.expand_dims %rk {axis = 0 : i32} : tensor<128xi32> -> tensor<1x128xi32>
  %ksB = tile.broadcast %ks : tensor<1x128xi32> -> tensor<64x128xi32>
  %aOffsets = arith.addi %rowOffsetsB, %ksB : tensor<64x128xi32>
  %aBase = tile.splat %a : !tile.ptr<f8E4M3FN> -> tensor<64x128x!tile.ptr<f8E4M3FN>>
  %aPtrs = tile.addptr %aBase, %aOffsets : tensor<64x128x!tile.ptr<f8E4M3FN>>, tensor<64x128xi32>
  %av = tile.load %aPtrs : tensor<64x128x!tile.ptr<f8E4M3FN>> -> tensor<64x128xf8E4M3FN>
  %kcol = tile.expand_dims %rk {axis = 1 : i32} : tensor<128xi32> -> tensor<128x1xi32>
  %kcolB = tile.broadcast %kcol : tensor<128x1xi32> -> tensor<128x128xi32>
  %ncol = tile.expand_dims %rk {axis = 0 : i32} : tensor<128xi32> -> tensor<1x128xi32>
  %c128n = arith.constant dense<128> : tensor<1x128xi32>
  %nOffsets = arith.muli %ncol, %c128n : tensor<1x128xi32>
  %nOffsetsB = tile.broadcast %nOffsets : tensor<1x128xi32> -> tensor<128x128xi32>
  %bOffsets = arith.addi %nOffsetsB, %kcolB : tensor<128x128xi32>
  %bBase = tile.splat %b : !tile.ptr<f8E4M3FN> -> tensor<128x128x!tile.ptr<f8E4M3FN>>
  %bPtrs = tile.addptr %bBase, %bOffsets : tensor<128x128x!tile.ptr<f8E4M3FN>>, tensor<128x128xi32>
  %bv = tile.load %bPtrs : tensor<128x128x!tile.ptr<f8E4M3FN>> -> tensor<128x128xf8E4M3FN>
  %zero = arith.constant dense<0.0> : tensor<64x128xf32>
  %c = tile.dot %av, %bv, %zero : tensor<64x128xf8E4M3FN>, tensor<128x128xf8E4M3FN> -> tensor<64x128xf32>
  // The result is stored where it lies: the store takes the mma layout.
  %sm = tile.make_range {start = 0 : i32, end = 64 : i32} : tensor<64xi32>
  %sn = tile.make_range {start = 0 : i32, end = 128 : i32} : tensor<128xi32>
  %srow = tile.expand_dims %sm {axis = 1 : i32} : tensor<64xi32> -> tensor<64x1xi32>
  %scol = tile.expand_dims %sn {axis = 0 : i32} : tensor<128xi32> -> tensor<1x128xi32>
  %srowOffsets = arith.muli %srow, %c128 : tensor<64x1xi32>
  %srowB = tile.broadcast %srowOffsets : tensor<64x1xi32> -> tensor<64x128xi32>
  %scolB = tile.broadcast %scol : tensor<1x128xi32> -> tensor<64x128xi32>
  %sOffsets = arith.addi %srowB, %scolB : tensor<64x128xi32>
  %outBase = tile.splat %out : !tile.ptr<f32> -> tensor<64x128x!tile.ptr<f32>>
  %outPtrs = tile.addptr %outBase, %sOffsets : tensor<64x128x!tile.ptr<f32>>, tensor<64x128xi32>
  // CHECK: tile.store %{{.*}}, %{{.*}} : tensor<64x128x!tile.ptr<f32>, #mma>, tensor<64x128xf32, #mma>
  tile.store %outPtrs, %c : tensor<64x128x!tile.ptr<f32>>, tensor<64x128xf32>
  return
}
