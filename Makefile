# Jishi (集市) — the two commands are `make run` and `make test`.
GO        ?= go
BIN       := bin
PORT      ?= 8080
# Pure Go build: the embedded SQLite is modernc (no cgo).
export CGO_ENABLED ?= 0
PG_URL    ?= postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable
PLUGINS   := $(patsubst plugins/%/main.go,%,$(wildcard plugins/*/main.go))
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: stripe-mock run build plugins test test-short e2e bench lint fmt vet staticcheck clean proto proto-check

## run: build the server and every plugin, serve on http://localhost:$(PORT) with the embedded database
run: build
	JISHI_ADDR=$${JISHI_ADDR:-:$(PORT)} ./$(BIN)/jishi serve

## build: the server binary and every plugin binary into bin/
build: plugins
	$(GO) build -trimpath -o $(BIN)/jishi ./cmd/jishi

plugins:
	@mkdir -p $(BIN)/plugins
	@for p in $(PLUGINS); do echo "build plugin $$p"; $(GO) build -trimpath -o $(BIN)/plugins/$$p ./plugins/$$p || exit 1; done
	@# plugins.lock records each binary's sha256; the host starts only binaries that match it.
	@cd $(BIN)/plugins && sha256sum $(PLUGINS) > plugins.lock

## test: the whole suite; PostgreSQL too when JISHI_TEST_POSTGRES is set. The core runs
## under the race detector; the packages that seed the whole demo data and drive the
## browser (seeds, cmd/jishi, e2e) run without it (seeding is sequential, and under the
## detector it alone took minutes on a two-core machine).
SEEDING_PKGS := ./seeds/... ./cmd/jishi/... ./e2e/...
# stripe-mock (Stripe's own mock of its API) answers every Stripe call of the tests.
STRIPE_MOCK := github.com/stripe/stripe-mock@v0.203.0
test: stripe-mock
	CGO_ENABLED=1 $(GO) test -race -count=1 -timeout 20m $$($(GO) list ./... | grep -v -e '/seeds$$' -e '/cmd/jishi$$' -e '/e2e$$')
	$(GO) test -count=1 -timeout 20m $(SEEDING_PKGS)

stripe-mock:
	@command -v stripe-mock >/dev/null || [ -x "$$($(GO) env GOPATH)/bin/stripe-mock" ] || { echo "installing $(STRIPE_MOCK)"; $(GO) install $(STRIPE_MOCK); }

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

## proto: regenerate the plugin protocol's Go code in plugins/proto with Debian's protoc
## (apt-get install protobuf-compiler) and the Go generators pinned here, installed in $(BIN)/tools
PROTOC             ?= protoc
PROTOC_GEN_GO      := google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
PROTOC_GEN_GO_GRPC := google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.2
PROTO_TOOLS        := $(abspath $(BIN))/tools
# PROTO_GEN writes the generated code of every plugins/proto/**/*.proto below the directory $(1).
PROTO_GEN = command -v $(PROTOC) >/dev/null || { echo "protoc not found: apt-get install -y protobuf-compiler"; exit 1; }; \
	GOBIN=$(PROTO_TOOLS) $(GO) install $(PROTOC_GEN_GO) && GOBIN=$(PROTO_TOOLS) $(GO) install $(PROTOC_GEN_GO_GRPC) && \
	out=$$(cd $(1) && pwd) && cd plugins/proto && $(PROTOC) -I . \
		--plugin=protoc-gen-go=$(PROTO_TOOLS)/protoc-gen-go --go_out="$$out" --go_opt=paths=source_relative \
		--plugin=protoc-gen-go-grpc=$(PROTO_TOOLS)/protoc-gen-go-grpc --go-grpc_out="$$out" --go-grpc_opt=paths=source_relative \
		$$(find . -name '*.proto' | sort)
proto:
	@$(call PROTO_GEN,plugins/proto)

## proto-check: fail when the committed generated code in plugins/proto differs from what `make proto` makes
proto-check:
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	( $(call PROTO_GEN,$$tmp) ) || exit 1; \
	stale=$$( { (cd "$$tmp" && find . -name '*.pb.go'); (cd plugins/proto && find . -name '*.pb.go'); } | sort -u | \
		while read -r f; do cmp -s "$$tmp/$$f" "plugins/proto/$$f" || echo "$${f#./}"; done ); \
	if [ -n "$$stale" ]; then \
		echo "proto-check: generated code in plugins/proto is stale (or has no .proto); run 'make proto' and commit:"; \
		for f in $$stale; do echo "  plugins/proto/$$f"; done; \
		for f in $$stale; do diff -u "plugins/proto/$$f" "$$tmp/$$f" 2>&1 | head -40; done; \
		exit 1; \
	fi; \
	echo "proto-check: generated code in plugins/proto is up to date"

clean:
	rm -rf $(BIN) test-artifacts
