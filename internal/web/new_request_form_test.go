package web

import (
	"io"
	"strings"
	"testing"

	"github.com/dsrflow/dsrflow/internal/service"
	"github.com/dsrflow/dsrflow/internal/service/fake"
)

// The console's new-request form asks first for the right (a GET form: no JavaScript needed), then
// shows only the fields that right needs or accepts (dsrflow.Rights), under the laws it exists under.
func TestNewRequestFormShowsTheChosenRightsFields(t *testing.T) {
	ss := newSessionServer(t)
	ss.Service = &fake.RequestService{}
	ss.Purposes = []service.Purpose{{ID: "email_marketing", Name: "Marketing by email", LegalBasis: "consent"}}
	cookie := ss.signIn(t, ss.createToken(t, "alice", RoleAgent))
	get := func(path string) string {
		t.Helper()
		resp := ss.do("GET", path, cookie, nil)
		page, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d", path, resp.StatusCode)
		}
		return string(page)
	}

	page := get("/console/requests/new")
	for _, want := range []string{`<form method="get" action="/console/requests/new"`, `type="radio" name="type" value="access"`, `value="do_not_sell"`, "GDPR Art. 16"} {
		if !strings.Contains(page, want) {
			t.Errorf("the first step lacks %q", want)
		}
	}
	if strings.Contains(page, `id="email"`) {
		t.Error("the first step already asks for the subject")
	}

	fields := []string{`id="corrections"`, `name="purposes"`, `id="ground"`, `id="grounds"`}
	for _, c := range []struct {
		typ  string
		want []string
	}{
		{"access", nil},
		{"rectification", []string{`id="corrections"`}},
		{"restriction", []string{`id="ground"`}},
		{"objection", []string{`name="purposes"`, `id="grounds"`}},
		{"consent_withdrawal", []string{`name="purposes"`}},
		{"marketing_optout", nil},
	} {
		page := get("/console/requests/new?type=" + c.typ)
		if !strings.Contains(page, `id="email"`) || !strings.Contains(page, `<input type="hidden" name="type" value="`+c.typ+`">`) {
			t.Errorf("%s: the form lacks the subject's email or the chosen type", c.typ)
		}
		for _, f := range fields {
			want := false
			for _, w := range c.want {
				want = want || w == f
			}
			if strings.Contains(page, f) != want {
				t.Errorf("%s: field %s shown = %v, want %v", c.typ, f, !want, want)
			}
		}
	}

	page = get("/console/requests/new?type=do_not_sell")
	if !strings.Contains(page, `<option value="ccpa" selected>CCPA</option>`) || strings.Contains(page, `value="gdpr"`) || !strings.Contains(page, `<option value="US" selected>United States (US)</option>`) {
		t.Error("do not sell: the form does not offer the CCPA alone, for a US resident")
	}
	if page := get("/console/requests/new?type=nonsense"); !strings.Contains(page, "choose one of the rights listed") || !strings.Contains(page, `aria-invalid="true"`) {
		t.Error("an unknown type is not sent back to the choice with an error")
	}
}
