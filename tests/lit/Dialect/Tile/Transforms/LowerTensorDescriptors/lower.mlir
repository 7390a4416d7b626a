// RUN: tessel-opt %s -split-input-file --tile-lower-tensor-descriptors | FileCheck %s

// A 64x128 block of an fp8 tensor [m, k] with strides [k, 1], at (row, col):
// per dimension, the line index + [0, extent), its offsets and its bounds
// 0 <= line < shape, expanded along its axis and broadcast; the offsets
// summed onto the base in i32; zero where the mask is off. The stride 1 is
// not multiplied (the alignment analysis would lose the row's run), and the
// descriptor, left without uses, is erased.
// CHECK-LABEL: func.func @block
// CHECK-SAME: (%[[A:[^:]*]]: !tile.ptr<f8E4M3FN> {{[^,]*}}, %[[M:[^:]*]]: i32 {{[^,]*}}, %[[K:[^:]*]]: i32 {{[^,]*}}, %[[ROW:[^:]*]]: i32, %[[COL:[^:]*]]: i32
// CHECK-NOT: tile.make_tensor_descriptor
// CHECK: %[[ZERO:.*]] = arith.constant 0 : i32
// CHECK: %[[R0:.*]] = tile.make_range {end = 64 : i32, start = 0 : i32} : tensor<64xi32>
// CHECK: %[[ROWS:.*]] = tile.splat %[[ROW]] : i32 -> tensor<64xi32>
// CHECK: %[[L0:.*]] = arith.addi %[[ROWS]], %[[R0]] : tensor<64xi32>
// CHECK: %[[Z0:.*]] = tile.splat %[[ZERO]] : i32 -> tensor<64xi32>
// CHECK: %[[GE0:.*]] = arith.cmpi sge, %[[L0]], %[[Z0]] : tensor<64xi32>
// CHECK: %[[M0:.*]] = tile.splat %[[M]] : i32 -> tensor<64xi32>
// CHECK: %[[LT0:.*]] = arith.cmpi slt, %[[L0]], %[[M0]] : tensor<64xi32>
// CHECK: %[[IN0:.*]] = arith.andi %[[GE0]], %[[LT0]] : tensor<64xi1>
// CHECK: %[[S0:.*]] = tile.splat %[[K]] : i32 -> tensor<64xi32>
// CHECK: %[[O0:.*]] = arith.muli %[[L0]], %[[S0]] : tensor<64xi32>
// CHECK: %[[O0E:.*]] = tile.expand_dims %[[O0]] {axis = 1 : i32} : tensor<64xi32> -> tensor<64x1xi32>
// CHECK: %[[O0B:.*]] = tile.broadcast %[[O0E]] : tensor<64x1xi32> -> tensor<64x128xi32>
// CHECK: %[[IN0E:.*]] = tile.expand_dims %[[IN0]] {axis = 1 : i32} : tensor<64xi1> -> tensor<64x1xi1>
// CHECK: %[[IN0B:.*]] = tile.broadcast %[[IN0E]] : tensor<64x1xi1> -> tensor<64x128xi1>
// CHECK: %[[R1:.*]] = tile.make_range {end = 128 : i32, start = 0 : i32} : tensor<128xi32>
// CHECK: %[[COLS:.*]] = tile.splat %[[COL]] : i32 -> tensor<128xi32>
// CHECK: %[[L1:.*]] = arith.addi %[[COLS]], %[[R1]] : tensor<128xi32>
// CHECK: %[[Z1:.*]] = tile.splat %[[ZERO]] : i32 -> tensor<128xi32>
// CHECK: %[[GE1:.*]] = arith.cmpi sge, %[[L1]], %[[Z1]] : tensor<128xi32>
// CHECK: %[[K1:.*]] = tile.splat %[[K]] : i32 -> tensor<128xi32>
// CHECK: %[[LT1:.*]] = arith.cmpi slt, %[[L1]], %[[K1]] : tensor<128xi32>
// CHECK: %[[IN1:.*]] = arith.andi %[[GE1]], %[[LT1]] : tensor<128xi1>
// CHECK-NOT: arith.muli
// CHECK: %[[O1E:.*]] = tile.expand_dims %[[L1]] {axis = 0 : i32} : tensor<128xi32> -> tensor<1x128xi32>
// CHECK: %[[O1B:.*]] = tile.broadcast %[[O1E]] : tensor<1x128xi32> -> tensor<64x128xi32>
// CHECK: %[[IN1E:.*]] = tile.expand_dims %[[IN1]] {axis = 0 : i32} : tensor<128xi1> -> tensor<1x128xi1>
// CHECK: %[[IN1B:.*]] = tile.broadcast %[[IN1E]] : tensor<1x128xi1> -> tensor<64x128xi1>
// CHECK: %[[OFFS:.*]] = arith.addi %[[O0B]], %[[O1B]] : tensor<64x128xi32>
// CHECK: %[[MASK:.*]] = arith.andi %[[IN0B]], %[[IN1B]] : tensor<64x128xi1>
// CHECK: %[[BASE:.*]] = tile.splat %[[A]] : !tile.ptr<f8E4M3FN> -> tensor<64x128x!tile.ptr<f8E4M3FN>>
// CHECK: %[[PTRS:.*]] = tile.addptr %[[BASE]], %[[OFFS]] : tensor<64x128x!tile.ptr<f8E4M3FN>>, tensor<64x128xi32>
// CHECK: %[[F32ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[FP8ZERO:.*]] = tile.fptrunc_sat %[[F32ZERO]] : f32 -> f8E4M3FN
// CHECK: %[[OTHER:.*]] = tile.splat %[[FP8ZERO]] : f8E4M3FN -> tensor<64x128xf8E4M3FN>
// CHECK: %[[V:.*]] = tile.load %[[PTRS]] mask %[[MASK]] other %[[OTHER]] : tensor<64x128x!tile.ptr<f8E4M3FN>>, tensor<64x128xi1>, tensor<64x128xf8E4M3FN> -> tensor<64x128xf8E4M3FN>
// CHECK-NOT: tile.descriptor_load
// CHECK: tile.store %{{.*}}, %[[V]]
func.func @block(%a: !tile.ptr<f8E4M3FN> {tile.divisibility = 16 : i64},
                 %m: i32 {tile.divisibility = 16 : i64}, %k: i32 {tile.divisibility = 16 : i64},
                 %row: i32, %col: i32, %out: !tile.ptr<f8E4M3FN>) {
  %c1 = arith.constant 1 : i32
  %d = tile.make_tensor_descriptor %a, shape [%m, %k], strides [%k, %c1]
      : !tile.ptr<f8E4M3FN> -> !tile.tensordesc<tensor<64x128xf8E4M3FN>>
  %v = tile.descriptor_load %d[%row, %col]
      : !tile.tensordesc<tensor<64x128xf8E4M3FN>> -> tensor<64x128xf8E4M3FN>
  %p = tile.splat %out : !tile.ptr<f8E4M3FN> -> tensor<64x128x!tile.ptr<f8E4M3FN>>
  tile.store %p, %v : tensor<64x128x!tile.ptr<f8E4M3FN>>, tensor<64x128xf8E4M3FN>
  return
}

