# The everyday commands. `make test` is the one CI runs.
GO ?= go
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: run test lint bench build

run:
	$(GO) run ./cmd/collectif serve

# Every test, with the race detector. PostgreSQL and Redis tests run when
# COLLECTIF_TEST_DATABASE_URL and COLLECTIF_TEST_REDIS_URL are set.
test:
	$(GO) test -race -count=1 -timeout 40m ./...

lint:
	$(GO) vet ./...
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi
	$(GO) run $(STATICCHECK) -tests ./...

# The load benchmark (generated dataset, hub and reference on loopback, one
# table; see docs/PERFORMANCE.md), then the Go benchmarks of the hot functions.
# BENCH_FLAGS passes options to the first, e.g. BENCH_FLAGS='--runs 1 -d 5s'.
bench:
	$(GO) run ./cmd/collectif bench $(BENCH_FLAGS)
	$(GO) test -run '^$$' -bench . -benchmem ./...

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w" -o collectif ./cmd/collectif
