#!/usr/bin/env bash
# The workflow benchmark (not a test): fleetpatch's full workflow on a generated fleet against the
# emulator with 20 ms latency per call and AWS-like rate limits. Prints the figures bench/README.md
# reports (wall time, API calls of each kind against the minimum the page sizes allow, throttled
# calls, peak RSS and CPU time of fleetpatch).
#
#   bash bench/run.sh            # 10,000 instances in 20 zones (about 8 minutes)
#   bash bench/run.sh --quick    # 500 instances in 5 zones (smoke run, about a minute)
#   bash bench/run.sh --command compliance --instances 100000 --zones 200   # between runs (issue 12),
#   bash bench/run.sh --command prune --instances 10000 --zones 20          # analysed by analyze_between.py
#   --command full (default) | compliance | prune: what fleetpatch runs. compliance generates patch
#            states (--patch-states SPEC, default never=0.05,stale=0.1,reboot=0.15); prune generates
#            --old-backups K old fleetpatch AMIs (default: one per instance) and prunes them with --yes
#            and backup.keep_last --keep-last N (default 0: every backup past its retention goes).
#   options: --instances N --zones Z --seed S --time-scale X --latency-ms MS --wave N --no-build
#            --poll-interval S (workflow.poll_interval; default: the product's default)
#            --real-first-poll (workflow.first_poll.* at the product's defaults instead of scaled by
#            --time-scale; see the config below)
#            --first-poll KIND=S (workflow.first_poll.KIND set to S seconds, whatever the mode above;
#            repeatable; KIND: ami, precheck, patch, reboot)
#            --extra-config FILE (YAML appended to the generated config, e.g. an aws: section)
#            --work DIR (kept; default: a fresh directory under /tmp)
#            --fleet FILE (a fleet file instead of the generator's, e.g. examples/demo/fleet.yml)
#            --workers N (a scan, then N `fleetpatch worker` processes sharing the run's zones)
#            --postgres (the state store on a throwaway PostgreSQL server, testing/postgres-test-server.sh,
#            logging every statement: the figures gain the database round trips per instance)
#            --no-postcheck (workflow.phases.postcheck: false: backup, precheck and patch only, the
#            work analyze.py's minimum number of calls and critical path cover)
#            --time-limit S (after S seconds, Ctrl-C fleetpatch: it stops starting work, writes its
#            report and exits resumable; the figures then cover the work done, calls included)
#   BUILD_DIR (default build/bench, configured Release; `make bench` passes build/release) holds the binaries.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${BUILD_DIR:-$repo/build/bench}"
instances=10000 zones=20 seed=7 time_scale=240 latency_ms=20 build=1 work="" timeout_s=60 ssm_s=60 wave=1000 extra="" poll=""
scale_first_poll=1
declare -A first_poll_set=()
fleet_src="" workers=1 postgres=0 command=full patch_states="" old_backups="" keep_last=0 time_limit=0 postcheck=1
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) instances=500 zones=5 time_scale=600 wave=250 ;;
    --instances) instances="$2"; shift ;;
    --zones) zones="$2"; shift ;;
    --seed) seed="$2"; shift ;;
    --time-scale) time_scale="$2"; shift ;;
    --latency-ms) latency_ms="$2"; shift ;;
    --wave) wave="$2"; shift ;;
    --extra-config) extra="$2"; shift ;;
    --poll-interval) poll="$2"; shift ;;
    --real-first-poll) scale_first_poll=0 ;;
    --first-poll) first_poll_set["${2%%=*}"]="${2#*=}"; shift ;;
    --fleet) fleet_src="$2"; shift ;;
    --workers) workers="$2"; shift ;;
    --postgres) postgres=1 ;;
    --command) command="$2"; shift ;;
    --patch-states) patch_states="$2"; shift ;;
    --old-backups) old_backups="$2"; shift ;;
    --keep-last) keep_last="$2"; shift ;;
    --time-limit) time_limit="$2"; shift ;;
    --no-postcheck) postcheck=0 ;;
    --no-build) build=0 ;;
    --work) work="$2"; shift ;;
    -h|--help) sed -n '2,29p' "$0"; exit 0 ;;
    *) echo "bench/run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

