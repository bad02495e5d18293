package web

import (
	"net/http"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/service"
)

// handleSubjectExport serves the export to the subject through the signed link in their answer. Every
// refusal looks the same, so the route tells nothing about which requests exist.
func (s *server) handleSubjectExport() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		q := r.URL.Query()
		if !s.Key.CheckExportLink(id, q.Get("expires"), q.Get("sig"), s.now()) {
			s.fail(w, r, dsrflow.Errorf(dsrflow.ENOTFOUND, service.ExportGone))
			return
		}
		exp, err := s.svc().DownloadExport(dsrflow.WithPrincipal(r.Context(), privacyCenter), id)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeZip(w, exp.RequestID, exp.Data)
	})
}

// writeZip sends an export: never cached, never leaking its URL onward.
func writeZip(w http.ResponseWriter, id string, data []byte) {
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", `attachment; filename="`+id+`.zip"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	_, _ = w.Write(data)
}
