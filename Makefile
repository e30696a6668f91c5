# Crossbit — `make demo` runs the cross-bitness demo, `make test` runs every test.
# Both install the Debian packages they need first (scripts/install-deps.sh).

SWIFT ?= swift
SWIFT_BUILD_FLAGS ?=

.PHONY: all deps build release test demo bench clean

all: build

deps:
	@bash scripts/install-deps.sh

build: deps
	$(SWIFT) build $(SWIFT_BUILD_FLAGS)

release: deps
	$(SWIFT) build -c release $(SWIFT_BUILD_FLAGS)

test: deps
	$(SWIFT) build --build-tests $(SWIFT_BUILD_FLAGS)
	bash scripts/with-rpcbind.sh $(SWIFT) test --skip-build $(SWIFT_BUILD_FLAGS)

demo: deps
	@echo "no demo yet: the broker (crossbitd) is not built yet"

bench: deps
	@echo "no benchmark yet"

clean:
	rm -rf .build
