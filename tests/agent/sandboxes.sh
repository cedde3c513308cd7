#!/usr/bin/env bash
# tests/agent/sandboxes.sh HARVEY [COUNT]: two `harvey agent`s, each inside a
# sandbox made like harvey's own boundaries, serve one shared directory:
#   a  under bwrap with the flags of harness/boundary/ns_launcher.cc (own
#      user, mount, pid, ipc, uts, net, cgroup namespaces; read-only host
#      /usr /etc /bin /lib ...; the agent is PID 1);
#   b  PID 1 of a runc container from a bundle like oci_bundle.cc's
#      (read-only root of host /usr /etc /bin /lib ... binds, own pid,
#      network, ipc, uts, mount namespaces, capabilities trimmed).
# Each sees the shared directory at /data and a socket directory at
# /run/harvey (both bound read-write); with no network shared, they listen on
# Unix sockets there. `harvey probe` from the host: COUNT schedules (default
# 100) with kills must give 0 findings, both agents named (their hostnames
# differ). Then everything is torn down and checked: the sandboxes' processes
# gone, the runc container deleted, the shared directory empty, the private
# temp directory removed. Exit 77 (skipped, one line) without bwrap or runc,
# or when either cannot run a sandbox here.
set -euo pipefail
harvey=$(realpath "$1")
count=${2:-100}
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v bwrap >/dev/null || skip "bwrap not installed (ci/setup installs bubblewrap)"
command -v runc >/dev/null || skip "runc not installed (ci/setup installs it)"
[[ $(id -u) == 0 ]] || skip "runc containers need root here (no rootless runc setup)"
tmp=$(mktemp -d /tmp/harvey-agent-sandboxes.XXXXXX)
ctr=harvey-agent-test-$$
bwrap_pid="" runc_pid=""
# Should this script be killed outright (a CTest timeout), a janitor in its
# own session deletes the container and the temp dir (bwrap dies with its
# parent by itself: --die-with-parent); a normal exit kills the janitor's
# process group (setsid made it its leader).
setsid bash -c 'trap "" TERM INT HUP
  while kill -0 '$$' 2>/dev/null; do sleep 0.5; done
  runc delete --force "$1" >/dev/null 2>&1; runc delete --force "$1-check" >/dev/null 2>&1; rm -rf "$2"' \
  janitor "$ctr" "$tmp" </dev/null >/dev/null 2>&1 &
janitor_pid=$!
cleanup() {
  kill -KILL -- "-$janitor_pid" 2>/dev/null || true  # its session: bash and its sleep
  wait "$janitor_pid" 2>/dev/null || true
  [[ -n $bwrap_pid ]] && { kill -TERM "$bwrap_pid" 2>/dev/null || true; wait "$bwrap_pid" 2>/dev/null || true; }
  runc delete --force "$ctr" >/dev/null 2>&1 || true
  runc delete --force "$ctr-check" >/dev/null 2>&1 || true
  [[ -n $runc_pid ]] && { wait "$runc_pid" 2>/dev/null || true; }
  rm -rf "$tmp"
}
trap cleanup EXIT
mkdir "$tmp/shared" "$tmp/sock"
HARVEY_AGENT_TOKEN=$(head -c 24 /dev/urandom | base64)
export HARVEY_AGENT_TOKEN

# The host's minimal root, as MinimalRoot() (harness/boundary/sandbox.cc):
# directories are bound read-only, symlinks (merged /usr) recreated.
root_dirs=() root_links=()
for p in /usr /etc /bin /sbin /lib /lib32 /lib64 /libx32; do
  if [[ -L $p ]]; then root_links+=("$p=$(readlink "$p")")
  elif [[ -d $p ]]; then root_dirs+=("$p"); fi
done

# --- a: bwrap, the argv of ns_launcher.cc (agent instead of `__host`) ---
bwrap_argv=(bwrap --unshare-all --unshare-user --die-with-parent --as-pid-1 --hostname harvey-ns-agent)
for d in "${root_dirs[@]}"; do bwrap_argv+=(--ro-bind "$d" "$d"); done
for l in "${root_links[@]}"; do bwrap_argv+=(--symlink "${l#*=}" "${l%%=*}"); done
bwrap_argv+=(--proc /proc --dev /dev --tmpfs /tmp --bind "$tmp/shared" /data --bind "$tmp/sock" /run/harvey
  --ro-bind "$harvey" /harvey --chdir / --)
"${bwrap_argv[@]}" /harvey versions >"$tmp/bwrap-check" 2>&1 \
  || skip "bwrap cannot make the ns sandbox here: $(tail -1 "$tmp/bwrap-check")"