case "$command" in
  full) ;;
  compliance) patch_states="${patch_states:-never=0.05,stale=0.1,reboot=0.15}" ;;
  prune) old_backups="${old_backups:-$instances}" ;;
  *) echo "bench/run.sh: --command is full, compliance or prune, not $command" >&2; exit 2 ;;
esac
if [ ! -x /usr/bin/time ]; then
  echo "bench/run.sh: /usr/bin/time is missing (Debian package 'time'; make deps installs it)" >&2
  exit 1
fi
if [ "$build" = 1 ]; then
  if [ ! -f "$build_dir/CMakeCache.txt" ]; then
    launcher=()
    command -v ccache >/dev/null 2>&1 && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
    cmake -S "$repo" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DFP_BUILD_BENCH=ON "${launcher[@]}" >/dev/null
  fi
  cmake --build "$build_dir" --target fleetpatch fleetpatch-emulator fp_bench_workflow -j"${JOBS:-2}"
fi
build_dir="$(cd "$build_dir" && pwd)"  # absolute: fleetpatch runs from the working directory
build_type="$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build_dir/CMakeCache.txt")"
case "$build_type" in
  Release|RelWithDebInfo) ;;
  *) echo "bench/run.sh: warning: $build_dir is a '$build_type' build, not an optimised one" >&2 ;;
esac

[ -n "$work" ] || work="$(mktemp -d /tmp/fp-bench.XXXXXX)"
mkdir -p "$work"
work="$(cd "$work" && pwd)"
echo "bench/run.sh: working in $work" >&2

# 1. The fleet (the emulator's seeded generator, run inside the emulator host: loading a written
#    fleet file costs yaml-cpp about 50 bytes of memory per byte of YAML) and the emulator host,
#    which also writes the matching landing-zones inventory, and fleet.yml for the workflow's
#    analysis (the simulated durations).
if [ -n "$fleet_src" ]; then
  cp "$fleet_src" "$work/fleet.yml"
  zones="$(grep -c '^  - id: "' "$work/fleet.yml")"  # one zone per account (each has one region)
  instances="$(grep -c '^  - id: i-' "$work/fleet.yml")"
  fleet_args=(--fleet "$work/fleet.yml")
else
  fleet_args=(--generate "$instances" --zones "$zones" --seed "$seed")
  [ -z "$patch_states" ] || fleet_args+=(--patch-states "$patch_states")
  [ -z "$old_backups" ] || fleet_args+=(--old-backups "$old_backups")
  [ "$command" != full ] || fleet_args+=(--write-fleet "$work/fleet.yml")
fi
"$build_dir/bench/fp_bench_workflow" "${fleet_args[@]}" --landing-zones "$work/landing_zones.yml" \
  --request-log "$work/requests.json" --time-scale "$time_scale" --latency-ms "$latency_ms" \
  >"$work/emulator.env" 2>"$work/emulator.err" &
emu_pid=$!
stop_emulator() { kill -TERM "$emu_pid" 2>/dev/null || true; wait "$emu_pid" 2>/dev/null || true; }
trap stop_emulator EXIT
# Making the fleet takes about a second per 10,000 instances on an idle machine: wait up to 10 min.
ready=0
for _ in $(seq 1 6000); do
  [ "$(grep -c '^export ' "$work/emulator.env" 2>/dev/null || true)" -ge 4 ] && { ready=1; break; }
  kill -0 "$emu_pid" 2>/dev/null || { cat "$work/emulator.err" >&2; exit 1; }
  sleep 0.1
done
[ "$ready" = 1 ] || { echo "bench/run.sh: the emulator did not start within 10 minutes" >&2; exit 1; }

# The state store: SQLite in the work directory, or (--postgres) a throwaway PostgreSQL server that
# logs every statement it runs (each is one round trip from fleetpatch: libpq sends a parameterised
# statement as one message batch and waits for its answer).
state_yaml="  path: $work/state.db"
if [ "$postgres" = 1 ]; then
  pg_dir="$(mktemp -d /tmp/fp-bench-pg.XXXXXX)"
  FP_POSTGRES_SERVER_OPTS="-c log_statement=all" bash "$repo/testing/postgres-test-server.sh" start "$pg_dir"
  stop_postgres() { bash "$repo/testing/postgres-test-server.sh" stop "$pg_dir"; }
  trap 'stop_emulator; stop_postgres' EXIT
  state_yaml="  url: postgresql:///postgres?host=$pg_dir&user=fleetpatch"
