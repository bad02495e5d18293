package web

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/service/fake"
)

// The transparency report page shows a totals line and the requests neither refused nor complied with,
// and links its CSV download; the download answers the CLI's columns (totals included) as a text/csv
// attachment named by the year, through the service, as the DPO; anyone else is refused as on the page.
func TestConsoleTransparencyReportCSV(t *testing.T) {
	ss := newSessionServer(t)
	svc := &fake.RequestService{}
	ss.Service = svc
	var years []int
	var callers []string
	svc.TransparencyReportFn = func(ctx context.Context, year int) (dsrflow.TransparencyReport, error) {
		years = append(years, year)
		p, _ := dsrflow.PrincipalFrom(ctx)
		callers = append(callers, p.ID)
		return dsrflow.TransparencyReport{Year: year, Authorities: []dsrflow.TransparencyRow{
			{Country: "NO", Received: 4, RefusedNoOrder: 1, Complied: 1, Subjects: 2, Categories: []string{"user.contact"}},
			{Country: "SE", Received: 2, RefusedOnReview: 1, Complied: 1, Subjects: 1, Categories: []string{"user.contact", "user.name"}},
		}}, nil
	}
	dpo := ss.signIn(t, ss.createToken(t, "dora", RoleDPO))

	page := unlabelled(body(t, ss.do("GET", "/console/reports/transparency?year=2026", dpo, nil)))
	for _, want := range []string{`<a href="/console/reports/transparency.csv?year=2026" download>Download CSV</a>`,
		`<th scope="col">Open or canceled</th>`,
		`<tr><td>NO</td><td>4</td><td>1</td><td>0</td><td>1</td><td>2</td><td>user.contact</td><td>2</td></tr>`,
		`<tfoot><tr><th scope="row">Total</th><td>6</td><td>1</td><td>1</td><td>2</td><td>3</td><td>user.contact, user.name</td><td>2</td></tr></tfoot>`} {
		if !strings.Contains(page, want) {
			t.Errorf("the report page lacks %q", want)
		}
	}

	resp := ss.do("GET", "/console/reports/transparency.csv?year=2026", dpo, nil)
	csv := body(t, resp)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" ||
		resp.Header.Get("Content-Disposition") != `attachment; filename="transparency-report-2026.csv"` || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("download: %d %v", resp.StatusCode, resp.Header)
	}
	want := "country,received,refused_no_order,refused_on_review,complied,subjects,categories,open_or_canceled\n" +
		"NO,4,1,0,1,2,user.contact,2\n" +
		"SE,2,0,1,1,1,user.contact;user.name,0\n" +
		"total,6,1,1,2,3,user.contact;user.name,2\n"
	if csv != want {
		t.Errorf("the CSV is\n%s\nwant\n%s", csv, want)
	}
	if len(years) != 2 || years[1] != 2026 || callers[1] != "token:dora" {
		t.Errorf("the service was asked for years %v as %v", years, callers)
	}

	if resp := ss.do("GET", "/console/reports/transparency.csv?year=last", dpo, nil); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("download of year=last: %d, want 400", resp.StatusCode)
	}
	for _, role := range []string{RoleAgent, RoleReviewer} {
		cookie := ss.signIn(t, ss.createToken(t, "x"+role, role))
		for _, path := range []string{"/console/reports/transparency?year=2026", "/console/reports/transparency.csv?year=2026"} {
			if resp := ss.do("GET", path, cookie, nil); resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s as %s: %d, want 403", path, role, resp.StatusCode)
			}
		}
	}
	if resp := ss.do("GET", "/console/reports/transparency.csv?year=2026", "", nil); resp.StatusCode != http.StatusSeeOther ||
		!strings.HasPrefix(resp.Header.Get("Location"), "/console/signin") {
		t.Errorf("download signed out: %d %s, want the sign-in", resp.StatusCode, resp.Header.Get("Location"))
	}
	if len(years) != 2 {
		t.Errorf("the service was reached %d times, want 2 (the refused calls must not reach it)", len(years))
	}
}

// With no authority request in the year, the page says so and offers no download; the CSV is the header.
func TestConsoleTransparencyReportEmpty(t *testing.T) {
	ss := newSessionServer(t)
	svc := &fake.RequestService{}
	ss.Service = svc
	svc.TransparencyReportFn = func(_ context.Context, year int) (dsrflow.TransparencyReport, error) {
		return dsrflow.TransparencyReport{Year: year}, nil
	}
	dpo := ss.signIn(t, ss.createToken(t, "dora", RoleDPO))
	page := body(t, ss.do("GET", "/console/reports/transparency?year=2025", dpo, nil))
	if !strings.Contains(page, "No authority request was received in 2025.") || strings.Contains(page, "Download CSV") {
		t.Error("the empty report page does not say so, or offers a download")
	}
	if csv := body(t, ss.do("GET", "/console/reports/transparency.csv?year=2025", dpo, nil)); csv != "country,received,refused_no_order,refused_on_review,complied,subjects,categories,open_or_canceled\n" {
		t.Errorf("empty CSV %q", csv)
	}
}

// dataLabel is a stacked table cell's column name (for phones), which the tests of a row's cells leave out.
var dataLabel = regexp.MustCompile(` data-label="[^"]*"`)

// unlabelled is the page without its cells' data-label attributes.
func unlabelled(page string) string { return dataLabel.ReplaceAllString(page, "") }
