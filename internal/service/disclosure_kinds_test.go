package service_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/service"
)

// Authority requests by kind (issue 16): each bad field is named (a 400 at the API), nothing starts; a
// statutory order names its statute; the order document's hash is computed and checked; an emergency's
// review is due within hours.
func TestValidateDisclosureKinds(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	s := &service.Service{Now: func() time.Time { return now }}
	base := func() dsrflow.NewDisclosure {
		return dsrflow.NewDisclosure{Authority: "Skatteetaten", Country: "NO", CaseRef: "2026/77", LegalBasis: "Tax Administration Act",
			Emails: []string{"jane.doe@example.com"}, Categories: []string{"user.financial.purchase"}}
	}
	doc := []byte("%PDF order")
	sum := sha256.Sum256(doc)
	for _, tc := range []struct {
		name  string
		edit  func(*dsrflow.NewDisclosure)
		field string
	}{
		{"statutory order without a statute", func(d *dsrflow.NewDisclosure) { d.Kind = "statutory_order" }, "statute"},
		{"unknown kind", func(d *dsrflow.NewDisclosure) { d.Kind = "tax" }, "kind"},
		{"statute on a police request", func(d *dsrflow.NewDisclosure) { d.Statute = "Police Act" }, "statute"},
		{"bad hash", func(d *dsrflow.NewDisclosure) { d.OrderSHA256 = "abc" }, "order_sha256"},
		{"hash and document disagree", func(d *dsrflow.NewDisclosure) {
			d.OrderDocument, d.OrderSHA256 = base64.StdEncoding.EncodeToString(doc), hex.EncodeToString(make([]byte, 32))
		}, "order_sha256"},
		{"document not base64", func(d *dsrflow.NewDisclosure) { d.OrderDocument = "%%%" }, "order_document"},
		{"unknown language", func(d *dsrflow.NewDisclosure) { d.Language = "de" }, "language"},
	} {
		d := base()
		tc.edit(&d)
		_, err := s.ValidateDisclosure(d)
		var e *dsrflow.Error
		if !errors.As(err, &e) || e.Code != dsrflow.EINVALID || e.Fields[tc.field] == "" {
			t.Errorf("%s: %v, want EINVALID naming %s", tc.name, err, tc.field)
		}
	}

	d := base()
	d.Kind, d.Statute, d.OrderDocument = "statutory_order", "Tax Administration Act s. 10-2", base64.StdEncoding.EncodeToString(doc)
	in, err := s.ValidateDisclosure(d)
	if err != nil {
		t.Fatal(err)
	}
	if in.Kind != dsrflow.KindStatutoryOrder || in.Statute != "Tax Administration Act s. 10-2" || in.OrderSHA256 != hex.EncodeToString(sum[:]) || string(in.OrderDocument) != string(doc) {
		t.Errorf("input %+v", in)
	}

	d = base()
	d.Kind = "vital_interest"
	in, err = s.ValidateDisclosure(d)
	if err != nil {
		t.Fatal(err)
	}
	if !in.RemindAt.Equal(now.Add(time.Hour)) || !in.EscalateAt.Equal(now.Add(4*time.Hour)) {
		t.Errorf("vital interest review: remind %v, escalate %v; want 1 and 4 hours after %v", in.RemindAt, in.EscalateAt, now)
	}
}

// TestDisclosureLanguage: the subjects of a disclosure are told in the language asked for, else in the
// language of the authority's country, else English.
func TestDisclosureLanguage(t *testing.T) {
	s := &service.Service{Now: func() time.Time { return time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC) }}
	for _, tc := range []struct{ country, language, want string }{
		{"NO", "", "nb"}, {"se", "", "sv"}, {"DK", "", "da"}, {"FI", "", "fi"}, {"DE", "", "en"},
		{"NO", "FI", "fi"}, {"SE", " en ", "en"},
	} {
		in, err := s.ValidateDisclosure(dsrflow.NewDisclosure{Authority: "Police", Country: tc.country, CaseRef: "2026/1", LegalBasis: "x",
			CourtOrder: "T-1", Court: "District Court", OrderDate: "2026-02-27", Language: tc.language,
			Emails: []string{"jane@example.com"}, Categories: []string{"user.contact.email"}})
		if err != nil {
			t.Fatalf("%s %q: %v", tc.country, tc.language, err)
		}
		if in.Language != tc.want {
			t.Errorf("country %s, language %q: told in %q, want %q", tc.country, tc.language, in.Language, tc.want)
		}
	}
}
