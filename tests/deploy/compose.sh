#!/usr/bin/env bash
# tests/deploy/compose.sh STATIC_BUILD_DIR [COUNT]: deploy/compose.yaml as a
# user runs it (docker-compose 1.29, here talking to `podman system service`
# on a private socket): three agents on one named volume, then the probe
# service: COUNT schedules (default 100) with kills, 0 findings, three agents
# named; afterwards no container, volume or network of the project is left.
set -euo pipefail
static=$1
count=${2:-100}
source "$(dirname "$0")/lib.sh"
command -v docker-compose >/dev/null || skip "docker-compose not installed (ci/setup installs it)"
proj=harveytest$$
podman system service --time=0 "unix://$tmp/podman.sock" >"$tmp/service.log" 2>&1 &
service=$!
on_exit "kill $service; wait $service"
for _ in $(seq 100); do [[ -S $tmp/podman.sock ]] && break; sleep 0.1; done
[[ -S $tmp/podman.sock ]] || skip "podman system service did not start: $(tail -1 "$tmp/service.log")"
export DOCKER_HOST=unix://$tmp/podman.sock HARVEY_IMAGE=$image HARVEY_PROBE_COUNT=$count
dc() { docker-compose -p "$proj" -f "$root/deploy/compose.yaml" "$@"; }
on_exit "dc down -v >/dev/null 2>&1"
dc up -d >"$tmp/up.log" 2>&1 || { cat "$tmp/up.log"; fail "compose up"; }
for a in agent1 agent2 agent3; do wait_listening dc logs "$a"; done
rc=0
dc run -T --rm probe >"$tmp/probe.out" 2>"$tmp/probe.err" || rc=$?
cat "$tmp/probe.err" "$tmp/probe.out"
[[ $rc == 0 ]] || { dc logs agent1 | tail; fail "probe exited $rc (want 0)"; }
grep -q "no failure found (this is not a proof of safety)" "$tmp/probe.err" "$tmp/probe.out" || fail "no honest summary"
check_probe "$tmp/probe.out" "$count" 3
dc down -v >"$tmp/down.log" 2>&1 || { cat "$tmp/down.log"; fail "compose down"; }
left=$(podman ps -a --filter "label=com.docker.compose.project=$proj" -q; podman volume ls -q | grep "^${proj}_" || true)
[[ -z $left ]] || fail "left behind: $left"
echo ok
