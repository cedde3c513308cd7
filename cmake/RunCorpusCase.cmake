# cmake -DHARVEY=... -DFILE=... -DBOUNDARY=... -DEXPECT=pass|fail -P RunCorpusCase.cmake
cmake_minimum_required(VERSION 3.25)
# Runs one corpus file on one boundary; fails unless harvey's exit code is
# 0 (EXPECT=pass) or 1, a mismatch (EXPECT=fail). See harness/cli/cli.h.
execute_process(COMMAND ${HARVEY} run ${FILE} --boundary ${BOUNDARY} RESULT_VARIABLE rc)
if(rc STREQUAL "3")  # a tool this boundary needs is missing: the test is skipped
  message("HARVEY_SKIP: ${BOUNDARY} cannot run here (see the line above)")
  return()
endif()
if(EXPECT STREQUAL "pass")
  set(want 0)
else()
  set(want 1)
endif()
if(NOT rc STREQUAL "${want}")
  message(FATAL_ERROR "${FILE} on ${BOUNDARY}: expected ${EXPECT} (exit ${want}), "
                      "harvey run exited ${rc}")
endif()