fi

# 2. fleetpatch's configuration.
#  - zone_workers = zones (at most 64): every zone at once (the default of 4 would run the zones in 5 rounds).
#  - fleetpatch's timeouts are real seconds while the emulator's durations are simulated. 60 s (the
#    configurable minimum) is, at time scale 240, four simulated hours: long enough that the
#    emulator's own outcomes (an AMI in 5-20 min, a patch run in 2-22 min, a hanging patch run
#    ending TimedOut at AWS-RunPatchBaseline's 2 h execution timeout) decide, not fleetpatch's timer.
#  - Patch waves are run-wide (max_concurrency bounds the instances patched at once over all
#    zones; at most 1000), so the default of 50 would patch 10,000 instances in ~190 sequential
#    waves. The bench patches like an operator of a large fleet would: a canary instance, then
#    waves of 1000.
#  - workflow.poll_interval stays at its default (10 s, real time) unless --poll-interval is given:
#    the figures in bench/README.md are the default's.
#    At this time scale a shorter interval would end each phase sooner at the cost of more polls.
#  - workflow.first_poll.* (the first check of new work, at the first moment any of it can have
#    finished, then re-checks at waits doubling up to poll_interval) are the product's real first
#    moments (its defaults, read from docs/configuration.md: ami 60 s, precheck 3 s, patch 60 s,
#    reboot 30 s when this was written) divided by the
#    time scale, rounded up and clamped at the config's minimum of 1 s (at 240: 1 s each), so that the
#    benchmark keeps the real ratio of polls to work: a wave is then seen to end within about twice
#    its slowest run instead of at the next 10 s poll. --real-first-poll keeps the real values (each
#    then capped at poll_interval: every check 10 s apart, as on AWS).
#  - zone_workers is capped at the config's maximum (concurrency.zone_workers: 1-64): with more zones
#    than workers, zones start as earlier ones end.
#  - With --workers N, each worker takes ceil(zones / N) zones at once, so that the zones spread over
#    the workers (a worker claims up to zone_workers zones: with all of them, the first would take all).
zone_workers=$(( (zones + workers - 1) / workers ))
zone_workers=$(( zone_workers < 64 ? zone_workers : 64 ))
# The product's default first poll of KIND in seconds, from the configuration reference that is
# generated from the config table (config_docs_test keeps the two equal): not a copy of its own.
default_first_poll() {
  local s
  s="$(sed -n "s/^| \`workflow\.first_poll\.$1\` | \`\([0-9][0-9]*\)\`.*/\1/p" "$repo/docs/configuration.md")"
  [ -n "$s" ] || { echo "bench/run.sh: no default for workflow.first_poll.$1 in docs/configuration.md" >&2; exit 2; }
  echo "$s"
}
first_poll=""
for kind in ami precheck patch reboot; do
  if [ -n "${first_poll_set[$kind]:-}" ]; then
    value="${first_poll_set[$kind]}"
  elif [ "$scale_first_poll" = 1 ]; then
    real_s="$(default_first_poll "$kind")" || exit 2
    value="$(awk -v s="$real_s" -v x="$time_scale" 'BEGIN { v = s / x; c = int(v); if (c < v) c++; print (c < 1 ? 1 : c) }')"
  else
    continue
  fi
  first_poll+=$'\n'"    $kind: $value"
done
[ -z "$first_poll" ] || first_poll=$'\n'"  first_poll:$first_poll"
cat >"$work/config.yml" <<EOF
version: 1
landing_zones: landing_zones.yml
workflow:${poll:+
  poll_interval: $poll}$( [ "$postcheck" = 1 ] || printf '\n  phases:\n    postcheck: false')$first_poll
  timeouts:
    ami_creation: $timeout_s
    patch_execution: $timeout_s
    ssm_connection: $ssm_s
    precheck_command: 600
concurrency:
  zone_workers: $zone_workers
error_budget: "10%"
patch:
  canary_size: 1
  max_concurrency: $wave
reporting:
  output_dir: $work/reports
  formats: [json]
state:
$state_yaml
EOF
[ "$command" != prune ] || printf 'backup:\n  keep_last: %s\n' "$keep_last" >>"$work/config.yml"
[ -z "$extra" ] || cat "$extra" >>"$work/config.yml"

# 3. fleetpatch as its own process (or a scan, then --workers processes), each under GNU time for
#    peak RSS and CPU time.
fleetpatch_timed() {  # TAG ARGS...: one fleetpatch process, its GNU time figures in time-TAG.txt
  local tag="$1"
  shift
  /usr/bin/time -v -o "$work/time-$tag.txt" "$build_dir/fleetpatch" --config "$work/config.yml" "$@" \
    --output json >"$work/summary-$tag.json" 2>"$work/fleetpatch-$tag.err"
}
set +e
(
  set -a
  # shellcheck disable=SC1091
  . "$work/emulator.env"
  set +a
  cd "$work"
  start=$(date +%s%N)
  if [ "$workers" -gt 1 ]; then
    fleetpatch_timed scan --workflow scan
    run_id="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["run_id"])' "$work/summary-scan.json")"
    for k in $(seq 1 "$workers"); do fleetpatch_timed "w$k" worker --run "$run_id" --worker-id "w$k" --yes & done
    wait
    rc=0
  else
    case "$command" in
      full) fleetpatch_timed run --workflow full --yes & ;;
      compliance) fleetpatch_timed compliance compliance & ;;
      prune) fleetpatch_timed prune prune --yes & ;;
    esac
    time_pid=$!
    # $time_pid is the subshell running fleetpatch_timed: its child is GNU time, whose child is fleetpatch.
    fleetpatch_pid() {
      local gnu_time
      gnu_time="$(pgrep -P "$time_pid" 2>/dev/null | head -1 || true)"
      [ -z "$gnu_time" ] || pgrep -P "$gnu_time" 2>/dev/null | head -1 || true
    }
    if [ "$time_limit" -gt 0 ]; then
      ( sleep "$time_limit"; p="$(fleetpatch_pid)"; [ -z "$p" ] || kill -INT "$p" 2>/dev/null || true ) &
      limit_pid=$!
    fi
    # Resident memory of fleetpatch every half second (seconds since start, KiB), to see when it peaks.
    (
      while kill -0 "$time_pid" 2>/dev/null; do
        fp_pid="$(fleetpatch_pid)"
        if [ -n "$fp_pid" ]; then
          rss="$(awk '/^VmRSS:/ {print $2}' "/proc/$fp_pid/status" 2>/dev/null || true)"
          [ -z "$rss" ] || echo "$(( ($(date +%s%N) - start) / 1000000 )) $rss"
        fi
        # The emulator host's too (not fleetpatch's figure; it shares the machine).
        emu_rss="$(awk '/^VmRSS:/ {print $2}' "/proc/$emu_pid/status" 2>/dev/null || true)"
        [ -z "$emu_rss" ] || echo "$(( ($(date +%s%N) - start) / 1000000 )) $emu_rss" >>"$work/emulator-rss.tsv"
        sleep 0.5
      done
    ) >"$work/rss.tsv" &
    wait "$time_pid"
    rc=$?
    [ -z "${limit_pid:-}" ] || kill "$limit_pid" 2>/dev/null || true
  fi
  end=$(date +%s%N)
  echo "{\"exit_code\": $rc, \"wall_ms\": $(( (end - start) / 1000000 ))}" >"$work/wall.json"
)
set -e
stop_emulator
if [ "$postgres" = 1 ]; then
  grep -cE 'LOG:  (statement|execute [^:]*):' "$pg_dir/server.log" >"$work/db-statements.txt" || true
  stop_postgres
fi
trap - EXIT

load="$(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$command" != full ]; then
  python3 "$repo/bench/analyze_between.py" --work "$work" --command "$command" --latency-ms "$latency_ms" \
    --zone-workers "$zone_workers" --load "$load" | tee "$work/results.md"
  exit 0
fi
python3 "$repo/bench/analyze.py" --work "$work" --instances "$instances" --zones "$zones" --seed "$seed" \
  --time-scale "$time_scale" --latency-ms "$latency_ms" --load "$load" --patch-timeout "$timeout_s" \
  --ssm-timeout "$ssm_s" | tee "$work/results.md"
