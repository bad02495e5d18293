package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
)

// starter is the API CLI: it links the HTTP client, not the server. The commands that need the store,
// Temporal, the front door, the connector kinds or the demo group live in a second program,
// dsrflow-admin (starter/dsrflow-admin, internal/admincmd), so that starting starter does not pay their
// package initialisation. starter keeps a command of the same name and help line for each of them,
// which hands the command line over to dsrflow-admin by exec: the process becomes dsrflow-admin, so
// signals (Kubernetes sends SIGTERM to `starter serve`), stdin, stdout and the exit status are its own.

// adminProgram is the name of the program that runs the server commands.
const adminProgram = "dsrflow-admin"

// adminPackage is its package, for `go run`.
const adminPackage = "github.com/dsrflow/dsrflow/starter/dsrflow-admin"

// modulePath is dsrflow's module: starter under `go run` inside it can run dsrflow-admin the same way.
const modulePath = "github.com/dsrflow/dsrflow"

// adminCommands are the commands starter hands over, with dsrflow-admin's own name and help line
// (TestStarterHandsOverEveryAdminCommand holds them equal to internal/admincmd's).
var adminCommands = []struct{ use, short string }{
	{"serve", "run the front door (HTTP) against Temporal and PostgreSQL"},
	{"migrate", "apply the store's migrations to DATABASE_URL (safe to run concurrently)"},
	{"audit", "the tamper-evident audit log"},
	{"token", "API tokens: create, list, revoke (direct store access)"},
	{"session", "console sessions: list, revoke (direct store access)"},
	{"connector", "connectors: check one speaking protocol v1, print a postgres connector's GRANTs"},
	{"retention", "the daily retention sweep: run it now, show its schedule (direct Temporal access)"},
	{"temporal", "set up and check dsrflow's Temporal namespace (direct Temporal access)"},
	{"reconcile [--dry-run] [--json]", "repair now what the worker's reconciler repairs every minute: start recorded requests whose workflow never started, close open requests whose workflow ended in Temporal; one line per fix"},
	{"demo", "the demo connectors of `worker --dev`"},
}

// handOver runs dsrflow-admin with args (the command line after the program's name); when it
// returns, the hand-over failed.
type handOver func(args []string) error

// newHandOverCmds returns starter's command for each of dsrflow-admin's. They parse nothing: every
// argument, --help included, goes to dsrflow-admin as given.
func newHandOverCmds(run handOver) []*cobra.Command {
	var cmds []*cobra.Command
	for _, c := range adminCommands {
		cmds = append(cmds, &cobra.Command{
			Use:                c.use,
			Short:              c.short,
			Long:               c.short + "\n\nRun by the " + adminProgram + " program: starter hands the command line over to it (`starter " + strings.Fields(c.use)[0] + " --help` shows its flags and subcommands).",
			DisableFlagParsing: true,
			RunE: func(cmd *cobra.Command, args []string) error {
				return run(append([]string{cmd.Name()}, args...))
			},
		})
	}
	return cmds
}

// adminEnv is what the lookup of dsrflow-admin reads of the process, so that tests can give their own.
type adminEnv struct {
	getenv     func(string) string
	executable func() (string, error)
	lookPath   func(string) (string, error)
	buildInfo  func() (*debug.BuildInfo, bool)
}

func processAdminEnv(getenv func(string) string) adminEnv {
	return adminEnv{getenv: getenv, executable: os.Executable, lookPath: exec.LookPath, buildInfo: debug.ReadBuildInfo}
}

// AdminNotFoundError says that dsrflow-admin was not found and how to provide it. Exit status 2: the
// installation is incomplete, nothing was run.
type AdminNotFoundError struct {
	Command string   // the command handed over
	Looked  []string // where starter looked, in order
}

