// RUN: tessel-opt %s -split-input-file -verify-diagnostics
// Pins every verifier message of the tile dialect.

func.func @range_not_power_of_two() {
  // expected-error @+1 {{length 100 is not a power of two}}
  %r = tile.make_range {start = 0 : i32, end = 100 : i32} : tensor<100xi32>
  return
}

// -----

func.func @range_wrong_type() {
  // expected-error @+1 {{result must be tensor<64xi32>}}
  %r = tile.make_range {start = 0 : i32, end = 64 : i32} : tensor<128xi32>
  return
}

// -----

func.func @broadcast_bad_shape(%a: tensor<2x128xf32>) {
  // expected-error @+1 {{cannot broadcast shape [2,128] to [4,128]}}
  %b = tile.broadcast %a : tensor<2x128xf32> -> tensor<4x128xf32>
  return
}

// -----

func.func @expand_dims_bad_axis(%a: tensor<128xf32>) {
  // expected-error @+1 {{axis 2 out of range for rank 1}}
  %b = tile.expand_dims %a {axis = 2 : i32} : tensor<128xf32> -> tensor<128x1xf32>
  return
}

// -----

func.func @addptr_shape(%p: tensor<128x!tile.ptr<f32>>, %o: tensor<64xi32>) {
  // expected-error @+1 {{pointer shape [128] differs from offset shape [64]}}
  %q = tile.addptr %p, %o : tensor<128x!tile.ptr<f32>>, tensor<64xi32>
  return
}

// -----

func.func @store_wrong_dtype(%p: tensor<128x!tile.ptr<f8E4M3FN>>, %v: tensor<128xf32>) {
  // expected-error @+1 {{stored element type 'f32' differs from pointee type 'f8E4M3FN'}}
  tile.store %p, %v : tensor<128x!tile.ptr<f8E4M3FN>>, tensor<128xf32>
  return
}

// -----

func.func @load_mask_shape(%p: tensor<128x!tile.ptr<f32>>, %m: tensor<64xi1>) {
  // expected-error @+1 {{mask shape [64] differs from result shape [128]}}
  %v = tile.load %p mask %m : tensor<128x!tile.ptr<f32>>, tensor<64xi1> -> tensor<128xf32>
  return
}

// -----

func.func @reduce_bad_axis(%a: tensor<4x128xf32>) {
  // expected-error @+1 {{axis 2 out of range for operand of shape [4,128]}}
  %r = tile.reduce sum, %a {axis = 2 : i32} : tensor<4x128xf32> -> tensor<4xf32>
  return
}

// -----

func.func @fptrunc_not_narrower(%a: tensor<4xf16>) {
  // expected-error @+1 {{result type 'f16' is not narrower than 'f16'}}
  %r = tile.fptrunc_sat %a : tensor<4xf16> -> tensor<4xf16>
  return
}

// -----

func.func @dot_inner_mismatch(%a: tensor<32x64xbf16>, %b: tensor<32x32xbf16>, %c: tensor<32x32xf32>) {
  // expected-error @+1 {{a is [32,64] and b is [32,32]: a's columns must equal b's rows}}
  %r = tile.dot %a, %b, %c : tensor<32x64xbf16>, tensor<32x32xbf16> -> tensor<32x32xf32>
  return
}

// -----

func.func @dot_mixed_widths(%a: tensor<32x32xf8E4M3FN>, %b: tensor<32x32xbf16>, %c: tensor<32x32xf32>) {
  // expected-error @+1 {{operands are f8E4M3FN and bf16; dot takes fp8 x fp8 (e4m3/e5m2), bf16 x bf16 or f16 x f16}}
  %r = tile.dot %a, %b, %c : tensor<32x32xf8E4M3FN>, tensor<32x32xbf16> -> tensor<32x32xf32>
  return
}

// -----

func.func @dot_fp8_k_too_small(%a: tensor<16x16xf8E4M3FN>, %b: tensor<16x16xf8E5M2>, %c: tensor<16x16xf32>) {
  // expected-error @+1 {{K at least 32}}
  %r = tile.dot %a, %b, %c : tensor<16x16xf8E4M3FN>, tensor<16x16xf8E5M2> -> tensor<16x16xf32>
  return
}

// -----

