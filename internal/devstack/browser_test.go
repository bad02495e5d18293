package devstack_test

import (
	"context"
	"encoding/json"
	"html"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/dsrflow/dsrflow/internal/devstack"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/internal/web"
	"github.com/dsrflow/dsrflow/workflows"
)

// The browser tests drive the console and the privacy center in headless Chromium (Debian's chromium
// package; .ci/run installs it). Without it they skip, except under CI=true, where that is a failure.
// Each main page is saved as a screenshot under artifacts/screenshots (git-ignored).

const screenshotDir = "../../artifacts/screenshots"

func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("Chromium is not installed; .ci/run installs Debian's chromium package")
	}
	t.Skip("Chromium is not installed (apt-get install chromium); browser tests skipped")
	return ""
}

// tab opens a fresh browser (its own cookie jar) for one person.
func tab(t *testing.T) context.Context {
	t.Helper()
	recordTest(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromiumPath(t)), chromedp.Headless, chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true), chromedp.WindowSize(1280, 900), chromedp.UserDataDir(t.TempDir()))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelTab(); cancelAlloc() })
	return ctx
}

// act runs the steps and fails the test with what was being done.
func act(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func pageText(t *testing.T, ctx context.Context) string {
	t.Helper()
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
	if err != nil {
		t.Fatalf("read the page: %v", err)
	}
	return text
}

func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.MkdirAll(screenshotDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(screenshotDir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestBrowserAgentReviewerAndSubject(t *testing.T) {
	chromiumPath(t)
	s := start(t, testConfig(t, t.TempDir()))
	defer stop(t, s)
	c := apiClient{t: t, stack: s}
	agentTok := createToken(t, s, "agent-anna", "agent")
	reviewerTok := createToken(t, s, "reviewer-rolf", "reviewer")

	t.Run("agent starts and finishes a request", func(t *testing.T) {
		ctx := tab(t)
		act(t, ctx, "open the console", chromedp.Navigate(s.URL()+"/console"), chromedp.WaitVisible(chromedp.CSS("#token")))
		checkPage(t, ctx, "console-signin")
		act(t, ctx, "sign in", chromedp.SetValue(chromedp.CSS("#token"), agentTok),
			chromedp.Click(chromedp.CSS("form button[type=submit]")), chromedp.WaitVisible(chromedp.CSS(".cards")))
		act(t, ctx, "open the form", chromedp.Click(chromedp.CSS(`nav a[href="/console/requests/new"]`)), chromedp.WaitVisible(chromedp.CSS(`input[name="type"][value="access"]`)))
		checkPage(t, ctx, "console-new-request-right")
		act(t, ctx, "choose access", chromedp.Click(chromedp.CSS(`input[name="type"][value="access"]`)), chromedp.Click(chromedp.CSS("form.stack button[type=submit]")),
			chromedp.WaitVisible(chromedp.CSS("#email")))
		if text := pageText(t, ctx); strings.Contains(text, "Corrections") || strings.Contains(text, "grounds") {
			t.Errorf("the access form shows other rights' fields: %q", text)
		}
		act(t, ctx, "submit an invalid address", chromedp.SendKeys(chromedp.CSS("#email"), "jane.doe@"),
			chromedp.Click(chromedp.CSS("form.stack button[type=submit]")), chromedp.WaitVisible(chromedp.CSS("#email-err")))
		checkPage(t, ctx, "console-new-request")
		act(t, ctx, "start an access request", chromedp.SetValue(chromedp.CSS("#email"), jane),
			chromedp.Click(chromedp.CSS("form.stack button[type=submit]")), chromedp.WaitVisible(chromedp.CSS("dl.facts")))
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		id := loc[strings.LastIndex(loc, "/")+1 : strings.Index(loc, "?")]
		c.waitStatus(id, "verifying")
		act(t, ctx, "reload", chromedp.Navigate(s.URL()+"/console/requests/"+id), chromedp.WaitVisible(chromedp.CSS("#verify-code")))
		act(t, ctx, "enter the code", chromedp.SendKeys(chromedp.CSS("#verify-code"), mailedCode(t, c, id)),
			chromedp.Click(chromedp.CSS(`form[action$="/verify"] button`)), chromedp.WaitVisible(chromedp.CSS(".flash")))
		c.waitStatus(id, "completed")
		act(t, ctx, "reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`a[href$="/export"]`)))
		checkPage(t, ctx, "console-request")
		if text := pageText(t, ctx); !strings.Contains(text, "completed") || !strings.Contains(text, "crm") {
			t.Fatalf("the request page does not show the completed jobs: %q", text)
		}
		checkSummary(t, ctx, downloadZip(t, ctx, `a[href$="/export"]`))
		act(t, ctx, "list", chromedp.Navigate(s.URL()+"/console/requests?view=all"), chromedp.WaitVisible(chromedp.CSS("table.list")))
		checkPage(t, ctx, "console-requests")
		act(t, ctx, "dashboard", chromedp.Navigate(s.URL()+"/console"), chromedp.WaitVisible(chromedp.CSS("figure svg")))
		checkPage(t, ctx, "console-dashboard")
	})

	t.Run("reviewer approves an objection and meets the role checks", func(t *testing.T) {
		objection := webObjection()
		objection.Purposes = []string{"support_and_improvement"}
		id := c.create(objection)
		c.waitStatus(id, "in_review")
		ctx := tab(t)
		act(t, ctx, "sign in", chromedp.Navigate(s.URL()+"/console/requests/"+id), chromedp.WaitVisible(chromedp.CSS("#token")),
			chromedp.SetValue(chromedp.CSS("#token"), reviewerTok),
			chromedp.Click(chromedp.CSS("form button[type=submit]")), chromedp.WaitVisible(chromedp.CSS("#decide-reason")))
		// The reviewer decides from what the page shows: the grounds, the purposes objected to and the
		// systems involved, never who the subject is.
		text := strings.Join(strings.Fields(pageText(t, ctx)), " ")
		for _, want := range []string{"What the subject objects to", "Grounds no longer a customer", "Purposes support and improvement", "Systems involved"} {
			if !strings.Contains(text, want) {
				t.Errorf("the objection's page lacks %q: %q", want, text)
			}
		}
		if strings.Contains(text, jane) {
			t.Error("the reviewer's page names the subject")
		}
		checkPage(t, ctx, "console-objection")
		act(t, ctx, "approve", chromedp.SendKeys(chromedp.CSS("#decide-reason"), "no compelling grounds of ours"),
			chromedp.Click(chromedp.CSS(`button[value="approve"]`)), chromedp.WaitVisible(chromedp.CSS(".flash")))
		if v := c.waitStatus(id, "completed"); len(v.Decisions) != 1 || v.Decisions[0].Reviewer != "token:reviewer-rolf" {
			t.Fatalf("decisions %+v", v.Decisions)
		}
		act(t, ctx, "open the agents' form", chromedp.Navigate(s.URL()+"/console/requests/new"), chromedp.WaitVisible(chromedp.CSS("main p.error")))
		if text := pageText(t, ctx); !strings.Contains(text, "may not open this page") {
			t.Fatalf("a reviewer opened the new-request form: %q", text)
		}
	})

	t.Run("subject uses the privacy center from request to download", func(t *testing.T) {
		ctx := tab(t)
		act(t, ctx, "open the privacy center", chromedp.Navigate(s.URL()+"/privacy"), chromedp.WaitVisible(chromedp.CSS("ul.rights")))
		checkPage(t, ctx, "privacy-center")
		act(t, ctx, "choose portability", chromedp.Click(chromedp.CSS(`a[href="/privacy/request?type=portability"]`)), chromedp.WaitVisible(chromedp.CSS("#email")))
		checkPage(t, ctx, "privacy-form")
		act(t, ctx, "submit", chromedp.SendKeys(chromedp.CSS("#email"), jane), chromedp.Click(chromedp.CSS("form button[type=submit]")),
			chromedp.WaitVisible(chromedp.CSS("h1#sent")))
		checkPage(t, ctx, "privacy-sent")
		if text := pageText(t, ctx); !strings.Contains(text, "Check your email") {
			t.Fatalf("after submitting: %q", text)
		}
		rows, _ := s.Store.ListRequests(context.Background(), store.RequestFilter{Type: "portability"})
		if len(rows) != 1 {
			t.Fatalf("%d portability requests, want 1", len(rows))
		}
		id := rows[0].ID
		code := mailedCode(t, c, id)
		link := mailedStatusLink(t, s, id)
		act(t, ctx, "follow the mailed link", chromedp.Navigate(s.URL()+link), chromedp.WaitVisible(chromedp.CSS("#code")))
		checkPage(t, ctx, "privacy-status")
		// On a 320 px phone the status page reflows: no horizontal scroll (WCAG 1.4.10; a status pill that
		// did not wrap made it 747 px wide at 390 px).
		act(t, ctx, "narrow the window to a phone", chromedp.EmulateViewport(320, 800))
		if w, err := chromedp.Run(ctx, chromedp.Evaluate[int64](`document.documentElement.scrollWidth`)); err != nil || w > 320 {
			t.Errorf("the status page at 320 px is %d px wide (%v)", w, err)
		}
		screenshot(t, ctx, "privacy-status-phone")
		act(t, ctx, "widen the window again", chromedp.EmulateViewport(1280, 900))
		act(t, ctx, "enter the code", chromedp.SendKeys(chromedp.CSS("#code"), code), chromedp.Click(chromedp.CSS("form button[type=submit]")),
			chromedp.WaitVisible(chromedp.CSS(".flash")))
		c.waitStatus(id, "completed")
		act(t, ctx, "reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`a[href^="/exports/"]`)))
		checkPage(t, ctx, "privacy-download")
		downloadZip(t, ctx, `a[href^="/exports/"]`)
	})
}

func webObjection() web.NewRequest {
	return web.NewRequest{Type: "objection", Email: jane, Attest: "called back on the number on file", Grounds: "no longer a customer"}
}

func mailedStatusLink(t *testing.T, s *devstack.Stack, id string) string {
	t.Helper()
	msgs, _ := s.Store.ListOutbox(context.Background(), store.OutboxFilter{RequestID: id})
	for _, m := range msgs {
		if l := statusLink.FindString(m.Body); l != "" {
			return html.UnescapeString(l)
		}
	}
	t.Fatal("no status link mailed")
	return ""
}

// downloadZip clicks the link, waits for the browser to save a zip archive and returns it.
func downloadZip(t *testing.T, ctx context.Context, link string) []byte {
	t.Helper()
	dir := t.TempDir()
	progress := chromedp.Events(ctx, cdpbrowser.DownloadProgress)
	act(t, ctx, "download", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
			Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: ptrTo(true),
		})
		return err
	}), chromedp.Click(chromedp.CSS(link)))
	for ev, err := range progress {
		if err != nil {
			t.Fatalf("download: %v", err)
		}
		if ev.State == cdpbrowser.DownloadProgressStateCanceled {
			t.Fatal("download canceled")
		}
		if ev.State != cdpbrowser.DownloadProgressStateCompleted {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, ev.GUID))
		if err != nil || !strings.HasPrefix(string(data), "PK") {
			t.Fatalf("downloaded file: %v, want a zip archive", err)
		}
		return data
	}
	t.Fatal("the download did not complete")
	return nil
}

