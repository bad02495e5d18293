package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/dsrflow/dsrflow"
)

// The console and the privacy center are server-rendered HTML (html/template, escaped everywhere). They
// work without JavaScript, and the pages carry no inline script or style, so the Content-Security-Policy
// below can forbid both.

//go:embed ui
var uiFS embed.FS

// pages holds each page parsed together with the shared layout, once per language (the {{t}} of the
// privacy center's texts is bound to it). They are parsed once, when the first server is made
// (NewServer), not at package init: `starter` links this package for `starter serve`, and its other
// commands should not pay for templates they never render.
var pages = sync.OnceValue(func() map[string]map[string]*template.Template {
	out := map[string]map[string]*template.Template{}
	for _, lang := range dsrflow.Languages {
		out[lang] = parsePages(lang)
	}
	return out
})

func parsePages(lang string) map[string]*template.Template {
	funcs := template.FuncMap{
		"date":               func(t time.Time) string { return t.UTC().Format("2006-01-02") },
		"instant":            func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
		"t":                  func(key string) (string, error) { return textIn(lang, key) },
		"grounds":            refusalGrounds,
		"human":              func(s string) string { return strings.ReplaceAll(s, "_", " ") },
		"languageName":       languageName,
		"restrictionGrounds": restrictionGrounds,
		"dict": func(kv ...any) map[string]any {
			m := map[string]any{}
			for i := 0; i+1 < len(kv); i += 2 {
				m[kv[i].(string)] = kv[i+1]
			}
			return m
		},
		"has": func(list []string, v string) bool {
			for _, x := range list {
				if x == v {
					return true
				}
			}
			return false
		},
	}
	layouts := []string{"ui/layout.html"}
	out := map[string]*template.Template{}
	names, err := fs.Glob(uiFS, "ui/*.html")
	if err != nil {
		panic(err)
	}
	for _, name := range names {
		if name == layouts[0] {
			continue
		}
		t := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(uiFS, append(layouts, name)...))
		out[strings.TrimSuffix(strings.TrimPrefix(name, "ui/"), ".html")] = t
	}
	return out
}

// view is what every page template receives.
type view struct {
	Title   string
	Nav     string // the active console section; empty outside the console
	Session session
	CSRF    string
	Flash   string
	Error   string
	Data    any
	// Public marks privacy-center pages: no console navigation.
	Public bool
	// Lang is the page's language: the subject's on privacy-center pages (subjectLanguage), English in
	// the console. Langs is the privacy center's language switch.
	Lang  string
	Langs []langLink
	// Page is the template's name, on <body data-page>: the browser tests count the pages they check.
	Page string
}

// securityHeaders are set on every HTML page and on the static files. Forms lead only to this origin
// (form-action 'self'); Chromium and Safari hold a form's whole redirect chain to it, which is why the
// eID start, which leaves for the broker, is a link.
func securityHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
}

// render writes the page; a template error is a bug, answered 500 without a half-written page.
func (s *server) render(w http.ResponseWriter, r *http.Request, status int, page string, v view) {
	if v.Public && v.Lang == "" {
		v.Lang = subjectLanguage(w, r)
	}
	if v.Lang == "" {
		v.Lang = dsrflow.DefaultLanguage
	}
	if v.Public && v.Langs == nil {
		v.Langs = languageSwitch(r, v.Lang)
	}
	v.Page = page
	t, ok := pages()[v.Lang][page]
	if !ok {
		panic("no page " + page)
	}
	if sess := currentSession(r); sess.Principal.Role != "" {
		v.Session, v.CSRF = sess, s.csrfToken(sess)
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, v); err != nil {
		s.Logger.Error("render page", "page", page, "error", err)
		status, buf = http.StatusInternalServerError, *bytes.NewBufferString("internal error")
	}
	securityHeaders(w)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func (s *server) renderError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	s.render(w, r, status, "error", view{Title: http.StatusText(status), Error: msg, Public: !strings.HasPrefix(r.URL.Path, "/console")})
}

// renderFailure shows err on an error page with the status the API would have answered.
func (s *server) renderFailure(w http.ResponseWriter, r *http.Request, err error) {
	err = userError(err)
	code := dsrflow.ErrorCode(err)
	if code == dsrflow.EINTERNAL {
		s.Logger.Error("page failed", "method", r.Method, "path", r.URL.Path, "error", err)
	}
	s.renderError(w, r, httpStatus[code], dsrflow.ErrorMessage(err))
}

func (s *server) handleStatic() http.Handler {
	sub, _ := fs.Sub(uiFS, "ui/static")
	files := http.StripPrefix("/static/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		securityHeaders(w)
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	})
}

// daysLeft describes a due date for people: "3 days left", "due today", "2 days overdue".
func daysLeft(n int) string {
	switch {
	case n == 0:
		return "due today"
	case n == 1:
		return "1 day left"
	case n > 1:
		return fmt.Sprintf("%d days left", n)
	case n == -1:
		return "1 day overdue"
	}
	return fmt.Sprintf("%d days overdue", -n)
}
