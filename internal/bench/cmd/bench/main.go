// Command bench prints dsrflow's figures for this machine, one line each (see BENCHMARKS.md):
//
//	go run ./internal/bench/cmd/bench [-only throughput,fanout,list,rss,history,cluster] [-rounds 3] [-starter bin/starter]
//
// With -starter, the list figures include starter_init_ms (the package init of `starter --help`). The
// cluster figures need -devserver (internal/devserver/cmd/devserver, built) and a PostgreSQL server in
// DSR_TEST_POSTGRES_URL, as scripts/with-postgres.sh gives.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"

	"github.com/dsrflow/dsrflow/internal/bench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	only := fs.String("only", "throughput,fanout,list", "figures to measure: throughput, fanout, list, rss, history, cluster; heap (a profile, not in make bench)")
	rounds := fs.Int("rounds", 3, "rounds per figure (fan-out and list take more: 5 and 20)")
	requests := fs.Int("requests", 400, "throughput: requests per round")
	inFlight := fs.Int("in-flight", 50, "throughput: requests in flight")
	listSize := fs.Int("list-size", 1_000_000, "list: requests in the store")
	starter := fs.String("starter", "", "list: the starter binary to time; the API call alone when empty")
	worker := fs.String("worker", "", "rss: the worker binary (run as `worker --dev`)")
	devserver := fs.String("devserver", "", "cluster: the devserver binary, run as Temporal's four services on DSR_TEST_POSTGRES_URL")
	idle := fs.Int("idle", 10_000, "rss: requests waiting for verification")
	heapProfile := fs.String("heapprofile", "", "heap: write the heap profile of an in-process stack holding -idle waiting requests here")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of this process (server, worker, front door, connectors) to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	progress := func(s string) { fmt.Fprintln(stderr, "  "+s) }
	for _, what := range strings.Split(*only, ",") {
		var figs []bench.Figure
		var err error
		switch strings.TrimSpace(what) {
		case "throughput":
			figs, err = bench.Throughput(ctx, 10, *requests, *inFlight, *rounds, progress)
		case "fanout":
			figs, err = bench.Fanout(ctx, []int{1, 10, 100}, max(*rounds, 5), progress)
		case "list":
			figs, err = bench.List(ctx, *listSize, max(*rounds, 20), *starter, progress)
		case "rss":
			figs, err = bench.IdleRSS(ctx, *worker, *idle, progress)
		case "cluster":
			figs, err = bench.Cluster(ctx, 10, *requests, *inFlight, *rounds, *devserver, os.Getenv("DSR_TEST_POSTGRES_URL"), progress)
		case "history":
			figs, err = bench.HistoryEvents(ctx, progress)
		case "heap":
			figs, err = bench.IdleHeap(ctx, *idle, *heapProfile, progress)
		default:
			return fmt.Errorf("unknown figure %q", what)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		for _, f := range figs {
			f.Print(stdout)
		}
	}
	return nil
}
