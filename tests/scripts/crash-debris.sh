#!/usr/bin/env bash
# No debris after a crashed coordinator (issue 19): SIGKILL the coordinator
# of a fuzz campaign on BOUNDARY once its sandboxes run and, without
# starting harvey again, find within 5 s no process, runc container, mount
# or scratch directory of it.
#
#   tests/scripts/crash-debris.sh BUILD_DIR oci|ns|sshfs|fork
#
# "Of it": a process whose environment names it (HARVEY_COORDINATOR=<pid>,
# set for every tool harvey starts and inherited by sandbox hosts and their
# workers), or whose command line names this test's scratch parent (the
# coordinator's own forks: fork workers, the janitor); a runc container
# harvey-<pid>-*; a mount whose path holds harvey-<pid>- or the scratch
# parent; a directory harvey-<pid>-* in /tmp or the scratch parent.
# Exit 77 (CTest SKIP_RETURN_CODE): the boundary is unavailable here.
set -u
build=$(cd "$1" && pwd)
boundary=$2
harvey=$build/harvey
parent=$(mktemp -d /tmp/harvey-debristest-XXXXXX)
coord=""
finish() {
  [ -n "$coord" ] && kill -9 "$coord" 2>/dev/null
  rm -rf "$parent"
}
trap finish EXIT

debris() {  # prints one line per leftover of coordinator $coord
  local f p
  # One grep over every process (NUL-separated fields: -z), fast enough to
  # poll every 100 ms on a loaded machine; the patterns are bracketed so the
  # greps do not match their own command lines.
  for f in $( (grep -lsxz "[H]ARVEY_COORDINATOR=$coord" /proc/[0-9]*/environ
              grep -lsxz -- "[${parent:0:1}]${parent:1}" /proc/[0-9]*/cmdline) 2>/dev/null | sort -u); do
    p=${f#/proc/}
    p=${p%%/*}
    [ "$p" = "$$" ] || [ "$p" = "$BASHPID" ] && continue
    echo "process $p: $(tr '\0' ' ' 2>/dev/null < "/proc/$p/cmdline")"
  done
  if command -v runc > /dev/null; then
    runc list --quiet 2>/dev/null | grep "^harvey-$coord-" | sed 's/^/runc container /'
  fi
  grep -E "harvey-$coord-|$parent" /proc/self/mountinfo | awk '{print "mount " $5}'
  ls -d /tmp/harvey-"$coord"-* "$parent"/harvey-"$coord"-* 2>/dev/null | sed 's/^/directory /'
}

"$harvey" fuzz --boundary "$boundary" --seed 21 --time 300 --scratch "$parent" --out "$parent/out" \
  > "$parent/log" 2>&1 &
coord=$!
# Running: the sandbox hosts (or, on fork, the workers) are up.
up=""
for _ in $(seq 600); do
  sleep 0.1
  if ! kill -0 "$coord" 2>/dev/null; then
    wait "$coord"
    code=$?
    coord=""
    [ "$code" = 3 ] && { echo "SKIP: boundary $boundary unavailable here: $(tail -1 "$parent/log")"; exit 77; }
    echo "FAIL: harvey fuzz exited $code before it was killed"; cat "$parent/log"; exit 1
  fi
  if [ "$boundary" = fork ]; then
    [ -n "$(pgrep -P "$coord")" ] && up=1
  else
    for p in $(pgrep -f "__host --fd"); do
      tr '\0' '\n' < "/proc/$p/environ" 2>/dev/null | grep -qx "HARVEY_COORDINATOR=$coord" && up=1
    done
  fi
  [ -n "$up" ] && break
done
[ -n "$up" ] || { echo "FAIL: no worker or sandbox host of $coord within 60 s"; cat "$parent/log"; exit 1; }
sleep 2  # a few schedules in
echo "before the kill:"; debris | sed 's/^/  /'
kill -9 "$coord"
wait "$coord" 2>/dev/null
start=$(date +%s%N)
left=""
for _ in $(seq 50); do
  left=$(debris)
  [ -z "$left" ] && break
  sleep 0.1
done
took_ms=$(( ($(date +%s%N) - start) / 1000000 ))
if [ -n "$left" ]; then
  echo "FAIL: 5 s after SIGKILL of the $boundary coordinator $coord, still there:"
  echo "$left"
  exit 1
fi
echo "ok: nothing of the $boundary coordinator $coord left ${took_ms} ms after its SIGKILL"
