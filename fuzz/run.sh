#!/usr/bin/env bash
# Runs every libFuzzer target, one after another, for FUZZ_SECONDS (default 20), seeds first:
#   fuzz/run.sh BUILD_DIR [TARGET...]
# Corpora grow in BUILD_DIR/corpus/<target> (seeded from ../shared/testdata and examples/ first);
# a crash is saved as BUILD_DIR/crashes/<target>/crash-* and fails the run. Each target gets
# -rss_limit_mb=2048 and -timeout=10 (an input slower than 10 s counts as a finding).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:?usage: fuzz/run.sh BUILD_DIR [TARGET...]}
shift
seconds=${FUZZ_SECONDS:-20}
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(fuzz_xml_response fuzz_json_response fuzz_config fuzz_fleet fuzz_precheck fuzz_endpoint_arn fuzz_sigv4)
fi
testdata=${FP_TESTDATA_DIR:-../shared/testdata/aws}
python3 fuzz/seed_corpus.py "$PWD" "$testdata" "$build/seeds"
failed=()
for t in "${targets[@]}"; do
  mkdir -p "$build/corpus/$t" "$build/crashes/$t"
  start=$(date +%s)
  if ! "$build/fuzz/$t" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
      -artifact_prefix="$build/crashes/$t/" "$build/corpus/$t" "$build/seeds/$t" >"$build/$t.log" 2>&1; then
    failed+=("$t")
    tail -n 40 "$build/$t.log" >&2
  fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$build/$t.log" | grep -o '[0-9]*$' || echo 0)
  cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$build/$t.log" | tail -n 1 || true)
  echo "fuzz: $t: $((  $(date +%s) - start )) s, $runs runs, ${cov:-cov: ?}, corpus $(ls "$build/corpus/$t" | wc -l) files," \
       "$([[ " ${failed[*]-} " == *" $t "* ]] && echo CRASH || echo 0 crashes)"
done
if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzz: findings in: ${failed[*]} (inputs under $build/crashes/)" >&2
  exit 1
fi
