# Mutant schemata of SQLite's WAL code (fuzz/mutate/, fuzz/MUTANTS.md).
#
#   harvey_mutants_build(<version> <dir>)
#     Runs fuzz/mutate/harvey_mutate.py on <dir>/sqlite3.c (parsed with
#     HARVEY_SQLITE_RELEASE_DEFINITIONS, the options the versioned build
#     compiles with) and builds `harvey-sqlite-<version>-mutants`: the
#     harness linked with the schemata amalgamation, where every mutant is
#     compiled in once and HARVEY_MUTANT (environment) picks the active one
#     (unset or 0: the unmutated <version>). Beside it:
#     harvey-sqlite-<version>-mutants.tsv, the manifest `harvey mutate` reads.
#     Costs one more amalgamation compile plus the generator (~8 s of CPU).
#     Skipped with a status line when /usr/bin/python3 has no clang bindings
#     (python3-clang-14; ci/setup installs it).
include_guard(GLOBAL)

set(HARVEY_MUTANTS_PYTHON /usr/bin/python3 CACHE FILEPATH
    "Python with the clang bindings (Debian's python3-clang-14 installs into /usr/bin/python3)")

function(harvey_mutants_build version dir)
  execute_process(COMMAND ${HARVEY_MUTANTS_PYTHON} -c "import clang.cindex"
                  RESULT_VARIABLE rc OUTPUT_QUIET ERROR_QUIET)
  if(NOT rc EQUAL 0)
    message(STATUS "harvey: no clang Python bindings in ${HARVEY_MUTANTS_PYTHON}, so "
                   "harvey-sqlite-${version}-mutants is not built (apt-get install python3-clang-14 libclang-14-dev)")
    set(HARVEY_MUTANTS_BUILT "" CACHE INTERNAL "")
    return()
  endif()
  set(tool ${PROJECT_SOURCE_DIR}/fuzz/mutate/harvey_mutate.py)
  set(name harvey-sqlite-${version}-mutants)
  set(out_c ${PROJECT_BINARY_DIR}/mutants/sqlite3-${version}-mutants.c)
  set(manifest ${PROJECT_BINARY_DIR}/${name}.tsv)
  set(defines "")
  foreach(d IN LISTS HARVEY_SQLITE_RELEASE_DEFINITIONS)
    list(APPEND defines -D ${d})
  endforeach()
  add_custom_command(
    OUTPUT ${out_c} ${manifest}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/mutants
    COMMAND ${HARVEY_MUTANTS_PYTHON} ${tool} ${dir}/sqlite3.c --region wal.c ${defines}
            --schemata ${out_c} --manifest ${manifest}
    DEPENDS ${tool} ${dir}/sqlite3.c
    COMMENT "harvey_mutate.py: mutant schemata of SQLite ${version}'s wal.c"
    VERBATIM)
  add_library(harvey_sqlite_${version}_mutants STATIC ${out_c})
  target_include_directories(harvey_sqlite_${version}_mutants PUBLIC ${dir})
  target_compile_definitions(harvey_sqlite_${version}_mutants PRIVATE ${HARVEY_SQLITE_RELEASE_DEFINITIONS})
  target_compile_options(harvey_sqlite_${version}_mutants PRIVATE ${HARVEY_SQLITE_OPT} -g0 -w)
  target_link_libraries(harvey_sqlite_${version}_mutants PUBLIC Threads::Threads m ${CMAKE_DL_LIBS})
  add_executable(${name} $<TARGET_OBJECTS:harvey_main> ${PROJECT_SOURCE_DIR}/harness/worker/sqlite_build_name.cc)
  target_compile_definitions(${name} PRIVATE HARVEY_SQLITE_BUILD_NAME="${version}-mutants")
  target_link_libraries(${name} PRIVATE ${HARVEY_HARNESS_LIBRARIES} harvey_sqlite_${version}_mutants)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR})
  set(HARVEY_MUTANTS_BUILT "${version}" CACHE INTERNAL "the SQLite version with a mutants build")
endfunction()
