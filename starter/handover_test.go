package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/dsrflow/dsrflow/internal/admincmd"
	"github.com/dsrflow/dsrflow/internal/cli"
	"github.com/dsrflow/dsrflow/internal/config"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/workflows"
)

// TestStarterHandsOverEveryAdminCommand: each of dsrflow-admin's commands is a command of starter's
// with the same name, usage and help line, which hands the command line over unparsed; no command is
// both starter's own and dsrflow-admin's.
func TestStarterHandsOverEveryAdminCommand(t *testing.T) {
	root := newRootCmd(func(string) string { return "" }, nil)
	own := map[string]bool{}
	for _, c := range root.Commands() {
		own[c.Name()] = !c.DisableFlagParsing
	}
	admin := admincmd.NewRootCmd(func(string) string { return "" }).Commands()
	var handed []string
	for _, a := range admin {
		c, _, err := root.Find([]string{a.Name()})
		if err != nil || c == root || c.Name() != a.Name() {
			t.Errorf("starter has no command %s for dsrflow-admin's", a.Name())
			continue
		}
		if own[a.Name()] {
			t.Errorf("starter %s is starter's own and dsrflow-admin's", a.Name())
		}
		if c.Use != a.Use || c.Short != a.Short {
			t.Errorf("starter %s: usage %q, help %q; dsrflow-admin's: %q, %q", a.Name(), c.Use, c.Short, a.Use, a.Short)
		}
		handed = append(handed, a.Name())
	}
	for name, isOwn := range own {
		if !isOwn && !slices.Contains(handed, name) && name != "help" && name != "completion" {
			t.Errorf("starter %s hands over to dsrflow-admin, which has no such command", name)
		}
	}

	// The whole command line goes over as given: subcommands, flags, --help.
	for _, args := range [][]string{
		{"serve"},
		{"audit", "verify"},
		{"reconcile", "--dry-run", "--json"},
		{"token", "create", "--role", "agent", "--name", "alice"},
		{"connector", "check", "--help"},
		{"migrate", "--no-such-flag"},
	} {
		var got []string
		err := run(context.Background(), args, func(string) string { return "" }, &bytes.Buffer{}, &bytes.Buffer{}, func(a []string) error {
			got = a
			return errors.New("handed over")
		})
		if err == nil || err.Error() != "handed over" || !slices.Equal(got, args) {
			t.Errorf("starter %q handed over %q (%v), want %q", args, got, err, args)
		}
	}
}

// TestStarterWireNamesMatchTheWorkflows: starter does not link the workflows package; the names it
// sends and reads on the job and task routes are the workflows'.
func TestStarterWireNamesMatchTheWorkflows(t *testing.T) {
	for _, c := range []struct{ starter, workflows string }{
		{resolveRetry, workflows.ResolveRetry}, {resolveFailed, workflows.ResolveFailed}, {resolveDone, workflows.ResolveDone},
		{resolveNotFound, workflows.ResolveNotFound}, {resolveConfirm, workflows.ResolveConfirm}, {resolveDrop, workflows.ResolveDrop},
		{taskIdentityConflict, workflows.TaskIdentityConflict},
	} {
		if c.starter != c.workflows {
			t.Errorf("starter sends %q where the workflows take %q", c.starter, c.workflows)
		}
	}
}

