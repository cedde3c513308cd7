#!/usr/bin/env bash
# tests/agent/refusals.sh HARVEY: the command-line faces of the refusals:
# `harvey probe` with a wrong token exits 4 with one line naming the agent;
# two agents on different directories exit 3 naming the one that does not
# see the other's file; a second coordinator is told who is being served;
# an unreachable agent is exit 4, not a finding. Nothing is written.
set -euo pipefail
harvey=$1
tmp=$(mktemp -d /tmp/harvey-agent-test.XXXXXX)
source "$(dirname "$0")/lib.sh"
trap 'stop_agents; rm -rf "$tmp"' EXIT
make_token
mkdir "$tmp/one" "$tmp/two"
start_agent a "$tmp/one"; a=$(addr a)
start_agent b "$tmp/two"; b=$(addr b)
head -c 24 /dev/urandom | base64 >"$tmp/wrong"

rc=0; "$harvey" probe --agent "$a" --token-file "$tmp/wrong" --count 1 2>"$tmp/err" || rc=$?
[[ $rc == 4 ]] || fail "wrong token: exit $rc (want 4): $(cat "$tmp/err")"
grep -q "agent $a: no answer\|refused: wrong token" "$tmp/err" || fail "wrong token: $(cat "$tmp/err")"
grep -q "wrong token" "$tmp/a.log" || fail "wrong token not in the agent's log"

rc=0; "$harvey" probe --agent "$a" --agent "$b" --token-file "$tmp/token" --count 1 2>"$tmp/err" || rc=$?
[[ $rc == 3 ]] || fail "different directories: exit $rc (want 3): $(cat "$tmp/err")"
grep -q "agent $b (host .*) does not see the file harvey-share-" "$tmp/err" || fail "different dirs: $(cat "$tmp/err")"

rc=0; "$harvey" probe --agent 127.0.0.1:1 --token-file "$tmp/token" --count 1 2>"$tmp/err" || rc=$?
[[ $rc == 4 ]] || fail "unreachable: exit $rc (want 4): $(cat "$tmp/err")"
grep -q "unreachable" "$tmp/err" || fail "unreachable: $(cat "$tmp/err")"

# A second coordinator while one probe runs.
served=$(grep -c "serving the coordinator" "$tmp/a.log" || true)
"$harvey" probe --agent "$a" --token-file "$tmp/token" --time 20 --out "$tmp/f1" 2>"$tmp/first" &
first=$!
for _ in $(seq 400); do
  (($(grep -c "serving the coordinator" "$tmp/a.log" || true) > served)) && break
  sleep 0.05
done
rc=0; "$harvey" probe --agent "$a" --token-file "$tmp/token" --count 1 2>"$tmp/err" || rc=$?
kill -INT "$first" 2>/dev/null || fail "the first probe ended early: $(cat "$tmp/first")"
wait "$first" || true
[[ $rc == 4 ]] || fail "second coordinator: exit $rc (want 4): $(cat "$tmp/err")"
grep -q "busy: this agent serves the coordinator at" "$tmp/err" || fail "second coordinator: $(cat "$tmp/err")"
grep -q "busy: this agent serves the coordinator at" "$tmp/a.log" || fail "busy not in the agent's log"
sleep 0.3
[[ -z $(ls -A "$tmp/one" "$tmp/two" | grep -v ':$' | grep -v '^$' || true) ]] || fail "files left: $(ls -AR "$tmp/one" "$tmp/two")"
echo "ok"
