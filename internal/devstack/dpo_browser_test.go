package devstack_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/web"
)

// TestBrowserDPODay walks the DPO's day in Chromium: from the console's navigation to the disclosure
// register, the transparency report and its CSV download, then the request statistics, by month and
// by quarter, and their CSV download. Every page is held to axe-core, reflow at 320 px and screenshots.
func TestBrowserDPODay(t *testing.T) {
	chromiumPath(t)
	s := start(t, testConfig(t, t.TempDir()))
	defer stop(t, s)
	c := apiClient{t: t, stack: s}

	// The year's book: two requests answered, one waiting with its deadline extended, and an authority
	// request refused for want of a court order.
	answered := []string{
		c.create(web.NewRequest{Type: "marketing_optout", Email: jane}),
		c.create(web.NewRequest{Type: "access", Email: jane, Attest: "known customer on a recorded call"}),
	}
	waiting := c.create(web.NewRequest{Type: "erasure", Email: jane})
	c.waitStatus(waiting, "verifying")
	if status, data := c.call("POST", "/api/v1/requests/"+waiting+"/extend", map[string]string{"reason": "many systems to search"}); status != http.StatusOK {
		t.Fatalf("extend: %d %s", status, data)
	}
	for _, id := range answered {
		if v := c.waitClosed(id); v.Status != "completed" {
			t.Fatalf("request %s: %s", id, v.Status)
		}
	}
	status, data := c.call("POST", "/api/v1/disclosures", web.NewDisclosure{Authority: "Oslo police district", Country: "NO", CaseRef: "2026/0100",
		LegalBasis: "Criminal Procedure Act s. 210", Emails: []string{nobody}, Categories: []string{"user.contact.email"}})
	var refused dsrflow.CreatedDisclosure
	if status != http.StatusCreated || json.Unmarshal(data, &refused) != nil || refused.Status != "rejected" {
		t.Fatalf("a disclosure without an order: %d %s", status, data)
	}
	// The answer is decided at once, but the register's row is the workflow's to write: the page is
	// opened once it has (the CI's loaded machine once opened it first and found an empty register).
	if v := c.waitClosed(refused.ID); v.Status != "rejected" {
		t.Fatalf("the refused disclosure ended %s", v.Status)
	}
	year := strconv.Itoa(time.Now().UTC().Year())

	dpo := signInTab(t, s, "dpo-1", "dpo")
	act(t, dpo, "the register", chromedp.Click(chromedp.CSS(`nav a[href="/console/disclosures"]`)), chromedp.WaitVisible(chromedp.CSS("table.list")))
	if text := pageText(t, dpo); !strings.Contains(text, "2026/0100") {
		t.Errorf("the register: %q", text)
	}
	checkPage(t, dpo, "dpo-register")

	act(t, dpo, "the transparency report", chromedp.Click(chromedp.CSS(`a[href^="/console/reports/transparency"]`)), chromedp.WaitVisible(chromedp.CSS("table.list")))
	checkPage(t, dpo, "dpo-transparency")
	report := string(downloadFile(t, dpo, `a[href^="/console/reports/transparency.csv"]`))
	if !strings.HasPrefix(report, "country,received,refused_no_order,refused_on_review,complied,subjects,categories,open_or_canceled\nNO,1,1,0,0,0,") ||
		!strings.Contains(report, "\ntotal,1,1,0,0,0,") {
		t.Errorf("the transparency report's CSV:\n%s", report)
	}

	act(t, dpo, "the statistics", chromedp.Click(chromedp.CSS(`nav a[href="/console/stats"]`)), chromedp.WaitVisible(chromedp.CSS("#stats-periods")))
	text := pageText(t, dpo)
	for _, want := range []string{"Request statistics " + year, "Requests received, by month", "answered on time (2 of 2)", "Data-subject requests of " + year} {
		if !strings.Contains(text, want) {
			t.Errorf("the statistics page lacks %q: %q", want, text)
		}
	}
	checkPage(t, dpo, "console-stats")
	// On a 390 px phone the charts' words are readable: at least 12 px as drawn (800-unit-wide charts
	// scaled their 13-unit text down to about 6 px).
	act(t, dpo, "a phone", chromedp.EmulateViewport(390, 844))
	px, err := chromedp.Run(dpo, chromedp.Evaluate[float64](`Math.min(...[...document.querySelectorAll("figure svg text")].map(t => t.getBoundingClientRect().height))`))
	if err != nil || px < 12 {
		t.Errorf("the statistics' chart text is %.1f px tall on a 390 px phone, want 12 or more (%v)", px, err)
	}
	act(t, dpo, "back to 1280 px", chromedp.EmulateViewport(1280, 900))

	act(t, dpo, "by quarter", chromedp.SetValue(chromedp.CSS(`select[name="period"]`), "quarter"), chromedp.Click(chromedp.CSS(`form.filters button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#stats-periods td[data-label="Quarter"]`)))
	if text := pageText(t, dpo); !strings.Contains(text, "Requests received, by quarter") || !strings.Contains(text, year+"-Q4") {
		t.Errorf("the statistics by quarter: %q", text)
	}
	checkPage(t, dpo, "console-stats-quarter")
	stats := string(downloadFile(t, dpo, `a[href^="/console/stats.csv"]`))
	// Three requests received, one extended, none refused, two answered, both on time.
	if !strings.HasPrefix(stats, "table,key,received,extended,refused,answered,on_time,on_time_share,median_days\ntotal,"+year+",3,1,0,2,2,1,") ||
		!strings.Contains(stats, "\nquarter,"+year+"-Q1,") || !strings.Contains(stats, "\ntype,erasure,1,1,0,0,0,,\n") {
		t.Errorf("the statistics' CSV:\n%s", stats)
	}
}

// downloadFile clicks the link, waits for the browser to save what it answers and returns the file.
func downloadFile(t *testing.T, ctx context.Context, link string) []byte {
	t.Helper()
	dir := t.TempDir()
	progress := chromedp.Events(ctx, cdpbrowser.DownloadProgress)
	act(t, ctx, "download "+link, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
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
		if err != nil {
			t.Fatalf("downloaded file: %v", err)
		}
		return data
	}
	t.Fatal("the download did not complete")
	return nil
}
