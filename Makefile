# dsrflow's checks and tests. `make test` is what CI runs (through .ci/run).
GO ?= go
WORKFLOWCHECK = go.temporal.io/sdk/contrib/tools/workflowcheck@v0.6.0
# Linters at pinned versions, run with `go run tool@version`: they never enter go.mod.
STATICCHECK = honnef.co/go/tools/cmd/staticcheck@v0.8.2
ERRCHECK = github.com/kisielk/errcheck@v1.30.0
# helm for the chart's checks, installed into bin/ with `go install` at this version.
HELM_VERSION = v3.21.4
HELM = bin/helm-$(HELM_VERSION)

.PHONY: test check fmt-check vet workflowcheck staticcheck errcheck unit helm helm-test bench bench-product bench-postgres drills build clean

## test: every check, then every test with the race detector, the store suite on SQLite and a throwaway PostgreSQL,
## then the Helm chart (lint, render, strict decoding into the Kubernetes API types)
test: check unit helm-test

check: fmt-check vet workflowcheck staticcheck errcheck

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.git/*')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

# Workflow code must be deterministic; workflowcheck finds clocks, goroutines, map ranges and I/O in it.
workflowcheck:
	$(GO) run $(WORKFLOWCHECK) ./workflows/...

# staticcheck's default checks, on every package including the drills.
staticcheck:
	$(GO) run $(STATICCHECK) -tags drills ./...

# Unchecked errors outside tests; .errcheck-excludes lists the calls whose failure changes nothing
# (best-effort closes, printing).
errcheck:
	$(GO) run $(ERRCHECK) -ignoretests -exclude .errcheck-excludes ./...

# -race everywhere: measured at about 26 s for the end-to-end package once the race build is cached.
unit:
	scripts/with-postgres.sh $(GO) test -race -count=1 -timeout 30m ./...

# The pinned helm, installed once (a helm built by go install reports only its minor version, so the
# file's name carries the pinned one).
helm: $(HELM)
$(HELM):
	@mkdir -p bin/.helm
	GOBIN=$(CURDIR)/bin/.helm $(GO) install helm.sh/helm/v3/cmd/helm@$(HELM_VERSION)
	mv bin/.helm/helm $@

# The chart: helm lint with the least and the fullest values, then deploy/helmtest (a module of its own,
# so dsrflow's go.mod gains no Kubernetes dependency) renders it and decodes every object strictly.
helm-test: helm
	$(HELM) lint --strict deploy/helm/dsrflow -f deploy/helmtest/testdata/minimal.yaml
	$(HELM) lint --strict deploy/helm/dsrflow -f deploy/helmtest/testdata/full.yaml
	cd deploy/helmtest && HELM=$(CURDIR)/$(HELM) $(GO) test -count=1 ./...

## bench: figures for this machine, as medians of repeated rounds (not part of make test); see BENCHMARKS.md
bench: bench-product bench-postgres

# The product on the embedded stack: throughput against a bare workflow, fan-out width, the due-date list
# over a million requests, the idle memory of a worker --dev process, the history of a request whose
# connector never answers over 45 simulated days; and the throughput on a Temporal cluster of four
# processes (internal/devserver/cmd/devserver) on a throwaway PostgreSQL against the embedded stack
# (cluster). BENCH_ONLY picks figures.
BENCH_ROUNDS ?= 3
BENCH_ONLY ?= throughput,fanout,list,rss,history,cluster
bench-product: build
	$(GO) build -o bin/ ./internal/devserver/cmd/devserver
	scripts/with-postgres.sh $(GO) run ./internal/bench/cmd/bench -rounds $(BENCH_ROUNDS) -only $(BENCH_ONLY) -starter bin/starter -worker bin/worker -devserver bin/devserver

# The PostgreSQL connector: one access and one erasure among one million customers (DSR_BENCH_ROWS).
bench-postgres:
	@mkdir -p bin && scripts/with-postgres.sh $(GO) test -run '^$$' -bench 'Access|Erase' -benchtime 200x -count 5 ./connectors/postgres/ > bin/bench-postgres.txt; \
	status=$$?; cat bin/bench-postgres.txt; [ $$status -eq 0 ] || exit $$status; \
	awk '/^Benchmark(Access|Erase)/ { print (($$1 ~ /Access/) ? "pg_access_ms_1m" : "pg_erase_ms_1m"), $$3/1e6 }' bin/bench-postgres.txt | sort -k1,1 -k2,2n | \
	awk '{ v[$$1] = v[$$1] " " $$2; c[$$1]++ } END { for (n in v) { split(substr(v[n], 2), a, " "); k = c[n]; \
	printf "%s=%.2f (median of %d rounds, min %.2f, max %.2f)\n", n, a[int((k+1)/2)], k, a[1], a[k] } }'

## drills: fault drills on the real product and fuzz runs (not part of make test); DRILL_SHORT=1 is the short form
drills:
	GO=$(GO) DRILL_SHORT=$(DRILL_SHORT) DRILLS='$(DRILLS)' scripts/drills.sh

build:
	$(GO) build -o bin/ ./worker ./starter ./starter/dsrflow-admin

clean:
	rm -rf bin
