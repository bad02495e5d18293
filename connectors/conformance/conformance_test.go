package conformance_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/connectors/conformance"
	"github.com/dsrflow/dsrflow/connectors/demo"
)

func failed(results []conformance.Result) []string {
	var names []string
	for _, r := range results {
		if !r.Passed {
			names = append(names, r.Name)
		}
	}
	return names
}

// foreign are identifiers of subjects the demo systems hold, by system: the binding check's.
var foreign = map[string]dsrflow.Identity{
	"billing":    {CustomerIDs: map[string]string{"billing": "B-john"}},
	"crm":        {Phone: "+47 400 00 001"},
	"recruiting": {Phone: "+47 400 00 002"},
}

func TestEveryDemoConnectorConforms(t *testing.T) {
	d, err := demo.Start(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })

	for _, conn := range d.Registry().List() {
		t.Run(conn.ID, func(t *testing.T) {
			t.Parallel()
			action := dsrflow.ActionAccess
			switch {
			case conn.Role == connectors.RoleProcessor:
				action = dsrflow.ActionLocate // a processor answers locate; it acts only in a tenant, on instruction
			case !slices.Contains(conn.Actions, action):
				action = dsrflow.ActionOptout // the partner: it takes notify and optout
			}
			// No Connector: guessed from the URL's last segment, as the demo's path prefix is its id. Foreign
			// identifiers are John's (Ola's in recruiting, which does not hold John).
			ep, _ := conn.Endpoint()
			results := conformance.Run(context.Background(), conformance.Target{URL: ep.URL, Secret: ep.Secret, Action: action, Foreign: foreign[conn.ID]})
			if len(results) != len(conformance.Checks) {
				t.Fatalf("%d results for %d checks", len(results), len(conformance.Checks))
			}
			for _, r := range results {
				if !r.Passed {
					t.Errorf("%s failed: %s", r.Name, r.Detail)
				}
			}
			for _, r := range results {
				if r.Name == "foreign_identifier_conflicts" && (foreign[conn.ID].Types() != nil) == strings.HasPrefix(r.Detail, "not checked") {
					t.Errorf("foreign identifier %v but %s says %q", foreign[conn.ID].Types(), r.Name, r.Detail)
				}
			}
			// The async demo systems must have been polled, not waved through as "not applicable".
			async := conn.ID == "recruiting" || conn.ID == "webinars"
			for _, r := range results {
				if r.Name == "accepted_job_reaches_final" && async == strings.HasPrefix(r.Detail, "not applicable") {
					t.Errorf("async=%v but %s says %q", async, r.Name, r.Detail)
				}
			}
		})
	}
}

// broken is a connector with one deliberate fault.
type broken struct {
	secret           []byte
	ignoreSignatures bool // acts on unsigned and forged jobs
	forgetful        bool // runs a repeated job again instead of answering from what it stored
	crashOnMalformed bool // answers 500 where 4xx is due
	anyAction        bool // answers not_found to actions it does not know
	matchesAny       bool // finds a customer by any identity given, verified or not

	mu      sync.Mutex
	runs    int
	answers map[string]connectors.Result
}

func (b *broken) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/jobs" {
		connectors.WriteError(w, http.StatusNotFound, "no such route")
		return
	}
	var body []byte
	var err error
	if b.ignoreSignatures {
		body, err = io.ReadAll(r.Body)
	} else {
		body, err = connectors.ReadSigned(r, b.secret, connectors.MaxJobBytes, time.Now())
	}
	if err != nil {
		connectors.WriteError(w, connectors.SignatureStatus(err), "refused")
		return
	}
	malformed := http.StatusBadRequest
	if b.crashOnMalformed {
		malformed = http.StatusInternalServerError
	}
	var job connectors.Job
	if err := json.Unmarshal(body, &job); err != nil || job.Validate() != nil {
		connectors.WriteError(w, malformed, "bad job")
		return
	}
	if job.Action != dsrflow.ActionAccess && !b.anyAction {
		connectors.WriteError(w, malformed, "unsupported action")
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if res, ok := b.answers[job.ID]; ok && !b.forgetful {
		connectors.WriteJSON(w, http.StatusOK, res)
		return
	}
	b.runs++
	res := connectors.Result{JobID: job.ID, Status: connectors.StatusNotFound, Detail: fmt.Sprintf("lookup %d", b.runs)}
	if job.Identities.CustomerIDs["crm"] == "C-9" { // the one customer it holds, whose email is not given
		if b.matchesAny || job.Verified == nil || slices.Contains(job.Verified, "customer_id:crm") {
			res.Status, res.Records = connectors.StatusCompleted, []connectors.Record{{Dataset: "customers", Fields: map[string]string{"name": "John Roe"}}}
		} else {
			res.Status, res.Detail = connectors.StatusIdentityConflict, "an identifier is someone else's"
		}
	}
	if b.answers == nil {
		b.answers = map[string]connectors.Result{}
	}
	b.answers[job.ID] = res
	connectors.WriteJSON(w, http.StatusOK, res)
}