// -----

// The transpose of a 32x64 bf16 block is one load of the transposed block:
// element (i, j) is the tensor's (row + j, col + i), so dimension 0's line
// runs along axis 1 of the result and dimension 1's, contiguous in memory,
// along axis 0. Both strides are arguments: both are multiplied.
// CHECK-LABEL: func.func @transposed
// CHECK-SAME: (%[[A:[^:]*]]: !tile.ptr<bf16>, %[[M:[^:]*]]: i32, %[[N:[^:]*]]: i32, %[[S0:[^:]*]]: i32, %[[S1:[^:]*]]: i32, %[[ROW:[^:]*]]: i32, %[[COL:[^:]*]]: i32
// CHECK: %[[R0:.*]] = tile.make_range {end = 32 : i32, start = 0 : i32} : tensor<32xi32>
// CHECK: %[[ROWS:.*]] = tile.splat %[[ROW]] : i32 -> tensor<32xi32>
// CHECK: %[[L0:.*]] = arith.addi %[[ROWS]], %[[R0]] : tensor<32xi32>
// CHECK: tile.splat %[[M]] : i32 -> tensor<32xi32>
// CHECK: %[[STRIDE0:.*]] = tile.splat %[[S0]] : i32 -> tensor<32xi32>
// CHECK: %[[O0:.*]] = arith.muli %[[L0]], %[[STRIDE0]] : tensor<32xi32>
// CHECK: tile.expand_dims %[[O0]] {axis = 0 : i32} : tensor<32xi32> -> tensor<1x32xi32>
// CHECK: tile.broadcast %{{.*}} : tensor<1x32xi32> -> tensor<64x32xi32>
// CHECK: tile.broadcast %{{.*}} : tensor<1x32xi1> -> tensor<64x32xi1>
// CHECK: %[[R1:.*]] = tile.make_range {end = 64 : i32, start = 0 : i32} : tensor<64xi32>
// CHECK: %[[COLS:.*]] = tile.splat %[[COL]] : i32 -> tensor<64xi32>
// CHECK: %[[L1:.*]] = arith.addi %[[COLS]], %[[R1]] : tensor<64xi32>
// CHECK: tile.splat %[[N]] : i32 -> tensor<64xi32>
// CHECK: %[[STRIDE1:.*]] = tile.splat %[[S1]] : i32 -> tensor<64xi32>
// CHECK: %[[O1:.*]] = arith.muli %[[L1]], %[[STRIDE1]] : tensor<64xi32>
// CHECK: tile.expand_dims %[[O1]] {axis = 1 : i32} : tensor<64xi32> -> tensor<64x1xi32>
// CHECK: tile.broadcast %{{.*}} : tensor<64x1xi32> -> tensor<64x32xi32>
// CHECK: tile.broadcast %{{.*}} : tensor<64x1xi1> -> tensor<64x32xi1>
// CHECK: tile.addptr %{{.*}}, %{{.*}} : tensor<64x32x!tile.ptr<bf16>>, tensor<64x32xi32>
// CHECK: %[[BF16ZERO:.*]] = arith.constant 0.000000e+00 : bf16
// CHECK: %[[OTHER:.*]] = tile.splat %[[BF16ZERO]] : bf16 -> tensor<64x32xbf16>
// CHECK: %[[V:.*]] = tile.load %{{.*}} mask %{{.*}} other %[[OTHER]] : tensor<64x32x!tile.ptr<bf16>>, tensor<64x32xi1>, tensor<64x32xbf16> -> tensor<64x32xbf16>
// CHECK-NOT: tile.transpose
// CHECK-NOT: tile.descriptor_load
// CHECK: tile.store %{{.*}}, %[[V]]
func.func @transposed(%a: !tile.ptr<bf16>, %m: i32, %n: i32, %s0: i32, %s1: i32,
                      %row: i32, %col: i32, %out: !tile.ptr<bf16>) {
  %d = tile.make_tensor_descriptor %a, shape [%m, %n], strides [%s0, %s1]
      : !tile.ptr<bf16> -> !tile.tensordesc<tensor<32x64xbf16>>
  %v = tile.descriptor_load %d[%row, %col]
      : !tile.tensordesc<tensor<32x64xbf16>> -> tensor<32x64xbf16>
  %t = tile.transpose %v : tensor<32x64xbf16> -> tensor<64x32xbf16>
  %p = tile.splat %out : !tile.ptr<bf16> -> tensor<64x32x!tile.ptr<bf16>>
  tile.store %p, %t : tensor<64x32x!tile.ptr<bf16>>, tensor<64x32xbf16>
  return
}

