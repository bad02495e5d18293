package devstack_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
)

// axe-core (Deque's accessibility engine) is installed with npm into testdata/axe by .ci/run (`npm ci`
// against the committed package-lock.json; node_modules is git-ignored). checkPage injects it into each
// page the browser tests visit and fails on any violation. Without it the check is skipped with a
// message, except under CI=true, where that is a failure.
const axeScript = "testdata/axe/node_modules/axe-core/axe.min.js"

var loadAxe = sync.OnceValues(func() ([]byte, error) { return os.ReadFile(axeScript) })

// axeViolations runs axe-core on the page as it is now and returns its violations, one line each.
func axeViolations(t *testing.T, ctx context.Context) []string {
	t.Helper()
	src, err := loadAxe()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("axe-core is not installed (%v); .ci/run installs it with npm ci in internal/devstack/testdata/axe", err)
		}
		t.Logf("axe-core is not installed (cd internal/devstack/testdata/axe && npm ci); accessibility check skipped")
		return nil
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](string(src))); err != nil {
		t.Fatalf("inject axe-core: %v", err)
	}
	// Every rule axe-core runs by default (WCAG 2.0-2.2 A and AA and its best practices).
	const run = `axe.run(document, {resultTypes: ["violations"]}).then(r => JSON.stringify(r.violations.map(v =>
		v.id + " (" + v.impact + "): " + v.help + " at " + v.nodes.slice(0, 4).map(n => n.target.join(" ") + " [" + (n.failureSummary || "").replace(/\s+/g, " ") + "]").join("; "))))`
	out, err := chromedp.Run(ctx, chromedp.Evaluate[string](run, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("run axe-core: %v", err)
	}
	var violations []string
	if err := json.Unmarshal([]byte(out), &violations); err != nil {
		t.Fatalf("axe-core's result: %v", err)
	}
	return violations
}

// checkPage holds every page the browser tests visit to WCAG 2.2 AA: no axe-core violation, no
// horizontal scroll at 320 CSS px (1.4.10 Reflow), and saves screenshots at 1366 and 390 px wide
// (artifacts/screenshots/NAME-1366.png and NAME-390.png). The window is left at 1280 x 900.
func checkPage(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	if strings.ContainsAny(name, "/ ") {
		t.Fatalf("screenshot name %q", name)
	}
	// The template the server rendered the page from (<body data-page>); the export's summary.html is
	// opened from a file.
	page, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.dataset.page || (location.protocol == "file:" && location.pathname.endsWith("/summary.html") ? "export:summary.html" : "")`))
	if err != nil || page == "" {
		t.Fatalf("%s: the page names no template (<body data-page>): %v", name, err)
	}
	recordPage(page, name)
	for _, v := range axeViolations(t, ctx) {
		t.Errorf("%s: axe-core: %s", name, v)
	}
	act(t, ctx, name+" at 320 px", chromedp.EmulateViewport(320, 800))
	if w, err := chromedp.Run(ctx, chromedp.Evaluate[int64](`document.documentElement.scrollWidth`)); err != nil || w > 320 {
		t.Errorf("%s is %d px wide at 320 px (%v)", name, w, err)
	}
	for _, width := range []int64{1366, 390} {
		act(t, ctx, fmt.Sprintf("%s at %d px", name, width), chromedp.EmulateViewport(width, 900))
		screenshot(t, ctx, fmt.Sprintf("%s-%d", name, width))
	}
	act(t, ctx, name+" back to 1280 px", chromedp.EmulateViewport(1280, 900))
}

// checkSummary opens the export's summary.html from the file system, as the subject would after
// unpacking the archive, and holds it to the same standard as the pages.
func checkSummary(t *testing.T, ctx context.Context, archive []byte) {
	t.Helper()
	checkSummaryAs(t, ctx, archive, "export-summary")
}

// checkSummaryAs is checkSummary with the screenshots named name.
func checkSummaryAs(t *testing.T, ctx context.Context, archive []byte, name string) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(archive), int64(len(archive)))
	if err != nil {
		t.Fatalf("the export: %v", err)
	}
	f, err := zr.Open("summary.html")
	if err != nil {
		t.Fatalf("the export has no summary.html: %v", err)
	}
	page, err := io.ReadAll(f)
	_ = f.Close()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "summary.html")
	if err := os.WriteFile(path, page, 0o600); err != nil {
		t.Fatal(err)
	}
	act(t, ctx, "open summary.html", chromedp.Navigate("file://"+path), chromedp.WaitVisible(chromedp.CSS("body")))
	checkPage(t, ctx, name)
}
