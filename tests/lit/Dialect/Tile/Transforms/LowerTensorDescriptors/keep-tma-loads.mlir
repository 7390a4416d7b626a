// RUN: tessel-opt %s -split-input-file --tile-lower-tensor-descriptors="keep-tma-loads=true" | FileCheck %s
// RUN: tessel-opt %s -split-input-file --tile-lower-tensor-descriptors="keep-tma-loads=false" | FileCheck %s --check-prefix=LOWER
// RUN: tessel-opt %s -split-input-file --tile-lower-tensor-descriptors | FileCheck %s --check-prefix=LOWER

// Without keep-tma-loads (the default), every descriptor load is lowered.
// LOWER-NOT: tile.descriptor_load
// LOWER-NOT: tile.make_tensor_descriptor

// The loads of an fp8 GEMM's K loop that the TMA reads: A as loaded and B
// as the transpose of an N x K block, both dot operands, from 16-byte
// aligned arguments, with shapes the host knows (arguments or constants),
// strides of 16-byte multiples and 128-byte rows, at indices computed from
// the induction variable and values from outside the loop. They stay
// descriptor loads, and so do their descriptors.
// CHECK-LABEL: func.func @qualifies
// CHECK: %[[AD:.*]] = tile.make_tensor_descriptor
// CHECK: %[[BD:.*]] = tile.make_tensor_descriptor
// CHECK: scf.for
// CHECK: %[[AV:.*]] = tile.descriptor_load %[[AD]]
// CHECK-NEXT: %[[BB:.*]] = tile.descriptor_load %[[BD]]
// CHECK-NEXT: %[[BV:.*]] = tile.transpose %[[BB]]
// CHECK-NEXT: tile.dot %[[AV]], %[[BV]]
// CHECK-NOT: tile.load
func.func @qualifies(%a: !tile.ptr<f8E4M3FN> {tile.divisibility = 16 : i64},
                     %b: !tile.ptr<f8E4M3FN> {tile.divisibility = 16 : i64},
                     %m: i32, %k: i32 {tile.divisibility = 16 : i64},
                     %init: tensor<64x64xf32>) -> tensor<64x64xf32> {
  %c0 = arith.constant 0 : i32
  %c1 = arith.constant 1 : i32
  %c64 = arith.constant 64 : i32
  %c128 = arith.constant 128 : i32
  %n = arith.constant 7168 : i32
  %aDesc = tile.make_tensor_descriptor %a, shape [%m, %k], strides [%k, %c1]
      : !tile.ptr<f8E4M3FN> -> !tile.tensordesc<tensor<64x128xf8E4M3FN>>
  %bDesc = tile.make_tensor_descriptor %b, shape [%n, %k], strides [%k, %c1]
      : !tile.ptr<f8E4M3FN> -> !tile.tensordesc<tensor<64x128xf8E4M3FN>>
  %pid = tile.program_id 0 : i32
  %row = arith.muli %pid, %c64 : i32
  %steps = arith.divsi %k, %c128 : i32
  %acc = scf.for %i = %c0 to %steps step %c1 iter_args(%sum = %init) -> (tensor<64x64xf32>) : i32 {
    %kOffset = arith.muli %i, %c128 : i32
    %av = tile.descriptor_load %aDesc[%row, %kOffset]
        : !tile.tensordesc<tensor<64x128xf8E4M3FN>> -> tensor<64x128xf8E4M3FN>
    %bBlock = tile.descriptor_load %bDesc[%c0, %kOffset]
        : !tile.tensordesc<tensor<64x128xf8E4M3FN>> -> tensor<64x128xf8E4M3FN>
    %bv = tile.transpose %bBlock : tensor<64x128xf8E4M3FN> -> tensor<128x64xf8E4M3FN>
    %next = tile.dot %av, %bv, %sum : tensor<64x128xf8E4M3FN>, tensor<128x64xf8E4M3FN> -> tensor<64x64xf32>
    scf.yield %next : tensor<64x64xf32>
  }
  return %acc : tensor<64x64xf32>
}

