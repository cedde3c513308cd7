#!/usr/bin/python3
"""harvey_mutate: mutants of SQLite's WAL code from its syntax tree (libclang).

Usage (run with Debian's /usr/bin/python3, where python3-clang-14 lives):

  harvey_mutate.py SOURCE.c --region wal.c [-D NAME[=VALUE]]... \
      [--manifest OUT.tsv] [--json OUT.json] [--schemata OUT.c] [--list]

SOURCE.c is parsed with the -D options given (the build's, see
cmake/HarveySqlite.cmake), so only code the build compiles is seen: libclang's
AST has no #if'd-out code. The sites are the function definitions whose body
lies in REGION: for an amalgamation, the part between its
"/****** Begin file REGION ***" and "/****** End of REGION ***" comments
(repeatable; "whole" = the whole file, for the tests).

Operators (each site's exact source range comes from the AST's extents):
  delete-call   a call statement to a lock, unlock, barrier, sync, atomic
                store, header write, checksum, write, truncate or shm call
  negate-cond   if/while/for/do/?: condition -> !(cond)
  true-cond     condition -> 1
  false-cond    condition -> 0
  relop         < <= > >= == != -> the boundary-shifted (or flipped) operator
  plus-one      frame/page counter read in a comparison or assignment -> +1
  minus-one     (same sites) -> -1

Stable ids: "OP:FUNCTION:HASH6" with HASH6 the first six hex digits of the
SHA-1 of operator, function, the site's text and the text of the statement
around it (whitespace-normalised) and its ordinal among identical sites of
that function; the runtime id (HARVEY_MUTANT) is HASH6 read as a number. No
line numbers go in, so ids survive edits elsewhere in the file.

Outputs:
  --manifest  tab-separated: num, id, op, function, line, original, mutated, changed line
  --json      the same as a JSON array
  --schemata  SOURCE.c with every site compiled in once behind a runtime
              guard: expressions become (HARVEY_MUTANT_IS(N) ? (mutated) : (original)),
              deleted statements "if (HARVEY_MUTANT_IS(N)) {} else stmt;". The id is read
              once at start (a constructor) from the environment variable
              HARVEY_MUTANT (unset or 0 = the unmutated program).
Exit codes: 0 ok, 2 usage/input error, 3 libclang missing, 4 an internal
inconsistency (overlapping sites, an id collision).
"""
import argparse
import hashlib
import json
import re
import sys

LIBCLANG = "/usr/lib/llvm-14/lib/libclang.so.1"

# Calls whose deletion is a WAL-protocol fault: locks, unlocks, barriers,
# syncs, atomic stores, header writes, checksums, writes, truncates, shm.
CALL_PATTERN = re.compile(
    r"(lock|barrier|sync|atomic_store|hdr|header|checksum|write|truncate|restart)", re.I)
# Calls never worth deleting (debug output, no-ops in release builds).
CALL_SKIP = {"sqlite3_log", "sqlite3DebugPrintf", "printf", "fprintf"}
# Frame and page counters (the off-by-one operators read these).
COUNTER_PATTERN = re.compile(
    r"^(mxFrame|nBackfill|nBackfillAttempted|iFrame|mxSafeFrame|minFrame|iRead|iLast|"
    r"iZero|nPage|mxPage|pgno|nTruncate)$")
DEFAULT_OPS = ["delete-call", "negate-cond", "relop", "plus-one", "minus-one"]
ALL_OPS = DEFAULT_OPS + ["true-cond", "false-cond"]
COND_OPS = ("negate-cond", "true-cond", "false-cond")
RELOP_SWAP = {"<": "<=", "<=": "<", ">": ">=", ">=": ">", "==": "!=", "!=": "=="}
HEADER = """/* ---- harvey mutant schemata (fuzz/mutate/harvey_mutate.py): generated ----
** Every mutant of the sites below is compiled in once; HARVEY_MUTANT (an
** environment variable read once at start) chooses the one that is active.
** Unset or 0: the unmutated program. No header is included here so that
** SQLite's own feature macros come first.
*/
extern char *getenv(const char *);
static int harvey_mutant_active = 0;
__attribute__((constructor)) static void harvey_mutant_init(void) {
  const char *e = getenv("HARVEY_MUTANT");
  int v = 0;
  while (e && *e >= '0' && *e <= '9') v = v * 10 + (*e++ - '0');
  harvey_mutant_active = v;
}
#define HARVEY_MUTANT_IS(n) (harvey_mutant_active == (n))
/* The active mutant (0: none), and whether this build has mutant n. */
int harvey_mutant_id(void) { return harvey_mutant_active; }
static const int harvey_mutant_ids[] = {%(ids)s};
int harvey_mutant_known(int n) {
  unsigned i;
  if (n == 0) return 1;
  for (i = 0; i < sizeof(harvey_mutant_ids) / sizeof(harvey_mutant_ids[0]); i++) {
    if (harvey_mutant_ids[i] == n) return 1;
  }
  return 0;
}
/* ---- end of the harvey header ---- */
"""