// writeProgram writes an executable shell script at dir/name.
func writeProgram(t *testing.T, dir, name string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\necho \"$0 $*\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestStarterFindsDsrflowAdmin: $DSRFLOW_ADMIN, else next to starter (as run, then through symbolic
// links), else on PATH, else `go run` when starter itself runs under `go run` in dsrflow's module;
// else exit 2 saying what to build.
func TestStarterFindsDsrflowAdmin(t *testing.T) {
	tmp := t.TempDir()
	explicit := writeProgram(t, filepath.Join(tmp, "explicit"), "admin-build")
	beside := writeProgram(t, filepath.Join(tmp, "bin"), adminProgram)
	onPath := writeProgram(t, filepath.Join(tmp, "path"), adminProgram)
	real := filepath.Join(tmp, "real")
	realAdmin := writeProgram(t, real, adminProgram)
	writeProgram(t, real, "starter")
	links := filepath.Join(tmp, "links")
	if err := os.MkdirAll(links, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(real, "starter"), filepath.Join(links, "starter")); err != nil {
		t.Fatal(err)
	}
	notAProgram := filepath.Join(tmp, "explicit", "notes.txt")
	if err := os.WriteFile(notAProgram, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	goRunExe := filepath.Join(tmp, "go-build1234", "b001", "exe", "starter")
	dsrflowBuild := func() (*debug.BuildInfo, bool) {
		return &debug.BuildInfo{Path: "github.com/dsrflow/dsrflow/starter", Main: debug.Module{Path: modulePath}}, true
	}
	otherBuild := func() (*debug.BuildInfo, bool) {
		return &debug.BuildInfo{Path: "example.com/fork/starter", Main: debug.Module{Path: "example.com/fork"}}, true
	}
	pathWith := func(found map[string]string) func(string) (string, error) {
		return func(name string) (string, error) {
			if p, ok := found[name]; ok {
				return p, nil
			}
			return "", exec.ErrNotFound
		}
	}
	exeAt := func(p string) func() (string, error) { return func() (string, error) { return p, nil } }
	args := []string{"serve", "--help"}

	for _, tc := range []struct {
		name     string
		env      adminEnv
		wantArgv []string
	}{
		{"DSRFLOW_ADMIN first", adminEnv{
			getenv:     func(k string) string { return map[string]string{"DSRFLOW_ADMIN": explicit}[k] },
			executable: exeAt(filepath.Join(tmp, "bin", "starter")), lookPath: pathWith(map[string]string{adminProgram: onPath}), buildInfo: dsrflowBuild,
		}, []string{explicit, "serve", "--help"}},
		{"beside starter before PATH", adminEnv{
			getenv:     func(string) string { return "" },
			executable: exeAt(filepath.Join(tmp, "bin", "starter")), lookPath: pathWith(map[string]string{adminProgram: onPath}), buildInfo: dsrflowBuild,
		}, []string{beside, "serve", "--help"}},
		{"beside starter through a symbolic link", adminEnv{
			getenv:     func(string) string { return "" },
			executable: exeAt(filepath.Join(links, "starter")), lookPath: pathWith(nil), buildInfo: otherBuild,
		}, []string{realAdmin, "serve", "--help"}},
		{"PATH", adminEnv{
			getenv:     func(string) string { return "" },
			executable: exeAt(filepath.Join(tmp, "path-only", "starter")), lookPath: pathWith(map[string]string{adminProgram: onPath, "go": "/usr/local/go/bin/go"}), buildInfo: dsrflowBuild,
		}, []string{onPath, "serve", "--help"}},
		{"go run inside the module", adminEnv{
			getenv:     func(string) string { return "" },
			executable: exeAt(goRunExe), lookPath: pathWith(map[string]string{"go": "/usr/local/go/bin/go"}), buildInfo: dsrflowBuild,
		}, []string{"/usr/local/go/bin/go", "run", "github.com/dsrflow/dsrflow/starter/dsrflow-admin", "serve", "--help"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path, argv, err := findAdmin(tc.env, args)
			if err != nil || path != tc.wantArgv[0] || !slices.Equal(argv, tc.wantArgv) {
				t.Fatalf("findAdmin = %q %q %v, want %q", path, argv, err, tc.wantArgv)
			}
		})
	}

	for _, tc := range []struct {
		name string
		env  adminEnv
		want []string
	}{
		{"nowhere", adminEnv{
			getenv:     func(string) string { return "" },
			executable: exeAt(filepath.Join(tmp, "alone", "starter")), lookPath: pathWith(map[string]string{"go": "/usr/local/go/bin/go"}), buildInfo: dsrflowBuild,
		}, []string{"`starter serve` is run by the dsrflow-admin program, which was not found", filepath.Join(tmp, "alone", adminProgram), "PATH", "go build -o DIR ./starter/dsrflow-admin", "DSRFLOW_ADMIN"}},
		{"a go-build directory, another module", adminEnv{
			getenv:     func(string) string { return "" },
			executable: exeAt(goRunExe), lookPath: pathWith(map[string]string{"go": "/usr/local/go/bin/go"}), buildInfo: otherBuild,
		}, []string{"was not found", "DSRFLOW_ADMIN"}},
		{"go run without the go command", adminEnv{
			getenv:     func(string) string { return "" },
			executable: exeAt(goRunExe), lookPath: pathWith(nil), buildInfo: dsrflowBuild,
		}, []string{"was not found", "no go command on PATH"}},
		{"DSRFLOW_ADMIN names no program", adminEnv{
			getenv:     func(k string) string { return map[string]string{"DSRFLOW_ADMIN": notAProgram}[k] },
			executable: exeAt(filepath.Join(tmp, "bin", "starter")), lookPath: pathWith(map[string]string{adminProgram: onPath}), buildInfo: dsrflowBuild,
		}, []string{"DSRFLOW_ADMIN=" + notAProgram, "not an executable file"}},
		{"DSRFLOW_ADMIN names nothing", adminEnv{
			getenv:     func(k string) string { return map[string]string{"DSRFLOW_ADMIN": filepath.Join(tmp, "gone")}[k] },
			executable: exeAt(filepath.Join(tmp, "bin", "starter")), lookPath: pathWith(map[string]string{adminProgram: onPath}), buildInfo: dsrflowBuild,
		}, []string{"DSRFLOW_ADMIN=" + filepath.Join(tmp, "gone"), "no such file"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path, argv, err := findAdmin(tc.env, args)
			if err == nil {
				t.Fatalf("findAdmin = %q %q, want an error", path, argv)
			}
			var stderr bytes.Buffer
			if code := cli.ExitCode(err, &stderr); code != cli.ExitConfig {
				t.Errorf("exit %d, want %d", code, cli.ExitConfig)
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("error %q does not say %q", stderr.String(), w)
				}
			}
		})
	}
}

// runProgram runs a built program with env (and nothing of the test's environment but PATH) and
// returns its exit status, stdout and stderr.
func runProgram(t *testing.T, program string, env []string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(program, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("%s %q: %v", program, args, err)
	}
	return cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()
}

// TestStarterHandsOverToARealDsrflowAdmin builds both programs, as `make build` and the image do, and
// runs dsrflow-admin's commands through starter on a dev store: output, and exit statuses, are
// dsrflow-admin's own.
func TestStarterHandsOverToARealDsrflowAdmin(t *testing.T) {
	bin := buildPrograms(t)
	starter := filepath.Join(bin, "starter")
	dir := t.TempDir()
	st, err := store.OpenSQLite(context.Background(), filepath.Join(dir, config.DevStoreFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	st.Close()
	env := []string{"DSR_DATA_DIR=" + dir}

	code, out, errOut := runProgram(t, starter, env, "token", "create", "--role", "agent", "--name", "alice")
	if code != 0 || !strings.HasPrefix(out, "dsr_tok_") {
		t.Fatalf("starter token create: exit %d, %q %q", code, out, errOut)
	}
	if code, out, errOut := runProgram(t, starter, env, "token", "list"); code != 0 || !strings.Contains(out, "alice") {
		t.Fatalf("starter token list: exit %d, %q %q", code, out, errOut)
	}
	if code, _, errOut := runProgram(t, starter, env, "token", "revoke", "bob"); code != cli.ExitMissing {
		t.Fatalf("starter token revoke bob: exit %d (%q), want dsrflow-admin's %d", code, errOut, cli.ExitMissing)
	}
	if code, out, errOut := runProgram(t, starter, env, "audit", "verify"); code != 0 || !strings.Contains(out, "audit chain holds") {
		t.Fatalf("starter audit verify: exit %d, %q %q", code, out, errOut)
	}
	code, _, errOut = runProgram(t, starter, []string{"DSR_DATA_DIR=" + t.TempDir()}, "audit", "verify")
	if code != cli.ExitConfig || !strings.Contains(errOut, "DATABASE_URL") {
		t.Fatalf("starter audit verify without a store: exit %d, %q; want 2 naming DATABASE_URL", code, errOut)
	}
	code, out, _ = runProgram(t, starter, nil, "migrate", "--help")
	if code != 0 || !strings.Contains(out, "dsrflow-admin migrate") {
		t.Fatalf("starter migrate --help: exit %d, %q; want dsrflow-admin's help", code, out)
	}

	// The hand-over is an exec: the program that runs is the same process.
	tmp := t.TempDir()
	pidScript := filepath.Join(tmp, "admin")
	if err := os.WriteFile(pidScript, []byte("#!/bin/sh\necho $$ \"$@\"\nexit 7\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(starter, "serve", "--flag", "x y")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "DSRFLOW_ADMIN=" + pidScript}
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	err = cmd.Run()
	if want := strconv.Itoa(cmd.Process.Pid) + " serve --flag x y\n"; stdout.String() != want || cmd.ProcessState.ExitCode() != 7 {
		t.Fatalf("starter serve with DSRFLOW_ADMIN=%s: %q, exit %d (%v); want %q, exit 7 (the same process)", pidScript, stdout.String(), cmd.ProcessState.ExitCode(), err, want)
	}

	// starter alone, with dsrflow-admin neither beside it nor on PATH: exit 2, saying what to build.
	alone := filepath.Join(t.TempDir(), "starter")
	data, err := os.ReadFile(starter)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(alone, data, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd = exec.Command(alone, "serve")
	cmd.Env = []string{"PATH=" + tmp}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	_ = cmd.Run()
	if cmd.ProcessState.ExitCode() != cli.ExitConfig || !strings.Contains(stderr.String(), "dsrflow-admin program, which was not found") {
		t.Fatalf("starter serve without dsrflow-admin: exit %d, %q", cmd.ProcessState.ExitCode(), stderr.String())
	}
}
