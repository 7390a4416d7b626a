#ifndef TESSEL_DIALECT_TILE_IR_TILEOPS_TD
#define TESSEL_DIALECT_TILE_IR_TILEOPS_TD

include "tessel/Dialect/Tile/IR/TileDialect.td"
include "tessel/Dialect/Tile/IR/TileTypes.td"
include "mlir/IR/EnumAttr.td"
include "mlir/IR/OpBase.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

class Tile_Op<string mnemonic, list<Trait> traits = []>
    : Op<Tile_Dialect, mnemonic, traits>;

//===----------------------------------------------------------------------===//
// Grid
//===----------------------------------------------------------------------===//

def Tile_ProgramIdOp : Tile_Op<"program_id", [Pure]> {
  let summary = "Index of this program along one axis of the launch grid";
  let description = [{
    Returns the coordinate of the executing program along `axis` (0, 1 or 2)
    of the launch grid, as an i32.

    Example: `%pid = tile.program_id 0 : i32`
  }];
  let arguments = (ins ConfinedAttr<I32Attr, [IntMinValue<0>, IntMaxValue<2>]>:$axis);
  let results = (outs I32:$result);
  let assemblyFormat = "$axis attr-dict `:` type($result)";
}

def Tile_NumProgramsOp : Tile_Op<"num_programs", [Pure]> {
  let summary = "Number of programs of the launch grid along one axis";
  let description = [{
    Returns the extent of the launch grid along `axis` (0, 1 or 2) as an i32.

    Example: `%n = tile.num_programs 1 : i32`
  }];
  let arguments = (ins ConfinedAttr<I32Attr, [IntMinValue<0>, IntMaxValue<2>]>:$axis);
  let results = (outs I32:$result);
  let assemblyFormat = "$axis attr-dict `:` type($result)";
}

//===----------------------------------------------------------------------===//
// Building tiles
//===----------------------------------------------------------------------===//

def Tile_MakeRangeOp : Tile_Op<"make_range", [Pure]> {
  let summary = "The 1-D tile of consecutive i32 values [start, end)";
  let description = [{
    Produces `tensor<(end - start)xi32>` holding `start, start + 1, ...,
    end - 1`. The length must be a power of two.

    Example: `%r = tile.make_range {start = 0 : i32, end = 128 : i32} : tensor<128xi32>`
  }];
  let arguments = (ins I32Attr:$start, I32Attr:$end);
  let results = (outs RankedTensorOf<[I32]>:$result);
  let assemblyFormat = "attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Tile_SplatOp : Tile_Op<"splat", [Pure,
    TypesMatchWith<"result element type matches the scalar",
                   "result", "src",
                   "::llvm::cast<::mlir::RankedTensorType>($_self).getElementType()">]> {
  let summary = "A tile whose every element is the given scalar";
  let description = [{
    Example: `%t = tile.splat %k : i32 -> tensor<64x128xi32>`
  }];
  let arguments = (ins Tile_Element:$src);
  let results = (outs Tile_Tensor:$result);
  let assemblyFormat = "$src attr-dict `:` type($src) `->` type($result)";
}

