package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/internal/unsubscribe"
)

// The marketing suppression list, asked "may I mail this address?": by its hash with a staff token
// (GET /api/v1/suppressions/{hash}), or by the address with a connector's signature (POST
// /connectors/v1/suppressions/{connector}), for systems that import contacts and do not hold the hash
// key. Both answer 200 when the address is suppressed and 404 when it may be mailed.

// suppressionAnswer is both routes' body.
type suppressionAnswer struct {
	Suppressed bool   `json:"suppressed"`
	Reason     string `json:"reason,omitempty"`
}

func (s *server) handleSuppression() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.answerSuppression(w, r, r.PathValue("hash"))
	})
}

func (s *server) answerSuppression(w http.ResponseWriter, r *http.Request, hash string) {
	entry, err := s.Store.GetSuppression(r.Context(), hash)
	switch dsrflow.ErrorCode(err) {
	case "":
		writeJSON(w, http.StatusOK, suppressionAnswer{Suppressed: true, Reason: entry.Reason})
	case dsrflow.ENOTFOUND:
		writeJSON(w, http.StatusNotFound, suppressionAnswer{})
	default:
		s.fail(w, r, err)
	}
}

// maxSuppressionCheck bounds a check's body: one address.
const maxSuppressionCheck = 4 << 10

func (s *server) handleConnectorSuppression() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.Connectors == nil {
			s.fail(w, r, dsrflow.Errorf(dsrflow.ENOTFOUND, "no connectors are configured"))
			return
		}
		conn, ok := s.Connectors.Get(r.PathValue("connector"))
		ep, speaks := conn.Endpoint()
		if !ok || !speaks || len(ep.Secret) == 0 {
			s.fail(w, r, dsrflow.Errorf(dsrflow.ENOTFOUND, "unknown connector"))
			return
		}
		body, err := connectors.ReadSigned(r, ep.Secret, maxSuppressionCheck, s.now())
		if err != nil {
			writeJSON(w, connectors.SignatureStatus(err), map[string]string{"error": dsrflow.ErrorMessage(err)})
			return
		}
		var check struct {
			Email string `json:"email"`
		}
		if err := json.Unmarshal(body, &check); err != nil || strings.TrimSpace(check.Email) == "" {
			s.fail(w, r, &dsrflow.Error{Code: dsrflow.EINVALID, Message: "a check names an email", Fields: map[string]string{"email": "required"}})
			return
		}
		s.answerSuppression(w, r, s.Key.SuppressionHash(check.Email))
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
