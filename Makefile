# sessbridge: the two commands README.md gives are `make demo` and `make test`.

GO          ?= go
DEB_PACKAGES = php-cli php-igbinary php-redis php-memcached redis-server memcached
# Binaries the tests need, each with the Debian package that brings it.
NEED_BINS    = php redis-server memcached
TESTFLAGS   ?=

.PHONY: test deps vet lint demo bench bench-fpm fuzz build nested

STATICCHECK = honnef.co/go/tools/cmd/staticcheck@v0.8.2

## test: install what the tests need (as root), then vet, staticcheck and every test with the race detector.
test: deps vet lint
	$(GO) test -race -count=1 -timeout 30m $(TESTFLAGS) ./...
	$(MAKE) nested

# Modules of their own inside the repository (the OpenTelemetry integration,
# the framework examples), which ./... leaves out: each is vetted, linted
# and tested with the race detector in its own directory.
NESTED = $(patsubst %/go.mod,%,$(shell git ls-files '*/go.mod' 2>/dev/null || find . -mindepth 2 -name go.mod))

## nested: vet, staticcheck and test (-race) every nested module.
nested:
	@set -e; for d in $(NESTED); do \
	  echo "== $$d"; \
	  (cd $$d && $(GO) vet ./... && $(GO) run $(STATICCHECK) ./... && $(GO) test -race -count=1 -timeout 10m $(TESTFLAGS) ./...); \
	done

## deps: install the missing Debian packages when run as root (apt-get).
deps:
	@missing=""; \
	for b in $(NEED_BINS); do command -v $$b >/dev/null 2>&1 || missing="yes"; done; \
	for ext in redis memcached igbinary; do \
	  command -v php >/dev/null 2>&1 && php -m 2>/dev/null | grep -qix $$ext || missing="yes"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "make: installing $(DEB_PACKAGES)"; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get update -q && apt-get install -y -q --no-install-recommends $(DEB_PACKAGES); \
	  else \
	    echo "make: missing some of $(DEB_PACKAGES); run as root or: sudo apt-get install $(DEB_PACKAGES)"; \
	  fi; \
	fi

## vet: gofmt, then go vet for macOS, Windows and Linux.
vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { echo "gofmt needed:"; gofmt -l .; exit 1; }
	GOOS=darwin $(GO) vet ./...
	GOOS=windows $(GO) vet ./...
	$(GO) vet ./...

lint:
	$(GO) run $(STATICCHECK) ./...

## build: build for Linux, macOS and Windows (the file store refuses to open on Windows: no flock).
build:
	$(GO) build ./...
	GOOS=darwin $(GO) build ./...
	GOOS=windows $(GO) build ./...

## demo: run a PHP app and a Go app sharing live sessions (needs php; Ctrl-C stops).
## Built, then run, rather than go run, which exits 1 on Ctrl-C whatever the demo does.
demo: deps
	@bin=$$(mktemp -d); trap 'rm -rf "$$bin"' EXIT; \
	$(GO) build -o "$$bin/sessbridge" ./cmd/sessbridge && "$$bin/sessbridge" demo

## bench: run the benchmarks (compare runs with benchstat).
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 6 ./... | tee bench.txt

## bench-fpm: the same route on nginx + PHP-FPM and on Go with sessbridge, over the same Redis
## sessions (bench/fpm/README.md); installs nginx, php-fpm and wrk when run as root. BENCHFPMFLAGS
## passes flags, e.g. BENCHFPMFLAGS='-rounds 5 -duration 20s'.
BENCH_FPM_PACKAGES = nginx-light php-fpm wrk
BENCHFPMFLAGS ?=
bench-fpm: deps
	@missing=""; \
	for b in nginx wrk; do command -v $$b >/dev/null 2>&1 || test -x /usr/sbin/$$b || missing="yes"; done; \
	ls /usr/sbin/php-fpm* >/dev/null 2>&1 || command -v php-fpm >/dev/null 2>&1 || missing="yes"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "make: installing $(BENCH_FPM_PACKAGES)"; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get update -q && apt-get install -y -q --no-install-recommends $(BENCH_FPM_PACKAGES); \
	  else \
	    echo "make: missing some of $(BENCH_FPM_PACKAGES); run as root or: sudo apt-get install $(BENCH_FPM_PACKAGES)"; exit 1; \
	  fi; \
	fi
	$(GO) run ./bench/fpm $(BENCHFPMFLAGS)

## fuzz: run each fuzz target for FUZZTIME (default 5m).
FUZZTIME ?= 5m
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list 'Fuzz.*' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done
