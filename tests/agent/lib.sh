# Shared by tests/agent/*.sh: start `harvey agent`s on loopback (ephemeral
# ports, read back from --address-file), stop them (by pid) on exit.
# REQUIRES: $harvey (the executable), $tmp (a private directory).
agent_pids=()
start_agent() {  # NAME DIR: waits until it listens; its address is in $tmp/NAME.addr (see addr)
  local name=$1 dir=$2
  "$harvey" agent --listen 127.0.0.1:0 --dir "$dir" --token-file "$tmp/token" \
    --address-file "$tmp/$name.addr" 2>"$tmp/$name.log" &
  agent_pids+=($!)
  for _ in $(seq 500); do
    [[ -s $tmp/$name.addr ]] && return 0
    sleep 0.02
  done
  echo "agent $name did not start: $(cat "$tmp/$name.log")" >&2
  return 1
}
stop_agents() {
  local p
  for p in "${agent_pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${agent_pids[@]}"; do wait "$p" 2>/dev/null || true; done
  agent_pids=()
}
addr() { cat "$tmp/$1.addr"; }
make_token() { head -c 24 /dev/urandom | base64 >"$tmp/token"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