func (e *AdminNotFoundError) Error() string {
	return fmt.Sprintf("`starter %s` is run by the %s program, which was not found (looked: %s); "+
		"build or install it beside starter (`go build -o DIR ./starter/dsrflow-admin`, `go install %s`, or `make build` for bin/), "+
		"or set DSRFLOW_ADMIN to its path",
		e.Command, adminProgram, strings.Join(e.Looked, "; "), adminPackage)
}

// ConfigProblem makes the error exit with status 2.
func (e *AdminNotFoundError) ConfigProblem() {}

// AdminPathError is a DSRFLOW_ADMIN that does not name a program.
type AdminPathError struct {
	Path string
	Err  error
}

func (e *AdminPathError) Error() string {
	return fmt.Sprintf("DSRFLOW_ADMIN=%s: not a program starter can run (%v); set it to the path of %s or unset it", e.Path, e.Err, adminProgram)
}

func (e *AdminPathError) Unwrap() error { return e.Err }

// ConfigProblem makes the error exit with status 2.
func (e *AdminPathError) ConfigProblem() {}

// findAdmin returns the program to exec and its argv (argv[0] included) for dsrflow-admin with args.
// Where: $DSRFLOW_ADMIN when set; else dsrflow-admin next to starter's executable (as run, then with
// symbolic links resolved); else on PATH; else, when starter itself runs under `go run` from inside
// dsrflow's module, `go run github.com/dsrflow/dsrflow/starter/dsrflow-admin ARGS`.
func findAdmin(env adminEnv, args []string) (string, []string, error) {
	if p := env.getenv("DSRFLOW_ADMIN"); p != "" {
		if err := isProgram(p); err != nil {
			return "", nil, &AdminPathError{Path: p, Err: err}
		}
		return p, append([]string{p}, args...), nil
	}
	var looked []string
	looked = append(looked, "DSRFLOW_ADMIN is not set")
	exe, exeErr := env.executable()
	if exeErr == nil {
		dirs := []string{filepath.Dir(exe)}
		if real, err := filepath.EvalSymlinks(exe); err == nil && filepath.Dir(real) != dirs[0] {
			dirs = append(dirs, filepath.Dir(real))
		}
		for _, dir := range dirs {
			p := filepath.Join(dir, adminProgram)
			if isProgram(p) == nil {
				return p, append([]string{p}, args...), nil
			}
			looked = append(looked, p)
		}
	}
	if p, err := env.lookPath(adminProgram); err == nil {
		return p, append([]string{p}, args...), nil
	}
	looked = append(looked, "PATH")
	if exeErr == nil && underGoRun(env, exe) {
		goTool, err := env.lookPath("go")
		if err == nil {
			return goTool, append([]string{goTool, "run", adminPackage}, args...), nil
		}
		looked = append(looked, "go run (no go command on PATH)")
	}
	cmd := ""
	if len(args) > 0 {
		cmd = args[0]
	}
	return "", nil, &AdminNotFoundError{Command: cmd, Looked: looked}
}

// underGoRun reports whether starter is dsrflow's own, built by `go run` (the executable lives in the
// go command's temporary build directory).
func underGoRun(env adminEnv, exe string) bool {
	bi, ok := env.buildInfo()
	if !ok || bi.Main.Path != modulePath {
		return false
	}
	for _, part := range strings.Split(filepath.ToSlash(exe), "/") {
		if strings.HasPrefix(part, "go-build") {
			return true
		}
	}
	return false
}

// isProgram reports, as an error, whether p is a regular file someone may execute.
func isProgram(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
		return errors.New("not an executable file")
	}
	return nil
}

// execAdmin replaces starter's process with dsrflow-admin's; it returns only when that failed.
func execAdmin(getenv func(string) string) handOver {
	return func(args []string) error {
		path, argv, err := findAdmin(processAdminEnv(getenv), args)
		if err != nil {
			return err
		}
		if err := syscall.Exec(path, argv, os.Environ()); err != nil {
			return fmt.Errorf("run %s: %w", path, err)
		}
		return nil
	}
}
