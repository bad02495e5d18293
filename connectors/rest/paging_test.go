package rest_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
)

// tickets is a fake API of seven tickets of one requester, paged by a Link header, by offset and
// limit, and listed by update time for purges.
func tickets(t *testing.T) (*httptest.Server, *[]string) {
	var calls []string
	ids := []int{1, 2, 3, 4, 5, 6, 7}
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls = append(calls, r.Method+" "+r.URL.RequestURI())
		q := r.URL.Query()
		page := func(from, n int) []any {
			out := []any{}
			for _, id := range ids[min(from, len(ids)):min(from+n, len(ids))] {
				out = append(out, map[string]any{"id": id, "requester": "jane@example.com", "subject": fmt.Sprintf("ticket %d", id)})
			}
			return out
		}
		switch {
		case r.URL.Path == "/linked" && q.Get("requester") == "jane@example.com":
			from, _ := strconv.Atoi(q.Get("from"))
			if from+3 < len(ids) {
				w.Header().Set("Link", fmt.Sprintf(`<%s/linked?requester=jane%%40example.com&from=%d>; rel="next", <%s/linked>; rel="first"`, srv.URL, from+3, srv.URL))
			}
			connectors.WriteJSON(w, http.StatusOK, page(from, 3))
		case r.URL.Path == "/offset" && q.Get("requester") == "jane@example.com":
			off, _ := strconv.Atoi(q.Get("offset"))
			n, _ := strconv.Atoi(q.Get("limit"))
			connectors.WriteJSON(w, http.StatusOK, map[string]any{"tickets": page(off, n)})
		case r.URL.Path == "/stale" && q.Get("updated_before") != "":
			connectors.WriteJSON(w, http.StatusOK, map[string]any{"tickets": page(0, 2)})
		case r.Method == http.MethodDelete:
			w.WriteHeader(http.StatusNoContent)
		default:
			connectors.WriteJSON(w, http.StatusOK, []any{})
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func ticketsYAML(url, read string) string {
	return `connectors:
  - id: desk
    owner: Example Support AS
    role: subsidiary
    kind: rest
    actions: [access, purge]
    identities: [email]
    categories: [user.contact.email, user.content]
    retention: [{category: user.content, age: 24 months, activity_field: updated_at}]
    base_url: ` + url + `
    datasets:
      - name: tickets
` + read + `
        fields: {requester: user.contact.email, subject: user.content}
        purge_read: {path: /stale, query: {updated_before: "{{cutoff}}"}}
        purge: {path: "/tickets/{{record.id}}", method: DELETE}
`
}

func TestLinkHeaderPagination(t *testing.T) {
	srv, calls := tickets(t)
	r := openYAML(t, ticketsYAML(srv.URL, `        read: {path: /linked, query: {requester: "{{email}}"}}
        pagination: {type: link}`), nil)
	res, err := r.Run(context.Background(), job(dsrflow.ActionAccess, jane, "email"))
	if err != nil || len(res.Records) != 7 || len(*calls) != 3 {
		t.Fatalf("%v %d records in %d calls (%v), want 7 in 3", err, len(res.Records), len(*calls), *calls)
	}
}

func TestLinkToAnotherHostIsRefused(t *testing.T) {
	other, _ := tickets(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "<"+other.URL+`/linked?from=3>; rel="next"`)
		connectors.WriteJSON(w, http.StatusOK, []any{map[string]any{"id": 1, "requester": "jane@example.com"}})
	}))
	defer srv.Close()
	r := openYAML(t, ticketsYAML(srv.URL, `        read: {path: /linked, query: {requester: "{{email}}"}}
        pagination: {type: link}`), nil)
	_, err := r.Run(context.Background(), job(dsrflow.ActionAccess, jane, "email"))
	if err == nil || !strings.Contains(err.Error(), "not on the API's host") {
		t.Errorf("got %v", err)
	}
}

func TestOffsetPagination(t *testing.T) {
	srv, calls := tickets(t)
	r := openYAML(t, ticketsYAML(srv.URL, `        read: {path: /offset, query: {requester: "{{email}}"}}
        records: tickets
        pagination: {type: offset, param: offset, limit_param: limit, limit: 3}`), nil)
	res, err := r.Run(context.Background(), job(dsrflow.ActionAccess, jane, "email"))
	if err != nil || len(res.Records) != 7 {
		t.Fatalf("%v %d records", err, len(res.Records))
	}
	want := []string{"GET /offset?limit=3&offset=0&requester=jane%40example.com", "GET /offset?limit=3&offset=3&requester=jane%40example.com", "GET /offset?limit=3&offset=6&requester=jane%40example.com"}
	if strings.Join(*calls, "\n") != strings.Join(want, "\n") {
		t.Errorf("calls\n%s\nwant\n%s", strings.Join(*calls, "\n"), strings.Join(want, "\n"))
	}
}

func TestPurgeDeletesWhatIsPastTheCutoff(t *testing.T) {
	srv, calls := tickets(t)
	r := openYAML(t, ticketsYAML(srv.URL, `        read: {path: /offset, query: {requester: "{{email}}"}}
        records: tickets`), nil)
	cutoff := time.Date(2024, 3, 2, 0, 0, 0, 0, time.UTC)
	j := connectors.Job{Protocol: connectors.ProtocolVersion, ID: "ret_1:desk:purge", RequestID: "ret_1", Connector: "desk", Action: dsrflow.ActionPurge, Cutoff: &cutoff}
	res, err := r.Run(context.Background(), j)
	if err != nil || res.Status != connectors.StatusCompleted || res.Counts["purged"] != 2 {
		t.Fatalf("%v %v %v", res.Status, res.Counts, err)
	}
	if (*calls)[0] != "GET /stale?updated_before=2024-03-02T00%3A00%3A00Z" || (*calls)[1] != "DELETE /tickets/1" || (*calls)[2] != "DELETE /tickets/2" {
		t.Errorf("calls %v", *calls)
	}
}
