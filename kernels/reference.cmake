# CPU reference implementations of the shipped kernels' contracts
# (kernels/include/tessel/kernels/Reference.h), included from
# kernels/CMakeLists.txt. No GPU, MLIR or driver dependency: tests link it
# alone.
#
# -ffp-contract=off: the contracts fix each fp32 multiplication and division
# and its rounding; GCC would otherwise be free to fuse a multiply and an add
# into one FMA (it ignores #pragma STDC FP_CONTRACT).
add_library(TesselKernelReference STATIC
  ${CMAKE_CURRENT_LIST_DIR}/lib/Reference.cpp)
target_include_directories(TesselKernelReference PUBLIC
  $<BUILD_INTERFACE:${CMAKE_CURRENT_LIST_DIR}/include>)
target_compile_options(TesselKernelReference PRIVATE -ffp-contract=off)
target_link_libraries(TesselKernelReference PUBLIC TesselSupport)
set_target_properties(TesselKernelReference PROPERTIES
  POSITION_INDEPENDENT_CODE ON)
