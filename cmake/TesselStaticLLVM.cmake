# tessel_use_static_llvm(): makes the imported MLIR targets of the calling
# directory link the static LLVM components the compiler needs. Debian builds
# LLVM with LLVM_LINK_LLVM_DYLIB, so its imported MLIR targets name the shared
# `LLVM` library as their dependency; it is replaced here. Used by Tessel's
# own build with TESSEL_STATIC_LLVM and by the installed package of such a
# build (TesselConfig.cmake), after find_package(MLIR).
macro(tessel_use_static_llvm)
  llvm_map_components_to_libnames(TESSEL_LLVM_STATIC_LIBS
    core support nvptxcodegen nvptxdesc nvptxinfo passes ipo instcombine scalaropts vectorize transformutils
    analysis target codegen mc asmparser asmprinter bitreader bitwriter irreader
    frontendopenmp frontendoffloading linker demangle)
  get_directory_property(tessel_imported_targets IMPORTED_TARGETS)
  foreach(imported IN LISTS tessel_imported_targets)
    if(NOT imported MATCHES "^MLIR")
      continue()
    endif()
    get_target_property(tessel_deps ${imported} INTERFACE_LINK_LIBRARIES)
    if(tessel_deps AND "LLVM" IN_LIST tessel_deps)
      list(REMOVE_ITEM tessel_deps LLVM)
      list(APPEND tessel_deps ${TESSEL_LLVM_STATIC_LIBS})
      set_target_properties(${imported} PROPERTIES INTERFACE_LINK_LIBRARIES "${tessel_deps}")
    endif()
  endforeach()
endmacro()
