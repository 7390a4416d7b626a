// RUN: tessel-opt %s -split-input-file --convert-tile-to-tilegpu="num-warps=4" | FileCheck %s

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
// slices: one use gets a conversion.
// CHECK-LABEL: func @transpose_index
// CHECK-COUNT-1: tilegpu.convert_layout
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
