#!/usr/bin/env bash
# tests/deploy/pod.sh STATIC_BUILD_DIR [COUNT]: agents in podman containers
# over a pod's loopback (TCP): one pod (--network none: its network namespace
# has only lo), two agent containers on 127.0.0.1:7001/7002 sharing one
# named volume, the probe in a third container of the pod: COUNT schedules
# (default 100) with kills, 0 findings; pod and volume removed after.
set -euo pipefail
static=$1
count=${2:-100}
source "$(dirname "$0")/lib.sh"
pod=harvey-test-pod-$$
vol=harvey-test-vol-$$
on_exit "podman volume rm -f $vol >/dev/null 2>&1"
on_exit "podman pod rm -f $pod >/dev/null 2>&1"
podman volume create "$vol" >/dev/null
podman pod create --name "$pod" --network none >/dev/null
for i in 1 2; do
  podman run -d --pod "$pod" --name "$pod-agent$i" -e HARVEY_AGENT_TOKEN -v "$vol:/data" \
    "$image" agent --listen "127.0.0.1:700$i" --dir /data >/dev/null
done
for i in 1 2; do wait_listening podman logs "$pod-agent$i"; done
rc=0
podman run --rm --pod "$pod" -e HARVEY_AGENT_TOKEN "$image" probe --agent 127.0.0.1:7001 --agent 127.0.0.1:7002 \
  --count "$count" --seed 5 --out /tmp/findings --json >"$tmp/probe.out" 2>"$tmp/probe.err" || rc=$?
cat "$tmp/probe.err"
[[ $rc == 0 ]] || { podman logs "$pod-agent1" | tail; fail "probe exited $rc (want 0)"; }
grep -q "no failure found (this is not a proof of safety)" "$tmp/probe.err" || fail "no honest summary"
check_probe "$tmp/probe.out" "$count" 2
echo ok
