package devstack_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/config"
	"github.com/dsrflow/dsrflow/internal/slack"
	"github.com/dsrflow/dsrflow/internal/slack/slacktest"
	"github.com/dsrflow/dsrflow/internal/web"
)

// TestSlackReviewsEndToEnd runs the dev stack against the fake Slack over real HTTP: a court-ordered
// disclosure's card reaches the review channel without the subject, an outsider and a second vote are
// told ephemerally (a double click counts once), two legal reviewers approve by button, the card loses its buttons, and an objection
// is decided in Slack too. A forged signature changes nothing.
func TestSlackReviewsEndToEnd(t *testing.T) {
	fake := slacktest.New(t)
	const secret = "signing-secret-for-tests"
	cfg := testConfig(t, t.TempDir())
	cfg.Slack = config.Slack{BotToken: "xoxb-test", SigningSecret: secret, APIURL: fake.URL, ReviewChannel: "C0REVIEW", AlertChannel: "C0ALERT"}
	cfg.Reviewers = dsrflow.Reviewers{Groups: map[string][]string{"legal": {"U01LEGAL1", "U01LEGAL2"}, "dpo": {"U01DPO"}}}
	s := start(t, cfg)
	defer stop(t, s)
	agent := apiClient{t: t, stack: s}
	interactions := s.URL() + "/slack/interactions"
	approve := slack.ActionID(dsrflow.VoteApprove)

	status, data := agent.call("POST", "/api/v1/disclosures", web.NewDisclosure{
		Authority: "Oslo police district", Country: "NO", CaseRef: "2026/0042", LegalBasis: "Criminal Procedure Act s. 210",
		CourtOrder: "TOSL-2026-42", Court: "Oslo District Court", OrderDate: time.Now().AddDate(0, 0, -2).Format(time.DateOnly),
		Emails: []string{jane}, Categories: []string{"user.contact.email", "user.name"},
	})
	var created map[string]string
	_ = json.Unmarshal(data, &created)
	if status != http.StatusCreated {
		t.Fatalf("disclosure: %d %s", status, data)
	}
	id := created["id"]
	card := fake.WaitMessage(t, "C0REVIEW")
	if content := card.Content(); !strings.Contains(content, "2026/0042") || strings.Contains(content, "jane") || strings.Contains(content, "Jane") {
		t.Fatalf("the review card lacks the case or names the subject: %s", content)
	}

	// A forged signature is refused and counts nothing.
	if resp := slacktest.PostInteraction(t, interactions, "not-the-secret", fake.Click(t, card, "U01LEGAL1", approve)); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("forged signature: %d, want 401", resp.StatusCode)
	}
	// Someone outside legal, then a legal reviewer twice: the outsider and the second vote are refused.
	click := func(user string) {
		t.Helper()
		if resp := slacktest.PostInteraction(t, interactions, secret, fake.Click(t, card, user, approve)); resp.StatusCode != http.StatusOK {
			t.Fatalf("%s's click: %d", user, resp.StatusCode)
		}
	}
	click("U0OUTSIDER")
	if e := fake.WaitEphemeral(t, 1); e.User != "U0OUTSIDER" || !strings.Contains(strings.ToLower(e.Text), "legal") {
		t.Errorf("outsider told %+v", e)
	}
	click("U01LEGAL1")
	fake.Until(t, "the first approval on the card", func() bool {
		m, _ := fake.Message(card.Channel, card.TS)
		return strings.Contains(m.Content(), "U01LEGAL1")
	})
	click("U01LEGAL1") // a double click: the same vote, counted once and not remarked on
	// A second, different vote by the same reviewer: reject (its reason through the modal) is refused.
	if resp := slacktest.PostInteraction(t, interactions, secret, fake.Click(t, card, "U01LEGAL1", slack.ActionID(dsrflow.VoteReject))); resp.StatusCode != http.StatusOK {
		t.Fatalf("reject click: %d", resp.StatusCode)
	}
	modal := fake.WaitView(t, 1)
	submit := fake.Submit(t, modal, "U01LEGAL1", slacktest.Input{BlockID: slack.ReasonBlockID, ActionID: slack.ReasonActionID, Value: "changed my mind"})
	if resp := slacktest.PostInteraction(t, interactions, secret, submit); resp.StatusCode != http.StatusOK {
		t.Fatalf("modal submission: %d", resp.StatusCode)
	}
	if e := fake.WaitEphemeral(t, 2); e.User != "U01LEGAL1" || !strings.Contains(e.Text, "already") {
		t.Errorf("second vote told %+v", e)
	}
	if v := agent.show(id); v.Status != "in_review" || len(v.Decisions) != 1 {
		t.Fatalf("after one approval: %s with %d decisions", v.Status, len(v.Decisions))
	}
	click("U01LEGAL2")
	v := agent.waitStatus(id, "completed")
	if len(v.Decisions) != 2 {
		t.Errorf("decisions %+v, want two approvals", v.Decisions)
	}
	fake.Until(t, "the card without buttons", func() bool {
		m, _ := fake.Message(card.Channel, card.TS)
		return !strings.Contains(string(m.Blocks), `"actions"`)
	})

	// An objection's review card is decided in Slack by a legal reviewer.
	objection := agent.create(web.NewRequest{Type: "objection", Email: jane, Attest: "called back on the number on file", Grounds: "no longer a customer"})
	agent.waitStatus(objection, "in_review")
	var objCard slacktest.Message
	fake.Until(t, "the objection's card", func() bool {
		for _, m := range fake.Messages("C0REVIEW") {
			if strings.Contains(m.Content(), objection) {
				objCard = m
				return true
			}
		}
		return false
	})
	// An objection's decision needs a reason either way (the subject is told why): Approve opens the form.
	if resp := slacktest.PostInteraction(t, interactions, secret, fake.Click(t, objCard, "U01LEGAL2", approve)); resp.StatusCode != http.StatusOK {
		t.Fatalf("objection click: %d", resp.StatusCode)
	}
	modal = fake.WaitView(t, 2)
	submit = fake.Submit(t, modal, "U01LEGAL2", slacktest.Input{BlockID: slack.ReasonBlockID, ActionID: slack.ReasonActionID, Value: "no compelling grounds of ours"})
	if resp := slacktest.PostInteraction(t, interactions, secret, submit); resp.StatusCode != http.StatusOK {
		t.Fatalf("objection reason: %d", resp.StatusCode)
	}
	if v := agent.waitStatus(objection, "completed"); len(v.Decisions) != 1 || v.Decisions[0].Decision != "approve" {
		t.Errorf("objection decisions %+v", v.Decisions)
	}
}

