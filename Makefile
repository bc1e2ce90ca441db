# Jishi (集市) — the two commands are `make run` and `make test`.
GO        ?= go
BIN       := bin
PORT      ?= 8080
# Pure Go build: the embedded SQLite is modernc (no cgo).
export CGO_ENABLED ?= 0
PG_URL    ?= postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable
PLUGINS   := $(patsubst plugins/%/main.go,%,$(wildcard plugins/*/main.go))
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: run build plugins test test-short e2e bench lint fmt vet staticcheck clean

## run: build the server and every plugin, serve on http://localhost:$(PORT) with the embedded database
run: build
	JISHI_ADDR=$${JISHI_ADDR:-:$(PORT)} ./$(BIN)/jishi serve

## build: the server binary and every plugin binary into bin/
build: plugins
	$(GO) build -trimpath -o $(BIN)/jishi ./cmd/jishi

plugins:
	@mkdir -p $(BIN)/plugins
	@for p in $(PLUGINS); do echo "build plugin $$p"; $(GO) build -trimpath -o $(BIN)/plugins/$$p ./plugins/$$p || exit 1; done

## test: the whole suite; PostgreSQL too when JISHI_TEST_POSTGRES is set. The core runs
## under the race detector; the packages that seed the whole demo data and drive the
## browser (seeds, cmd/jishi, e2e) run without it (seeding is sequential, and under the
## detector it alone took minutes on a two-core machine).
SEEDING_PKGS := ./seeds/... ./cmd/jishi/... ./e2e/...
test:
	CGO_ENABLED=1 $(GO) test -race -count=1 -timeout 20m $$($(GO) list ./... | grep -v -e '/seeds$$' -e '/cmd/jishi$$' -e '/e2e$$')
	$(GO) test -count=1 -timeout 20m $(SEEDING_PKGS)

## e2e: only the browser tests (Debian's Chromium)
e2e:
	CGO_ENABLED=1 $(GO) test -race -count=1 -v -timeout 10m ./e2e/...

## bench: Go benchmarks; writes the figures to docs/BENCHMARKS.md (PostgreSQL from JISHI_TEST_POSTGRES, default $(PG_URL))
bench:
	JISHI_TEST_POSTGRES=$${JISHI_TEST_POSTGRES:-$(PG_URL)} $(GO) run ./cmd/benchdoc -out docs/BENCHMARKS.md

## lint: gofmt, go vet, staticcheck
lint: fmt vet staticcheck

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

staticcheck:
	$(GO) run $(STATICCHECK) ./...

clean:
	rm -rf $(BIN) test-artifacts
