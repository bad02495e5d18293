package devstack_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"testing"

	"go.temporal.io/api/enums/v1"

	"github.com/dsrflow/dsrflow/internal/config"
	"github.com/dsrflow/dsrflow/internal/devstack"
	"github.com/dsrflow/dsrflow/internal/payload"
	"github.com/dsrflow/dsrflow/internal/web"
	"github.com/dsrflow/dsrflow/workflows"
)

func keySpec(id string, b byte) string {
	return id + ":" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{b}, 32))
}

// TestKeyRotationAndWrongKeys: a deployment started with key a refuses to start with only key b (its
// data would be unreadable); with "b,a" it starts, old requests stay readable and new payloads use b.
func TestKeyRotationAndWrongKeys(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	cfg.MasterKeys = keySpec("a", 1)
	s := start(t, cfg)
	c := apiClient{t: t, stack: s}
	old := c.create(web.NewRequest{Type: "access", Email: jane, Attest: "video call"})
	c.waitStatus(old, "completed")
	stop(t, s)

	cfg.MasterKeys = keySpec("b", 2)
	_, err := devstack.Start(context.Background(), devstack.Options{Config: cfg})
	var cfgErr *config.Error
	if !errors.As(err, &cfgErr) || cfgErr.Var != "DSR_MASTER_KEYS" {
		t.Fatalf("start with a ring lacking the data's key: %v, want a DSR_MASTER_KEYS error", err)
	}

	cfg.MasterKeys = keySpec("b", 2) + "," + keySpec("a", 1)
	s = start(t, cfg)
	defer stop(t, s)
	c = apiClient{t: t, stack: s}
	var outcome workflows.Outcome
	if err := s.Client.GetWorkflow(context.Background(), old, "").Get(context.Background(), &outcome); err != nil || outcome.Status != "completed" {
		t.Fatalf("the old request's result after rotation: %+v, %v", outcome, err)
	}
	fresh := c.create(web.NewRequest{Type: "access", Email: nobody, Attest: "video call"})
	c.waitStatus(fresh, "completed")
	iter := s.Client.GetWorkflowHistory(context.Background(), fresh, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	first, err := iter.Next()
	if err != nil {
		t.Fatal(err)
	}
	in := first.GetWorkflowExecutionStartedEventAttributes().GetInput().GetPayloads()[0]
	if got := string(in.GetMetadata()[payload.MetadataKeyID]); got != "b" {
		t.Fatalf("a new request's input is encrypted with key %q, want b", got)
	}
}
