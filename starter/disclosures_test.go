package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/devstack"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/internal/web"
)

// TestDisclosureCommands drives a disclosure as agents and reviewers would from the CLI: create, reviews,
// two approvals, show --json, and the transparency report as JSON and CSV.
func TestDisclosureCommands(t *testing.T) {
	s, _ := startDevStack(t, devstack.Options{Reviewers: dsrflow.Reviewers{Groups: map[string][]string{"legal": {"legal-1", "legal-2"}}}})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	env := func(token string) map[string]string { return map[string]string{"DSR_URL": s.URL(), "DSR_TOKEN": token} }
	tokens := map[string]string{}
	for name, role := range map[string]string{"agent-1": "agent", "legal-1": "reviewer", "legal-2": "reviewer", "dpo-1": "dpo"} {
		tok, id := web.NewToken()
		if err := s.Store.CreateToken(ctx, store.Token{ID: id, Name: name, Role: role, Hash: web.TokenHash(tok), CreatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
		tokens[name] = env(tok)["DSR_TOKEN"]
	}
	starter := func(who string, args ...string) string {
		t.Helper()
		code, out, errOut := runStarter(t, env(tokens[who]), args...)
		if code != 0 {
			t.Fatalf("starter %s: exit %d: %s", strings.Join(args, " "), code, errOut)
		}
		return out
	}

	var created map[string]string
	out := starter("agent-1", "disclosure", "create", "--authority", "Stockholm police", "--country", "SE", "--case-ref", "5000-K1",
		"--legal-basis", "RB 27:1", "--email", "jane.doe@example.com", "--categories", "user.contact.email", "--json")
	if err := json.Unmarshal([]byte(out), &created); err != nil || created["status"] != "rejected" || created["reply"] == "" {
		t.Fatalf("create without an order: %v %s", err, out)
	}

	// --language names the language its subjects are told in: one of the five, else nothing is recorded.
	if code, _, errOut := runStarter(t, env(tokens["agent-1"]), "disclosure", "create", "--authority", "Stockholm police", "--country", "SE",
		"--case-ref", "5000-K9", "--legal-basis", "RB 27:1", "--email", "jane.doe@example.com", "--categories", "user.contact.email", "--language", "de"); code == 0 || !strings.Contains(errOut, "language") {
		t.Errorf("create with --language de: exit %d %s", code, errOut)
	}
	out = starter("agent-1", "disclosure", "create", "--authority", "Stockholm police", "--country", "SE", "--case-ref", "5000-K2",
		"--legal-basis", "RB 27:1", "--court-order", "T 123-26", "--court", "Stockholms tingsrätt", "--order-date", time.Now().AddDate(0, 0, -1).Format(time.DateOnly),
		"--email", "jane.doe@example.com", "--email", "nobody@example.com", "--categories", "user.contact.email,user.name", "--language", "fi", "--json")
	created = nil
	if err := json.Unmarshal([]byte(out), &created); err != nil || created["status"] != "in_review" {
		t.Fatalf("create with an order: %v %s", err, out)
	}
	id := created["id"]
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(starter("legal-1", "reviews"), id) {
		if time.Now().After(deadline) {
			t.Fatal("the disclosure never appeared in starter reviews")
		}
		time.Sleep(50 * time.Millisecond)
	}
	var reviews []web.ReviewView
	_ = json.Unmarshal([]byte(starter("legal-1", "reviews", "--json")), &reviews)
	if len(reviews) != 1 || reviews[0].Kind != "disclosure" || reviews[0].Subjects != 2 {
		t.Errorf("reviews --json = %+v", reviews)
	}
	starter("legal-1", "approve", id, "--reason", "order checked")
	if code, _, errOut := runStarter(t, env(tokens["legal-1"]), "approve", id, "--reason", "again"); code == 0 || !strings.Contains(errOut, "already voted") {
		t.Errorf("second vote: exit %d %s", code, errOut)
	}
	starter("legal-2", "approve", id, "--narrow", "user.contact.email", "--reason", "names not covered")

	var view web.RequestView
	for deadline := time.Now().Add(60 * time.Second); view.Status != "completed"; {
		if err := json.Unmarshal([]byte(starter("agent-1", "show", id, "--json")), &view); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("disclosure is %s", view.Status)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Jane is told in Finnish, as --language asked, not in the Swedish of the authority's country.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		msgs, err := s.Store.ListOutbox(ctx, store.OutboxFilter{RequestID: id})
		if err != nil {
			t.Fatal(err)
		}
		var notice *store.Message
		for i := range msgs {
			if msgs[i].Kind == "disclosure_notice" {
				notice = &msgs[i]
			}
		}
		if notice != nil {
			if !strings.Contains(notice.Body, "luovuttaneet sinua koskevia henkilötietoja viranomaiselle Stockholm police (asianumero 5000-K2)") {
				t.Errorf("the subject's notice is not in Finnish:\n%s", notice.Body)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no disclosure notice was queued")
		}
	}
	// The README's `starter list --type disclosure` lists the authority requests, and only them.
	var listed []web.SummaryView
	if err := json.Unmarshal([]byte(starter("agent-1", "list", "--type", "disclosure", "--json")), &listed); err != nil {
		t.Fatal(err)
	}
	if len(listed) != 2 || listed[0].Type != "disclosure" || listed[1].Type != "disclosure" {
		t.Errorf("list --type disclosure = %+v, want the two disclosures", listed)
	}
	if len(view.Decisions) != 2 || view.Decisions[0].Reviewer != "token:legal-1" || view.Decisions[1].Reviewer != "token:legal-2" ||
		view.Decisions[0].Reason != "order checked" || view.Decisions[1].Time.IsZero() {
		t.Errorf("decisions = %+v", view.Decisions)
	}

	year := time.Now().UTC().Format("2006")
	var rows []map[string]any
	if err := json.Unmarshal([]byte(starter("dpo-1", "report", "transparency", "--year", year, "--json")), &rows); err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(rows)
	// Subjects counts the subjects whose data went out: Jane, not nobody@example.com, who is held nowhere.
	if want := `[{"categories":["user.contact.email"],"complied":1,"country":"SE","received":2,"refused_no_order":1,"refused_on_review":0,"subjects":1}]`; string(got) != want {
		t.Errorf("report --json = %s\nwant %s", got, want)
	}
	csv := starter("dpo-1", "report", "transparency", "--year", year, "--csv")
	if want := "country,received,refused_no_order,refused_on_review,complied,subjects,categories,open_or_canceled\nSE,2,1,0,1,1,user.contact.email,0\ntotal,2,1,0,1,1,user.contact.email,0\n"; csv != want {
		t.Errorf("report --csv = %q\nwant %q", csv, want)
	}
}
