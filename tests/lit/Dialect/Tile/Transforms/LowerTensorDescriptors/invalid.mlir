// RUN: tessel-opt %s -split-input-file -verify-diagnostics --tile-lower-tensor-descriptors
// A load the pass cannot lower is reported, with what is missing.

func.func @descriptor_argument(%d: !tile.tensordesc<tensor<64xf16>>, %i: i32) {
  // expected-error @+1 {{reads a descriptor that no tile.make_tensor_descriptor of this function makes: its base, shape and strides are unknown}}
  %v = tile.descriptor_load %d[%i] : !tile.tensordesc<tensor<64xf16>> -> tensor<64xf16>
  return
}

// -----

func.func @block_not_power_of_two(%a: !tile.ptr<f16>, %n: i32, %i: i32) {
  %c1 = arith.constant 1 : i32
  %d = tile.make_tensor_descriptor %a, shape [%n], strides [%c1]
      : !tile.ptr<f16> -> !tile.tensordesc<tensor<48xf16>>
  // expected-error @+1 {{has a block dimension of 48, not a power of two as tile.make_range needs}}
  %v = tile.descriptor_load %d[%i] : !tile.tensordesc<tensor<48xf16>> -> tensor<48xf16>
  return
}
