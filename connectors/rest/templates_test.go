package rest_test

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
)

// openTemplate opens a ready template against a fake of its API: its base_url becomes the fake's, and
// edits (old, new pairs) are applied first.
func openTemplate(t *testing.T, file, url string, env map[string]string, edits ...string) connectors.Runner {
	t.Helper()
	data, err := os.ReadFile("templates/" + file)
	if err != nil {
		t.Fatal(err)
	}
	yaml := regexp.MustCompile(`(?m)^(\s*base_url:) .*$`).ReplaceAllString(string(data), "$1 "+url)
	for i := 0; i+1 < len(edits); i += 2 {
		if !strings.Contains(yaml, edits[i]) {
			t.Fatalf("%s does not hold %q", file, edits[i])
		}
		yaml = strings.Replace(yaml, edits[i], edits[i+1], 1)
	}
	return openYAML(t, yaml, env)
}

func jobFor(conn string, action dsrflow.Action, email string) connectors.Job {
	j := job(action, dsrflow.Identity{Email: email}, "email")
	j.ID, j.Connector = "r_1:"+conn+":"+string(action), conn
	return j
}

// hubspot fakes the CRM v3 contacts endpoints the template uses.
type hubspot struct {
	mu        sync.Mutex
	contacts  map[string]map[string]any // id -> properties
	searches  int
	throttled bool
	afters    []string
}

func (h *hubspot) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer pat-na1-test" {
		connectors.WriteJSON(w, http.StatusUnauthorized, map[string]any{"status": "error", "category": "INVALID_AUTHENTICATION"})
		return
	}
	var body map[string]any
	_ = json.NewDecoder(r.Body).Decode(&body)
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/crm/v3/objects/contacts/search":
		h.searches++
		if h.searches == 2 && !h.throttled {
			// The search endpoints' secondly limit: 429, no Retry-After.
			h.throttled = true
			connectors.WriteJSON(w, http.StatusTooManyRequests, map[string]any{"status": "error", "errorType": "RATE_LIMIT", "policyName": "SECONDLY"})
			return
		}
		f := body["filterGroups"].([]any)[0].(map[string]any)["filters"].([]any)[0].(map[string]any)
		if f["propertyName"] != "email" || f["operator"] != "EQ" {
			connectors.WriteJSON(w, http.StatusBadRequest, map[string]any{"status": "error", "category": "VALIDATION_ERROR"})
			return
		}
		var ids []string
		for id, p := range h.contacts {
			if strings.EqualFold(p["email"].(string), f["value"].(string)) {
				ids = append(ids, id)
			}
		}
		slices.Sort(ids)
		limit := int(body["limit"].(float64))
		start := 0
		if a, ok := body["after"].(string); ok {
			h.afters = append(h.afters, a)
			start, _ = strconv.Atoi(a)
		}
		end := min(start+limit, len(ids))
		results := []any{}
		for _, id := range ids[start:end] {
			results = append(results, map[string]any{"id": id, "properties": h.contacts[id], "archived": false})
		}
		out := map[string]any{"total": len(ids), "results": results}
		if end < len(ids) {
			out["paging"] = map[string]any{"next": map[string]any{"after": strconv.Itoa(end)}}
		}
		connectors.WriteJSON(w, http.StatusOK, out)
	case r.Method == http.MethodPost && r.URL.Path == "/crm/v3/objects/contacts/gdpr-delete":
		id, _ := body["objectId"].(string)
		if _, ok := h.contacts[id]; !ok {
			connectors.WriteJSON(w, http.StatusNotFound, map[string]any{"status": "error", "category": "OBJECT_NOT_FOUND"})
			return
		}
		delete(h.contacts, id)
		w.WriteHeader(http.StatusNoContent)
	case r.Method == http.MethodPatch && strings.HasPrefix(r.URL.Path, "/crm/v3/objects/contacts/"):
		id := strings.TrimPrefix(r.URL.Path, "/crm/v3/objects/contacts/")
		p, ok := h.contacts[id]
		if !ok {
			connectors.WriteJSON(w, http.StatusNotFound, map[string]any{"status": "error", "category": "OBJECT_NOT_FOUND"})
			return
		}
		for k, v := range body["properties"].(map[string]any) {
			p[k] = v
		}
		connectors.WriteJSON(w, http.StatusOK, map[string]any{"id": id, "properties": p})
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

