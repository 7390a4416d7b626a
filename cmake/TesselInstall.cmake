# Installs Tessel as a CMake package: headers, the static libraries and
# TesselConfig.cmake, so that an application does
#
#   find_package(Tessel 0.1 REQUIRED)
#   target_link_libraries(app PRIVATE Tessel::runtime)  # or Tessel::kernels, Tessel::jit
#
# Tessel::runtime is the driver runtime (devices, memory, tensors, modules,
# launches, the kernel caches) and needs nothing of MLIR or LLVM;
# Tessel::kernels adds the shipped kernels' host functions, and Tessel::jit
# the DSL and the compiler (which bring MLIR and LLVM: the shared libraries
# in everyday builds, the static archives with TESSEL_STATIC_LLVM). The
# package is relocatable: every path in it is relative to where it lies.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(TESSEL_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/Tessel)

# The public names; the libraries they are made of keep their own names
# under the namespace (Tessel::TesselDSL, ...).
set_target_properties(TesselRuntime PROPERTIES EXPORT_NAME runtime)
set_target_properties(TesselJit PROPERTIES EXPORT_NAME jit)
set_target_properties(TesselKernels PROPERTIES EXPORT_NAME kernels)
set_target_properties(TesselCheckpointConvert PROPERTIES EXPORT_NAME checkpoint)
# Every library links TesselSupport, which carries the installed include
# folder to its users (in the build tree the folders come from the top-level
# include_directories).
target_include_directories(TesselSupport INTERFACE
  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)

set(tessel_libraries
  TesselSupport TesselRuntime
  TesselTileDialect TesselTileTransforms TesselTileGPUDialect TesselAnalysis
  TesselTileGPUTransforms TesselTileToTileGPU TesselTileGPUToLLVM TesselTargetPTX
  TesselCompiler TesselInterpreter TesselDSL TesselJit
  TesselKernelReference TesselKernelDefinitions TesselKernelSpaces TesselKernels
  TesselAutotune TesselAutotuneDevice
  TesselCheckpoint TesselCheckpointConvert)
install(TARGETS ${tessel_libraries} EXPORT TesselTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS tessel RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# Public headers only: none of them includes MLIR, LLVM or cuda.h.
foreach(folder support/include runtime/include dsl/include kernels/include autotune/include
               checkpoint/include)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${folder}/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
          FILES_MATCHING PATTERN "*.h")
endforeach()
# Of the compiler, the MLIR-free interfaces the DSL's headers use: the
# pipeline's options and results, and the interpreter's entry point.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/compiler/include/tessel/Compiler
                  ${PROJECT_SOURCE_DIR}/compiler/include/tessel/Interpreter
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/tessel FILES_MATCHING PATTERN "*.h")

install(EXPORT TesselTargets NAMESPACE Tessel:: DESTINATION ${TESSEL_INSTALL_CMAKEDIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/TesselConfig.cmake.in
  ${PROJECT_BINARY_DIR}/TesselConfig.cmake INSTALL_DESTINATION ${TESSEL_INSTALL_CMAKEDIR})
# 0.x: a minor version may change the interfaces.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/TesselConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/TesselConfig.cmake
              ${PROJECT_BINARY_DIR}/TesselConfigVersion.cmake
              ${PROJECT_SOURCE_DIR}/cmake/TesselStaticLLVM.cmake
        DESTINATION ${TESSEL_INSTALL_CMAKEDIR})
