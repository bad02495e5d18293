package devstack_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/dsrflow/dsrflow/internal/web"
)

// TestBrowserConsoleDisclosurePage: a supervisory authority's order (GDPR Art. 58(1)(a)) as two legal
// reviewers meet it in Chromium. Each sees the kind and its basis, the authority, the case, the order
// and its document's hash, the categories asked for and how many subjects (never who); each votes on the
// page (the first approves, the second narrows to one of the two categories asked for), after which the
// vote form is gone and the vote shown; the second sees the first's vote, and once both approved the
// register line names them.
func TestBrowserConsoleDisclosurePage(t *testing.T) {
	chromiumPath(t)
	s := startReviewed(t, archiveConfig(t), legalAndDPO)
	defer stop(t, s)
	c := apiClient{t: t, stack: s}

	doc := []byte("%PDF-1.7 Datatilsynet: order to provide information, case 26/01234")
	sum := sha256.Sum256(doc)
	status, data := c.call("POST", "/api/v1/disclosures", web.NewDisclosure{
		Kind: "supervisory_authority", Authority: "Datatilsynet", Country: "NO", CaseRef: "26/01234",
		LegalBasis: "GDPR Art. 58(1)(a)", CourtOrder: "DT-2026-77", OrderDate: time.Now().AddDate(0, 0, -1).Format(time.DateOnly),
		OrderDocument: base64.StdEncoding.EncodeToString(doc),
		Emails:        []string{jane, "nobody@example.com"}, Categories: []string{"user.contact.email", "user.name"},
	})
	if status != http.StatusCreated {
		t.Fatalf("disclosure: %d %s", status, data)
	}
	var created map[string]string
	_ = json.Unmarshal(data, &created)
	id := created["id"]
	c.waitStatus(id, "in_review")
	page := s.URL() + "/console/requests/" + id

	for i, name := range []string{"legal-1", "legal-2"} {
		reviewer := signInTab(t, s, name, "reviewer")
		act(t, reviewer, "open the disclosure", chromedp.Navigate(page), chromedp.WaitVisible(chromedp.CSS("#authority-h")), chromedp.WaitVisible(chromedp.CSS("#vote-reason")))
		text := strings.Join(strings.Fields(pageText(t, reviewer)), " ")
		for _, want := range []string{"supervisory authority", "Datatilsynet", "26/01234", "GDPR Art. 58(1)(a)", "DT-2026-77",
			hex.EncodeToString(sum[:]), "user.contact.email", "Subjects named 2"} {
			if !strings.Contains(text, want) {
				t.Errorf("%s's page lacks %q:\n%s", name, want, text)
			}
		}
		if strings.Contains(text, jane) || strings.Contains(text, "nobody@example.com") {
			t.Errorf("%s's page names a subject", name)
		}
		if i == 1 && !strings.Contains(text, "legal-1 — approve") {
			t.Errorf("legal-2 does not see legal-1's vote:\n%s", text)
		}
		if i == 0 {
			act(t, reviewer, name+" approves", chromedp.SendKeys(chromedp.CSS("#vote-reason"), "the order is within Art. 58(1)(a)"),
				chromedp.Click(chromedp.CSS(`button[value="approve"]`)), chromedp.WaitVisible(chromedp.CSS(".flash")))
		} else {
			// The second narrows: only the checked category is disclosed.
			act(t, reviewer, name+" narrows", chromedp.SendKeys(chromedp.CSS("#vote-reason"), "names are not within the order"),
				chromedp.Click(chromedp.CSS(`input[name="scope"][value="user.contact.email"]`)),
				chromedp.Click(chromedp.CSS(`button[value="narrow"]`)), chromedp.WaitVisible(chromedp.CSS(".flash")))
		}
		act(t, reviewer, "reload", chromedp.Navigate(page), chromedp.WaitVisible(chromedp.CSS("#authority-h")))
		if gone, err := chromedp.Run(reviewer, chromedp.Evaluate[bool](`document.getElementById("vote-reason") === null && document.querySelector('button[value="approve"]') === null`)); err != nil || !gone {
			t.Errorf("%s still has the vote form after voting (%v)", name, err)
		}
		// The first vote is shown in the form's place; the second ends the review (the request moves on,
		// nobody votes any more), and the decisions list it.
		want := "You voted: approve"
		if i == 1 {
			want = name + " — approve"
		}
		if text := pageText(t, reviewer); !strings.Contains(text, want) {
			t.Errorf("%s's page does not show their vote (%q):\n%s", name, want, text)
		}
	}
	dpo := signInTab(t, s, "dpo-1", "dpo")
	waitFor(t, "both approvals in the register", func() bool {
		act(t, dpo, "open the disclosure", chromedp.Navigate(page), chromedp.WaitVisible(chromedp.CSS("#authority-h")))
		text := pageText(t, dpo)
		return strings.Contains(text, "approved by") && strings.Contains(text, "legal-1") && strings.Contains(text, "legal-2")
	})
	screenshot(t, dpo, "console-disclosure")
	var narrowed bool
	for _, d := range c.show(id).Decisions {
		narrowed = narrowed || (d.Reviewer == "token:legal-2" && strings.HasPrefix(d.Reason, "narrowed to user.contact.email."))
	}
	if !narrowed {
		t.Errorf("legal-2's narrowing in the browser is not recorded: %+v", c.show(id).Decisions)
	}
}
