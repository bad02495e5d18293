package web

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/service/fake"
	"github.com/dsrflow/dsrflow/internal/texttest"
)

// TestTextsComplete fails when a language lacks a key of texts.en.json, has a key English does not, or
// when a text's placeholders (%s, %d, {name}) differ from the English one's.
func TestTextsComplete(t *testing.T) {
	texttest.Complete(t, regexp.MustCompile(`%[-+# 0-9.]*[a-zA-Z]|\{[a-zA-Z_.]+\}`), func(lang string) (string, []byte, error) {
		b, err := uiFS.ReadFile("ui/texts." + lang + ".json")
		return "texts." + lang + ".json", b, err
	})
}

// get serves a GET with the given headers and returns the status, body and response.
func (ss *sessionServer) get(t *testing.T, path string, header http.Header) (int, string, *http.Response) {
	t.Helper()
	req := httptest.NewRequest("GET", "http://localhost"+path, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	ss.mux.ServeHTTP(rec, req)
	resp := rec.Result()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp
}

// TestPrivacyCenterSpeaksTheSubjectsLanguage: Accept-Language picks the page's language (Swedish for
// sv, Bokmål for Norwegian "no"), an explicit ?lang= wins and is remembered in a cookie, and the
// console stays English.
func TestPrivacyCenterSpeaksTheSubjectsLanguage(t *testing.T) {
	ss := newSessionServer(t)
	for _, tc := range []struct {
		name, accept, cookie, path, lang, says string
	}{
		{"Swedish browser", "sv", "", "/privacy", "sv", "Dina personuppgifter"},
		{"Swedish in Finland", "sv-FI,fi;q=0.8", "", "/privacy", "sv", "Integritetscenter"},
		{"Norwegian is Bokmål", "no,en;q=0.5", "", "/privacy", "nb", "Dine personopplysninger"},
		{"Danish", "da-DK", "", "/privacy", "da", "Dine personoplysninger"},
		{"Finnish", "fi", "", "/privacy", "fi", "Henkilötietosi"},
		{"German falls back to English", "de-DE,de;q=0.9", "", "/privacy", "en", "Your personal data"},
		{"no header", "", "", "/privacy", "en", "Your personal data"},
		{"the switch wins over the browser", "sv", "", "/privacy?lang=fi", "fi", "Henkilötietosi"},
		{"the cookie wins over the browser", "sv", "da", "/privacy", "da", "Dine personoplysninger"},
		{"a bad switch is ignored", "nb", "", "/privacy?lang=xx", "nb", "Dine personopplysninger"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			if tc.accept != "" {
				h.Set("Accept-Language", tc.accept)
			}
			if tc.cookie != "" {
				h.Set("Cookie", langCookie+"="+tc.cookie)
			}
			code, body, _ := ss.get(t, tc.path, h)
			if code != http.StatusOK {
				t.Fatalf("%s: %d", tc.path, code)
			}
			if !strings.Contains(body, `<html lang="`+tc.lang+`">`) || !strings.Contains(body, tc.says) {
				t.Errorf("want lang=%q saying %q; got:\n%.600s", tc.lang, tc.says, body)
			}
		})
	}

	// ?lang= sets the cookie the next page reads.
	_, _, resp := ss.get(t, "/privacy?lang=sv", nil)
	var set *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == langCookie {
			set = c
		}
	}
	if set == nil || set.Value != "sv" || !set.HttpOnly {
		t.Fatalf("?lang=sv set cookie %+v", set)
	}

	// Every page links every language, named in itself, keeping the page's query.
	_, body, _ := ss.get(t, "/privacy/request?type=access", http.Header{"Accept-Language": {"fi"}})
	for _, want := range []string{`lang="sv"`, ">svenska<", ">norsk bokmål<", ">dansk<", ">suomi<", ">English<", "/privacy/request?lang=sv&amp;type=access"} {
		if !strings.Contains(body, want) {
			t.Errorf("language switch lacks %q", want)
		}
	}

	// The console does not follow the subject's language.
	cookie := ss.signIn(t, sessionDevToken)
	req := httptest.NewRequest("GET", "http://localhost/console/requests", nil)
	req.Header.Set("Accept-Language", "sv")
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: cookie})
	rec := httptest.NewRecorder()
	ss.mux.ServeHTTP(rec, req)
	if b := rec.Body.String(); !strings.Contains(b, `<html lang="en">`) {
		t.Errorf("console with Accept-Language sv:\n%.300s", b)
	}
}

// TestPrivacyFormAsksForResidence: the form offers the countries of residence named in the page's
// language, preselects the browser's region, and a submission carries the residence and the language to
// the request.
func TestPrivacyFormAsksForResidence(t *testing.T) {
	ss := newSessionServer(t)
	var got dsrflow.NewRequest
	ss.Service = &fake.RequestService{
		CreateRequestFn: func(_ context.Context, in dsrflow.NewRequest) (dsrflow.CreatedRequest, error) {
			got = in
			return dsrflow.CreatedRequest{ID: "dsr_new", Type: in.Type}, nil
		},
		StartRequestFn: func(context.Context, string) {},
	}
	_, body, _ := ss.get(t, "/privacy/request?type=access", http.Header{"Accept-Language": {"sv-FI"}})
	for _, want := range []string{`<select id="residence" name="residence"`, `<option value="FI" selected>Finland</option>`,
		`<option value="FR">Frankrike</option>`, `<option value="">Ett annat land</option>`, "Landet där du bor"} {
		if !strings.Contains(body, want) {
			t.Errorf("form lacks %q", want)
		}
	}
	// Swedish order: Österrike after Tyskland (Ö sorts after Z).
	if i, j := strings.Index(body, ">Tyskland<"), strings.Index(body, ">Österrike<"); i < 0 || j < i {
		t.Errorf("Österrike (%d) not after Tyskland (%d)", j, i)
	}
	_, body, _ = ss.get(t, "/privacy/request?type=access", http.Header{"Accept-Language": {"en-US"}})
	if !strings.Contains(body, `<option value="" selected>Another country</option>`) {
		t.Errorf("en-US: another country is not preselected")
	}

	req := httptest.NewRequest("POST", "http://localhost/privacy/request", strings.NewReader(url.Values{
		"type": {"access"}, "email": {"jeanne@example.com"}, "residence": {"FR"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Cookie", langCookie+"=nb")
	rec := httptest.NewRecorder()
	ss.mux.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "Sjekk e-posten din") {
		t.Fatalf("submit: %d\n%.500s", rec.Code, rec.Body.String())
	}
	if got.Residence != "FR" || got.Language != "nb" {
		t.Errorf("request carries residence %q, language %q; want FR, nb", got.Residence, got.Language)
	}
}

// TestConsoleNamesTheSubjectsLanguage: the console, in English, names the language a request's mails
// and export are written in, with its code.
func TestConsoleNamesTheSubjectsLanguage(t *testing.T) {
	for code, want := range map[string]string{"nb": "Norwegian Bokmål (nb)", "sv": "Swedish (sv)", "da": "Danish (da)", "fi": "Finnish (fi)", "en": "English (en)", "x!": "x!"} {
		if got := languageName(code); got != want {
			t.Errorf("languageName(%q) = %q, want %q", code, got, want)
		}
	}
}