// -----

// A block used as loaded and transposed is loaded once, as is; the
// transpose stays. A transpose of a tile that no descriptor loads stays too.
// CHECK-LABEL: func.func @transpose_kept
// CHECK: %[[V:.*]] = tile.load {{.*}} -> tensor<32x64xbf16>
// CHECK-NOT: tile.load
// CHECK: tile.transpose %[[V]] : tensor<32x64xbf16> -> tensor<64x32xbf16>
// CHECK: tile.transpose %arg{{[0-9]+}} : tensor<16x32xbf16> -> tensor<32x16xbf16>
func.func @transpose_kept(%a: !tile.ptr<bf16>, %m: i32, %n: i32, %row: i32, %col: i32,
                          %out: !tile.ptr<bf16>, %tile: tensor<16x32xbf16>) {
  %c1 = arith.constant 1 : i32
  %d = tile.make_tensor_descriptor %a, shape [%m, %n], strides [%n, %c1]
      : !tile.ptr<bf16> -> !tile.tensordesc<tensor<32x64xbf16>>
  %v = tile.descriptor_load %d[%row, %col]
      : !tile.tensordesc<tensor<32x64xbf16>> -> tensor<32x64xbf16>
  %t = tile.transpose %v : tensor<32x64xbf16> -> tensor<64x32xbf16>
  %u = tile.transpose %tile : tensor<16x32xbf16> -> tensor<32x16xbf16>
  %p = tile.splat %out : !tile.ptr<bf16> -> tensor<32x64x!tile.ptr<bf16>>
  tile.store %p, %v : tensor<32x64x!tile.ptr<bf16>>, tensor<32x64xbf16>
  %q = tile.splat %out : !tile.ptr<bf16> -> tensor<64x32x!tile.ptr<bf16>>
  tile.store %q, %t : tensor<64x32x!tile.ptr<bf16>>, tensor<64x32xbf16>
  %r = tile.splat %out : !tile.ptr<bf16> -> tensor<32x16x!tile.ptr<bf16>>
  tile.store %r, %u : tensor<32x16x!tile.ptr<bf16>>, tensor<32x16xbf16>
  return
}

