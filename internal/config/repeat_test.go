package config_test

import (
	"errors"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow/internal/config"
)

// TestRepeatWindow: DSR_REPEAT_WINDOW is 90 days by default, days or a duration when set, off with 0; a
// bad value stops the program naming it.
func TestRepeatWindow(t *testing.T) {
	for value, want := range map[string]time.Duration{"": 90 * 24 * time.Hour, "30d": 30 * 24 * time.Hour, "36h": 36 * time.Hour, "0": -1} {
		cfg, err := config.LoadDev(env(map[string]string{"DSR_REPEAT_WINDOW": value}))
		if err != nil || cfg.RepeatWindow != want {
			t.Errorf("DSR_REPEAT_WINDOW=%q: %v, %v; want %v", value, cfg.RepeatWindow, err, want)
		}
	}
	for _, bad := range []string{"soon", "-3d", "0d", "90 days"} {
		_, err := config.LoadDev(env(map[string]string{"DSR_REPEAT_WINDOW": bad}))
		var cerr *config.Error
		if !errors.As(err, &cerr) || cerr.Var != "DSR_REPEAT_WINDOW" {
			t.Errorf("%q: %v, want an error naming DSR_REPEAT_WINDOW", bad, err)
		}
	}
}