def fail(code, msg):
    print("harvey_mutate: " + msg, file=sys.stderr)
    sys.exit(code)


def load_clang():
    try:
        import clang.cindex as ci
    except ImportError:
        fail(3, "no clang Python bindings (apt-get install python3-clang-14 libclang-14-dev; "
                "run with /usr/bin/python3)")
    try:
        ci.Config.set_library_file(LIBCLANG)
        ci.Index.create()
    except Exception as e:  # a missing libclang.so raises LibclangError
        fail(3, "cannot load %s (%s): apt-get install libclang-14-dev" % (LIBCLANG, e))
    return ci


class Site:
    """One mutant: `op` on source bytes [start, end) in `func`."""

    def __init__(self, op, func, start, end, mutate, context):
        self.op, self.func, self.start, self.end = op, func, start, end
        self.mutate = mutate      # render(s, e) -> mutated text of [start, end)
        self.context = context    # source text around the site (for the id)
        self.id = self.num = None
        self.line = self.original = self.mutated = self.changed_line = ""


class Node:
    """A source range with edits: a statement deletion or a group of
    expression mutants on the same range; children are nested nodes."""

    def __init__(self, start, end, kind):
        self.start, self.end, self.kind = start, end, kind
        self.sites = []
        self.children = []


def regions(text, names):
    """[(start, end)] byte ranges of the named amalgamation parts."""
    if names == ["whole"]:
        return [(0, len(text))]
    out = []
    for name in names:
        b = text.find(b"/************** Begin file " + name.encode() + b" ")
        e = text.find(b"/************** End of " + name.encode() + b" ")
        if b < 0 or e < b:
            fail(2, "no 'Begin file %s' / 'End of %s' markers in the source" % (name, name))
        out.append((b, e))
    return out


def norm(b):
    return " ".join(b.decode("utf-8", "replace").split())


