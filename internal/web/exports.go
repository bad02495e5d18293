package web

import (
	"net/http"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/store"
)

// handleSubjectExport serves the export to the subject through the signed link in their answer. Every
// refusal looks the same, so the route tells nothing about which requests exist.
func (s *server) handleSubjectExport() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		q := r.URL.Query()
		now := s.now()
		gone := dsrflow.Errorf(dsrflow.ENOTFOUND, "this download link is invalid or has expired")
		if !s.Key.CheckExportLink(id, q.Get("expires"), q.Get("sig"), now) {
			s.fail(w, r, gone)
			return
		}
		exp, err := s.Store.GetExport(r.Context(), id)
		// A shredded request's export (EGONE) is refused like an expired one: the link says nothing more.
		if code := dsrflow.ErrorCode(err); code == dsrflow.ENOTFOUND || code == dsrflow.EGONE || err == nil && now.After(exp.ExpiresAt) {
			s.fail(w, r, gone)
			return
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if _, err := s.Store.AppendAudit(r.Context(), store.AuditEvent{At: now.UTC(), RequestID: id, Action: "export_downloaded", Actor: "subject"}); err != nil {
			s.fail(w, r, err)
			return
		}
		s.writeExport(w, r, exp)
	})
}

// writeExport sends an export, which the store decrypted.
func (s *server) writeExport(w http.ResponseWriter, r *http.Request, exp store.Export) {
	writeZip(w, exp.RequestID, exp.Data)
}

// writeZip sends an export: never cached, never leaking its URL onward.
func writeZip(w http.ResponseWriter, id string, data []byte) {
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", `attachment; filename="`+id+`.zip"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	_, _ = w.Write(data)
}