// -----

// A's base promises 8-byte alignment, not 16: A is lowered, B stays.
// CHECK-LABEL: func.func @unaligned_base
// CHECK: scf.for
// CHECK: %[[AV:.*]] = tile.load {{.*}} -> tensor<64x128xf8E4M3FN>
// CHECK: %[[BB:.*]] = tile.descriptor_load
// CHECK-NEXT: %[[BV:.*]] = tile.transpose %[[BB]]
// CHECK-NEXT: tile.dot %[[AV]], %[[BV]]
func.func @unaligned_base(%a: !tile.ptr<f8E4M3FN> {tile.divisibility = 8 : i64},
                          %b: !tile.ptr<f8E4M3FN> {tile.divisibility = 16 : i64},
                          %m: i32, %n: i32, %k: i32 {tile.divisibility = 16 : i64},
                          %init: tensor<64x64xf32>) -> tensor<64x64xf32> {
  %c0 = arith.constant 0 : i32
  %c1 = arith.constant 1 : i32
  %c128 = arith.constant 128 : i32
  %aDesc = tile.make_tensor_descriptor %a, shape [%m, %k], strides [%k, %c1]
      : !tile.ptr<f8E4M3FN> -> !tile.tensordesc<tensor<64x128xf8E4M3FN>>
  %bDesc = tile.make_tensor_descriptor %b, shape [%n, %k], strides [%k, %c1]
      : !tile.ptr<f8E4M3FN> -> !tile.tensordesc<tensor<64x128xf8E4M3FN>>
  %acc = scf.for %i = %c0 to %k step %c128 iter_args(%sum = %init) -> (tensor<64x64xf32>) : i32 {
    %av = tile.descriptor_load %aDesc[%c0, %i]
        : !tile.tensordesc<tensor<64x128xf8E4M3FN>> -> tensor<64x128xf8E4M3FN>
    %bBlock = tile.descriptor_load %bDesc[%c0, %i]
        : !tile.tensordesc<tensor<64x128xf8E4M3FN>> -> tensor<64x128xf8E4M3FN>
    %bv = tile.transpose %bBlock : tensor<64x128xf8E4M3FN> -> tensor<128x64xf8E4M3FN>
    %next = tile.dot %av, %bv, %sum : tensor<64x128xf8E4M3FN>, tensor<128x64xf8E4M3FN> -> tensor<64x64xf32>
    scf.yield %next : tensor<64x64xf32>
  }
  return %acc : tensor<64x64xf32>
}

// -----

