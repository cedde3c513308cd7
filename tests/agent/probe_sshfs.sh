#!/usr/bin/env bash
# tests/agent/probe_sshfs.sh HARVEY: the failure case. One directory exported
# by an sshd on loopback, mounted twice with sshfs (two "machines" that share
# a network folder), one `harvey agent` on each mount. `harvey probe` must
# find a failure (exit 1), save and shrink it, and `harvey run SHRUNK --agent
# A --agent B` must reproduce it (exit 1). Everything runs in a private mount
# namespace (the mounts vanish with it). Exit 77 (skipped) without root,
# sshd, sshfs, ssh-keygen, unshare or /dev/fuse.
set -euo pipefail
harvey=$1
budget=${2:-120}
skip() { echo "SKIP: $*"; exit 77; }
if [[ ${HARVEY_IN_MOUNT_NS:-} != 1 ]]; then
  [[ $(id -u) == 0 ]] || skip "needs root (sshfs mounts in a private mount namespace)"
  for t in sshd sshfs ssh-keygen unshare fusermount; do
    command -v "$t" >/dev/null || [[ -x /usr/sbin/$t ]] || skip "needs $t"
  done
  [[ -w /dev/fuse ]] || skip "needs /dev/fuse"
  HARVEY_IN_MOUNT_NS=1 exec unshare --mount --propagation private "$0" "$@"
fi
tmp=$(mktemp -d /tmp/harvey-agent-test.XXXXXX)
source "$(dirname "$0")/lib.sh"
sshd_pid=""
cleanup() {
  stop_agents
  fusermount -u "$tmp/m1" 2>/dev/null || umount -l "$tmp/m1" 2>/dev/null || true
  fusermount -u "$tmp/m2" 2>/dev/null || umount -l "$tmp/m2" 2>/dev/null || true
  [[ -n $sshd_pid ]] && { kill "$sshd_pid" 2>/dev/null; wait "$sshd_pid" 2>/dev/null || true; }
  rm -rf "$tmp"
}
trap cleanup EXIT
make_token
mkdir -p "$tmp/export" "$tmp/m1" "$tmp/m2" /run/sshd
ssh-keygen -q -t ed25519 -N "" -f "$tmp/host_key"
ssh-keygen -q -t ed25519 -N "" -f "$tmp/client_key"
cp "$tmp/client_key.pub" "$tmp/authorized_keys"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$tmp/sshd_config" <<CFG
ListenAddress 127.0.0.1
Port $port
HostKey $tmp/host_key
AuthorizedKeysFile $tmp/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PidFile none
UseDNS no
Subsystem sftp internal-sftp
CFG
"$(command -v sshd || echo /usr/sbin/sshd)" -D -e -f "$tmp/sshd_config" 2>"$tmp/sshd.log" &
sshd_pid=$!
for _ in $(seq 250); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.02; done
for m in m1 m2; do
  sshfs -o "IdentityFile=$tmp/client_key,StrictHostKeyChecking=no,UserKnownHostsFile=/dev/null,port=$port,BatchMode=yes" \
    "root@127.0.0.1:$tmp/export" "$tmp/$m"
done
start_agent a "$tmp/m1"; a=$(addr a)
start_agent b "$tmp/m2"; b=$(addr b)
rc=0
"$harvey" probe --agent "$a" --agent "$b" --token-file "$tmp/token" --time "$budget" --seed 1 \
  --shrink-time 60 --out "$tmp/findings" --json >"$tmp/out.json" 2>"$tmp/err" || rc=$?
cat "$tmp/err" >&2
[[ $rc == 1 ]] || fail "probe on two sshfs mounts exited $rc (want 1: a finding)"
grep -q "fuse" "$tmp/err" || fail "the filesystem type (fuse) is not named"
shrunk=$(ls "$tmp"/findings/*.shrunk.sched | head -1)
[[ -f $shrunk ]] || fail "no shrunk finding saved"
grep -q "# replay: harvey run THIS_FILE --agent $a --agent $b" "$shrunk" || fail "replay line: $(grep replay "$shrunk")"
# Its story page was made by a replay on the agents and names them.
page=${shrunk%.sched}.html
[[ -f $page ]] || fail "no story page $page"
grep -q -- "--agent $a --agent $b" "$page" || fail "the page's replay command does not name the agents"
rc=0
"$harvey" run "$shrunk" --agent "$a" --agent "$b" --token-file "$tmp/token" 2>"$tmp/replay" || rc=$?
cat "$tmp/replay" >&2
[[ $rc == 1 ]] || fail "replay of $shrunk through the agents exited $rc (want 1)"
# explain replays a probe's finding on the agents its replay line names (not on fork).
rc=0
HARVEY_AGENT_TOKEN=$(cat "$tmp/token") "$harvey" explain "$shrunk" --html "$tmp/story.html" >"$tmp/story" 2>&1 || rc=$?
[[ $rc == 1 ]] || { cat "$tmp/story" >&2; fail "explain of $shrunk exited $rc (want 1: reproduced on the agents)"; }
grep -q "harvey run $shrunk --agent $a --agent $b" "$tmp/story" || { cat "$tmp/story" >&2; fail "explain's replay command does not name the agents"; }
cp "$shrunk" "${HARVEY_KEEP_FINDING:-/dev/null}" 2>/dev/null || true
echo "ok: $(head -3 "$shrunk" | tail -2 | tr '\n' ' ')"