class Finder:
    def __init__(self, ci, text, path, ranges, ops):
        self.ci, self.text, self.path, self.ranges, self.ops = ci, text, path, ranges, set(ops)
        self.K = ci.CursorKind
        self.sites = []
        self.conditions = set()  # (start, end) of every condition seen

    def in_region(self, c):
        e = c.extent
        if e.start.file is None or e.end.file is None:
            return False
        if e.start.file.name != self.path or e.end.file.name != self.path:
            return False
        s, t = e.start.offset, e.end.offset
        return t > s and any(a <= s and t <= b for a, b in self.ranges)

    def span(self, c):
        return c.extent.start.offset, c.extent.end.offset

    def add(self, op, func, start, end, mutate, ctx):
        if op not in self.ops:
            return
        self.sites.append(Site(op, func, start, end, mutate, norm(self.text[ctx[0]:ctx[1]])))

    def run(self, tu):
        for c in tu.cursor.get_children():
            if c.kind == self.K.FUNCTION_DECL and c.is_definition() and self.in_region(c):
                body = [x for x in c.get_children() if x.kind == self.K.COMPOUND_STMT]
                if body:
                    self.walk(body[0], c.spelling, self.span(body[0]))
        return self.sites

    # ---- the walk: statement context first, then expressions
    def walk(self, c, func, stmt_ctx):
        K = self.K
        kids = list(c.get_children())
        for k in self.bodies(c, kids):
            self.statement(k, func)
        cond = self.condition_of(c, kids)
        if cond is not None and self.in_region(cond) and self.delimited(c, cond):
            self.condition(cond, func, self.span(c) if c.kind != K.IF_STMT else
                           (c.extent.start.offset, cond.extent.end.offset))
        if c.kind == K.BINARY_OPERATOR and self.in_region(c):
            self.binary(c, kids, func, stmt_ctx)
        for k in kids:
            ctx = self.span(k) if k.kind in (K.COMPOUND_STMT,) else stmt_ctx
            if self.is_statement(k):
                ctx = self.span(k)
            self.walk(k, func, ctx)

    def delimited(self, c, cond):
        """The condition is spelled in the file where its construct puts it:
        `(cond)` for if/while/do, `;cond;` for for, `cond ?` for ?:. A
        construct from a macro body has the macro's invocation as the extent
        of its condition, which fails this (and must not be mutated)."""
        K = self.K
        s, e = self.span(cond)
        before = self.text[:s].rstrip()[-1:]
        after = self.text[e:].lstrip()[:1]
        if c.kind == K.CONDITIONAL_OPERATOR:
            return after == b"?"
        if c.kind == K.FOR_STMT:
            return before == b";" and after == b";"
        return before == b"(" and after == b")"

    def bodies(self, c, kids):
        """The children of `c` that are statements in their own right."""
        K = self.K
        if c.kind == K.COMPOUND_STMT:
            return kids
        if c.kind == K.IF_STMT:
            return kids[1:]
        if c.kind in (K.WHILE_STMT, K.FOR_STMT, K.CASE_STMT, K.DEFAULT_STMT, K.LABEL_STMT) and kids:
            return kids[-1:]
        if c.kind == K.DO_STMT and kids:
            return kids[:1]
        return []

    def is_statement(self, c):
        K = self.K
        return c.kind.is_statement() or c.kind in (K.DECL_STMT,)

    def condition_of(self, c, kids):
        K = self.K
        if c.kind in (K.IF_STMT, K.WHILE_STMT, K.CONDITIONAL_OPERATOR) and kids:
            return kids[0]
        if c.kind == K.DO_STMT and len(kids) >= 2:
            return kids[1]
        if c.kind == K.FOR_STMT:
            # for(init; cond; inc) body: libclang drops empty parts; find the
            # expression that lies between the two ';' tokens.
            toks = [t for t in c.get_tokens()]
            semis = [t.extent.start.offset for t in toks if t.spelling == ";"][:2]
            if len(semis) == 2:
                for k in kids:
                    s, e = self.span(k)
                    if semis[0] < s and e <= semis[1]:
                        return k
        return None

    def call_of(self, c):
        """The call of an expression statement `f(...)` or `(void)f(...)`."""
        K = self.K
        while c.kind in (K.CSTYLE_CAST_EXPR, K.UNEXPOSED_EXPR, K.PAREN_EXPR):
            kids = list(c.get_children())
            if len(kids) != 1:
                return None
            c = kids[-1]
        return c if c.kind == K.CALL_EXPR else None

    def statement(self, s, func):
        call = self.call_of(s)
        if call is None or not self.in_region(s):
            return
        name = call.spelling
        if name in CALL_SKIP or not CALL_PATTERN.search(name or ""):
            return
        start, end = self.span(s)
        text = self.text[start:end]
        # The statement must start where the call (or its cast) is spelled.
        if not text or text[:1] in b" \t\n;":
            return
        self.add("delete-call", func, start, end, None, (start, end))

    def condition(self, cond, func, ctx):
        s, e = self.span(cond)
        self.conditions.add((s, e))
        self.add("negate-cond", func, s, e, lambda r, s=s, e=e: "!(" + r(s, e) + ")", ctx)
        self.add("true-cond", func, s, e, lambda r: "1", ctx)
        self.add("false-cond", func, s, e, lambda r: "0", ctx)

    def binary(self, c, kids, func, ctx):
        if len(kids) != 2:
            return
        lhs, rhs = kids
        ls, le = self.span(lhs)
        rs, re_ = self.span(rhs)
        s, e = self.span(c)
        if not (s == ls and le <= rs and re_ == e) or not self.in_region(lhs) or not self.in_region(rhs):
            return
        between = self.text[le:rs].strip()
        op = between.decode("ascii", "replace")
        if op in RELOP_SWAP:
            new = RELOP_SWAP[op]
            if op in ("==", "!=") and (s, e) in self.conditions:
                return  # flipping a whole condition's == is negate-cond: no new mutant
            self.add("relop", func, s, e,
                     lambda r, s=s, le=le, rs=rs, e=e, new=new: r(s, le) + " " + new + " " + r(rs, e), ctx)
            for side in (lhs, rhs):
                self.counter(side, func, ctx)
        elif op == "=":
            self.counter(rhs, func, ctx)

    def counter(self, c, func, ctx):
        K = self.K
        inner = c
        while inner.kind == K.UNEXPOSED_EXPR and len(list(inner.get_children())) == 1:
            inner = list(inner.get_children())[0]
        if inner.kind not in (K.DECL_REF_EXPR, K.MEMBER_REF_EXPR):
            return
        if not COUNTER_PATTERN.match(inner.spelling or ""):
            return
        s, e = self.span(c)
        if not self.in_region(c) or not self.text[s:e].rstrip().endswith(inner.spelling.encode()):
            return  # spelled inside a macro: not this range's text
        if inner.type.get_canonical().kind.name not in ("INT", "UINT", "LONG", "ULONG", "LONGLONG",
                                                        "ULONGLONG", "SHORT", "USHORT", "UCHAR"):
            return
        self.add("plus-one", func, s, e, lambda r, s=s, e=e: "(" + r(s, e) + ") + 1", ctx)
        self.add("minus-one", func, s, e, lambda r, s=s, e=e: "(" + r(s, e) + ") - 1", ctx)


