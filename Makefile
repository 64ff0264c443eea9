# Makefile: the two commands of the README, and the steps under them.
#   make run    install what is missing, build, run examples/hello.ts on every core (Node host)
#   make test   the whole test suite; ends with "N passed, N failed"
#   make test-under-load   make test 3 times in a row beside 2 CPU-burning processes
#   make gen    rewrite the files generated from runtime/abi.json and runtime/trace-events.json
NODE ?= node
CORES ?=

.PHONY: all deps system-deps build gen run test test-under-load bench clean

all: build

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

deps: node_modules/.installed

# System packages for the QEMU host, spin and their tests (apt-get as root; quiet when present).
system-deps:
	sh tools/system-deps.sh

build: deps
	$(NODE) tools/bundle.mjs

# Rewrite the sources generated from data files: runtime/rt/abi.ts, tools/host/abi.ts, boot/abi.h
# (from runtime/abi.json) and runtime/sys/trace_events.ts (from runtime/trace-events.json). The
# build and the tests only check them; commit what this writes.
gen:
	$(NODE) tools/build/abi.mjs

run: build
	$(NODE) tools/bin/aam.js run examples/hello.ts $(if $(CORES),--cores $(CORES)) --stats

test: build system-deps
	$(NODE) tools/test/run.mjs

# The suite on a busy machine: RUNS (3) runs of `make test`, BURNERS (2) CPU burners beside them;
# prints each run's summary, duration and load average (tools/test/under-load.mjs).
test-under-load: build system-deps
	$(NODE) tools/test/under-load.mjs

# Benchmarks are not tests: they print figures with their baselines, they do not pass or fail.
bench: build
	$(NODE) tools/bin/aam.js bench --json build/bench/results.json $(if $(HOST),--host $(HOST))

clean:
	rm -rf build
