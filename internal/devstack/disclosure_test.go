package devstack_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/devstack"
	"github.com/dsrflow/dsrflow/internal/review"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/internal/web"
)

// TestDisclosures runs authority requests end to end without Slack: one without a court order, refused at
// once; one with an order, approved through the API by two legal token-holders (an outsider and a
// second vote refused), narrowed to one category, fulfilled by the demo subsidiaries, in the register
// and the transparency report; and one rejected on review through the Dispatcher, as Slack will vote.
func TestDisclosures(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s, err := devstack.Start(ctx, devstack.Options{
		Config:    testConfig(t, t.TempDir()),
		Register:  registerProbe,
		Reviewers: dsrflow.Reviewers{Groups: map[string][]string{"legal": {"legal-1", "legal-2"}, "dpo": {"dpo-1"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer stop(t, s)

	tokens := map[string]string{}
	for name, role := range map[string]string{"agent-1": "agent", "legal-1": "reviewer", "legal-2": "reviewer", "reviewer-9": "reviewer", "dpo-1": "dpo"} {
		tok, id := web.NewToken()
		if err := s.Store.CreateToken(context.Background(), store.Token{ID: id, Name: name, Role: role, Hash: web.TokenHash(tok), CreatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
		tokens[name] = tok
	}
	as := func(name string) apiClient { return apiClient{t: t, stack: s, token: tokens[name]} }
	agent := as("agent-1")

	// Bad input: one message per field, nothing started.
	status, data := agent.call("POST", "/api/v1/disclosures", web.NewDisclosure{Country: "Norway", CourtOrder: "X", Emails: []string{"not an address"}})
	var bad struct{ Fields map[string]string }
	_ = json.Unmarshal(data, &bad)
	for _, f := range []string{"authority", "country", "case_ref", "legal_basis", "court", "order_date", "emails", "categories"} {
		if bad.Fields[f] == "" {
			t.Errorf("invalid disclosure: no message for %s: %d %s", f, status, data)
		}
	}
	if status != http.StatusBadRequest || strings.Contains(string(data), "not an address") {
		t.Errorf("invalid disclosure: %d %s", status, data)
	}
	if status, _ := as("legal-1").call("POST", "/api/v1/disclosures", web.NewDisclosure{}); status != http.StatusForbidden {
		t.Errorf("a reviewer started a disclosure: %d", status)
	}

	// Without a court order: refused at once, with the reply for the authority.
	status, data = agent.call("POST", "/api/v1/disclosures", web.NewDisclosure{
		Authority: "Oslo police district", Country: "NO", CaseRef: "2026/0001", LegalBasis: "Police Act s. 7",
		Emails: []string{jane}, Categories: []string{"user.contact.email"},
	})
	var created map[string]string
	_ = json.Unmarshal(data, &created)
	if status != http.StatusCreated || created["status"] != "rejected" || !strings.Contains(created["reply"], "court order") {
		t.Fatalf("disclosure without an order: %d %s", status, data)
	}
	refused := agent.waitClosed(created["id"])
	if refused.Status != "rejected" || refused.Type != "disclosure" || !hasEvent(refused, "disclosure_rejected") {
		t.Errorf("disclosure without an order ended %s: %+v", refused.Status, refused.Events)
	}

	// With a court order: in review, with no subject in the review list.
	status, data = agent.call("POST", "/api/v1/disclosures", web.NewDisclosure{
		Authority: "Oslo police district", Country: "NO", CaseRef: "2026/0002", LegalBasis: "Criminal Procedure Act s. 210",
		CourtOrder: "TOSL-2026-17", Court: "Oslo District Court", OrderDate: time.Now().AddDate(0, 0, -3).Format(time.DateOnly),
		Emails: []string{jane}, Categories: []string{"user.contact.email", "user.name"},
	})
	created = nil
	_ = json.Unmarshal(data, &created)
	id := created["id"]
	if status != http.StatusCreated || created["status"] != "in_review" {
		t.Fatalf("disclosure with an order: %d %s", status, data)
	}
	agent.waitStatus(id, "in_review")
	if status, data := agent.call("POST", "/api/v1/requests/"+id+"/cancel", map[string]string{"reason": "wrong route"}); status != http.StatusConflict {
		t.Errorf("cancel a disclosure: %d %s", status, data)
	}
	status, data = as("legal-1").call("GET", "/api/v1/reviews", nil)
	var reviews []web.ReviewView
	_ = json.Unmarshal(data, &reviews)
	if status != http.StatusOK || len(reviews) != 1 || reviews[0].ID != id || reviews[0].Kind != "disclosure" || reviews[0].CaseRef != "2026/0002" || reviews[0].Subjects != 1 {
		t.Errorf("reviews: %d %s", status, data)
	}
	if strings.Contains(string(data), jane) {
		t.Errorf("the review list names the subject: %s", data)
	}

	decide := func(who, path string, body map[string]any) (int, string) {
		t.Helper()
		status, data := as(who).call("POST", path, body)
		return status, string(data)
	}
	if st, body := decide("reviewer-9", "/api/v1/disclosures/"+id+"/decisions", map[string]any{"decision": "approve", "reason": "fine"}); st != http.StatusForbidden {
		t.Errorf("outsider's vote: %d %s", st, body)
	}
	if st, body := decide("legal-1", "/api/v1/disclosures/"+id+"/decisions", map[string]any{"decision": "reject"}); st != http.StatusBadRequest || !strings.Contains(body, `"reason"`) {
		t.Errorf("rejection without a reason: %d %s", st, body)
	}
	// The objections' route, as `starter approve` uses it, decides disclosures too.
	if st, body := decide("legal-1", "/api/v1/requests/"+id+"/decisions", map[string]any{"decision": "approve", "reason": "order is valid"}); st != http.StatusOK {
		t.Fatalf("first approval: %d %s", st, body)
	}
	if st, body := decide("legal-1", "/api/v1/requests/"+id+"/decisions", map[string]any{"decision": "approve", "reason": "again"}); st != http.StatusConflict {
		t.Errorf("second vote by the same reviewer: %d %s", st, body)
	}
	if st, body := decide("legal-2", "/api/v1/disclosures/"+id+"/decisions", map[string]any{"decision": "narrow", "reason": "names are not covered", "scope": []string{"user.contact.email"}}); st != http.StatusOK {
		t.Fatalf("second approval: %d %s", st, body)
	}

	done := agent.waitClosed(id)
	if done.Status != "completed" {
		t.Fatalf("approved disclosure ended %s: %+v", done.Status, done.Events)
	}
	var reviewers []string
	for _, d := range done.Decisions {
		reviewers = append(reviewers, d.Reviewer+" "+d.Decision)
	}
	if strings.Join(reviewers, ",") != "token:legal-1 approve,token:legal-2 approve" {
		t.Errorf("decisions = %+v", done.Decisions)
	}
	if len(done.Jobs) == 0 {
		t.Error("no access jobs ran")
	}
	for _, j := range done.Jobs {
		if j.Action != "access" || j.Status == "failed" {
			t.Errorf("job %+v", j)
		}
	}
	if !hasEvent(done, "vote_refused") {
		t.Errorf("refused votes are not audited: %+v", done.Events)
	}

	// The register row.
	reg, err := s.Store.GetDisclosure(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if reg.Outcome != store.DisclosureComplied || reg.Subjects != 1 || reg.CourtOrder != "TOSL-2026-17" || reg.DecidedAt == nil || reg.DisclosedAt == nil ||
		strings.Join(reg.Approvers, ",") != "token:legal-1,token:legal-2" || strings.Join(reg.CategoriesDisclosed, ",") != "user.contact.email" {
		t.Errorf("register row = %+v", reg)
	}

	// The bundle holds the approved category only.
	bundle := agent.bundle(id)
	if !strings.Contains(bundle, jane) || strings.Contains(bundle, `"user.name"`) {
		t.Errorf("bundle = %s", bundle)
	}
	if strings.Contains(bundle, `"name":`) {
		t.Errorf("bundle holds a field of a category not approved: %s", bundle)
	}

	// The subject is told (no gag order).
	if msg := agent.answerKind(id, "disclosure_notice"); !strings.Contains(msg, "Oslo police district") {
		t.Errorf("notice = %q", msg)
	}

	// Votes from another channel (Slack) go through the Dispatcher: a retried click (same key) counts
	// once, refusals are outcomes, one rejection ends the review.
	status, data = agent.call("POST", "/api/v1/disclosures", web.NewDisclosure{
		Authority: "Oslo police district", Country: "NO", CaseRef: "2026/0003", LegalBasis: "Criminal Procedure Act s. 210",
		CourtOrder: "TOSL-2026-18", Court: "Oslo District Court", OrderDate: time.Now().AddDate(0, 0, -1).Format(time.DateOnly),
		Emails: []string{jane, nobody}, Categories: []string{"user.contact.email"},
	})
	created = nil
	_ = json.Unmarshal(data, &created)
	third := created["id"]
	if status != http.StatusCreated {
		t.Fatalf("third disclosure: %d %s", status, data)
	}
	agent.waitStatus(third, "in_review")
	d := review.Dispatcher{Client: s.Client}
	slackVote := func(user, key string, groups []string, action dsrflow.VoteAction, reason string) dsrflow.VoteOutcome {
		t.Helper()
		out, err := d.Vote(context.Background(), dsrflow.Vote{ReviewID: third, Kind: dsrflow.ReviewDisclosure, Action: action, Reason: reason,
			Reviewer: user, Groups: groups, Via: "slack", Key: key})
		if err != nil {
			t.Fatalf("vote %s: %v", key, err)
		}
		return out
	}
	legalGroup := []string{"legal"}
	if out := slackVote("U01LEGAL1", "click-1", legalGroup, dsrflow.VoteApprove, ""); !out.Accepted {
		t.Errorf("first click: %+v", out)
	}
	if out := slackVote("U01LEGAL1", "click-1", legalGroup, dsrflow.VoteApprove, ""); !out.Accepted {
		t.Errorf("Slack's retry of the first click: %+v", out)
	}
	if out := slackVote("U01LEGAL1", "click-2", legalGroup, dsrflow.VoteApprove, ""); out.Accepted || out.Code != dsrflow.ECONFLICT {
		t.Errorf("second vote by the same user: %+v", out)
	}
	if out := slackVote("U09OTHER", "click-3", nil, dsrflow.VoteApprove, ""); out.Accepted || out.Code != dsrflow.EFORBIDDEN {
		t.Errorf("outsider: %+v", out)
	}
	if out := slackVote("U01LEGAL2", "click-4", legalGroup, dsrflow.VoteReject, ""); out.Accepted || out.Code != dsrflow.EINVALID {
		t.Errorf("rejection without a reason: %+v", out)
	}
	if out := slackVote("U01LEGAL2", "click-5", legalGroup, dsrflow.VoteReject, "order is for another controller"); !out.Accepted {
		t.Errorf("rejection: %+v", out)
	}
	rejected := agent.waitClosed(third)
	if rejected.Status != "rejected" || len(rejected.Decisions) != 2 {
		t.Errorf("rejected on review: %s, decisions %+v", rejected.Status, rejected.Decisions)
	}

	// The transparency report, for the DPO only.
	year := time.Now().UTC().Format("2006")
	if status, _ := agent.call("GET", "/api/v1/reports/transparency?year="+year, nil); status != http.StatusForbidden {
		t.Errorf("an agent read the report: %d", status)
	}
	if status, data := as("dpo-1").call("GET", "/api/v1/reports/transparency?year=last", nil); status != http.StatusBadRequest || !strings.Contains(string(data), `"year"`) {
		t.Errorf("report with a bad year: %d %s", status, data)
	}
	status, data = as("dpo-1").call("GET", "/api/v1/reports/transparency?year="+year, nil)
	var rows []map[string]any
	_ = json.Unmarshal(data, &rows)
	want := `[{"categories":["user.contact.email"],"complied":1,"country":"NO","received":3,"refused_no_order":1,"refused_on_review":1,"subjects":1}]`
	if got, _ := json.Marshal(rows); status != http.StatusOK || string(got) != want {
		t.Errorf("report: %d %s\nwant %s", status, got, want)
	}
}

func hasEvent(v web.RequestView, action string) bool {
	return slices.ContainsFunc(v.Events, func(e web.EventView) bool { return e.Action == action })
}

// waitClosed polls the request until it is closed.
func (c apiClient) waitClosed(id string) web.RequestView {
	c.t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		v := c.show(id)
		if v.Closed != nil {
			return v
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("request %s is still %s; events %+v", id, v.Status, v.Events)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// bundle returns bundle.json from the disclosure's export.
func (c apiClient) bundle(id string) string {
	c.t.Helper()
	status, data := c.call("GET", "/api/v1/requests/"+id+"/export", nil)
	if status != http.StatusOK {
		c.t.Fatalf("bundle %s: %d %s", id, status, data)
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		c.t.Fatal(err)
	}
	for _, f := range zr.File {
		if f.Name == "bundle.json" {
			rc, _ := f.Open()
			b, _ := io.ReadAll(rc)
			rc.Close()
			return string(b)
		}
	}
	c.t.Fatalf("bundle %s has no bundle.json", id)
	return ""
}

// answerKind waits for the request's message of a kind in the outbox and returns its text.
func (c apiClient) answerKind(id, kind string) string {
	c.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		msgs, err := c.stack.Store.ListOutbox(context.Background(), store.OutboxFilter{RequestID: id})
		if err != nil {
			c.t.Fatal(err)
		}
		for _, m := range msgs {
			if m.Kind == kind {
				return m.Body
			}
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("no %s message for %s", kind, id)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
