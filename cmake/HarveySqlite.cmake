# SQLite built from an amalgamation (sqlite3.c + sqlite3.h) that ci/fetch-sqlite
# cached outside the source tree. Used by the fuzz build (instrumented SQLite);
# reusable by anything that needs a specific SQLite version.
#
#   harvey_sqlite_dir(<out-var> <version>)
#     Sets <out-var> to the verified cache directory of <version> ("" = the
#     pinned default). Fails configuration with a one-line fix if the
#     amalgamation is not fetched.
#
#   harvey_sqlite_library(<target> <dir>)
#     A static library from <dir>/sqlite3.c; <dir> is a PUBLIC include
#     directory, so `#include <sqlite3.h>` in its users finds this version's
#     header ahead of the system one. Compiled with the current flags (the
#     coverage and AddressSanitizer of the fuzz preset) but, to keep the build
#     of the 9 MB file near a minute: -O1, no debug info (function names stay
#     in reports), and without UndefinedBehaviorSanitizer unless
#     HARVEY_SQLITE_UBSAN is ON (it doubles the compile time; SQLite's own
#     fuzzing runs it).
include_guard(GLOBAL)

function(harvey_sqlite_dir out_var version)
  set(fetch ${PROJECT_SOURCE_DIR}/ci/fetch-sqlite)
  execute_process(COMMAND ${fetch} --dir ${version}
                  OUTPUT_VARIABLE dir ERROR_VARIABLE err RESULT_VARIABLE rc
                  OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_STRIP_TRAILING_WHITESPACE)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${err}\n"
      "The fuzz build compiles SQLite from its amalgamation: run `ci/fetch-sqlite ${version}` "
      "first (or pass -DHARVEY_SQLITE_DIR=<dir with sqlite3.c and sqlite3.h>).")
  endif()
  set(${out_var} ${dir} PARENT_SCOPE)
endfunction()

function(harvey_sqlite_library target dir)
  if(NOT EXISTS ${dir}/sqlite3.c OR NOT EXISTS ${dir}/sqlite3.h)
    message(FATAL_ERROR "No sqlite3.c/sqlite3.h in ${dir}: run ci/fetch-sqlite "
                        "(or fix HARVEY_SQLITE_DIR).")
  endif()
  find_package(Threads REQUIRED)
  add_library(${target} STATIC ${dir}/sqlite3.c)
  target_include_directories(${target} PUBLIC ${dir})
  # Production-like defaults; only what costs speed without changing WAL
  # behaviour is trimmed: no memory statistics, no page-cache preallocation
  # per connection, and no lookaside (every allocation goes through malloc,
  # so AddressSanitizer sees SQLite's small objects too) unless
  # HARVEY_SQLITE_LOOKASIDE is ON (SQLite's default lookaside: fewer mallocs,
  # for builds without AddressSanitizer).
  # HARVEY_SQLITE_DEBUG adds SQLite's internal assert()s.
  target_compile_definitions(${target} PRIVATE
    SQLITE_THREADSAFE=1 SQLITE_DEFAULT_MEMSTATUS=0 SQLITE_OMIT_LOAD_EXTENSION
    SQLITE_DEFAULT_PCACHE_INITSZ=0
    $<$<BOOL:${HARVEY_SQLITE_DEBUG}>:SQLITE_DEBUG=1>)
  if(NOT HARVEY_SQLITE_LOOKASIDE)
    target_compile_definitions(${target} PRIVATE "SQLITE_DEFAULT_LOOKASIDE=0,0")
  endif()
  target_compile_options(${target} PRIVATE -O1 -g0 -w
    $<$<NOT:$<BOOL:${HARVEY_SQLITE_UBSAN}>>:-fno-sanitize=undefined>)
  target_link_libraries(${target} PUBLIC Threads::Threads m)
endfunction()
