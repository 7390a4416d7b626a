// RUN: tessel-opt %s --convert-tile-to-tilegpu="num-warps=4 target=sm_90a" --convert-tilegpu-to-llvm --reconcile-unrealized-casts | FileCheck %s
// RUN: tessel-opt %s --convert-tile-to-tilegpu="num-warps=4 target=sm_90a" --convert-tilegpu-to-llvm --reconcile-unrealized-casts --convert-nvvm-to-llvm | FileCheck %s --check-prefix=PTX

// tile.dot on sm_90a: a 64x128 result over K = 128 fp8 is one warpgroup's
// wgmma m64n128k32, four K steps of 32 bytes. The operands are staged in
// shared memory as 128-byte rows (wgmma's 128-byte swizzle), fenced for the
// async proxy before the barrier, and read through descriptors: 128-byte
// swizzle (1 << 62), 1024 bytes between 8-row spans (64 << 32), leading
// byte offset 1 (1 << 16). The accumulator is a zero constant: the first
// instruction does not read it (scale-d 0), the others accumulate.
// CHECK-LABEL: llvm.func @dot
// CHECK: nvvm.fence.proxy {kind = #nvvm.proxy_kind<async.shared>, space = #nvvm.shared_space<cta>}
// CHECK-NEXT: nvvm.barrier0
// CHECK: llvm.mlir.constant(4611686293305360384 : i64)
// CHECK: nvvm.wgmma.fence.aligned
// CHECK-NEXT: nvvm.wgmma.mma_async {{.*}}, <m = 64, n = 128, k = 32>, D[<f32>, <zero>], A[<e4m3>, <one>, <row>], B[<e4m3>, <one>, <col>]
// CHECK-COUNT-3: nvvm.wgmma.mma_async {{.*}}, <m = 64, n = 128, k = 32>, D[<f32>, <one>]
// CHECK-NEXT: nvvm.wgmma.commit.group.sync.aligned
// CHECK-NEXT: nvvm.wgmma.wait.group.sync.aligned 0
// CHECK-NOT: mma.sync

// The NVVM op becomes the PTX instruction, its 64 accumulator registers
// read and written in place.
// PTX-LABEL: llvm.func @dot
// PTX: wgmma.mma_async.sync.aligned.m64n128k32.f32.e4m3.e4m3
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
  tile.store %outPtrs, %c : tensor<64x128x!tile.ptr<f32>>, tensor<64x128xf32>
  return
}
