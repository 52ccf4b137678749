# The two commands a newcomer needs: `make demo` and `make test`. Both install what they need first.
PRESET ?= release
BUILD_DIR := build/$(PRESET)
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

PREFIX ?= /usr/local

.PHONY: all deps configure build test test-asan demo install package bench fuzz chaos clean format check-format

all: build

deps:
	@bash scripts/install-deps.sh

configure: deps
	@cmake --preset $(PRESET) >/dev/null

build: configure
	@cmake --build --preset $(PRESET) -j $(JOBS)

test: build
	@ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS) $(CTEST_ARGS)

# Unit tests under AddressSanitizer + UndefinedBehaviorSanitizer (CI runs this too), and the short
# fuzz run: each fuzz target's seeds replayed and mutated for 20 s under gcc's sanitizers (label fuzz).
test-asan: deps
	@cmake --preset asan >/dev/null
	@cmake --build --preset asan -j $(JOBS)
	@ctest --test-dir build/asan --output-on-failure -j $(JOBS) -L 'unit|fuzz'

# libFuzzer targets (clang, ASan+UBSan), each run for FUZZ_SECONDS; findings fail the target.
# See docs/fuzzing.md. Not part of `make test`.
FUZZ_SECONDS ?= 60
fuzz:
	@bash scripts/install-deps.sh --fuzz
	@cmake --preset fuzz >/dev/null
	@cmake --build --preset fuzz -j $(JOBS)
	@FUZZ_SECONDS=$(FUZZ_SECONDS) bash fuzz/run.sh build/fuzz $(FUZZ_TARGETS)

# Fault drills (docs/chaos.md): a full run of 1,000 instances under injected faults compared with a
# clean run, then 50 kill -9 points each resumed. CHAOS_ARGS passes options to the drill
# (e.g. CHAOS_ARGS="--kills 5 --instances 100"). Not part of `make test`.
CHAOS_ARGS ?=
chaos: build
	@BUILD_DIR=$(BUILD_DIR) bash bench/chaos.sh $(CHAOS_ARGS)

# The fast first run: only the build dependencies and the fleetpatch binary (no test binaries), built
# by the demo preset (-O1 without debug info, precompiled common headers: about half the compile time
# of the release preset's -O2 -g).
DEMO_PRESET ?= demo
demo:
	@bash scripts/install-deps.sh --build-only
	@cmake --preset $(DEMO_PRESET) >/dev/null
	@cmake --build --preset $(DEMO_PRESET) -j $(JOBS) --target fleetpatch
	@build/$(DEMO_PRESET)/fleetpatch demo

# cmake --install of the binary, man pages, completions, schemas and examples: PREFIX, DESTDIR.
install: configure
	@cmake --build --preset $(PRESET) -j $(JOBS) --target fleetpatch fp_docs
	@DESTDIR="$(DESTDIR)" cmake --install $(BUILD_DIR) --prefix "$(PREFIX)"

# The Debian packages (fleetpatch and fleetpatch-dbgsym) in build/packages.
package: configure
	@cmake --build --preset $(PRESET) -j $(JOBS) --target fleetpatch fp_docs
	@bash packaging/build-deb.sh $(BUILD_DIR) build/packages

bench: build
	@BUILD_DIR=$(BUILD_DIR) bash bench/run.sh

format:
	@clang-format -i $$(git ls-files '*.h' '*.cc')

check-format:
	@scripts/check-format.sh

clean:
	@rm -rf build
