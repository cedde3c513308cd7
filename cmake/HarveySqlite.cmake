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

# --- one harvey executable per SQLite version (harness/CMakeLists.txt) -------
#
#   harvey_sqlite_versions(<out-var> <spec>)
#     Resolves HARVEY_SQLITE_VERSIONS (<spec>) to a list of versions to build:
#       "default"  the pinned default (the newest) if ci/fetch-sqlite cached it,
#                  else none (a status line says how to get it);
#       "all"      every pinned version that is cached;
#       "none"/""  none;
#       a list     exactly these (each must be cached: configuration fails with
#                  the ci/fetch-sqlite command otherwise).
#
#   harvey_sqlite_release_library(<target> <dir>)
#     A static library from <dir>/sqlite3.c compiled like Debian 12's
#     libsqlite3 where it can change what harvey observes (see the list below,
#     from `PRAGMA compile_options` of Debian's 3.40.1); its extensions (FTS,
#     R*Tree, session, dbstat, math functions) are left out: they do not touch
#     the pager or the WAL and cost compile time. Optimisation:
#     HARVEY_SQLITE_OPT (default -O1, half the compile time of Debian's -O2).

function(harvey_sqlite_versions out_var spec)
  set(fetch ${PROJECT_SOURCE_DIR}/ci/fetch-sqlite)
  set(result "")
  if(spec STREQUAL "" OR spec STREQUAL "none")
    # nothing
  elseif(spec STREQUAL "default" OR spec STREQUAL "all")
    execute_process(COMMAND ${fetch} --list OUTPUT_VARIABLE table RESULT_VARIABLE rc)
    # One row per pinned version: "VERSION  PACKAGE@X.Y.Z  SHA256"; keep the first column.
    string(REGEX MATCHALL "(^|\n)[0-9]+\\.[0-9]+\\.[0-9]+" pinned "${table}")
    list(TRANSFORM pinned STRIP)
    if(spec STREQUAL "default")
      list(SUBLIST pinned 0 1 pinned)
    endif()
    foreach(v IN LISTS pinned)
      execute_process(COMMAND ${fetch} --dir ${v} OUTPUT_QUIET ERROR_QUIET RESULT_VARIABLE rc)
      if(rc EQUAL 0)
        list(APPEND result ${v})
      else()
        message(STATUS "harvey: SQLite ${v} is not fetched, so harvey-sqlite-${v} is not built "
                       "(run ci/fetch-sqlite ${v} and re-configure)")
      endif()
    endforeach()
  else()
    set(result ${spec})
  endif()
  set(${out_var} ${result} PARENT_SCOPE)
endfunction()

# Debian 12 (PRAGMA compile_options of its libsqlite3 3.40.1), the part
# that reaches the pager, the WAL, locking or what a read returns. Also what the
# mutant generator parses the amalgamation with (cmake/HarveyMutants.cmake).
set(HARVEY_SQLITE_RELEASE_DEFINITIONS
    SQLITE_THREADSAFE=1 SQLITE_DEFAULT_PAGE_SIZE=4096 SQLITE_MAX_DEFAULT_PAGE_SIZE=32768
    SQLITE_DEFAULT_SYNCHRONOUS=2 SQLITE_DEFAULT_WAL_SYNCHRONOUS=2
    SQLITE_DEFAULT_WAL_AUTOCHECKPOINT=1000 SQLITE_DEFAULT_CACHE_SIZE=-2000
    SQLITE_DEFAULT_PCACHE_INITSZ=20 SQLITE_DEFAULT_SECTOR_SIZE=4096
    SQLITE_DEFAULT_JOURNAL_SIZE_LIMIT=-1 SQLITE_DEFAULT_FILE_FORMAT=4
    SQLITE_DEFAULT_MMAP_SIZE=0 SQLITE_MAX_MMAP_SIZE=0x7fff0000
    SQLITE_SECURE_DELETE SQLITE_OMIT_LOOKASIDE SQLITE_TEMP_STORE=1 SQLITE_USE_URI=1
    SQLITE_MAX_SCHEMA_RETRY=25 SQLITE_MALLOC_SOFT_LIMIT=1024 SQLITE_LIKE_DOESNT_MATCH_BLOBS
    SQLITE_MAX_VARIABLE_NUMBER=250000 SQLITE_MAX_WORKER_THREADS=8
    SQLITE_ENABLE_COLUMN_METADATA SQLITE_ENABLE_UNLOCK_NOTIFY SQLITE_ENABLE_PREUPDATE_HOOK)

