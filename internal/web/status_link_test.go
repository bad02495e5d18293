package web

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/store"
)

// putClosedRequest stores a request of type typ that closed at closed, with an export valid for the
// download window when it has one.
func putClosedRequest(t *testing.T, ss *sessionServer, id, typ, status string, closed time.Time, export bool) {
	t.Helper()
	ctx := context.Background()
	received := closed.AddDate(0, 0, -3)
	r := store.Request{ID: id, Type: dsrflow.RequestType(typ), Status: dsrflow.Status(status), Country: "NO", Jurisdiction: "gdpr", ReceivedAt: received,
		DueAt: received.AddDate(0, 1, 0), ClosedAt: &closed, SubjectKey: ss.Key.SubjectKey(id + "@example.com")}
	if err := ss.st.PutRequest(ctx, r); err != nil {
		t.Fatal(err)
	}
	if err := ss.st.PutRequestDetail(ctx, store.RequestDetail{RequestID: id, Identity: []byte(`{"email":"` + id + `@example.com"}`)}); err != nil {
		t.Fatal(err)
	}
	if export {
		// As activities.Answer stores it: valid for the window from the answer, the date the mail names.
		if err := ss.st.PutExport(ctx, store.Export{RequestID: id, Data: []byte("zip"), CreatedAt: closed,
			ExpiresAt: closed.Add(dsrflow.DeadlinePolicy.ExportValidFor)}); err != nil {
			t.Fatal(err)
		}
	}
}

func (ss *sessionServer) statusPage(t *testing.T, id, token string) (int, string) {
	t.Helper()
	resp := ss.do("GET", "/privacy/requests/"+id+"?t="+url.QueryEscape(token), "", nil)
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// The attack: a status token from a request answered 8 days ago (a forwarded mail, an old inbox) must
// not produce an export link; the page says the link has ended and how to ask again, exactly as it
// answers a made-up token.
func TestStatusLinkEndsWithTheDownloadWindow(t *testing.T) {
	ss := newSessionServer(t)
	answered := ss.now
	putClosedRequest(t, ss, "dsr_access", "access", "completed", answered, true)
	token := ss.Key.StatusToken("dsr_access")

	// Within the window: the page offers a download, and the link it mints ends with the window.
	ss.now = answered.Add(6 * 24 * time.Hour)
	code, page := ss.statusPage(t, "dsr_access", token)
	if code != http.StatusOK || !strings.Contains(page, "/exports/dsr_access?") {
		t.Fatalf("status page 6 days after the answer: %d, offers a download: %v", code, strings.Contains(page, "/exports/"))
	}
	ss.now = answered.Add(7*24*time.Hour - 30*time.Minute)
	_, page = ss.statusPage(t, "dsr_access", token)
	i := strings.Index(page, "/exports/dsr_access?")
	if i < 0 {
		t.Fatal("no download half an hour before the window ends")
	}
	link, _, _ := strings.Cut(page[i:], `"`)
	q, err := url.ParseQuery(strings.ReplaceAll(strings.SplitN(link, "?", 2)[1], "&amp;", "&"))
	if err != nil {
		t.Fatal(err)
	}
	end := answered.Add(dsrflow.DeadlinePolicy.ExportValidFor)
	if !ss.Key.CheckExportLink("dsr_access", q.Get("expires"), q.Get("sig"), end.Add(-time.Second)) ||
		ss.Key.CheckExportLink("dsr_access", q.Get("expires"), q.Get("sig"), end.Add(time.Second)) {
		t.Errorf("the minted export link does not end with the download window (%s)", end)
	}

	// 8 days after: the status link has ended.
	ss.now = answered.Add(8 * 24 * time.Hour)
	code, page = ss.statusPage(t, "dsr_access", token)
	if code != http.StatusNotFound || strings.Contains(page, "/exports/") {
		t.Fatalf("status page 8 days after the answer: %d, offers a download: %v", code, strings.Contains(page, "/exports/"))
	}
	if !strings.Contains(page, "make a new request at the privacy center") || !strings.Contains(page, `href="/privacy"`) {
		t.Error("the ended link does not say how to ask again")
	}
	unknownCode, unknown := ss.statusPage(t, "dsr_access", strings.Repeat("0", len(token)))
	if unknownCode != code || unknown != page {
		t.Error("an expired status link and a made-up one are answered differently")
	}
	// The download route refuses too, whatever link the subject kept.
	exp := ss.Key.ExportLink("dsr_access", ss.now.Add(time.Hour))
	if resp := ss.do("GET", "/exports/dsr_access?"+exp, "", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("export 8 days after the answer, with a freshly signed link: %d", resp.StatusCode)
	}

	// A request without an export ends the same time after it closed; an open request's link lasts.
	putClosedRequest(t, ss, "dsr_erasure", "erasure", "completed", answered, false)
	if code, _ := ss.statusPage(t, "dsr_erasure", ss.Key.StatusToken("dsr_erasure")); code != http.StatusNotFound {
		t.Errorf("erasure closed 8 days ago: status page %d, want 404", code)
	}
	open := store.Request{ID: "dsr_open", Type: "access", Status: "fulfilling", Country: "NO", Jurisdiction: "gdpr",
		ReceivedAt: answered.AddDate(0, 0, -20), DueAt: answered.AddDate(0, 0, 10), SubjectKey: ss.Key.SubjectKey("open@example.com")}
	if err := ss.st.PutRequest(context.Background(), open); err != nil {
		t.Fatal(err)
	}
	if code, _ := ss.statusPage(t, "dsr_open", ss.Key.StatusToken("dsr_open")); code != http.StatusOK {
		t.Errorf("open request received 28 days ago: status page %d, want 200", code)
	}
}
