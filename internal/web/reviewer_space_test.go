package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"go.temporal.io/sdk/client"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/workflows"
)

// voteRecorder stands in for Temporal: it keeps the votes the front door delivers and accepts them.
type voteRecorder struct {
	client.Client
	mu    sync.Mutex
	votes []dsrflow.Vote
}

func (c *voteRecorder) UpdateWorkflow(_ context.Context, o client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := o.Args[0].(dsrflow.Vote); ok {
		c.votes = append(c.votes, v)
	}
	return acceptedVote{}, nil
}

type acceptedVote struct{}

func (acceptedVote) WorkflowID() string { return "" }
func (acceptedVote) RunID() string      { return "" }
func (acceptedVote) UpdateID() string   { return "" }
func (acceptedVote) Get(_ context.Context, v any) error {
	*v.(*dsrflow.VoteOutcome) = dsrflow.VoteOutcome{Accepted: true}
	return nil
}

// The attack: an administrator creates a reviewer token named like a legal reviewer's Slack id. Its API
// vote on a disclosure must not carry the legal group of that Slack member; a token listed as
// token:NAME does.
func TestTokenNamedLikeASlackMemberGetsNoneOfItsGroups(t *testing.T) {
	ss := newSessionServer(t)
	rec := &voteRecorder{}
	ss.Client = rec
	ss.Reviewers = dsrflow.Reviewers{Groups: map[string][]string{"legal": {"U123LEGAL", "token:legal-bot"}, "dpo": {"legal-bot"}}}
	if err := ss.st.PutRequest(context.Background(), store.Request{ID: "dsr_disclosure", Type: workflows.TypeDisclosure, Status: "in_review",
		Country: "NO", Jurisdiction: "gdpr", ReceivedAt: ss.now, DueAt: ss.now.AddDate(0, 1, 0)}); err != nil {
		t.Fatal(err)
	}
	vote := func(token string) dsrflow.Vote {
		t.Helper()
		req := httptest.NewRequest("POST", "http://localhost/api/v1/disclosures/dsr_disclosure/decisions", strings.NewReader(`{"decision":"approve"}`))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		ss.mux.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			t.Fatalf("vote: %d %s", w.Code, w.Body)
		}
		rec.mu.Lock()
		defer rec.mu.Unlock()
		return rec.votes[len(rec.votes)-1]
	}
	impostor := vote(ss.createToken(t, "U123LEGAL", RoleReviewer))
	if impostor.Reviewer != "token:U123LEGAL" || len(impostor.Groups) != 0 {
		t.Errorf("a token named U123LEGAL voted as %q with groups %v; want token:U123LEGAL with none", impostor.Reviewer, impostor.Groups)
	}
	bot := vote(ss.createToken(t, "legal-bot", RoleReviewer))
	if bot.Reviewer != "token:legal-bot" || !slices.Equal(bot.Groups, []string{"dpo", "legal"}) {
		t.Errorf("token legal-bot voted as %q with groups %v; want legal (token:legal-bot) and dpo (bare name)", bot.Reviewer, bot.Groups)
	}
	// The Slack member keeps the group, asked the way Slack clicks ask.
	if got := ss.Reviewers.GroupsOf("U123LEGAL"); !slices.Equal(got, []string{"legal"}) {
		t.Errorf("Slack member U123LEGAL: groups %v", got)
	}
}
