package devstack_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"slices"
	"testing"

	"go.temporal.io/api/enums/v1"

	"github.com/dsrflow/dsrflow/internal/config"
	"github.com/dsrflow/dsrflow/internal/devstack"
	"github.com/dsrflow/dsrflow/internal/payload"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/internal/web"
	"github.com/dsrflow/dsrflow/workflows"
)

func keySpec(id string, b byte) string {
	return id + ":" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{b}, 32))
}

// TestKeyRotationAndWrongKeys: a deployment started with key a refuses to start with only key b (its
// data would be unreadable); with "b,a" it starts, old requests stay readable — their workflow results
// and their personal data in the store — and new payloads and new requests' data keys use b.
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

	// The store: the old request's personal data still opens (its data key is wrapped by a), the new
	// one's data key is wrapped by b.
	ctx := context.Background()
	if d, err := s.Store.GetRequestDetail(ctx, old); err != nil || !bytes.Contains(d.Identity, []byte(jane)) {
		t.Fatalf("the old request's detail after rotation: %s %v", d.Identity, err)
	}
	if files := c.export(old); !bytes.Contains([]byte(files["data.json"]), []byte(jane)) {
		t.Fatal("the old request's export after rotation lacks jane's data")
	}
	// Her answer opens, addressed to her (the request's mail also holds Acme's, the demo payroll's customer).
	msgs, err := s.Store.ListOutbox(ctx, store.OutboxFilter{RequestID: old})
	if i := slices.IndexFunc(msgs, func(m store.Message) bool { return m.Kind == "answer" }); err != nil || i < 0 || msgs[i].To != jane {
		t.Fatalf("the old request's mail after rotation: %+v %v", msgs, err)
	}
	wrappedBy := func(id string) string {
		var keyID string
		if err := s.Store.UnsafeDB().Get(&keyID, `SELECT key_id FROM data_keys WHERE owner = ?`, id); err != nil {
			t.Fatalf("data key of %s: %v", id, err)
		}
		return keyID
	}
	if a, b := wrappedBy(old), wrappedBy(fresh); a != "a" || b != "b" {
		t.Fatalf("data keys wrapped by %q (old) and %q (new), want a and b", a, b)
	}
}
