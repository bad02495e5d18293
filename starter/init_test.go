package main

import (
	"bufio"
	"bytes"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// serverParts are what starter must not link: their package initialisation is what made every starter
// command slow to start (Temporal API descriptors, gRPC, Prometheus, SQLite, lib/pq, the web server).
// The commands that need them are dsrflow-admin's.
var serverParts = []string{
	"go.temporal.io/api",
	"go.temporal.io/sdk",
	"google.golang.org/grpc",
	"google.golang.org/protobuf",
	"github.com/prometheus/",
	"sqlite",
	"github.com/lib/pq",
	"github.com/dsrflow/dsrflow/internal/web",
	"github.com/dsrflow/dsrflow/internal/store",
	"github.com/dsrflow/dsrflow/internal/app",
	"github.com/dsrflow/dsrflow/workflows",
}

// initBudget is the most a dsrflow package linked into starter may allocate at package init: room for
// a few tables and small regular expressions. Parsing the console's templates allocated 770 KB,
// loading the deadline's time zones 88 KB, a regular expression with {1,64} 60 KB.
const initBudget = 32 << 10

// TestStarterLinksNoServer: every starter command, `starter --help` and `starter list` included, runs
// the package initialisation of everything starter links, so starter links the API client and not the
// server (`GODEBUG=inittrace=1 starter --help` summed to 33-36 ms of init when it did). The
// dependency list is the assertion; the time is logged, not asserted (shared machines make timed tests
// flaky): `make bench` reports it as starter_init_ms.
func TestStarterLinksNoServer(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH: cannot list starter's dependencies")
	}
	out, err := exec.Command(goTool, "list", "-deps", "github.com/dsrflow/dsrflow/starter").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	for _, p := range deps {
		for _, part := range serverParts {
			if strings.Contains(p, part) {
				t.Errorf("starter links %s (%s): move the command that needs it to dsrflow-admin (internal/admincmd)", p, part)
			}
		}
	}

	// What each dsrflow package does at init, as GODEBUG=inittrace=1 reports it on the built programs
	// (dsrflow-admin's too: the worker and the front door link the same packages), and the sum of init
	// time (median of 5 runs), for the log.
	bin := buildPrograms(t)
	for _, program := range []string{"starter", adminProgram} {
		var sums []float64
		for range 5 {
			cmd := exec.Command(filepath.Join(bin, program), "--help")
			cmd.Env = []string{"GODEBUG=inittrace=1"}
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("%s --help: %v\n%s", program, err, stderr.Bytes())
			}
			ms, pkgs, err := parseInitTrace(stderr.String())
			if err != nil {
				t.Fatal(err)
			}
			sums = append(sums, ms)
			if len(sums) > 1 {
				continue
			}
			seen := 0
			for pkg, n := range pkgs {
				if !strings.HasPrefix(pkg, "github.com/dsrflow/dsrflow") {
					continue
				}
				seen++
				if n > initBudget {
					t.Errorf("%s (in %s) allocates %d bytes at init, over %d: build what it makes on first use (sync.OnceValue)", pkg, program, n, initBudget)
				}
			}
			if len(pkgs) < 20 || seen < 1 {
				t.Fatalf("inittrace named %d of %s's dsrflow packages and %d in all; has its format changed?\n%s", seen, program, len(pkgs), stderr.String())
			}
		}
		slices.Sort(sums)
		t.Logf("GODEBUG=inittrace=1 %s --help: %.2f ms of init (median of 5; runs %v)", program, sums[2], sums)
	}
	t.Logf("starter links %d packages", len(deps))
}

// parseInitTrace sums the clock time of GODEBUG=inittrace=1 lines and returns what each package
// allocated:
//
//	init github.com/dsrflow/dsrflow/internal/web @1.2 ms, 1.4 ms clock, 770568 bytes, 13641 allocs
func parseInitTrace(trace string) (ms float64, allocated map[string]int, err error) {
	allocated = map[string]int{}
	sc := bufio.NewScanner(strings.NewReader(trace))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 11 || f[0] != "init" || f[6] != "clock," || f[8] != "bytes," {
			continue
		}
		clock, err := strconv.ParseFloat(f[4], 64)
		if err != nil {
			return 0, nil, err
		}
		n, err := strconv.Atoi(f[7])
		if err != nil {
			return 0, nil, err
		}
		ms += clock
		allocated[f[1]] += n
	}
	return ms, allocated, sc.Err()
}