func.func @dot_acc_not_f32(%a: tensor<16x16xf16>, %b: tensor<16x16xf16>, %c: tensor<16x16xf16>) {
  // expected-error @+1 {{the accumulator must be f32}}
  %r = tile.dot %a, %b, %c : tensor<16x16xf16>, tensor<16x16xf16> -> tensor<16x16xf16>
  return
}

// -----

// expected-error @+1 {{a descriptor's block type has no layout, got 'tensor<64xf32, "blocked">'}}
func.func @descriptor_block_with_layout(%d: !tile.tensordesc<tensor<64xf32, "blocked">>) {
  return
}

// -----

// expected-error @+1 {{a descriptor's block has rank 1 to 5, got 0}}
func.func @descriptor_block_rank_0(%d: !tile.tensordesc<tensor<f32>>) {
  return
}

// -----

// expected-error @+1 {{a descriptor's block has rank 1 to 5, got 6}}
func.func @descriptor_block_rank_6(%d: !tile.tensordesc<tensor<2x2x2x2x2x2xf32>>) {
  return
}

// -----

// expected-error @+1 {{a descriptor's elements are numbers, got 'i1'}}
func.func @descriptor_of_masks(%d: !tile.tensordesc<tensor<64xi1>>) {
  return
}

// -----

// expected-error @+1 {{a descriptor's elements are numbers, got '!tile.ptr<f32>'}}
func.func @descriptor_of_pointers(%d: !tile.tensordesc<tensor<64x!tile.ptr<f32>>>) {
  return
}

// -----

func.func @make_descriptor_too_few_shape_values(%a: !tile.ptr<f32>, %n: i32) {
  // expected-error @+1 {{needs 2 shape and 2 stride values for a block of rank 2, got 1 and 2}}
  %d = tile.make_tensor_descriptor %a, shape [%n], strides [%n, %n] : !tile.ptr<f32> -> !tile.tensordesc<tensor<16x16xf32>>
  return
}

// -----

func.func @make_descriptor_too_many_strides(%a: !tile.ptr<f32>, %n: i32) {
  // expected-error @+1 {{needs 1 shape and 1 stride values for a block of rank 1, got 1 and 2}}
  %d = tile.make_tensor_descriptor %a, shape [%n], strides [%n, %n] : !tile.ptr<f32> -> !tile.tensordesc<tensor<16xf32>>
  return
}

// -----

func.func @make_descriptor_pointee_mismatch(%a: !tile.ptr<f32>, %n: i32) {
  // expected-error @+1 {{base pointee type 'f32' differs from the block's element type 'bf16'}}
  %d = tile.make_tensor_descriptor %a, shape [%n], strides [%n] : !tile.ptr<f32> -> !tile.tensordesc<tensor<16xbf16>>
  return
}

// -----

func.func @descriptor_load_wrong_index_count(%d: !tile.tensordesc<tensor<16x16xf32>>, %i: i32) {
  // expected-error @+1 {{needs 2 indices, got 1}}
  %v = tile.descriptor_load %d[%i] : !tile.tensordesc<tensor<16x16xf32>> -> tensor<16x16xf32>
  return
}

// -----

func.func @descriptor_load_wrong_shape(%d: !tile.tensordesc<tensor<16x16xf32>>, %i: i32) {
  // expected-error @+1 {{result type 'tensor<16x32xf32>' differs from the descriptor's block 'tensor<16x16xf32>'}}
  %v = tile.descriptor_load %d[%i, %i] : !tile.tensordesc<tensor<16x16xf32>> -> tensor<16x32xf32>
  return
}

// -----

func.func @descriptor_load_wrong_element_type(%d: !tile.tensordesc<tensor<16x16xf32>>, %i: i32) {
  // expected-error @+1 {{result type 'tensor<16x16xbf16>' differs from the descriptor's block 'tensor<16x16xf32>'}}
  %v = tile.descriptor_load %d[%i, %i] : !tile.tensordesc<tensor<16x16xf32>> -> tensor<16x16xbf16>
  return
}

// -----

func.func @transpose_not_2d(%a: tensor<128xf32>) {
  // expected-error @+1 {{transposes 2-D tiles, got shape [128]}}
  %t = tile.transpose %a : tensor<128xf32> -> tensor<128xf32>
  return
}

// -----

func.func @transpose_result_not_reversed(%a: tensor<64x32xf32>) {
  // expected-error @+1 {{result shape [64,32] should be the operand's [64,32] reversed}}
  %t = tile.transpose %a : tensor<64x32xf32> -> tensor<64x32xf32>
  return
}
