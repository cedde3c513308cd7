# Shared by tests/deploy/*.sh (the deploy/ recipes run with podman here).
# Usage: source it with $static (a build's static/ directory) set.
# Skips (exit 77, one line saying why) when podman or the static build is
# missing, or podman cannot run a container here. Sets: $tmp (private dir),
# $image (localhost/harvey:static-test, a fixed tag: rebuilt by each test,
# removed at its end; the tests hold one CTest RESOURCE_LOCK), $PODMAN_CONF,
# $HARVEY_AGENT_TOKEN. podman runs with CONTAINERS_CONF=$tmp/containers.conf:
# runtime runc and nofile/nproc 1024 (this machine cannot raise rlimits:
# no CAP_SYS_RESOURCE), which also covers `podman kube play` (no --ulimit).
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v podman >/dev/null || skip "podman not installed (ci/setup installs it)"
[[ -x $static/harvey ]] || skip "no static executables in $static (cmake --build --preset default --target harvey_static; they need Debian's libsqlite3.a and libxxhash.a)"
readelf -lW "$static/harvey" | grep INTERP >/dev/null && skip "$static/harvey is not static"
tmp=$(mktemp -d /tmp/harvey-deploy-test.XXXXXX)
image=localhost/harvey:static-test
cleanup_hooks=()
cleanup() {
  local i
  for ((i = ${#cleanup_hooks[@]} - 1; i >= 0; i--)); do eval "${cleanup_hooks[i]}" || true; done
  podman rmi -f "$image" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
on_exit() { cleanup_hooks+=("$1"); }
cat >"$tmp/containers.conf" <<'CONF'
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
[engine]
runtime = "runc"
CONF
export CONTAINERS_CONF=$tmp/containers.conf
HARVEY_AGENT_TOKEN=$(head -c 24 /dev/urandom | base64)
export HARVEY_AGENT_TOKEN
"$root/deploy/build-image" --tag "$image" "$static" >"$tmp/build-image.log" 2>&1 \
  || skip "deploy/build-image failed: $(tail -1 "$tmp/build-image.log")"
podman run --rm --network none "$image" versions >"$tmp/version" 2>&1 \
  || skip "podman cannot run a container here: $(tail -1 "$tmp/version")"
# wait_listening CMD...: until CMD's output (an agent's log) says it listens.
wait_listening() {
  for _ in $(seq 100); do "$@" 2>&1 | grep "listening on" >/dev/null && return 0; sleep 0.1; done
  fail "agent not listening: $("$@" 2>&1 | tail -2)"
}
# check_probe JSON COUNT AGENTS: the probe's JSON says COUNT schedules, 0
# findings, kills ran, no power loss, AGENTS agents described.
check_probe() {
  python3 "$root/tests/agent/check_probe.py" "$@"
}
