package web_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/service"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/internal/store/storetest"
	"github.com/dsrflow/dsrflow/internal/web"
	"github.com/dsrflow/dsrflow/workflows"
)

// GET /api/v1/disclosures/{id}/order, over the real service and store (SQLite): the DPO gets the order
// as the authority sent it, with its SHA-256, and the read is on the disclosure's audit trail with the
// reader; a disclosure with no copy kept is a 404 and leaves no trace; an agent or a reviewer is refused.
func TestDisclosureOrderCopyRoute(t *testing.T) {
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "dsrflow.db"), store.WithKeys(storetest.Keys(t, "")))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	for _, id := range []string{"dsr_order", "dsr_noorder"} {
		if err := st.PutRequest(ctx, store.Request{ID: id, Type: workflows.TypeDisclosure, Status: dsrflow.StatusInReview, Country: "NO",
			Jurisdiction: "gdpr", ReceivedAt: now, DueAt: now.Add(72 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	doc := []byte("%PDF-1.7 Datatilsynet order 26/01234")
	if err := st.PutDisclosureOrder(ctx, "dsr_order", doc); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(doc)

	svc := &service.Service{Store: st, Now: func() time.Time { return now }}
	f := &apiFixture{t: t, h: web.NewServer(web.Deps{Service: svc, Auth: tokens{"agent": agent, "reviewer": reviewer, "dpo": dpo}})}

	for _, who := range []string{"agent", "reviewer"} {
		if status, _, raw := f.call(who, "GET", "/api/v1/disclosures/dsr_order/order", ""); status != http.StatusForbidden {
			t.Errorf("%s reads the order: %d %s, want 403", who, status, raw)
		}
	}
	req, _ := http.NewRequest("GET", "/api/v1/disclosures/dsr_order/order", nil)
	req.Header.Set("Authorization", "Bearer dpo")
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, req)
	if w.Code != http.StatusOK || w.Body.String() != string(doc) {
		t.Fatalf("DPO reads the order: %d %q, want 200 and the document", w.Code, w.Body.String())
	}
	if got := w.Header().Get(web.OrderSHA256Header); got != hex.EncodeToString(sum[:]) {
		t.Errorf("%s %q, want the document's SHA-256", web.OrderSHA256Header, got)
	}
	if w.Header().Get("Content-Type") != "application/octet-stream" || w.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("headers %v: want an octet stream, not cached", w.Header())
	}

	if status, body, raw := f.call("dpo", "GET", "/api/v1/disclosures/dsr_noorder/order", ""); status != http.StatusNotFound || body["code"] != dsrflow.ENOTFOUND {
		t.Errorf("order of a disclosure with no copy: %d %s, want 404", status, raw)
	}

	reads := func(id string) []store.AuditEvent {
		events, err := st.ListAudit(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		var out []store.AuditEvent
		for _, e := range events {
			if e.Action == service.OrderReadAction {
				out = append(out, e)
			}
		}
		return out
	}
	if got := reads("dsr_order"); len(got) != 1 || got[0].Actor != dpo.ID || got[0].Detail["sha256"] != hex.EncodeToString(sum[:]) {
		t.Errorf("audit of the read: %+v, want one %s by %s with the hash", got, service.OrderReadAction, dpo.ID)
	}
	if got := reads("dsr_noorder"); len(got) != 0 {
		t.Errorf("a refused read was audited: %+v", got)
	}
}