// TestSlackManualTaskOutcomes: a manual connector's job becomes a card in its team's channel, without the
// subject; Done, Nothing found and Cannot (with its reason, through the form) each end the job as the
// team said.
func TestSlackManualTaskOutcomes(t *testing.T) {
	fake := slacktest.New(t)
	const secret = "signing-secret-for-tests"
	cfg := archiveConfig(t)
	cfg.Demo = false
	cfg.Slack = config.Slack{BotToken: "xoxb-test", SigningSecret: secret, APIURL: fake.URL, ReviewChannel: "C0REVIEW", AlertChannel: "C0ALERT"}
	s := start(t, cfg)
	defer stop(t, s)
	c := apiClient{t: t, stack: s}
	interactions := s.URL() + "/slack/interactions"

	for i, tc := range []struct {
		action     dsrflow.VoteAction
		reason     string
		wantStatus string
	}{
		{dsrflow.VoteDone, "", "completed"},
		{dsrflow.VoteNothingFound, "", "not_found"},
		{dsrflow.VoteCannot, "the archive burned down", "failed"},
	} {
		email := []string{jane, "ola.nordmann@example.com", "kari.nordmann@example.com"}[i]
		id := c.create(web.NewRequest{Type: "access", Email: email, Attest: "known customer on a recorded call"})
		var card slacktest.Message
		fake.Until(t, "the task card", func() bool {
			for _, m := range fake.Messages("C01ARCHIVE") {
				if strings.Contains(m.Content(), id) {
					card = m
					return true
				}
			}
			return false
		})
		if strings.Contains(card.Content(), email) {
			t.Fatalf("the task card names the subject: %s", card.Content())
		}
		resp := slacktest.PostInteraction(t, interactions, secret, fake.Click(t, card, "U0TEAM", slack.ActionID(tc.action)))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s click: %d", tc.action, resp.StatusCode)
		}
		if tc.reason != "" {
			modal := fake.WaitView(t, 1)
			submit := fake.Submit(t, modal, "U0TEAM", slacktest.Input{BlockID: slack.ReasonBlockID, ActionID: slack.ReasonActionID, Value: tc.reason})
			if resp := slacktest.PostInteraction(t, interactions, secret, submit); resp.StatusCode != http.StatusOK {
				t.Fatalf("cannot's reason: %d", resp.StatusCode)
			}
		}
		v := c.waitClosed(id)
		if got := jobsByConnector(v)["archive/access"].Status; got != tc.wantStatus {
			t.Errorf("%s: the archive's job ended %q, want %q (request %s)", tc.action, got, tc.wantStatus, v.Status)
		}
		fake.Until(t, "the task card without buttons", func() bool {
			m, _ := fake.Message(card.Channel, card.TS)
			return !strings.Contains(string(m.Blocks), `"actions"`)
		})
	}
}
