#!/usr/bin/env bash
# harvey fuzz --jobs N (harness/cli/fuzz_jobs.h), one case per CTest test:
#
#   tests/scripts/fuzz-jobs.sh HARVEY finding|count|interrupt|kill|harness-error|reach|junit
#
# finding    a calibration defect found at campaign index X >= 3 by --jobs 1
#            is reported by --jobs 2 and 3 at the same index, in the same
#            finding file, byte for byte; --count X (the finding's index
#            not in the budget) finds nothing with every --jobs and runs X
#            schedules; --count X+1 finds it.
# count      a clean --count 40 (and --shard 2/3 --count 40) runs exactly 40
#            schedules with --jobs 2, and the same ones as --jobs 1: the
#            totals of steps and crashes (each schedule's own) agree.
# interrupt  SIGINT to the parent mid-campaign: exit 130 within 20 s, and no
#            job, worker or scratch directory is left.
# kill       SIGKILL to the parent: within 10 s every job and its workers are
#            gone and the scratch parent is empty (the jobs tear down).
# harness-error  a hung worker in one job: exit 4, the job's message and a
#            harness-error summary, no finding, nothing left.
# reach      --reach --jobs 2: one table, the same points as --jobs 1.
# junit      --jobs 2 --junit: a testcase per 100 schedules of the total, the
#            finding as the one <failure> with its replay line; valid against
#            tests/junit-10.xsd (77 without xmllint).
set -u
harvey=$1
case=$2
dir=$(mktemp -d /tmp/harvey-jobstest-XXXXXX)
parent_pid=""
finish() {
  [ -n "$parent_pid" ] && kill -9 "$parent_pid" 2>/dev/null
  rm -rf "$dir"
}
trap finish EXIT
fail() { echo "FAIL: $*"; exit 1; }
field() {  # field FILE KEY: a top-level key of a --json line
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get(sys.argv[2]))' "$1" "$2"
}
await_parent() {  # await_parent SECONDS WHAT: the backgrounded parent must exit by then; sets $code
  for _ in $(seq $(($1 * 10))); do kill -0 "$parent_pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$parent_pid" 2>/dev/null && fail "still running $1 s after $2"
  wait "$parent_pid"
  code=$?
  parent_pid=""
}
fuzz() {  # fuzz NAME ARGS...: runs harvey fuzz with --json into $dir/NAME.json, returns its code
  local name=$1
  shift
  "$harvey" fuzz --boundary fork --scratch "$dir" --shrink-time 0 --json "$@" > "$dir/$name.json" 2> "$dir/$name.err"
}

case $case in
finding)
  # A seed whose first fsync-lies finding is at index >= 3 (not the first
  # schedule of either job).
  seed=""
  for s in 2 1 3 4 5 6 7 8 9 10; do
    fuzz one-$s --seed "$s" --count 60 --defect fsync-lies --out "$dir/out-one-$s"
    code=$?
    [ "$code" = 1 ] || continue
    n=$(field "$dir/one-$s.json" schedules)  # the finding is the last: index n-1
    if [ "$n" -ge 4 ]; then seed=$s; index=$((n - 1)); break; fi
  done
  [ -n "$seed" ] || fail "no seed in 1..10 finds fsync-lies at index >= 3 within 60 schedules"
  ref=$(field "$dir/one-$seed.json" finding)
  echo "--jobs 1: seed $seed, finding at index $index: $ref"
  for j in 2 3; do
    fuzz jobs$j --seed "$seed" --count 60 --defect fsync-lies --out "$dir/out-jobs$j" --jobs "$j"
    code=$?
    [ "$code" = 1 ] || { cat "$dir/jobs$j.err"; fail "--jobs $j exited $code, not 1"; }
    got=$(field "$dir/jobs$j.json" finding)
    [ "$(basename "$got")" = "$(basename "$ref")" ] || fail "--jobs $j saved $got, --jobs 1 $ref"
    cmp "$got" "$ref" || fail "--jobs $j's finding file differs from --jobs 1's"
    [ "$(field "$dir/jobs$j.json" schedule_index)" = "$index" ] || fail "--jobs $j reports another index"
    [ "$(field "$dir/jobs$j.json" jobs)" = "$j" ] || fail "--jobs $j: json does not say $j jobs"
    grep -q "seed $seed, $j jobs: .*FOUND A MISMATCH" "$dir/jobs$j.err" || fail "--jobs $j: no summary line"
    [ "$(ls "$dir/out-jobs$j"/*.sched | wc -l)" = 1 ] || fail "--jobs $j saved more than one finding"
  done
  for j in 1 2 3; do
    fuzz below$j --seed "$seed" --count "$index" --defect fsync-lies --out "$dir/out-below$j" --jobs "$j"
    code=$?
    [ "$code" = 0 ] || fail "--jobs $j --count $index (the finding not in it) exited $code"
    [ "$(field "$dir/below$j.json" schedules)" = "$index" ] || fail "--jobs $j --count $index ran another number"
    fuzz at$j --seed "$seed" --count $((index + 1)) --defect fsync-lies --out "$dir/out-at$j" --jobs "$j"
    code=$?
    [ "$code" = 1 ] || fail "--jobs $j --count $((index + 1)) exited $code, not 1"
    [ "$(basename "$(field "$dir/at$j.json" finding)")" = "$(basename "$ref")" ] || fail "--jobs $j --count $((index + 1)): another finding"
  done
  # Every one of the first schedules fails under no-locking with seed 3: the
  # 4 jobs each find one at once, in an order left to the scheduler; the
  # lowest index (0) must be the one reported, and the only file saved.
  fuzz nl1 --seed 3 --count 40 --defect no-locking --out "$dir/out-nl1"
  [ $? = 1 ] || fail "no-locking seed 3: --jobs 1 found nothing"
  ref=$(basename "$(field "$dir/nl1.json" finding)")
  for r in 1 2 3 4 5; do
    fuzz nl4 --seed 3 --count 40 --defect no-locking --out "$dir/out-nl4-$r" --jobs 4
    [ $? = 1 ] || fail "no-locking seed 3 --jobs 4 found nothing"
    [ "$(field "$dir/nl4.json" schedule_index)" = 0 ] || fail "run $r: --jobs 4 reported index $(field "$dir/nl4.json" schedule_index), not 0"
    [ "$(ls "$dir/out-nl4-$r"/*.sched)" = "$dir/out-nl4-$r/$ref" ] || fail "run $r: --jobs 4 saved $(ls "$dir/out-nl4-$r"), not only $ref"
  done
  echo "PASS: --jobs 2 and 3 report the finding at index $index as --jobs 1 does; --jobs 4 with 4 findings at once the lowest, 5 of 5 runs"
  ;;
