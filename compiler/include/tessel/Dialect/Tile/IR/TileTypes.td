#ifndef TESSEL_DIALECT_TILE_IR_TILETYPES_TD
#define TESSEL_DIALECT_TILE_IR_TILETYPES_TD

include "tessel/Dialect/Tile/IR/TileDialect.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/BuiltinTypeInterfaces.td"

class Tile_Type<string name, string typeMnemonic, list<Trait> traits = []>
    : TypeDef<Tile_Dialect, name, traits> {
  let mnemonic = typeMnemonic;
}

def Tile_PointerType : Tile_Type<"Pointer", "ptr"> {
  let summary = "Pointer into global memory to elements of a scalar type";
  let description = [{
    A pointer to `pointeeType` elements in global memory. Tiles of pointers
    (`tensor<128x!tile.ptr<bf16>>`) are how a program addresses the elements
    it loads and stores.

    Example: `!tile.ptr<f8E4M3FN>`
  }];
  let parameters = (ins "::mlir::Type":$pointeeType);
  let assemblyFormat = "`<` $pointeeType `>`";
  let builders = [
    TypeBuilderWithInferredContext<(ins "::mlir::Type":$pointeeType), [{
      return $_get(pointeeType.getContext(), pointeeType);
    }]>
  ];
}

def Tile_TensorDescType : Tile_Type<"TensorDesc", "tensordesc"> {
  let summary = "A strided tensor in global memory, read a block at a time";
  let description = [{
    Made by `tile.make_tensor_descriptor` from a base pointer, the tensor's
    shape and its strides; `tile.descriptor_load` reads one block of
    `blockType`'s shape from it. On targets with the tensor memory
    accelerator (sm_90a) the compiler may pass it to the kernel as a TMA
    tensor map that the runtime encodes from the launch's arguments.

    Example: `!tile.tensordesc<tensor<64x128xf8E4M3FN>>`
  }];
  let parameters = (ins "::mlir::RankedTensorType":$blockType);
  let assemblyFormat = "`<` $blockType `>`";
  let builders = [
    TypeBuilderWithInferredContext<(ins "::mlir::RankedTensorType":$blockType), [{
      return $_get(blockType.getContext(), blockType);
    }]>
  ];
  let genVerifyDecl = 1;
}

// Scalar element types a tile may hold.
def Tile_Float : AnyTypeOf<[F32, F16, BF16, F8E4M3FN, F8E5M2]>;
def Tile_Int : AnyTypeOf<[I1, I8, I32, I64]>;
def Tile_Element : AnyTypeOf<[Tile_Float, Tile_Int, Tile_PointerType]>;

def Tile_Tensor : RankedTensorOf<[Tile_Element]>;
def Tile_IntTensor : RankedTensorOf<[Tile_Int]>;
def Tile_PtrTensor : RankedTensorOf<[Tile_PointerType]>;
def Tile_BoolTensor : RankedTensorOf<[I1]>;
def Tile_FloatTensor : RankedTensorOf<[Tile_Float]>;

def Tile_Value : AnyTypeOf<[Tile_Element, Tile_Tensor]>;
def Tile_PtrLike : AnyTypeOf<[Tile_PointerType, Tile_PtrTensor]>;
def Tile_IntLike : AnyTypeOf<[Tile_Int, Tile_IntTensor]>;
def Tile_BoolLike : AnyTypeOf<[I1, Tile_BoolTensor]>;
def Tile_FloatLike : AnyTypeOf<[Tile_Float, Tile_FloatTensor]>;

#endif // TESSEL_DIALECT_TILE_IR_TILETYPES_TD
