package devstack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/devstack"
	"github.com/dsrflow/dsrflow/internal/review"
	"github.com/dsrflow/dsrflow/internal/slack"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/internal/web"
)

// callWithKey is apiClient.call with an Idempotency-Key header.
func (c apiClient) callWithKey(method, path, key string, body any) (int, string) {
	c.t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, c.stack.URL()+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Idempotency-Key", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

// TestVotesAreBoundToTheirCaller is the attack of a reviewer outside legal who sends an API vote under
// a legal member's key, before that member votes: the member's vote still counts. Two legal members
// using the same key both count; the key space of Slack's clicks is refused on the API; and alice, who
// votes with her token and with her Slack id, is one approver.
func TestVotesAreBoundToTheirCaller(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	reviewers := dsrflow.Reviewers{
		Groups: map[string][]string{"legal": {"alice", "U01ALICE", "bob"}},
		People: map[string][]string{"alice": {"alice", "U01ALICE"}},
	}
	s, err := devstack.Start(ctx, devstack.Options{Config: testConfig(t, t.TempDir()), Register: registerProbe, Reviewers: reviewers})
	if err != nil {
		t.Fatal(err)
	}
	defer stop(t, s)
	tokens := map[string]string{}
	for name, role := range map[string]string{"agent-1": "agent", "alice": "reviewer", "bob": "reviewer", "mallory": "reviewer"} {
		tokens[name] = createToken(t, s, name, role)
	}
	as := func(name string) apiClient { return apiClient{t: t, stack: s, token: tokens[name]} }

	status, data := as("agent-1").call("POST", "/api/v1/disclosures", web.NewDisclosure{
		Authority: "Oslo police district", Country: "NO", CaseRef: "2026/0100", LegalBasis: "Criminal Procedure Act s. 210",
		CourtOrder: "TOSL-2026-99", Court: "Oslo District Court", OrderDate: time.Now().AddDate(0, 0, -1).Format(time.DateOnly),
		Emails: []string{jane}, Categories: []string{"user.contact.email"},
	})
	var created map[string]string
	_ = json.Unmarshal(data, &created)
	id := created["id"]
	if status != http.StatusCreated || created["status"] != "in_review" {
		t.Fatalf("disclosure: %d %s", status, data)
	}
	as("agent-1").waitStatus(id, "in_review")
	path := "/api/v1/disclosures/" + id + "/decisions"
	approve := map[string]any{"decision": "approve", "reason": "the order is valid"}

	// Mallory, outside legal, votes first under the key alice will use, and under the key Slack derives
	// for alice's click.
	if st, body := as("mallory").callWithKey("POST", path, "alice-key", approve); st != http.StatusForbidden {
		t.Fatalf("mallory's vote: %d %s, want 403", st, body)
	}
	slackKey := slack.VoteKey(id, "U01ALICE", dsrflow.VoteApprove)
	if st, body := as("mallory").callWithKey("POST", path, slackKey, approve); st != http.StatusBadRequest || !strings.Contains(body, "slack:") {
		t.Fatalf("an API vote under a Slack key: %d %s, want 400", st, body)
	}
	// Alice's vote under the same key counts, and her retry is one vote.
	for range 2 {
		if st, body := as("alice").callWithKey("POST", path, "alice-key", approve); st != http.StatusOK || !strings.Contains(body, `"accepted":true`) {
			t.Fatalf("alice's vote after mallory's under her key: %d %s", st, body)
		}
	}
	// Alice again, clicking in Slack under her Slack id: the same person, refused, not a second approval.
	out, err := review.Dispatcher{Client: s.Client}.Vote(ctx, dsrflow.Vote{
		ReviewID: id, Kind: dsrflow.ReviewDisclosure, Action: dsrflow.VoteApprove, Reviewer: "U01ALICE",
		Groups: reviewers.GroupsOf("U01ALICE"), Person: reviewers.PersonOf("U01ALICE"), Via: "slack", Key: slackKey,
	})
	if err != nil || out.Accepted || out.Code != dsrflow.ECONFLICT {
		t.Fatalf("alice's second vote under her Slack id: %+v, %v; want refused as already voted", out, err)
	}
	// Bob uses alice's key too: his vote counts, it is not a silent repeat of hers.
	if st, body := as("bob").callWithKey("POST", path, "alice-key", approve); st != http.StatusOK || !strings.Contains(body, `"accepted":true`) {
		t.Fatalf("bob's vote under alice's key: %d %s", st, body)
	}
	v := as("agent-1").waitClosed(id)
	decisions, err := s.Store.ListDecisions(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var approvers []string
	for _, d := range decisions {
		if d.Decision == store.DecisionApprove {
			approvers = append(approvers, d.Reviewer)
		}
	}
	if v.Status != "completed" || len(approvers) != 2 || approvers[0] == approvers[1] {
		t.Fatalf("disclosure ended %s with approvals %v; want completed by two people", v.Status, approvers)
	}
}

// TestLinksComeFromConfiguration is the attack of a second privacy-center submission sent with
// Host: evil.example.net (and forwarded-host headers): every link mailed to the subject starts with the
// configured public URL, and no mail names the attacker's host.
func TestLinksComeFromConfiguration(t *testing.T) {
	s := start(t, testConfig(t, t.TempDir()))
	defer stop(t, s)
	submit := func() {
		t.Helper()
		req, _ := http.NewRequest("POST", s.URL()+"/privacy/request", strings.NewReader(url.Values{"type": {"access"}, "email": {jane}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Host = "evil.example.net"
		req.Header.Set("X-Forwarded-Host", "evil.example.net")
		req.Header.Set("X-Forwarded-Proto", "https")
		req.Header.Set("Forwarded", "host=evil.example.net;proto=https")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("submission: %d", resp.StatusCode)
		}
	}
	submit()
	submit() // the open request's link is mailed again, by the front door this time
	var msgs []store.Message
	waitFor(t, "the code mail and the status-link mail", func() bool {
		msgs, _ = s.Store.ListOutbox(context.Background(), store.OutboxFilter{})
		kinds := map[string]bool{}
		for _, m := range msgs {
			kinds[m.Kind] = true
		}
		return kinds["verification_code"] && kinds["status_link"]
	})
	links := regexp.MustCompile(`https?://[^\s"<>]+`)
	n := 0
	for _, m := range msgs {
		if strings.Contains(m.Body, "evil.example.net") {
			t.Errorf("%s mail names the attacker's host: %q", m.Kind, m.Body)
		}
		for _, l := range links.FindAllString(m.Body, -1) {
			if strings.Contains(l, "/privacy/requests/") {
				n++
				if !strings.HasPrefix(l, s.URL()+"/privacy/requests/") {
					t.Errorf("%s mail links to %s, want the configured %s", m.Kind, l, s.URL())
				}
			}
		}
	}
	if n < 2 {
		t.Errorf("%d status links mailed, want one per mail", n)
	}
}
