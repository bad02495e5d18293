package devstack_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/dsrflow/dsrflow/internal/web"
)

// TestExportSummaryIsTrueEndToEnd is issue 15's "asserting on the export the subject gets" on the demo
// group: the export summary (summary.txt and summary.html) of an access for nobody@example.com, held
// nowhere, names no partner and lists nothing as not done; John's, whom the demo CRM holds and shares
// with the ad partner, names that partner and the company it received the data from (the standing
// Art. 15(1)(c) information names the partner as a category of recipient in both), and, because one
// system refused the job for good, says what was not done with the supervisory authority and the court.
// The mail says the same. Each dataset says why it is held (with the legal basis), how long, from where
// and to whom, and names its kinds of data by the controller's categories only.
func TestExportSummaryIsTrueEndToEnd(t *testing.T) {
	s := start(t, testConfig(t, t.TempDir()))
	defer stop(t, s)
	c := apiClient{t: t, stack: s}
	const john = "john.roe@example.com"
	summaries := func(id string) map[string]string {
		t.Helper()
		files := c.export(id)
		out := map[string]string{}
		for _, name := range []string{"summary.txt", "summary.html"} {
			if files[name] == "" {
				t.Fatalf("export of %s has no %s: %v", id, name, keys(files))
			}
			out[name] = files[name]
		}
		return out
	}
	check := func(what, text string, want, notWant []string) {
		t.Helper()
		for _, s := range want {
			if !strings.Contains(text, s) {
				t.Errorf("%s lacks %q:\n%s", what, s, text)
			}
		}
		for _, s := range notWant {
			if strings.Contains(text, s) {
				t.Errorf("%s says %q:\n%s", what, s, text)
			}
		}
	}

	nobodyID := c.create(web.NewRequest{Type: "access", Email: nobody, Attest: "passport seen at the counter", Country: "NO"})
	v := c.waitStatus(nobodyID, "completed")
	for _, j := range v.Jobs {
		if j.Role == "partner" {
			t.Errorf("an access for nobody ran a partner job: %+v", j)
		}
	}
	for name, text := range summaries(nobodyID) {
		check("nobody's "+name, text, []string{"We found no data about you here."},
			[]string{"Partners who received your data", "Example Ad Partner Ltd, from", "What we could not do", "take the matter to court"})
	}
	check("nobody's answer", c.answer(nobodyID), nil, []string{"Partners who received your data", "Example Ad Partner Ltd", "What we could not do"})

	s.Demo.Fail("analytics", http.StatusBadRequest, 1)
	johnID := c.create(web.NewRequest{Type: "access", Email: john, Attest: "passport seen at the counter", Country: "NO"})
	v = c.waitStatus(johnID, "completed")
	jobs := jobsByConnector(v)
	if jobs["crm/access"].Status != "completed" || jobs["analytics/access"].Status != "failed" {
		t.Fatalf("John's access jobs = %+v, want crm completed and analytics failed", jobs)
	}
	notDone := []string{
		"What we could not do",
		"Example Analytics AS: we could not complete this",
		"Datatilsynet",
		"take the matter to court",
		"Partners who received your data",
		"Example Ad Partner Ltd, from Example Marketing AS.",
	}
	for name, text := range summaries(johnID) {
		check("John's "+name, text, notDone, nil)
		check("John's "+name, text, []string{"Why we hold it: ", "(legal basis: ", "How long we keep it: ", "Where it comes from: ", "Who may receive it: "}, nil)
	}
	// Every dataset's kinds of data are the controller's categories, never a raw taxonomy fragment.
	for _, line := range strings.Split(summaries(johnID)["summary.txt"], "\n") {
		kinds, ok := strings.CutPrefix(line, "Kinds of data: ")
		if !ok {
			continue
		}
		rest := kinds
		for _, cat := range s.Product.Controller.Categories {
			rest = strings.ReplaceAll(rest, cat.Name, "")
		}
		if strings.Trim(strings.ReplaceAll(rest, " and ", ""), ", .") != "" {
			t.Errorf("John's summary names kinds of data %q: %q is none of the controller's categories", kinds, rest)
		}
	}
	check("John's answer", c.answer(johnID), notDone, nil)
}
