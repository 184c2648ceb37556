# One ctest per corpus case (userland/corpus/manifest.json), run by harness.mjs under
# node's WASI and `wasmkern run`: the two captures must be identical. With
# WK_WASI_COMPARE_WASMKERN off, node alone runs and must match the committed capture in
# tests/wasi/expected/.
option(WK_WASI_COMPARE_WASMKERN "run each corpus case under wasmkern too and compare with node" ON)

find_program(WK_NODE NAMES node nodejs)
if(NOT WK_NODE)
  message(STATUS "tests/wasi: node not found; corpus tests skipped (Debian: apt install nodejs)")
  return()
endif()

set(corpus_dir ${CMAKE_SOURCE_DIR}/userland/corpus)
set(harness ${CMAKE_CURRENT_SOURCE_DIR}/harness.mjs)
set(runner_arguments --runners node)
if(WK_WASI_COMPARE_WASMKERN AND TARGET wasmkern)
  set(runner_arguments --runners node,wasmkern --wasmkern $<TARGET_FILE:wasmkern>)
endif()

file(READ ${corpus_dir}/manifest.json manifest)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${corpus_dir}/manifest.json)
string(JSON case_count LENGTH "${manifest}")
math(EXPR last "${case_count} - 1")
foreach(index RANGE ${last})
  string(JSON case_name MEMBER "${manifest}" ${index})
  add_test(NAME wasi_corpus_${case_name}
    COMMAND ${WK_NODE} ${harness} --corpus ${corpus_dir} --wasm-dir ${WK_USERLAND_DIR}
            --case ${case_name} ${runner_arguments})
  set_tests_properties(wasi_corpus_${case_name} PROPERTIES LABELS wasi TIMEOUT 300)
endforeach()
