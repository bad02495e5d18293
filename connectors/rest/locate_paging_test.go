package rest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
)

// tenantPages is a fake processor API that lists the tenants holding an address in pages: by a cursor
// in the answer, a Link header, an offset or a page number (the last two in the query, or the offset
// in a POST body). Jane is in seven tenant entries: three pages of three, three and one; t-b is on the
// first two pages, t-f alone on the last.
type tenantPages struct {
	mu    sync.Mutex
	list  []string
	calls []string
	srv   *httptest.Server
}

func newTenantPages(t *testing.T) *tenantPages {
	p := &tenantPages{list: []string{"t-a", "t-b", "t-c", "t-b", "t-d", "t-e", "t-f"}}
	p.srv = httptest.NewServer(p)
	t.Cleanup(p.srv.Close)
	return p
}

func (p *tenantPages) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls = append(p.calls, r.Method+" "+r.URL.RequestURI())
	q := r.URL.Query()
	email := q.Get("email")
	var body map[string]any
	if r.Method == http.MethodPost {
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		email, _ = body["email"].(string)
	}
	var list []string
	if email == "jane@example.com" {
		list = p.list
	}
	// page returns n entries from from, as the API's objects.
	page := func(from, n int) []any {
		out := []any{}
		for _, id := range list[min(from, len(list)):min(from+n, len(list))] {
			out = append(out, map[string]any{"id": id, "name": "the customer's own name"})
		}
		return out
	}
	number := func(s string) int { n, _ := strconv.Atoi(s); return n }
	switch r.URL.Path {
	case "/cursor":
		from := number(strings.TrimPrefix(q.Get("cursor"), "c"))
		data := map[string]any{"tenants": page(from, 3)}
		if from+3 < len(list) {
			data["next_cursor"] = fmt.Sprintf("c%d", from+3)
		}
		connectors.WriteJSON(w, http.StatusOK, map[string]any{"data": data})
	case "/link":
		from := number(q.Get("from"))
		if from+3 < len(list) {
			w.Header().Set("Link", fmt.Sprintf(`<%s/link?email=%s&from=%d>; rel="next"`, p.srv.URL, url.QueryEscape(email), from+3))
		}
		connectors.WriteJSON(w, http.StatusOK, page(from, 3))
	case "/offset":
		connectors.WriteJSON(w, http.StatusOK, map[string]any{"tenants": page(number(q.Get("offset")), number(q.Get("limit")))})
	case "/page":
		n := number(q.Get("per_page"))
		connectors.WriteJSON(w, http.StatusOK, map[string]any{"tenants": page((number(q.Get("page"))-1)*n, n)})
	case "/search":
		off, _ := body["offset"].(float64)
		n, _ := body["limit"].(float64)
		connectors.WriteJSON(w, http.StatusOK, map[string]any{"tenants": page(int(off), int(n))})
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

func (p *tenantPages) callsSoFar() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.calls)
}

// tenantPagesYAML is payrollRestYAML with the fake's tenants, the given locate: block, and extra at
// the connector's level.
func tenantPagesYAML(url, locate, extra string) string {
	yaml := payrollRestYAML(url)
	for _, edit := range [][2]string{
		{"    tenants:\n      t-acme: acme\n      t-nordlys: nordlys\n",
			extra + "    tenants: {t-a: acme, t-b: nordlys, t-c: fjord, t-d: acme, t-e: vidde, t-f: polar}\n"},
		{"    locate:\n      path: /v1/tenants\n      query: {email: \"{{email}}\"}\n      results: data.tenants\n      tenant: id\n",
			"    locate:\n" + locate + "\n"},
	} {
		if !strings.Contains(yaml, edit[0]) {
			panic("payrollRestYAML changed: " + edit[0])
		}
		yaml = strings.Replace(yaml, edit[0], edit[1], 1)
	}
	return yaml
}