// A's row stride is an argument divisible by 8 only (8 bytes of fp8): A is
// lowered. B's is the constant 4104, 8 bytes past a multiple of 16: B is
// lowered too, as one load of the transposed block.
// CHECK-LABEL: func.func @stride_not_16_bytes
// CHECK: scf.for
// CHECK: %[[AV:.*]] = tile.load {{.*}} -> tensor<64x128xf8E4M3FN>
// CHECK: %[[BV:.*]] = tile.load {{.*}} -> tensor<128x64xf8E4M3FN>
// CHECK-NOT: tile.transpose
// CHECK: tile.dot %[[AV]], %[[BV]]
func.func @stride_not_16_bytes(%a: !tile.ptr<f8E4M3FN> {tile.divisibility = 16 : i64},
                               %b: !tile.ptr<f8E4M3FN> {tile.divisibility = 16 : i64},
                               %m: i32, %n: i32, %k: i32 {tile.divisibility = 16 : i64},
                               %lda: i32 {tile.divisibility = 8 : i64},
                               %init: tensor<64x64xf32>) -> tensor<64x64xf32> {
  %c0 = arith.constant 0 : i32
  %c1 = arith.constant 1 : i32
  %c128 = arith.constant 128 : i32
  %ldb = arith.constant 4104 : i32
  %aDesc = tile.make_tensor_descriptor %a, shape [%m, %k], strides [%lda, %c1]
      : !tile.ptr<f8E4M3FN> -> !tile.tensordesc<tensor<64x128xf8E4M3FN>>
  %bDesc = tile.make_tensor_descriptor %b, shape [%n, %k], strides [%ldb, %c1]
      : !tile.ptr<f8E4M3FN> -> !tile.tensordesc<tensor<64x128xf8E4M3FN>>
  %acc = scf.for %i = %c0 to %k step %c128 iter_args(%sum = %init) -> (tensor<64x64xf32>) : i32 {
    %av = tile.descriptor_load %aDesc[%c0, %i]
        : !tile.tensordesc<tensor<64x128xf8E4M3FN>> -> tensor<64x128xf8E4M3FN>
    %bBlock = tile.descriptor_load %bDesc[%c0, %i]
        : !tile.tensordesc<tensor<64x128xf8E4M3FN>> -> tensor<64x128xf8E4M3FN>
    %bv = tile.transpose %bBlock : tensor<64x128xf8E4M3FN> -> tensor<128x64xf8E4M3FN>
    %next = tile.dot %av, %bv, %sum : tensor<64x128xf8E4M3FN>, tensor<128x64xf8E4M3FN> -> tensor<64x64xf32>
    scf.yield %next : tensor<64x64xf32>
  }
  return %acc : tensor<64x64xf32>
}

// -----

// Rows of 128 bf16 are 256 bytes, wider than the TMA's widest swizzle:
// both loads are lowered.
// CHECK-LABEL: func.func @row_of_256_bytes
// CHECK-NOT: tile.descriptor_load
// CHECK: %[[AV:.*]] = tile.load {{.*}} -> tensor<64x128xbf16>
// CHECK: %[[BV:.*]] = tile.load {{.*}} -> tensor<128x64xbf16>
// CHECK: tile.dot %[[AV]], %[[BV]]
func.func @row_of_256_bytes(%a: !tile.ptr<bf16> {tile.divisibility = 16 : i64},
                            %b: !tile.ptr<bf16> {tile.divisibility = 16 : i64},
                            %m: i32, %n: i32, %k: i32 {tile.divisibility = 16 : i64},
                            %init: tensor<64x64xf32>) -> tensor<64x64xf32> {
  %c0 = arith.constant 0 : i32
  %c1 = arith.constant 1 : i32
  %c128 = arith.constant 128 : i32
  %aDesc = tile.make_tensor_descriptor %a, shape [%m, %k], strides [%k, %c1]
      : !tile.ptr<bf16> -> !tile.tensordesc<tensor<64x128xbf16>>
  %bDesc = tile.make_tensor_descriptor %b, shape [%n, %k], strides [%k, %c1]
      : !tile.ptr<bf16> -> !tile.tensordesc<tensor<64x128xbf16>>
  %acc = scf.for %i = %c0 to %k step %c128 iter_args(%sum = %init) -> (tensor<64x64xf32>) : i32 {
    %av = tile.descriptor_load %aDesc[%c0, %i]
        : !tile.tensordesc<tensor<64x128xbf16>> -> tensor<64x128xbf16>
    %bBlock = tile.descriptor_load %bDesc[%c0, %i]
        : !tile.tensordesc<tensor<64x128xbf16>> -> tensor<64x128xbf16>
    %bv = tile.transpose %bBlock : tensor<64x128xbf16> -> tensor<128x64xbf16>
    %next = tile.dot %av, %bv, %sum : tensor<64x128xbf16>, tensor<128x64xbf16> -> tensor<64x64xf32>
    scf.yield %next : tensor<64x64xf32>
  }
  return %acc : tensor<64x64xf32>
}

// -----

