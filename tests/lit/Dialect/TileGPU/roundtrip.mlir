// RUN: tessel-opt %s | tessel-opt | FileCheck %s
// Every tilegpu op and layout prints in a form that parses back to itself.

#blocked = #tilegpu.blocked<sizePerThread = [1, 16], threadsPerWarp = [4, 8], warpsPerCTA = [4, 1], order = [1, 0]>
#mma = #tilegpu.mma<warpsPerCTA = [4, 1]>
#rows = #tilegpu.slice<dim = 1, parent = #mma>

// CHECK-DAG: #[[BLOCKED:.+]] = #tilegpu.blocked<sizePerThread = [1, 16], threadsPerWarp = [4, 8], warpsPerCTA = [4, 1], order = [1, 0]>
// CHECK-DAG: #[[MMA:.+]] = #tilegpu.mma<warpsPerCTA = [4, 1]>
// CHECK-DAG: #[[ROWS:.+]] = #tilegpu.slice<dim = 1, parent = #[[MMA]]>
// CHECK-LABEL: func.func @every_op
func.func @every_op(%ptrs: tensor<64x128x!tile.ptr<f8E4M3FN>, #blocked>,
                    %mask: tensor<64x128xi1, #blocked>,
                    %scales: tensor<64x!tile.ptr<f32>, #rows>, %scaleMask: tensor<64xi1, #rows>,
                    %scalar: !tile.ptr<f32>, %pred: i1, %offset: i32,
                    %acc: tensor<64x64xf32, #mma>,
                    %desc: !tile.tensordesc<tensor<64x128xf8E4M3FN>>) -> tensor<64x64xf32, #blocked> {
  // CHECK: tilegpu.async_copy %{{.*}} mask %{{.*}} to %{{.*}} {kDim = 1 : i32, pitch = 128 : i64} : tensor<64x128x!tile.ptr<f8E4M3FN>, #[[BLOCKED]]>, tensor<64x128xi1, #[[BLOCKED]]>
  tilegpu.async_copy %ptrs mask %mask to %offset {kDim = 1 : i32, pitch = 128 : i64} : tensor<64x128x!tile.ptr<f8E4M3FN>, #blocked>, tensor<64x128xi1, #blocked>
  // CHECK: tilegpu.async_copy %{{.*}} to %{{.*}} {kDim = 1 : i32, pitch = 128 : i64} : tensor<64x128x!tile.ptr<f8E4M3FN>, #[[BLOCKED]]>
  tilegpu.async_copy %ptrs to %offset {kDim = 1 : i32, pitch = 128 : i64} : tensor<64x128x!tile.ptr<f8E4M3FN>, #blocked>
  // CHECK: tilegpu.async_stage %{{.*}} mask %{{.*}} to %{{.*}} : tensor<64x!tile.ptr<f32>, #[[ROWS]]>, tensor<64xi1, #[[ROWS]]>
  tilegpu.async_stage %scales mask %scaleMask to %offset : tensor<64x!tile.ptr<f32>, #rows>, tensor<64xi1, #rows>
  // CHECK: tilegpu.async_stage %{{.*}} mask %{{.*}} to %{{.*}} : !tile.ptr<f32>, i1
  tilegpu.async_stage %scalar mask %pred to %offset : !tile.ptr<f32>, i1
  // CHECK: tilegpu.async_commit
  tilegpu.async_commit
  // CHECK: tilegpu.async_wait 1
  tilegpu.async_wait 1
  // CHECK: tilegpu.load_staged %{{.*}} : tensor<64xf32, #[[ROWS]]>
  %rowScales = tilegpu.load_staged %offset : tensor<64xf32, #rows>
  // CHECK: tilegpu.load_staged %{{.*}} : f32
  %one = tilegpu.load_staged %offset : f32
  // CHECK: tilegpu.dot_shared %{{.*}}, %{{.*}}, %{{.*}} {aType = f8E4M3FN, bType = f8E5M2, k = 96 : i64, kBegin = 32 : i64, pitch = 128 : i64} : tensor<64x64xf32, #[[MMA]]>
  %dot = tilegpu.dot_shared %acc, %offset, %offset {aType = f8E4M3FN, bType = f8E5M2, k = 96 : i64, kBegin = 32 : i64, pitch = 128 : i64} : tensor<64x64xf32, #mma>
  // CHECK: tilegpu.mbarrier_init %{{.*}} {barriers = 4 : i32, count = 8 : i32}
  tilegpu.mbarrier_init %offset {barriers = 4 : i32, count = 8 : i32}
  // CHECK: tilegpu.mbarrier_expect_tx %{{.*}}, %{{.*}} {bytes = 8192 : i32}
  tilegpu.mbarrier_expect_tx %offset, %pred {bytes = 8192 : i32}
  // CHECK: tilegpu.tma_load %{{.*}}[%{{.*}}, %{{.*}}] to %{{.*}}, barrier %{{.*}}, %{{.*}} : <tensor<64x128xf8E4M3FN>>
  tilegpu.tma_load %desc[%offset, %offset] to %offset, barrier %offset, %pred : !tile.tensordesc<tensor<64x128xf8E4M3FN>>
  // CHECK: tilegpu.mbarrier_wait %{{.*}}, %{{.*}}
  tilegpu.mbarrier_wait %offset, %offset
  // CHECK: tilegpu.mbarrier_arrive %{{.*}}
  tilegpu.mbarrier_arrive %offset
  // CHECK: tilegpu.mbarrier_inval %{{.*}} {barriers = 4 : i32}
  tilegpu.mbarrier_inval %offset {barriers = 4 : i32}
  // CHECK: tilegpu.thread_id : i32
  %tid = tilegpu.thread_id : i32
  // CHECK: tilegpu.set_max_registers 40{{$}}
  tilegpu.set_max_registers 40
  // CHECK: tilegpu.set_max_registers 232 increase
  tilegpu.set_max_registers 232 increase
  // CHECK: tilegpu.convert_layout %{{.*}} : tensor<64x64xf32, #[[MMA]]> -> tensor<64x64xf32, #[[BLOCKED]]>
  %out = tilegpu.convert_layout %dot : tensor<64x64xf32, #mma> -> tensor<64x64xf32, #blocked>
  return %out : tensor<64x64xf32, #blocked>
}
