package rest_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
)

func TestAccessReadsEveryPage(t *testing.T) {
	c, srv := newCRM(t)
	r := openYAML(t, crmYAML(srv.URL, eraseByDelete), crmEnv)
	res, err := r.Run(context.Background(), job(dsrflow.ActionAccess, jane, "email"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != connectors.StatusCompleted || len(res.Records) != 5 || res.Counts["records"] != 5 {
		t.Fatalf("got %s with %d records, counts %v; want completed with Jane's 5", res.Status, len(res.Records), res.Counts)
	}
	if reads := slices.Index(c.calls, "GET /v1/contacts"); reads < 0 || len(c.calls) != 3 {
		t.Errorf("calls %v, want three pages of contacts", c.calls)
	}
	rec := res.Records[4]
	if rec.Dataset != "contacts" || rec.Fields["name"] != "Jane Doe 5" || rec.Categories["name"] != "user.name" || rec.Categories["email"] != "user.contact.email" {
		t.Errorf("record %+v", rec)
	}
	if _, ok := rec.Fields["internal_score"]; ok {
		t.Errorf("a field not mapped to a category was returned: %+v", rec.Fields)
	}
	// The phone dataset is read only by a verified phone.
	if len(res.Datasets) != 1 || res.Datasets[0].Counts["records"] != 5 || res.Datasets[0].Truncated {
		t.Errorf("datasets %+v", res.Datasets)
	}

	nobody, err := r.Run(context.Background(), job(dsrflow.ActionAccess, dsrflow.Identity{Email: "nobody@example.com"}, "email"))
	if err != nil || nobody.Status != connectors.StatusNotFound {
		t.Errorf("unknown subject: %v %v, want not_found", nobody.Status, err)
	}
}

func TestAccessStopsAtMaxPages(t *testing.T) {
	_, srv := newCRM(t)
	yaml := strings.Replace(crmYAML(srv.URL, eraseByDelete), "retries: 3", "retries: 3\n    max_pages: 2", 1)
	r := openYAML(t, yaml, crmEnv)
	res, err := r.Run(context.Background(), job(dsrflow.ActionAccess, jane, "email"))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Records) != 4 || !res.Datasets[0].Truncated {
		t.Errorf("%d records, datasets %+v; want 4 and truncated", len(res.Records), res.Datasets)
	}
	// An erasure that cannot see every record does nothing.
	_, err = r.Run(context.Background(), job(dsrflow.ActionErase, jane, "email"))
	var ce *connectors.CallError
	if !errors.As(err, &ce) || !ce.Permanent || !strings.Contains(err.Error(), "nothing was done") {
		t.Errorf("erase past max_pages: %v, want a permanent failure before acting", err)
	}
}

func TestEraseByDelete(t *testing.T) {
	c, srv := newCRM(t)
	c.gone["3"] = true // listed, but gone when deleted: done
	r := openYAML(t, crmYAML(srv.URL, eraseByDelete), crmEnv)
	res, err := r.Run(context.Background(), job(dsrflow.ActionErase, jane, "email"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != connectors.StatusCompleted || res.Counts["deleted"] != 5 {
		t.Fatalf("got %s %v, want completed with 5 deleted", res.Status, res.Counts)
	}
	if len(c.contacts) != 2 || c.contacts[1]["email"] != "john@example.com" {
		t.Errorf("left %v, want John and the contact that was already gone", c.contacts)
	}
	// The job again, as a retry would run it: nothing is left to act on.
	again, err := r.Run(context.Background(), job(dsrflow.ActionErase, jane, "email"))
	if err != nil || again.Status == connectors.StatusFailed {
		t.Errorf("retried erase: %v %v", again.Status, err)
	}
}

func TestEraseByMask(t *testing.T) {
	c, srv := newCRM(t)
	r := openYAML(t, crmYAML(srv.URL, eraseByMask), crmEnv)
	res, err := r.Run(context.Background(), job(dsrflow.ActionErase, jane, "email"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != connectors.StatusCompleted || res.Counts["masked"] != 5 {
		t.Fatalf("got %s %v, want 5 masked", res.Status, res.Counts)
	}
	for _, ct := range c.contacts[:5] {
		if ct["name"] != "[erased]" || ct["phone"] != nil || !strings.HasPrefix(ct["email"].(string), "erased-") {
			t.Errorf("contact not masked: %v", ct)
		}
	}
	var body map[string]any
	if err := json.Unmarshal(c.bodies[len(c.bodies)-1], &body); err != nil || body["email"] != "erased-5@example.invalid" {
		t.Errorf("mask body %s", c.bodies[len(c.bodies)-1])
	}
	// Masked records no longer match the email: the job again finds nothing.
	again, err := r.Run(context.Background(), job(dsrflow.ActionErase, jane, "email"))
	if err != nil || again.Status != connectors.StatusNotFound {
		t.Errorf("erase again: %v %v, want not_found", again.Status, err)
	}
}

func TestRectifyWritesOnlyTheCorrections(t *testing.T) {
	c, srv := newCRM(t)
	r := openYAML(t, crmYAML(srv.URL, eraseByDelete), crmEnv)
	j := job(dsrflow.ActionRectify, jane, "email")
	j.Corrections = map[string]string{"user.name": "Jane Smith", "user.contact.email": "js@example.com"}
	res, err := r.Run(context.Background(), j)
	if err != nil {
		t.Fatal(err)
	}
	if res.Counts["rectified"] != 5 || c.contacts[0]["name"] != "Jane Smith" || c.contacts[0]["phone"] != "+47 400 00 000" {
		t.Errorf("counts %v, contact %v", res.Counts, c.contacts[0])
	}
	want := []connectors.ItemResult{
		{Item: "user.contact.email", Outcome: connectors.ItemNotPossible, Reason: "this system's API offers no way to correct it"},
		{Item: "user.name", Outcome: connectors.ItemDone},
	}
	if !slices.Equal(res.Items, want) {
		t.Errorf("items %+v", res.Items)
	}
	if err := res.Validate(j.ID); err != nil {
		t.Error(err)
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	c, srv := newCRM(t)
	c.throttle, c.retryWait = 1, 1
	r := openYAML(t, crmYAML(srv.URL, eraseByDelete), crmEnv)
	start := time.Now()
	res, err := r.Run(context.Background(), job(dsrflow.ActionAccess, jane, "email"))
	if err != nil || res.Status != connectors.StatusCompleted {
		t.Fatalf("%v %v", res.Status, err)
	}
	if waited := time.Since(start); waited < time.Second {
		t.Errorf("answered after %v; the 429 asked for 1 s", waited)
	}

	// A Retry-After longer than a job may wait gives the wait back to the activity's retry policy.
	c.throttle, c.retryWait = 1, 3600
	_, err = r.Run(context.Background(), job(dsrflow.ActionAccess, jane, "email"))
	var ce *connectors.CallError
	if !errors.As(err, &ce) || ce.Permanent || ce.RetryAfter != time.Hour || ce.StatusCode != http.StatusTooManyRequests {
		t.Errorf("long Retry-After: %#v, want a retryable error carrying it", err)
	}
}

func TestServerErrorsAreRetried(t *testing.T) {
	c, srv := newCRM(t)
	c.fail = 2
	r := openYAML(t, crmYAML(srv.URL, eraseByDelete), crmEnv)
	res, err := r.Run(context.Background(), job(dsrflow.ActionErase, jane, "email"))
	if err != nil || res.Counts["deleted"] != 5 {
		t.Fatalf("%v %v %v", res.Status, res.Counts, err)
	}
	c.fail = 10
	_, err = r.Run(context.Background(), job(dsrflow.ActionAccess, jane, "email"))
	var ce *connectors.CallError
	if !errors.As(err, &ce) || ce.Permanent || ce.StatusCode != 500 {
		t.Errorf("persistent 500: %v, want a retryable error", err)
	}
}

func TestPermanentFailureSaysHowFarTheJobGot(t *testing.T) {
	c, srv := newCRM(t)
	c.reject["3"] = true
	r := openYAML(t, crmYAML(srv.URL, eraseByDelete), crmEnv)
	_, err := r.Run(context.Background(), job(dsrflow.ActionOptout, jane, "email"))
	var ce *connectors.CallError
	if !errors.As(err, &ce) || !ce.Permanent || ce.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("%#v, want a permanent failure", err)
	}
	if want := "optout contacts: record 3 of 5: the API answered 422; 2 records were acted on before this one"; !strings.Contains(err.Error(), want) {
		t.Errorf("%v, want it to say %q", err, want)
	}
}

func TestOAuth2TokenIsCachedAndRenewedOn401(t *testing.T) {
	var issued atomic.Int32
	tokens := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || r.Form.Get("grant_type") != "client_credentials" ||
			r.Form.Get("client_id") != "dsrflow" || r.Form.Get("client_secret") != "s3cret" || r.Form.Get("scope") != "crm.read crm.write" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		n := issued.Add(1)
		connectors.WriteJSON(w, http.StatusOK, map[string]any{"access_token": "tok-" + string(rune('0'+n)), "token_type": "bearer", "expires_in": 3600})
	}))
	defer tokens.Close()
	c, srv := newCRM(t)
	yaml := strings.Replace(crmYAML(srv.URL, eraseByDelete), "auth: {type: bearer, token_env: CRM_TOKEN}",
		"auth: {type: oauth2, token_url: "+tokens.URL+", client_id: dsrflow, client_secret_env: CRM_CLIENT_SECRET, scopes: [crm.read, crm.write]}", 1)
	r := openYAML(t, yaml, map[string]string{"CRM_CLIENT_SECRET": "s3cret"})
	if _, err := r.Run(context.Background(), job(dsrflow.ActionAccess, jane, "email")); err != nil {
		t.Fatal(err)
	}
	if issued.Load() != 1 {
		t.Errorf("%d tokens for one job of three calls, want 1 (cached)", issued.Load())
	}
	c.mu.Lock()
	c.token = "tok-2" // the API revokes the first token
	c.mu.Unlock()
	res, err := r.Run(context.Background(), job(dsrflow.ActionAccess, jane, "email"))
	if err != nil || len(res.Records) != 5 {
		t.Fatalf("after revocation: %v %v", res.Status, err)
	}
	if issued.Load() != 2 {
		t.Errorf("%d tokens, want a second after the 401", issued.Load())
	}
	// A token the API keeps refusing fails for a person, after one renewal.
	c.mu.Lock()
	c.token = "never"
	c.mu.Unlock()
	_, err = r.Run(context.Background(), job(dsrflow.ActionAccess, jane, "email"))
	var ce *connectors.CallError
	if !errors.As(err, &ce) || !ce.Permanent || ce.StatusCode != http.StatusUnauthorized {
		t.Errorf("refused token: %v", err)
	}
}

// An identity is data: in a path it stays one segment, in a query one value, in a body one JSON string.
func TestIdentityIsEscapedPerContext(t *testing.T) {
	var got struct {
		path, query string
		body        map[string]any
		raw         []byte
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.path, got.query = r.URL.EscapedPath(), r.URL.RawQuery
		got.raw = make([]byte, r.ContentLength)
		_, _ = r.Body.Read(got.raw)
		got.body = nil
		_ = json.Unmarshal(got.raw, &got.body)
		connectors.WriteJSON(w, http.StatusOK, map[string]any{"results": []any{}})
	}))
	defer srv.Close()
	yaml := `connectors:
  - id: crm
    owner: Example Sales AS
    role: subsidiary
    kind: rest
    actions: [access]
    identities: [email]
    base_url: ` + srv.URL + `
    datasets:
      - name: contacts
        read:
          method: POST
          path: /v1/by-email/{{email}}/contacts
          query: {q: "email:{{email}}"}
          body: {filter: {email: "{{email}}", note: "lookup of {{email}}"}, limit: 10}
        records: results
        fields: {email: user.contact.email}
`
	r := openYAML(t, yaml, nil)
	evil := `a/../../admin?x=1#"}, "role": "admin@example.com`
	if _, err := r.Run(context.Background(), job(dsrflow.ActionAccess, dsrflow.Identity{Email: evil}, "email")); err != nil {
		t.Fatal(err)
	}
	if want := "/v1/by-email/" + url.PathEscape(evil) + "/contacts"; got.path != want {
		t.Errorf("path %s, want %s", got.path, want)
	}
	if q, _ := url.ParseQuery(got.query); len(q) != 1 || q.Get("q") != "email:"+evil {
		t.Errorf("query %s", got.query)
	}
	filter, _ := got.body["filter"].(map[string]any)
	if len(got.body) != 2 || len(filter) != 2 || filter["email"] != evil || filter["note"] != "lookup of "+evil || got.body["limit"] != 10.0 {
		t.Errorf("body %s", got.raw)
	}

	// A value that would climb the path is refused, not sent.
	_, err := r.Run(context.Background(), job(dsrflow.ActionAccess, dsrflow.Identity{Email: ".."}, "email"))
	var ce *connectors.CallError
	if !errors.As(err, &ce) || !ce.Permanent || strings.Contains(err.Error(), "..") {
		t.Errorf("'..' as a path segment: %v", err)
	}
}

