package web

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/service/fake"
	"github.com/dsrflow/dsrflow/internal/store"
)

// An agent who takes a request by phone records the subject's residence (the authority their answer
// names) and language (every mail and the export) on the console's form, as `starter request
// --residence --language` does; a CCPA-only right asks no residence. A language dsrflow does not
// write in is refused on its field, and nothing is recorded.
func TestConsoleFormRecordsResidenceAndLanguage(t *testing.T) {
	ss := newSessionServer(t)
	cookie := ss.signIn(t, ss.createToken(t, "alice", RoleAgent))
	get := func(path string) string {
		t.Helper()
		resp := ss.do("GET", path, cookie, nil)
		page, _ := io.ReadAll(resp.Body)
		return string(page)
	}
	csrf := func(page string) string {
		t.Helper()
		i := strings.Index(page, `name="csrf" value="`)
		if i < 0 {
			t.Fatal("no csrf field")
		}
		rest := page[i+len(`name="csrf" value="`):]
		return rest[:strings.Index(rest, `"`)]
	}
	page := get("/console/requests/new?type=access")
	for _, want := range []string{`<select id="residence" name="residence"`, `<option value="" selected>Same as the handling country</option>`,
		`<option value="FR">France</option>`, `<select id="language" name="language"`, `<option value="en" selected>English (en)</option>`, `<option value="sv">Swedish (sv)</option>`} {
		if !strings.Contains(page, want) {
			t.Errorf("the access form lacks %s", want)
		}
	}
	if strings.Contains(get("/console/requests/new?type=do_not_sell"), `name="residence"`) {
		t.Error("a CCPA-only right asks for a residence in the EEA")
	}

	// Refused on its field by the real service; nothing recorded.
	resp := ss.do("POST", "/console/requests/new", cookie, url.Values{"csrf": {csrf(page)}, "type": {"access"}, "email": {"jane@example.com"},
		"country": {"NO"}, "jurisdiction": {"gdpr"}, "channel": {"phone"}, "residence": {"FR"}, "language": {"xx"}})
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), `id="language-err"`) || !strings.Contains(string(body), `<option value="FR" selected>France</option>`) {
		t.Fatalf("language xx: %d, want 400 on the language field keeping the residence:\n%s", resp.StatusCode, body)
	}
	// The first refused field takes the focus, and only it (HTML allows one autofocus).
	if !strings.Contains(string(body), `aria-invalid="true" autofocus aria-describedby="language-err"`) || strings.Count(string(body), "autofocus") != 1 {
		t.Errorf("the refused language field is not the one focused:\n%s", body)
	}
	resp = ss.do("POST", "/console/requests/new", cookie, url.Values{"csrf": {csrf(page)}, "type": {"access"}, "email": {"not-an-address"},
		"country": {"NO"}, "jurisdiction": {"gdpr"}, "channel": {"phone"}, "language": {"xx"}})
	body, _ = io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), `aria-invalid="true" autofocus aria-describedby="email-err"`) || strings.Count(string(body), "autofocus") != 1 {
		t.Errorf("with email and language refused, the email (first) is not the one focused: %d\n%s", resp.StatusCode, body)
	}
	if rows, _ := ss.st.ListRequests(context.Background(), store.RequestFilter{}); len(rows) != 0 {
		t.Fatalf("a refused form recorded %d requests", len(rows))
	}

	var asked []dsrflow.NewRequest
	ss.Service = &fake.RequestService{CreateRequestFn: func(_ context.Context, in dsrflow.NewRequest) (dsrflow.CreatedRequest, error) {
		asked = append(asked, in)
		return dsrflow.CreatedRequest{ID: "dsr_new"}, nil
	}}
	resp = ss.do("POST", "/console/requests/new", cookie, url.Values{"csrf": {csrf(page)}, "type": {"access"}, "email": {"jane@example.com"},
		"country": {"NO"}, "jurisdiction": {"gdpr"}, "channel": {"phone"}, "residence": {"FR"}, "language": {"sv"}})
	if resp.StatusCode != http.StatusSeeOther || len(asked) != 1 || asked[0].Residence != "FR" || asked[0].Language != "sv" || asked[0].Country != "NO" {
		t.Fatalf("create: %d, asked %+v; want residence FR, language sv, country NO", resp.StatusCode, asked)
	}
}
