# Crossbit — `make demo` runs the cross-bitness demo, `make test` runs every test.
# Both install the Debian packages they need first (scripts/install-deps.sh).

SWIFT ?= swift
SWIFT_BUILD_FLAGS ?=
# Release builds (make release, bench, soak; make install's) link the Swift runtime statically: the daemon
# runs without a Swift toolchain on the machine, and an idle broker maps 20 MiB instead of 28 (BENCHMARKS.md).
RELEASE = -c release --static-swift-stdlib
# `make install` settings: where, into which staging root, which build.
PREFIX ?= /usr/local
DESTDIR ?=
SYSCONFDIR ?= /etc
CONFIGURATION ?= release

.PHONY: all deps build release test examples demo bench soak fuzz docs clean install uninstall

all: build

deps:
	@bash scripts/install-deps.sh

build: deps
	$(SWIFT) build $(SWIFT_BUILD_FLAGS)

release: deps
	$(SWIFT) build $(RELEASE) $(SWIFT_BUILD_FLAGS)

# The Swift sources as swift-format (the toolchain's, configured by .swift-format) would write them.
FORMATTED = Sources Tests Benchmarks/Sources Fuzz/Sources Examples Plugins
lint:
	$(SWIFT) format lint --strict --recursive $(FORMATTED)

test: deps lint
	$(SWIFT) build --build-tests $(SWIFT_BUILD_FLAGS)
	# One test at a time: several suites assert that concurrent calls overlap
	# in time, which a 2-core machine busy with other suites' compilers cannot
	# show; serial costs seconds, since the suites wait on real processes.
	bash scripts/with-rpcbind.sh $(SWIFT) test --skip-build --no-parallel $(SWIFT_BUILD_FLAGS)
	BIN="$$($(SWIFT) build --show-bin-path $(SWIFT_BUILD_FLAGS))" SWIFT=$(SWIFT) bash scripts/run-examples.sh
	# README.md's tutorial, run as written in a new folder (about 3 minutes: it builds its own package).
	bash scripts/with-rpcbind.sh bash scripts/run-tutorial.sh
	SWIFT=$(SWIFT) bash scripts/test-install.sh

# Installs crossbitd, crossbit and crossbit-idl (a release build), their man
# pages and shell completions, and the systemd units under $(DESTDIR)$(PREFIX).
install:
	SWIFT=$(SWIFT) PREFIX=$(PREFIX) DESTDIR=$(DESTDIR) SYSCONFDIR=$(SYSCONFDIR) CONFIGURATION=$(CONFIGURATION) \
		bash scripts/install.sh install

uninstall:
	PREFIX=$(PREFIX) DESTDIR=$(DESTDIR) bash scripts/install.sh uninstall

# Builds the C sides of Examples/ (their Swift sides are targets of this package) and runs every example
# (also part of `make test`).
examples: build
	BIN="$$($(SWIFT) build --show-bin-path $(SWIFT_BUILD_FLAGS))" SWIFT=$(SWIFT) bash scripts/run-examples.sh

# Builds, then runs the examples with a transcript: which process is 32-bit or
# 64-bit, what was called and converted; stops everything it started.
demo: deps
	@SWIFT=$(SWIFT) bash scripts/demo.sh $(SWIFT_BUILD_FLAGS)

# Release builds (crossbitd, crossbit-idl; then the Benchmarks package), then one run of every
# row against rpcgen-built C; prints the table and writes BENCHMARKS.md. No rpcbind needed.
bench: deps
	$(SWIFT) build $(RELEASE) --product crossbitd $(SWIFT_BUILD_FLAGS)
	$(SWIFT) build $(RELEASE) --product crossbit-idl $(SWIFT_BUILD_FLAGS)
	$(SWIFT) build $(RELEASE) --package-path Benchmarks
	Benchmarks/.build/release/crossbit-bench run --products "$$($(SWIFT) build $(RELEASE) --show-bin-path $(SWIFT_BUILD_FLAGS))"

# Release builds (crossbitd, crossbit-idl; then crossbit-soak of the Benchmarks package), then crossbitd between
# 32-bit C and 64-bit Swift clients and servers of the other width for SOAK_SECONDS (default 600), a fault every
# 30 s, every answer checked; prints the report and fails on a wrong or lost answer, leaked descriptors or RSS
# growth (Benchmarks/README.md). rpcbind is started when none runs; every process started is stopped.
SOAK_SECONDS ?= 600
soak: deps
	$(SWIFT) build $(RELEASE) --product crossbitd $(SWIFT_BUILD_FLAGS)
	$(SWIFT) build $(RELEASE) --product crossbit-idl $(SWIFT_BUILD_FLAGS)
	$(SWIFT) build $(RELEASE) --package-path Benchmarks --product crossbit-soak
	bash scripts/with-rpcbind.sh Benchmarks/.build/release/crossbit-soak run --seconds $(SOAK_SECONDS) \
	  --products "$$($(SWIFT) build $(RELEASE) --show-bin-path $(SWIFT_BUILD_FLAGS))"

# DocC archives of the library modules in .build/docs/MODULE.doccarchive; a warning (a broken
# symbol link, a missing article) fails it.
DOC_MODULES = CrossbitCore CrossbitIDL CrossbitCodeGen CrossbitTransport CrossbitBrokerControl CrossbitELF \
	CrossbitBroker CrossbitDynamic CrossbitSharedMemory CrossbitProcess
docs: deps
	@set -e; mkdir -p .build/docs; for module in $(DOC_MODULES); do \
	  $(SWIFT) package --allow-writing-to-directory .build/docs generate-documentation --target $$module \
	    --warnings-as-errors --output-path .build/docs/$$module.doccarchive $(SWIFT_BUILD_FLAGS); \
	done

# Builds Fuzz/ with AddressSanitizer and libFuzzer, runs every target FUZZ_SECONDS (default 60) from its
# committed seeds and prints executions, corpus size and crashes per target (Fuzz/README.md).
FUZZ_SECONDS ?= 60
fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) bash scripts/fuzz.sh

clean:
	rm -rf .build