// The same blocks feeding a dot outside any loop: nothing copies them
// ahead, so both are lowered.
// CHECK-LABEL: func.func @not_in_loop
// CHECK-NOT: tile.descriptor_load
// CHECK: %[[AV:.*]] = tile.load {{.*}} -> tensor<64x128xf8E4M3FN>
// CHECK: %[[BV:.*]] = tile.load {{.*}} -> tensor<128x64xf8E4M3FN>
// CHECK: tile.dot %[[AV]], %[[BV]]
func.func @not_in_loop(%a: !tile.ptr<f8E4M3FN> {tile.divisibility = 16 : i64},
                       %b: !tile.ptr<f8E4M3FN> {tile.divisibility = 16 : i64},
                       %m: i32, %n: i32, %k: i32 {tile.divisibility = 16 : i64},
                       %init: tensor<64x64xf32>) -> tensor<64x64xf32> {
  %c0 = arith.constant 0 : i32
  %c1 = arith.constant 1 : i32
  %aDesc = tile.make_tensor_descriptor %a, shape [%m, %k], strides [%k, %c1]
      : !tile.ptr<f8E4M3FN> -> !tile.tensordesc<tensor<64x128xf8E4M3FN>>
  %bDesc = tile.make_tensor_descriptor %b, shape [%n, %k], strides [%k, %c1]
      : !tile.ptr<f8E4M3FN> -> !tile.tensordesc<tensor<64x128xf8E4M3FN>>
  %av = tile.descriptor_load %aDesc[%c0, %c0]
      : !tile.tensordesc<tensor<64x128xf8E4M3FN>> -> tensor<64x128xf8E4M3FN>
  %bBlock = tile.descriptor_load %bDesc[%c0, %c0]
      : !tile.tensordesc<tensor<64x128xf8E4M3FN>> -> tensor<64x128xf8E4M3FN>
  %bv = tile.transpose %bBlock : tensor<64x128xf8E4M3FN> -> tensor<128x64xf8E4M3FN>
  %c = tile.dot %av, %bv, %init : tensor<64x128xf8E4M3FN>, tensor<128x64xf8E4M3FN> -> tensor<64x64xf32>
  return %c : tensor<64x64xf32>
}

// -----

