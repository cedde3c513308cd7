#!/usr/bin/env bash
# tests/agent/probe_loopback.sh HARVEY [COUNT]: two `harvey agent`s on
# loopback serving one local directory; `harvey probe --count COUNT` (kills,
# no power loss) must find nothing (exit 0) with the honest summary, report
# power-losses 0, name both agents (host, kernel, filesystem, SQLite), and
# leave the directory empty.
set -euo pipefail
harvey=$1
count=${2:-200}
tmp=$(mktemp -d /tmp/harvey-agent-test.XXXXXX)
source "$(dirname "$0")/lib.sh"
trap 'stop_agents; rm -rf "$tmp"' EXIT
make_token
mkdir "$tmp/shared"
start_agent a "$tmp/shared"; a=$(addr a)
start_agent b "$tmp/shared"; b=$(addr b)
rc=0
"$harvey" probe --agent "$a" --agent "$b" --token-file "$tmp/token" --count "$count" --seed 7 \
  --out "$tmp/findings" --json >"$tmp/out.json" 2>"$tmp/err" || rc=$?
cat "$tmp/err" >&2
[[ $rc == 0 ]] || fail "probe exited $rc (want 0)"
grep -q "no failure found (this is not a proof of safety)" "$tmp/err" || fail "no honest summary"
grep -q "power loss cannot be caused on the agents' storage" "$tmp/err" || fail "power loss not explained"
python3 "$(dirname "$0")/check_probe.py" "$tmp/out.json" "$count" 2 || fail "the probe's JSON summary"
sleep 0.3
[[ -z $(ls -A "$tmp/shared") ]] || fail "left in the shared directory: $(ls -A "$tmp/shared")"
grep -q "serving the coordinator" "$tmp/a.log" || fail "agent a log"
echo "ok"