// -----

// A descriptor nothing loads is erased; so is the one whose loads were
// lowered, while the ops computing its operands stay.
// CHECK-LABEL: func.func @dead_descriptor
// CHECK-NOT: tile.make_tensor_descriptor
// CHECK: arith.addi %arg1, %arg1 : i32
// CHECK-NOT: tile.make_tensor_descriptor
// CHECK: return
func.func @dead_descriptor(%a: !tile.ptr<f16>, %m: i32) {
  %c1 = arith.constant 1 : i32
  %twice = arith.addi %m, %m : i32
  %d = tile.make_tensor_descriptor %a, shape [%twice], strides [%c1]
      : !tile.ptr<f16> -> !tile.tensordesc<tensor<128xf16>>
  return
}

// -----

// A 1-D block: no expansion, no broadcast. Integer elements read as 0.
// CHECK-LABEL: func.func @vector
// CHECK: %[[L:.*]] = arith.addi %{{.*}}, %{{.*}} : tensor<128xi32>
// CHECK-NOT: tile.expand_dims
// CHECK-NOT: tile.broadcast
// CHECK: %[[PTRS:.*]] = tile.addptr %{{.*}}, %[[L]] : tensor<128x!tile.ptr<i8>>, tensor<128xi32>
// CHECK: %[[ZERO:.*]] = arith.constant 0 : i8
// CHECK: %[[OTHER:.*]] = tile.splat %[[ZERO]] : i8 -> tensor<128xi8>
// CHECK: tile.load %[[PTRS]] mask %{{.*}} other %[[OTHER]] : tensor<128x!tile.ptr<i8>>, tensor<128xi1>, tensor<128xi8> -> tensor<128xi8>
func.func @vector(%a: !tile.ptr<i8>, %n: i32, %i: i32, %out: !tile.ptr<i8>) {
  %c1 = arith.constant 1 : i32
  %d = tile.make_tensor_descriptor %a, shape [%n], strides [%c1]
      : !tile.ptr<i8> -> !tile.tensordesc<tensor<128xi8>>
  %v = tile.descriptor_load %d[%i] : !tile.tensordesc<tensor<128xi8>> -> tensor<128xi8>
  %p = tile.splat %out : !tile.ptr<i8> -> tensor<128x!tile.ptr<i8>>
  tile.store %p, %v : tensor<128x!tile.ptr<i8>>, tensor<128xi8>
  return
}