// A block that is stored, not multiplied, is lowered; so is one that the dot
// takes as B without a transpose (K-major B is the transpose of a block).
// The transposed B stays.
// CHECK-LABEL: func.func @not_dot_operand
// CHECK: scf.for
// CHECK: %[[STORED:.*]] = tile.load {{.*}} -> tensor<64x128xf8E4M3FN>
// CHECK: tile.store %{{.*}}, %[[STORED]]
// CHECK: %[[BB:.*]] = tile.descriptor_load
// CHECK-NEXT: %[[BV:.*]] = tile.transpose %[[BB]]
// CHECK-NEXT: tile.dot %arg{{[0-9]+}}, %[[BV]]
// CHECK: %[[BN:.*]] = tile.load {{.*}} -> tensor<128x64xf8E4M3FN>
// CHECK-NEXT: tile.dot %arg{{[0-9]+}}, %[[BN]]
func.func @not_dot_operand(%a: !tile.ptr<f8E4M3FN> {tile.divisibility = 16 : i64},
                           %b: !tile.ptr<f8E4M3FN> {tile.divisibility = 16 : i64},
                           %m: i32, %n: i32, %k: i32 {tile.divisibility = 16 : i64},
                           %aTile: tensor<64x128xf8E4M3FN>, %out: !tile.ptr<f8E4M3FN>,
                           %init: tensor<64x64xf32>) -> tensor<64x64xf32> {
  %c0 = arith.constant 0 : i32
  %c1 = arith.constant 1 : i32
  %c128 = arith.constant 128 : i32
  %aDesc = tile.make_tensor_descriptor %a, shape [%m, %k], strides [%k, %c1]
      : !tile.ptr<f8E4M3FN> -> !tile.tensordesc<tensor<64x128xf8E4M3FN>>
  %bDesc = tile.make_tensor_descriptor %b, shape [%n, %k], strides [%k, %c1]
      : !tile.ptr<f8E4M3FN> -> !tile.tensordesc<tensor<64x128xf8E4M3FN>>
  %kMajor = tile.make_tensor_descriptor %b, shape [%k, %n], strides [%n, %c1]
      : !tile.ptr<f8E4M3FN> -> !tile.tensordesc<tensor<128x64xf8E4M3FN>>
  %outs = tile.splat %out : !tile.ptr<f8E4M3FN> -> tensor<64x128x!tile.ptr<f8E4M3FN>>
  %acc = scf.for %i = %c0 to %k step %c128 iter_args(%sum = %init) -> (tensor<64x64xf32>) : i32 {
    %av = tile.descriptor_load %aDesc[%c0, %i]
        : !tile.tensordesc<tensor<64x128xf8E4M3FN>> -> tensor<64x128xf8E4M3FN>
    tile.store %outs, %av : tensor<64x128x!tile.ptr<f8E4M3FN>>, tensor<64x128xf8E4M3FN>
    %bBlock = tile.descriptor_load %bDesc[%c0, %i]
        : !tile.tensordesc<tensor<64x128xf8E4M3FN>> -> tensor<64x128xf8E4M3FN>
    %bv = tile.transpose %bBlock : tensor<64x128xf8E4M3FN> -> tensor<128x64xf8E4M3FN>
    %partial = tile.dot %aTile, %bv, %sum : tensor<64x128xf8E4M3FN>, tensor<128x64xf8E4M3FN> -> tensor<64x64xf32>
    %bn = tile.descriptor_load %kMajor[%i, %c0]
        : !tile.tensordesc<tensor<128x64xf8E4M3FN>> -> tensor<128x64xf8E4M3FN>
    %next = tile.dot %aTile, %bn, %partial : tensor<64x128xf8E4M3FN>, tensor<128x64xf8E4M3FN> -> tensor<64x64xf32>
    scf.yield %next : tensor<64x64xf32>
  }
  return %acc : tensor<64x64xf32>
}

// -----

// A's row index is loaded in the loop (a gather's row table): it cannot be
// computed an iteration ahead without the load, so A is lowered. B's row is
// carried by the loop, which cannot be computed ahead either.
// CHECK-LABEL: func.func @index_from_load
// CHECK: scf.for
// CHECK: %[[ROW:.*]] = tile.load %{{.*}} : !tile.ptr<i32> -> i32
// CHECK: %[[AV:.*]] = tile.load {{.*}} -> tensor<64x128xf8E4M3FN>
// CHECK: %[[BV:.*]] = tile.load {{.*}} -> tensor<128x64xf8E4M3FN>
// CHECK-NOT: tile.descriptor_load
// CHECK: tile.dot %[[AV]], %[[BV]]
func.func @index_from_load(%a: !tile.ptr<f8E4M3FN> {tile.divisibility = 16 : i64},
                           %b: !tile.ptr<f8E4M3FN> {tile.divisibility = 16 : i64},
                           %m: i32, %n: i32, %k: i32 {tile.divisibility = 16 : i64},
                           %rows: !tile.ptr<i32>,
                           %init: tensor<64x64xf32>) -> tensor<64x64xf32> {
  %c0 = arith.constant 0 : i32
  %c1 = arith.constant 1 : i32
  %c64 = arith.constant 64 : i32
  %c128 = arith.constant 128 : i32
  %aDesc = tile.make_tensor_descriptor %a, shape [%m, %k], strides [%k, %c1]
      : !tile.ptr<f8E4M3FN> -> !tile.tensordesc<tensor<64x128xf8E4M3FN>>
  %bDesc = tile.make_tensor_descriptor %b, shape [%n, %k], strides [%k, %c1]
      : !tile.ptr<f8E4M3FN> -> !tile.tensordesc<tensor<64x128xf8E4M3FN>>
  %acc, %last = scf.for %i = %c0 to %k step %c128 iter_args(%sum = %init, %bRow = %c0)
      -> (tensor<64x64xf32>, i32) : i32 {
    %rowPtr = tile.addptr %rows, %i : !tile.ptr<i32>, i32
    %row = tile.load %rowPtr : !tile.ptr<i32> -> i32
    %av = tile.descriptor_load %aDesc[%row, %i]
        : !tile.tensordesc<tensor<64x128xf8E4M3FN>> -> tensor<64x128xf8E4M3FN>
    %bBlock = tile.descriptor_load %bDesc[%bRow, %i]
        : !tile.tensordesc<tensor<64x128xf8E4M3FN>> -> tensor<64x128xf8E4M3FN>
    %bv = tile.transpose %bBlock : tensor<64x128xf8E4M3FN> -> tensor<128x64xf8E4M3FN>
    %next = tile.dot %av, %bv, %sum : tensor<64x128xf8E4M3FN>, tensor<128x64xf8E4M3FN> -> tensor<64x64xf32>
    %nextRow = arith.addi %bRow, %c64 : i32
    scf.yield %next, %nextRow : tensor<64x64xf32>, i32
  }
  return %acc : tensor<64x64xf32>
}

