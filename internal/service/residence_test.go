package service_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/secret"
	"github.com/dsrflow/dsrflow/internal/service"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/internal/store/storetest"
)

// TestResidenceAndLanguage is the case: a French resident whose request the Norwegian entity
// handles. The due date counts Norwegian working days (Easter 2026), the request records residence FR
// and the subject's language, the workflow's input carries both, and the index keeps them when the
// workflow later rewrites the row. Bad values are refused naming the field, and nothing is recorded.
func TestResidenceAndLanguage(t *testing.T) {
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "dsrflow.db"), store.WithKeys(storetest.Keys(t, "")))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	s := &service.Service{Client: &startRecorder{}, Store: st, Key: secret.Key(strings.Repeat("k", secret.MinKeyLen)), Now: func() time.Time { return now }}

	in, err := s.Validate(dsrflow.NewRequest{Type: "access", Email: "jeanne@example.com", Country: "NO", Residence: "fr", Language: "NB", Received: "2026-03-02"})
	if err != nil {
		t.Fatal(err)
	}
	// 2 March + one month = 2 April, Maundy Thursday in Norway; Good Friday and Easter Monday follow.
	if got := in.Due.In(time.UTC).Format("2006-01-02"); got != "2026-04-07" {
		t.Errorf("due %s, want the end of 7 April 2026 in Oslo", got)
	}
	if in.Country != "NO" || in.Residence != "FR" || in.Language != "nb" {
		t.Errorf("input country %q, residence %q, language %q; want NO, FR, nb", in.Country, in.Residence, in.Language)
	}

	created, err := s.CreateRequest(as(dsrflow.RoleAgent), dsrflow.NewRequest{Type: "access", Email: "jeanne@example.com", Residence: "FR", Language: "fi"})
	if err != nil {
		t.Fatal(err)
	}
	row, err := st.GetRequest(ctx, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	if row.Country != "NO" || row.Residence != "FR" || row.Language != "fi" {
		t.Errorf("stored country %q, residence %q, language %q; want NO, FR, fi", row.Country, row.Residence, row.Language)
	}
	// The workflow writes the row without them: they stay.
	row.Residence, row.Language, row.Status = "", "", dsrflow.StatusVerifying
	if err := st.PutRequest(ctx, row); err != nil {
		t.Fatal(err)
	}
	if row, _ = st.GetRequest(ctx, created.ID); row.Residence != "FR" || row.Language != "fi" {
		t.Errorf("after the workflow's write: residence %q, language %q", row.Residence, row.Language)
	}
	view, err := s.GetRequest(as(dsrflow.RoleAgent), created.ID)
	if err != nil {
		t.Fatal(err)
	}
	if view.Residence != "FR" || view.Language != "fi" {
		t.Errorf("view residence %q, language %q", view.Residence, view.Language)
	}

	// Defaults: residence is the country, language English.
	if in, err := s.Validate(dsrflow.NewRequest{Type: "access", Email: "ola@example.com", Country: "SE"}); err != nil || in.Residence != "SE" || in.Language != "en" {
		t.Errorf("defaults: residence %q, language %q, err %v", in.Residence, in.Language, err)
	}
	for _, bad := range []dsrflow.NewRequest{
		{Type: "access", Email: "x@example.com", Residence: "FRA"},
		{Type: "access", Email: "x@example.com", Residence: "XX"},
		{Type: "access", Email: "x@example.com", Language: "de"},
	} {
		_, err := s.CreateRequest(as(dsrflow.RoleAgent), bad)
		e, ok := err.(*dsrflow.Error)
		field := "residence"
		if bad.Language != "" {
			field = "language"
		}
		if !ok || e.Code != dsrflow.EINVALID || e.Fields[field] == "" {
			t.Errorf("%+v: %v, want EINVALID naming %s", bad, err, field)
		}
	}
	if list, _ := st.ListRequests(ctx, store.RequestFilter{}); len(list) != 1 {
		t.Errorf("%d requests recorded, want only the valid one", len(list))
	}
}
