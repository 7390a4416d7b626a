// RUN: tessel-opt %s | tessel-opt | FileCheck %s
// Every tile op survives print -> parse -> print.

// CHECK-LABEL: func @ops
func.func @ops(%x: !tile.ptr<bf16>, %y: !tile.ptr<f8E4M3FN>, %m: i32) {
  // CHECK: tile.program_id 0 : i32
  %pid = tile.program_id 0 : i32
  // CHECK: tile.num_programs 1 : i32
  %n = tile.num_programs 1 : i32
  // CHECK: tile.make_range {end = 128 : i32, start = 0 : i32} : tensor<128xi32>
  %r = tile.make_range {start = 0 : i32, end = 128 : i32} : tensor<128xi32>
  // CHECK: tile.splat %{{.*}} : i32 -> tensor<128xi32>
  %ms = tile.splat %m : i32 -> tensor<128xi32>
  %mask = arith.cmpi slt, %r, %ms : tensor<128xi32>
  // CHECK: tile.expand_dims %{{.*}} {axis = 0 : i32} : tensor<128xi32> -> tensor<1x128xi32>
  %row = tile.expand_dims %r {axis = 0 : i32} : tensor<128xi32> -> tensor<1x128xi32>
  // CHECK: tile.broadcast %{{.*}} : tensor<1x128xi32> -> tensor<4x128xi32>
  %b = tile.broadcast %row : tensor<1x128xi32> -> tensor<4x128xi32>
  %xs = tile.splat %x : !tile.ptr<bf16> -> tensor<128x!tile.ptr<bf16>>
  // CHECK: tile.addptr %{{.*}}, %{{.*}} : tensor<128x!tile.ptr<bf16>>, tensor<128xi32>
  %p = tile.addptr %xs, %r : tensor<128x!tile.ptr<bf16>>, tensor<128xi32>
  %zero = arith.constant dense<0.0> : tensor<128xbf16>
  // CHECK: tile.load %{{.*}} mask %{{.*}} other %{{.*}} : tensor<128x!tile.ptr<bf16>>, tensor<128xi1>, tensor<128xbf16> -> tensor<128xbf16>
  %v = tile.load %p mask %mask other %zero : tensor<128x!tile.ptr<bf16>>, tensor<128xi1>, tensor<128xbf16> -> tensor<128xbf16>
  %f = arith.extf %v : tensor<128xbf16> to tensor<128xf32>
  // CHECK: tile.reduce max, %{{.*}} {axis = 0 : i32} : tensor<128xf32> -> f32
  %amax = tile.reduce max, %f {axis = 0 : i32} : tensor<128xf32> -> f32
  // CHECK: tile.fptrunc_sat %{{.*}} : tensor<128xf32> -> tensor<128xf8E4M3FN>
  %q = tile.fptrunc_sat %f : tensor<128xf32> -> tensor<128xf8E4M3FN>
  %ys = tile.splat %y : !tile.ptr<f8E4M3FN> -> tensor<128x!tile.ptr<f8E4M3FN>>
  %yp = tile.addptr %ys, %r : tensor<128x!tile.ptr<f8E4M3FN>>, tensor<128xi32>
  // CHECK: tile.store %{{.*}}, %{{.*}} mask %{{.*}} : tensor<128x!tile.ptr<f8E4M3FN>>, tensor<128xf8E4M3FN>, tensor<128xi1>
  tile.store %yp, %q mask %mask : tensor<128x!tile.ptr<f8E4M3FN>>, tensor<128xf8E4M3FN>, tensor<128xi1>
  return
}

