package web

import "github.com/dsrflow/dsrflow/workflows"

func (s *server) routes() {
	s.mux.Handle("GET /healthz", s.handleHealthz())
	s.mux.Handle("GET /readyz", s.handleReadyz())
	if s.Metrics != nil {
		// Like the probes, unauthenticated: it holds counts, no personal data.
		s.mux.Handle("GET /metrics", s.Metrics.Handler())
	}

	agents := []string{RoleAgent, RoleDPO}
	everyone := []string{RoleAgent, RoleReviewer, RoleDPO}
	s.mux.Handle("POST /api/v1/requests", s.requireRole(s.handleCreateRequest(), agents...))
	s.mux.Handle("GET /api/v1/requests", s.requireRole(s.handleListRequests(), everyone...))
	s.mux.Handle("GET /api/v1/requests/{id}", s.requireRole(s.handleShowRequest(), everyone...))
	s.mux.Handle("POST /api/v1/requests/{id}/verify", s.requireRole(s.handleVerify(), agents...))
	s.mux.Handle("POST /api/v1/requests/{id}/resend", s.requireRole(s.handleResend(), agents...))
	s.mux.Handle("POST /api/v1/requests/{id}/decisions", s.requireRole(s.handleDecide(), RoleReviewer, RoleDPO))
	s.mux.Handle("POST /api/v1/requests/{id}/extend", s.requireRole(s.handleReasoned(workflows.UpdateExtend), agents...))
	s.mux.Handle("POST /api/v1/requests/{id}/cancel", s.requireRole(s.handleReasoned(workflows.UpdateCancel), agents...))
	s.mux.Handle("GET /api/v1/requests/{id}/export", s.requireRole(s.handleExport(), agents...))
	s.mux.Handle("GET /api/v1/outbox", s.requireRole(s.handleOutbox()))

	s.mux.Handle("POST /api/v1/disclosures", s.requireRole(s.handleCreateDisclosure(), agents...))
	s.mux.Handle("POST /api/v1/disclosures/{id}/decisions", s.requireRole(s.handleDisclosureVote(), RoleReviewer, RoleDPO))
	s.mux.Handle("GET /api/v1/reviews", s.requireRole(s.handleReviews(), everyone...))
	s.mux.Handle("GET /api/v1/reports/transparency", s.requireRole(s.handleTransparencyReport(), RoleDPO))
	s.mux.Handle("GET /api/v1/tasks/{id}", s.requireRole(s.handleShowTask(), agents...))
	s.mux.Handle("POST /api/v1/tasks/{id}/outcome", s.requireRole(s.handleTaskOutcome(), agents...))

	if s.Keys != nil {
		s.mux.Handle("/codec/", s.handleCodec())
	}

	// The subject's export link authenticates by its signature and expiry.
	s.mux.Handle("GET /exports/{id}", s.handleSubjectExport())

	// Connectors authenticate by their HMAC signature, checked by ReadCallback.
	s.mux.Handle("POST /connectors/v1/callbacks/{connector}", s.handleCallback())
}