func TestHubSpotTemplate(t *testing.T) {
	h := &hubspot{contacts: map[string]map[string]any{}}
	for i := 101; i <= 105; i++ {
		h.contacts[strconv.Itoa(i)] = map[string]any{"email": "Jane@Example.com", "firstname": "Jane", "lastname": "Doe", "phone": "+47 400 00 000", "hs_object_id": strconv.Itoa(i)}
	}
	h.contacts["200"] = map[string]any{"email": "john@example.com", "firstname": "John"}
	srv := httptest.NewServer(h)
	defer srv.Close()
	// A page of two, so that Jane's five contacts take three pages.
	r := openTemplate(t, "hubspot-contacts.yaml", srv.URL, map[string]string{"HUBSPOT_TOKEN": "pat-na1-test"}, "limit: 100", "limit: 2")

	res, err := r.Run(context.Background(), jobFor("hubspot", dsrflow.ActionAccess, "jane@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Records) != 5 || res.Records[0].Fields["properties.firstname"] != "Jane" || res.Records[0].Categories["properties.email"] != "user.contact.email" {
		t.Fatalf("got %d records: %+v", len(res.Records), res.Records)
	}
	if !h.throttled || !slices.Equal(h.afters, []string{"2", "4"}) {
		t.Errorf("throttled %v, after cursors %v; want a 429 retried and pages after 2 and 4", h.throttled, h.afters)
	}

	j := jobFor("hubspot", dsrflow.ActionRectify, "jane@example.com")
	j.Corrections = map[string]string{"user.contact.phone": "+47 999 99 999", "user.name": "Jane Smith"}
	res, err = r.Run(context.Background(), j)
	if err != nil {
		t.Fatal(err)
	}
	if res.Counts["rectified"] != 5 || h.contacts["101"]["phone"] != "+47 999 99 999" || h.contacts["101"]["email"] != "Jane@Example.com" {
		t.Errorf("rectify: %v %v", res.Counts, h.contacts["101"])
	}
	if i := slices.IndexFunc(res.Items, func(it connectors.ItemResult) bool { return it.Item == "user.name" }); i < 0 || res.Items[i].Outcome != connectors.ItemNotPossible {
		t.Errorf("a name correction: %+v, want not_possible", res.Items)
	}

	res, err = r.Run(context.Background(), jobFor("hubspot", dsrflow.ActionErase, "jane@example.com"))
	if err != nil || res.Counts["deleted"] != 5 || len(h.contacts) != 1 {
		t.Errorf("erase: %v %v %v; left %d contacts", res.Status, res.Counts, err, len(h.contacts))
	}
}

// zendesk fakes the Support users endpoints the template uses: search is a substring match, as a
// full-text search is loose.
type zendesk struct {
	mu      sync.Mutex
	users   []map[string]any
	deleted map[float64]bool // soft-deleted ids
	pages   []string
	calls   int
}

func (z *zendesk) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	z.mu.Lock()
	defer z.mu.Unlock()
	if u, p, ok := r.BasicAuth(); !ok || u != "dsrflow@example.com/token" || p != "zd-token" {
		connectors.WriteJSON(w, http.StatusUnauthorized, map[string]any{"error": "Couldn't authenticate you"})
		return
	}
	z.calls++
	if z.calls == 1 {
		w.Header().Set("Retry-After", "1")
		connectors.WriteJSON(w, http.StatusTooManyRequests, map[string]any{"error": "APIRateLimitExceeded"})
		return
	}
	find := func(id string) int {
		n, _ := strconv.ParseFloat(id, 64)
		return slices.IndexFunc(z.users, func(u map[string]any) bool { return u["id"] == n })
	}
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/api/v2/users/search":
		q := r.URL.Query()
		page, _ := strconv.Atoi(q.Get("page"))
		per, _ := strconv.Atoi(q.Get("per_page"))
		z.pages = append(z.pages, q.Get("page"))
		var hits []map[string]any
		for _, u := range z.users {
			if !z.deleted[u["id"].(float64)] && strings.Contains(u["email"].(string), q.Get("query")) {
				hits = append(hits, u)
			}
		}
		start := min((page-1)*per, len(hits))
		end := min(start+per, len(hits))
		out := map[string]any{"users": append([]map[string]any{}, hits[start:end]...), "count": len(hits), "next_page": nil, "previous_page": nil}
		if end < len(hits) {
			out["next_page"] = "https://example.zendesk.com/api/v2/users/search.json?page=" + strconv.Itoa(page+1)
		}
		connectors.WriteJSON(w, http.StatusOK, out)
	case r.Method == http.MethodDelete && strings.HasPrefix(r.URL.Path, "/api/v2/users/"):
		i := find(strings.TrimPrefix(r.URL.Path, "/api/v2/users/"))
		if i < 0 || z.deleted[z.users[i]["id"].(float64)] {
			connectors.WriteJSON(w, http.StatusNotFound, map[string]any{"error": "RecordNotFound"})
			return
		}
		z.deleted[z.users[i]["id"].(float64)] = true
		connectors.WriteJSON(w, http.StatusOK, map[string]any{"user": z.users[i]})
	case r.Method == http.MethodDelete && strings.HasPrefix(r.URL.Path, "/api/v2/deleted_users/"):
		i := find(strings.TrimPrefix(r.URL.Path, "/api/v2/deleted_users/"))
		if i < 0 || !z.deleted[z.users[i]["id"].(float64)] {
			connectors.WriteJSON(w, http.StatusNotFound, map[string]any{"error": "RecordNotFound"})
			return
		}
		z.users = slices.Delete(z.users, i, i+1)
		connectors.WriteJSON(w, http.StatusOK, map[string]any{"deleted_user": map[string]any{}})
	case r.Method == http.MethodPut && strings.HasPrefix(r.URL.Path, "/api/v2/users/"):
		i := find(strings.TrimPrefix(r.URL.Path, "/api/v2/users/"))
		var body struct {
			User map[string]any `json:"user"`
		}
		if i < 0 || json.NewDecoder(r.Body).Decode(&body) != nil {
			connectors.WriteJSON(w, http.StatusNotFound, map[string]any{"error": "RecordNotFound"})
			return
		}
		for k, v := range body.User {
			z.users[i][k] = v
		}
		connectors.WriteJSON(w, http.StatusOK, map[string]any{"user": z.users[i]})
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

func TestZendeskTemplate(t *testing.T) {
	z := &zendesk{deleted: map[float64]bool{}, users: []map[string]any{
		{"id": 11.0, "email": "jane@example.com", "name": "Jane Doe", "phone": nil, "notes": "VIP", "role": "end-user"},
		{"id": 12.0, "email": "maryjane@example.com", "name": "Mary Jane", "role": "end-user"},
		{"id": 13.0, "email": "jane@example.com.invalid", "name": "Someone Else", "role": "end-user"},
		{"id": 14.0, "email": "john@example.com", "name": "John Roe", "role": "end-user"},
	}}
	srv := httptest.NewServer(z)
	defer srv.Close()
	// A page of one, so that the search's three hits take three pages and a fourth, empty one.
	r := openTemplate(t, "zendesk-users.yaml", srv.URL, map[string]string{"ZENDESK_API_TOKEN": "zd-token"}, "limit: 100", "limit: 1")

	start := time.Now()
	res, err := r.Run(context.Background(), jobFor("zendesk", dsrflow.ActionAccess, "jane@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	if time.Since(start) < time.Second {
		t.Errorf("the 429's Retry-After of 1 s was not waited for")
	}
	if len(res.Records) != 1 || res.Records[0].Fields["name"] != "Jane Doe" || res.Records[0].Fields["notes"] != "VIP" {
		t.Fatalf("records %+v, want Jane's alone (the search's near matches are someone else's)", res.Records)
	}
	if _, ok := res.Records[0].Fields["phone"]; ok {
		t.Errorf("a null field was returned: %+v", res.Records[0].Fields)
	}
	if !slices.Equal(z.pages, []string{"1", "2", "3", "4"}) {
		t.Errorf("pages %v", z.pages)
	}

	res, err = r.Run(context.Background(), jobFor("zendesk", dsrflow.ActionErase, "jane@example.com"))
	if err != nil || res.Counts["deleted"] != 1 {
		t.Fatalf("erase: %v %v %v", res.Status, res.Counts, err)
	}
	if len(z.users) != 3 || slices.ContainsFunc(z.users, func(u map[string]any) bool { return u["email"] == "jane@example.com" }) {
		t.Errorf("users left %v, want Jane permanently deleted and no one else", z.users)
	}
}

// mailchimp fakes the Marketing API 3.0 endpoints the template uses, and refuses an 11th connection.
type mailchimp struct {
	mu       sync.Mutex
	members  map[string]map[string]any // list_id/hash -> member
	inFlight atomic.Int32
	most     atomic.Int32
	failOnce bool
}

func subscriberHash(email string) string {
	sum := md5.Sum([]byte(strings.ToLower(email)))
	return hex.EncodeToString(sum[:])
}

func (m *mailchimp) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := m.inFlight.Add(1)
	defer m.inFlight.Add(-1)
	for {
		most := m.most.Load()
		if n <= most || m.most.CompareAndSwap(most, n) {
			break
		}
	}
	if n > 10 {
		connectors.WriteJSON(w, http.StatusTooManyRequests, map[string]any{"title": "Too Many Requests", "status": 429})
		return
	}
	time.Sleep(20 * time.Millisecond)
	if _, key, ok := r.BasicAuth(); !ok || key != "mc-key-us21" {
		connectors.WriteJSON(w, http.StatusUnauthorized, map[string]any{"title": "API Key Invalid", "status": 401})
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	body, _ := io.ReadAll(r.Body)
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/3.0/"), "/")
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/3.0/search-members":
		q := strings.ToLower(r.URL.Query().Get("query"))
		exact, full := []any{}, []any{}
		for _, mem := range m.members {
			switch addr := mem["email_address"].(string); {
			case strings.ToLower(addr) == q:
				exact = append(exact, mem)
			case strings.Contains(strings.ToLower(addr), strings.Split(q, "@")[0]):
				full = append(full, mem)
			}
		}
		connectors.WriteJSON(w, http.StatusOK, map[string]any{
			"exact_matches": map[string]any{"members": exact, "total_items": len(exact)},
			"full_search":   map[string]any{"members": full, "total_items": len(full)},
		})
	case len(parts) >= 4 && parts[0] == "lists" && parts[2] == "members":
		key := parts[1] + "/" + parts[3]
		mem, ok := m.members[key]
		if !ok {
			connectors.WriteJSON(w, http.StatusNotFound, map[string]any{"title": "Resource Not Found", "status": 404})
			return
		}
		switch {
		case r.Method == http.MethodPost && len(parts) == 6 && parts[4] == "actions" && parts[5] == "delete-permanent":
			if !m.failOnce {
				m.failOnce = true
				connectors.WriteJSON(w, http.StatusInternalServerError, map[string]any{"title": "Internal Server Error", "status": 500})
				return
			}
			delete(m.members, key)
			w.WriteHeader(http.StatusNoContent)
		case r.Method == http.MethodPatch && len(parts) == 4:
			var patch map[string]any
			_ = json.Unmarshal(body, &patch)
			for k, v := range patch {
				mem[k] = v
			}
			connectors.WriteJSON(w, http.StatusOK, mem)
		default:
			w.WriteHeader(http.StatusMethodNotAllowed)
		}
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

func TestMailchimpTemplate(t *testing.T) {
	m := &mailchimp{members: map[string]map[string]any{}}
	add := func(list, email, name string) {
		h := subscriberHash(email)
		m.members[list+"/"+h] = map[string]any{"id": h, "list_id": list, "email_address": email, "full_name": name,
			"status": "subscribed", "merge_fields": map[string]any{"FNAME": strings.Split(name, " ")[0], "PHONE": ""}, "ip_signup": "192.0.2.1"}
	}
	add("a1b2c3", "Jane@Example.com", "Jane Doe")
	add("d4e5f6", "Jane@Example.com", "Jane Doe")
	add("a1b2c3", "jane.doe@example.com", "Jane Other")
	srv := httptest.NewServer(m)
	defer srv.Close()
	r := openTemplate(t, "mailchimp-members.yaml", srv.URL, map[string]string{"MAILCHIMP_API_KEY": "mc-key-us21"})

	// Jobs at once stay within the template's five connections.
	var wg sync.WaitGroup
	results := make([]connectors.Result, 8)
	errs := make([]error, 8)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = r.Run(context.Background(), jobFor("mailchimp", dsrflow.ActionAccess, "jane@example.com"))
		}()
	}
	wg.Wait()
	for i, res := range results {
		if errs[i] != nil || len(res.Records) != 2 {
			t.Fatalf("access %d: %v, %d records (want Jane's two memberships)", i, errs[i], len(res.Records))
		}
	}
	if most := m.most.Load(); most > 5 {
		t.Errorf("%d calls at once, want at most the template's 5", most)
	}
	rec := results[0].Records[0]
	if rec.Fields["status"] != "subscribed" || rec.Categories["ip_signup"] != "user.device.ip_address" || rec.Fields["merge_fields.FNAME"] != "Jane" {
		t.Errorf("record %+v", rec)
	}
	if _, ok := rec.Fields["list_id"]; ok {
		t.Errorf("a key that is not a field was returned: %+v", rec.Fields)
	}

	res, err := r.Run(context.Background(), jobFor("mailchimp", dsrflow.ActionOptout, "jane@example.com"))
	if err != nil || res.Counts["opted_out"] != 2 || m.members["a1b2c3/"+subscriberHash("jane@example.com")]["status"] != "unsubscribed" {
		t.Fatalf("optout: %v %v %v", res.Status, res.Counts, err)
	}
	res, err = r.Run(context.Background(), jobFor("mailchimp", dsrflow.ActionErase, "jane@example.com"))
	if err != nil || res.Counts["deleted"] != 2 {
		t.Fatalf("erase: %v %v %v", res.Status, res.Counts, err)
	}
	if len(m.members) != 1 || !m.failOnce {
		t.Errorf("members left %d (want the other Jane alone); the 500 was answered: %v", len(m.members), m.failOnce)
	}
}
