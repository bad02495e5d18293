package rest_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
	_ "github.com/dsrflow/dsrflow/connectors/kinds"
)

// crm is a fake SaaS API: contacts found by email or phone, a page of two at a time with a cursor,
// deleted or patched by id. It checks a bearer token, and can be told to answer 429 or 500 first.
type crm struct {
	t        *testing.T
	mu       sync.Mutex
	contacts []map[string]any
	token    string

	throttle  int             // answer this many calls 429 first
	retryWait int             // their Retry-After, seconds
	fail      int             // answer this many calls 500 first
	gone      map[string]bool // DELETE answers 404: already deleted elsewhere, though still listed
	reject    map[string]bool // PATCH and DELETE answer 422
	calls     []string        // method and path of each call that got through
	throttled time.Time
	bodies    [][]byte
	paths     []string // raw paths
}

func newCRM(t *testing.T) (*crm, *httptest.Server) {
	c := &crm{t: t, token: "tok-1", gone: map[string]bool{}, reject: map[string]bool{}}
	for i := 1; i <= 5; i++ {
		c.contacts = append(c.contacts, map[string]any{"id": i, "email": "jane@example.com", "name": "Jane Doe " + strconv.Itoa(i), "phone": "+47 400 00 000", "internal_score": 42})
	}
	c.contacts = append(c.contacts, map[string]any{"id": 9, "email": "john@example.com", "name": "John Roe", "phone": "+47 400 00 009"})
	srv := httptest.NewServer(c)
	t.Cleanup(srv.Close)
	return c, srv
}

func (c *crm) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	body, _ := io.ReadAll(r.Body)
	if r.Header.Get("Authorization") != "Bearer "+c.token {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if c.throttle > 0 {
		c.throttle--
		c.throttled = time.Now()
		w.Header().Set("Retry-After", strconv.Itoa(c.retryWait))
		w.WriteHeader(http.StatusTooManyRequests)
		return
	}
	if c.fail > 0 {
		c.fail--
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	c.calls = append(c.calls, r.Method+" "+r.URL.Path)
	c.bodies = append(c.bodies, body)
	c.paths = append(c.paths, r.URL.EscapedPath())
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/v1/contacts":
		q := r.URL.Query()
		match := []map[string]any{}
		for _, ct := range c.contacts {
			if (q.Get("email") != "" && ct["email"] == q.Get("email")) || (q.Get("phone") != "" && ct["phone"] == q.Get("phone")) {
				match = append(match, ct)
			}
		}
		start, _ := strconv.Atoi(q.Get("cursor"))
		end := min(start+2, len(match))
		page := map[string]any{"data": map[string]any{"items": match[start:end]}}
		if end < len(match) {
			page["next"] = strconv.Itoa(end)
		}
		connectors.WriteJSON(w, http.StatusOK, page)
	case strings.HasPrefix(r.URL.Path, "/v1/contacts/"):
		id := strings.TrimPrefix(r.URL.Path, "/v1/contacts/")
		i := slices.IndexFunc(c.contacts, func(ct map[string]any) bool { return strconv.Itoa(ct["id"].(int)) == id })
		if i < 0 || c.gone[id] {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		if c.reject[id] {
			w.WriteHeader(http.StatusUnprocessableEntity)
			return
		}
		switch r.Method {
		case http.MethodDelete:
			c.contacts = slices.Delete(c.contacts, i, i+1)
			w.WriteHeader(http.StatusNoContent)
		case http.MethodPatch:
			var patch map[string]any
			if err := json.Unmarshal(body, &patch); err != nil {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			for k, v := range patch {
				c.contacts[i][k] = v
			}
			connectors.WriteJSON(w, http.StatusOK, c.contacts[i])
		default:
			w.WriteHeader(http.StatusMethodNotAllowed)
		}
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

// crmYAML is a rest connector for the fake CRM; erase is the dataset's erase: request.
func crmYAML(url, erase string) string {
	return `connectors:
  - id: crm
    owner: Example Sales AS
    role: subsidiary
    kind: rest
    actions: [access, erase, rectify, optout]
    identities: [email, phone]
    categories: [user.contact.email, user.contact.phone, user.name]
    base_url: ` + url + `
    auth: {type: bearer, token_env: CRM_TOKEN}
    rate_limit: {rps: 50, burst: 10, concurrency: 2}
    retries: 3
    datasets:
      - name: contacts
        read:
          path: /v1/contacts
          query: {email: "{{email}}"}
        records: data.items
        pagination: {type: cursor, param: cursor, next: next}
        fields: {email: user.contact.email, name: user.name, phone: user.contact.phone}
        erase: ` + erase + `
        rectify:
          method: PATCH
          path: /v1/contacts/{{record.id}}
          body: {name: "{{correction.user.name}}", phone: "{{correction.user.contact.phone}}"}
        optout:
          method: PATCH
          path: /v1/contacts/{{record.id}}
          body: {marketing: "off"}
      - name: contacts_by_phone
        read:
          path: /v1/contacts
          query: {phone: "{{phone}}"}
        records: data.items
        pagination: {type: cursor, param: cursor, next: next}
        fields: {phone: user.contact.phone}
        erase: {mode: delete, path: "/v1/contacts/{{record.id}}"}
`
}

const eraseByDelete = `{mode: delete, path: "/v1/contacts/{{record.id}}"}`

const eraseByMask = `
          mode: mask
          method: PATCH
          path: /v1/contacts/{{record.id}}
          body: {name: "[erased]", email: "erased-{{record.id}}@example.invalid", phone: null}`

func openYAML(t *testing.T, yaml string, env map[string]string) connectors.Runner {
	t.Helper()
	getenv := func(k string) string { return env[k] }
	reg, err := connectors.Parse([]byte(yaml), getenv)
	if err != nil {
		t.Fatal(err)
	}
	conns := reg.List()
	if len(conns) != 1 {
		t.Fatalf("%d connectors", len(conns))
	}
	r, err := connectors.Open(context.Background(), conns[0], connectors.Env{Getenv: getenv})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r
}

var crmEnv = map[string]string{"CRM_TOKEN": "tok-1"}

func job(action dsrflow.Action, id dsrflow.Identity, verified ...string) connectors.Job {
	j := connectors.Job{Protocol: connectors.ProtocolVersion, ID: "r_1:crm:" + string(action), RequestID: "r_1", Connector: "crm",
		Action: action, Identities: id, Verified: verified, Deadline: time.Now().Add(time.Hour)}
	return j
}

var jane = dsrflow.Identity{Email: "jane@example.com"}
