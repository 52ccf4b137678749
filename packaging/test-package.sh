#!/usr/bin/env bash
# The package test (ctest label `package`): builds the .deb from an already-built tree, unpacks it
# into a scratch root with dpkg -x, and checks what a user gets: the binary is stripped and its
# debug file matches its build id, --version and `demo` work, the man pages and completions equal
# what the installed binary generates from its own --help definition, bash completion completes,
# and lintian reports no error.
# Usage: packaging/test-package.sh BUILD_DIR
set -euo pipefail

build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

mapfile -t debs < <(bash "$here/build-deb.sh" "$build" "$scratch/debs")
[ ${#debs[@]} -eq 2 ] || fail "build-deb.sh made ${#debs[@]} packages, expected 2"
root="$scratch/root"
for deb in "${debs[@]}"; do dpkg -x "$deb" "$root"; done
bin="$root/usr/bin/fleetpatch"

# Stripped, with the debug symbols in the dbgsym package under its build id.
readelf -S "$bin" | grep -q '\.debug_info' && fail "installed binary still has .debug_info"
build_id=$(readelf -n "$bin" 2>/dev/null | sed -n 's/.*Build ID: *\([0-9a-f]*\).*/\1/p')
debug="$root/usr/lib/debug/.build-id/${build_id:0:2}/${build_id:2}.debug"
readelf -S "$debug" 2>/dev/null | grep -q '\.debug_info' || fail "no debug info at $debug"
echo "installed binary: $(stat -c %s "$bin") bytes (build tree: $(stat -c %s "$build/fleetpatch"))"

expected_version=$("$build/fleetpatch" --version)
[ "$("$bin" --version)" = "$expected_version" ] || fail "--version: $("$bin" --version) != $expected_version"

(cd "$scratch" && "$bin" demo --quiet --metrics-file "$scratch/fleetpatch.prom" > demo.out 2> demo.err) ||
  { cat "$scratch/demo.err" >&2; fail "demo failed"; }
grep -q "Reports:" "$scratch/demo.out" || fail "demo printed no summary"
# The demo's metrics file, end to end: valid for Prometheus, with per-phase counts and AWS calls.
promtool check metrics < "$scratch/fleetpatch.prom" || fail "promtool rejects the demo's metrics file"
grep -q '^fleetpatch_instances{phase="patch",outcome="failed"} [1-9]' "$scratch/fleetpatch.prom" ||
  fail "no failed patch count in the metrics file"
grep -q '^fleetpatch_aws_api_calls_total{operation="ec2:DescribeInstances"} [1-9]' "$scratch/fleetpatch.prom" ||
  fail "no AWS call count in the metrics file"

# Man pages and completions are exactly what the installed binary generates.
"$bin" gen-docs "$scratch/gen" > /dev/null
for page in "$scratch"/gen/man1/*.1; do
  installed="$root/usr/share/man/man1/$(basename "$page").gz"
  [ -f "$installed" ] || fail "missing man page $installed"
  zcat "$installed" | cmp -s - "$page" || fail "$installed differs from the binary's gen-docs"
done
cmp "$scratch/gen/bash-completion/fleetpatch" "$root/usr/share/bash-completion/completions/fleetpatch"
cmp "$scratch/gen/zsh/_fleetpatch" "$root/usr/share/zsh/vendor-completions/_fleetpatch"
[ -f "$root/usr/share/fleetpatch/schemas/config.schema.json" ] || fail "schemas not installed"
[ -f "$root/usr/share/fleetpatch/examples/config/prepatch_config.yml" ] || fail "examples not installed"

words=$(bash -c 'source "$1"; COMP_WORDS=(fleetpatch --log-f); COMP_CWORD=1; _fleetpatch; echo "${COMPREPLY[*]}"' _ \
  "$root/usr/share/bash-completion/completions/fleetpatch")
[ "$words" = "--log-format" ] || fail "bash completion of --log-f gave '$words'"

# lintian: no errors (warnings are printed, not fatal).
lintian --fail-on error --suppress-tags-from-file /dev/null "${debs[@]}" || fail "lintian reported errors"
echo "package test: OK (${debs[*]##*/})"
