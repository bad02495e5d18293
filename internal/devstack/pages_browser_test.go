package devstack_test

import (
	"context"
	"html"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/dsrflow/dsrflow/internal/eid/eidtest"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/internal/web"
)

// TestBrowserPagesOffTheWalks holds to axe-core, reflow at 320 px and screenshots the pages the role
// walks do not reach (issue 17, "every page"): a refused sign-in, a role's refusal, the admin's outbox,
// a status link that leads nowhere, and a lapsed request in the console (closed, never overdue).
func TestBrowserPagesOffTheWalks(t *testing.T) {
	chromiumPath(t)
	s := start(t, testConfig(t, t.TempDir()))
	defer stop(t, s)
	c := apiClient{t: t, stack: s}

	// A mistyped token: the sign-in page again, the error said and the field marked.
	ctx := tab(t)
	act(t, ctx, "sign in with a wrong token", chromedp.Navigate(s.URL()+"/console/signin"), chromedp.WaitVisible(chromedp.CSS("#token")),
		chromedp.SetValue(chromedp.CSS("#token"), "dsr_not-a-token"), chromedp.Click(chromedp.CSS("form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("main p.error")))
	if text := pageText(t, ctx); !strings.Contains(text, "Unknown or revoked token.") {
		t.Errorf("a refused sign-in: %q", text)
	}
	if inv, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("token").getAttribute("aria-invalid") || ""`)); err != nil || inv != "true" {
		t.Errorf("the refused token's field is not marked invalid: %q %v", inv, err)
	}
	if id, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement ? document.activeElement.id : ""`)); err != nil || id != "token" {
		t.Errorf("after a refused sign-in the focus is on %q, not the token field (%v)", id, err)
	}
	checkPage(t, ctx, "console-signin-refused")

	// A reviewer on an agents' page: the error page says why.
	reviewer := signInTab(t, s, "reviewer-1", "reviewer")
	act(t, reviewer, "an agents' page", chromedp.Navigate(s.URL()+"/console/tasks"), chromedp.WaitVisible(chromedp.CSS("main p.error")))
	if text := pageText(t, reviewer); !strings.Contains(text, "Your role (reviewer) may not open this page.") {
		t.Errorf("a reviewer on the tasks page: %q", text)
	}
	checkPage(t, reviewer, "console-forbidden")

	// The outbox, the admin's page (development mode's mailbox).
	id := c.create(web.NewRequest{Type: "erasure", Email: jane})
	c.waitStatus(id, "verifying")
	mailedCode(t, c, id)
	admin := signInTab(t, s, "admin-1", "admin")
	act(t, admin, "the outbox", chromedp.Click(chromedp.CSS(`nav a[href="/console/outbox"]`)), chromedp.WaitVisible(chromedp.CSS("table.list")))
	if text := pageText(t, admin); !strings.Contains(text, id) {
		t.Errorf("the outbox lacks the code mail of %s: %q", id, text)
	}
	checkPage(t, admin, "console-outbox")

	// A status link that leads nowhere (made up, or ended): one answer, with the way to ask again.
	subject := tab(t)
	act(t, subject, "a made-up status link", chromedp.Navigate(s.URL()+"/privacy/requests/dsr_nosuchrequest?t=made-up"), chromedp.WaitVisible(chromedp.CSS("main p.error")))
	if text := pageText(t, subject); !strings.Contains(text, "This link is not valid, or it has expired") || !strings.Contains(text, "make a new request") {
		t.Errorf("the link-gone page: %q", text)
	}
	checkPage(t, subject, "privacy-link-gone")

	// A lapsed request in the agent's console: closed, not overdue, and nothing offered that would fail.
	lapsed := putLapsed(t, s)
	agent := signInTab(t, s, "agent-1", "agent")
	act(t, agent, "the lapsed request", chromedp.Navigate(s.URL()+"/console/requests/"+lapsed), chromedp.WaitVisible(chromedp.CSS("dl.facts")))
	text := pageText(t, agent)
	if !strings.Contains(text, "lapsed") || strings.Contains(strings.ToLower(text), "overdue") {
		t.Errorf("the lapsed request's page: %q", text)
	}
	if n, err := chromedp.Run(agent, chromedp.Evaluate[int](`document.querySelectorAll('form[action$="/cancel"], form[action$="/extend"], form[action$="/resend"], #actions-h').length`)); err != nil || n != 0 {
		t.Errorf("the lapsed request offers %d actions that would fail, or an empty Actions box (%v)", n, err)
	}
	checkPage(t, agent, "console-request-lapsed")
	act(t, agent, "closed requests", chromedp.Navigate(s.URL()+"/console/requests?view=closed"), chromedp.WaitVisible(chromedp.CSS("table.queue")))
	if late, err := chromedp.Run(agent, chromedp.Evaluate[int](`document.querySelectorAll("table.queue td.late").length`)); err != nil || late != 0 {
		t.Errorf("closed requests shown late: %d (%v)", late, err)
	}
	if !slices.Contains(queueIDs(t, agent), lapsed) {
		t.Errorf("the closed requests do not list the lapsed %s", lapsed)
	}
}

// TestBrowserSubjectVerifiesWithEID: on a phone, a data subject asks for a copy of their data, which the
// controller marks sensitive, so their identity is confirmed with an electronic ID, not a code. The
// status page explains why and offers the button; a refusal at the broker comes back to the status page
// with the reason; the second attempt verifies the request; a return from the broker that did not start
// here (or is spent) is answered on its own page. Each page is held to axe-core and 320 px.
func TestBrowserSubjectVerifiesWithEID(t *testing.T) {
	chromiumPath(t)
	iss, cfg := eidStack(t)
	// The broker hands the browser on to a login page of another origin, as the brokers of BankID and
	// MitID do: Chromium holds a form's whole redirect chain to the page's CSP form-action, so a form
	// that started it would be stopped at that hop.
	iss.LoginElsewhere(t)
	s := start(t, cfg)
	defer stop(t, s)
	c := apiClient{t: t, stack: s}
	iss.SetPerson(map[string]any{"nin": "010203-1234", "name": "Jane Doe", "birthdate": "1990-02-01"})

	ctx := tab(t)
	onPhone(t, ctx)
	act(t, ctx, "the portability form", chromedp.Navigate(s.URL()+"/privacy/request?type=portability"), chromedp.WaitVisible(chromedp.CSS("#email")))
	act(t, ctx, "submit", chromedp.SendKeys(chromedp.CSS("#email"), jane), chromedp.Click(chromedp.CSS("form button[type=submit]")), chromedp.WaitVisible(chromedp.CSS("h1#sent")))
	rows, _ := s.Store.ListRequests(context.Background(), store.RequestFilter{Type: "portability"})
	if len(rows) != 1 {
		t.Fatalf("%d portability requests, want 1", len(rows))
	}
	id := rows[0].ID
	c.waitStatus(id, "verifying")
	var link string
	waitFor(t, "the eID mail", func() bool {
		for _, m := range outbox(t, s, id) {
			if m.Kind == "verification_eid_code" {
				link = html.UnescapeString(statusLink.FindString(m.Body))
			}
		}
		return link != ""
	})

	act(t, ctx, "the status page", chromedp.Navigate(s.URL()+link), chromedp.WaitVisible(chromedp.CSS("#eid a")))
	text := pageText(t, ctx)
	if !strings.Contains(text, "with your electronic ID rather than a code") || !strings.Contains(text, "Verify with BankID, MitID or Finnish bank ID") {
		t.Errorf("the status page of a sensitive request: %q", text)
	}
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#code").length`)); n != 0 {
		t.Error("the status page of a sensitive request asks for a code")
	}
	checkPage(t, ctx, "phone-privacy-eid")
	onPhone(t, ctx)

	iss.SpoilNext(eidtest.Tamper{Nonce: "not-the-one-sent"})
	act(t, ctx, "verify with eID, refused", chromedp.Click(chromedp.CSS("#eid a")), chromedp.WaitVisible(chromedp.CSS("main p.error")))
	if text := pageText(t, ctx); !strings.Contains(text, "could not confirm who you are") {
		t.Errorf("after a refused eID: %q", text)
	}
	if v := c.show(id); v.Status != "verifying" {
		t.Fatalf("after a refused eID the request is %s", v.Status)
	}
	checkPage(t, ctx, "phone-privacy-eid-refused")
	onPhone(t, ctx)

	act(t, ctx, "verify with eID", chromedp.Click(chromedp.CSS("#eid a")), chromedp.WaitVisible(chromedp.CSS(".flash")))
	if v := c.waitStatus(id, "completed"); v.Verification != "eid" {
		t.Errorf("verified by %q, want eid", v.Verification)
	}
	checkPage(t, ctx, "phone-privacy-eid-verified")
	onPhone(t, ctx)

	// The broker's return once more: the flow is spent (its cookie gone), so the page says to start again.
	act(t, ctx, "a spent return", chromedp.Navigate(s.URL()+"/privacy/eid/callback?state=spent&code=spent"), chromedp.WaitVisible(chromedp.CSS("main p.error")))
	if text := pageText(t, ctx); !strings.Contains(text, "has expired or did not start here") {
		t.Errorf("a spent eID return: %q", text)
	}
	checkPage(t, ctx, "privacy-eid-expired")
}