def assign_ids(sites, text):
    seen = {}
    by_num = {}
    for st in sorted(sites, key=lambda x: (x.start, x.end, x.op)):
        site_text = norm(text[st.start:st.end])
        key = (st.op, st.func, site_text, st.context)
        ordinal = seen.get(key, 0)
        seen[key] = ordinal + 1
        h = hashlib.sha1("\x00".join([st.op, st.func, site_text, st.context, str(ordinal)])
                         .encode()).hexdigest()
        st.num = int(h[:6], 16)
        st.id = "%s:%s:%s" % (st.op, st.func, h[:6])
        if st.num == 0 or st.num in by_num:
            fail(4, "id collision: %s and %s (add text to the hash)" % (st.id, by_num.get(st.num)))
        by_num[st.num] = st.id


def build_tree(sites):
    """Nest the edit ranges; same-range expression sites share a node."""
    nodes = {}
    for st in sites:
        kind = "stmt" if st.op == "delete-call" else "expr"
        nodes.setdefault((st.start, st.end, kind), Node(st.start, st.end, kind)).sites.append(st)
    order = sorted(nodes.values(), key=lambda n: (n.start, -n.end, 0 if n.kind == "stmt" else 1))
    root = Node(0, 1 << 62, "root")
    stack = [root]
    for n in order:
        while not (stack[-1].start <= n.start and n.end <= stack[-1].end):
            stack.pop()
        top = stack[-1]
        if top.children and top.children[-1].end > n.start and not (
                top.children[-1].start <= n.start and n.end <= top.children[-1].end):
            fail(4, "overlapping sites at bytes %d-%d" % (n.start, n.end))
        top.children.append(n)
        stack.append(n)
    return root


def render(text, node, s, e):
    """Source bytes [s, e) with the schemata of every child node of `node` in it."""
    out, pos = [], s
    for ch in node.children:
        if ch.start < s or ch.end > e:
            continue
        out.append(text[pos:ch.start].decode("latin-1"))
        out.append(render_node(text, ch))
        pos = ch.end
    out.append(text[pos:e].decode("latin-1"))
    return "".join(out)


def render_node(text, n):
    r = lambda s, e: render(text, n, s, e)
    original = r(n.start, n.end)
    if n.kind == "stmt":
        (st,) = n.sites
        return "if (HARVEY_MUTANT_IS(%d)) {} else %s" % (st.num, original)
    chain = "".join("HARVEY_MUTANT_IS(%d) ? (%s) : " % (st.num, st.mutate(r)) for st in n.sites)
    if any(st.op in COND_OPS for st in n.sites):
        # A condition is used only for its truth: !! makes a pointer condition
        # an int like its mutants (no pointer/integer mix in the ?:).
        return "(%s!!(%s))" % (chain, original)
    return "(%s(%s))" % (chain, original)


