// The build name of an executable that links the system SQLite: "system".
// Weak, so a harvey-sqlite-V executable's strong definition
// (harness/worker/sqlite_build_name.cc, compiled per version) replaces it. Alone in
// this file so the linker never needs this object when the strong one is
// present. See harness/worker/sqlite_build.h.
extern "C" __attribute__((weak)) const char* harvey_sqlite_build_name() { return "system"; }
