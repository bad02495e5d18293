# dsrflow's checks and tests. `make test` is what CI runs (through .ci/run).
GO ?= go
WORKFLOWCHECK = go.temporal.io/sdk/contrib/tools/workflowcheck@v0.6.0

.PHONY: test check fmt-check vet workflowcheck unit build clean

## test: every check, then every test with the race detector, the store suite on SQLite and a throwaway PostgreSQL
test: check unit

check: fmt-check vet workflowcheck

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.git/*')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

# Workflow code must be deterministic; workflowcheck finds clocks, goroutines, map ranges and I/O in it.
workflowcheck:
	$(GO) run $(WORKFLOWCHECK) ./workflows/...

# -race everywhere: measured at about 26 s for the end-to-end package once the race build is cached.
unit:
	scripts/with-postgres.sh $(GO) test -race -count=1 ./...

build:
	$(GO) build -o bin/ ./worker ./starter

clean:
	rm -rf bin
