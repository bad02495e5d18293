package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/mail"
	"strings"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/deadline"
	"github.com/dsrflow/dsrflow/internal/reconcile"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/workflows"
)

// maxBody bounds JSON request bodies.
const maxBody = 64 << 10

// NewRequest is the body of POST /api/v1/requests.
type NewRequest struct {
	Type         string            `json:"type"`
	Email        string            `json:"email"`
	Name         string            `json:"name,omitempty"`
	Phone        string            `json:"phone,omitempty"`
	CustomerIDs  map[string]string `json:"customer_ids,omitempty"`
	Country      string            `json:"country,omitempty"`
	Jurisdiction string            `json:"jurisdiction,omitempty"`
	Received     string            `json:"received,omitempty"`
	Channel      string            `json:"channel,omitempty"`
	Attest       string            `json:"attest,omitempty"`
	Corrections  map[string]string `json:"corrections,omitempty"`
	Purposes     []string          `json:"purposes,omitempty"`
	Grounds      string            `json:"grounds,omitempty"`
}

// DefaultCountry is the controller's country, for requests that name none.
const DefaultCountry = "NO"

var channels = map[string]bool{"email": true, "web": true, "phone": true, "letter": true}

// validate checks the request and computes its deadlines; every problem is reported, one per field.
func (s *server) validate(in NewRequest) (workflows.RequestInput, error) {
	fields := map[string]string{}
	typ := dsrflow.RequestType(in.Type)
	if !typ.Valid() {
		fields["type"] = fmt.Sprintf("unknown type; one of %s", joinTypes())
	}
	email := strings.TrimSpace(in.Email)
	switch {
	case len(email) > maxEmail:
		fields["email"] = fmt.Sprintf("must be at most %d characters", maxEmail)
	case !validEmail(email):
		fields["email"] = "not a valid email address"
	}
	country := strings.ToUpper(strings.TrimSpace(in.Country))
	if country == "" {
		country = DefaultCountry
	}
	jurisdiction := deadline.Jurisdiction(strings.ToLower(strings.TrimSpace(in.Jurisdiction)))
	if jurisdiction == "" {
		jurisdiction = deadline.GDPR
	}
	if jurisdiction != deadline.GDPR && jurisdiction != deadline.CCPA {
		fields["jurisdiction"] = "must be gdpr or ccpa"
	} else if !contains(deadline.CountriesFor(jurisdiction), country) {
		fields["country"] = fmt.Sprintf("unknown country for %s; one of %s", jurisdiction, strings.Join(deadline.CountriesFor(jurisdiction), ", "))
	}
	now := s.now()
	received := now
	if in.Received != "" && fields["country"] == "" {
		at, err := deadline.ParseReceived(in.Received, country)
		switch {
		case err != nil:
			fields["received"] = "must be a date (YYYY-MM-DD) or an RFC 3339 time"
		case at.After(now):
			fields["received"] = "is in the future"
		default:
			received = at
		}
	}
	channel := in.Channel
	if channel == "" {
		channel = "web"
	}
	if !channels[channel] {
		fields["channel"] = "must be email, web, phone or letter"
	}
	if typ == dsrflow.Rectification && len(in.Corrections) == 0 {
		fields["corrections"] = "a rectification needs at least one correction (category=value)"
	}
	for k, v := range in.Corrections {
		if strings.TrimSpace(k) == "" || strings.TrimSpace(v) == "" {
			fields["corrections"] = "every correction needs a category and a value"
		}
	}
	if typ == dsrflow.ConsentWithdrawal && len(in.Purposes) == 0 {
		fields["purposes"] = "a consent withdrawal needs at least one purpose"
	}
	if len(fields) > 0 {
		return workflows.RequestInput{}, &dsrflow.Error{Code: dsrflow.EINVALID, Message: "invalid request: " + fieldList(fields), Fields: fields}
	}
	due, err := deadline.Compute(received, country, jurisdiction)
	if err != nil {
		return workflows.RequestInput{}, err
	}
	dueAt, err := deadline.EndOfDay(due.Due, country)
	if err != nil {
		return workflows.RequestInput{}, err
	}
	extendedAt, err := deadline.EndOfDay(due.ExtendedDue, country)
	if err != nil {
		return workflows.RequestInput{}, err
	}
	verification := typ.DefaultVerification()
	if strings.TrimSpace(in.Attest) != "" {
		verification = dsrflow.VerifyAgentAttested
	}
	return workflows.RequestInput{
		Type: typ, Country: country, Jurisdiction: string(jurisdiction), Channel: channel,
		ReceivedAt: received.UTC(), Due: dueAt.UTC(), ExtendedDue: extendedAt.UTC(),
		SubjectKey:   s.Key.SubjectKey(email),
		Identity:     dsrflow.Identity{Email: email, Name: strings.TrimSpace(in.Name), Phone: strings.TrimSpace(in.Phone), CustomerIDs: in.CustomerIDs},
		Verification: verification, AttestReason: strings.TrimSpace(in.Attest),
		Corrections: in.Corrections, Purposes: in.Purposes, Grounds: in.Grounds,
	}, nil
}

