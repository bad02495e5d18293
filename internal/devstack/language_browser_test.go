package devstack_test

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/dsrflow/dsrflow/internal/devstack"
	"github.com/dsrflow/dsrflow/internal/store"
)

// subjectsDay is what a subject reads, in one language, on each page of their day in the privacy center
// (form, code, status, download), in the mails and in the export's summary.
type subjectsDay struct {
	lang string
	// choose sets the browser up to speak the language: an Accept-Language header, or the switch.
	choose func(t *testing.T, ctx context.Context, s *devstack.Stack)
	// Key sentences, one per page, from internal/web/ui/texts.<lang>.json and internal/answer/texts.
	center, form, sent, status, verified, download string
	codeMail, answerMail, summary, csvLegend       string
}

// TestBrowserSubjectsDayInSwedishAndFinnish runs the subject's day in Chromium twice: in Swedish, chosen
// by the browser's Accept-Language, and in Finnish, chosen with the language switch (then remembered).
// Every page says its language in <html lang> and speaks it, passes axe-core, and the request records
// the language, so the code mail, the answer and the export's summary are written in it too; the
// console (English) names it on the request's page.
func TestBrowserSubjectsDayInSwedishAndFinnish(t *testing.T) {
	chromiumPath(t)
	s := start(t, testConfig(t, t.TempDir()))
	defer stop(t, s)
	c := apiClient{t: t, stack: s}

	days := []subjectsDay{{
		lang: "sv",
		choose: func(t *testing.T, ctx context.Context, s *devstack.Stack) {
			act(t, ctx, "send Accept-Language: sv", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
				_, err := chromedp.Call(ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{
					Headers: network.Headers{"Accept-Language": "sv-SE,sv;q=0.9,en;q=0.5"}})
				return err
			}), chromedp.Navigate(s.URL()+"/privacy"), chromedp.WaitVisible(chromedp.CSS("ul.rights")))
		},
		center: "Dina personuppgifter", form: "Din e-postadress", sent: "Titta i din e-post",
		status: "Ange koden från vårt mejl", verified: "Tack! Din begäran är bekräftad", download: "Ladda ner dina uppgifter",
		codeMail: "Du har begärt att få se de personuppgifter vi har om dig.", answerMail: "Vänliga hälsningar",
		summary: "Det här hittade vi", csvLegend: "Vad kolumnerna i CSV-filerna betyder",
	}, {
		lang: "fi",
		choose: func(t *testing.T, ctx context.Context, s *devstack.Stack) {
			act(t, ctx, "open the privacy center in English", chromedp.Navigate(s.URL()+"/privacy"), chromedp.WaitVisible(chromedp.CSS("ul.rights")))
			if l := htmlLang(t, ctx); l != "en" {
				t.Fatalf("a browser asking for English got lang=%q", l)
			}
			act(t, ctx, "switch to Finnish", chromedp.Click(chromedp.CSS(`nav.languages a[hreflang="fi"]`)),
				chromedp.WaitVisible(chromedp.CSS("ul.rights")))
		},
		center: "Henkilötietosi", form: "Sähköpostiosoitteesi", sent: "Tarkista sähköpostisi",
		status: "Anna sähköpostiviestimme koodi", verified: "Kiitos! Pyyntösi on vahvistettu", download: "Lataa tietosi",
		codeMail: "Pyysit saada nähdä sinusta säilyttämämme henkilötiedot.", answerMail: "Ystävällisin terveisin",
		summary: "Mitä löysimme", csvLegend: "Mitä CSV-tiedostojen sarakkeet tarkoittavat",
	}}
	agent := signInTab(t, s, "agent-anna", "agent")
	for _, day := range days {
		t.Run(day.lang, func(t *testing.T) {
			ctx := tab(t)
			page := func(name, want string) {
				t.Helper()
				if l := htmlLang(t, ctx); l != day.lang {
					t.Errorf("%s: <html lang=%q>, want %q", name, l, day.lang)
				}
				if text := pageText(t, ctx); !strings.Contains(text, want) {
					t.Errorf("%s does not say %q: %q", name, want, text)
				}
				checkPage(t, ctx, name+"-"+day.lang)
			}
			day.choose(t, ctx, s)
			page("privacy-center", day.center)
			act(t, ctx, "choose access", chromedp.Click(chromedp.CSS(`a[href^="/privacy/request?type=access"]`)), chromedp.WaitVisible(chromedp.CSS("#email")))
			page("privacy-form", day.form)
			act(t, ctx, "submit", chromedp.SendKeys(chromedp.CSS("#email"), jane), chromedp.Click(chromedp.CSS("form button[type=submit]")),
				chromedp.WaitVisible(chromedp.CSS("h1#sent")))
			page("privacy-sent", day.sent)

			id := requestIn(t, s, day.lang)
			code := mailedCode(t, c, id)
			if m := outboxMessage(t, c, id, "verification_code"); !strings.Contains(m.Body, day.codeMail) {
				t.Errorf("the code mail is not in %s:\n%s", day.lang, m.Body)
			}
			act(t, ctx, "follow the mailed link", chromedp.Navigate(s.URL()+mailedStatusLink(t, s, id)), chromedp.WaitVisible(chromedp.CSS("#code")))
			page("privacy-status", day.status)
			act(t, ctx, "enter the code", chromedp.SendKeys(chromedp.CSS("#code"), code), chromedp.Click(chromedp.CSS("form button[type=submit]")),
				chromedp.WaitVisible(chromedp.CSS(".flash")))
			if text := pageText(t, ctx); !strings.Contains(text, day.verified) {
				t.Errorf("after the code the page does not say %q: %q", day.verified, text)
			}
			c.waitStatus(id, "completed")
			act(t, ctx, "reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`a[href^="/exports/"]`)))
			page("privacy-download", day.download)
			if m := outboxMessage(t, c, id, "answer"); !strings.Contains(m.Body, day.answerMail) {
				t.Errorf("the answer is not in %s:\n%s", day.lang, m.Body)
			}

			archive := downloadZip(t, ctx, `a[href^="/exports/"]`)
			summary := summaryOf(t, archive)
			for _, want := range []string{`<html lang="` + day.lang + `">`, day.summary, day.csvLegend} {
				if !strings.Contains(summary, want) {
					t.Errorf("the downloaded summary.html lacks %q", want)
				}
			}
			checkSummaryAs(t, ctx, archive, "export-summary-"+day.lang)

			act(t, agent, "open the request in the console", chromedp.Navigate(s.URL()+"/console/requests/"+id), chromedp.WaitVisible(chromedp.CSS("dl.facts")))
			name := map[string]string{"sv": "Swedish (sv)", "fi": "Finnish (fi)"}[day.lang]
			if text := pageText(t, agent); !strings.Contains(text, name) {
				t.Errorf("the console's request page does not name the subject's language %q: %q", name, text)
			}
		})
	}
}

// htmlLang is the page's <html lang>.
func htmlLang(t *testing.T, ctx context.Context) string {
	t.Helper()
	l, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.lang`))
	if err != nil {
		t.Fatalf("read <html lang>: %v", err)
	}
	return l
}

// requestIn returns the one open access request made in the privacy center, checking that it recorded
// the page's language.
func requestIn(t *testing.T, s *devstack.Stack, lang string) string {
	t.Helper()
	rows, err := s.Store.ListRequests(context.Background(), store.RequestFilter{Type: "access"})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.Status == "completed" {
			continue
		}
		if r.Language != lang {
			t.Errorf("the request %s recorded language %q, want %q", r.ID, r.Language, lang)
		}
		return r.ID
	}
	t.Fatal("no open access request")
	return ""
}

// summaryOf is the export's summary.html.
func summaryOf(t *testing.T, archive []byte) string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(archive), int64(len(archive)))
	if err != nil {
		t.Fatalf("the export: %v", err)
	}
	f, err := zr.Open("summary.html")
	if err != nil {
		t.Fatalf("the export has no summary.html: %v", err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
