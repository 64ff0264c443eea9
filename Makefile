# Makefile: the two commands of the README, and the steps under them.
#   make run    install what is missing, build, run examples/hello.ts on every core (Node host)
#   make test   the whole test suite; ends with "N passed, N failed"
NODE ?= node
CORES ?=

.PHONY: all deps system-deps build gen run test bench clean

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

# Rewrite the sources generated from data files (runtime/trace-events.json …); commit the result.
gen: build
	$(NODE) tools/bin/aam.js gen

run: build
	$(NODE) tools/bin/aam.js run examples/hello.ts $(if $(CORES),--cores $(CORES)) --stats

test: build system-deps
	$(NODE) tools/test/run.mjs

# Benchmarks are not tests: they print figures with their baselines, they do not pass or fail.
bench: build
	$(NODE) tools/bin/aam.js bench --json build/bench/results.json $(if $(HOST),--host $(HOST))

clean:
	rm -rf build
