// RUN: tessel-opt %s -split-input-file --convert-tile-to-tilegpu="num-warps=4 target=sm_90a" --convert-tilegpu-to-llvm --reconcile-unrealized-casts | FileCheck %s

// A 16-byte aligned, contiguous bf16 tile is moved with 16-byte vectors; the
// kernel is an NVVM entry point with its block size.
// CHECK-LABEL: llvm.func @copy
// CHECK-SAME: nvvm.kernel
// CHECK-SAME: nvvm.maxntid = array<i32: 128, 1, 1>
// CHECK: llvm.load {{.*}} {alignment = 16 : i64} : !llvm.ptr<1> -> vector<8xbf16>
// CHECK: llvm.store {{.*}} {alignment = 16 : i64} : vector<8xbf16>, !llvm.ptr<1>
func.func @copy(%x: !tile.ptr<bf16> {tile.divisibility = 16 : i64},
                %y: !tile.ptr<bf16> {tile.divisibility = 16 : i64}) {
  %r = tile.make_range {start = 0 : i32, end = 1024 : i32} : tensor<1024xi32>
  %xs = tile.splat %x : !tile.ptr<bf16> -> tensor<1024x!tile.ptr<bf16>>
  %xp = tile.addptr %xs, %r : tensor<1024x!tile.ptr<bf16>>, tensor<1024xi32>
  %v = tile.load %xp : tensor<1024x!tile.ptr<bf16>> -> tensor<1024xbf16>
  %ys = tile.splat %y : !tile.ptr<bf16> -> tensor<1024x!tile.ptr<bf16>>
  %yp = tile.addptr %ys, %r : tensor<1024x!tile.ptr<bf16>>, tensor<1024xi32>
  tile.store %yp, %v : tensor<1024x!tile.ptr<bf16>>, tensor<1024xbf16>
  return
}

// -----

// Without alignment facts the accesses stay scalar; a mask guards each access
// with a branch.
// CHECK-LABEL: llvm.func @masked
// CHECK: llvm.cond_br
// CHECK: llvm.load {{.*}} {alignment = 4 : i64} : !llvm.ptr<1> -> vector<1xf32>
func.func @masked(%x: !tile.ptr<f32>, %n: i32) {
  %r = tile.make_range {start = 0 : i32, end = 128 : i32} : tensor<128xi32>
  %ns = tile.splat %n : i32 -> tensor<128xi32>
  %m = arith.cmpi slt, %r, %ns : tensor<128xi32>
  %xs = tile.splat %x : !tile.ptr<f32> -> tensor<128x!tile.ptr<f32>>
  %xp = tile.addptr %xs, %r : tensor<128x!tile.ptr<f32>>, tensor<128xi32>
  %v = tile.load %xp mask %m : tensor<128x!tile.ptr<f32>>, tensor<128xi1> -> tensor<128xf32>
  tile.store %xp, %v mask %m : tensor<128x!tile.ptr<f32>>, tensor<128xf32>, tensor<128xi1>
  return
}

// -----

// A row reduction: butterfly shuffles within the warp.
// CHECK-LABEL: llvm.func @rowmax
// CHECK: nvvm.shfl.sync bfly
// CHECK: llvm.intr.maxnum
func.func @rowmax(%x: !tile.ptr<f32>, %out: !tile.ptr<f32>) {
  %r = tile.make_range {start = 0 : i32, end = 128 : i32} : tensor<128xi32>
  %xs = tile.splat %x : !tile.ptr<f32> -> tensor<128x!tile.ptr<f32>>
  %xp = tile.addptr %xs, %r : tensor<128x!tile.ptr<f32>>, tensor<128xi32>
  %v = tile.load %xp : tensor<128x!tile.ptr<f32>> -> tensor<128xf32>
  %m = tile.reduce max, %v {axis = 0 : i32} : tensor<128xf32> -> f32
  tile.store %out, %m : !tile.ptr<f32>, f32
  return
}

// -----

// f32 -> e4m3 on sm_90a is the hardware conversion, two values at a time.
// CHECK-LABEL: llvm.func @to_e4m3
// CHECK: nvvm.convert.f32x2.to.f8x2
func.func @to_e4m3(%x: !tile.ptr<f32> {tile.divisibility = 16 : i64},
                   %y: !tile.ptr<f8E4M3FN> {tile.divisibility = 16 : i64}) {
  %r = tile.make_range {start = 0 : i32, end = 512 : i32} : tensor<512xi32>
  %xs = tile.splat %x : !tile.ptr<f32> -> tensor<512x!tile.ptr<f32>>
  %xp = tile.addptr %xs, %r : tensor<512x!tile.ptr<f32>>, tensor<512xi32>
  %v = tile.load %xp : tensor<512x!tile.ptr<f32>> -> tensor<512xf32>
  %q = tile.fptrunc_sat %v : tensor<512xf32> -> tensor<512xf8E4M3FN>
  %ys = tile.splat %y : !tile.ptr<f8E4M3FN> -> tensor<512x!tile.ptr<f8E4M3FN>>
  %yp = tile.addptr %ys, %r : tensor<512x!tile.ptr<f8E4M3FN>>, tensor<512xi32>
  tile.store %yp, %q : tensor<512x!tile.ptr<f8E4M3FN>>, tensor<512xf8E4M3FN>
  return
}
