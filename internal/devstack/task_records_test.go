package devstack_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"go.temporal.io/api/common/v1"
	"go.temporal.io/api/proxy"

	"github.com/dsrflow/dsrflow/internal/config"
	"github.com/dsrflow/dsrflow/internal/payload"
	"github.com/dsrflow/dsrflow/internal/web"
	"github.com/dsrflow/dsrflow/workflows"
)

// TestTaskRecordsReachTheExport (issue 17): a team that searched the paper archive by hand answers its
// access task Done in the console with the records it found; a category the archive does not declare
// is refused naming the row, nothing recorded; then the subject's export holds the records, attributed
// to the archive's owner, in summary.html and the archive's CSV, and the task says how many.
func TestTaskRecordsReachTheExport(t *testing.T) {
	s := start(t, archiveWithCategories(t))
	defer stop(t, s)
	c := apiClient{t: t, stack: s}
	agent := newBrowser(t, s)
	if resp, _ := agent.post("/console/signin", url.Values{"token": {createToken(t, s, "agent-1", "agent")}}, ""); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: %d", resp.StatusCode)
	}

	id := c.create(web.NewRequest{Type: "access", Email: jane, Attest: "known customer on a recorded call"})
	taskID := id + ".archive"
	taskPage := "/console/tasks/" + taskID
	waitFor(t, "the task's records form", func() bool {
		_, page := agent.get(taskPage)
		return strings.Contains(page, `name="category-1"`)
	})
	rows := func(extra url.Values) url.Values {
		v := url.Values{"rows": {"5"}, "outcome": {"done"},
			"category-1": {"user.name"}, "field-1": {"name on the card"}, "value-1": {"Jane Smith"},
			"category-2": {"user.contact"}, "field-2": {"postal address"}, "value-2": {"Storgata 1, Oslo"}}
		for k, vs := range extra {
			v[k] = vs
		}
		return v
	}
	resp, page := agent.post(taskPage, rows(url.Values{"category-3": {"user.financial"}, "field-3": {"card"}, "value-3": {"4111"}}), taskPage)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, `href="#task-row-3-category"`) {
		t.Fatalf("an undeclared category: %d, want 400 naming row 3's category", resp.StatusCode)
	}
	if task := c.task(taskID); task.Status != "open" {
		t.Fatalf("the refused answer changed the task: %s", task.Status)
	}
	if resp, _ := agent.post(taskPage, rows(nil), taskPage); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("done with records: %d", resp.StatusCode)
	}
	if v := c.waitClosed(id); v.Status != "completed" || jobsByConnector(v)["archive/access"].Status != "completed" {
		t.Fatalf("request ended %s with jobs %+v", v.Status, v.Jobs)
	}
	if task := c.task(taskID); task.Status != "done" || task.Records != 2 {
		t.Errorf("task = %s with %d records, want done with 2", task.Status, task.Records)
	}
	files := c.export(id)
	summary := files["summary.html"]
	for _, want := range []string{"Example Records AS", "Jane Smith", "Storgata 1, Oslo"} {
		if !strings.Contains(summary, want) {
			t.Errorf("summary.html lacks %q", want)
		}
	}
	var csv string
	for name, data := range files {
		if strings.HasPrefix(name, "csv/archive/") {
			csv += data
		}
	}
	if !strings.Contains(csv, "Jane Smith") || !strings.Contains(csv, "Storgata 1, Oslo") || strings.Contains(summary+csv, "4111") {
		t.Errorf("the archive's CSV files: %q", csv)
	}
}

// archiveWithCategories is archiveConfig's manual connector declaring the categories its team may
// attach records of.
func archiveWithCategories(t *testing.T) config.Dev {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, "connectors.yaml")
	if err := os.WriteFile(file, []byte(`connectors:
  - id: archive
    owner: Example Records AS
    role: subsidiary
    kind: manual
    channel: C01ARCHIVE
    instructions: Search the paper archive by email.
    actions: [access, erase]
    identities: [email]
    categories: [user.name, user.contact]
`), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t, filepath.Join(dir, "data"))
	cfg.Product.Connectors = file
	return cfg
}

func (c apiClient) task(id string) web.TaskView {
	c.t.Helper()
	status, data := c.call("GET", "/api/v1/tasks/"+id, nil)
	if status != http.StatusOK {
		c.t.Fatalf("task %s: %d %s", id, status, data)
	}
	var v web.TaskView
	if err := json.Unmarshal(data, &v); err != nil {
		c.t.Fatal(err)
	}
	return v
}

