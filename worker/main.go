// Command worker runs dsrflow's Temporal worker. With --dev it runs the whole product in one process on
// an embedded Temporal server and SQLite; without, it joins an external Temporal cluster and PostgreSQL.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/dsrflow/dsrflow/internal/app"
	"github.com/dsrflow/dsrflow/internal/config"
	"github.com/dsrflow/dsrflow/internal/devstack"
)

// shutdownTimeout bounds a clean stop after SIGINT/SIGTERM: the worker's drain of running activities
// (app.WorkerStopTimeout), then the rest.
const shutdownTimeout = app.WorkerStopTimeout + 5*time.Second

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(app.ExitCode(err, os.Stderr))
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("worker", flag.ContinueOnError)
	flags.SetOutput(stderr)
	dev := flags.Bool("dev", false, "run the whole product in this process on an embedded Temporal server and SQLite")
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return app.UsageError{Err: err}
	}
	if flags.NArg() > 0 {
		return app.UsageError{Err: fmt.Errorf("unexpected argument %q", flags.Arg(0))}
	}
	if *dev {
		return runDev(ctx, getenv, stdout, stderr)
	}
	return runWorker(ctx, getenv, stderr)
}

func runDev(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := config.LoadDev(getenv)
	if err != nil {
		return err
	}
	logger := app.NewLogger(stderr, cfg.LogLevel, false)
	// Libraries that log through slog's default (the demo connectors) pass the same masking handler.
	slog.SetDefault(logger)
	stack, err := devstack.Start(ctx, devstack.Options{Config: cfg, Logger: logger, Out: stdout, Getenv: getenv})
	if err != nil {
		return err
	}
	<-ctx.Done()
	return closeWithin(stack.Close, stderr)
}

func runWorker(ctx context.Context, getenv func(string) string, stderr io.Writer) error {
	cfg, err := config.LoadWorker(getenv)
	if err != nil {
		return err
	}
	logger := app.NewLogger(stderr, cfg.LogLevel, true)
	slog.SetDefault(logger)
	w, err := app.StartWorker(ctx, cfg, getenv, logger)
	if err != nil {
		return err
	}
	logger.Info("worker started", "temporal", cfg.Temporal.Address, "namespace", cfg.Temporal.Namespace, "health", cfg.HealthAddr)
	<-ctx.Done()
	return closeWithin(w.Close, stderr)
}

func closeWithin(closeFn func(context.Context) error, stderr io.Writer) error {
	fmt.Fprintln(stderr, "stopping")
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := closeFn(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("stop: %w", err)
	}
	return nil
}
