#!/usr/bin/env bash
# Runs the fault drills (bench/chaos_drill.cc) against BUILD_DIR's fleetpatch:
#   BUILD_DIR=build/release bash bench/chaos.sh [drill options]
# Defaults: 1,000 instances in 10 zones under throttle 20%, 5xx 5%, dropped connections 1%, then
# 50 kill -9 points on 100 instances in 4 zones. Figures: BUILD_DIR/chaos/chaos.json (docs/chaos.md).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build/release}
cmake --build "$build" --target fleetpatch fp_chaos_drill >/dev/null
work="$build/chaos"
mkdir -p "$work"
start=$(date +%s)
"$build/bench/fp_chaos_drill" --fleetpatch "$build/fleetpatch" --work "$work/runs" --out "$work/chaos.json" "$@" \
  >/dev/null
echo "chaos: all drills passed in $(( $(date +%s) - start )) s; figures in $work/chaos.json"
