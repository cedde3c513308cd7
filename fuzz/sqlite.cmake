# fuzz/sqlite.cmake — the fuzz build's SQLite: the pinned amalgamation
# (ci/fetch-sqlite), instrumented like everything else (target harvey_sqlite,
# used by fuzz/CMakeLists.txt), and the options that shape it.
#
# Included by the top-level CMakeLists.txt before any add_subdirectory, only
# with HARVEY_FUZZ: its compile (9 MB of C under AddressSanitizer and
# SanitizerCoverage, the longest single step of the fuzz build) is then the
# first step in build.ninja, and Ninja 1.11 starts ready steps in that order.
# Defined in fuzz/, it started after all of model/ and harness/ and finished
# alone on one core while the other idled. Where it is defined changes
# nothing about how it is compiled.
include(HarveySqlite)
set(HARVEY_SQLITE_VERSION "" CACHE STRING
    "SQLite version for the fuzz build, as ci/fetch-sqlite names it (empty: its pinned default)")
set(HARVEY_SQLITE_DIR "" CACHE PATH
    "Directory with sqlite3.c and sqlite3.h (empty: ci/fetch-sqlite's cache)")
set(HARVEY_FUZZING_ENGINE "-fsanitize=fuzzer" CACHE STRING
    "Link flags of the fuzzing engine ($LIB_FUZZING_ENGINE under OSS-Fuzz)")
option(HARVEY_SQLITE_DEBUG "Build the amalgamation with SQLITE_DEBUG (internal asserts; slower)" OFF)
option(HARVEY_SQLITE_UBSAN "Keep UBSan in the amalgamation's flags (doubles its compile time)" OFF)

set(sqlite_dir ${HARVEY_SQLITE_DIR})
if(NOT sqlite_dir)
  harvey_sqlite_dir(sqlite_dir "${HARVEY_SQLITE_VERSION}")
endif()
message(STATUS "harvey fuzz: SQLite amalgamation from ${sqlite_dir}")
option(HARVEY_TRACE_CMP
  "Trace comparisons for libFuzzer (-fsanitize-coverage=trace-cmp) in SQLite, model/ and harness/ too; OFF (the fuzz-fast preset): only the code that reads the input's bytes (fuzz/) keeps it: elsewhere it cost ~30% of schedule_fuzzer's time and compares model states and SQLite internals, not input bytes" ON)
option(HARVEY_SQLITE_LOOKASIDE
  "SQLite's lookaside allocator (ON in fuzz-fast: fewer mallocs; OFF: AddressSanitizer sees SQLite's small objects)" OFF)
harvey_sqlite_library(harvey_sqlite ${sqlite_dir})
if(CMAKE_C_COMPILER_ID MATCHES "Clang")
  # No coverage in SQLite's SQL front end (its paths do not depend on the input).
  target_compile_options(harvey_sqlite PRIVATE
    -fsanitize-coverage-ignorelist=${PROJECT_SOURCE_DIR}/cmake/sqlite-coverage-ignorelist.txt)
  if(NOT HARVEY_TRACE_CMP)
    target_compile_options(harvey_sqlite PRIVATE -fno-sanitize-coverage=trace-cmp,indirect-calls)
  endif()
endif()