def describe(text, sites, root):
    """Fills line, original, mutated and changed_line of every site."""
    def find(node, st):
        for ch in node.children:
            if st in ch.sites:
                return node, ch
            if ch.start <= st.start and st.end <= ch.end:
                got = find(ch, st)
                if got:
                    return got
        return None
    plain = Node(0, 0, "root")  # render() with no children: the original text
    for st in sites:
        st.line = text.count(b"\n", 0, st.start) + 1
        ls = text.rfind(b"\n", 0, st.start) + 1
        le = text.find(b"\n", st.start)
        st.changed_line = text[ls:le].decode("latin-1").strip()
        st.original = " ".join(text[st.start:st.end].decode("latin-1").split())
        if st.op == "delete-call":
            st.mutated = "(deleted)"
        else:
            st.mutated = " ".join(st.mutate(lambda s, e: render(text, plain, s, e)).split())


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("source")
    ap.add_argument("--region", action="append", default=[],
                    help="amalgamation part (wal.c); 'whole' = the whole file")
    ap.add_argument("-D", dest="defines", action="append", default=[])
    ap.add_argument("--ops", default="default",
                    help="comma-separated operators, 'default' (all but true/false-cond) or 'all'")
    ap.add_argument("--manifest")
    ap.add_argument("--json")
    ap.add_argument("--schemata")
    ap.add_argument("--list", action="store_true", help="print the manifest on stdout")
    a = ap.parse_args(argv)
    if not a.region:
        a.region = ["wal.c"]
    try:
        with open(a.source, "rb") as f:
            text = f.read()
    except OSError as e:
        fail(2, "%s: cannot read: %s" % (a.source, e.strerror))
    ci = load_clang()
    ranges = regions(text, a.region)
    args = ["-D" + d for d in a.defines] + ["-x", "c", "-std=gnu11"]
    tu = ci.Index.create().parse(a.source, args=args)
    errors = [d for d in tu.diagnostics if d.severity >= ci.Diagnostic.Error]
    if errors:
        fail(2, "%s: does not parse: %s" % (a.source, errors[0]))
    ops = ALL_OPS if a.ops == "all" else DEFAULT_OPS if a.ops == "default" else a.ops.split(",")
    for op in ops:
        if op not in ALL_OPS:
            fail(2, "unknown operator %r (want %s, default or all)" % (op, ", ".join(ALL_OPS)))
    sites = Finder(ci, text, tu.spelling, ranges, ops).run(tu)
    if not sites:
        fail(2, "%s: no mutation sites in %s" % (a.source, ", ".join(a.region)))
    assign_ids(sites, text)
    root = build_tree(sites)
    describe(text, sites, root)
    sites.sort(key=lambda x: (x.start, x.end, x.op))
    rows = [{"num": st.num, "id": st.id, "op": st.op, "function": st.func, "line": st.line,
             "original": st.original, "mutated": st.mutated, "changed_line": st.changed_line}
            for st in sites]
    cols = ["num", "id", "op", "function", "line", "original", "mutated", "changed_line"]
    tsv = "#" + "\t".join(cols) + "\n" + "".join(
        "\t".join(str(r[c]).replace("\t", " ") for c in cols) + "\n" for r in rows)
    if a.manifest:
        with open(a.manifest, "w") as f:
            f.write(tsv)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(rows, f, indent=1)
    if a.list:
        sys.stdout.write(tsv)
    if a.schemata:
        body = render(text, root, 0, len(text))
        ids = ", ".join(str(st.num) for st in sites)
        with open(a.schemata, "w", encoding="latin-1") as f:
            f.write(HEADER % {"ids": ids})
            f.write("#line 1 \"%s\"\n" % a.source)
            f.write(body)
    counts = {}
    for st in sites:
        counts[st.op] = counts.get(st.op, 0) + 1
    print("harvey_mutate: %d mutants in %d functions (%s)" % (
        len(sites), len({st.func for st in sites}),
        ", ".join("%s %d" % kv for kv in sorted(counts.items()))), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