// TestTaskRecordsHistoryReplays records (DSR_RECORD_HISTORIES, as TestHistoriesReplay) the history of
// an access request whose manual task was answered Done with records (change h17-task-records): the
// history holds their count and store key, never the records, and replays against today's code.
func TestTaskRecordsHistoryReplays(t *testing.T) {
	cfg := archiveWithCategories(t)
	cfg.MasterKeys = keySpec("h", 3)
	keys, err := payload.ParseKeyRing(cfg.MasterKeys)
	if err != nil {
		t.Fatal(err)
	}
	s := start(t, cfg)
	defer stop(t, s)
	c := apiClient{t: t, stack: s}

	id := c.create(web.NewRequest{Type: "access", Email: jane, Attest: "passport seen at the counter"})
	taskID := id + ".archive"
	waitFor(t, "the task", func() bool {
		status, _ := c.call("GET", "/api/v1/tasks/"+taskID, nil)
		return status == http.StatusOK
	})
	answer := map[string]any{"outcome": "done", "records": []map[string]any{
		{"dataset": "letters", "fields": map[string]string{"sender": "Jane Smith"}, "categories": map[string]string{"sender": "user.name"}},
	}}
	if status, data := c.call("POST", "/api/v1/tasks/"+taskID+"/outcome", answer); status != http.StatusOK {
		t.Fatalf("done with records: %d %s", status, data)
	}
	c.waitStatus(id, "completed")
	codec := payload.NewCodec(keys)
	h := historyOf(t, s, id)
	err = proxy.VisitPayloads(context.Background(), h, proxy.VisitPayloadsOptions{SkipSearchAttributes: true,
		Visitor: func(_ *proxy.VisitPayloadsContext, p []*common.Payload) ([]*common.Payload, error) {
			return codec.Decode(p)
		}})
	if err != nil {
		t.Fatal(err)
	}
	var plain strings.Builder
	for _, e := range h.Events {
		plain.WriteString(e.String())
	}
	if !strings.Contains(plain.String(), "RecordsRef") {
		t.Fatal("the decrypted history lacks the answer's records key: the check below would prove nothing")
	}
	if strings.Contains(plain.String(), "letters") || strings.Contains(plain.String(), "Jane Smith") {
		t.Error("the records passed through the workflow's history")
	}
	name := fmt.Sprintf("v%d_access_task_records", workflows.RequestVersion)
	replayAndRecord(t, s, codec, os.Getenv("DSR_RECORD_HISTORIES"), name, id, workflows.Request)
}

// TestBrowserTaskRecords: in Chromium an agent answers a manual access task with the records found:
// the records form passes axe-core and reflows at 320 px, "More rows" adds rows without JavaScript,
// and Done with two rows completes the request with the records in the export.
func TestBrowserTaskRecords(t *testing.T) {
	chromiumPath(t)
	s := start(t, archiveWithCategories(t))
	defer stop(t, s)
	c := apiClient{t: t, stack: s}
	agent := signInTab(t, s, "agent-1", "agent")

	id := c.create(web.NewRequest{Type: "access", Email: jane, Attest: "known customer on a recorded call"})
	taskID := id + ".archive"
	waitFor(t, "the task", func() bool {
		status, _ := c.call("GET", "/api/v1/tasks/"+taskID, nil)
		return status == http.StatusOK
	})
	act(t, agent, "open the task", chromedp.Navigate(s.URL()+"/console/tasks/"+taskID), chromedp.WaitVisible(chromedp.CSS("#task-row-1-category")))
	checkPage(t, agent, "console-task-records")
	act(t, agent, "more rows", chromedp.SetValue(chromedp.CSS("#task-row-1-category"), "user.name"),
		chromedp.SendKeys(chromedp.CSS("#task-row-1-field"), "name on the card"), chromedp.SendKeys(chromedp.CSS("#task-row-1-value"), "Jane Smith"),
		chromedp.Click(chromedp.CSS(`button[name="more"]`)), chromedp.WaitVisible(chromedp.CSS("#task-row-10-category")))
	act(t, agent, "done with records", chromedp.SetValue(chromedp.CSS("#task-row-7-category"), "user.contact"),
		chromedp.SendKeys(chromedp.CSS("#task-row-7-field"), "postal address"), chromedp.SendKeys(chromedp.CSS("#task-row-7-value"), "Storgata 1, Oslo"),
		chromedp.Click(chromedp.CSS(`button[value="done"]`)), chromedp.WaitVisible(chromedp.CSS(".flash")))
	if text := pageText(t, agent); !strings.Contains(text, "with 2 records found") {
		t.Errorf("the answered task: %q", text)
	}
	if v := c.waitClosed(id); v.Status != "completed" {
		t.Fatalf("request ended %s", v.Status)
	}
	summary := c.export(id)["summary.html"]
	if !strings.Contains(summary, "Jane Smith") || !strings.Contains(summary, "Storgata 1, Oslo") {
		t.Error("the export lacks the records entered in the browser")
	}
}