// customerC9 is a customer the broken connector holds.
var customerC9 = dsrflow.Identity{CustomerIDs: map[string]string{"crm": "C-9"}}

func TestBrokenConnectorsFailTheirChecks(t *testing.T) {
	secret := []byte(strings.Repeat("s", 32))
	cases := []struct {
		name string
		conn *broken
		want []string
	}{
		{"sound", &broken{}, nil},
		{"ignores signatures", &broken{ignoreSignatures: true},
			[]string{"rejects_unsigned", "rejects_forged_signature", "rejects_stale_timestamp"}},
		{"not idempotent", &broken{forgetful: true}, []string{"same_job_same_answer"}},
		{"500 to malformed jobs", &broken{crashOnMalformed: true},
			[]string{"invalid_json_is_4xx", "missing_job_id_is_4xx", "unknown_action_is_4xx"}},
		{"answers unknown actions", &broken{anyAction: true}, []string{"unknown_action_is_4xx"}},
		{"matches unverified identifiers", &broken{matchesAny: true}, []string{"foreign_identifier_conflicts"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.conn.secret = secret
			srv := httptest.NewServer(c.conn)
			defer srv.Close()
			results := conformance.Run(context.Background(), conformance.Target{URL: srv.URL, Secret: secret, Foreign: customerC9})
			if got := failed(results); !slices.Equal(got, c.want) {
				t.Errorf("failed checks %v, want %v", got, c.want)
				for _, r := range results {
					t.Logf("%s %v: %s", r.Name, r.Passed, r.Detail)
				}
			}
		})
	}
}

func TestWrongSecretFailsEveryCheckThatNeedsASignature(t *testing.T) {
	b := &broken{secret: []byte(strings.Repeat("s", 32))}
	srv := httptest.NewServer(b)
	defer srv.Close()
	results := conformance.Run(context.Background(), conformance.Target{URL: srv.URL, Secret: []byte(strings.Repeat("x", 32)), Foreign: customerC9})
	for _, r := range results {
		rejection := strings.HasPrefix(r.Name, "rejects_")
		if r.Passed != rejection {
			t.Errorf("%s passed=%v with the wrong secret: %s", r.Name, r.Passed, r.Detail)
		}
		if !rejection && !strings.Contains(r.Detail, "401") {
			t.Errorf("%s does not say the connector answered 401: %s", r.Name, r.Detail)
		}
	}
}

// The connector here answers 202 to every job and 404 to every poll: it loses what it accepted.
func TestAcceptedJobThatIsForgottenFails(t *testing.T) {
	secret := []byte(strings.Repeat("s", 32))
	srv := httptest.NewServer(connectors.RequireSignature(secret, connectors.MaxJobBytes, nil, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			connectors.WriteError(w, http.StatusNotFound, "unknown job")
			return
		}
		var job connectors.Job
		_ = json.NewDecoder(r.Body).Decode(&job)
		connectors.WriteJSON(w, http.StatusAccepted, connectors.Ack{JobID: job.ID, Status: connectors.StatusAccepted})
	})))
	defer srv.Close()
	r := conformance.AcceptedJobReachesFinal(context.Background(), conformance.Target{URL: srv.URL, Secret: secret})
	if r.Passed || !strings.Contains(r.Detail, "404") {
		t.Errorf("got %+v, want a failure naming the 404", r)
	}
}

func TestGuessConnector(t *testing.T) {
	for url, want := range map[string]string{
		"http://127.0.0.1:8080/crm":            "crm",
		"https://x.example.com/dsrflow/crm-2/": "crm-2",
		"https://x.example.com":                "conformance",
		"https://x.example.com/API":            "conformance",
	} {
		if got := conformance.GuessConnector(url); got != want {
			t.Errorf("GuessConnector(%q) = %q, want %q", url, got, want)
		}
	}
}

func TestParseIdentities(t *testing.T) {
	id, err := conformance.ParseIdentities([]string{"phone=+47 400 00 000", "customer_id:crm=C-9", "email=a=b@example.invalid"})
	if err != nil {
		t.Fatal(err)
	}
	if id.Phone != "+47 400 00 000" || id.CustomerIDs["crm"] != "C-9" || id.Email != "a=b@example.invalid" {
		t.Errorf("got %+v", id)
	}
	for _, bad := range []string{"email", "email=", "customer_id=C-9", "ssn=1"} {
		if _, err := conformance.ParseIdentities([]string{bad}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
