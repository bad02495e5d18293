package demo

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
)

func purgeJob(conn connectors.Connector, request string, cutoff time.Time) connectors.Job {
	return connectors.Job{
		Protocol: connectors.ProtocolVersion, ID: connectors.JobID(request, conn.ID, dsrflow.ActionPurge), RequestID: request,
		Connector: conn.ID, Action: dsrflow.ActionPurge, Cutoff: &cutoff, Deadline: time.Now().Add(24 * time.Hour),
	}
}

// leadActivity returns the last_activity dates of the subject's leads, sorted.
func leadActivity(t *testing.T, c *connectors.Client, crm connectors.Connector, id dsrflow.Identity) []string {
	t.Helper()
	res := do(t, c, crm, newJob(crm, "req-look-"+time.Now().Format("150405.000000000"), dsrflow.ActionAccess, id))
	var out []string
	for _, r := range res.Records {
		if r.Dataset == "leads" {
			out = append(out, r.Fields["last_activity"])
		}
	}
	slices.Sort(out)
	return out
}

// TestCRMPurgeDeletesOnlyLeadsPastTheirPeriod sweeps the crm with the policy's 24-month cutoff: the
// leads last active 30 (jane), 27 (john) and 26 (kari) months ago go; jane's 2-month lead, ola's 5-month
// lead and, without the job's contact flag, every contact stay. The same job again acts once; a later sweep with nothing due purges nothing.
func TestCRMPurgeDeletesOnlyLeadsPastTheirPeriod(t *testing.T) {
	d := start(t, t.TempDir())
	var c connectors.Client
	crm, _ := d.Registry().Get("crm")
	if !crm.Supports(dsrflow.ActionPurge) || len(crm.Retention) != 1 || crm.Retention[0].Category != catLead ||
		crm.Retention[0].Age != (connectors.Age{Months: 24}) || crm.Retention[0].ActivityField != "last_activity" {
		t.Fatalf("crm's registry entry: actions %v, retention %+v", crm.Actions, crm.Retention)
	}
	now := time.Now().UTC()
	recent := func(monthsAgo int) string { return now.AddDate(0, -monthsAgo, 0).Format(time.DateOnly) }
	if got, want := leadActivity(t, &c, crm, jane), []string{recent(30), recent(2)}; !slices.Equal(got, want) {
		t.Fatalf("jane's leads before: %v, want %v", got, want)
	}

	job := purgeJob(crm, "retention-20260302", crm.Retention[0].Age.Cutoff(now))
	for range 2 {
		res := do(t, &c, crm, job)
		if res.Status != connectors.StatusCompleted || res.Counts["purged"] != 3 {
			t.Fatalf("purge = %+v, want completed with 3 purged", res)
		}
	}

	if got, want := leadActivity(t, &c, crm, jane), []string{recent(2)}; !slices.Equal(got, want) {
		t.Fatalf("jane's leads after: %v, want %v", got, want)
	}
	if got := leadActivity(t, &c, crm, dsrflow.Identity{Email: johnEmail}); len(got) != 0 {
		t.Fatalf("john's 27-month lead survived: %v", got)
	}
	if got, want := leadActivity(t, &c, crm, dsrflow.Identity{Email: olaEmail}), []string{recent(5)}; !slices.Equal(got, want) {
		t.Fatalf("ola's leads after: %v, want %v", got, want)
	}
	res := do(t, &c, crm, newJob(crm, "req-contact", dsrflow.ActionAccess, jane))
	contact := res.Records[0]
	if contact.Dataset != "contacts" || contact.Fields["email"] != janeEmail || contact.Fields["name"] != "Jane Doe" || contact.Fields["phone"] == "" {
		t.Fatalf("jane's contact after the sweep: %+v", contact)
	}

	next := do(t, &c, crm, purgeJob(crm, "retention-20260303", crm.Retention[0].Age.Cutoff(now)))
	if next.Status != connectors.StatusCompleted || next.Counts["purged"] != 0 {
		t.Fatalf("second day's sweep = %+v, want 0 purged", next)
	}
	effects, err := d.Effects()
	if err != nil {
		t.Fatal(err)
	}
	if effects[job.ID] != 1 || effects[connectors.JobID("retention-20260303", "crm", dsrflow.ActionPurge)] != 0 {
		t.Fatalf("effects %v: want the first sweep once, the empty one never", effects)
	}
}

// TestPurgeNeedsACutoffAndSupport: a purge without cutoff is refused by the protocol, and a system that
// declares no retention and keeps nothing does not purge.
func TestPurgeNeedsACutoffAndSupport(t *testing.T) {
	d := start(t, t.TempDir())
	var c connectors.Client
	crm, _ := d.Registry().Get("crm")
	job := purgeJob(crm, "retention-20260302", time.Now())
	job.Cutoff = nil
	_, err := c.Submit(context.Background(), endpoint(crm), job)
	var ce *connectors.CallError
	if !errors.As(err, &ce) || !ce.Permanent {
		t.Fatalf("purge without cutoff: %#v", err)
	}
	forum, _ := d.Registry().Get("forum")
	_, err = c.Submit(context.Background(), endpoint(forum), purgeJob(forum, "retention-20260302", time.Now()))
	if !errors.As(err, &ce) || !ce.Permanent || ce.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("purge on forum: %#v", err)
	}
}

