package activities_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/activities"
	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/internal/store"
)

// TestBundleSeparatesSubjectsByLabel: an order naming two people, three invoices of theirs on one
// connector (two of Jane's, one of John's) and nothing for a third subject. The authority's bundle tags
// each invoice with its subject's label, S1 or S2, so the invoices can be told apart, and never names
// them; the key from label to subject is in the register (sealed), for the subjects whose data went out.
func TestBundleSeparatesSubjectsByLabel(t *testing.T) {
	ctx := context.Background()
	const id = "dsr_bundle1"
	st := storeWithRequest(t, id, "disclosure")
	jane, john, ola := dsrflow.Identity{Email: "jane.doe@example.com"}, dsrflow.Identity{Email: "john.roe@example.com"}, dsrflow.Identity{Email: "ola.nordmann@example.com"}
	if err := st.PutDisclosure(ctx, store.Disclosure{RequestID: id, Authority: "Skatteetaten", Country: "NO", CaseRef: "2026/77",
		Kind: dsrflow.KindStatutoryOrder, Statute: "Tax Administration Act s. 10-2", Subjects: 3, Outcome: store.DisclosureApproved, ReceivedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	invoice := func(no, total string) connectors.Record {
		return connectors.Record{Dataset: "invoices", Fields: map[string]string{"invoice_no": no, "total": total, "email": "x@example.com"},
			Categories: map[string]string{"invoice_no": "user.financial.purchase", "total": "user.financial.purchase", "email": "user.contact.email"}}
	}
	put := func(jobID string, recs ...connectors.Record) {
		b, _ := json.Marshal(recs)
		if err := st.PutJobRecords(ctx, jobID, id, b); err != nil {
			t.Fatal(err)
		}
	}
	put(id+":s1:billing:access", invoice("INV-1", "100"), invoice("INV-2", "250"))
	put(id+":s2:billing:access", invoice("INV-3", "75"))
	put(id + ":s3:billing:access")
	billing := activities.ConnectorRef{ID: "billing", Owner: "Example Billing AS"}
	outcomes := []activities.JobOutcome{
		{JobID: id + ":s1:billing:access", Connector: billing, Status: connectors.StatusCompleted},
		{JobID: id + ":s2:billing:access", Connector: billing, Status: connectors.StatusCompleted},
		{JobID: id + ":s3:billing:access", Connector: billing, Status: connectors.StatusCompleted},
	}
	a := &activities.Disclosure{Store: st}
	out, err := a.PrepareBundle(ctx, activities.BundleInput{RequestID: id, Authority: "Skatteetaten", CaseRef: "2026/77",
		Categories: []string{"user.financial.purchase"}, Outcomes: outcomes, Subjects: []dsrflow.Identity{jane, john, ola}})
	if err != nil {
		t.Fatal(err)
	}
	if out.Records != 3 || len(out.SubjectCategories) != 2 || len(out.SubjectCategories[1]) != 1 || len(out.SubjectCategories[2]) != 1 {
		t.Errorf("bundle outcome %+v: want 3 records of subjects 1 and 2", out)
	}

	exp, err := st.GetExport(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(exp.Data), int64(len(exp.Data)))
	if err != nil {
		t.Fatal(err)
	}
	f, err := zr.Open("bundle.json")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(f)
	var doc struct {
		Records []struct {
			Subject string            `json:"subject"`
			Fields  map[string]string `json:"fields"`
		} `json:"records"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	bySubject := map[string][]string{}
	for _, r := range doc.Records {
		bySubject[r.Subject] = append(bySubject[r.Subject], r.Fields["invoice_no"])
		if _, ok := r.Fields["email"]; ok {
			t.Errorf("a field of an unapproved category went out: %v", r.Fields)
		}
	}
	if strings.Join(bySubject["S1"], ",") != "INV-1,INV-2" || strings.Join(bySubject["S2"], ",") != "INV-3" || len(bySubject) != 2 {
		t.Errorf("invoices by subject label: %v, want S1: INV-1, INV-2 and S2: INV-3", bySubject)
	}
	for _, s := range []dsrflow.Identity{jane, john, ola} {
		if strings.Contains(string(body), s.Email) {
			t.Errorf("the bundle names %s", s.Email)
		}
	}

	key, err := st.DisclosureSubjectKey(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(key) != 2 || key["S1"].Email != jane.Email || key["S2"].Email != john.Email {
		t.Errorf("subject key %v, want S1 jane, S2 john", key)
	}
}

// TestNotifyDPOQueuesAMail: an emergency's notice goes to the DPO's address through the outbox; without
// an address nothing is queued (the alert goes to the review channel).
func TestNotifyDPOQueuesAMail(t *testing.T) {
	ctx := context.Background()
	const id = "dsr_vital1"
	st := storeWithRequest(t, id, "disclosure")
	n := activities.DPONotice{RequestID: id, Subject: "Emergency authority request 2026/5", Text: "decide within 4 hours"}
	if err := (&activities.Disclosure{Store: st}).NotifyDPO(ctx, n); err != nil {
		t.Fatal(err)
	}
	if err := (&activities.Disclosure{Store: st, DPO: "dpo@example.com"}).NotifyDPO(ctx, n); err != nil {
		t.Fatal(err)
	}
	msgs, err := st.ListOutbox(ctx, store.OutboxFilter{RequestID: id})
	if err != nil || len(msgs) != 1 || msgs[0].To != "dpo@example.com" || msgs[0].Subject != n.Subject {
		t.Fatalf("outbox %+v, %v: want one mail to the DPO", msgs, err)
	}
}
