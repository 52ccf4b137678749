#!/usr/bin/env bash
# Installs the Debian (bookworm) packages fleetpatch needs to build, test and demo.
# Does nothing when all are present. Runs apt-get as root, or through sudo otherwise.
# --build-only: just what building fleetpatch needs (`make demo`: a fast first run).
# --fuzz: also clang with libFuzzer (`make fuzz`). `make test` and CI do without it: CI's short fuzz
# run is built by gcc (docs/fuzzing.md#in-ci), and clang's packages are ~100 MB to install.
set -euo pipefail
mode="${1:-}"

packages=(
  g++ cmake ninja-build pkg-config make ca-certificates
  libcurl4-openssl-dev libssl-dev libyaml-cpp-dev nlohmann-json3-dev libpugixml-dev
  libsqlite3-dev libpq-dev libcli11-dev libspdlog-dev libfmt-dev libcpp-httplib-dev
  libgtest-dev libgmock-dev libbenchmark-dev
)
[ "$mode" = "--build-only" ] || packages+=(
  # Test-only tools: awscli is the real client the emulator is checked against; chromium renders the
  # HTML dashboard; xmllint validates XML reports against their XSD; python3-jsonschema validates JSON.
  awscli chromium libxml2-utils python3 python3-jsonschema
  # Format check only (scripts/check-format.sh).
  clang-format
  # Benchmark-only: GNU time (peak RSS, CPU time of fleetpatch) and PyYAML (bench/analyze.py).
  time python3-yaml
  # The package test (dpkg-shlibdeps, lintian) and the metrics test (promtool).
  dpkg-dev lintian prometheus
  # Run time: the system tz database that workflow.window time zones are read from.
  tzdata
  # The PostgreSQL state store's tests start a real server (initdb + pg_ctl from postgresql-15).
  postgresql
)
# Fuzzing (make fuzz): clang with libFuzzer and the sanitizer runtimes.
[ "$mode" != "--fuzz" ] || packages+=(clang libclang-rt-14-dev)
# Optional extras (faster rebuilds); never required.
optional=(ccache)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
$SUDO apt-get install -y -q --no-install-recommends "${optional[@]}" >/dev/null 2>&1 || true