def Tile_BroadcastOp : Tile_Op<"broadcast", [Pure, SameOperandsAndResultElementType]> {
  let summary = "Repeats a tile along its dimensions of extent 1";
  let description = [{
    The operand and the result have the same rank; every dimension of the
    operand either equals the result's or is 1, and is then repeated.

    Example: `%b = tile.broadcast %a : tensor<64x1xf32> -> tensor<64x128xf32>`
  }];
  let arguments = (ins Tile_Tensor:$src);
  let results = (outs Tile_Tensor:$result);
  let assemblyFormat = "$src attr-dict `:` type($src) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Tile_ExpandDimsOp : Tile_Op<"expand_dims", [Pure, SameOperandsAndResultElementType]> {
  let summary = "Inserts a dimension of extent 1 at `axis`";
  let description = [{
    Example: `%c = tile.expand_dims %r {axis = 1 : i32} : tensor<64xi32> -> tensor<64x1xi32>`
  }];
  let arguments = (ins Tile_Tensor:$src, I32Attr:$axis);
  let results = (outs Tile_Tensor:$result);
  let assemblyFormat = "$src attr-dict `:` type($src) `->` type($result)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Memory
//===----------------------------------------------------------------------===//

def Tile_AddPtrOp : Tile_Op<"addptr", [Pure, AllTypesMatch<["ptr", "result"]>]> {
  let summary = "Advances pointers by element offsets";
  let description = [{
    `result[i] = ptr[i] + offset[i] * sizeof(pointee)`: offsets count elements,
    not bytes. `ptr` and `offset` have the same shape (or are both scalars).

    Example: `%p = tile.addptr %base, %offs : tensor<128x!tile.ptr<bf16>>, tensor<128xi32>`
  }];
  let arguments = (ins Tile_PtrLike:$ptr, Tile_IntLike:$offset);
  let results = (outs Tile_PtrLike:$result);
  let assemblyFormat = "$ptr `,` $offset attr-dict `:` type($ptr) `,` type($offset)";
  let hasVerifier = 1;
}

def Tile_LoadOp : Tile_Op<"load", [AttrSizedOperandSegments,
    MemoryEffects<[MemRead<DefaultResource>]>]> {
  let summary = "Loads the elements a tile of pointers points at";
  let description = [{
    Where `mask` is false, nothing is read and the element is `other`
    (0 when `other` is absent). `mask` and `other` have the result's shape.

    Example:
    `%v = tile.load %ptrs mask %m other %zero : tensor<64x128x!tile.ptr<bf16>>, tensor<64x128xi1>, tensor<64x128xbf16>
    -> tensor<64x128xbf16>`
  }];
  let arguments = (ins Tile_PtrLike:$ptr, Optional<Tile_BoolLike>:$mask,
                       Optional<Tile_Value>:$other);
  let results = (outs Tile_Value:$result);
  let assemblyFormat = [{
    $ptr (`mask` $mask^)? (`other` $other^)? attr-dict `:` type($ptr)
    (`,` type($mask)^)? (`,` type($other)^)? `->` type($result)
  }];
  let hasVerifier = 1;
}

def Tile_StoreOp : Tile_Op<"store", [MemoryEffects<[MemWrite<DefaultResource>]>]> {
  let summary = "Stores a tile of values where its pointers point";
  let description = [{
    Elements whose `mask` is false are not written.

    Example: `tile.store %ptrs, %v mask %m : tensor<128x!tile.ptr<f32>>, tensor<128xf32>, tensor<128xi1>`
  }];
  let arguments = (ins Tile_PtrLike:$ptr, Tile_Value:$value, Optional<Tile_BoolLike>:$mask);
  let assemblyFormat = [{
    $ptr `,` $value (`mask` $mask^)? attr-dict `:` type($ptr) `,` type($value)
    (`,` type($mask)^)?
  }];
  let hasVerifier = 1;
}

def Tile_MakeTensorDescriptorOp : Tile_Op<"make_tensor_descriptor",
    [Pure, AttrSizedOperandSegments]> {
  let summary = "Describes a strided tensor in global memory for block loads";
  let description = [{
    The tensor whose element at index (i0, ..., iR-1) lies at `base +
    i0 * strides[0] + ... + iR-1 * strides[R-1]` (in elements), for
    0 <= id < shape[d]. `shape` and `strides` have one i32 per dimension of
    the descriptor's block; offsets are computed in 32 bits, so every element
    must lie within 2^31 elements of `base`.

    Example: `%d = tile.make_tensor_descriptor %a, shape [%m, %k], strides [%k, %one]
      : !tile.ptr<f8E4M3FN> -> !tile.tensordesc<tensor<64x128xf8E4M3FN>>`
  }];
  let arguments = (ins Tile_PointerType:$base, Variadic<I32>:$shape, Variadic<I32>:$strides);
  let results = (outs Tile_TensorDescType:$result);
  let assemblyFormat = [{
    $base `,` `shape` ` ` `[` $shape `]` `,` `strides` ` ` `[` $strides `]` attr-dict `:`
    type($base) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Tile_DescriptorLoadOp : Tile_Op<"descriptor_load", [MemoryEffects<[MemRead<DefaultResource>]>]> {
  let summary = "Loads the block of a tensor descriptor that starts at an index";
  let description = [{
    Element (j0, ..., jR-1) of the result is the tensor's element at
    (indices[0] + j0, ..., indices[R-1] + jR-1) when that index lies inside
    the tensor's shape, and zero otherwise (nothing is read for it): a block
    that overhangs the tensor's edges reads as zero-padded. The result has the
    descriptor's block shape and element type.

    Example: `%v = tile.descriptor_load %d[%row, %col]
      : !tile.tensordesc<tensor<64x128xf8E4M3FN>> -> tensor<64x128xf8E4M3FN>`
  }];
  let arguments = (ins Tile_TensorDescType:$desc, Variadic<I32>:$indices);
  let results = (outs Tile_Tensor:$result);
  let assemblyFormat = [{
    $desc `[` $indices `]` attr-dict `:` type($desc) `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Reductions and conversions
//===----------------------------------------------------------------------===//

def Tile_ReduceKind : I32EnumAttr<"ReduceKind", "combining function of a reduction", [
    I32EnumAttrCase<"Sum", 0, "sum">,
    I32EnumAttrCase<"Max", 1, "max">,
    I32EnumAttrCase<"Min", 2, "min">]> {
  let cppNamespace = "::tessel::tile";
}

def Tile_ReduceOp : Tile_Op<"reduce", [Pure, SameOperandsAndResultElementType]> {
  let summary = "Combines a tile's elements along one axis";
  let description = [{
    Removes dimension `axis` by combining its elements with `kind`. For floats,
    `max` and `min` ignore NaN elements (like `arith.maxnumf` and PTX
    `max.f32`): a NaN never becomes a block's amax. `sum` is an fp32
    tree sum whose order the lowering documents. A rank-1 operand reduces to a
    scalar.

    Example: `%m = tile.reduce max, %a {axis = 1 : i32} : tensor<32x128xf32> -> tensor<32xf32>`
  }];
  let arguments = (ins Tile_ReduceKind:$kind, Tile_Tensor:$src, I32Attr:$axis);
  let results = (outs Tile_Value:$result);
  let assemblyFormat = "$kind `,` $src attr-dict `:` type($src) `->` type($result)";
  let hasVerifier = 1;
}

def Tile_TransposeOp : Tile_Op<"transpose", [Pure, SameOperandsAndResultElementType]> {
  let summary = "Swaps the two dimensions of a 2-D tile";
  let description = [{
    `result[i, j] = src[j, i]`. A dot whose B operand is stored N-major (a
    weight of shape N x K) reads it as `tile.transpose` of its N x K block;
    the compiler folds the transpose into the load where it can, so that no
    data moves.

    Example: `%t = tile.transpose %b : tensor<128x64xbf16> -> tensor<64x128xbf16>`
  }];
  let arguments = (ins Tile_Tensor:$src);
  let results = (outs Tile_Tensor:$result);
  let assemblyFormat = "$src attr-dict `:` type($src) `->` type($result)";
  let hasVerifier = 1;
}

def Tile_FpTruncSatOp : Tile_Op<"fptrunc_sat", [Pure, SameOperandsAndResultShape]> {
  let summary = "Rounds floats to a narrower float, saturating to the finite range";
  let description = [{
    Round-to-nearest-even; magnitudes beyond the result type's largest finite
    value (infinities included) become that value with their sign; NaN stays
    NaN. This is PTX `cvt.rn.satfinite` and the rule the fp8 contracts rely on.

    Example: `%q = tile.fptrunc_sat %v : tensor<128xf32> -> tensor<128xf8E4M3FN>`
  }];
  let arguments = (ins Tile_FloatLike:$src);
  let results = (outs Tile_FloatLike:$result);
  let assemblyFormat = "$src attr-dict `:` type($src) `->` type($result)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Matrix multiplication
//===----------------------------------------------------------------------===//

def Tile_DotOp : Tile_Op<"dot", [Pure, AllTypesMatch<["acc", "result"]>]> {
  let summary = "acc + a · b on 2-D tiles, accumulated in fp32";
  let description = [{
    `a` is M x K, `b` is K x N and `acc` and the result M x N f32. The
    operands are both fp8 (e4m3 or e5m2, which may be mixed), both bf16 or
    both f16; every product is exact in fp32 and the sum is accumulated in
    fp32. The order of the additions is the tensor core's and is not
    specified: results agree with an exact sum to fp32 rounding error, not
    bit for bit. M and N are at least 16, K at least 16 (32 for fp8): the
    shape of one tensor-core instruction.

    Example:
    `%c = tile.dot %a, %b, %acc : tensor<64x128xf8E4M3FN>, tensor<128x64xf8E4M3FN>
    -> tensor<64x64xf32>`
  }];
  let arguments = (ins Tile_FloatTensor:$a, Tile_FloatTensor:$b, Tile_FloatTensor:$acc);
  let results = (outs Tile_FloatTensor:$result);
  let assemblyFormat = [{
    $a `,` $b `,` $acc attr-dict `:` type($a) `,` type($b) `->` type($result)
  }];
  let hasVerifier = 1;
}

#endif // TESSEL_DIALECT_TILE_IR_TILEOPS_TD
