package sdk

import (
	"context"
	"maps"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
)

// billing is a connector author's system: customers by key, found by email or billing customer id. Its
// handler matches on ANY identity it is given, as every connector did before identity binding.
type billing struct {
	customers map[string]dsrflow.Identity // key -> the customer's own identity
	invoices  map[string]string           // key -> invoice text
	useExtra  bool                        // find through sdk.Subjects
	seen      []dsrflow.Identity
}

func (b *billing) find(_ context.Context, id dsrflow.Identity) ([]string, error) {
	var out []string
	for _, key := range slices.Sorted(maps.Keys(b.customers)) {
		c := b.customers[key]
		if (id.Email != "" && id.Email == c.Email) || (id.CustomerIDs["billing"] != "" && id.CustomerIDs["billing"] == key) ||
			(id.Phone != "" && id.Phone == c.Phone) {
			out = append(out, key)
		}
	}
	return out, nil
}

func (b *billing) Access(ctx context.Context, job connectors.Job) (connectors.Result, error) {
	b.seen = append(b.seen, job.Identities)
	var keys []string
	var err error
	if b.useExtra {
		keys, err = Subjects(ctx, job, b.find)
	} else {
		keys, err = b.find(ctx, job.Identities)
	}
	if err != nil {
		return connectors.Result{}, err
	}
	if len(keys) == 0 {
		return connectors.Result{Status: connectors.StatusNotFound}, nil
	}
	var recs []connectors.Record
	for _, k := range keys {
		recs = append(recs, connectors.Record{Dataset: "invoices", Fields: map[string]string{"invoice": b.invoices[k]}})
	}
	return connectors.Result{Status: connectors.StatusCompleted, Records: recs}, nil
}

func newBilling(useExtra bool) *billing {
	return &billing{
		customers: map[string]dsrflow.Identity{
			"B-jane": {Email: "jane.doe@example.com", Phone: "+47 400 00 000"},
			"B-john": {Email: "john.roe@example.com", Phone: "+47 400 00 001"},
		},
		invoices: map[string]string{"B-jane": "INV-1001 Jane Doe", "B-john": "INV-1044 John Roe"},
		useExtra: useExtra,
	}
}

// submit sends the job over real HTTP with dsrflow's own client, as the worker does.
func submit(t *testing.T, b *billing, id dsrflow.Identity, verified []string) connectors.Result {
	t.Helper()
	h, err := Actions(b)
	if err != nil {
		t.Fatal(err)
	}
	s := New(Options{Secret: secret}, h)
	defer s.Close()
	srv := httptest.NewServer(s)
	defer srv.Close()
	conn := connectors.Endpoint{ID: "billing", URL: srv.URL, Secret: secret, Timeout: 5 * time.Second, Concurrency: 1}
	job := connectors.Job{Protocol: connectors.ProtocolVersion, ID: "r_x:billing:access", RequestID: "r_x", Connector: "billing",
		Action: dsrflow.ActionAccess, Identities: id, Verified: verified, Deadline: time.Now().Add(time.Hour)}
	var c connectors.Client
	res, err := c.Submit(context.Background(), conn, job)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func hasJohn(res connectors.Result) bool {
	return slices.ContainsFunc(res.Records, func(r connectors.Record) bool { return r.Fields["invoice"] == "INV-1044 John Roe" })
}

var attacker = dsrflow.Identity{Email: "attacker2@example.com", CustomerIDs: map[string]string{"billing": "B-john"}}

// The attack of issue 14 against a connector built on the SDK: verified attacker2@example.com with
// --customer-id billing=B-john.
func TestSDKForeignCustomerID(t *testing.T) {
	// A handler that uses the extra identifiers through Subjects answers identity_conflict.
	res := submit(t, newBilling(true), attacker, []string{dsrflow.IdentityEmail})
	if res.Status != connectors.StatusIdentityConflict || len(res.Records) != 0 {
		t.Fatalf("with Subjects: %+v, want identity_conflict and no records", res)
	}

	// A handler written before binding, matching on whatever Identities hold, is handed the verified
	// email only: it finds nobody, and never John.
	naive := newBilling(false)
	res = submit(t, naive, attacker, []string{dsrflow.IdentityEmail})
	if hasJohn(res) || res.Status != connectors.StatusNotFound {
		t.Fatalf("naive handler: %+v", res)
	}
	if got := naive.seen[0]; got.Email != "attacker2@example.com" || len(got.CustomerIDs) != 0 {
		t.Fatalf("the handler was given unverified identities: %+v", got)
	}

	// The phone variant.
	res = submit(t, newBilling(true), dsrflow.Identity{Email: "attacker2@example.com", Phone: "+47 400 00 001"}, []string{dsrflow.IdentityEmail})
	if res.Status != connectors.StatusIdentityConflict || hasJohn(res) {
		t.Fatalf("foreign phone: %+v", res)
	}
}

// Extra identifiers of the verified person confirm her record; a job from a dsrflow that names no
// verified identities trusts them all, as before.
func TestSDKOwnExtraIdentifiersAndOlderJobs(t *testing.T) {
	own := dsrflow.Identity{Email: "jane.doe@example.com", Phone: "+47 400 00 000", CustomerIDs: map[string]string{"billing": "B-jane"}}
	res := submit(t, newBilling(true), own, []string{dsrflow.IdentityEmail})
	if res.Status != connectors.StatusCompleted || len(res.Records) != 1 || res.Records[0].Fields["invoice"] != "INV-1001 Jane Doe" {
		t.Fatalf("own identifiers: %+v", res)
	}
	// An extra identifier nobody holds is ignored.
	unknown := dsrflow.Identity{Email: "jane.doe@example.com", CustomerIDs: map[string]string{"billing": "B-nobody"}}
	if res := submit(t, newBilling(true), unknown, []string{dsrflow.IdentityEmail}); res.Status != connectors.StatusCompleted || len(res.Records) != 1 {
		t.Fatalf("unknown extra identifier: %+v", res)
	}
	// No verified list (an older dsrflow): every identity selects.
	if res := submit(t, newBilling(true), attacker, nil); !hasJohn(res) {
		t.Fatalf("older job: %+v", res)
	}
}

// A handler's own identity_conflict result cannot carry records: the SDK refuses it.
func TestSDKConflictCarriesNoRecords(t *testing.T) {
	bad := HandlerFunc(func(context.Context, connectors.Job) (connectors.Result, error) {
		return connectors.Result{Status: connectors.StatusIdentityConflict, Records: []connectors.Record{{Dataset: "x", Fields: map[string]string{"a": "b"}}}}, nil
	})
	s := New(Options{Secret: secret}, bad)
	defer s.Close()
	j := job("r9")
	j.Verified = []string{dsrflow.IdentityEmail}
	if code, body := postJob(t, s, j); code != 500 || body["records"] != nil {
		t.Fatalf("conflict with records: %d %v", code, body)
	}
}
