package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/dsrflow/dsrflow/internal/secret"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/internal/store/storetest"
	"github.com/dsrflow/dsrflow/internal/web"
	"github.com/dsrflow/dsrflow/workflows"
)

// resolveClient records the updates the front door sends and answers them as the workflow would.
type resolveClient struct {
	client.Client
	sent *[]client.UpdateWorkflowOptions
}

func (c resolveClient) UpdateWorkflow(_ context.Context, o client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	*c.sent = append(*c.sent, o)
	return metricsUpdateHandle{o.WorkflowID}, nil
}

// POST /api/v1/requests/{id}/jobs/{job}/resolve sends the resolve_job update with the caller as actor;
// a bad resolution is refused before it reaches the workflow, and a reviewer may not resolve.
func TestResolveEscalatedJob(t *testing.T) {
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "dsrflow.db"), store.WithKeys(storetest.Keys(t, "")))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := st.PutRequest(ctx, store.Request{ID: "dsr_esc", Type: "access", Status: "fulfilling", Country: "NO", Jurisdiction: "gdpr",
		ReceivedAt: metricsNow, DueAt: metricsNow.Add(30 * 24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	key, err := secret.Parse(strings.Repeat("cd", 32))
	if err != nil {
		t.Fatal(err)
	}
	const agentToken, reviewerToken = "agent-secret-token", "reviewer-secret-token"
	for i, tok := range []store.Token{{ID: "t1", Name: "alice", Role: "agent", Hash: web.TokenHash(agentToken)}, {ID: "t2", Name: "bob", Role: "reviewer", Hash: web.TokenHash(reviewerToken)}} {
		tok.CreatedAt = metricsNow.Add(time.Duration(i) * time.Second)
		if err := st.CreateToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	var sent []client.UpdateWorkflowOptions
	srv := httptest.NewServer(web.NewServer(web.Deps{
		Store: st, Key: key, Auth: web.StoreTokens{Store: st}, Client: resolveClient{sent: &sent}, Now: func() time.Time { return metricsNow },
	}))
	defer srv.Close()
	post := func(token, job, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/requests/dsr_esc/jobs/"+job+"/resolve", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	if status, body := post(agentToken, "crm:access", `{"action":"failed"}`); status != http.StatusBadRequest || !strings.Contains(body, "reason") {
		t.Fatalf("failed without a reason: %d %s, want 400 naming the reason", status, body)
	}
	if status, body := post(agentToken, "crm:access", `{"action":"ignore"}`); status != http.StatusBadRequest {
		t.Fatalf("unknown action: %d %s, want 400", status, body)
	}
	if status, body := post(reviewerToken, "crm:access", `{"action":"retry"}`); status != http.StatusForbidden {
		t.Fatalf("reviewer: %d %s, want 403", status, body)
	}
	if len(sent) != 0 {
		t.Fatalf("refused calls reached the workflow: %+v", sent)
	}
	if status, body := post(agentToken, "crm:access", `{"action":"failed","reason":"the CRM was retired"}`); status != http.StatusOK {
		t.Fatalf("resolve: %d %s", status, body)
	}
	if len(sent) != 1 || sent[0].WorkflowID != "dsr_esc" || sent[0].UpdateName != workflows.UpdateResolveJob {
		t.Fatalf("updates sent %+v, want one resolve_job to dsr_esc", sent)
	}
	in := sent[0].Args[0].(workflows.ResolveJobInput)
	if in.JobID != "dsr_esc:crm:access" || in.Action != workflows.ResolveFailed || in.Reason != "the CRM was retired" || in.Actor.Role != "agent" {
		t.Fatalf("update input %+v", in)
	}
	// An identity conflict: confirm needs the reason (how the subject confirmed), drop does not.
	if status, body := post(agentToken, "billing:access", `{"action":"confirm"}`); status != http.StatusBadRequest || !strings.Contains(body, "reason") {
		t.Fatalf("confirm without a reason: %d %s, want 400 naming the reason", status, body)
	}
	if len(sent) != 1 {
		t.Fatalf("a confirm without a reason reached the workflow: %+v", sent[1:])
	}
	for _, body := range []string{`{"action":"confirm","reason":"confirmed by phone"}`, `{"action":"drop"}`} {
		if status, b := post(agentToken, "billing:access", body); status != http.StatusOK {
			t.Fatalf("%s: %d %s", body, status, b)
		}
	}
	confirm, drop := sent[1].Args[0].(workflows.ResolveJobInput), sent[2].Args[0].(workflows.ResolveJobInput)
	if confirm.JobID != "dsr_esc:billing:access" || confirm.Action != workflows.ResolveConfirm || confirm.Reason != "confirmed by phone" || drop.Action != workflows.ResolveDrop {
		t.Fatalf("conflict resolutions sent %+v %+v", confirm, drop)
	}
}
