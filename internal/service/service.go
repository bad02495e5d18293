// Package service implements dsrflow.RequestService over the Temporal client and the store: the one place
// where a request is validated, recorded and started, where updates reach a request's workflow, and where
// each operation's role is checked. The front door's handlers (internal/web) only decode, call and encode.
package service

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/internal/metrics"
	"github.com/dsrflow/dsrflow/internal/secret"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/internal/temporalx"
)

// DefaultCountry is the controller's country, for requests that name none; disclosures' deadlines count
// in it.
const DefaultCountry = "NO"

// Service implements dsrflow.RequestService. It holds no state of its own: building one per call is cheap.
type Service struct {
	Client client.Client
	Store  *store.Store
	// Key hashes subjects' emails and verification codes.
	Key secret.Key
	// Reviewers are the reviewer groups; a vote's groups are its principal's (token:NAME, oidc:SUB).
	Reviewers dsrflow.Reviewers
	// Metrics, when set, counts verification outcomes.
	Metrics *metrics.Registry
	Logger  *slog.Logger
	Now     func() time.Time
	// PublicURL is the base of the links cards and alerts carry (never a request's headers).
	PublicURL string
	// Purposes are the purposes the controller declares (controller.yaml): a request's purposes must be
	// among them, and an objection to a direct-marketing one is absolute. Empty: the built-in demo
	// controller's (DemoPurposes).
	Purposes []Purpose
	// RepeatWindow is how far back an earlier completed request of the subject and type flags a new one
	// as a repeat (DSR_REPEAT_WINDOW); zero is DefaultRepeatWindow, negative turns the flag off.
	RepeatWindow time.Duration
	// Connectors, when set, name the systems an objection involves (the connectors that would run it).
	Connectors *connectors.Registry
	// Customers, when set, name routed items' customers by their legal names (customers.yaml).
	Customers *connectors.Customers
	// Sensitive are the request types the controller marks sensitive (controller.yaml verification:
	// sensitive): an emailed code does not verify them (eid.go).
	Sensitive dsrflow.Sensitive
	// EID reports whether the front door offers eID verification (DSR_EID_ISSUER).
	EID bool
}

var _ dsrflow.RequestService = (*Service)(nil)

// Who may call what (admins may call everything). One list per operation, read by the operations below.
var (
	agents    = []string{dsrflow.RoleAgent, dsrflow.RoleDPO}
	reviewers = []string{dsrflow.RoleReviewer, dsrflow.RoleDPO}
	everyone  = []string{dsrflow.RoleAgent, dsrflow.RoleReviewer, dsrflow.RoleDPO}
	dpoOnly   = []string{dsrflow.RoleDPO}
)

// caller is the principal in ctx, refused unless its role is one of roles or admin.
func caller(ctx context.Context, roles ...string) (dsrflow.Principal, error) {
	p, ok := dsrflow.PrincipalFrom(ctx)
	if !ok || p.ID == "" {
		return p, dsrflow.Errorf(dsrflow.EUNAUTHORIZED, "no caller")
	}
	if p.Role != dsrflow.RoleAdmin && !slices.Contains(roles, p.Role) {
		return p, dsrflow.Errorf(dsrflow.EFORBIDDEN, "role %s may not do this", p.Role)
	}
	return p, nil
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

// link is a request's page in the front door, for cards and alerts; like every link, it is built from
// the configured public URL, never from the request's headers.
func (s *Service) link(id string) string {
	return strings.TrimRight(s.PublicURL, "/") + "/api/v1/requests/" + id
}

// temporalError translates Temporal's errors for a request's workflow.
func temporalError(err error) error { return temporalx.UserError(err, "request not found") }

// personOf is who the caller is, whatever name they used (dsrflow.Reviewers.PersonOf), by its principal
// id in its own space, like groupsOf.
func (s *Service) personOf(p dsrflow.Principal) string { return s.Reviewers.PersonOf(p.ID) }

// groupsOf are the reviewer groups of the caller, by its principal id in its own space: a token named
// like a Slack member is not that member.
func (s *Service) groupsOf(p dsrflow.Principal) []string {
	if !strings.Contains(p.ID, ":") {
		return nil // "dev", the privacy center: no space, no groups
	}
	return s.Reviewers.GroupsOf(p.ID)
}

// checkKey refuses an idempotency key that is too long or claims to be a Slack click's. It only
// de-duplicates the caller's own retries: the dispatcher binds it to the caller and the review
// (review.UpdateID), so nobody else's vote shares it. Keys starting with "slack:" are the Slack clicks'
// own, so that an API call never reads as a click.
func checkKey(key string) error {
	if len(key) > 255 {
		return dsrflow.Errorf(dsrflow.EINVALID, "Idempotency-Key is longer than 255 characters")
	}
	if strings.HasPrefix(strings.ToLower(key), "slack:") {
		return dsrflow.Errorf(dsrflow.EINVALID, "Idempotency-Key: the prefix slack: is reserved for Slack's buttons")
	}
	return nil
}

func fieldList(fields map[string]string) string {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, k+" "+fields[k])
	}
	return strings.Join(parts, "; ")
}

func joinTypes() string {
	names := make([]string, len(dsrflow.RequestTypes))
	for i, t := range dsrflow.RequestTypes {
		names[i] = string(t)
	}
	return strings.Join(names, ", ")
}