// locateBlocks are a locate: request per pagination type, each reading the fake's three pages.
var locateBlocks = []struct{ name, block string }{
	{"cursor", `      path: /cursor
      query: {email: "{{email}}"}
      results: data.tenants
      pagination: {type: cursor, param: cursor, next: data.next_cursor}`},
	{"link", `      path: /link
      query: {email: "{{email}}"}
      pagination: {type: link}`},
	{"offset", `      path: /offset
      query: {email: "{{email}}"}
      results: tenants
      pagination: {type: offset, param: offset, limit_param: limit, limit: 3}`},
	{"page", `      path: /page
      query: {email: "{{email}}"}
      results: tenants
      pagination: {type: page, param: page, limit_param: per_page, limit: 3}`},
	{"offset in body", `      method: POST
      path: /search
      body: {email: "{{email}}"}
      results: tenants
      pagination: {type: offset, in: body, param: offset, limit_param: limit, limit: 3}`},
}

// A processor API that pages its tenant list has every page read: the tenant on the last page is
// found, and the tenant on two pages is answered once.
func TestRestLocateReadsEveryPage(t *testing.T) {
	want := []connectors.TenantHolding{
		{Tenant: "t-a", Customer: "acme"}, {Tenant: "t-b", Customer: "nordlys"}, {Tenant: "t-c", Customer: "fjord"},
		{Tenant: "t-d", Customer: "acme"}, {Tenant: "t-e", Customer: "vidde"}, {Tenant: "t-f", Customer: "polar"},
	}
	for _, lb := range locateBlocks {
		t.Run(lb.name, func(t *testing.T) {
			api := newTenantPages(t)
			r := openYAML(t, tenantPagesYAML(api.srv.URL, lb.block, ""), nil)
			res, err := r.Run(context.Background(), payrollJob(dsrflow.ActionLocate, ""))
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != connectors.StatusCompleted || !slices.Equal(res.Tenants, want) || res.Counts["tenants"] != 6 || len(res.Records) != 0 {
				t.Fatalf("locate = %+v, want the six tenants of the three pages, t-b once, t-f from the last page", res)
			}
			if err := res.Validate(res.JobID); err != nil {
				t.Fatalf("the locate result breaks protocol v1: %v", err)
			}
			if calls := api.callsSoFar(); len(calls) != 3 {
				t.Errorf("calls %v, want the three pages", calls)
			}
			nobody := payrollJob(dsrflow.ActionLocate, "")
			nobody.Identities = dsrflow.Identity{Email: "nobody@example.com"}
			if res, err := r.Run(context.Background(), nobody); err != nil || res.Status != connectors.StatusNotFound || len(res.Tenants) != 0 {
				t.Errorf("locate of nobody = %+v %v, want not_found", res, err)
			}
		})
	}
}