function(harvey_sqlite_release_library target dir)
  if(NOT EXISTS ${dir}/sqlite3.c OR NOT EXISTS ${dir}/sqlite3.h)
    message(FATAL_ERROR "No sqlite3.c/sqlite3.h in ${dir}: run ci/fetch-sqlite.")
  endif()
  find_package(Threads REQUIRED)
  add_library(${target} STATIC ${dir}/sqlite3.c)
  target_include_directories(${target} PUBLIC ${dir})
  target_compile_definitions(${target} PRIVATE ${HARVEY_SQLITE_RELEASE_DEFINITIONS})
  target_compile_options(${target} PRIVATE ${HARVEY_SQLITE_OPT} -g0 -w)
  target_link_libraries(${target} PUBLIC Threads::Threads m ${CMAKE_DL_LIBS})
endfunction()


#   harvey_sqlite_shm_object(<out-var> <dir> <version>)
#     The shm-instrumented SQLite of <version> (harvey-sqlite-V-shm): an
#     object file compiled from <dir>/sqlite3.c exactly as
#     harvey_sqlite_release_library does (same definitions, HARVEY_SQLITE_OPT),
#     plus clang's SanitizerCoverage: a call before every load and store
#     (trace-loads/trace-stores) and a guard on every edge (trace-pc-guard),
#     and a call at every function entry, inlined ones too
#     (-finstrument-functions: the `call` points of wal.c's functions),
#     answered by harness/worker/shm_hooks.cc; SQLite's memcpy/memset/
#     memcmp renamed to the hooks' harvey_shm_* (-include shm_mem.h), and
#     -fno-builtin so clang neither expands them nor makes libc calls of
#     SQLite's loops (a libc copy has no load or store hook); and line tables
#     (-gline-tables-only, with inlining), so `harvey fuzz --reach` names
#     the wal.c function of a point even where -O1 inlined it. Always
#     compiled by clang (HARVEY_CLANG), whatever the project's C compiler: gcc
#     has no such instrumentation, and the result is a plain ELF object that
#     links with gcc-built code (its only external references are libc and
#     the __sanitizer_cov_* hooks). -fPIE because gcc links PIE executables
#     here and clang 14 does not default to it.
function(harvey_sqlite_shm_object out_var dir version)
  set(obj ${CMAKE_CURRENT_BINARY_DIR}/sqlite-${version}-shm.o)
  set(defs "")
  foreach(d IN LISTS HARVEY_SQLITE_RELEASE_DEFINITIONS)
    list(APPEND defs "-D${d}")
  endforeach()
  separate_arguments(opt UNIX_COMMAND "${HARVEY_SQLITE_OPT}")
  add_custom_command(OUTPUT ${obj}
    COMMAND ${CMAKE_C_COMPILER_LAUNCHER} ${HARVEY_CLANG} -c ${opt} -w -fPIE -DNDEBUG
            -gline-tables-only -fsanitize-coverage=trace-pc-guard,trace-loads,trace-stores
            -finstrument-functions
            -fno-builtin -include ${PROJECT_SOURCE_DIR}/harness/worker/shm_mem.h
            ${defs} -I${dir} ${dir}/sqlite3.c -o ${obj}
    DEPENDS ${dir}/sqlite3.c ${PROJECT_SOURCE_DIR}/harness/worker/shm_mem.h
    COMMENT "SQLite ${version}, shm-instrumented (clang SanitizerCoverage)"
    VERBATIM)
  set(${out_var} ${obj} PARENT_SCOPE)
endfunction()
