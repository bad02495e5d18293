package devstack_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/dsrflow/dsrflow/internal/web"
)

// An agent's morning: a queue of 30 open requests, two pages of it, earliest due first (a request
// received by letter 20 days ago heads it; sorted latest due first it is at the end), the subject masked
// on each row; the agent takes one (assign to me), writes a note, and finds it under "mine". The queue
// and the request page reflow at 320 px.
func TestBrowserAgentTriagesTheQueue(t *testing.T) {
	chromiumPath(t)
	s := start(t, testConfig(t, t.TempDir()))
	defer stop(t, s)
	c := apiClient{t: t, stack: s}
	tok := createToken(t, s, "agent-queue", "agent")
	for i := 0; i < 29; i++ {
		c.create(web.NewRequest{Type: "erasure", Email: fmt.Sprintf("queue%02d@example.com", i), Name: fmt.Sprintf("Queue Person%02d", i)})
	}
	byPost := c.create(web.NewRequest{Type: "erasure", Email: "queue29@example.com", Name: "Queue Person29", Channel: "letter",
		Received: time.Now().AddDate(0, 0, -20).Format(time.DateOnly)})

	ctx := tab(t)
	act(t, ctx, "sign in", chromedp.Navigate(s.URL()+"/console/signin?next=/console/requests"), chromedp.WaitVisible(chromedp.CSS("#token")),
		chromedp.SetValue(chromedp.CSS("#token"), tok), chromedp.Click(chromedp.CSS("form button[type=submit]")), chromedp.WaitVisible(chromedp.CSS("table.queue")))
	text := pageText(t, ctx)
	if !strings.Contains(text, "Requests 1 to 25, earliest due first") || !strings.Contains(text, "q***@example.com") || !strings.Contains(text, "Queue P.") {
		t.Fatalf("the first page of the queue: %q", text)
	}
	if strings.Contains(text, "queue00@example.com") || strings.Contains(text, "Person00") {
		t.Error("the queue shows a subject unmasked")
	}
	if first := queueIDs(t, ctx); len(first) != 25 || first[0] != byPost {
		t.Errorf("the queue, earliest due first, does not start with the request received 20 days ago (%s): %v", byPost, first)
	}
	checkPage(t, ctx, "console-queue")
	act(t, ctx, "latest due first", chromedp.Click(chromedp.CSS(`th[aria-sort] a`)), chromedp.WaitVisible(chromedp.CSS(`th[aria-sort="descending"]`)))
	if text := pageText(t, ctx); !strings.Contains(text, "latest due first") || slices.Contains(queueIDs(t, ctx), byPost) {
		t.Errorf("sorted latest due first, the first page still holds the earliest due request: %q", text)
	}
	act(t, ctx, "next page", chromedp.Click(chromedp.CSS(`a[rel="next"]`)), chromedp.WaitVisible(chromedp.CSS(`a[rel="prev"]`)))
	if ids := queueIDs(t, ctx); len(ids) != 5 || ids[4] != byPost || !strings.Contains(pageText(t, ctx), "Requests 26 to 30") {
		t.Errorf("the second page, latest due first, does not end with %s: %v", byPost, ids)
	}
	act(t, ctx, "open a request", chromedp.Click(chromedp.CSS(`table.queue tbody tr:first-child a`)), chromedp.WaitVisible(chromedp.CSS("#note-text")))
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	id := loc[strings.LastIndex(loc, "/")+1:]
	act(t, ctx, "assign to me", chromedp.Click(chromedp.CSS(`button[value="me"]`)), chromedp.WaitVisible(chromedp.CSS(".flash")))
	act(t, ctx, "an empty note is refused", chromedp.Evaluate[chromedp.Void](`document.getElementById("note-text").removeAttribute("required")`),
		chromedp.Click(chromedp.CSS(`form[action$="/note"] button`)), chromedp.WaitVisible(chromedp.CSS(`.error-summary a[href="#note-text"]`)))
	if inv, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("note-text").getAttribute("aria-invalid")`)); err != nil || inv != "true" {
		t.Errorf("the empty note's field is not marked invalid: %q %v", inv, err)
	}
	act(t, ctx, "write a note", chromedp.SendKeys(chromedp.CSS("#note-text"), "Called the subject: erase the newsletter too"),
		chromedp.Click(chromedp.CSS(`form[action$="/note"] button`)), chromedp.WaitVisible(chromedp.CSS(".flash")))
	text = pageText(t, ctx)
	for _, want := range []string{"Your note was added.", "Called the subject: erase the newsletter too", "token:agent-queue", "Channel", "Identity"} {
		if !strings.Contains(text, want) {
			t.Errorf("the request page lacks %q", want)
		}
	}
	checkPage(t, ctx, "console-request-notes")
	act(t, ctx, "a phone", chromedp.EmulateViewport(320, 800), chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#note-text")))
	if w, err := chromedp.Run(ctx, chromedp.Evaluate[int64](`document.documentElement.scrollWidth`)); err != nil || w > 320 {
		t.Errorf("the request page is %d px wide at 320 (%v)", w, err)
	}
	act(t, ctx, "mine", chromedp.Navigate(s.URL()+"/console/requests?assignee=me"), chromedp.WaitVisible(chromedp.CSS("table.queue")))
	if w, err := chromedp.Run(ctx, chromedp.Evaluate[int64](`document.documentElement.scrollWidth`)); err != nil || w > 320 {
		t.Errorf("the queue is %d px wide at 320 (%v)", w, err)
	}
	screenshot(t, ctx, "console-queue-phone")
	text = pageText(t, ctx)
	if !strings.Contains(text, id) || !strings.Contains(text, "Requests 1 to 1") || !strings.Contains(text, "token:agent-queue") {
		t.Errorf("mine: %q", text)
	}

	v := c.show(id)
	if v.Assignee != "token:agent-queue" || len(v.Notes) != 1 || v.Notes[0].Author != "token:agent-queue" {
		t.Errorf("the API shows assignee %q, notes %+v", v.Assignee, v.Notes)
	}
	var audited bool
	for _, e := range v.Events {
		if e.Action == "note_added" {
			audited = !strings.Contains(e.Reason, "newsletter")
		}
	}
	if !audited {
		t.Error("the note is not audited as note_added without its text")
	}
}

// queueIDs is the request ids of the queue's rows, top to bottom.
func queueIDs(t *testing.T, ctx context.Context) []string {
	t.Helper()
	ids, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("table.queue tbody tr a[href^='/console/requests/dsr_']")].map(a => a.getAttribute("href").split("/").pop())`))
	if err != nil {
		t.Fatalf("read the queue: %v", err)
	}
	return ids
}
