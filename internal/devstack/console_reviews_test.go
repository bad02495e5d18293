package devstack_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow/internal/web"
	"github.com/dsrflow/dsrflow/workflows"
)

// TestConsoleTasksReviewsAndRegister: in the console an agent answers a manual connector's task, two legal
// reviewers approve an authority's court-ordered request from the pending reviews, and the DPO reads the
// disclosure register and the transparency report.
func TestConsoleTasksReviewsAndRegister(t *testing.T) {
	cfg := archiveConfig(t)
	s := startReviewed(t, cfg, legalAndDPO)
	defer stop(t, s)
	c := apiClient{t: t, stack: s}
	signIn := func(name, role string) *browser {
		b := newBrowser(t, s)
		if resp, _ := b.post("/console/signin", url.Values{"token": {createToken(t, s, name, role)}}, ""); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s signs in: %d", name, resp.StatusCode)
		}
		return b
	}
	agent, legal1, legal2, dpo := signIn("agent-1", "agent"), signIn("legal-1", "reviewer"), signIn("legal-2", "reviewer"), signIn("dpo-1", "dpo")

	// A manual task: listed on its request's page, answered on its own page.
	id := c.create(web.NewRequest{Type: "access", Email: jane, Attest: "known customer on a recorded call"})
	taskID := id + ".archive"
	waitFor(t, "the task", func() bool {
		_, page := agent.get("/console/requests/" + id)
		return strings.Contains(page, "/console/tasks/"+taskID)
	})
	resp, page := agent.get("/console/tasks/" + taskID)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, jane) || !strings.Contains(page, "Search the paper archive by email.") {
		t.Fatalf("task page: %d, want the identity and the instructions", resp.StatusCode)
	}
	// The tasks page lists it (never who it is about) for the team; under "mine" once the request is
	// assigned to the agent; not under "overdue" (due in a month).
	taskLink := `href="/console/tasks/` + taskID + `"`
	if resp, page := agent.get("/console/tasks"); resp.StatusCode != http.StatusOK || !strings.Contains(page, taskLink) || strings.Contains(page, jane) {
		t.Errorf("the team's tasks: %d, want the task without the subject", resp.StatusCode)
	}
	if _, page := agent.get("/console/tasks?view=mine"); strings.Contains(page, taskLink) {
		t.Error("mine lists a task of a request assigned to nobody")
	}
	if status, data := c.call("POST", "/api/v1/requests/"+id+"/assignee", map[string]string{"assignee": "token:agent-1"}); status != http.StatusOK {
		t.Fatalf("assign: %d %s", status, data)
	}
	if _, page := agent.get("/console/tasks?view=mine"); !strings.Contains(page, taskLink) || !strings.Contains(page, "token:agent-1") {
		t.Error("mine lacks the task of the agent's request")
	}
	if _, page := agent.get("/console/tasks?view=overdue"); strings.Contains(page, taskLink) {
		t.Error("overdue lists a task due in a month")
	}
	if resp, _ := legal1.get("/console/tasks"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a reviewer opened the tasks page: %d", resp.StatusCode)
	}
	if resp, page := agent.post("/console/tasks/"+taskID, url.Values{"outcome": {"cannot"}}, "/console/tasks/"+taskID); resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "reason") {
		t.Errorf("cannot without a reason: %d", resp.StatusCode)
	}
	if resp, _ := agent.post("/console/tasks/"+taskID, url.Values{"outcome": {"done"}}, "/console/tasks/"+taskID); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("done: %d", resp.StatusCode)
	}
	if v := c.waitClosed(id); v.Status != "completed" {
		t.Fatalf("request ended %s", v.Status)
	}
	if _, page := agent.get("/console/tasks"); strings.Contains(page, taskLink) {
		t.Error("the tasks page still lists an answered task")
	}
	if resp, _ := legal1.get("/console/tasks/" + taskID); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a reviewer opened a task with the subject's identity: %d", resp.StatusCode)
	}

	// An authority's request under a court order, approved by two legal reviewers from the reviews page.
	status, data := c.call("POST", "/api/v1/disclosures", web.NewDisclosure{
		Authority: "Oslo police district", Country: "NO", CaseRef: "2026/0077", LegalBasis: "Criminal Procedure Act s. 210",
		CourtOrder: "TOSL-2026-77", Court: "Oslo District Court", OrderDate: time.Now().AddDate(0, 0, -1).Format(time.DateOnly),
		Emails: []string{jane}, Categories: []string{"user.contact.email"},
	})
	if status != http.StatusCreated {
		t.Fatalf("disclosure: %d %s", status, data)
	}
	waitFor(t, "the pending review", func() bool {
		_, page = legal1.get("/console/reviews")
		return strings.Contains(page, "2026/0077")
	})
	m := requestLink.FindStringSubmatch(page)
	if m == nil || !strings.Contains(page, "2026/0077") || strings.Contains(page, jane) {
		t.Fatalf("reviews page: want the case and a link, never the subject")
	}
	disclosure := m[1]
	for _, b := range []*browser{legal1, legal2} {
		if resp, page := b.post("/console/requests/"+disclosure+"/decide", url.Values{"decision": {"approve"}, "reason": {"order checked"}}, "/console/requests/"+disclosure); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("approve: %d %s", resp.StatusCode, page)
		}
	}
	// The archive's team answers the disclosure's task too: it lives in the first subject's workflow,
	// whose id begins the task's, and the disclosure's page lists it.
	discTask := workflows.DisclosureSubjectID(disclosure, 1) + ".archive"
	waitFor(t, "the disclosure's task", func() bool {
		resp, _ := agent.get("/console/tasks/" + discTask)
		return resp.StatusCode == http.StatusOK
	})
	if _, page := agent.get("/console/requests/" + disclosure); !strings.Contains(page, "/console/tasks/"+discTask) {
		t.Error("the disclosure's page does not list its subject's task")
	}
	if _, page := agent.get("/console/tasks"); !strings.Contains(page, `href="/console/tasks/`+discTask+`"`) {
		t.Error("the tasks page does not list the disclosure subject's task")
	}
	if resp, _ := agent.post("/console/tasks/"+discTask, url.Values{"outcome": {"nothing_found"}}, "/console/tasks/"+discTask); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("nothing found: %d", resp.StatusCode)
	}
	if v := c.waitClosed(disclosure); v.Status != "completed" {
		t.Fatalf("disclosure ended %s", v.Status)
	}
	year := time.Now().UTC().Format("2006")
	if resp, _ := agent.get("/console/disclosures"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("an agent opened the register: %d", resp.StatusCode)
	}
	_, page = dpo.get("/console/disclosures?year=" + year)
	if !strings.Contains(page, "2026/0077") || !strings.Contains(page, "complied") || !strings.Contains(page, "TOSL-2026-77") || strings.Contains(page, jane) {
		t.Error("the register lacks the disclosure or names the subject")
	}
	_, page = dpo.get("/console/reports/transparency?year=" + year)
	// The cells carry their column's name for the stacked phone layout; the row's numbers are what count.
	cells := regexp.MustCompile(` data-label="[^"]*"`).ReplaceAllString(page, "")
	if !strings.Contains(cells, "<td>NO</td><td>1</td><td>0</td><td>0</td><td>1</td><td>1</td>") {
		t.Error("the transparency report does not count the disclosure")
	}
}
