#!/usr/bin/env bash
# tests/deploy/kubernetes.sh STATIC_BUILD_DIR [COUNT]: deploy/kubernetes/ with
# `podman kube play` as far as podman 4.3 goes (what tests/deploy/kube.py
# changes, and why, is in its header): the claims, the token Secret, three
# agent pods on one claim, the probe pod finding them through their *.addr
# files (--agent @/run/harvey): COUNT schedules (default 100) with kills, 0
# findings, 3 agents; then the nightly Indexed Job's 4 shard commands, each
# exit 0 with its "shard" in its JSON. Everything played is taken down.
set -euo pipefail
static=$1
count=${2:-100}
source "$(dirname "$0")/lib.sh"
python3 -c 'import yaml' 2>/dev/null || skip "python3-yaml missing"
prefix=harvey-test-$$-
"$(dirname "$0")/kube.py" "$prefix" "$image" "$count" "$tmp"
# podman reads a secretKeyRef from a podman secret holding {"key": base64}.
printf '{"token":"%s"}' "$(printf %s "$HARVEY_AGENT_TOKEN" | base64 -w0)" >"$tmp/secret.json"
podman secret create "${prefix}harvey-token" "$tmp/secret.json" >/dev/null
on_exit "podman secret rm ${prefix}harvey-token >/dev/null 2>&1"
on_exit "podman volume rm -f ${prefix}harvey-db ${prefix}harvey-agents ${prefix}harvey-nightly >/dev/null 2>&1"
on_exit "podman kube down $tmp/agents.yaml >/dev/null 2>&1"
podman kube play --network none "$tmp/agents.yaml" >"$tmp/play.log" 2>&1 || { cat "$tmp/play.log"; fail "kube play agents"; }
for i in 0 1 2; do wait_listening podman logs "${prefix}harvey-agent-$i-pod-0-agent"; done
on_exit "podman kube down $tmp/probe.yaml >/dev/null 2>&1"
podman kube play --network none "$tmp/probe.yaml" >>"$tmp/play.log" 2>&1 || { cat "$tmp/play.log"; fail "kube play probe"; }
probe=${prefix}harvey-probe-probe
rc=$(podman wait "$probe")
podman logs "$probe" >"$tmp/probe.all" 2>&1
grep -v '^{' "$tmp/probe.all"
[[ $rc == 0 ]] || fail "probe pod exited $rc (want 0)"
grep -q "no failure found (this is not a proof of safety)" "$tmp/probe.all" || fail "no honest summary"
check_probe "$tmp/probe.all" "$count" 3
podman kube down "$tmp/probe.yaml" >/dev/null
# Stopped as Kubernetes stops a pod (SIGTERM; `kube down` here kills), the
# agents remove their .addr files: no stale address for the next probe.
for i in 0 1 2; do podman pod stop "${prefix}harvey-agent-$i-pod-0" >/dev/null; done
podman kube down "$tmp/agents.yaml" >/dev/null
left=$(podman run --rm -e HARVEY_AGENT_TOKEN -v "${prefix}harvey-agents:/a" "$image" probe --agent @/a --count 1 2>&1 || true)
grep -q "no \*.addr file" <<<"$left" || fail "address files left: $left"
# The nightly campaign, one shard command per index.
podman volume create "${prefix}harvey-nightly" >/dev/null
python3 -c 'import json,sys; [print(json.dumps(r)) for r in json.load(open(sys.argv[1]))]' "$tmp/nightly.json" >"$tmp/nightly.lines"
i=0
while read -r run; do
  mapfile -t args < <(python3 -c 'import json,sys; print("\n".join(json.loads(sys.argv[1])["args"]))' "$run")
  mount=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["mount"])' "$run")
  n=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["shards"])' "$run")
  podman run --rm --network none -v "${prefix}harvey-nightly:$mount" "$image" "${args[@]}" >"$tmp/shard-$i.json" 2>"$tmp/shard-$i.err" \
    || { cat "$tmp/shard-$i.err"; fail "shard $i exited non-zero"; }
  python3 - "$tmp/shard-$i.json" "$((i + 1))/$n" "$count" <<'PY' || fail "shard $i JSON"
import json, sys
j = json.loads(open(sys.argv[1]).read())
assert j["shard"] == sys.argv[2] and j["schedules"] == int(sys.argv[3]) and j["findings"] == 0, j
print("nightly shard %s: %d schedules, 0 findings" % (j["shard"], j["schedules"]))
PY
  i=$((i + 1))
done <"$tmp/nightly.lines"
echo ok