// -----

// A's row count is computed in the kernel, which the host cannot repeat:
// A is lowered, B stays.
// CHECK-LABEL: func.func @shape_computed
// CHECK: scf.for
// CHECK: %[[AV:.*]] = tile.load {{.*}} -> tensor<64x128xf8E4M3FN>
// CHECK: %[[BB:.*]] = tile.descriptor_load
// CHECK-NEXT: %[[BV:.*]] = tile.transpose %[[BB]]
// CHECK-NEXT: tile.dot %[[AV]], %[[BV]]
func.func @shape_computed(%a: !tile.ptr<f8E4M3FN> {tile.divisibility = 16 : i64},
                          %b: !tile.ptr<f8E4M3FN> {tile.divisibility = 16 : i64},
                          %m: i32, %n: i32, %k: i32 {tile.divisibility = 16 : i64},
                          %init: tensor<64x64xf32>) -> tensor<64x64xf32> {
  %c0 = arith.constant 0 : i32
  %c1 = arith.constant 1 : i32
  %c128 = arith.constant 128 : i32
  %rowsOfA = arith.addi %m, %c1 : i32
  %aDesc = tile.make_tensor_descriptor %a, shape [%rowsOfA, %k], strides [%k, %c1]
      : !tile.ptr<f8E4M3FN> -> !tile.tensordesc<tensor<64x128xf8E4M3FN>>
  %bDesc = tile.make_tensor_descriptor %b, shape [%n, %k], strides [%k, %c1]
      : !tile.ptr<f8E4M3FN> -> !tile.tensordesc<tensor<64x128xf8E4M3FN>>
  %acc = scf.for %i = %c0 to %k step %c128 iter_args(%sum = %init) -> (tensor<64x64xf32>) : i32 {
    %av = tile.descriptor_load %aDesc[%c0, %i]
        : !tile.tensordesc<tensor<64x128xf8E4M3FN>> -> tensor<64x128xf8E4M3FN>
    %bBlock = tile.descriptor_load %bDesc[%c0, %i]
        : !tile.tensordesc<tensor<64x128xf8E4M3FN>> -> tensor<64x128xf8E4M3FN>
    %bv = tile.transpose %bBlock : tensor<64x128xf8E4M3FN> -> tensor<128x64xf8E4M3FN>
    %next = tile.dot %av, %bv, %sum : tensor<64x128xf8E4M3FN>, tensor<128x64xf8E4M3FN> -> tensor<64x64xf32>
    scf.yield %next : tensor<64x64xf32>
  }
  return %acc : tensor<64x64xf32>
}
