// Each program takes the maximum of 8 rows of 128 bf16 values.
func.func @rowmax(%x: !tile.ptr<bf16>, %out: !tile.ptr<f32>) {
  %rows = tile.make_range {start = 0 : i32, end = 8 : i32} : tensor<8xi32>
  %cols = tile.make_range {start = 0 : i32, end = 128 : i32} : tensor<128xi32>
  %pid = tile.program_id 0 : i32
  %c8 = arith.constant 8 : i32
  %base = arith.muli %pid, %c8 : i32
  %bases = tile.splat %base : i32 -> tensor<8xi32>
  %r = arith.addi %bases, %rows : tensor<8xi32>
  %r2 = tile.expand_dims %r {axis = 1 : i32} : tensor<8xi32> -> tensor<8x1xi32>
  %c2 = tile.expand_dims %cols {axis = 0 : i32} : tensor<128xi32> -> tensor<1x128xi32>
  %c128 = arith.constant dense<128> : tensor<8x1xi32>
  %rs = arith.muli %r2, %c128 : tensor<8x1xi32>
  %rb = tile.broadcast %rs : tensor<8x1xi32> -> tensor<8x128xi32>
  %cb = tile.broadcast %c2 : tensor<1x128xi32> -> tensor<8x128xi32>
  %offs = arith.addi %rb, %cb : tensor<8x128xi32>
  %xs = tile.splat %x : !tile.ptr<bf16> -> tensor<8x128x!tile.ptr<bf16>>
  %p = tile.addptr %xs, %offs : tensor<8x128x!tile.ptr<bf16>>, tensor<8x128xi32>
  %v = tile.load %p : tensor<8x128x!tile.ptr<bf16>> -> tensor<8x128xbf16>
  %f = arith.extf %v : tensor<8x128xbf16> to tensor<8x128xf32>
  %m = tile.reduce max, %f {axis = 1 : i32} : tensor<8x128xf32> -> tensor<8xf32>
  %os = tile.splat %out : !tile.ptr<f32> -> tensor<8x!tile.ptr<f32>>
  %op = tile.addptr %os, %r : tensor<8x!tile.ptr<f32>>, tensor<8xi32>
  tile.store %op, %m : tensor<8x!tile.ptr<f32>>, tensor<8xf32>
  return
}
