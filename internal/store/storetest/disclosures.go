package storetest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/store"
)

func putDisclosureReq(t *testing.T, s *store.Store, id string, received time.Time) {
	t.Helper()
	must(t, s.PutRequest(ctx, store.Request{ID: id, Type: "disclosure", Status: "in_review", Country: "NO",
		ReceivedAt: received, DueAt: received.AddDate(0, 0, 6)}))
}

func testDisclosures(t *testing.T, s *store.Store) {
	d := store.Disclosure{
		RequestID: "dsr_d1", Authority: "Oslo police district", Country: "NO", CaseRef: "2026/4711",
		LegalBasis: "straffeprosessloven § 210", CourtOrder: "TOSL-2026-1", Court: "Oslo tingrett", OrderDate: "2026-03-10",
		CategoriesRequested: []string{"user.contact.email", "user.financial"}, Subjects: 2,
		Outcome: store.DisclosureInReview, ReceivedAt: ts,
	}
	wantCode(t, s.PutDisclosure(ctx, d), dsrflow.ENOTFOUND)
	putDisclosureReq(t, s, "dsr_d1", ts)
	must(t, s.PutDisclosure(ctx, d))
	got, err := s.GetDisclosure(ctx, "dsr_d1")
	must(t, err)
	if got.Outcome != store.DisclosureInReview || got.DecidedAt != nil || len(got.Approvers) != 0 || got.ReceivedAt != us(ts) ||
		strings.Join(got.CategoriesRequested, ",") != "user.contact.email,user.financial" || got.CourtOrder != "TOSL-2026-1" {
		t.Fatalf("GetDisclosure after intake = %+v", got)
	}

	// The workflow records the outcome over the intake row.
	decided, disclosed := ts.Add(48*time.Hour), ts.Add(50*time.Hour)
	d.Outcome, d.Approvers, d.CategoriesDisclosed = store.DisclosureComplied, []string{"token:legal-1", "token:legal-2"}, []string{"user.contact.email"}
	d.DecidedAt, d.DisclosedAt, d.GagUntil = &decided, &disclosed, "2026-09-01"
	must(t, s.PutDisclosure(ctx, d))
	got, err = s.GetDisclosure(ctx, "dsr_d1")
	must(t, err)
	want := fmt.Sprintf("complied [token:legal-1 token:legal-2] [user.contact.email] %v %v 2026-09-01 2", us(decided), us(disclosed))
	if s := fmt.Sprintf("%s %v %v %v %v %s %d", got.Outcome, got.Approvers, got.CategoriesDisclosed, *got.DecidedAt, *got.DisclosedAt, got.GagUntil, got.Subjects); s != want {
		t.Fatalf("GetDisclosure after outcome = %s, want %s", s, want)
	}

	for _, bad := range []store.Disclosure{
		{Authority: "a", Country: "NO", CaseRef: "c", Outcome: store.DisclosureInReview, ReceivedAt: ts},
		{RequestID: "dsr_d1", Country: "NO", CaseRef: "c", Outcome: store.DisclosureInReview, ReceivedAt: ts},
		{RequestID: "dsr_d1", Authority: "a", Country: "NO", CaseRef: "c", Outcome: "pending", ReceivedAt: ts},
		{RequestID: "dsr_d1", Authority: "a", Country: "NO", CaseRef: "c", Outcome: store.DisclosureInReview},
		{RequestID: "dsr_d1", Authority: "a", Country: "NO", CaseRef: "c", Outcome: store.DisclosureInReview, ReceivedAt: ts, Subjects: -1},
	} {
		wantCode(t, s.PutDisclosure(ctx, bad), dsrflow.EINVALID)
	}
	_, err = s.GetDisclosure(ctx, "dsr_none")
	wantCode(t, err, dsrflow.ENOTFOUND)

	// Deleting the request deletes its register row.
	must(t, exec(s, `DELETE FROM requests WHERE id = 'dsr_d1'`))
	_, err = s.GetDisclosure(ctx, "dsr_d1")
	wantCode(t, err, dsrflow.ENOTFOUND)
}

