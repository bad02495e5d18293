package devstack_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow/internal/devstack"
	"github.com/dsrflow/dsrflow/internal/payload"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/internal/web"
)

// The demo personas: jane exists in every demo subsidiary, nobody in none.
const (
	jane   = "jane.doe@example.com"
	nobody = "nobody@example.com"
)

type apiClient struct {
	t     *testing.T
	stack *devstack.Stack
	// token, when set, replaces the stack's dev token.
	token string
}

func (c apiClient) call(method, path string, body any) (int, []byte) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.stack.URL()+path, rd)
	token := c.stack.Token
	if c.token != "" {
		token = c.token
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data
}

func (c apiClient) create(body web.NewRequest) string {
	c.t.Helper()
	status, data := c.call("POST", "/api/v1/requests", body)
	if status != http.StatusCreated {
		c.t.Fatalf("create %s: %d %s", body.Type, status, data)
	}
	var out map[string]string
	_ = json.Unmarshal(data, &out)
	return out["id"]
}

func (c apiClient) show(id string) web.RequestView {
	c.t.Helper()
	status, data := c.call("GET", "/api/v1/requests/"+id, nil)
	if status != http.StatusOK {
		c.t.Fatalf("show %s: %d %s", id, status, data)
	}
	var v web.RequestView
	if err := json.Unmarshal(data, &v); err != nil {
		c.t.Fatal(err)
	}
	return v
}