count)
  for shard in "" "--shard 2/3"; do
    # shellcheck disable=SC2086
    fuzz one --seed 7 --count 40 $shard
    [ $? = 0 ] || fail "--jobs 1 $shard did not pass"
    # shellcheck disable=SC2086
    fuzz two --seed 7 --count 40 --jobs 2 $shard
    [ $? = 0 ] || { cat "$dir/two.err"; fail "--jobs 2 $shard did not pass"; }
    for k in schedules steps crashes; do
      a=$(field "$dir/one.json" $k)
      b=$(field "$dir/two.json" $k)
      [ "$a" = "$b" ] || fail "$shard $k: --jobs 1 $a, --jobs 2 $b"
    done
    [ "$(field "$dir/two.json" schedules)" = 40 ] || fail "--jobs 2 $shard did not run 40 schedules"
    echo "$shard: 40 schedules, steps $(field "$dir/two.json" steps), crashes $(field "$dir/two.json" crashes) either way"
  done
  echo "PASS: --jobs 2 runs the same 40 schedules as --jobs 1"
  ;;
interrupt | kill)
  "$harvey" fuzz --boundary fork --seed 21 --time 120 --scratch "$dir" --out "$dir/out" --jobs 2 \
    > "$dir/log" 2>&1 &
  parent_pid=$!
  jobs_pids=""
  for _ in $(seq 300); do  # both jobs and their workers up
    sleep 0.1
    jobs_pids=$(pgrep -P "$parent_pid" -f -- "--job-channel" | tr '\n' ' ')
    [ "$(echo $jobs_pids | wc -w)" = 2 ] && [ "$(ls -d "$dir"/harvey-* 2>/dev/null | wc -l)" = 3 ] && break
  done
  [ "$(echo $jobs_pids | wc -w)" = 2 ] || { cat "$dir/log"; fail "the two jobs did not start"; }
  sleep 1
  leftovers() {  # every job, every process a job started, every scratch directory
    for p in $jobs_pids; do kill -0 "$p" 2>/dev/null && echo "job $p"; done
    for p in $jobs_pids; do
      grep -lsxz "HARVEY_COORDINATOR=$p" /proc/[0-9]*/environ 2>/dev/null | sed 's/^/process of job: /'
    done
    ls -d "$dir"/harvey-* 2>/dev/null | sed 's/^/directory /'
  }
  if [ "$case" = interrupt ]; then
    kill -INT "$parent_pid"
    await_parent 20 SIGINT
    [ "$code" = 130 ] || { cat "$dir/log"; fail "exit $code after SIGINT, not 130"; }
    grep -q "2 jobs: .*interrupted" "$dir/log" || { cat "$dir/log"; fail "no interrupted summary"; }
    left=$(leftovers)
    [ -z "$left" ] || fail "left after SIGINT: $left"
  else
    kill -KILL "$parent_pid"
    wait "$parent_pid" 2>/dev/null
    parent_pid=""
    left=x
    for _ in $(seq 100); do
      left=$(leftovers)
      [ -z "$left" ] && break
      sleep 0.1
    done
    [ -z "$left" ] || fail "left 10 s after SIGKILL: $left"
  fi
  sig=INT
  [ "$case" = kill ] && sig=KILL
  echo "PASS: nothing left after SIG$sig"
  ;;