// CHECK-LABEL: func.func @dot
func.func @dot(%a: tensor<64x128xf8E4M3FN>, %b: tensor<128x32xf8E5M2>, %c: tensor<64x32xf32>,
               %x: tensor<16x16xbf16>, %y: tensor<16x16xbf16>, %z: tensor<16x16xf32>) -> (tensor<64x32xf32>, tensor<16x16xf32>) {
  // CHECK: tile.dot %{{.*}}, %{{.*}}, %{{.*}} : tensor<64x128xf8E4M3FN>, tensor<128x32xf8E5M2> -> tensor<64x32xf32>
  %r = tile.dot %a, %b, %c : tensor<64x128xf8E4M3FN>, tensor<128x32xf8E5M2> -> tensor<64x32xf32>
  // CHECK: tile.dot %{{.*}}, %{{.*}}, %{{.*}} : tensor<16x16xbf16>, tensor<16x16xbf16> -> tensor<16x16xf32>
  %s = tile.dot %x, %y, %z : tensor<16x16xbf16>, tensor<16x16xbf16> -> tensor<16x16xf32>
  return %r, %s : tensor<64x32xf32>, tensor<16x16xf32>
}

// The dialect may print its own types without the !tile prefix.
// CHECK-LABEL: func.func @tensor_descriptor
func.func @tensor_descriptor(%a: !tile.ptr<f8E4M3FN>, %m: i32, %k: i32, %row: i32, %col: i32) -> tensor<128x64xf8E4M3FN> {
  %one = arith.constant 1 : i32
  // CHECK: tile.make_tensor_descriptor %{{.*}}, shape [%{{.*}}, %{{.*}}], strides [%{{.*}}, %{{.*}}] : {{(!tile.ptr)?}}<f8E4M3FN> -> {{(!tile.tensordesc)?}}<tensor<64x128xf8E4M3FN>>
  %d = tile.make_tensor_descriptor %a, shape [%m, %k], strides [%k, %one] : !tile.ptr<f8E4M3FN> -> !tile.tensordesc<tensor<64x128xf8E4M3FN>>
  // CHECK: tile.descriptor_load %{{.*}}[%{{.*}}, %{{.*}}] : {{(!tile.tensordesc)?}}<tensor<64x128xf8E4M3FN>> -> tensor<64x128xf8E4M3FN>
  %v = tile.descriptor_load %d[%row, %col] : !tile.tensordesc<tensor<64x128xf8E4M3FN>> -> tensor<64x128xf8E4M3FN>
  // CHECK: tile.transpose %{{.*}} : tensor<64x128xf8E4M3FN> -> tensor<128x64xf8E4M3FN>
  %t = tile.transpose %v : tensor<64x128xf8E4M3FN> -> tensor<128x64xf8E4M3FN>
  return %t : tensor<128x64xf8E4M3FN>
}

// CHECK-LABEL: func.func @descriptor_types
// CHECK-SAME: !tile.tensordesc<tensor<256xbf16>>
// CHECK-SAME: !tile.tensordesc<tensor<2x4x8x16x32xf32>>
func.func @descriptor_types(%d1: !tile.tensordesc<tensor<256xbf16>>, %d5: !tile.tensordesc<tensor<2x4x8x16x32xf32>>, %i: i32) -> (tensor<256xbf16>, tensor<2x4x8x16x32xf32>) {
  // CHECK: tile.descriptor_load %{{.*}}[%{{.*}}] : {{(!tile.tensordesc)?}}<tensor<256xbf16>> -> tensor<256xbf16>
  %v1 = tile.descriptor_load %d1[%i] : !tile.tensordesc<tensor<256xbf16>> -> tensor<256xbf16>
  // CHECK: tile.descriptor_load %{{.*}}[%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}] : {{(!tile.tensordesc)?}}<tensor<2x4x8x16x32xf32>> -> tensor<2x4x8x16x32xf32>
  %v5 = tile.descriptor_load %d5[%i, %i, %i, %i, %i] : !tile.tensordesc<tensor<2x4x8x16x32xf32>> -> tensor<2x4x8x16x32xf32>
  return %v1, %v5 : tensor<256xbf16>, tensor<2x4x8x16x32xf32>
}
