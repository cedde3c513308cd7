#!/usr/bin/env bash
# Harness errors are never dressed as findings (issue 19): each injected
# failure of harvey or its environment must end the command with exit 4 (3
# for a missing piece) and words saying it is harvey's problem — never
# "MISMATCH", never exit 1.
#
#   tests/scripts/harness-errors.sh BUILD_DIR CASE
#
# CASE:
#   missing-build   a worker's SQLite build vanishes mid-run (its executable
#                   deletes itself after its first start; a power loss then
#                   restarts the worker): run -> exit 3
#   unexecutable    a worker's executable cannot be exec'd (not a program):
#                   run, shrink and matrix -> exit 4
#   killed-host     the ns sandbox host of a fuzz campaign is SIGKILLed
#                   mid-campaign: fuzz -> exit 4
#   hung-worker     a fork worker is SIGSTOPped mid-campaign and stays silent
#                   past harvey's limit (HARVEY_WORKER_LIMIT_MS=1500): fuzz -> exit 4
#   selftest-limit  every worker is "hung" under a 1 ms limit: selftest -> exit 4
#                   (a calibration campaign's harness error is no skip, no FAIL row)
# Exit 77: the case cannot run here (CTest SKIP_RETURN_CODE), with the reason.
set -u
build=$(cd "$1" && pwd)
case_name=$2
harvey=$build/harvey
version=3.54.1
work=$(mktemp -d /tmp/harvey-errtest-XXXXXX)
bg=""
cleanup() {
  [ -n "$bg" ] && kill -9 "$bg" 2>/dev/null && wait "$bg" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "FAIL ($case_name): $*"; echo "--- stderr:"; cat "$work/err" 2>/dev/null; exit 1; }
skip() { echo "SKIP ($case_name): $*"; exit 77; }

# expect CODE WORDS...: the last command's exit code and stderr wording.
expect() {
  local want=$1 got=$2
  shift 2
  [ "$got" = "$want" ] || fail "exit $got, expected $want"
  grep -q "MISMATCH" "$work/err" && fail "a harness failure was reported as a MISMATCH"
  for w in "$@"; do grep -qiE -- "$w" "$work/err" || fail "stderr does not say '$w'"; done
  echo "ok ($case_name): exit $got, says: $(grep -iE -m1 -- "$1" "$work/err")"
}

# A private copy of harvey, so the builds beside it are ours to break.
private_harvey() {
  [ -x "$build/harvey-sqlite-$version" ] || skip "harvey-sqlite-$version is not built (ci/fetch-sqlite; -DHARVEY_SQLITE_VERSIONS=default)"
  mkdir -p "$work/bin"
  cp "$harvey" "$work/bin/harvey"
}

schedule_two_builds() {  # w2 runs $version; a power loss restarts every worker
  cat > "$work/case.sched" <<SCHED
harvey-schedule 1
config synchronous full
config seed 3
worker w1
worker w2
sqlite w2 $version
w1 write 1 16
w2 write 2 16
w1 power-loss 7
w2 read 1
SCHED
}

case $case_name in
  missing-build)
    private_harvey
    schedule_two_builds
    # Starts the real build; its second start (harvey's spare worker of
    # that build, forked while the first opens its connection:
    # harness/boundary/fork_launcher.cc) removes it, so the restart after
    # the power loss finds no build. Not the first start: two processes
    # start it at once, and one would find it gone before opening it.
    cat > "$work/bin/harvey-sqlite-$version" <<SH
