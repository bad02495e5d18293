package web

import (
	"net/http"

	"github.com/dsrflow/dsrflow/internal/unsubscribe"
	"github.com/dsrflow/dsrflow/workflows"
)

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
	s.mux.Handle("POST /api/v1/requests/{id}/refusal", s.requireRole(s.handleRefusal(), RoleReviewer, RoleDPO))
	s.mux.Handle("POST /api/v1/requests/{id}/restriction/lift", s.requireRole(s.handleLift(), agents...))
	s.mux.Handle("POST /api/v1/requests/{id}/jobs/{job}/resolve", s.requireRole(s.handleResolveJob(), RoleAgent, RoleDPO))
	s.mux.Handle("GET /api/v1/requests/{id}/export", s.requireRole(s.handleExport(), agents...))
	s.mux.Handle("GET /api/v1/requests/{id}/messages", s.requireRole(s.handleRequestMessages(), everyone...))
	s.mux.Handle("POST /api/v1/requests/{id}/assignee", s.requireRole(s.handleAssign(), agents...))
	s.mux.Handle("POST /api/v1/requests/{id}/notes", s.requireRole(s.handleAddNote(), agents...))
	s.mux.Handle("GET /api/v1/routed", s.requireRole(s.handleListRouted(), everyone...))
	s.mux.Handle("POST /api/v1/routed/{id}/instruction", s.requireRole(s.handleInstructRouted(), agents...))
	s.mux.Handle("GET /api/v1/dashboard", s.requireRole(s.handleDashboardAPI(), everyone...))
	s.mux.Handle("GET /api/v1/outbox", s.requireRole(s.handleOutbox()))

	s.mux.Handle("POST /api/v1/disclosures", s.requireRole(s.handleCreateDisclosure(), agents...))
	s.mux.Handle("POST /api/v1/disclosures/{id}/decisions", s.requireRole(s.handleDisclosureVote(), RoleReviewer, RoleDPO))
	s.mux.Handle("GET /api/v1/reviews", s.requireRole(s.handleReviews(), everyone...))
	s.mux.Handle("GET /api/v1/reports/transparency", s.requireRole(s.handleTransparencyReport(), RoleDPO))
	s.mux.Handle("GET /api/v1/reports/stats", s.requireRole(s.handleStatsAPI(), RoleDPO))
	s.mux.Handle("GET /api/v1/disclosures", s.requireRole(s.handleRegister(), RoleDPO))
	s.mux.Handle("GET /api/v1/disclosures/{id}/order", s.requireRole(s.handleDisclosureOrder(), RoleDPO))
	s.mux.Handle("GET /api/v1/requests/{id}/tasks", s.requireRole(s.handleRequestTasks(), agents...))
	s.mux.Handle("GET /api/v1/tasks", s.requireRole(s.handleListTasks(), agents...))
	s.mux.Handle("GET /api/v1/tasks/{id}", s.requireRole(s.handleShowTask(), agents...))
	s.mux.Handle("POST /api/v1/tasks/{id}/outcome", s.requireRole(s.handleTaskOutcome(), agents...))
	s.mux.Handle("GET /api/v1/suppressions/{hash}", s.requireRole(s.handleSuppression(), everyone...))

	if s.Keys != nil {
		s.mux.Handle("/codec/", s.handleCodec())
	}

	// The subject's export link authenticates by its signature and expiry.
	s.mux.Handle("GET /exports/{id}", s.handleSubjectExport())

	// Connectors authenticate by their HMAC signature, checked before the body is read (handleCallback).
	s.mux.Handle("POST /connectors/v1/callbacks/{connector}", s.handleCallback())
	s.mux.Handle("POST /connectors/v1/suppressions/{connector}", s.handleConnectorSuppression())
	s.mux.Handle("POST /connectors/v1/unsubscribe-links/{connector}", s.handleUnsubscribeLink())

	// A one-click unsubscribe authenticates by its sealed link (RFC 8058: no cookies, no credentials).
	s.mux.Handle("POST "+unsubscribe.Path, s.handleUnsubscribe())

	// Slack authenticates by its request signature, checked by the Slack handler.
	if s.Slack != nil {
		s.mux.Handle("POST /slack/interactions", s.Slack)
	}

	s.consoleRoutes()
}