func (s *server) handleCreateRequest() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body NewRequest
		if err := decodeJSON(r, &body); err != nil {
			s.fail(w, r, err)
			return
		}
		in, err := s.validate(body)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		in.ID = newRequestID()
		in.Version = workflows.RequestVersion
		// The policy the request's timers run under is fixed now, in its input (and its pending start).
		policy := workflows.CurrentPolicy()
		in.Policy = &policy
		in.Actor = principal(r).ID
		in.Link = s.link(r, in.ID)
		if err := s.record(r.Context(), in); err != nil {
			s.fail(w, r, err)
			return
		}
		// The privacy center starts its requests itself once it has answered (startPending), so that the
		// answer takes the same time whatever the address's state.
		if principal(r).ID != privacyCenter.ID {
			s.start(r.Context(), in)
		}
		writeJSON(w, http.StatusCreated, map[string]string{
			"id": in.ID, "status": string(dsrflow.StatusReceived), "type": string(in.Type),
			"due": deadline.DateOfEnd(in.Due, in.Country), "extended_due": deadline.DateOfEnd(in.ExtendedDue, in.Country),
			"verification": string(in.Verification),
		})
	})
}

// record writes the request in one transaction: its index row, the subject's detail and the workflow's
// complete input as a pending start (store.CreateRequest). From its commit on the request cannot be
// lost: if this process dies before the workflow starts, the reconciler starts it from what was stored.
// A second open request of the subject and type is refused by the database, naming the first
// (ECONFLICT), whichever front door recorded it.
func (s *server) record(ctx context.Context, in workflows.RequestInput) error {
	row := store.Request{ID: in.ID, Type: in.Type, Status: dsrflow.StatusReceived, Country: in.Country,
		Jurisdiction: in.Jurisdiction, ReceivedAt: in.ReceivedAt, DueAt: in.Due, UpdatedAt: s.now().UTC(), SubjectKey: in.SubjectKey}
	identity, _ := json.Marshal(in.Identity)
	details, _ := json.Marshal(map[string]any{"corrections": in.Corrections, "purposes": in.Purposes, "grounds": in.Grounds, "channel": in.Channel, "verification": in.Verification})
	input, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("encode input of %s: %w", in.ID, err)
	}
	return s.Store.CreateRequest(ctx, row, store.RequestDetail{RequestID: in.ID, Identity: identity, Details: details}, input)
}

// start starts a recorded request's workflow and drops its pending start. A failure is logged, not
// returned: the request is recorded, and the reconciler starts it within a minute of its grace period.
func (s *server) start(ctx context.Context, in workflows.RequestInput) {
	ctx = context.WithoutCancel(ctx)
	if err := reconcile.StartRequest(ctx, s.Client, in); err != nil {
		s.Logger.Warn("workflow not started at intake; the reconciler will start it", "request_id", in.ID, "error", err)
		return
	}
	if err := s.Store.DropPendingStart(ctx, in.ID); err != nil {
		s.Logger.Warn("pending start not dropped; the reconciler will", "request_id", in.ID, "error", err)
	}
}

// maxEmail is the longest address that can be delivered: a forward path is at most 256 octets
// including its angle brackets (RFC 5321 section 4.5.3.1.3, with erratum 1690).
const maxEmail = 254

// startPending starts a recorded request's workflow from its pending start, off the request path of the
// privacy center. A failure is logged; the reconciler starts what is left.
func (s *server) startPending(ctx context.Context, requestID string) {
	p, err := s.Store.GetPendingStart(ctx, requestID)
	if err != nil {
		s.Logger.Warn("pending start not read; the reconciler will start the request", "request_id", requestID, "error", err)
		return
	}
	var in workflows.RequestInput
	if err := json.Unmarshal(p.Input, &in); err != nil {
		s.Logger.Warn("pending start not decoded; the reconciler will report it", "request_id", requestID, "error", err)
		return
	}
	s.start(ctx, in)
}

// validEmail accepts every address RFC 5322 allows, quotes and dashes included: refusing a real person's
// address fails them, and connectors bind values rather than trust them. Display names are not.
func validEmail(email string) bool {
	addr, err := mail.ParseAddress(email)
	return err == nil && addr.Name == "" && !strings.ContainsAny(email, "<>") &&
		strings.Contains(addr.Address[strings.LastIndex(addr.Address, "@")+1:], ".")
}

// newRequestID returns "dsr_" and 26 base32 characters of randomness: no personal data, not guessable.
func newRequestID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "dsr_" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

func decodeJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, maxBody+1))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var syntax *json.SyntaxError
		var typeErr *json.UnmarshalTypeError
		switch {
		case errors.As(err, &typeErr):
			return dsrflow.Errorf(dsrflow.EINVALID, "field %s has the wrong type", typeErr.Field)
		case errors.As(err, &syntax), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
			return dsrflow.Errorf(dsrflow.EINVALID, "body is not valid JSON")
		case strings.HasPrefix(err.Error(), "json: unknown field"):
			return dsrflow.Errorf(dsrflow.EINVALID, "%s", strings.TrimPrefix(err.Error(), "json: "))
		}
		return dsrflow.Errorf(dsrflow.EINVALID, "body is not valid JSON or is larger than %d bytes", maxBody)
	}
	// One value per body: a second one would be ignored silently, which a caller never means.
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return dsrflow.Errorf(dsrflow.EINVALID, "body must hold one JSON object and nothing after it")
	}
	return nil
}

// decodeEmptyJSON accepts a body that is empty or an empty JSON object, for routes that take no input:
// anything else is refused rather than ignored.
func decodeEmptyJSON(r *http.Request) error {
	data, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return dsrflow.Errorf(dsrflow.EINVALID, "cannot read body")
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	r.Body = io.NopCloser(bytes.NewReader(data))
	return decodeJSON(r, &struct{}{})
}

func joinTypes() string {
	names := make([]string, len(dsrflow.RequestTypes))
	for i, t := range dsrflow.RequestTypes {
		names[i] = string(t)
	}
	return strings.Join(names, ", ")
}

func fieldList(fields map[string]string) string {
	var parts []string
	for _, k := range sortedKeys(fields) {
		parts = append(parts, k+" "+fields[k])
	}
	return strings.Join(parts, "; ")
}
