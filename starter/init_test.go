package main

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// initBudget is the most a dsrflow package linked into starter may allocate at package init: room for
// a few tables and small regular expressions. Parsing the console's templates allocated 770 KB,
// loading the deadline's time zones 88 KB, a regular expression with {1,64} 60 KB.
const initBudget = 32 << 10

// TestStarterInitIsCheap: every starter command, `starter --help` and `starter list` included, runs the
// package initialisation of everything starter links, and it links the server for `starter serve`,
// `migrate`, `token` and the other direct commands. So dsrflow's own packages do at init only what is
// cheap, and build templates, time-zone tables and large regular expressions on first use
// (sync.OnceValue). Time is not measured here (shared machines make timed tests flaky); what each
// package allocates at init is, as GODEBUG=inittrace=1 reports it, which is what that work costs.
func TestStarterInitIsCheap(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH: cannot list starter's dependencies")
	}
	out, err := exec.Command(goTool, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	linked := map[string]bool{}
	for _, p := range strings.Fields(string(out)) {
		linked[p] = true
	}

	// This test binary links every package starter does (and test helpers besides); run it with no
	// test to see their initialisation.
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s -test.run=^$: %v\n%s", os.Args[0], err, stderr.Bytes())
	}
	// init github.com/dsrflow/dsrflow/internal/web @1.2 ms, 1.4 ms clock, 770568 bytes, 13641 allocs
	seen, total := 0, 0
	trace := stderr.String()
	sc := bufio.NewScanner(strings.NewReader(trace))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 11 || f[0] != "init" || f[8] != "bytes," {
			continue
		}
		pkg := f[1]
		if !linked[pkg] || !strings.HasPrefix(pkg, "github.com/dsrflow/dsrflow") {
			continue
		}
		n, err := strconv.Atoi(f[7])
		if err != nil {
			t.Fatalf("inittrace line %q: %v", sc.Text(), err)
		}
		seen++
		total += n
		if n > initBudget {
			t.Errorf("%s allocates %d bytes at init, over %d: build what it makes on first use (sync.OnceValue), as internal/web does its pages", pkg, n, initBudget)
		}
	}
	if seen < 5 {
		t.Fatalf("inittrace named %d of starter's dsrflow packages; has its format changed?\n%s", seen, trace)
	}
	t.Logf("%d dsrflow packages linked into starter allocate %d bytes at init", seen, total)
}