// consoleRoutes serve people in a browser: the support console and the privacy center.
func (s *server) consoleRoutes() {
	s.mux.Handle("GET /static/", s.handleStatic())
	s.mux.Handle("GET /console/signin", s.handleSignInPage())
	s.mux.Handle("POST /console/signin", s.handleSignIn())
	s.mux.Handle("POST /console/signout", s.handleSignOut())
	if s.OIDC != nil {
		s.mux.Handle("GET /console/oidc/start", s.handleOIDCStart())
		s.mux.Handle("GET /console/oidc/callback", s.handleOIDCCallback())
	}

	page := func(h http.Handler, roles ...string) http.Handler { return s.consolePage(h, roles...) }
	s.mux.Handle("GET /console", page(s.handleDashboard(), consoleEveryone...))
	s.mux.Handle("GET /console/requests", page(s.handleConsoleRequests(), consoleEveryone...))
	s.mux.Handle("GET /console/requests/new", page(s.handleNewRequestPage(), consoleAgents...))
	s.mux.Handle("POST /console/requests/new", page(s.handleNewRequest(), consoleAgents...))
	s.mux.Handle("GET /console/requests/{id}", page(s.handleConsoleRequest(), consoleEveryone...))
	s.mux.Handle("POST /console/requests/{id}/{action}", page(s.handleConsoleAction(), consoleEveryone...))
	s.mux.Handle("GET /console/requests/{id}/export", page(s.handleConsoleExport(), consoleAgents...))
	s.mux.Handle("GET /console/outbox", page(s.handleConsoleOutbox()))
	s.mux.Handle("GET /console/reviews", page(s.handleConsoleReviews(), consoleEveryone...))
	s.mux.Handle("GET /console/tasks", page(s.handleConsoleTasks(), consoleAgents...))
	s.mux.Handle("GET /console/tasks/{id}", page(s.handleConsoleTask(), consoleAgents...))
	s.mux.Handle("POST /console/tasks/{id}", page(s.handleConsoleTaskOutcome(), consoleAgents...))
	s.mux.Handle("GET /console/disclosures", page(s.handleConsoleRegister(), RoleDPO))
	s.mux.Handle("GET /console/reports/transparency", page(s.handleConsoleReport(), RoleDPO))
	s.mux.Handle("GET /console/reports/transparency.csv", page(s.handleConsoleReportCSV(), RoleDPO))
	s.mux.Handle("GET /console/stats", page(s.handleConsoleStats(), RoleDPO))
	s.mux.Handle("GET /console/stats.csv", page(s.handleConsoleStatsCSV(), RoleDPO))

	s.mux.Handle("GET /privacy", s.handlePrivacyHome())
	s.mux.Handle("GET /privacy/request", s.handlePrivacyForm())
	s.mux.Handle("POST /privacy/request", s.handlePrivacySubmit())
	s.mux.Handle("GET /privacy/requests/{id}", s.handlePrivacyStatus())
	s.mux.Handle("POST /privacy/requests/{id}/verify", s.handlePrivacyVerify())
	s.mux.Handle("POST /privacy/requests/{id}/resend", s.handlePrivacyResend())
	s.mux.Handle("GET /privacy/lost", s.handlePrivacyLost())
	s.mux.Handle("POST /privacy/lost", s.handlePrivacyLostSubmit())
	// The status page's eID button is a link (GET): a form's redirect chain to the broker, and on to
	// its identity provider's origin, would be held to the page's CSP form-action. POST stays for
	// pages rendered before the link.
	s.mux.Handle("GET /privacy/requests/{id}/eid", s.handlePrivacyEIDStart())
	s.mux.Handle("POST /privacy/requests/{id}/eid", s.handlePrivacyEIDStart())
	s.mux.Handle("GET /privacy/eid/callback", s.handlePrivacyEIDCallback())
	s.mux.Handle("GET /privacy/eid/jwks.json", s.handlePrivacyEIDKeys())
}
