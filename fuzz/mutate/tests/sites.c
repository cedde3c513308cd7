/* Known mutation sites for fuzz/mutate/tests/test_mutate.py: every site's
** mutants are listed in expected.txt, and main()'s output tells each mutant
** apart from the original (so the schemata's guards are exercised). */
#include <stdio.h>

struct Wal {
  unsigned mxFrame;
  unsigned nBackfill;
  int locked;
};

static void walLockShared(struct Wal *p) { p->locked += 1; }
static void walUnlockShared(struct Wal *p) { p->locked -= 1; }

static int walFrameCount(struct Wal *p, unsigned iFrame) {
  walLockShared(p);
  if (iFrame <= p->mxFrame) return 1;
  return 0;
}

static unsigned walBackfill(struct Wal *p) {
  unsigned n = 0;
  for (unsigned i = 0; i < p->mxFrame; i++) n += 1;
  if (p->locked == 3 && n >= 5) walLockShared(p);
  else walUnlockShared(p);
  p->nBackfill = p->mxFrame;
  return p->locked == 4 ? n : 7;
}

int main(void) {
  struct Wal a = {5, 0, 0};
  struct Wal b = {6, 0, 0};
  unsigned n;
  for (unsigned i = 4; i <= 6; i++) printf("%d", walFrameCount(&a, i));
  n = walBackfill(&a);
  printf(" %u %d %u", n, a.locked, a.nBackfill);
  n = walBackfill(&b);
  printf(" %u %d %u\n", n, b.locked, b.nBackfill);
  /* A condition and a comparison inside a macro body: not sites (mutating
  ** the invocation's text would change what the macro computes). */
#define MIN(x, y) ((x) < (y) ? (x) : (y))
  printf("%u\n", MIN(b.nBackfill, 4u));
  return 0;
}
