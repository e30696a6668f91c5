# Crossbit — `make demo` runs the cross-bitness demo, `make test` runs every test.
# Both install the Debian packages they need first (scripts/install-deps.sh).

SWIFT ?= swift
SWIFT_BUILD_FLAGS ?=

.PHONY: all deps build release test examples demo bench fuzz clean

all: build

deps:
	@bash scripts/install-deps.sh

build: deps
	$(SWIFT) build $(SWIFT_BUILD_FLAGS)

release: deps
	$(SWIFT) build -c release $(SWIFT_BUILD_FLAGS)

test: deps
	$(SWIFT) build --build-tests $(SWIFT_BUILD_FLAGS)
	# One test at a time: several suites assert that concurrent calls overlap
	# in time, which a 2-core machine busy with other suites' compilers cannot
	# show; serial costs seconds, since the suites wait on real processes.
	bash scripts/with-rpcbind.sh $(SWIFT) test --skip-build --no-parallel $(SWIFT_BUILD_FLAGS)
	BIN="$$($(SWIFT) build --show-bin-path $(SWIFT_BUILD_FLAGS))" SWIFT=$(SWIFT) bash scripts/run-examples.sh

# Builds the C sides of Examples/ and runs every example (also part of `make test`).
examples: build
	BIN="$$($(SWIFT) build --show-bin-path $(SWIFT_BUILD_FLAGS))" SWIFT=$(SWIFT) bash scripts/run-examples.sh

# Builds, then runs the examples with a transcript: which process is 32-bit or
# 64-bit, what was called and converted; stops everything it started.
demo: deps
	@SWIFT=$(SWIFT) bash scripts/demo.sh $(SWIFT_BUILD_FLAGS)

# Release builds (crossbitd, crossbit-idl; then the Benchmarks package), then one run of every
# row against rpcgen-built C; prints the table and writes BENCHMARKS.md. No rpcbind needed.
bench: deps
	$(SWIFT) build -c release --product crossbitd $(SWIFT_BUILD_FLAGS)
	$(SWIFT) build -c release --product crossbit-idl $(SWIFT_BUILD_FLAGS)
	$(SWIFT) build -c release --package-path Benchmarks
	Benchmarks/.build/release/crossbit-bench run --products "$$($(SWIFT) build -c release --show-bin-path $(SWIFT_BUILD_FLAGS))"

# Builds Fuzz/ with AddressSanitizer and libFuzzer, runs every target FUZZ_SECONDS (default 60) from its
# committed seeds and prints executions, corpus size and crashes per target (Fuzz/README.md).
FUZZ_SECONDS ?= 60
fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) bash scripts/fuzz.sh

clean:
	rm -rf .build