#!/bin/sh
mkdir "$work/started" 2>/dev/null || rm -f "\$0"
exec "$build/harvey-sqlite-$version" "\$@"
SH
    chmod +x "$work/bin/harvey-sqlite-$version"
    "$work/bin/harvey" run "$work/case.sched" --boundary fork --scratch "$work" 2> "$work/err"
    expect 3 $? "not a finding" "not built"
    ;;
  unexecutable)
    private_harvey
    schedule_two_builds
    printf 'this is not a program\n' > "$work/bin/harvey-sqlite-$version"
    chmod +x "$work/bin/harvey-sqlite-$version"
    "$work/bin/harvey" run "$work/case.sched" --boundary fork --scratch "$work" 2> "$work/err"
    expect 4 $? "harness error" "could not be run"
    "$work/bin/harvey" shrink "$work/case.sched" --boundary fork --scratch "$work" --out "$work/shrunk.sched" 2> "$work/err"
    expect 4 $? "harness error" "could not be run"
    mkdir -p "$work/corpus" && cp "$work/case.sched" "$work/corpus/"
    "$work/bin/harvey" matrix "$work/corpus" --boundaries fork --scratch "$work" > "$work/out" 2> "$work/err"
    code=$?
    cat "$work/out" >> "$work/err"
    expect 4 $code "harness error"
    ;;
  killed-host)
    command -v bwrap > /dev/null || skip "bwrap is not installed (the ns boundary)"
    "$harvey" fuzz --boundary ns --seed 11 --time 120 --scratch "$work" --out "$work/out" 2> "$work/err" &
    bg=$!
    host=""
    for _ in $(seq 300); do
      sleep 0.1
      kill -0 "$bg" 2>/dev/null || break
      # The host itself (a child of bwrap), not bwrap (whose command line
      # names it too) nor one of its workers (forks of it: same command line).
      for p in $(pgrep -x harvey); do
        [ "$(cat "/proc/$(ps -o ppid= -p "$p" | tr -d ' ')/comm" 2>/dev/null)" = bwrap ] || continue
        if tr '\0' '\n' 2>/dev/null < "/proc/$p/environ" | grep -qx "HARVEY_COORDINATOR=$bg"; then host=$p; break; fi
      done
      [ -n "$host" ] && break
    done
    if [ -z "$host" ]; then
      wait "$bg"; code=$?; bg=""
      [ "$code" = 3 ] && skip "the ns boundary is unavailable here: $(tail -1 "$work/err")"
      fail "no sandbox host appeared (fuzz exited $code)"
    fi
    sleep 1
    echo "killing sandbox host $host ($(tr '\0' ' ' < "/proc/$host/cmdline" 2>/dev/null)) of coordinator $bg"
    [ -n "${HARVEY_TEST_VERBOSE:-}" ] && pstree -p "$bg"
    kill -9 "$host"
    for _ in $(seq 600); do kill -0 "$bg" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$bg" 2>/dev/null && fail "fuzz did not stop within 60 s of its sandbox host's death"
    wait "$bg"; code=$?; bg=""
    expect 4 $code "harness error, not a finding" "sandbox host is gone|worker host did not answer"
    ;;
  hung-worker)
    HARVEY_WORKER_LIMIT_MS=1500 "$harvey" fuzz --boundary fork --seed 12 --time 120 --kills 0 --power-losses 0 --scratch "$work" \
      --out "$work/out" 2> "$work/err" &
    bg=$!
    worker=""
    for _ in $(seq 300); do
      sleep 0.1
      worker=$(pgrep -P "$bg" | head -1)
      [ -n "$worker" ] && break
    done
    [ -n "$worker" ] || fail "no worker process appeared"
    sleep 0.5
    kill -STOP "$worker" || fail "could not stop worker $worker"
    for _ in $(seq 600); do kill -0 "$bg" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$bg" 2>/dev/null && fail "fuzz did not stop within 60 s of a hung worker"
    wait "$bg"; code=$?; bg=""
    expect 4 $code "harness error" "harvey's limit"
    kill -0 "$worker" 2>/dev/null && fail "the hung worker $worker was left behind"
    ;;
  selftest-limit)
    HARVEY_WORKER_LIMIT_MS=1 "$harvey" selftest --quick --only canary --scratch "$work" > "$work/out" 2> "$work/err"
    code=$?
    cat "$work/out" >> "$work/err"
    expect 4 $code "HARNESS ERROR \\(harvey's problem, not a finding\\)" "harvey's limit"
    ;;
  *)
    echo "usage: $0 BUILD_DIR missing-build|unexecutable|killed-host|hung-worker|selftest-limit" >&2
    exit 2
    ;;
esac
exit 0
