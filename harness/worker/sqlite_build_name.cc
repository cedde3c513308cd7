// Compiled into each harvey-sqlite-V executable (not into the harness
// library) with HARVEY_SQLITE_BUILD_NAME="V": names the SQLite build that
// executable links. See harness/worker/sqlite_build.h.
#ifndef HARVEY_SQLITE_BUILD_NAME
#error "compile with -DHARVEY_SQLITE_BUILD_NAME=\"3.54.1\" (harness/CMakeLists.txt)"
#endif
extern "C" const char* harvey_sqlite_build_name() { return HARVEY_SQLITE_BUILD_NAME; }
