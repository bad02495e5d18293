package service

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"net/mail"
	"slices"
	"strings"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/deadline"
	"github.com/dsrflow/dsrflow/internal/reconcile"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/workflows"
	"golang.org/x/text/language"
)

var channels = map[string]bool{"email": true, "web": true, "phone": true, "letter": true}

// maxEmail is the longest address that can be delivered: a forward path is at most 256 octets
// including its angle brackets (RFC 5321 section 4.5.3.1.3, with erratum 1690).
const maxEmail = 254

// Validate checks a new request and computes its deadlines; every problem is reported, one per field.
func (s *Service) Validate(in dsrflow.NewRequest) (workflows.RequestInput, error) {
	fields := map[string]string{}
	typ := dsrflow.RequestType(in.Type)
	if !typ.Valid() {
		fields["type"] = fmt.Sprintf("unknown type; one of %s", joinTypes())
	}
	email := strings.TrimSpace(in.Email)
	switch {
	case len(email) > maxEmail:
		fields["email"] = fmt.Sprintf("must be at most %d characters", maxEmail)
	case !ValidEmail(email):
		fields["email"] = "not a valid email address"
	}
	jurisdiction := deadline.Jurisdiction(strings.ToLower(strings.TrimSpace(in.Jurisdiction)))
	if jurisdiction == "" {
		jurisdiction = deadline.GDPR
	}
	country := strings.ToUpper(strings.TrimSpace(in.Country))
	if countries := deadline.CountriesFor(jurisdiction); country == "" && jurisdiction != deadline.GDPR && len(countries) == 1 {
		country = countries[0] // the CCPA's one country: `--jurisdiction ccpa` needs no `--country US`
	} else if country == "" {
		country = DefaultCountry
	}
	if jurisdiction != deadline.GDPR && jurisdiction != deadline.CCPA {
		fields["jurisdiction"] = "must be gdpr or ccpa"
	} else if !slices.Contains(deadline.CountriesFor(jurisdiction), country) {
		fields["country"] = fmt.Sprintf("unknown country for %s; one of %s", jurisdiction, strings.Join(deadline.CountriesFor(jurisdiction), ", "))
	}
	residence := strings.ToUpper(strings.TrimSpace(in.Residence))
	if residence == "" {
		residence = country
	} else if r, err := language.ParseRegion(residence); len(residence) != 2 || err != nil || !r.IsCountry() {
		fields["residence"] = "must be a country code (ISO 3166 alpha-2) like FR"
	}
	lang := dsrflow.DefaultLanguage
	if in.Language != "" {
		var ok bool
		if lang, ok = dsrflow.ParseLanguage(in.Language); !ok {
			fields["language"] = "must be one of " + strings.Join(dsrflow.Languages, ", ")
		}
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
	if typ.Valid() && !typ.Right().ExistsUnder(string(jurisdiction)) && fields["jurisdiction"] == "" {
		fields["jurisdiction"] = fmt.Sprintf("a %s request exists under %s only", typ, strings.Join(typ.Right().Jurisdictions, ", "))
	}
	if typ.Needs(dsrflow.InputCorrections) && len(in.Corrections) == 0 {
		fields["corrections"] = "a rectification needs at least one correction (category=value)"
	}
	for k, v := range in.Corrections {
		if strings.TrimSpace(k) == "" || strings.TrimSpace(v) == "" {
			fields["corrections"] = "every correction needs a category and a value"
		}
	}
	purposes, problem := checkPurposes(in.Purposes, s.purposes())
	switch {
	case problem != "":
		fields["purposes"] = problem
	case typ.Needs(dsrflow.InputPurposes) && len(purposes) == 0:
		fields["purposes"] = "a consent withdrawal needs at least one purpose"
	}
	agent := checkAgent(in, email, jurisdiction, fields)
	ground := dsrflow.RestrictionGround(strings.TrimSpace(in.Ground))
	switch {
	case typ.Needs(dsrflow.InputRestrictionGround) && !ground.Valid():
		fields["ground"] = "a restriction needs its ground (GDPR Art. 18(1)): one of " + dsrflow.RestrictionGroundList()
	case ground != "" && typ.Valid() && !typ.Accepts(dsrflow.InputRestrictionGround):
		fields["ground"] = fmt.Sprintf("a %s request takes no ground; only a restriction does", typ)
	}
	if len(fields) > 0 {
		return workflows.RequestInput{}, &dsrflow.Error{Code: dsrflow.EINVALID, Message: "invalid request: " + fieldList(fields), Fields: fields}
	}
	due, err := deadline.ComputeFor(received, country, jurisdiction, typ.Right())
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
	// An objection to direct marketing is absolute (GDPR Art. 21(3)): like a marketing opt-out it stops
	// processing and returns nothing, so it needs no identity check and no review.
	directMarketing := typ.Right().Review && dsrflow.ObjectsToDirectMarketing(s.purposes(), purposes)
	if directMarketing {
		verification = dsrflow.VerifyNone
	}
	if strings.TrimSpace(in.Attest) != "" {
		verification = dsrflow.VerifyAgentAttested
	} else if v, problem := s.verificationFor(typ, in.Verification, verification); problem != "" {
		return workflows.RequestInput{}, &dsrflow.Error{Code: dsrflow.EINVALID, Message: "invalid request: verification: " + problem, Fields: map[string]string{"verification": problem}}
	} else {
		verification = v
	}
	return workflows.RequestInput{
		Type: typ, Country: country, Jurisdiction: string(jurisdiction), Channel: channel, Residence: residence, Language: lang,
		ReceivedAt: received.UTC(), Due: dueAt.UTC(), ExtendedDue: extendedAt.UTC(),
		SubjectKey:   s.Key.SubjectKey(email),
		Identity:     dsrflow.Identity{Email: email, Name: strings.TrimSpace(in.Name), Phone: strings.TrimSpace(in.Phone), CustomerIDs: in.CustomerIDs},
		Verification: verification, AttestReason: strings.TrimSpace(in.Attest),
		Corrections: in.Corrections, Purposes: purposes, Grounds: in.Grounds, DirectMarketing: directMarketing,
		RestrictionGround: string(ground),
		Entered:           now.UTC(), Agent: agent,
	}, nil
}

// CreateRequest implements dsrflow.RequestService.
func (s *Service) CreateRequest(ctx context.Context, body dsrflow.NewRequest) (dsrflow.CreatedRequest, error) {
	p, err := caller(ctx, agents...)
	if err != nil {
		return dsrflow.CreatedRequest{}, err
	}
	in, err := s.Validate(body)
	if err != nil {
		return dsrflow.CreatedRequest{}, err
	}
	in.ID = NewRequestID()
	in.Version = workflows.RequestVersion
	// The policy the request's timers run under is fixed now, in its input (and its pending start).
	policy := workflows.CurrentPolicy()
	in.Policy = &policy
	in.Actor = p.ID
	in.Link = s.link(in.ID)
	in.RepeatOf = s.repeatOf(ctx, in)
	if err := s.record(ctx, in); err != nil {
		return dsrflow.CreatedRequest{}, err
	}
	if !body.DeferStart {
		s.start(ctx, in)
	}
	return dsrflow.CreatedRequest{
		ID: in.ID, Status: string(dsrflow.StatusReceived), Type: string(in.Type),
		Due: deadline.DateOfEnd(in.Due, in.Country), ExtendedDue: deadline.DateOfEnd(in.ExtendedDue, in.Country),
		Verification: string(in.Verification),
	}, nil
}

// record writes the request in one transaction: its index row, the subject's detail and the workflow's
// complete input as a pending start (store.CreateRequest). From its commit on the request cannot be
// lost: if this process dies before the workflow starts, the reconciler starts it from what was stored.
// A second open request of the subject and type is refused by the database, naming the first
// (ECONFLICT), whichever front door recorded it.
func (s *Service) record(ctx context.Context, in workflows.RequestInput) error {
	row := store.Request{ID: in.ID, Type: in.Type, Status: dsrflow.StatusReceived, Country: in.Country,
		Jurisdiction: in.Jurisdiction, ReceivedAt: in.ReceivedAt, DueAt: in.Due, UpdatedAt: s.now().UTC(), SubjectKey: in.SubjectKey,
		Residence: in.Residence, Language: in.Language}
	identity, _ := json.Marshal(in.Identity)
	details, _ := json.Marshal(map[string]any{"corrections": in.Corrections, "purposes": in.Purposes, "grounds": in.Grounds, "ground": in.RestrictionGround, "channel": in.Channel, "verification": in.Verification})
	input, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("encode input of %s: %w", in.ID, err)
	}
	d := store.RequestDetail{RequestID: in.ID, Identity: identity, Details: details}
	if in.Agent != nil {
		d.Agent = &store.RequestAgent{Name: in.Agent.Name, Email: in.Agent.Email, PermissionSHA256: in.Agent.PermissionSHA256}
	}
	return s.Store.CreateRequest(ctx, row, d, input)
}

