#!/usr/bin/env bash
# harvey bench --jobs 2 (harness/cli/bench_jobs.h): every row runs the same
# schedules as --jobs 1 (the same count and total steps per row), the JSON
# says "jobs": 2 and how the rates were measured, the table's header says it,
# and a run leaves no process or scratch directory.
#
#   tests/scripts/bench-jobs.sh HARVEY
set -u
harvey=$1
dir=$(mktemp -d /tmp/harvey-benchjobs-XXXXXX)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
args=(bench --count 7 --boundaries fork --policies op,pct:3 --crashes none,default --scratch "$dir")
"$harvey" "${args[@]}" --json > "$dir/one.json" 2> /dev/null || fail "--jobs 1 exited $?"
"$harvey" "${args[@]}" --json --jobs 2 > "$dir/two.json" 2> /dev/null || fail "--jobs 2 exited $?"
python3 - "$dir/one.json" "$dir/two.json" <<'PY' || exit 1
import json, sys
one, two = (json.load(open(p)) for p in sys.argv[1:3])
assert "jobs" not in one, "--jobs 1 output changed"
assert two["jobs"] == 2 and "wall time" in two["rates"], two.get("rates")
assert len(one["rows"]) == len(two["rows"]) == 6, (len(one["rows"]), len(two["rows"]))
for a, b in zip(one["rows"], two["rows"]):
    name = f'{b["crashes"]} {b["run"]} {b["policy"]}'
    assert b["status"] == "ok", (name, b["status"], b["reason"])
    assert (a["run"], a["policy"], a["crashes"]) == (b["run"], b["policy"], b["crashes"]), name
    assert b["schedules"] == 7, (name, b["schedules"])
    assert a["steps"] == b["steps"], (name, a["steps"], b["steps"])
    assert b["elapsed_s"] > 0 and b["schedules_per_s"] > 0, name
    print(f'{name}: 7 schedules, {b["steps"]} steps either way; {b["schedules_per_s"]:.1f} schedules/s with 2 jobs')
PY
"$harvey" "${args[@]}" --jobs 2 > "$dir/table" 2> /dev/null || fail "--jobs 2 (table) exited $?"
grep -q '^jobs: 2 per row' "$dir/table" || fail "the table does not say 2 jobs: $(cat "$dir/table")"
[ "$(grep -c '^\(none\|default\) ' "$dir/table")" = 6 ] || fail "not 6 rows: $(cat "$dir/table")"
left=$(ls -d "$dir"/harvey-* 2>/dev/null; pgrep -f -- "--scratch $dir")
[ -z "$left" ] || fail "left behind: $left"
echo "PASS"
