# tuyau: make demo runs the main job, make test passes the tests.
# Both install what they need (Go modules; Debian packages when root).
GO      ?= go
BIN     := bin/tuyau
EXAMPLE := examples/manche
export GOFLAGS ?= -mod=mod

.PHONY: all build test demo bench lint deps clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/tuyau

deps:
	@./.ci/deps

test: deps lint
	$(GO) test -count=1 -timeout 20m ./...

demo: deps build
	@./.ci/demo

bench: build
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 3x ./inventory/...
	./bench/inventory/run

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

clean:
	rm -rf bin
