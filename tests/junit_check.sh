#!/usr/bin/env bash
# CTest: `--junit FILE` on fuzz, matrix and selftest writes XML that
# tests/junit-10.xsd (the Jenkins/Ant JUnit shape CI systems read) accepts,
# with one testcase per schedule batch / matrix cell / calibration class, and
# a mismatch's <failure> carries the replay command. Also checks that `harvey
# fuzz` writes finding-N.html beside finding-N.sched.
#
# usage: junit_check.sh HARVEY XSD CORPUS_DIR
# Exit 77 (CTest SKIP_RETURN_CODE) when xmllint is missing.
set -uo pipefail
harvey=$1 xsd=$2 corpus=$3
command -v xmllint >/dev/null || { echo "SKIP: xmllint is not installed (Debian libxml2-utils; ci/setup installs it)"; exit 77; }
work=$(mktemp -d "${TMPDIR:-/tmp}/harvey-junit.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
valid() { xmllint --noout --schema "$xsd" "$1" || fail "$1 does not validate against $xsd"; }
testcases() { grep -c '<testcase ' "$1"; }
failure_has() {  # FILE TEXT: some <failure> element's body contains TEXT
  xmllint --xpath "//failure[contains(., '$2')]" "$1" >/dev/null 2>&1
}

# The schema is not vacuous: a testcase without a name, and a count that is
# not a number, are rejected.
printf '<testsuites><testsuite name="x" tests="1" failures="0" errors="0" skipped="0" time="0"><testcase classname="c" time="0"/></testsuite></testsuites>\n' >"$work/bad1.xml"
printf '<testsuites><testsuite name="x" tests="one" failures="0" errors="0" skipped="0" time="0"/></testsuites>\n' >"$work/bad2.xml"
for b in bad1 bad2; do
  xmllint --noout --schema "$xsd" "$work/$b.xml" 2>/dev/null && fail "the schema accepted $b.xml"
done

echo "--- fuzz, clean"
"$harvey" fuzz --boundary fork --count 5 --seed 1 --junit "$work/fuzz.xml" --out "$work/findings" --scratch "$work" \
  || fail "harvey fuzz --count 5 exited $?"
valid "$work/fuzz.xml"
[[ $(testcases "$work/fuzz.xml") == 1 ]] || fail "fuzz: want 1 testcase (one batch), got $(testcases "$work/fuzz.xml")"

echo "--- fuzz, a finding (calibration canary)"
"$harvey" fuzz --boundary fork --count 200 --seed 1 --defect canary --shrink-time 5 --junit "$work/canary.xml" \
  --out "$work/findings" --scratch "$work"
rc=$?
[[ $rc == 1 ]] || fail "harvey fuzz --defect canary exited $rc, want 1"
valid "$work/canary.xml"
grep -q '<failure ' "$work/canary.xml" || fail "fuzz: the finding is not a <failure>"
failure_has "$work/canary.xml" "replay: harvey run" || fail "fuzz: the failure lacks the replay command"
ls "$work"/findings/finding-*.sched >/dev/null 2>&1 || fail "fuzz saved no finding"
for f in "$work"/findings/finding-*.sched; do
  [[ -s "${f%.sched}.html" ]] || fail "fuzz wrote no page beside $f"
  grep -q 'data-harvey-rendered' "${f%.sched}.html" || fail "${f%.sched}.html is not a story page"
done

echo "--- matrix: two corpus cases, fork and inproc, plus one contradicting its expect line"
mkdir -p "$work/corpus"
cp "$corpus/regress/canary-snapshot-forgotten.sched" "$corpus/regress/snapshot-stale-upgrade-busy-snapshot.sched" "$work/corpus/"
grep -v '^expect' "$corpus/regress/canary-snapshot-forgotten.sched" >"$work/corpus/z-contradicts.sched"
"$harvey" matrix "$work/corpus" --boundaries fork,inproc --junit "$work/matrix.xml" --scratch "$work"
rc=$?
[[ $rc == 1 ]] || fail "harvey matrix exited $rc, want 1 (one case contradicts its expect line)"
valid "$work/matrix.xml"
[[ $(testcases "$work/matrix.xml") == 6 ]] || fail "matrix: want 6 testcases (3 cases x 2 columns), got $(testcases "$work/matrix.xml")"
[[ $(grep -c '<failure ' "$work/matrix.xml") == 2 ]] || fail "matrix: want 2 failures (the contradicting case on fork and inproc)"
failure_has "$work/matrix.xml" "replay: harvey run" || fail "matrix: the failure lacks the replay command"

echo "--- selftest: two classes"
"$harvey" selftest --quick --only canary,control-fork --junit "$work/selftest.xml" --scratch "$work" >/dev/null \
  || fail "harvey selftest --quick --only canary,control-fork exited $?"
valid "$work/selftest.xml"
[[ $(testcases "$work/selftest.xml") == 2 ]] || fail "selftest: want 2 testcases, got $(testcases "$work/selftest.xml")"
echo "PASS: fuzz, matrix and selftest JUnit XML valid against $xsd"
