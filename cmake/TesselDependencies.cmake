# Finds MLIR/LLVM 22, fmt, GoogleTest, nlohmann-json and the CUDA driver header.
find_package(MLIR REQUIRED CONFIG
  HINTS /usr/lib/llvm-22/lib/cmake/mlir)
if(NOT LLVM_VERSION_MAJOR EQUAL 22)
  message(FATAL_ERROR "Tessel needs LLVM/MLIR 22, found ${LLVM_PACKAGE_VERSION} (${MLIR_DIR})")
endif()
message(STATUS "Using MLIR ${LLVM_PACKAGE_VERSION} from ${MLIR_DIR}")
list(APPEND CMAKE_MODULE_PATH ${MLIR_CMAKE_DIR} ${LLVM_CMAKE_DIR})
include(TableGen)
include(AddLLVM)
include(AddMLIR)

include_directories(SYSTEM ${LLVM_INCLUDE_DIRS} ${MLIR_INCLUDE_DIRS})
add_definitions(${LLVM_DEFINITIONS})

find_package(fmt REQUIRED)
find_package(nlohmann_json 3 REQUIRED)
if(TESSEL_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()

find_path(TESSEL_CUDA_INCLUDE_DIR cuda.h
  HINTS ENV CUDA_HOME ENV CUDA_PATH
  PATHS /usr/local/cuda/include
  PATH_SUFFIXES include)
if(NOT TESSEL_CUDA_INCLUDE_DIR)
  message(FATAL_ERROR "cuda.h not found: install the CUDA toolkit or set CUDA_HOME. "
                      "Tessel needs only the header; libcuda is loaded at run time.")
endif()

find_program(TESSEL_PTXAS ptxas HINTS ENV CUDA_HOME PATHS /usr/local/cuda/bin
  PATH_SUFFIXES bin)

# With TESSEL_STATIC_LLVM, MLIR and LLVM are linked from their static archives
# (cmake/TesselStaticLLVM.cmake, which the installed package uses too).
if(TESSEL_STATIC_LLVM)
  include(TesselStaticLLVM)
  tessel_use_static_llvm()
  # fmt is used header-only, so the binaries do not need libfmt.so: nothing
  # references it any more and --as-needed leaves it out of DT_NEEDED.
  set_target_properties(fmt::fmt PROPERTIES INTERFACE_COMPILE_DEFINITIONS FMT_HEADER_ONLY=1)
  # Only the sections the binaries reach are kept, and symbols are stripped.
  add_compile_options(-ffunction-sections -fdata-sections)
  add_link_options(-Wl,--gc-sections -Wl,--as-needed -s)
endif()

# tessel_link_mlir(target [PUBLIC|PRIVATE] libs...): links the shared libMLIR and
# libLLVM in everyday builds and the named static components with
# TESSEL_STATIC_LLVM.
function(tessel_link_mlir target visibility)
  if(TESSEL_STATIC_LLVM)
    target_link_libraries(${target} ${visibility} ${ARGN})
  else()
    target_link_libraries(${target} ${visibility} MLIR LLVM)
  endif()
endfunction()
