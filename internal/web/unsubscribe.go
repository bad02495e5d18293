package web

import (
	"errors"
	"net/http"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/unsubscribe"
)

// handleUnsubscribeLink gives a marketing system the one-click unsubscribe headers of one recipient
// (POST /connectors/v1/unsubscribe-links/{connector}, signed {"email": ...}): the link is sealed under
// the key ring, which connectors do not hold.
func (s *server) handleUnsubscribeLink() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.Keys == nil {
			s.fail(w, r, dsrflow.Errorf(dsrflow.EUNAVAILABLE, "unsubscribe links are not configured"))
			return
		}
		email, ok := s.connectorEmail(w, r)
		if !ok {
			return
		}
		headers, err := unsubscribe.Links{Keys: s.Keys, PublicURL: s.publicURL()}.Headers(email)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"headers": headers})
	})
}

// handleUnsubscribe takes a mail client's one-click unsubscribe (RFC 8058 section 3.2): a POST of
// "List-Unsubscribe=One-Click" to the link of the message's List-Unsubscribe header, without cookies
// or credentials. The link's sealed token is the authentication; it becomes a marketing opt-out, which
// needs no other identity check (GDPR Art. 21(3)). An opt-out already open for the address answers the
// same. A GET (a scanner following the link) changes nothing.
func (s *server) handleUnsubscribe() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		if s.Keys == nil {
			s.fail(w, r, dsrflow.Errorf(dsrflow.EUNAVAILABLE, "unsubscribe links are not configured"))
			return
		}
		email, err := unsubscribe.Open(s.Keys, r.URL.Query().Get("t"))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if r.PostFormValue("List-Unsubscribe") != "One-Click" {
			s.fail(w, r, &dsrflow.Error{Code: dsrflow.EINVALID, Message: "the body must be " + unsubscribe.Body,
				Fields: map[string]string{"List-Unsubscribe": "must be One-Click"}})
			return
		}
		in := NewRequest{Type: string(dsrflow.MarketingOptout), Email: email, Channel: "email"}
		out, err := s.svc().CreateRequest(dsrflow.WithPrincipal(r.Context(), unsubscribeLink), in)
		var e *dsrflow.Error
		switch {
		case err == nil:
			writeJSON(w, http.StatusOK, map[string]string{"status": "unsubscribed", "request_id": out.ID})
		case dsrflow.ErrorCode(err) == dsrflow.ECONFLICT && errors.As(err, &e) && e.Fields["existing_id"] != "":
			writeJSON(w, http.StatusOK, map[string]string{"status": "unsubscribed", "request_id": e.Fields["existing_id"]})
		default:
			s.fail(w, r, err)
		}
	})
}

// unsubscribeLink is who records a one-click unsubscribe: the link, on the subject's behalf.
var unsubscribeLink = Principal{ID: "unsubscribe-link", Role: RoleAgent}