// The pages' requests: each carries the identity and the pagination's parameters.
func TestRestLocatePageRequests(t *testing.T) {
	for _, tc := range []struct {
		block int
		want  []string
	}{
		{0, []string{"GET /cursor?email=jane%40example.com", "GET /cursor?cursor=c3&email=jane%40example.com", "GET /cursor?cursor=c6&email=jane%40example.com"}},
		{2, []string{"GET /offset?email=jane%40example.com&limit=3&offset=0", "GET /offset?email=jane%40example.com&limit=3&offset=3", "GET /offset?email=jane%40example.com&limit=3&offset=6"}},
		{3, []string{"GET /page?email=jane%40example.com&page=1&per_page=3", "GET /page?email=jane%40example.com&page=2&per_page=3", "GET /page?email=jane%40example.com&page=3&per_page=3"}},
	} {
		lb := locateBlocks[tc.block]
		t.Run(lb.name, func(t *testing.T) {
			api := newTenantPages(t)
			r := openYAML(t, tenantPagesYAML(api.srv.URL, lb.block, ""), nil)
			if _, err := r.Run(context.Background(), payrollJob(dsrflow.ActionLocate, "")); err != nil {
				t.Fatal(err)
			}
			if got := api.callsSoFar(); !slices.Equal(got, tc.want) {
				t.Errorf("calls\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// More pages than max_pages fail the job for a person, naming the setting, and answer no tenant: a
// partial list would leave the customers on the pages not read untold.
func TestRestLocateBeyondMaxPagesFails(t *testing.T) {
	for _, lb := range locateBlocks {
		t.Run(lb.name, func(t *testing.T) {
			api := newTenantPages(t)
			block := strings.Replace(lb.block, "pagination: {type: ", "pagination: {max_pages: 2, type: ", 1)
			if block == lb.block {
				t.Fatal("the edit changed nothing")
			}
			r := openYAML(t, tenantPagesYAML(api.srv.URL, block, ""), nil)
			res, err := r.Run(context.Background(), payrollJob(dsrflow.ActionLocate, ""))
			var ce *connectors.CallError
			if !errors.As(err, &ce) || !ce.Permanent || !strings.Contains(err.Error(), "more tenants than 2 pages hold") ||
				!strings.Contains(err.Error(), "raise pagination.max_pages") {
				t.Fatalf("locate over max_pages: %v, want a permanent failure naming pagination.max_pages", err)
			}
			if len(res.Tenants) != 0 || res.Status == connectors.StatusCompleted {
				t.Errorf("locate over max_pages answered %+v, want no tenant", res)
			}
			if calls := api.callsSoFar(); len(calls) != 2 {
				t.Errorf("calls %v, want the two pages max_pages allows", calls)
			}
		})
	}
	// Without its own max_pages, locate takes the connector's.
	api := newTenantPages(t)
	r := openYAML(t, tenantPagesYAML(api.srv.URL, locateBlocks[0].block, "    max_pages: 2\n"), nil)
	if _, err := r.Run(context.Background(), payrollJob(dsrflow.ActionLocate, "")); err == nil || !strings.Contains(err.Error(), "more tenants than 2 pages hold") {
		t.Errorf("locate over the connector's max_pages: %v", err)
	}
	// Exactly max_pages pages, the last without a next page, is the whole list.
	api = newTenantPages(t)
	r = openYAML(t, tenantPagesYAML(api.srv.URL, locateBlocks[0].block, "    max_pages: 3\n"), nil)
	if res, err := r.Run(context.Background(), payrollJob(dsrflow.ActionLocate, "")); err != nil || len(res.Tenants) != 6 {
		t.Errorf("locate in exactly max_pages pages = %+v %v, want the six tenants", res, err)
	}
}

// A tenant tenants: does not map on a later page fails the job as on the first, saying which page, and
// naming neither the subject nor the tenant.
func TestRestLocateUnmappedTenantOnPageTwoFails(t *testing.T) {
	for _, lb := range locateBlocks {
		t.Run(lb.name, func(t *testing.T) {
			api := newTenantPages(t)
			api.list[4] = "t-unmapped"
			r := openYAML(t, tenantPagesYAML(api.srv.URL, lb.block, ""), nil)
			res, err := r.Run(context.Background(), payrollJob(dsrflow.ActionLocate, ""))
			var ce *connectors.CallError
			if !errors.As(err, &ce) || !ce.Permanent || !strings.Contains(err.Error(), "locate: page 2: the answer names a tenant that tenants: does not map") {
				t.Fatalf("an unmapped tenant on page 2: %v, want a permanent failure naming tenants: and the page", err)
			}
			if strings.Contains(err.Error(), "jane") || strings.Contains(err.Error(), "t-unmapped") {
				t.Errorf("the error names the subject or the tenant: %v", err)
			}
			if len(res.Tenants) != 0 {
				t.Errorf("answered %v beside the failure", res.Tenants)
			}
		})
	}
}

// A locate answer without the list at results: fails, on any page, rather than passing for "no
// tenant": an API that changed its shape must not hide the customers.
func TestRestLocateAnswerWithoutTheListFails(t *testing.T) {
	api := newTenantPages(t)
	block := strings.Replace(locateBlocks[2].block, "results: tenants", "results: data.tenants", 1)
	r := openYAML(t, tenantPagesYAML(api.srv.URL, block, ""), nil)
	_, err := r.Run(context.Background(), payrollJob(dsrflow.ActionLocate, ""))
	if err == nil || !strings.Contains(err.Error(), "locate: the answer holds no list at results path data.tenants") {
		t.Fatalf("got %v", err)
	}
}

// Bad pagination under locate: gives the errors it gives under a dataset, with the line of the key
// under locate.pagination.
func TestRestLocatePaginationConfigErrors(t *testing.T) {
	base := payrollRestYAML("https://payroll.example")
	const at = "      tenant: id\n" // line 16: pagination: goes on line 17, its keys from 18 (a missing key: 17)
	for _, tc := range []struct {
		name, pagination string
		want             []string
	}{
		{"cursor without next", "      pagination: {type: cursor, param: cursor}\n",
			[]string{"connectors.yaml:17: connector payroll: locate: pagination: next is required for type cursor"}},
		{"offset without its page size", "      pagination:\n        type: offset\n        param: offset\n        limit: 0\n",
			[]string{"connectors.yaml:17: connector payroll: locate: pagination: limit_param is required for type offset",
				"connectors.yaml:20: connector payroll: locate: pagination: limit (the page size) must be at least 1"}},
		{"unknown type", "      pagination:\n        type: pages\n",
			[]string{`connectors.yaml:18: connector payroll: locate: pagination: type must be none, cursor, link, offset or page, not "pages"`}},
		{"in body without a body", "      pagination:\n        type: link\n        in: body\n",
			[]string{"connectors.yaml:19: connector payroll: locate: pagination: in: body needs the request to have a body mapping"}},
		{"max_pages negative", "      pagination:\n        type: link\n        max_pages: -1\n",
			[]string{"connectors.yaml:19: connector payroll: locate: pagination: max_pages must be positive"}},
		{"unknown key", "      pagination:\n        type: cursor\n        param: cursor\n        nxt: next\n",
			[]string{`connectors.yaml:20: connector payroll: locate.pagination: unknown field "nxt"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			yaml := strings.Replace(base, at, at+tc.pagination, 1)
			if yaml == base {
				t.Fatal("the edit changed nothing")
			}
			_, err := connectors.Parse([]byte(yaml), func(string) string { return "" })
			for _, w := range tc.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("error =\n%v\nwant it to contain\n%s", err, w)
				}
			}
			// A locate: that is there, but refused, is not also reported missing.
			if err != nil && strings.Contains(err.Error(), "needs locate") {
				t.Errorf("a refused locate: is also called missing:\n%v", err)
			}
			// The same block under the dataset gives the same message, naming the dataset.
			dyaml := strings.Replace(base, "        records: items\n", "        records: items\n"+strings.ReplaceAll(tc.pagination, "      ", "        "), 1)
			_, derr := connectors.Parse([]byte(dyaml), func(string) string { return "" })
			for _, w := range tc.want {
				_, msg, _ := strings.Cut(w, "locate: pagination: ")
				if msg == "" {
					continue // an unknown key is reported by the decoder, with its own path
				}
				if derr == nil || !strings.Contains(derr.Error(), "dataset employees: pagination: "+msg) {
					t.Errorf("under the dataset, error =\n%v\nwant it to say %s", derr, msg)
				}
			}
		})
	}
	// A good pagination under locate passes.
	good := strings.Replace(base, at, at+"      pagination: {type: page, param: page, limit_param: per_page, limit: 100, max_pages: 50}\n", 1)
	if _, err := connectors.Parse([]byte(good), func(string) string { return "" }); err != nil {
		t.Errorf("a good locate pagination is refused: %v", err)
	}
}
