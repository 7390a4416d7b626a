#ifndef TESSEL_DIALECT_TILE_IR_TILEDIALECT_TD
#define TESSEL_DIALECT_TILE_IR_TILEDIALECT_TD

include "mlir/IR/OpBase.td"

def Tile_Dialect : Dialect {
  let name = "tile";
  let cppNamespace = "::tessel::tile";
  let summary = "Program-level tile operations: what one program of a grid computes.";
  let description = [{
    The tile dialect describes a kernel the way its author wrote it: a program
    of a launch grid that works on tiles, i.e. ranked tensors of compile-time,
    power-of-two shape. Elementwise arithmetic on tiles uses the `arith` and
    `math` dialects directly; this dialect adds what those lack: pointers,
    program ids, ranges, broadcasting, masked memory accesses, reductions and
    saturating fp8 conversions. Nothing here knows how tiles map onto threads;
    that is the job of the `tilegpu` dialect.
  }];
  let useDefaultTypePrinterParser = 1;
  let useDefaultAttributePrinterParser = 0;
  let extraClassDeclaration = [{
    void registerTypes();
  }];
}

#endif // TESSEL_DIALECT_TILE_IR_TILEDIALECT_TD
