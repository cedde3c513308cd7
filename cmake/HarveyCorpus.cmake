# Registers every corpus file as CTest tests, and a test that fails when a
# file under corpus/ is not registered.
#
# harvey_register_corpus(CORPUS_DIR HARVEY_TARGET)
#   For each CORPUS_DIR/**/*.sched, one test per `expect BOUNDARY pass|fail`
#   line: `harvey run FILE --boundary BOUNDARY` must exit 0 (pass) or 1
#   (mismatch) accordingly; any other exit (parse error, harness error) fails.
#   A file without expect lines is expected to pass on fork and inproc.
#   Test names: "corpus:<path under corpus/>@<boundary>".
#
#   Also registers "corpus:all-files-registered", which compares the
#   directory at test time with the files registered here: a file added after
#   configure (re-run cmake / rebuild to register it), one removed, or one
#   that is neither *.sched nor README.md fails it.
set(HARVEY_CORPUS_CMAKE_DIR ${CMAKE_CURRENT_LIST_DIR})

# Sets ${out_var} to a list of "boundary=verdict" for the expect lines of `file`.
function(harvey_corpus_expectations file out_var)
  file(STRINGS ${file} lines REGEX "^[ \t]*expect[ \t]")
  set(result "")
  foreach(line IN LISTS lines)
    string(REGEX REPLACE "#.*$" "" line "${line}")
    string(REGEX MATCH "^[ \t]*expect[ \t]+([a-z][a-z0-9_-]*)[ \t]+(pass|fail)[ \t]*$" ok "${line}")
    if(NOT ok)
      message(SEND_ERROR "${file}: bad expect line '${line}' (want 'expect BOUNDARY pass|fail')")
      continue()
    endif()
    list(APPEND result "${CMAKE_MATCH_1}=${CMAKE_MATCH_2}")
  endforeach()
  if(NOT result)
    set(result "fork=pass" "inproc=pass")
  endif()
  set(${out_var} ${result} PARENT_SCOPE)
endfunction()

function(harvey_register_corpus corpus_dir harvey_target)
  file(GLOB_RECURSE all_files LIST_DIRECTORIES false RELATIVE ${corpus_dir}
       CONFIGURE_DEPENDS ${corpus_dir}/*)
  list(SORT all_files)
  set(registered "")
  foreach(rel IN LISTS all_files)
    get_filename_component(name ${rel} NAME)
    if(name STREQUAL "README.md")
      continue()
    endif()
    if(NOT rel MATCHES "\\.sched$")
      message(WARNING "corpus/${rel} is neither a .sched file nor README.md; "
                      "the test corpus:all-files-registered will fail")
      continue()
    endif()
    list(APPEND registered ${rel})
    # Editing a file's expect lines re-runs configure (they are read here).
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${corpus_dir}/${rel})
    harvey_corpus_expectations(${corpus_dir}/${rel} expectations)
    foreach(e IN LISTS expectations)
      string(REPLACE "=" ";" parts ${e})
      list(GET parts 0 boundary)
      list(GET parts 1 verdict)
      add_test(NAME "corpus:${rel}@${boundary}"
               COMMAND ${CMAKE_COMMAND} -DHARVEY=$<TARGET_FILE:${harvey_target}>
                       -DFILE=${corpus_dir}/${rel} -DBOUNDARY=${boundary} -DEXPECT=${verdict}
                       -P ${HARVEY_CORPUS_CMAKE_DIR}/RunCorpusCase.cmake)
      # A boundary whose tools are missing here (harvey exits 3) is skipped.
      set_tests_properties("corpus:${rel}@${boundary}" PROPERTIES TIMEOUT 120 LABELS corpus
                           SKIP_REGULAR_EXPRESSION "HARVEY_SKIP")
    endforeach()
  endforeach()
  set(manifest ${CMAKE_BINARY_DIR}/corpus-registered.txt)
  string(REPLACE ";" "\n" manifest_text "${registered}")
  file(WRITE ${manifest} "${manifest_text}\n")
  add_test(NAME "corpus:all-files-registered"
           COMMAND ${CMAKE_COMMAND} -DCORPUS_DIR=${corpus_dir} -DMANIFEST=${manifest}
                   -P ${HARVEY_CORPUS_CMAKE_DIR}/CheckCorpus.cmake)
  set_tests_properties("corpus:all-files-registered" PROPERTIES LABELS corpus)
endfunction()
