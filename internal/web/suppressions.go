package web

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
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
	entry, err := s.svc().Suppression(r.Context(), hash)
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
		if email, ok := s.connectorEmail(w, r); ok {
			// The connector's signature, checked above, is its authentication: it asks as itself.
			r = r.WithContext(dsrflow.WithPrincipal(r.Context(), Principal{ID: "connector:" + r.PathValue("connector"), Role: RoleAgent}))
			s.answerSuppression(w, r, s.Key.SuppressionHash(email))
		}
	})
}

// connectorEmail reads a connector's signed {"email": ...} (the connector named by the path, speaking
// protocol v1), answering the refusal itself when ok is false: 404 for an unknown connector, 401 for a
// bad signature, 400 without an address.
func (s *server) connectorEmail(w http.ResponseWriter, r *http.Request) (email string, ok bool) {
	if s.Connectors == nil {
		s.fail(w, r, dsrflow.Errorf(dsrflow.ENOTFOUND, "no connectors are configured"))
		return "", false
	}
	conn, found := s.Connectors.Get(r.PathValue("connector"))
	ep, speaks := conn.Endpoint()
	if !found || !speaks || len(ep.Secret) == 0 {
		s.fail(w, r, dsrflow.Errorf(dsrflow.ENOTFOUND, "unknown connector"))
		return "", false
	}
	body, err := connectors.ReadSigned(r, ep.Secret, maxSuppressionCheck, s.now())
	if err != nil {
		writeJSON(w, connectors.SignatureStatus(err), map[string]string{"error": dsrflow.ErrorMessage(err)})
		return "", false
	}
	var in struct {
		Email string `json:"email"`
	}
	if err := json.Unmarshal(body, &in); err != nil || strings.TrimSpace(in.Email) == "" {
		s.fail(w, r, &dsrflow.Error{Code: dsrflow.EINVALID, Message: "the body names an email", Fields: map[string]string{"email": "required"}})
		return "", false
	}
	return strings.TrimSpace(in.Email), true
}
