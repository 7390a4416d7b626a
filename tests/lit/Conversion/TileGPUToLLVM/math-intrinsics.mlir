// RUN: tessel-opt %s --convert-tile-to-tilegpu="num-warps=4 target=sm_90a" --convert-tilegpu-to-llvm --convert-nvvm-to-llvm --reconcile-unrealized-casts | mlir-translate --mlir-to-llvmir | FileCheck %s

// Math on f32 tiles uses the SFU's approximations, through intrinsics that
// must exist in LLVM's NVVM intrinsic table (the translation to LLVM IR
// fails on a misspelled one): exp is ex2 of x * log2(e), log is lg2 * ln(2).
// CHECK-LABEL: define {{.*}} @math
// CHECK: fmul float {{.*}}, 0x3FF7154760000000
// CHECK: call float @llvm.nvvm.ex2.approx.f32(float
// CHECK: call float @llvm.nvvm.ex2.approx.f32(float
// CHECK: call float @llvm.nvvm.lg2.approx.f(float
func.func @math(%x: !tile.ptr<f32>, %y: !tile.ptr<f32>) {
  %r = tile.make_range {start = 0 : i32, end = 128 : i32} : tensor<128xi32>
  %xs = tile.splat %x : !tile.ptr<f32> -> tensor<128x!tile.ptr<f32>>
  %xp = tile.addptr %xs, %r : tensor<128x!tile.ptr<f32>>, tensor<128xi32>
  %v = tile.load %xp : tensor<128x!tile.ptr<f32>> -> tensor<128xf32>
  %e = math.exp %v : tensor<128xf32>
  %e2 = math.exp2 %e : tensor<128xf32>
  %l = math.log %e2 : tensor<128xf32>
  %ys = tile.splat %y : !tile.ptr<f32> -> tensor<128x!tile.ptr<f32>>
  %yp = tile.addptr %ys, %r : tensor<128x!tile.ptr<f32>>, tensor<128xi32>
  tile.store %yp, %l : tensor<128x!tile.ptr<f32>>, tensor<128xf32>
  return
}
