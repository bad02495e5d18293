package web

import (
	"net/http"

	"github.com/dsrflow/dsrflow/internal/payload"
)

// handleCodec lets the Temporal UI and CLI decrypt payloads for people allowed to read them: dpo and
// admin tokens. The UI calls it from the browser, so its origin (DSR_CODEC_ORIGIN) is allowed by CORS;
// preflight requests carry no token and get only the CORS answer.
func (s *server) handleCodec() http.Handler {
	codec := s.requireRole(http.StripPrefix("/codec", payload.CodecHandler(s.Keys)), RoleDPO)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if origin := r.Header.Get("Origin"); origin != "" && origin == s.CodecOrigin {
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Allow-Credentials", "true")
			h.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Namespace")
			h.Add("Vary", "Origin")
		}
		if r.Method == http.MethodOptions {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		codec.ServeHTTP(w, r)
	})
}
