#!/usr/bin/env bash
# tests/deploy/host_container.sh STATIC_BUILD_DIR [COUNT]: the host-plus-
# container recipe of deploy/README.md: an agent on the host and an agent in
# a podman container (--network none) serve one bind-mounted directory; they
# listen on Unix sockets in a second bind-mounted directory; the probe runs
# on the host: COUNT schedules (default 100) with kills, 0 findings, both
# agents named (host and container hostnames differ); nothing left behind.
set -euo pipefail
static=$1
count=${2:-100}
source "$(dirname "$0")/lib.sh"
mkdir "$tmp/app" "$tmp/sock"
ctr=harvey-test-host-ctr-$$
"$static/harvey" agent --listen "unix:$tmp/sock/host.sock" --dir "$tmp/app" 2>"$tmp/host-agent.log" &
agent=$!
on_exit "kill $agent; wait $agent"
on_exit "podman rm -f $ctr >/dev/null 2>&1"
podman run -d --name "$ctr" --network none -e HARVEY_AGENT_TOKEN \
  -v "$tmp/app:/data" -v "$tmp/sock:/run/harvey" \
  "$image" agent --listen unix:/run/harvey/container.sock --dir /data >/dev/null
for _ in $(seq 100); do [[ -S $tmp/sock/host.sock && -S $tmp/sock/container.sock ]] && break; sleep 0.1; done
rc=0
"$static/harvey" probe --agent "unix:$tmp/sock/host.sock" --agent "unix:$tmp/sock/container.sock" \
  --count "$count" --seed 3 --out "$tmp/findings" --json >"$tmp/probe.out" 2>"$tmp/probe.err" || rc=$?
cat "$tmp/probe.err"
[[ $rc == 0 ]] || { podman logs "$ctr" | tail; fail "probe exited $rc (want 0)"; }
grep -q "no failure found (this is not a proof of safety)" "$tmp/probe.err" || fail "no honest summary"
check_probe "$tmp/probe.out" "$count" 2
python3 -c 'import json,sys; a=json.load(open(sys.argv[1]))["agents"]; assert a[0]["host"] != a[1]["host"], a' "$tmp/probe.out" \
  || fail "both agents report one host: the container did not run the second"
podman rm -f "$ctr" >/dev/null
sleep 0.3
[[ -z $(ls -A "$tmp/app") ]] || fail "left in the shared directory: $(ls -A "$tmp/app")"
echo ok
