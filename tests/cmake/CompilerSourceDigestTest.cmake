# Test of cmake/CompilerSourceDigest.cmake on a scratch tree: the digest is
# stable, follows every source's content and name, ignores other files, and
# an unchanged digest leaves the generated file untouched.
# Run: cmake -DSCRIPT=<CompilerSourceDigest.cmake> -DWORK=<scratch dir> -P this
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}/src/lib" "${WORK}/src/include")
file(WRITE "${WORK}/src/lib/Lowering.cpp" "int lower() { return 1; }\n")
file(WRITE "${WORK}/src/include/Lowering.h" "int lower();\n")
file(WRITE "${WORK}/src/include/Ops.td" "def Op;\n")
set(output "${WORK}/Digest.cpp")

function(digest_of result)
  execute_process(COMMAND ${CMAKE_COMMAND} -DROOTS=${WORK}/src/include|${WORK}/src/lib
                    -DOUTPUT=${output} -P ${SCRIPT}
                  RESULT_VARIABLE status ERROR_VARIABLE errors)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "the digest script failed: ${errors}")
  endif()
  file(READ "${output}" content)
  string(REGEX MATCH "\"([0-9a-f]+)\"" ignored "${content}")
  set(digest "${CMAKE_MATCH_1}")
  string(LENGTH "${digest}" length)
  if(NOT length EQUAL 64)
    message(FATAL_ERROR "no SHA-256 digest in the generated file:\n${content}")
  endif()
  set(${result} "${digest}" PARENT_SCOPE)
endfunction()

function(expect_same what a b)
  if(NOT a STREQUAL b)
    message(FATAL_ERROR "${what}: the digest changed (${a} -> ${b})")
  endif()
endfunction()
function(expect_different what a b)
  if(a STREQUAL b)
    message(FATAL_ERROR "${what}: the digest stayed ${a}")
  endif()
endfunction()

digest_of(original)
file(TIMESTAMP "${output}" writtenAt "%s")
execute_process(COMMAND ${CMAKE_COMMAND} -E sleep 1.1)
digest_of(again)
expect_same("rerun on the same tree" "${original}" "${again}")
file(TIMESTAMP "${output}" rewrittenAt "%s")
expect_same("the generated file's time after a rerun" "${writtenAt}" "${rewrittenAt}")

file(WRITE "${WORK}/src/lib/Lowering.cpp" "int lower() { return 2; }\n")
digest_of(edited)
expect_different("an edited .cpp" "${original}" "${edited}")

file(WRITE "${WORK}/src/lib/Lowering.cpp" "int lower() { return 1; }\n")
digest_of(restored)
expect_same("the edit undone" "${original}" "${restored}")

file(WRITE "${WORK}/src/include/Ops.td" "def Op; def Other;\n")
digest_of(tablegen)
expect_different("an edited .td" "${original}" "${tablegen}")
file(WRITE "${WORK}/src/include/Ops.td" "def Op;\n")

file(WRITE "${WORK}/src/lib/README.md" "notes\n")
digest_of(notes)
expect_same("a file that is not a source" "${original}" "${notes}")

file(RENAME "${WORK}/src/lib/Lowering.cpp" "${WORK}/src/lib/Renamed.cpp")
digest_of(renamed)
expect_different("a renamed source" "${original}" "${renamed}")

file(REMOVE_RECURSE "${WORK}")
message(STATUS "CompilerSourceDigest: all checks passed")