func ptrTo[T any](v T) *T { return &v }

// signInTab opens a browser signed in with a new token of the role.
func signInTab(t *testing.T, s *devstack.Stack, name, role string) context.Context {
	t.Helper()
	ctx := tab(t)
	act(t, ctx, "sign in as "+name, chromedp.Navigate(s.URL()+"/console/signin"), chromedp.WaitVisible(chromedp.CSS("#token")),
		chromedp.SetValue(chromedp.CSS("#token"), createToken(t, s, name, role)),
		chromedp.Click(chromedp.CSS("form button[type=submit]")), chromedp.WaitVisible(chromedp.CSS(".cards")))
	return ctx
}

// TestBrowserEveryAgentAndReviewerTask covers in Chromium what the first browser test leaves: resending
// a code, extending and canceling, a manual task answered by an agent, an authority's request approved
// by two legal reviewers, and the DPO's register and transparency report.
func TestBrowserEveryAgentAndReviewerTask(t *testing.T) {
	chromiumPath(t)
	cfg := archiveConfig(t)
	s := startReviewed(t, cfg, legalAndDPO)
	defer stop(t, s)
	c := apiClient{t: t, stack: s}
	agent := signInTab(t, s, "agent-1", "agent")

	// Resend, extend, cancel: an erasure waiting for its code.
	id := c.create(web.NewRequest{Type: "erasure", Email: jane})
	c.waitStatus(id, "verifying")
	act(t, agent, "resend", chromedp.Navigate(s.URL()+"/console/requests/"+id), chromedp.WaitVisible(chromedp.CSS(`form[action$="/resend"] button`)),
		chromedp.Click(chromedp.CSS(`form[action$="/resend"] button`)), chromedp.WaitVisible(chromedp.CSS(".flash")))
	if text := pageText(t, agent); !strings.Contains(text, "A new code is on its way") {
		t.Errorf("after resend: %q", text)
	}
	// Each action starts from the page without a confirmation, so that waiting for one waits for its own.
	page := s.URL() + "/console/requests/" + id
	act(t, agent, "extend", chromedp.Navigate(page), chromedp.WaitVisible(chromedp.CSS("#extend-reason")), chromedp.SendKeys(chromedp.CSS("#extend-reason"), "many systems to search"),
		chromedp.Click(chromedp.CSS(`form[action$="/extend"] button`)), chromedp.WaitVisible(chromedp.CSS(".flash")))
	if v := c.show(id); v.ExtendedDue == "" {
		t.Error("extend in the browser did not extend the request")
	}
	act(t, agent, "cancel", chromedp.Navigate(page), chromedp.WaitVisible(chromedp.CSS("#cancel-reason")), chromedp.SendKeys(chromedp.CSS("#cancel-reason"), "the subject withdrew the request"),
		chromedp.Click(chromedp.CSS("#cancel-confirm")), chromedp.Click(chromedp.CSS(`form[action$="/cancel"] button`)), chromedp.WaitVisible(chromedp.CSS(".flash")))
	if v := c.waitClosed(id); v.Status != "canceled" {
		t.Errorf("cancel in the browser: request %s", v.Status)
	}

	// A manual task, answered by the agent.
	access := c.create(web.NewRequest{Type: "access", Email: jane, Attest: "known customer on a recorded call"})
	taskID := access + ".archive"
	waitFor(t, "the task", func() bool {
		status, _ := c.call("GET", "/api/v1/tasks/"+taskID, nil)
		return status == http.StatusOK
	})
	act(t, agent, "the tasks page", chromedp.Click(chromedp.CSS(`nav a[href="/console/tasks"]`)), chromedp.WaitVisible(chromedp.CSS(`a[href="/console/tasks/`+taskID+`"]`)))
	if text := pageText(t, agent); !strings.Contains(text, "archive") || !strings.Contains(text, access) {
		t.Errorf("the tasks page: %q", text)
	}
	checkPage(t, agent, "console-tasks")
	act(t, agent, "open the task", chromedp.Click(chromedp.CSS(`a[href="/console/tasks/`+taskID+`"]`)), chromedp.WaitVisible(chromedp.CSS(`button[value="done"]`)))
	checkPage(t, agent, "console-task")
	act(t, agent, "answer", chromedp.Click(chromedp.CSS(`button[value="done"]`)), chromedp.WaitVisible(chromedp.CSS(".flash")))
	if v := c.waitClosed(access); v.Status != "completed" || jobsByConnector(v)["archive/access"].Status != "completed" {
		t.Errorf("after the task: %s %+v", v.Status, v.Jobs)
	}

	// An authority's request with a court order: two legal reviewers approve from the reviews page.
	status, data := c.call("POST", "/api/v1/disclosures", web.NewDisclosure{
		Authority: "Oslo police district", Country: "NO", CaseRef: "2026/0099", LegalBasis: "Criminal Procedure Act s. 210",
		CourtOrder: "TOSL-2026-99", Court: "Oslo District Court", OrderDate: time.Now().AddDate(0, 0, -1).Format(time.DateOnly),
		Emails: []string{"nobody@example.com"}, Categories: []string{"user.contact.email"},
	})
	if status != http.StatusCreated {
		t.Fatalf("disclosure: %d %s", status, data)
	}
	var created map[string]string
	_ = json.Unmarshal(data, &created)
	disclosure := created["id"]
	c.waitStatus(disclosure, "in_review")
	for i, name := range []string{"legal-1", "legal-2"} {
		reviewer := signInTab(t, s, name, "reviewer")
		act(t, reviewer, "reviews", chromedp.Navigate(s.URL()+"/console/reviews"), chromedp.WaitVisible(chromedp.CSS(`a[href="/console/requests/`+disclosure+`"]`)))
		if i == 0 {
			checkPage(t, reviewer, "console-reviews")
		}
		act(t, reviewer, "open the disclosure", chromedp.Click(chromedp.CSS(`a[href="/console/requests/`+disclosure+`"]`)), chromedp.WaitVisible(chromedp.CSS("#vote-reason")))
		if i == 0 {
			checkPage(t, reviewer, "console-disclosure")
		}
		act(t, reviewer, "approve", chromedp.SendKeys(chromedp.CSS("#vote-reason"), "order checked"), chromedp.Click(chromedp.CSS(`button[value="approve"]`)),
			chromedp.WaitVisible(chromedp.CSS(".flash")))
	}
	discTask := workflows.DisclosureSubjectID(disclosure, 1) + ".archive"
	waitFor(t, "the disclosure's task", func() bool {
		status, _ := c.call("GET", "/api/v1/tasks/"+discTask, nil)
		return status == http.StatusOK
	})
	act(t, agent, "the disclosure's task", chromedp.Navigate(s.URL()+"/console/tasks/"+discTask), chromedp.WaitVisible(chromedp.CSS(`button[value="nothing_found"]`)),
		chromedp.Click(chromedp.CSS(`button[value="nothing_found"]`)), chromedp.WaitVisible(chromedp.CSS(".flash")))
	if v := c.waitClosed(disclosure); v.Status != "completed" || len(v.Decisions) != 2 {
		t.Fatalf("disclosure: %s with %d decisions", v.Status, len(v.Decisions))
	}

	dpo := signInTab(t, s, "dpo-1", "dpo")
	act(t, dpo, "register", chromedp.Click(chromedp.CSS(`nav a[href="/console/disclosures"]`)), chromedp.WaitVisible(chromedp.CSS("table.list")))
	checkPage(t, dpo, "console-register")
	// The team found nothing: the complied row says so rather than leaving "Disclosed" empty.
	if text := pageText(t, dpo); !strings.Contains(text, "2026/0099") || !strings.Contains(text, "complied") || !strings.Contains(text, "nothing: no data was found about the subjects named") {
		t.Errorf("register: %q", text)
	}
	act(t, dpo, "report", chromedp.Click(chromedp.CSS(`a[href^="/console/reports/transparency"]`)), chromedp.WaitVisible(chromedp.CSS("table.list")))
	checkPage(t, dpo, "console-transparency")
	if text := pageText(t, dpo); !strings.Contains(text, "NO") {
		t.Errorf("report: %q", text)
	}
}
