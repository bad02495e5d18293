package config_test

import (
	"errors"
	"testing"

	"github.com/dsrflow/dsrflow/internal/config"
)

func TestWorkflowCacheVariable(t *testing.T) {
	cfg, err := config.LoadDev(env(nil))
	if err != nil || cfg.WorkflowCache != 500 {
		t.Fatalf("default: %d %v, want 500", cfg.WorkflowCache, err)
	}
	cfg, err = config.LoadDev(env(map[string]string{"DSR_WORKFLOW_CACHE": "250"}))
	if err != nil || cfg.WorkflowCache != 250 {
		t.Fatalf("250: %d %v", cfg.WorkflowCache, err)
	}
	for _, bad := range []string{"0", "-5", "lots", "1e3"} {
		_, err := config.LoadDev(env(map[string]string{"DSR_WORKFLOW_CACHE": bad}))
		var ce *config.Error
		if !errors.As(err, &ce) || ce.Var != "DSR_WORKFLOW_CACHE" {
			t.Errorf("%q: %v, want an error naming DSR_WORKFLOW_CACHE", bad, err)
		}
	}
}