func testTransparencyReport(t *testing.T, s *store.Store) {
	year := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	put := func(id, country string, outcome dsrflow.DisclosureStatus, received time.Time, subjects int, cats ...string) {
		t.Helper()
		putDisclosureReq(t, s, id, received)
		d := store.Disclosure{RequestID: id, Authority: "police", Country: country, CaseRef: "case-" + id,
			Subjects: subjects, Outcome: outcome, ReceivedAt: received, CategoriesDisclosed: cats}
		if outcome == store.DisclosureComplied {
			d.SubjectsDisclosed = subjects
		}
		must(t, s.PutDisclosure(ctx, d))
	}
	// d1 named 3 subjects; data of 2 went out: the report counts 2 (issue 16).
	putDisclosureReq(t, s, "d1", year.Add(time.Hour))
	must(t, s.PutDisclosure(ctx, store.Disclosure{RequestID: "d1", Authority: "Skatteetaten", Country: "NO", CaseRef: "case-d1",
		Kind: dsrflow.KindStatutoryOrder, Statute: "Tax Administration Act s. 10-2", OrderSHA256: strings.Repeat("ab", 32),
		Subjects: 3, SubjectsDisclosed: 2, Outcome: store.DisclosureComplied, ReceivedAt: year.Add(time.Hour),
		CategoriesDisclosed: []string{"user.contact.email", "user.financial"}}))
	got1, err := s.GetDisclosure(ctx, "d1")
	must(t, err)
	if got1.Kind != dsrflow.KindStatutoryOrder || got1.Statute != "Tax Administration Act s. 10-2" || got1.OrderSHA256 != strings.Repeat("ab", 32) || got1.SubjectsDisclosed != 2 {
		t.Fatalf("GetDisclosure(d1) = %+v", got1)
	}
	wantCode(t, s.PutDisclosure(ctx, store.Disclosure{RequestID: "d1", Authority: "a", Country: "NO", CaseRef: "c", Kind: "tax", Outcome: store.DisclosureInReview, ReceivedAt: year}), dsrflow.EINVALID)
	wantCode(t, s.PutDisclosure(ctx, store.Disclosure{RequestID: "d1", Authority: "a", Country: "NO", CaseRef: "c", Subjects: 1, SubjectsDisclosed: 2, Outcome: store.DisclosureComplied, ReceivedAt: year}), dsrflow.EINVALID)
	put("d8", "NO", store.DisclosureApproved, year.AddDate(0, 1, 0), 5)
	put("d9", "NO", store.DisclosureCanceled, year.AddDate(0, 1, 0), 5)
	put("d2", "NO", store.DisclosureComplied, year.AddDate(0, 6, 0), 1, "user.contact.email")
	put("d3", "NO", store.DisclosureRefusedNoOrder, year.AddDate(0, 2, 0), 4)
	put("d4", "SE", store.DisclosureRefusedOnReview, year.AddDate(0, 3, 0), 1)
	put("d5", "SE", store.DisclosureInReview, year.AddDate(1, 0, 0).Add(-time.Microsecond), 3)
	put("d6", "DK", store.DisclosureComplied, year.Add(-time.Microsecond), 9, "user.name") // the year before
	put("d7", "DE", store.DisclosureRefusedNoOrder, year.AddDate(1, 0, 0), 1)              // the year after

	rows, err := s.TransparencyReport(ctx, 2026)
	must(t, err)
	got := fmt.Sprintf("%+v", rows)
	want := "[{Country:NO Received:5 RefusedNoOrder:1 RefusedOnReview:0 Complied:2 Subjects:3 Categories:[user.contact.email user.financial]} " +
		"{Country:SE Received:2 RefusedNoOrder:0 RefusedOnReview:1 Complied:0 Subjects:0 Categories:[]}]"
	if got != want {
		t.Fatalf("TransparencyReport(2026)\n got  %s\n want %s", got, want)
	}
	rows, err = s.TransparencyReport(ctx, 2030)
	must(t, err)
	if rows == nil || len(rows) != 0 {
		t.Fatalf("TransparencyReport(2030) = %#v, want an empty list", rows)
	}
	_, err = s.TransparencyReport(ctx, 0)
	wantCode(t, err, dsrflow.EINVALID)
}
