package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/dsrflow/dsrflow"
)

// NewDisclosure is the body of POST /api/v1/disclosures: an authority's request for personal data.
type NewDisclosure = dsrflow.NewDisclosure

func (s *server) handleCreateDisclosure() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body NewDisclosure
		if err := decodeJSON(r, &body); err != nil {
			s.fail(w, r, err)
			return
		}
		out, err := s.svc().CreateDisclosure(r.Context(), body)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusCreated, out)
	})
}

// publicURL is the base of every link the front door builds: Deps.PublicURL without its trailing slash.
// Empty (a server built without one, as in handler tests) makes links relative to this server, never
// absolute links to a host a client named.
func (s *server) publicURL() string { return strings.TrimRight(s.PublicURL, "/") }

// handleDisclosureVote votes on a disclosure. An Idempotency-Key header makes a retried vote count once.
func (s *server) handleDisclosureVote() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body dsrflow.ReviewDecision
		if err := decodeJSON(r, &body); err != nil {
			s.fail(w, r, err)
			return
		}
		body.Key = r.Header.Get("Idempotency-Key")
		d, err := s.svc().VoteDisclosure(r.Context(), r.PathValue("id"), body)
		s.answerDecided(w, r, d, err)
	})
}

// ReviewView is one pending decision of GET /api/v1/reviews.
type ReviewView = dsrflow.ReviewView

func (s *server) handleReviews() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		out, err := s.svc().Reviews(r.Context())
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, out)
	})
}

func (s *server) handleTransparencyReport() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		year, err := strconv.Atoi(r.URL.Query().Get("year"))
		if err != nil {
			s.fail(w, r, &dsrflow.Error{Code: dsrflow.EINVALID, Message: "year must be a year, like 2026", Fields: map[string]string{"year": "must be a year, like 2026"}})
			return
		}
		rep, err := s.svc().TransparencyReport(r.Context(), year)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		// The list of authority rows, as before; with=routed answers the whole report (an object with
		// the routed items per customer).
		if r.URL.Query().Get("with") == "routed" {
			writeJSON(w, http.StatusOK, rep)
			return
		}
		writeJSON(w, http.StatusOK, rep.Authorities)
	})
}

// handleDisclosureOrder serves the copy of the authority's order kept with a disclosure, as it was
// received (DPO only; the service audits the read). The SHA-256 header lets the reader check it against
// the register's order_sha256.
func (s *server) handleDisclosureOrder() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		order, err := s.svc().DisclosureOrder(r.Context(), r.PathValue("id"))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Content-Disposition", `attachment; filename="`+order.RequestID+`-order"`)
		w.Header().Set(OrderSHA256Header, order.SHA256)
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(order.Document)
	})
}

// OrderSHA256Header carries the hex SHA-256 of an order copy (GET /api/v1/disclosures/{id}/order).
const OrderSHA256Header = "X-Order-SHA256"