// TestCRMPurgeTakesTheWholeMarketingContact: a purge under the marketing rule (Job.Contact) takes the
// contact whose last lead went with it — john's contact data and consents — keeps jane's (she has a
// recent lead) and kari's, who is also a customer, and says why kari's stays.
func TestCRMPurgeTakesTheWholeMarketingContact(t *testing.T) {
	d := start(t, t.TempDir())
	var c connectors.Client
	crm, _ := d.Registry().Get("crm")
	job := purgeJob(crm, "retention-20260302", crm.Retention[0].Age.Cutoff(time.Now().UTC()))
	job.Contact = true
	res := do(t, &c, crm, job)
	if res.Status != connectors.StatusCompleted || res.Counts["purged"] != 3 || res.Counts["contacts_purged"] != 1 || res.Counts["contacts_kept"] != 1 {
		t.Fatalf("purge = %+v, want 3 leads, 1 contact purged, 1 kept", res)
	}
	if len(res.Exemptions) != 1 || res.Exemptions[0].Basis != "contract" || res.Exemptions[0].Detail != "the contact is also a customer's (purchase and delivery)" {
		t.Fatalf("exemptions %+v, want the customer relationship", res.Exemptions)
	}
	john := do(t, &c, crm, newJob(crm, "req-john-after", dsrflow.ActionAccess, dsrflow.Identity{Email: johnEmail}))
	if john.Status != connectors.StatusNotFound {
		t.Fatalf("john after the sweep: %+v, want nothing held (contact, consents and lead gone)", john)
	}
	for _, email := range []string{janeEmail, kariEmail} {
		res := do(t, &c, crm, newJob(crm, "req-after-"+email[:4], dsrflow.ActionAccess, dsrflow.Identity{Email: email}))
		if res.Status != connectors.StatusCompleted || res.Records[0].Dataset != "contacts" || res.Records[0].Fields["email"] != email {
			t.Fatalf("%s after the sweep: %+v", email, res)
		}
		if !slices.ContainsFunc(res.Records, func(r connectors.Record) bool { return r.Dataset == "consents" }) {
			t.Fatalf("%s's consents went: %+v", email, res.Records)
		}
	}
}

func purgeKeptJob(conn connectors.Connector, request string, cutoff time.Time, kept []connectors.KeptRef) connectors.Job {
	job := purgeJob(conn, request, cutoff)
	job.ID, job.Action, job.Kept = connectors.JobID(request, conn.ID, dsrflow.ActionPurgeKept), dsrflow.ActionPurgeKept, kept
	return job
}

// TestBillingPurgesKeptInvoicesWhenTheirPeriodEnds: an erasure keeps jane's two invoices, each until the
// end of the fifth year after its financial year; a purge naming the kept records deletes exactly the
// invoice whose period has ended by its cutoff, and with the last one the subject goes too.
func TestBillingPurgesKeptInvoicesWhenTheirPeriodEnds(t *testing.T) {
	d := start(t, t.TempDir())
	var c connectors.Client
	billing, _ := d.Registry().Get("billing")
	erased := do(t, &c, billing, newJob(billing, "req-erase", dsrflow.ActionErase, jane))
	if erased.Status != connectors.StatusExempt || len(erased.Exemptions) != 2 {
		t.Fatalf("erase = %+v", erased)
	}
	exs := slices.Clone(erased.Exemptions)
	slices.SortFunc(exs, func(a, b connectors.Exemption) int { return a.Until.Compare(*b.Until) })
	first, last := exs[0], exs[1]
	if first.Ref == "" || first.Ref == last.Ref || first.Until.Month() != time.December || first.Until.Day() != 31 || !first.Until.Before(*last.Until) {
		t.Fatalf("exemptions %+v", exs)
	}
	kept := []connectors.KeptRef{{Dataset: "invoices", Ref: first.Ref, Until: *first.Until}}
	invoices := func() int {
		res := do(t, &c, billing, newJob(billing, "req-look-"+time.Now().Format("150405.000000000"), dsrflow.ActionAccess, jane))
		if res.Status == connectors.StatusNotFound {
			return -1
		}
		return len(res.Records)
	}

	// On the last day kept nothing goes; the day after, the first invoice.
	onLastDay := purgeKeptJob(billing, "retention-kept-1", *first.Until, kept)
	if res := do(t, &c, billing, onLastDay); res.Counts["purged"] != 0 || invoices() != 2 {
		t.Fatalf("purge on the last day kept: %+v", res)
	}
	dayAfter := purgeKeptJob(billing, "retention-kept-2", first.Until.AddDate(0, 0, 1), kept)
	if res := do(t, &c, billing, dayAfter); res.Status != connectors.StatusCompleted || res.Counts["purged"] != 1 || invoices() != 1 {
		t.Fatalf("purge the day after: %+v, invoices left %d", res, invoices())
	}
	john := do(t, &c, billing, newJob(billing, "req-john", dsrflow.ActionAccess, dsrflow.Identity{Email: johnEmail}))
	if len(john.Records) != 1 {
		t.Fatalf("john's invoice, never kept for an erasure: %+v", john)
	}
	final := purgeKeptJob(billing, "retention-kept-3", last.Until.AddDate(0, 0, 1), []connectors.KeptRef{{Dataset: "invoices", Ref: last.Ref, Until: *last.Until}})
	if res := do(t, &c, billing, final); res.Counts["purged"] != 1 || res.Counts["kept_refs"] != 1 || invoices() != -1 {
		t.Fatalf("last purge: %+v; jane still known: %d", res, invoices())
	}
}
