package devstack_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/devstack"
	"github.com/dsrflow/dsrflow/internal/web"
	"github.com/dsrflow/dsrflow/workflows"
)

// janeNeedles are jane's identities and what she told us, in every form the Temporal leak test looks
// for: clear, and the start of their base64.
func janeNeedles(extra map[string]string) map[string]string {
	needles := map[string]string{"email": jane, "name": "Jane Doe", "corrected name": "Jane Smith", "phone": "+47 400 00 000",
		"grounds": "my neighbour"}
	for _, v := range []string{jane, "Jane Doe"} {
		needles["base64 of "+v] = base64.StdEncoding.EncodeToString([]byte(v))[:12]
	}
	for k, v := range extra {
		needles[k] = v
	}
	return needles
}

// grepFiles reports every needle found in the files matching pattern; it fails when none match.
func grepFiles(t *testing.T, pattern string, needles map[string]string) {
	t.Helper()
	files, _ := filepath.Glob(pattern)
	if len(files) == 0 {
		t.Fatalf("no files match %s", pattern)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for what, needle := range needles {
			if bytes.Contains(data, []byte(needle)) {
				t.Errorf("%s holds jane's %s in clear", filepath.Base(f), what)
			}
		}
	}
}

// TestStoreHoldsNoPersonalDataInClearAndShredsIt runs requests for jane through the embedded stack —
// access with a mailed code, rectification, and an objection with her grounds — then greps the store's
// SQLite files (with -wal and -shm) for her email, name, phone, code and grounds: the store must hold
// them only encrypted, while the product still reads them. Then a retention sweep counted from three
// years and a day after closure shreds the requests' data keys: reads say the data was destroyed, when,
// and under which policy; the sweep audits it.
func TestStoreHoldsNoPersonalDataInClearAndShredsIt(t *testing.T) {
	ctx := context.Background()
	cfg := testConfig(t, t.TempDir())
	s := start(t, cfg)
	c := apiClient{t: t, stack: s}
	id := c.create(web.NewRequest{Type: "access", Email: jane, Name: "Jane Doe", Phone: "+47 400 00 000"})
	c.waitStatus(id, "verifying")
	code := mailedCode(t, c, id)
	if status, data := c.call("POST", "/api/v1/requests/"+id+"/verify", map[string]string{"code": code}); status != http.StatusOK {
		t.Fatalf("verify: %d %s", status, data)
	}
	c.waitStatus(id, "completed")
	rect := c.create(web.NewRequest{Type: "rectification", Email: jane, Name: "Jane Doe", Attest: "video call", Corrections: map[string]string{"user.name": "Jane Smith"}})
	c.waitStatus(rect, "completed")
	obj := c.create(web.NewRequest{Type: "objection", Email: jane, Attest: "video call", Grounds: "my neighbour works there"})
	c.waitStatus(obj, "in_review")
	if status, data := c.call("POST", "/api/v1/requests/"+obj+"/decisions", map[string]string{"decision": "reject", "reason": "my neighbour is no ground"}); status != http.StatusOK {
		t.Fatalf("decide: %d %s", status, data)
	}
	c.waitStatus(obj, "rejected")

	// The product reads it all back.
	if files := c.export(id); !strings.Contains(files["data.json"], jane) {
		t.Fatal("the decrypted export lacks jane's data")
	}
	answer := c.answer(id)
	if !strings.Contains(answer, "3 years after the request closes") {
		t.Fatalf("the answer does not say how long the record is kept:\n%s", answer)
	}
	if d, err := s.Store.GetRequestDetail(ctx, id); err != nil || !strings.Contains(string(d.Identity), jane) {
		t.Fatalf("detail: %s %v", d.Identity, err)
	}
	stop(t, s)
	grepFiles(t, filepath.Join(cfg.DataDir, devstack.StoreFile+"*"), janeNeedles(map[string]string{"code": code}))

	// Three years and a day after closure, the daily sweep shreds the three requests.
	s = start(t, cfg)
	defer stop(t, s)
	c = apiClient{t: t, stack: s}
	later := time.Now().UTC().AddDate(3, 0, 1)
	run, err := s.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "test-record-retention", TaskQueue: workflows.TaskQueue}, workflows.Retention, workflows.RetentionInput{Now: &later})
	if err != nil {
		t.Fatal(err)
	}
	var summary workflows.RetentionSummary
	if err := run.Get(ctx, &summary); err != nil {
		t.Fatalf("sweep: %v", err)
	}
	if summary.Records == nil || summary.Records.Shredded != 3 {
		t.Fatalf("record retention %+v, want 3 requests shredded", summary.Records)
	}

	day := later.Format("2006-01-02")
	wantGone := func(what string, err error) {
		t.Helper()
		msg := dsrflow.ErrorMessage(err)
		if dsrflow.ErrorCode(err) != dsrflow.EGONE || !strings.Contains(msg, "destroyed on "+day) || !strings.Contains(msg, "record-retention policy") {
			t.Fatalf("%s after shredding: %v, want gone, destroyed on %s under the record-retention policy", what, err, day)
		}
	}
	_, err = s.Store.GetRequestDetail(ctx, id)
	wantGone("detail", err)
	_, err = s.Store.ListJobRecords(ctx, id)
	wantGone("records", err)
	_, err = s.Store.GetExport(ctx, id)
	wantGone("export", err)
	_, err = s.Store.GetRequestDetail(ctx, rect)
	wantGone("rectification detail", err)
	_, err = s.Store.ListDecisions(ctx, obj)
	wantGone("objection decisions", err)
	status, data := c.call("GET", "/api/v1/requests/"+id+"/export", nil)
	if status != http.StatusGone || !strings.Contains(string(data), "destroyed on "+day) {
		t.Fatalf("export over the API after shredding: %d %s, want 410 naming the date", status, data)
	}
	status, data = c.call("GET", "/api/v1/outbox?request="+id, nil)
	if status != http.StatusGone {
		t.Fatalf("outbox over the API after shredding: %d %s, want 410", status, data)
	}
	// The index, the timeline and the audit trail stay; the timeline says what happened.
	if v := c.show(obj); v.Status != "rejected" || len(v.Decisions) != 0 {
		t.Fatalf("objection after shredding: %+v", v)
	}
	events, err := s.Store.ListAudit(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	shredded := 0
	for _, e := range events {
		if e.Action == "personal_data_shredded" {
			shredded++
			if e.Detail["retention"] != "36 months" || e.Actor != "system" {
				t.Errorf("shred event %+v", e)
			}
		}
	}
	if shredded != 1 {
		t.Fatalf("%d personal_data_shredded events for the access request, want 1", shredded)
	}
	if rep, err := s.Store.VerifyAudit(ctx); err != nil || !rep.OK {
		t.Fatalf("audit chain after shredding: %+v %v", rep, err)
	}
	// The wrapped data keys are gone from the database: no master key opens these requests again.
	var left int
	if err := s.Store.UnsafeDB().Get(&left, `SELECT count(*) FROM data_keys WHERE owner IN (?, ?, ?) AND wrapped IS NOT NULL`, id, rect, obj); err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		t.Fatalf("%d wrapped data keys left for the shredded requests", left)
	}
}
