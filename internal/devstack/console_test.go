package devstack_test

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow/internal/devstack"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/internal/web"
)

// browser is a cookie-keeping HTTP client that does not follow redirects, so tests see each answer.
type browser struct {
	t      *testing.T
	base   string
	client *http.Client
}

func newBrowser(t *testing.T, s *devstack.Stack) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: s.URL(), client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) do(method, path string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, b.base+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp, string(data)
}

func (b *browser) get(path string) (*http.Response, string) { return b.do("GET", path, nil) }

// post submits a form; with csrfFrom it first reads the page's CSRF token, as a browser would have it.
func (b *browser) post(path string, form url.Values, csrfFrom string) (*http.Response, string) {
	b.t.Helper()
	if csrfFrom != "" {
		_, page := b.get(csrfFrom)
		m := csrfPattern.FindStringSubmatch(page)
		if m == nil {
			b.t.Fatalf("no CSRF token on %s", csrfFrom)
		}
		form.Set("csrf", m[1])
	}
	return b.do("POST", path, form)
}

var (
	csrfPattern   = regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`)
	statusLink    = regexp.MustCompile(`(/privacy/requests/dsr_[a-z0-9]+\?t=[0-9a-f]+)`)
	requestIDPath = regexp.MustCompile(`^/console/requests/(dsr_[a-z0-9]+)`)
	requestLink   = regexp.MustCompile(`href="/console/requests/(dsr_[a-z0-9]+)"`)
)

func createToken(t *testing.T, s *devstack.Stack, name, role string) string {
	t.Helper()
	tok, id := web.NewToken()
	if err := s.Store.CreateToken(context.Background(), store.Token{ID: id, Name: name, Role: role, Hash: web.TokenHash(tok), CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	return tok
}

func assertPageHeaders(t *testing.T, what string, resp *http.Response, body string) {
	t.Helper()
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("%s: Content-Security-Policy %q", what, csp)
	}
	if resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("%s: security headers missing: %v", what, resp.Header)
	}
	if strings.Contains(body, "<script") || strings.Contains(body, " style=") || strings.Contains(body, "<style") {
		t.Errorf("%s: inline script or style would be blocked by the policy", what)
	}
}

func TestConsoleAgentAndReviewer(t *testing.T) {
	s := start(t, testConfig(t, t.TempDir()))
	defer stop(t, s)
	agentTok := createToken(t, s, "agent-anna", "agent")
	reviewerTok := createToken(t, s, "reviewer-rolf", "reviewer")

	agent := newBrowser(t, s)
	resp, _ := agent.get("/console/requests")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/console/signin") {
		t.Fatalf("signed out: %d %s, want a redirect to sign in", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, page := agent.get("/console/signin")
	assertPageHeaders(t, "sign-in", resp, page)
	if !strings.Contains(page, s.Token) {
		t.Error("the sign-in page on loopback in dev mode does not offer the dev token")
	}
	if resp, _ := agent.post("/console/signin", url.Values{"token": {"dsr_tok_wrong"}}, ""); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong token: %d", resp.StatusCode)
	}
	resp, _ = agent.post("/console/signin", url.Values{"token": {agentTok}, "next": {"/console/requests"}}, "")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console/requests" {
		t.Fatalf("sign in: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "dsr_session" {
			cookie = c
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.Secure {
		t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Lax, not Secure on loopback", cookie)
	}
	if strings.Contains(cookie.Value, agentTok) {
		t.Fatal("the session cookie holds the token")
	}

	// The new-request form gives the API's messages per field and changes nothing.
	resp, page = agent.post("/console/requests/new", url.Values{"type": {"access"}, "email": {"not-an-address"}, "country": {"NO"}, "jurisdiction": {"gdpr"}, "channel": {"email"}}, "/console/requests/new")
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "not a valid email address") || !strings.Contains(page, `aria-invalid="true"`) {
		t.Fatalf("invalid email: %d, page lacks the field message", resp.StatusCode)
	}
	if n, _ := s.Store.ListRequests(context.Background(), store.RequestFilter{}); len(n) != 0 {
		t.Fatalf("an invalid form created %d requests", len(n))
	}
	// A form without the CSRF token is refused.
	if resp, _ := agent.post("/console/requests/new", url.Values{"type": {"access"}, "email": {jane}}, ""); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("form without CSRF token: %d, want 403", resp.StatusCode)
	}

	resp, _ = agent.post("/console/requests/new", url.Values{"type": {"access"}, "email": {jane}, "country": {"NO"}, "jurisdiction": {"gdpr"}, "channel": {"phone"}}, "/console/requests/new")
	m := requestIDPath.FindStringSubmatch(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || m == nil {
		t.Fatalf("start: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	id := m[1]
	c := apiClient{t: t, stack: s}
	c.waitStatus(id, "verifying")
	resp, page = agent.get("/console/requests/" + id)
	assertPageHeaders(t, "request page", resp, page)
	if !strings.Contains(page, "Enter code") || !strings.Contains(page, "Resend the code") {
		t.Fatal("the request page does not offer the code to an agent while verifying")
	}
	if strings.Contains(page, jane) {
		t.Error("the request page shows the subject's email")
	}
	code := mailedCode(t, c, id)
	resp, page = agent.post("/console/requests/"+id+"/verify", url.Values{"code": {wrongCode(code)}}, "/console/requests/"+id)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "attempts left") {
		t.Fatalf("wrong code: %d, page lacks the API's message", resp.StatusCode)
	}
	resp, _ = agent.post("/console/requests/"+id+"/verify", url.Values{"code": {code}}, "/console/requests/"+id)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("right code: %d", resp.StatusCode)
	}
	_, page = agent.get(resp.Header.Get("Location"))
	if !strings.Contains(page, "The code was accepted") {
		t.Error("no confirmation after entering the code")
	}
	c.waitStatus(id, "completed")
	_, page = agent.get("/console/requests/" + id)
	if !strings.Contains(page, "Download the answer") || !strings.Contains(page, "crm") {
		t.Fatal("the completed request page lacks the download or the connector jobs")
	}
	resp, zipped := agent.get("/console/requests/" + id + "/export")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/zip" || !strings.HasPrefix(zipped, "PK") {
		t.Fatalf("export download: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	// Search by exact email finds her request; the list is sorted by due date with days left.
	_, page = agent.get("/console/requests?q=" + url.QueryEscape(jane))
	if !strings.Contains(page, id) {
		t.Error("search by email does not find the request")
	}
	resp, _ = agent.get("/console/requests?q=" + id)
	if resp.Header.Get("Location") != "/console/requests/"+id {
		t.Errorf("search by id: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, page = agent.get("/console")
	assertPageHeaders(t, "dashboard", resp, page)
	if !strings.Contains(page, "<svg") || !strings.Contains(page, "Answered on time, by month") {
		t.Error("the dashboard has no charts")
	}

	// An objection waits for a reviewer, who decides in the console.
	objection := c.create(web.NewRequest{Type: "objection", Email: jane, Attest: "called back on the number on file", Grounds: "no longer a customer"})
	c.waitStatus(objection, "in_review")
	reviewer := newBrowser(t, s)
	reviewer.post("/console/signin", url.Values{"token": {reviewerTok}}, "")
	if resp, _ := reviewer.get("/console/requests/new"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("reviewer opens the new-request form: %d, want 403", resp.StatusCode)
	}
	if _, page := reviewer.get("/console/requests?q=" + url.QueryEscape(jane)); !strings.Contains(page, "may not search by email") {
		t.Error("a reviewer may search by email")
	}
	_, page = reviewer.get("/console/requests/" + objection)
	if !strings.Contains(page, "Approve") || strings.Contains(page, "Enter code") {
		t.Fatal("the reviewer's page lacks the decision or offers the agent's actions")
	}
	resp, _ = reviewer.post("/console/requests/"+objection+"/decide", url.Values{"decision": {"approve"}, "reason": {"no compelling grounds of ours"}}, "/console/requests/"+objection)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("decide: %d", resp.StatusCode)
	}
	v := c.waitStatus(objection, "completed")
	if len(v.Decisions) != 1 || v.Decisions[0].Reviewer != "token:reviewer-rolf" {
		t.Fatalf("decisions %+v", v.Decisions)
	}

	// Revoking the token ends its console sessions.
	if err := s.Store.RevokeToken(context.Background(), "agent-anna", time.Now()); err != nil {
		t.Fatal(err)
	}
	if resp, _ := agent.get("/console/requests"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("revoked token's session: %d, want a redirect to sign in", resp.StatusCode)
	}
}

func TestPrivacyCenterFromRequestToDownload(t *testing.T) {
	s := start(t, testConfig(t, t.TempDir()))
	defer stop(t, s)
	c := apiClient{t: t, stack: s}
	subject := newBrowser(t, s)

	resp, page := subject.get("/privacy")
	assertPageHeaders(t, "privacy center", resp, page)
	for _, right := range []string{"access", "portability", "rectification", "erasure", "restriction", "objection", "marketing_optout", "consent_withdrawal"} {
		if !strings.Contains(page, "/privacy/request?type="+right) {
			t.Errorf("the privacy center does not offer %s", right)
		}
	}
	resp, page = subject.do("POST", "/privacy/request", url.Values{"type": {"access"}, "email": {"jane@"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "Enter a valid email address") {
		t.Fatalf("invalid email: %d", resp.StatusCode)
	}
	resp, sent := subject.do("POST", "/privacy/request", url.Values{"type": {"access"}, "email": {jane}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(sent, "Check your email") {
		t.Fatalf("submit: %d", resp.StatusCode)
	}
	rows, _ := s.Store.ListRequests(context.Background(), store.RequestFilter{})
	if len(rows) != 1 {
		t.Fatalf("%d requests, want 1", len(rows))
	}
	id := rows[0].ID
	// The same answer for an address with an open request and for one nobody knows: no enumeration.
	_, again := subject.do("POST", "/privacy/request", url.Values{"type": {"access"}, "email": {jane}})
	_, unknown := subject.do("POST", "/privacy/request", url.Values{"type": {"access"}, "email": {nobody}})
	if again != sent || unknown != sent {
		t.Error("the privacy center answers differently for an open request or an unknown address")
	}

	code := mailedCode(t, c, id)
	var link string
	msgs, _ := s.Store.ListOutbox(context.Background(), store.OutboxFilter{RequestID: id})
	for _, m := range msgs {
		if l := statusLink.FindString(m.Body); l != "" && m.Kind == "verification_code" {
			link = html.UnescapeString(l)
		}
	}
	if link == "" {
		t.Fatal("the code mail has no link to the status page")
	}
	// The open request's link is queued before the answer goes out (the page promises it).
	waitFor(t, "the second submission to mail the open request's link", func() bool {
		msgs, _ := s.Store.ListOutbox(context.Background(), store.OutboxFilter{RequestID: id})
		for _, m := range msgs {
			if m.Kind == "status_link" {
				return true
			}
		}
		return false
	})
	if resp, _ := subject.get(strings.Replace(link, "?t=", "?t=0", 1)); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a forged status link: %d, want 404", resp.StatusCode)
	}
	_, page = subject.get(link)
	if !strings.Contains(page, "Enter the code from our email") {
		t.Fatal("the status page does not ask for the code")
	}
	token := link[strings.Index(link, "?t=")+3:]
	resp, page = subject.do("POST", "/privacy/requests/"+id+"/verify", url.Values{"t": {token}, "code": {wrongCode(code)}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "attempts left") {
		t.Fatalf("wrong code: %d", resp.StatusCode)
	}
	resp, _ = subject.do("POST", "/privacy/requests/"+id+"/verify", url.Values{"t": {token}, "code": {code}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("right code: %d", resp.StatusCode)
	}
	c.waitStatus(id, "completed")
	_, page = subject.get(link)
	m := regexp.MustCompile(`href="(/exports/[^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("the completed status page offers no download")
	}
	resp, zipped := subject.get(html.UnescapeString(m[1]))
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(zipped, "PK") {
		t.Fatalf("download: %d", resp.StatusCode)
	}

	// Per-address limit: the sixth submission for one address within the hour is refused.
	var last int
	for i := 0; i < 6; i++ {
		resp, _ := subject.do("POST", "/privacy/request", url.Values{"type": {"erasure"}, "email": {"lim@example.com"}})
		last = resp.StatusCode
	}
	if last != http.StatusTooManyRequests {
		t.Errorf("sixth submission for one address: %d, want 429", last)
	}
}
