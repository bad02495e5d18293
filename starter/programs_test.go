package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

var programs struct {
	once sync.Once
	dir  string
	err  error
	out  []byte
}

// buildPrograms builds starter and dsrflow-admin, as `make build` does, into one directory (once per
// test run) and returns it. Tests that run the real programs share it; it is removed by TestMain.
func buildPrograms(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH: cannot build starter and dsrflow-admin")
	}
	programs.once.Do(func() {
		programs.dir, programs.err = os.MkdirTemp("", "dsrflow-starter-bin")
		if programs.err != nil {
			return
		}
		cmd := exec.Command(goTool, "build", "-o", programs.dir+string(filepath.Separator),
			"github.com/dsrflow/dsrflow/starter", "github.com/dsrflow/dsrflow/starter/dsrflow-admin")
		programs.out, programs.err = cmd.CombinedOutput()
	})
	if programs.err != nil {
		t.Fatalf("go build starter dsrflow-admin: %v\n%s", programs.err, programs.out)
	}
	return programs.dir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if programs.dir != "" {
		_ = os.RemoveAll(programs.dir)
	}
	os.Exit(code)
}