// waitStatus polls the request until it reaches the status (or any closed status, which fails).
func (c apiClient) waitStatus(id, want string) web.RequestView {
	c.t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		v := c.show(id)
		if v.Status == want {
			return v
		}
		if v.Closed != nil || time.Now().After(deadline) {
			// What the workflow waits on, with each pending activity's last failure decoded: a request
			// stuck behind a retrying activity says which one and why.
			if d, err := c.stack.Client.DescribeWorkflowExecution(context.Background(), id, ""); err == nil {
				for _, pa := range d.PendingActivities {
					c.t.Logf("pending activity %s, attempt %d, last failure: %v", pa.ActivityType.GetName(), pa.Attempt,
						payload.FailureConverter(c.stack.Product.Keys).FailureToError(pa.LastFailure))
				}
			}
			c.t.Fatalf("request %s is %s, want %s; events %+v", id, v.Status, want, v.Events)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func jobsByConnector(v web.RequestView) map[string]web.JobView {
	m := map[string]web.JobView{}
	for _, j := range v.Jobs {
		m[j.Connector+"/"+j.Action] = j
	}
	return m
}

func (c apiClient) export(id string) map[string]string {
	c.t.Helper()
	status, data := c.call("GET", "/api/v1/requests/"+id+"/export", nil)
	if status != http.StatusOK {
		c.t.Fatalf("export %s: %d %s", id, status, data)
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		c.t.Fatal(err)
	}
	files := map[string]string{}
	for _, f := range zr.File {
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		files[f.Name] = string(b)
	}
	return files
}

func (c apiClient) answer(id string) string {
	c.t.Helper()
	msgs, err := c.stack.Store.ListOutbox(context.Background(), store.OutboxFilter{RequestID: id})
	if err != nil {
		c.t.Fatal(err)
	}
	for _, m := range msgs {
		if m.Kind == "answer" {
			return m.Body
		}
	}
	c.t.Fatalf("no answer queued for %s", id)
	return ""
}

var subsidiaries = []string{"analytics", "billing", "crm", "forum", "recruiting", "webinars"}

// TestEveryRightEndToEnd runs each request type for jane, and access for nobody, through the real
// embedded server, the front door and the demo subsidiaries over HTTP.
func TestEveryRightEndToEnd(t *testing.T) {
	s := start(t, testConfig(t, t.TempDir()))
	defer stop(t, s)
	c := apiClient{t: t, stack: s}

	t.Run("validation", func(t *testing.T) {
		status, data := c.call("POST", "/api/v1/requests", web.NewRequest{Type: "rectification", Email: "not-an-email", Country: "XX", Received: "2099-01-01"})
		var e struct{ Fields map[string]string }
		_ = json.Unmarshal(data, &e)
		if status != http.StatusBadRequest || e.Fields["email"] == "" || e.Fields["country"] == "" || e.Fields["corrections"] == "" {
			t.Fatalf("invalid request: %d %s", status, data)
		}
		rows, _ := s.Store.ListRequests(context.Background(), store.RequestFilter{})
		if len(rows) != 0 {
			t.Fatalf("an invalid request left %d rows", len(rows))
		}
	})

	t.Run("access with an emailed code", func(t *testing.T) {
		id := c.create(web.NewRequest{Type: "access", Email: jane, Name: "Jane Doe"})
		if status, data := c.call("POST", "/api/v1/requests", web.NewRequest{Type: "access", Email: jane}); status != http.StatusConflict || !strings.Contains(string(data), id) {
			t.Fatalf("duplicate open request: %d %s, want 409 naming %s", status, data, id)
		}
		c.waitStatus(id, "verifying")
		code := mailedCode(t, c, id)
		if status, data := c.call("POST", "/api/v1/requests/"+id+"/verify", map[string]string{"code": wrongCode(code)}); status != http.StatusBadRequest || !strings.Contains(string(data), "4 attempts left") {
			t.Fatalf("wrong code: %d %s", status, data)
		}
		if status, data := c.call("POST", "/api/v1/requests/"+id+"/verify", map[string]string{"code": code}); status != http.StatusOK {
			t.Fatalf("right code: %d %s", status, data)
		}
		v := c.waitStatus(id, "completed")
		jobs := jobsByConnector(v)
		for _, sub := range subsidiaries {
			if jobs[sub+"/access"].Status != "completed" {
				t.Errorf("%s access job = %+v, want completed", sub, jobs[sub+"/access"])
			}
		}
		files := c.export(id)
		if !strings.Contains(files["data.json"], jane) || files["csv/billing/invoices.csv"] == "" || files["csv/forum/posts.csv"] == "" {
			t.Fatalf("export lacks jane's data: files %v", keys(files))
		}
		answer := c.answer(id)
		if !strings.Contains(answer, "Datatilsynet") {
			t.Fatal("the answer does not say where to complain")
		}
		link := regexp.MustCompile(`https?://\S+/exports/\S+`).FindString(answer)
		if link == "" {
			t.Fatalf("the answer has no download link: %s", answer)
		}
		resp, err := http.Get(link) // the subject has no token: the signature is the authority
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !bytes.HasPrefix(body, []byte("PK")) {
			t.Fatalf("subject's link: %d, %d bytes", resp.StatusCode, len(body))
		}
		resp, err = http.Get(strings.Replace(link, "sig=", "sig=0", 1))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Fatalf("tampered link: %d, want 404", resp.StatusCode)
		}
	})

	attested := func(typ string, extra func(*web.NewRequest)) (string, web.RequestView) {
		body := web.NewRequest{Type: typ, Email: jane, Attest: "called back on the number in our CRM"}
		if typ == "restriction" {
			body.Ground = "legal_claims"
		}
		if extra != nil {
			extra(&body)
		}
		id := c.create(body)
		return id, c.waitStatus(id, "completed")
	}

	t.Run("a closed request can no longer change", func(t *testing.T) {
		id, _ := attested("restriction", nil)
		status, data := c.call("POST", "/api/v1/requests/"+id+"/extend", map[string]string{"reason": "late"})
		if status != http.StatusConflict || !strings.Contains(string(data), "completed") {
			t.Fatalf("extend a completed request: %d %s, want 409 saying it is completed", status, data)
		}
	})
	t.Run("portability", func(t *testing.T) {
		id, _ := attested("portability", nil)
		if files := c.export(id); !strings.Contains(files["data.json"], "user.contact.email") {
			t.Fatal("portability export has no machine-readable data.json")
		}
	})
	t.Run("rectification notifies partners", func(t *testing.T) {
		_, v := attested("rectification", func(b *web.NewRequest) { b.Corrections = map[string]string{"user.name": "Jane Smith"} })
		jobs := jobsByConnector(v)
		if jobs["crm/rectify"].Status != "completed" || jobs["adpartner/notify"].Status != "completed" {
			t.Fatalf("jobs = %+v", jobs)
		}
	})
	t.Run("restriction", func(t *testing.T) {
		_, v := attested("restriction", nil)
		if jobsByConnector(v)["adpartner/notify"].Status != "completed" {
			t.Fatalf("partner not notified: %+v", v.Jobs)
		}
	})
	t.Run("objection waits for a reviewer", func(t *testing.T) {
		id := c.create(web.NewRequest{Type: "objection", Email: jane, Attest: "signed letter", Grounds: "particular situation"})
		c.waitStatus(id, "in_review")
		if status, data := c.call("POST", "/api/v1/requests/"+id+"/decisions", map[string]string{"decision": "approve", "reason": "grounds outweigh our interest"}); status != http.StatusOK {
			t.Fatalf("decision: %d %s", status, data)
		}
		v := c.waitStatus(id, "completed")
		if len(v.Decisions) != 1 || v.Decisions[0].Decision != "approve" || jobsByConnector(v)["crm/object"].Status != "completed" {
			t.Fatalf("objection: decisions %+v jobs %+v", v.Decisions, v.Jobs)
		}
	})
	t.Run("marketing opt-out needs no verification", func(t *testing.T) {
		id := c.create(web.NewRequest{Type: "marketing_optout", Email: jane})
		v := c.waitStatus(id, "completed")
		if jobsByConnector(v)["crm/optout"].Status != "completed" {
			t.Fatalf("jobs %+v", v.Jobs)
		}
	})
	t.Run("consent withdrawal", func(t *testing.T) {
		id := c.create(web.NewRequest{Type: "consent_withdrawal", Email: jane, Purposes: []string{"email_marketing"}})
		v := c.waitStatus(id, "completed")
		if jobsByConnector(v)["crm/withdraw_consent"].Status != "completed" {
			t.Fatalf("jobs %+v", v.Jobs)
		}
	})
	t.Run("erasure then access shows only the retained invoices", func(t *testing.T) {
		id, v := attested("erasure", nil)
		jobs := jobsByConnector(v)
		if jobs["billing/erase"].Status != "exempt" || len(jobs["billing/erase"].Exemptions) == 0 || jobs["adpartner/notify"].Status != "completed" {
			t.Fatalf("erasure jobs = %+v", jobs)
		}
		if !strings.Contains(c.answer(id), "Bookkeeping Act") {
			t.Fatal("the erasure answer does not say why invoices are kept")
		}
		id, v = attested("access", nil)
		jobs = jobsByConnector(v)
		for _, sub := range subsidiaries {
			want := "not_found"
			if sub == "billing" {
				want = "completed"
			}
			if jobs[sub+"/access"].Status != want {
				t.Errorf("%s access after erasure = %s, want %s", sub, jobs[sub+"/access"].Status, want)
			}
		}
		files := c.export(id)
		var csvs []string
		for name := range files {
			if strings.HasPrefix(name, "csv/") {
				csvs = append(csvs, name)
			}
		}
		if len(csvs) != 1 || csvs[0] != "csv/billing/invoices.csv" {
			t.Fatalf("export after erasure holds %v, want only csv/billing/invoices.csv", csvs)
		}
	})
	t.Run("nobody is found nowhere", func(t *testing.T) {
		for _, typ := range []string{"access", "portability", "rectification", "erasure", "restriction", "objection", "marketing_optout", "consent_withdrawal"} {
			body := web.NewRequest{Type: typ, Email: nobody, Attest: "in person", Corrections: map[string]string{"user.name": "No Body"}, Purposes: []string{"email_marketing"}}
			if typ == "marketing_optout" || typ == "consent_withdrawal" {
				body.Attest = ""
			}
			if typ != "rectification" {
				body.Corrections = nil
			}
			if typ != "consent_withdrawal" {
				body.Purposes = nil
			}
			if typ == "restriction" {
				body.Ground = "unlawful_processing"
			}
			id := c.create(body)
			if typ == "objection" {
				c.waitStatus(id, "in_review")
				if status, data := c.call("POST", "/api/v1/requests/"+id+"/decisions", map[string]string{"decision": "reject", "reason": "no processing of this person's data"}); status != http.StatusOK {
					t.Fatalf("decision: %d %s", status, data)
				}
				if v := c.waitStatus(id, "rejected"); len(v.Jobs) != 0 {
					t.Errorf("rejected objection ran jobs: %+v", v.Jobs)
				}
				if !strings.Contains(strings.ToLower(c.answer(id)), "no processing of this person's data") {
					t.Error("the rejection does not give the reviewer's grounds")
				}
				continue
			}
			v := c.waitStatus(id, "completed")
			subsidiaryJobs := 0
			for _, j := range v.Jobs {
				if j.Role == "partner" {
					continue
				}
				subsidiaryJobs++
				if j.Status != "not_found" {
					t.Errorf("%s: %s/%s for nobody = %s, want not_found", typ, j.Connector, j.Action, j.Status)
				}
			}
			if subsidiaryJobs == 0 {
				t.Errorf("%s for nobody ran no subsidiary job", typ)
			}
			if c.answer(id) == "" {
				t.Errorf("%s for nobody: no answer", typ)
			}
		}
	})
}

// TestConnectorFailures: a connector that fails for a while is retried to success; one that refuses
// for good escalates without losing the other connectors' results.
func TestConnectorFailures(t *testing.T) {
	s := start(t, testConfig(t, t.TempDir()))
	defer stop(t, s)
	c := apiClient{t: t, stack: s}

	s.Demo.Fail("forum", http.StatusServiceUnavailable, 2)
	s.Demo.Fail("analytics", http.StatusBadRequest, 1)
	id := c.create(web.NewRequest{Type: "access", Email: jane, Attest: "video call"})
	v := c.waitStatus(id, "completed")
	jobs := jobsByConnector(v)
	if j := jobs["forum/access"]; j.Status != "completed" || j.Attempts != 3 {
		t.Errorf("forum after two 503s = %+v, want completed on attempt 3", j)
	}
	if j := jobs["analytics/access"]; j.Status != "failed" {
		t.Errorf("analytics after a 400 = %+v, want failed", j)
	}
	escalated := false
	for _, e := range v.Events {
		if e.Action == "job_escalated" && e.Detail["connector"] == "analytics" {
			escalated = true
		}
	}
	if !escalated {
		t.Error("the permanent failure was not escalated")
	}
	for _, sub := range []string{"billing", "crm", "recruiting", "webinars"} {
		if jobs[sub+"/access"].Status != "completed" {
			t.Errorf("%s = %+v: another connector's failure lost its result", sub, jobs[sub+"/access"])
		}
	}
}

var codePattern = regexp.MustCompile(`\b(\d{6})\b`)

func mailedCode(t *testing.T, c apiClient, id string) string {
	t.Helper()
	var code string
	waitFor(t, "verification mail", func() bool {
		msgs, _ := c.stack.Store.ListOutbox(context.Background(), store.OutboxFilter{RequestID: id})
		for _, m := range msgs {
			if m.Kind == "verification_code" {
				if mm := codePattern.FindStringSubmatch(m.Body); mm != nil {
					code = mm[1]
					return true
				}
			}
		}
		return false
	})
	return code
}

func wrongCode(code string) string {
	if code == "000000" {
		return "000001"
	}
	return "000000"
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
