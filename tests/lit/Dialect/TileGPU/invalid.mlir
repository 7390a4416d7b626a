// RUN: tessel-opt %s -split-input-file -verify-diagnostics
// Pins every verifier message of the tilegpu layouts and ops.

// expected-error @+1 {{threadsPerWarp must multiply to 32, got 16}}
func.func @lanes_not_a_warp(%x: tensor<64xf32, #tilegpu.blocked<sizePerThread = [1], threadsPerWarp = [16], warpsPerCTA = [4], order = [0]>>) {
  return
}

// -----

// expected-error @+1 {{blocked layout extents must be powers of two}}
func.func @extent_not_power_of_two(%x: tensor<64xf32, #tilegpu.blocked<sizePerThread = [3], threadsPerWarp = [32], warpsPerCTA = [4], order = [0]>>) {
  return
}

// -----

// expected-error @+1 {{order must be a permutation of 0..1}}
func.func @order_not_a_permutation(%x: tensor<64x64xf32, #tilegpu.blocked<sizePerThread = [1, 1], threadsPerWarp = [4, 8], warpsPerCTA = [4, 1], order = [1, 1]>>) {
  return
}

// -----

// expected-error @+1 {{mma layout is 2-D: warpsPerCTA needs 2 entries}}
func.func @mma_not_2d(%x: tensor<64xf32, #tilegpu.mma<warpsPerCTA = [4]>>) {
  return
}

// -----

// expected-error @+1 {{mma warpsPerCTA must be powers of two}}
func.func @mma_warps_not_power_of_two(%x: tensor<64x64xf32, #tilegpu.mma<warpsPerCTA = [3, 1]>>) {
  return
}

// -----

// expected-error @+1 {{slice dim 2 out of range for parent of rank 2}}
func.func @slice_dim_out_of_range(%x: tensor<64xf32, #tilegpu.slice<dim = 2, parent = #tilegpu.mma<warpsPerCTA = [4, 1]>>>) {
  return
}

// -----

// expected-error @+1 {{blocked layout needs sizePerThread, threadsPerWarp, warpsPerCTA and order of one rank}}
func.func @ranks_differ(%x: tensor<64x64xf32, #tilegpu.blocked<sizePerThread = [1, 1], threadsPerWarp = [32], warpsPerCTA = [4, 1], order = [1, 0]>>) {
  return
}

// -----

// expected-error @+1 {{slice parent must be a tilegpu layout}}
func.func @slice_of_no_layout(%x: tensor<64xf32, #tilegpu.slice<dim = 0, parent = 1 : i32>>) {
  return
}

// -----

func.func @too_few_registers() {
  // expected-error @+1 {{registers must be a multiple of 8 in [24, 256], got 20}}
  tilegpu.set_max_registers 20
  return
}

// -----

func.func @registers_off_the_granule() {
  // expected-error @+1 {{registers must be a multiple of 8 in [24, 256], got 100}}
  tilegpu.set_max_registers 100 increase
  return
}
