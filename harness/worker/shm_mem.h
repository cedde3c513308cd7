/* Force-included (clang -include) into the shm-instrumented SQLite only
 * (harvey-sqlite-V-shm, cmake/HarveySqlite.cmake), before sqlite3.c's own
 * first line: SQLite's memcpy, memset and memcmp calls become calls of
 * harvey_shm_memcpy/memset/memcmp (shm_hooks.cc). SanitizerCoverage sees
 * no load or store in a libc copy, so without this the wal-index header
 * copies of walIndexTryHdr/walIndexWriteHdr and the compares of
 * walTryBeginRead/walCheckpoint were windows no preemption point could
 * enter, although an OS can preempt a process in the middle of a copy.
 * No SQLite source changes: the macros rename the calls, nothing else.
 * C, since sqlite3.c is C. -fno-builtin (same command) keeps clang from
 * turning SQLite's own loops into libc calls that would bypass both. */
#ifndef HARVEY_HARNESS_WORKER_SHM_MEM_H_
#define HARVEY_HARNESS_WORKER_SHM_MEM_H_

/* No #include: this comes before sqlite3.c's first line, and a system
 * header here would fix the feature macros (_GNU_SOURCE, ...) before SQLite
 * sets them. string.h, included later, declares the renamed functions
 * again, compatibly. */
#ifdef __cplusplus
extern "C" {
#endif
void* harvey_shm_memcpy(void* dst, const void* src, __SIZE_TYPE__ n);
void* harvey_shm_memset(void* dst, int c, __SIZE_TYPE__ n);
int harvey_shm_memcmp(const void* a, const void* b, __SIZE_TYPE__ n);
#ifdef __cplusplus
}
#endif

#ifndef __cplusplus
#define memcpy harvey_shm_memcpy
#define memset harvey_shm_memset
#define memcmp harvey_shm_memcmp
#endif

#endif /* HARVEY_HARNESS_WORKER_SHM_MEM_H_ */
