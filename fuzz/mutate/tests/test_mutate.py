#!/usr/bin/python3
"""Tests of harvey_mutate.py on sites.c (a CTest test: mutate:tool).

1. The mutants found are exactly expected.txt (operator, function, line,
   original -> mutated), in source order.
2. Ids are stable: a second run gives the same manifest, and a copy of
   sites.c with lines and a new function inserted above keeps every id (the
   lines move, the ids do not).
3. The schemata compiles; HARVEY_MUTANT unset and =0 print what the
   original program prints; every mutant prints something else (main() is
   written so each one shows), and an unknown id behaves like 0.
Exit 0 pass, 1 fail, 77 skipped (no clang bindings or no C compiler).
"""
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TOOL = os.path.join(HERE, "..", "harvey_mutate.py")
SKIP = 77


def run_tool(src, tmp, tag, schemata=False):
    manifest = os.path.join(tmp, tag + ".tsv")
    cmd = [sys.executable, TOOL, src, "--region", "whole", "--manifest", manifest]
    if schemata:
        cmd += ["--schemata", os.path.join(tmp, tag + "-schemata.c")]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode == 3:
        print("SKIP: " + p.stderr.strip())
        sys.exit(SKIP)
    if p.returncode != 0:
        print("FAIL: harvey_mutate.py exited %d: %s" % (p.returncode, p.stderr))
        sys.exit(1)
    rows = []
    with open(manifest) as f:
        for line in f:
            if not line.startswith("#"):
                rows.append(line.rstrip("\n").split("\t"))
    return rows


def compile_and_run(cc, src, exe, env_value):
    env = dict(os.environ)
    env.pop("HARVEY_MUTANT", None)
    if env_value is not None:
        env["HARVEY_MUTANT"] = env_value
    return subprocess.run([exe], capture_output=True, text=True, env=env, timeout=10).stdout


def main():
    failures = []
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if cc is None:
        print("SKIP: no C compiler")
        return SKIP
    src = os.path.join(HERE, "sites.c")
    with tempfile.TemporaryDirectory(prefix="harvey-mutate-test-") as tmp:
        rows = run_tool(src, tmp, "a", schemata=True)
        # 1. exactly the expected mutants
        want = []
        with open(os.path.join(HERE, "expected.txt")) as f:
            for line in f:
                if line.strip() and not line.startswith("#"):
                    want.append(line.rstrip("\n").split("\t"))
        got = [[r[2], r[3], r[4], r[5], r[6]] for r in rows]
        if got != want:
            failures.append("mutants differ from expected.txt:\n  got:\n    " +
                            "\n    ".join("\t".join(g) for g in got))
        for r in rows:
            num, ident = int(r[0]), r[1]
            if not (0 < num < 1 << 24) or ident != "%s:%s:%06x" % (r[2], r[3], num):
                failures.append("id %s does not match its number %s" % (ident, r[0]))
        # 2. stable ids
        again = run_tool(src, tmp, "b")
        if again != rows:
            failures.append("a second run gave another manifest")
        moved = os.path.join(tmp, "moved.c")
        with open(src) as f:
            text = f.read()
        extra = "/* three\n** more\n** lines */\nstatic int walExtra(int mxFrame) { return mxFrame > 2; }\n"
        with open(moved, "w") as f:
            f.write(text.replace("struct Wal {", extra + "struct Wal {", 1))
        shifted = run_tool(moved, tmp, "c")
        old = {r[1]: int(r[4]) for r in rows}
        new = {r[1]: int(r[4]) for r in shifted}
        for ident, line in old.items():
            if new.get(ident) != line + 4:
                failures.append("id %s: line %d before, %s after 4 lines were inserted above" %
                                (ident, line, new.get(ident)))
        if len(new) != len(old) + 3:  # walExtra: relop, plus-one, minus-one (no condition)
            failures.append("%d mutants after inserting walExtra, want %d" % (len(new), len(old) + 3))
        # 3. the schemata
        orig_exe = os.path.join(tmp, "orig")
        schem_exe = os.path.join(tmp, "schemata")
        for source, exe in ((src, orig_exe), (os.path.join(tmp, "a-schemata.c"), schem_exe)):
            p = subprocess.run([cc, "-w", "-o", exe, source], capture_output=True, text=True)
            if p.returncode != 0:
                print("FAIL: %s does not compile:\n%s" % (source, p.stderr))
                return 1
        original = compile_and_run(cc, src, orig_exe, None)
        for value in (None, "0", "999"):
            out = compile_and_run(cc, src, schem_exe, value)
            if out != original:
                failures.append("HARVEY_MUTANT=%s prints %r, the original %r" % (value, out, original))
        for r in rows:
            out = compile_and_run(cc, src, schem_exe, r[0])
            if out == original:
                failures.append("mutant %s (%s) prints what the original prints" % (r[0], r[1]))
    if failures:
        print("FAIL:\n" + "\n".join(failures))
        return 1
    print("PASS: %d mutants as expected, ids stable, schemata id 0 = original, every mutant differs"
          % len(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
