package devstack_test

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/devstack"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/internal/web"
)

// onPhone makes the tab a 390 x 844 phone (checkPage leaves it at 1280 px).
func onPhone(t *testing.T, ctx context.Context) {
	t.Helper()
	act(t, ctx, "a 390 px phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch))
}

// humanDate is a date as an English page writes it: "3 December 2026", never 2026-12-03.
var humanDate = regexp.MustCompile(`^\d{1,2} [A-Z][a-z]+ \d{4}$`)

// TestBrowserSubjectOnAPhone walks a data subject's day on a 390 x 844 phone (issue 17): the correction
// form's labelled rows, an access request from submission to download (the code read from the outbox,
// a new code asked from the status page, the status page's reference and received date, the summary
// per company and the download), the lost-link page and a lapsed request's page. Every page is held to
// axe-core and to no horizontal scroll at 320 px (checkPage), with screenshots at both widths.
func TestBrowserSubjectOnAPhone(t *testing.T) {
	chromiumPath(t)
	s := start(t, testConfig(t, t.TempDir()))
	defer stop(t, s)
	c := apiClient{t: t, stack: s}
	ctx := tab(t)
	onPhone(t, ctx)

	// Corrections are labelled rows, and a row left half-filled comes back marked.
	act(t, ctx, "the correction form", chromedp.Navigate(s.URL()+"/privacy/request?type=rectification"), chromedp.WaitVisible(chromedp.CSS("#correct-user-name")))
	if text := pageText(t, ctx); strings.Contains(text, "user.name") || !strings.Contains(text, "What we have now") {
		t.Errorf("the correction form: %q", text)
	}
	checkPage(t, ctx, "phone-privacy-corrections")
	onPhone(t, ctx)
	act(t, ctx, "a half-filled row", chromedp.SendKeys(chromedp.CSS("#email"), jane), chromedp.SendKeys(chromedp.CSS("#current-user-name"), "Jane Smit"),
		chromedp.Click(chromedp.CSS("form button[type=submit]")), chromedp.WaitVisible(chromedp.CSS("#correct-user-name-err")))
	checkPage(t, ctx, "phone-privacy-corrections-error")
	onPhone(t, ctx)
	if rows, _ := s.Store.ListRequests(context.Background(), store.RequestFilter{Type: "rectification"}); len(rows) != 0 {
		t.Fatalf("a refused correction form created %d requests", len(rows))
	}

	// An access request, from the first page to the download.
	act(t, ctx, "open the privacy center", chromedp.Navigate(s.URL()+"/privacy"), chromedp.WaitVisible(chromedp.CSS("ul.rights")))
	act(t, ctx, "choose access", chromedp.Click(chromedp.CSS(`a[href="/privacy/request?type=access"]`)), chromedp.WaitVisible(chromedp.CSS("#email")))
	act(t, ctx, "submit", chromedp.SendKeys(chromedp.CSS("#email"), jane), chromedp.Click(chromedp.CSS("form button[type=submit]")), chromedp.WaitVisible(chromedp.CSS("h1#sent")))
	rows, _ := s.Store.ListRequests(context.Background(), store.RequestFilter{Type: "access"})
	if len(rows) != 1 {
		t.Fatalf("%d access requests, want 1", len(rows))
	}
	id := rows[0].ID
	c.waitStatus(id, "verifying")
	mailedCode(t, c, id) // the first code mail
	if subject := codeMailSubject(t, s, id); !strings.Contains(subject, "request to see your data") {
		t.Errorf("the access code mail's subject %q does not name the right", subject)
	}
	act(t, ctx, "follow the mailed link", chromedp.Navigate(s.URL()+mailedStatusLink(t, s, id)), chromedp.WaitVisible(chromedp.CSS("#code")))
	ref, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#reference")))
	received, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#received")))
	if ref != id || !humanDate.MatchString(received) {
		t.Errorf("the status page shows reference %q and received %q, want %s and a date in words", ref, received, id)
	}
	checkPage(t, ctx, "phone-privacy-status")
	onPhone(t, ctx)
	act(t, ctx, "ask for a new code", chromedp.Click(chromedp.CSS("#resend button")), chromedp.WaitVisible(chromedp.CSS(".flash")))
	if text := pageText(t, ctx); !strings.Contains(text, "a new code is on its way") {
		t.Errorf("after asking for a new code: %q", text)
	}
	checkPage(t, ctx, "phone-privacy-resent")
	onPhone(t, ctx)
	code := newestCode(t, s, id, 2)
	// A mistyped code: the reason by the field, in words, the field marked and focused.
	act(t, ctx, "a wrong code", chromedp.SendKeys(chromedp.CSS("#code"), wrongCode(code)), chromedp.Click(chromedp.CSS(`form[action$="/verify"] button`)),
		chromedp.WaitVisible(chromedp.CSS("#code-err")))
	if msg, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#code-err"))); msg != "That code is not right. You have 4 attempts left." {
		t.Errorf("a wrong code is answered %q", msg)
	}
	if focus, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement.id + " " + document.activeElement.getAttribute("aria-invalid")`)); err != nil || focus != "code true" {
		t.Errorf("after a wrong code the focus is on %q, want the code's field marked invalid (%v)", focus, err)
	}
	checkPage(t, ctx, "phone-privacy-wrong-code")
	onPhone(t, ctx)
	act(t, ctx, "enter the code", chromedp.SendKeys(chromedp.CSS("#code"), code), chromedp.Click(chromedp.CSS(`form[action$="/verify"] button`)),
		chromedp.WaitVisible(chromedp.CSS(".flash")))
	c.waitStatus(id, "completed")
	act(t, ctx, "reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`a[href^="/exports/"]`)))
	items, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("ul.outcomes li")].map(li => li.textContent)`))
	if err != nil || len(items) == 0 {
		t.Fatalf("the answered status page has no summary per company (%v)", err)
	}
	v := c.show(id)
	for _, j := range v.Jobs {
		if !slices.ContainsFunc(items, func(it string) bool { return strings.HasPrefix(it, j.Owner+":") }) {
			t.Errorf("the summary %q does not name %s", items, j.Owner)
		}
	}
	checkPage(t, ctx, "phone-privacy-answered")
	onPhone(t, ctx)
	checkSummary(t, ctx, downloadZip(t, ctx, `a[href^="/exports/"]`))
	onPhone(t, ctx)

	// Lost the link: the page answers one sentence, and the open request's link goes by mail.
	erasure := c.create(web.NewRequest{Type: "erasure", Email: jane})
	c.waitStatus(erasure, "verifying")
	mailedCode(t, c, erasure)
	act(t, ctx, "the first page", chromedp.Navigate(s.URL()+"/privacy"), chromedp.WaitVisible(chromedp.CSS("#lost-link")))
	act(t, ctx, "lost the link", chromedp.Click(chromedp.CSS("#lost-link")), chromedp.WaitVisible(chromedp.CSS("#email")))
	checkPage(t, ctx, "phone-privacy-lost")
	onPhone(t, ctx)
	act(t, ctx, "ask for the links", chromedp.SendKeys(chromedp.CSS("#email"), jane), chromedp.Click(chromedp.CSS("form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("h1#lost-sent")))
	checkPage(t, ctx, "phone-privacy-lost-sent")
	onPhone(t, ctx)
	lost := slices.DeleteFunc(outbox(t, s, erasure), func(m store.Message) bool { return !strings.HasPrefix(m.ID, "lost-link:") })
	if len(lost) != 1 || !strings.Contains(lost[0].Body, "/privacy/requests/"+erasure+"?t=") || lost[0].To != jane {
		t.Errorf("the lost-link mails for the open erasure: %+v", lost)
	}
	if got := outbox(t, s, id); slices.ContainsFunc(got, func(m store.Message) bool { return strings.HasPrefix(m.ID, "lost-link:") }) {
		t.Error("the answered access request's link was mailed as an open request's")
	}

	// A lapsed request: its own page, and a link to ask again.
	lapsed := putLapsed(t, s)
	act(t, ctx, "the lapsed request's link", chromedp.Navigate(s.URL()+"/privacy/requests/"+lapsed+"?t="+s.Product.Key.StatusToken(lapsed)), chromedp.WaitVisible(chromedp.CSS("h1#lapsed")))
	if text := pageText(t, ctx); !strings.Contains(text, "never confirmed") {
		t.Errorf("the lapsed page: %q", text)
	}
	checkPage(t, ctx, "phone-privacy-lapsed")
	onPhone(t, ctx)
	act(t, ctx, "ask again", chromedp.Click(chromedp.CSS("#ask-again")), chromedp.WaitVisible(chromedp.CSS("#email")))
	if loc, _ := chromedp.Run(ctx, chromedp.Location()); !strings.HasSuffix(loc, "/privacy/request?type=erasure") {
		t.Errorf("ask again leads to %s", loc)
	}
}

func outbox(t *testing.T, s *devstack.Stack, id string) []store.Message {
	t.Helper()
	msgs, err := s.Store.ListOutbox(context.Background(), store.OutboxFilter{RequestID: id})
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

// codeMailSubject is the subject line of the request's first code mail.
func codeMailSubject(t *testing.T, s *devstack.Stack, id string) string {
	t.Helper()
	for _, m := range outbox(t, s, id) {
		if m.Kind == "verification_code" {
			return m.Subject
		}
	}
	t.Fatal("no code mail")
	return ""
}

// newestCode waits for the request's n-th code mail and returns its code.
func newestCode(t *testing.T, s *devstack.Stack, id string, n int) string {
	t.Helper()
	var code string
	waitFor(t, "a new code mail", func() bool {
		var codes []string
		for _, m := range outbox(t, s, id) {
			if mm := codePattern.FindStringSubmatch(m.Body); strings.HasPrefix(m.Kind, "verification_") && mm != nil {
				codes = append(codes, mm[1])
			}
		}
		if len(codes) < n {
			return false
		}
		code = codes[len(codes)-1]
		return true
	})
	return code
}

// putLapsed records an erasure request that lapsed 3 days ago, never confirmed (the workflow's own
// lapse takes 14 days).
func putLapsed(t *testing.T, s *devstack.Stack) string {
	t.Helper()
	id := "dsr_lapsedphone" + strings.Repeat("a", 12)
	closed := time.Now().Add(-3 * 24 * time.Hour).UTC()
	received := closed.Add(-dsrflow.CodePolicy.LapseAfter)
	row := store.Request{ID: id, Type: "erasure", Status: "lapsed", Country: "NO", Jurisdiction: "gdpr",
		ReceivedAt: received, DueAt: received.AddDate(0, 1, 0), UpdatedAt: closed, ClosedAt: &closed, SubjectKey: s.Product.Key.SubjectKey("lapsed@example.com")}
	if err := s.Store.PutRequest(context.Background(), row); err != nil {
		t.Fatal(err)
	}
	if err := s.Store.PutRequestDetail(context.Background(), store.RequestDetail{RequestID: id, Identity: []byte(`{"email":"lapsed@example.com"}`)}); err != nil {
		t.Fatal(err)
	}
	return id
}