// start starts a recorded request's workflow and drops its pending start. A failure is logged, not
// returned: the request is recorded, and the reconciler starts it within a minute of its grace period.
func (s *Service) start(ctx context.Context, in workflows.RequestInput) {
	ctx = context.WithoutCancel(ctx)
	if err := reconcile.StartRequest(ctx, s.Client, in); err != nil {
		s.logger().Warn("workflow not started at intake; the reconciler will start it", "request_id", in.ID, "error", err)
		return
	}
	if err := s.Store.DropPendingStart(ctx, in.ID); err != nil {
		s.logger().Warn("pending start not dropped; the reconciler will", "request_id", in.ID, "error", err)
	}
}

// StartRequest implements dsrflow.RequestService: it starts a recorded request's workflow from its
// pending start, off the request path of the privacy center. A failure is logged; the reconciler starts
// what is left.
func (s *Service) StartRequest(ctx context.Context, requestID string) {
	p, err := s.Store.GetPendingStart(ctx, requestID)
	if err != nil {
		s.logger().Warn("pending start not read; the reconciler will start the request", "request_id", requestID, "error", err)
		return
	}
	var in workflows.RequestInput
	if err := json.Unmarshal(p.Input, &in); err != nil {
		s.logger().Warn("pending start not decoded; the reconciler will report it", "request_id", requestID, "error", err)
		return
	}
	s.start(ctx, in)
}

// ValidEmail accepts every address RFC 5322 allows, quotes and dashes included: refusing a real person's
// address fails them, and connectors bind values rather than trust them. Display names are not.
func ValidEmail(email string) bool {
	addr, err := mail.ParseAddress(email)
	return err == nil && addr.Name == "" && !strings.ContainsAny(email, "<>") &&
		strings.Contains(addr.Address[strings.LastIndex(addr.Address, "@")+1:], ".")
}

// NewRequestID returns "dsr_" and 26 base32 characters of randomness: no personal data, not guessable.
func NewRequestID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "dsr_" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}