harness-error)
  # A worker of one job hangs (SIGSTOP) past HARVEY_WORKER_LIMIT_MS: that job
  # reports a harness error, the parent stops the other and exits 4, saying so.
  HARVEY_WORKER_LIMIT_MS=1500 "$harvey" fuzz --boundary fork --seed 12 --time 120 --kills 0 --power-losses 0 \
    --scratch "$dir" --out "$dir/out" --jobs 2 --json > "$dir/he.json" 2> "$dir/he.err" &
  parent_pid=$!
  worker=""
  for _ in $(seq 300); do
    sleep 0.1
    job=$(pgrep -P "$parent_pid" -f -- "--job-channel" | head -1)
    [ -n "$job" ] && worker=$(pgrep -P "$job" | head -1)
    [ -n "$worker" ] && break
  done
  [ -n "$worker" ] || fail "no worker of a job appeared"
  sleep 0.5
  kill -STOP "$worker"
  await_parent 60 "a job's worker hung"
  [ "$code" = 4 ] || { cat "$dir/he.err"; fail "exit $code, not 4"; }
  grep -q "harness error, not a finding" "$dir/he.err" || fail "the job's message is not shown"
  grep -q "2 jobs: .*STOPPED BY A HARNESS ERROR" "$dir/he.err" || fail "no harness-error summary"
  [ "$(field "$dir/he.json" findings)" = 0 ] || fail "a harness error counted as a finding"
  [ "$(field "$dir/he.json" harness_error)" != None ] || fail "--json has no harness_error"
  kill -0 "$worker" 2>/dev/null && fail "the hung worker $worker was left behind"
  ls -d "$dir"/harvey-* 2>/dev/null && fail "scratch directories left"
  echo "PASS: a harness error in one job stops both, exit 4"
  ;;
reach)
  # One reach table over every job's workers: the same points as --jobs 1.
  for j in 1 2; do
    "$harvey" fuzz --boundary fork --seed 3 --count 30 --reach --scratch "$dir" --jobs $j 2> "$dir/reach$j.err"
    code=$?
    [ "$code" = 0 ] || { cat "$dir/reach$j.err"; fail "--reach --jobs $j exited $code"; }
    grep -q "preemption points hit" "$dir/reach$j.err" || fail "--jobs $j printed no reach table"
    [ "$(grep -c "preemption points hit" "$dir/reach$j.err")" = 1 ] || fail "--jobs $j printed more than one reach table"
  done
  points() { sed -n 's/.* \([0-9]*\) preemption points hit/\1/p' "$1"; sed -n '/by event kind/,/by calling/p' "$1"; }
  [ "$(points "$dir/reach1.err")" = "$(points "$dir/reach2.err")" ] ||
    fail "reach differs: $(diff <(points "$dir/reach1.err") <(points "$dir/reach2.err"))"
  echo "PASS: --reach --jobs 2 counts the same $(points "$dir/reach2.err" | head -1) points as --jobs 1"
  ;;
junit)
  command -v xmllint > /dev/null || { echo "SKIP: xmllint is not installed (Debian libxml2-utils)"; exit 77; }
  xsd=$(dirname "$0")/../junit-10.xsd
  fuzz jclean --seed 1 --count 250 --jobs 2 --junit "$dir/clean.xml" --out "$dir/out-jclean"
  [ $? = 0 ] || fail "--jobs 2 --junit (clean) did not pass"
  xmllint --noout --schema "$xsd" "$dir/clean.xml" || fail "clean.xml does not validate"
  [ "$(grep -c '<testcase ' "$dir/clean.xml")" = 3 ] || fail "want 3 testcases (100, 100, 50 schedules): $(cat "$dir/clean.xml")"
  grep -q 'name="schedules 200-249"' "$dir/clean.xml" || fail "no last batch 200-249"
  grep -q '<failure\|<error' "$dir/clean.xml" && fail "a clean run has a failure"
  fuzz jfind --seed 2 --count 100 --defect fsync-lies --jobs 2 --junit "$dir/find.xml" --out "$dir/out-jfind"
  [ $? = 1 ] || fail "--jobs 2 --junit (fsync-lies) did not find"
  xmllint --noout --schema "$xsd" "$dir/find.xml" || fail "find.xml does not validate"
  [ "$(grep -c '<failure ' "$dir/find.xml")" = 1 ] || fail "want one <failure>: $(cat "$dir/find.xml")"
  grep -q 'type="step:power-loss:recovery"' "$dir/find.xml" || fail "the failure's type is not the finding's class"
  grep -q "replay: harvey run $dir/out-jfind/finding-" "$dir/find.xml" || fail "the failure lacks the replay command"
  echo "PASS: --jobs 2 --junit: batches over the jobs' total, the finding as the one failure, valid XML"
  ;;
*)
  echo "unknown case $case"
  exit 2
  ;;
esac