# --- b: runc, a bundle like oci_bundle.cc's ---
mkdir -p "$tmp/bundle/rootfs"/{proc,dev,tmp,data,run/harvey}
touch "$tmp/bundle/rootfs/harvey"
for d in "${root_dirs[@]}"; do mkdir -p "$tmp/bundle/rootfs$d"; done
for l in "${root_links[@]}"; do ln -s "${l#*=}" "$tmp/bundle/rootfs${l%%=*}"; done
write_config() {  # ARGS...: the bundle's config.json running ARGS
  python3 - "$tmp" "$HARVEY_AGENT_TOKEN" "$harvey" "${root_dirs[*]}" "$@" >"$tmp/bundle/config.json" <<'PY'
import json, sys
tmp, token, harvey, dirs, args = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4].split(), sys.argv[5:]
caps = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
mounts = [
    {"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
     "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
    {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
     "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
    {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev", "mode=1777"]},
]
binds = [(d, d, True) for d in dirs] + [("/harvey", harvey, True), ("/data", tmp + "/shared", False),
                                        ("/run/harvey", tmp + "/sock", False)]
for dest, src, ro in binds:
    mounts.append({"destination": dest, "type": "bind", "source": src,
                   "options": ["rbind", "ro" if ro else "rw", "nosuid", "nodev"]})
print(json.dumps({
    "ociVersion": "1.0.2",
    "process": {"terminal": False, "user": {"uid": 0, "gid": 0}, "args": args,
                "env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HARVEY_AGENT_TOKEN=" + token], "cwd": "/",
                "capabilities": {k: caps for k in ("bounding", "effective", "permitted", "ambient")},
                "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
                "noNewPrivileges": True},
    "root": {"path": tmp + "/bundle/rootfs", "readonly": True},
    "hostname": "harvey-oci-agent",
    "mounts": mounts,
    "linux": {"resources": {"devices": [{"allow": False, "access": "rwm"}]},
              "namespaces": [{"type": t} for t in ("pid", "network", "ipc", "uts", "mount")],
              "maskedPaths": ["/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
                              "/proc/timer_list", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"],
              "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]},
}, indent=1))
PY
}
write_config /harvey versions
runc run --no-new-keyring --bundle "$tmp/bundle" "$ctr-check" >"$tmp/runc-check" 2>&1 </dev/null \
  || skip "runc cannot run a container here: $(tail -1 "$tmp/runc-check")"
runc delete --force "$ctr-check" >/dev/null 2>&1 || true

# --- start both agents ---
"${bwrap_argv[@]}" /harvey agent --listen unix:/run/harvey/ns.sock --dir /data 2>"$tmp/ns.log" </dev/null &
bwrap_pid=$!
write_config /harvey agent --listen unix:/run/harvey/oci.sock --dir /data
runc run --no-new-keyring --bundle "$tmp/bundle" "$ctr" >/dev/null 2>"$tmp/oci.log" </dev/null &
runc_pid=$!
for _ in $(seq 200); do [[ -S $tmp/sock/ns.sock && -S $tmp/sock/oci.sock ]] && break; sleep 0.05; done
[[ -S $tmp/sock/ns.sock ]] || fail "the agent under bwrap did not listen: $(tail -3 "$tmp/ns.log")"
[[ -S $tmp/sock/oci.sock ]] || fail "the agent in runc did not listen: $(tail -3 "$tmp/oci.log")"

# Every host pid of both sandboxes (bwrap and its descendants; the
# container's processes), to prove they are gone after the teardown.
descendants() { local c; for c in $(pgrep -P "$1" || true); do echo "$c"; descendants "$c"; done; }
sandbox_pids=("$bwrap_pid" $(descendants "$bwrap_pid") $(runc ps --format json "$ctr" | python3 -c \
  'import json,sys; print(" ".join(map(str, json.load(sys.stdin) or [])))'))
(( ${#sandbox_pids[@]} >= 3 )) || fail "expected bwrap, its agent and the container's agent: ${sandbox_pids[*]}"

rc=0
"$harvey" probe --agent "unix:$tmp/sock/ns.sock" --agent "unix:$tmp/sock/oci.sock" \
  --count "$count" --kills 5 --seed 11 --out "$tmp/findings" --json >"$tmp/probe.out" 2>"$tmp/probe.err" || rc=$?
cat "$tmp/probe.err"
[[ $rc == 0 ]] || { tail -5 "$tmp/ns.log" "$tmp/oci.log" >&2; fail "probe exited $rc (want 0)"; }
grep -q "no failure found (this is not a proof of safety)" "$tmp/probe.err" || fail "no honest summary"
python3 "$(dirname "$0")/check_probe.py" "$tmp/probe.out" "$count" 2 harvey-ns-agent harvey-oci-agent \
  || fail "the probe's JSON summary"
grep -q "serving the coordinator" "$tmp/ns.log" || fail "the bwrap agent's log does not show the probe"
grep -q "serving the coordinator" "$tmp/oci.log" || fail "the runc agent's log does not show the probe"

# --- teardown, checked ---
kill -TERM "$bwrap_pid" 2>/dev/null || true
wait "$bwrap_pid" 2>/dev/null || true
bwrap_pid=""
runc delete --force "$ctr" >/dev/null 2>&1 || fail "runc delete $ctr"
wait "$runc_pid" 2>/dev/null || true
runc_pid=""
runc list -q | grep -qx "$ctr" && fail "container $ctr still listed by runc"
for _ in $(seq 50); do
  alive=()
  for p in "${sandbox_pids[@]}"; do [[ -d /proc/$p ]] && alive+=("$p"); done
  ((${#alive[@]} == 0)) && break
  sleep 0.1
done
((${#alive[@]} == 0)) || fail "sandbox processes left: $(ps -o pid=,args= -p "${alive[*]// /,}")"
[[ -z $(ls -A "$tmp/shared") ]] || fail "left in the shared directory: $(ls -A "$tmp/shared")"
echo "teardown: ${#sandbox_pids[@]} sandbox processes gone, container $ctr deleted, shared directory empty"
echo ok
