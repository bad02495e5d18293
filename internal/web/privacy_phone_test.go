package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/service/fake"
	"github.com/dsrflow/dsrflow/internal/store"
)

// A rectification is asked as labelled rows ("Name: what we have now / the correct value"); the request
// carries the same corrections as the API's, category -> correct value. A row with only what we have
// now, or the same value twice, comes back marked and nothing is created; the old free-text field still
// works.
func TestPrivacyCorrectionsAsLabelledRows(t *testing.T) {
	ss := newSessionServer(t)
	ss.SubmitFloor = -1
	var got []dsrflow.NewRequest
	ss.Service = &fake.RequestService{
		CreateRequestFn: func(_ context.Context, in dsrflow.NewRequest) (dsrflow.CreatedRequest, error) {
			got = append(got, in)
			return dsrflow.CreatedRequest{ID: "dsr_rect", Type: in.Type}, nil
		},
		StartRequestFn: func(context.Context, string) {},
	}
	page := body(t, ss.do("GET", "/privacy/request?type=rectification", "", nil))
	for _, want := range []string{`<legend>Name</legend>`, `<label for="current-user-name">What we have now (optional)</label>`,
		`<label for="correct-user-name">The correct value</label>`, `name="correct.user.contact.phone"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the rectification form lacks %s", want)
		}
	}
	if strings.Contains(page, "user.name=") {
		t.Error("the form still asks people to type user.name=...")
	}
	// Categories the controller does not declare get no row.
	ss.Categories = []string{"user.name"}
	if page := body(t, ss.do("GET", "/privacy/request?type=rectification", "", nil)); strings.Contains(page, "correct.user.contact.phone") {
		t.Error("a row for a category the controller does not declare")
	}
	ss.Categories = nil

	post := func(v url.Values) (int, string) {
		v.Set("type", "rectification")
		v.Set("email", "jane@example.com")
		resp := ss.do("POST", "/privacy/request", "", v)
		return resp.StatusCode, body(t, resp)
	}
	code, _ := post(url.Values{"current.user.name": {"Jane Smit"}, "correct.user.name": {"Jane Smith"}, "correct.user.contact.phone": {"+47 400 00 000"}, "current.user.contact.email": {""}})
	if code != http.StatusOK || len(got) != 1 {
		t.Fatalf("a filled form: %d, %d requests", code, len(got))
	}
	if c := got[0].Corrections; len(c) != 2 || c["user.name"] != "Jane Smith" || c["user.contact.phone"] != "+47 400 00 000" {
		t.Errorf("corrections sent = %v", c)
	}

	for name, v := range map[string]url.Values{
		"only what we have now": {"current.user.name": {"Jane Smit"}},
		"the same value":        {"current.user.name": {"Jane Smith"}, "correct.user.name": {"jane smith"}},
		"no row filled":         {},
	} {
		code, page := post(v)
		if code != http.StatusBadRequest || !strings.Contains(page, `id="corrections-err"`) {
			t.Errorf("%s: %d, marked: %v", name, code, strings.Contains(page, `id="corrections-err"`))
		}
		if !strings.Contains(page, `<div class="error-summary"`) || !strings.Contains(page, `<li><a href="#corrections">`) {
			t.Errorf("%s: no error summary linking to the corrections", name)
		}
		if name != "no row filled" && !strings.Contains(page, `aria-describedby="correct-user-name-err"`) {
			t.Errorf("%s: the row is not marked", name)
		}
	}
	if len(got) != 1 {
		t.Fatalf("a refused form created a request: %d", len(got))
	}
	if code, _ := post(url.Values{"corrections": {"user.name=Jane Smith"}}); code != http.StatusOK || got[1].Corrections["user.name"] != "Jane Smith" {
		t.Errorf("the free-text field: %d %v", code, got[len(got)-1].Corrections)
	}
}

// The status page gives the reference, the received date and the due date in the page's language, a
// summary per company once answered, and a resend button while the code is awaited; a lapsed request
// gets its own page with a link to ask again.
func TestPrivacyStatusPageForPeople(t *testing.T) {
	ss := newSessionServer(t)
	view := dsrflow.RequestView{ID: "dsr_1", Type: "erasure", Status: "verifying", Country: "NO",
		Received: time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC), Due: "2026-12-01"}
	resent := 0
	ss.Service = &fake.RequestService{
		GetRequestFn: func(context.Context, string) (dsrflow.RequestView, error) { return view, nil },
		ResendCodeFn: func(context.Context, string) (dsrflow.RequestState, error) {
			resent++
			if resent > 1 {
				return dsrflow.RequestState{}, &dsrflow.Error{Code: dsrflow.ECONFLICT, Message: "no more resends"}
			}
			return dsrflow.RequestState{}, nil
		},
	}
	token := ss.Key.StatusToken("dsr_1")
	_, page := ss.statusPage(t, "dsr_1", token)
	for _, want := range []string{`<dd id="reference">dsr_1</dd>`, `<dd id="received">1 November 2026</dd>`, `<dd id="due">1 December 2026</dd>`, `action="/privacy/requests/dsr_1/resend"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the status page lacks %s", want)
		}
	}
	if nb := body(t, ss.do("GET", "/privacy/requests/dsr_1?lang=nb&t="+url.QueryEscape(token), "", nil)); !strings.Contains(nb, `<dd id="received">1. november 2026</dd>`) {
		t.Error("the Norwegian page does not write dates in Norwegian")
	}

	// Without a chosen language the page is in the request's (its mails'), whatever the browser says.
	view.Language = "sv"
	req := httptest.NewRequest("GET", "http://localhost/privacy/requests/dsr_1?t="+url.QueryEscape(token), nil)
	req.Header.Set("Accept-Language", "da")
	rec := httptest.NewRecorder()
	ss.mux.ServeHTTP(rec, req)
	if sv := rec.Body.String(); !strings.Contains(sv, `<html lang="sv">`) || !strings.Contains(sv, `<dd id="received">1 november 2026</dd>`) {
		t.Error("the status page of a Swedish request is not in Swedish")
	}
	view.Language = ""

	// Resend: the same answer whether the workflow sent a code or refused.
	for i := 0; i < 2; i++ {
		resp := ss.do("POST", "/privacy/requests/dsr_1/resend", "", url.Values{"t": {token}})
		if resp.StatusCode != http.StatusSeeOther || !strings.HasSuffix(resp.Header.Get("Location"), "&done=resent") {
			t.Fatalf("resend %d: %d %s", i, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	if resent != 2 {
		t.Errorf("resends reached the service %d times", resent)
	}
	if resp := ss.do("POST", "/privacy/requests/dsr_1/resend", "", url.Values{"t": {"forged"}}); resp.StatusCode != http.StatusNotFound || resent != 2 {
		t.Errorf("a forged token's resend: %d", resp.StatusCode)
	}
	// The third within the hour is the limit's; the fourth is refused.
	ss.do("POST", "/privacy/requests/dsr_1/resend", "", url.Values{"t": {token}})
	if resp := ss.do("POST", "/privacy/requests/dsr_1/resend", "", url.Values{"t": {token}}); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("the 4th resend in an hour: %d, want 429", resp.StatusCode)
	}

	// Answered: what each company did.
	closed := time.Date(2026, 11, 5, 10, 0, 0, 0, time.UTC)
	view.Status, view.Closed = "completed", &closed
	view.Jobs = []dsrflow.JobView{
		{Connector: "crm", Owner: "Example Marketing AS", Role: "subsidiary", Status: "completed"},
		{Connector: "billing", Owner: "Example Billing AS", Role: "subsidiary", Status: "exempt"},
		{Connector: "forum", Owner: "Example Community AS", Role: "subsidiary", Status: "not_found"},
		{Connector: "crm2", Owner: "Example Marketing AS", Role: "subsidiary", Status: "not_found"},
		{Connector: "ads", Owner: "Example Ad Partner Ltd", Role: "partner", Status: "completed"},
	}
	_, page = ss.statusPage(t, "dsr_1", token)
	for _, want := range []string{"<strong>Example Marketing AS:</strong> done.", "<strong>Example Billing AS:</strong> some data is kept",
		"<strong>Example Community AS:</strong> we hold no data about you here.", "<strong>Example Ad Partner Ltd:</strong> told of your request"} {
		if !strings.Contains(page, want) {
			t.Errorf("the answered page lacks %q", want)
		}
	}
	if strings.Contains(page, "/resend") {
		t.Error("an answered request offers a new code")
	}
	// An access request's "done" is a search: its result is the download.
	view.Type = "access"
	if _, page = ss.statusPage(t, "dsr_1", token); !strings.Contains(page, "<strong>Example Marketing AS:</strong> searched; what we found is in your download.") {
		t.Error("an answered access request does not say the search's result is the download")
	}
	view.Type = "erasure"

	// Lapsed: its own page, with a link to ask again.
	view.Status, view.Jobs = "lapsed", nil
	code, page := ss.statusPage(t, "dsr_1", token)
	if code != http.StatusOK || !strings.Contains(page, "never confirmed") || !strings.Contains(page, `href="/privacy/request?type=erasure"`) {
		t.Errorf("the lapsed page: %d\n%s", code, page)
	}
}

// Lost-link recovery mails the links of the address's open requests through the outbox, one a request,
// and answers the same page, after the same floor, whether or not the address has any; an empty or
// malformed address is refused naming the field.
func TestPrivacyLostLinkRecovery(t *testing.T) {
	ss := newSessionServer(t)
	ss.SubmitFloor = 120 * time.Millisecond
	ss.PublicURL = "https://privacy.example.com"
	var queries []dsrflow.RequestQuery
	ss.Service = &fake.RequestService{
		ListRequestsFn: func(_ context.Context, q dsrflow.RequestQuery) ([]dsrflow.SummaryView, error) {
			queries = append(queries, q)
			if q.Email == "jane@example.com" {
				return []dsrflow.SummaryView{{ID: "dsr_a", Type: "access", Open: true}, {ID: "dsr_e", Type: "erasure", Open: true}}, nil
			}
			return nil, nil
		},
	}
	if page := body(t, ss.do("GET", "/privacy/lost", "", nil)); !strings.Contains(page, `action="/privacy/lost"`) {
		t.Fatal("no lost-link form")
	}
	if page := body(t, ss.do("GET", "/privacy", "", nil)); !strings.Contains(page, `href="/privacy/lost"`) {
		t.Error("the first page does not lead to the lost-link page")
	}
	answer := func(email string) (int, string, time.Duration) {
		began := time.Now()
		resp := ss.do("POST", "/privacy/lost", "", url.Values{"email": {email}})
		return resp.StatusCode, body(t, resp), time.Since(began)
	}
	code1, page1, took1 := answer("jane@example.com")
	code2, page2, took2 := answer("nobody@example.com")
	if code1 != http.StatusOK || code2 != http.StatusOK || page1 != page2 {
		t.Errorf("the answers differ: %d, %d, same page: %v", code1, code2, page1 == page2)
	}
	if took1 < ss.SubmitFloor || took2 < ss.SubmitFloor {
		t.Errorf("answered after %v and %v, want at least %v", took1, took2, ss.SubmitFloor)
	}
	if len(queries) != 2 || !queries[0].Open {
		t.Errorf("queries %+v, want open requests by address", queries)
	}
	for _, id := range []string{"dsr_a", "dsr_e"} {
		msgs, err := ss.st.ListOutbox(context.Background(), store.OutboxFilter{RequestID: id})
		if err != nil || len(msgs) != 1 || msgs[0].To != "jane@example.com" ||
			!strings.Contains(msgs[0].Body, "https://privacy.example.com/privacy/requests/"+id+"?t="+ss.Key.StatusToken(id)) {
			t.Errorf("%s: outbox %+v %v", id, msgs, err)
		}
	}
	for _, bad := range []string{"", "jane.doe@"} {
		code, page, _ := answer(bad)
		if code != http.StatusBadRequest || !strings.Contains(page, `id="email-err"`) || !strings.Contains(page, `aria-invalid="true"`) {
			t.Errorf("address %q: %d", bad, code)
		}
	}
	if len(queries) != 2 {
		t.Errorf("a refused address was looked up")
	}
}
