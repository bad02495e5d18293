//go:build drills

package drills

import (
	"log/slog"
	"os"
	"testing"
)

// TestMain quiets the demo connectors, which log through slog's default: the drills' output is their
// accounting lines.
func TestMain(m *testing.M) {
	slog.SetDefault(slog.New(slog.DiscardHandler))
	code := m.Run()
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
	os.Exit(code)
}
