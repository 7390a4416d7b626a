// RUN: tessel-opt %s --tile-lower-tensor-descriptors --convert-tile-to-tilegpu="num-warps=4 target=sm_90a" --tilegpu-pipeline-loads --convert-tilegpu-to-llvm --reconcile-unrealized-casts | FileCheck %s --check-prefix=COPY
// RUN: tessel-opt %s --tile-lower-tensor-descriptors --convert-tile-to-tilegpu="num-warps=4 target=sm_80" --tilegpu-pipeline-loads --convert-tilegpu-to-llvm --reconcile-unrealized-casts | FileCheck %s --check-prefix=COPY
// RUN: tessel-opt %s --tile-lower-tensor-descriptors --convert-tile-to-tilegpu="num-warps=4 target=sm_80" --convert-tilegpu-to-llvm --reconcile-unrealized-casts | FileCheck %s --check-prefix=LOAD

// The lowered loads keep 16-byte vectors: A, a 64x128 fp8 block at
// (program_id * 64, step * 128), and B, the transpose of another, of
// tensors whose shapes and strides are arguments divisible by 16. The
// alignment analysis proves each row a run of 16 aligned bytes over which
// the bounds mask is constant, so the pipeliner copies them with 16-byte
// cp.async (4 per thread per block and stage: 2 prologue stages and the
// loop's), and without it they are 16-byte loads.
// COPY-LABEL: llvm.func @gemm
// COPY-COUNT-24: nvvm.cp.async.shared.global {{.*}}, 16, cache = cg
// COPY-NOT: nvvm.cp.async.shared.global

// LOAD-LABEL: llvm.func @gemm
// LOAD-COUNT-8: llvm.load {{.*}} {alignment = 16 : i64} : !llvm.ptr<1> -> vector<16xi8>
// LOAD-NOT: llvm.load {{.*}} : !llvm.ptr<1>
func.func @gemm(%a: !tile.ptr<f8E4M3FN> {tile.divisibility = 16 : i64},
                %b: !tile.ptr<f8E4M3FN> {tile.divisibility = 16 : i64},
                %c: !tile.ptr<f32> {tile.divisibility = 16 : i64},
                %m: i32 {tile.divisibility = 16 : i64},
                %n: i32 {tile.divisibility = 16 : i64},
                %k: i32 {tile.divisibility = 16 : i64}) {
  %c0 = arith.constant 0 : i32
  %c1 = arith.constant 1 : i32
  %c64 = arith.constant 64 : i32
  %c128 = arith.constant 128 : i32
  %aDesc = tile.make_tensor_descriptor %a, shape [%m, %k], strides [%k, %c1]
      : !tile.ptr<f8E4M3FN> -> !tile.tensordesc<tensor<64x128xf8E4M3FN>>
  %bDesc = tile.make_tensor_descriptor %b, shape [%n, %k], strides [%k, %c1]
      : !tile.ptr<f8E4M3FN> -> !tile.tensordesc<tensor<64x128xf8E4M3FN>>
  %pid0 = tile.program_id 0 : i32
  %row = arith.muli %pid0, %c64 : i32
  %pid1 = tile.program_id 1 : i32
  %col = arith.muli %pid1, %c64 : i32
  %steps = arith.divsi %k, %c128 : i32
  %zero = arith.constant dense<0.0> : tensor<64x64xf32>
  %acc = scf.for %i = %c0 to %steps step %c1 iter_args(%sum = %zero) -> (tensor<64x64xf32>) : i32 {
    %kOffset = arith.muli %i, %c128 : i32
    %av = tile.descriptor_load %aDesc[%row, %kOffset]
        : !tile.tensordesc<tensor<64x128xf8E4M3FN>> -> tensor<64x128xf8E4M3FN>
    %bBlock = tile.descriptor_load %bDesc[%col, %kOffset]
        : !tile.tensordesc<tensor<64x128xf8E4M3FN>> -> tensor<64x128xf8E4M3FN>
    %bv = tile.transpose %bBlock : tensor<64x128xf8E4M3FN> -> tensor<128x64xf8E4M3FN>
    %next = tile.dot %av, %bv, %sum : tensor<64x128xf8E4M3FN>, tensor<128x64xf8E4M3FN> -> tensor<64x64xf32>
    scf.yield %next : tensor<64x64xf32>
  } {tile.num_stages = 3 : i32}
  %cPtrs = tile.splat %c : !tile.ptr<f32> -> tensor<64x64x!tile.ptr<f32>>
  tile.store %cPtrs, %acc : tensor<64x64x!tile.ptr<f32>>, tensor<64x64xf32>
  return
}