func TestUnverifiedIdentifierOfAnotherSubjectIsAConflict(t *testing.T) {
	c, srv := newCRM(t)
	r := openYAML(t, crmYAML(srv.URL, eraseByDelete), crmEnv)
	// Jane's email is verified; the phone given with it is John's.
	id := dsrflow.Identity{Email: "jane@example.com", Phone: "+47 400 00 009"}
	res, err := r.Run(context.Background(), job(dsrflow.ActionErase, id, "email"))
	if err != nil || res.Status != connectors.StatusIdentityConflict {
		t.Fatalf("%v %v, want identity_conflict", res.Status, err)
	}
	if len(c.contacts) != 6 || slices.ContainsFunc(c.calls, func(s string) bool { return strings.HasPrefix(s, "DELETE") }) {
		t.Errorf("acted on a conflict: %v", c.calls)
	}
	// The subject's own phone, unverified, reaches only the subject's records: no conflict, and the
	// records it finds are not acted on, since only verified identities select.
	id.Phone = "+47 400 00 000"
	res, err = r.Run(context.Background(), job(dsrflow.ActionAccess, id, "email"))
	if err != nil || res.Status != connectors.StatusCompleted || len(res.Records) != 5 {
		t.Errorf("own phone: %v %d %v", res.Status, len(res.Records), err)
	}
}

func TestAnswerOfAnotherShapeFailsForAPerson(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		connectors.WriteJSON(w, http.StatusOK, map[string]any{"error": "jane@example.com is blocked"})
	}))
	defer srv.Close()
	_, crmSrv := newCRM(t)
	r := openYAML(t, strings.Replace(crmYAML(crmSrv.URL, eraseByDelete), crmSrv.URL, srv.URL, 1), crmEnv)
	_, err := r.Run(context.Background(), job(dsrflow.ActionAccess, jane, "email"))
	var ce *connectors.CallError
	if !errors.As(err, &ce) || !ce.Permanent || !strings.Contains(err.Error(), "no list at records path data.items") || strings.Contains(err.Error(), "jane") {
		t.Errorf("got %v", err)
	}
}
