package service

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/deadline"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/workflows"
)

// Working days after receipt, in the controller's country, before a reminder and an escalation.
const (
	disclosureRemindAfter   = 2
	disclosureEscalateAfter = 4
)

// A vital_interest request's review: a reminder after one hour, an escalation to the DPO after four.
const (
	VitalInterestRemindAfter   = time.Hour
	VitalInterestEscalateAfter = 4 * time.Hour
)

// MaxOrderDocument is the largest order document kept (its hash and an encrypted copy), in bytes.
const MaxOrderDocument = 5 << 20

var (
	countryCode = regexp.MustCompile(`^[A-Z]{2}$`)
	sha256Hex   = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// ValidateDisclosure checks an authority's request; every problem is reported, one per field. Values are
// never echoed: the subjects' addresses are personal data.
func (s *Service) ValidateDisclosure(in dsrflow.NewDisclosure) (workflows.DisclosureInput, error) {
	fields := map[string]string{}
	text := func(name, v string, max int, required bool) string {
		v = strings.TrimSpace(v)
		switch {
		case v == "" && required:
			fields[name] = "is required"
		case len(v) > max:
			fields[name] = fmt.Sprintf("at most %d characters", max)
		}
		return v
	}
	authority := text("authority", in.Authority, 200, true)
	caseRef := text("case_ref", in.CaseRef, 100, true)
	legalBasis := text("legal_basis", in.LegalBasis, 1000, true)
	courtOrder := text("court_order", in.CourtOrder, 100, false)
	court := text("court", in.Court, 200, false)
	country := strings.ToUpper(strings.TrimSpace(in.Country))
	if !countryCode.MatchString(country) {
		fields["country"] = "must be the authority's ISO 3166 alpha-2 code, like NO or SE"
	}
	now := s.now()
	today := deadline.DateOf(now)
	if loc, err := deadline.Location(DefaultCountry); err == nil {
		today = deadline.DateOf(now.In(loc))
	}
	orderDate := strings.TrimSpace(in.OrderDate)
	switch {
	case courtOrder == "" && court != "":
		fields["court_order"] = "the order's reference is required when a court is given"
	case courtOrder == "" && orderDate != "":
		fields["court_order"] = "the order's reference is required when an order date is given"
	case courtOrder != "":
		// A police request's order is a court's; another authority's order is its own.
		if court == "" && dsrflow.DisclosureKind(strings.TrimSpace(in.Kind)).Or() == dsrflow.KindPolice {
			fields["court"] = "is required with a court order"
		}
		if d, err := deadline.ParseDate(orderDate); err != nil {
			fields["order_date"] = "must be the order's date, YYYY-MM-DD"
		} else if d.After(today) {
			fields["order_date"] = "is in the future"
		}
	}
	var subjects []dsrflow.Identity
	seen := map[string]bool{}
	for _, e := range in.Emails {
		e = strings.TrimSpace(e)
		switch {
		case !ValidEmail(e):
			fields["emails"] = "every entry must be a valid email address"
		case seen[strings.ToLower(e)]:
			fields["emails"] = "an address is listed twice"
		default:
			seen[strings.ToLower(e)] = true
			subjects = append(subjects, dsrflow.Identity{Email: e})
		}
	}
	if len(in.Emails) == 0 {
		fields["emails"] = "at least one subject's email address is required"
	} else if len(in.Emails) > 1000 {
		fields["emails"] = "at most 1000 subjects"
	}
	var categories []string
	for _, c := range in.Categories {
		c = strings.TrimSpace(c)
		switch {
		case c == "" || len(c) > 100:
			fields["categories"] = "every category must be 1 to 100 characters"
		case slices.Contains(categories, c):
			fields["categories"] = "a category is listed twice"
		default:
			categories = append(categories, c)
		}
	}
	if len(in.Categories) == 0 {
		fields["categories"] = "at least one data category is required"
	}
	kind := dsrflow.DisclosureKind(strings.TrimSpace(in.Kind)).Or()
	if !kind.Valid() {
		fields["kind"] = "must be police, supervisory_authority, statutory_order or vital_interest"
	}
	statute := text("statute", in.Statute, 300, false)
	switch {
	case kind == dsrflow.KindStatutoryOrder && statute == "":
		fields["statute"] = "is required for a statutory_order: the law that compels the disclosure"
	case kind != dsrflow.KindStatutoryOrder && statute != "" && kind.Valid():
		fields["statute"] = "is given for a statutory_order only"
	}
	var orderDoc []byte
	orderHash := strings.ToLower(strings.TrimSpace(in.OrderSHA256))
	if orderHash != "" && !sha256Hex.MatchString(orderHash) {
		fields["order_sha256"] = "must be the order document's SHA-256, 64 hexadecimal digits"
	}
	if v := strings.TrimSpace(in.OrderDocument); v != "" {
		doc, err := base64.StdEncoding.DecodeString(v)
		switch {
		case err != nil || len(doc) == 0:
			fields["order_document"] = "must be the order document, base64 (standard alphabet, padded)"
		case len(doc) > MaxOrderDocument:
			fields["order_document"] = fmt.Sprintf("at most %d bytes", MaxOrderDocument)
		default:
			sum := sha256.Sum256(doc)
			if h := hex.EncodeToString(sum[:]); orderHash != "" && orderHash != h {
				fields["order_sha256"] = "does not match the order document"
			} else {
				orderDoc, orderHash = doc, h
			}
		}
	}
	// The subjects are told in the language asked for, else in the authority's country's.
	lang := dsrflow.CountryLanguage(country)
	if v := strings.TrimSpace(in.Language); v != "" {
		if l, ok := dsrflow.ParseLanguage(v); ok {
			lang = l
		} else {
			fields["language"] = "must be one of " + strings.Join(dsrflow.Languages, ", ")
		}
	}
	var gagUntil time.Time
	if v := strings.TrimSpace(in.GagUntil); v != "" {
		d, err := deadline.ParseDate(v)
		if err != nil {
			fields["gag_until"] = "must be a date, YYYY-MM-DD"
		} else if !d.After(today) {
			fields["gag_until"] = "must be after today"
		} else if gagUntil, err = deadline.EndOfDay(d, DefaultCountry); err != nil {
			return workflows.DisclosureInput{}, err
		}
	}
	if len(fields) > 0 {
		return workflows.DisclosureInput{}, &dsrflow.Error{Code: dsrflow.EINVALID, Message: "invalid disclosure: " + fieldList(fields), Fields: fields}
	}
	// Deadlines count in the controller's country, where the reviewers work.
	due, err := deadline.Compute(now, DefaultCountry, deadline.GDPR)
	if err != nil {
		return workflows.DisclosureInput{}, err
	}
	dueAt, err := deadline.EndOfDay(due.Due, DefaultCountry)
	if err != nil {
		return workflows.DisclosureInput{}, err
	}
	remind, err := deadline.AddWorkingDays(now, disclosureRemindAfter, DefaultCountry)
	if err != nil {
		return workflows.DisclosureInput{}, err
	}
	escalate, err := deadline.AddWorkingDays(now, disclosureEscalateAfter, DefaultCountry)
	if err != nil {
		return workflows.DisclosureInput{}, err
	}
	if kind == dsrflow.KindVitalInterest {
		// An emergency is decided within hours, whatever the day.
		remind, escalate = now.Add(VitalInterestRemindAfter), now.Add(VitalInterestEscalateAfter)
	}
	return workflows.DisclosureInput{
		Kind: kind, Statute: statute, OrderSHA256: orderHash, OrderDocument: orderDoc,
		Authority: authority, Country: country, CaseRef: caseRef, LegalBasis: legalBasis,
		CourtOrder: courtOrder, Court: court, OrderDate: orderDate, Subjects: subjects, Categories: categories,
		GagUntil: gagUntil.UTC(), ReceivedAt: now.UTC(), Due: dueAt.UTC(), RemindAt: remind.UTC(), EscalateAt: escalate.UTC(),
		Language: lang,
	}, nil
}

// CreateDisclosure implements dsrflow.RequestService.
func (s *Service) CreateDisclosure(ctx context.Context, body dsrflow.NewDisclosure) (dsrflow.CreatedDisclosure, error) {
	p, err := caller(ctx, agents...)
	if err != nil {
		return dsrflow.CreatedDisclosure{}, err
	}
	in, err := s.ValidateDisclosure(body)
	if err != nil {
		return dsrflow.CreatedDisclosure{}, err
	}
	in.ID = NewRequestID()
	in.Actor = p.ID
	in.Link = s.link(in.ID)
	if err := s.startDisclosure(ctx, in); err != nil {
		return dsrflow.CreatedDisclosure{}, err
	}
	out := dsrflow.CreatedDisclosure{ID: in.ID, Type: workflows.TypeDisclosure, Status: string(dsrflow.StatusInReview)}
	if workflows.RefusedWithoutOrder(in) {
		out.Status, out.Reply = string(dsrflow.StatusRejected), workflows.NoOrderReply(in.CaseRef)
	}
	return out, nil
}

// startDisclosure writes the index row, then starts the workflow. The subjects go to the workflow only:
// its (encrypted) input is the one place they are kept.
func (s *Service) startDisclosure(ctx context.Context, in workflows.DisclosureInput) error {
	row := store.Request{ID: in.ID, Type: workflows.TypeDisclosure, Status: dsrflow.StatusReceived, Country: in.Country,
		ReceivedAt: in.ReceivedAt, DueAt: in.Due, UpdatedAt: s.now().UTC()}
	if err := s.Store.PutRequest(ctx, row); err != nil {
		return err
	}
	var err error
	if len(in.OrderDocument) > 0 {
		// Kept encrypted in the store; the workflow's input carries its hash only (OrderDocument is never
		// serialized).
		err = s.Store.PutDisclosureOrder(ctx, in.ID, in.OrderDocument)
	}
	if err == nil {
		_, err = s.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
			ID:                    in.ID,
			TaskQueue:             workflows.TaskQueue,
			WorkflowIDReusePolicy: enums.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
			TypedSearchAttributes: temporal.NewSearchAttributes(
				workflows.AttrType.ValueSet(workflows.TypeDisclosure),
				workflows.AttrStatus.ValueSet(string(dsrflow.StatusReceived)),
				workflows.AttrCountry.ValueSet(in.Country),
				workflows.AttrDueAt.ValueSet(in.Due),
			),
		}, workflows.Disclosure, in)
	}
	if err != nil {
		closed := s.now().UTC()
		row.Status, row.ClosedAt = dsrflow.StatusCanceled, &closed
		_ = s.Store.PutRequest(context.WithoutCancel(ctx), row)
		return fmt.Errorf("start workflow %s: %w", in.ID, err)
	}
	return nil
}

// VoteDisclosure implements dsrflow.RequestService.
func (s *Service) VoteDisclosure(ctx context.Context, id string, d dsrflow.ReviewDecision) (dsrflow.Decided, error) {
	p, err := caller(ctx, reviewers...)
	if err != nil {
		return dsrflow.Decided{}, err
	}
	req, err := s.Store.GetRequest(ctx, id)
	if err == nil && req.Type != workflows.TypeDisclosure {
		err = dsrflow.Errorf(dsrflow.ENOTFOUND, "disclosure %s not found", req.ID)
	}
	if err != nil {
		return dsrflow.Decided{}, err
	}
	return s.vote(ctx, p, req.ID, string(req.Status), req.ClosedAt != nil, d)
}

// Reviews implements dsrflow.RequestService.
func (s *Service) Reviews(ctx context.Context) ([]dsrflow.ReviewView, error) {
	if _, err := caller(ctx, everyone...); err != nil {
		return nil, err
	}
	rows, err := s.Store.ListRequests(ctx, store.RequestFilter{Status: string(dsrflow.StatusInReview), Open: true, Limit: 1000})
	if err != nil {
		return nil, err
	}
	out := make([]dsrflow.ReviewView, 0, len(rows))
	for _, req := range rows {
		v := dsrflow.ReviewView{ID: req.ID, Kind: string(dsrflow.ReviewObjection), Status: string(req.Status), Country: req.Country,
			Received: req.ReceivedAt, Due: deadline.DateOfEnd(req.DueAt, req.Country)}
		decisions, err := s.Store.ListDecisions(ctx, req.ID)
		if err != nil {
			return nil, err
		}
		for _, d := range decisions {
			if d.Decision == store.DecisionApprove {
				v.Approvals++
			}
		}
		if req.Type == workflows.TypeDisclosure {
			v.Kind = string(dsrflow.ReviewDisclosure)
			if d, err := s.Store.GetDisclosure(ctx, req.ID); err == nil {
				v.Authority, v.CaseRef, v.CourtOrder, v.Subjects = d.Authority, d.CaseRef, d.CourtOrder, d.Subjects
				v.Categories = d.CategoriesRequested
				v.DisclosureKind, v.Basis = string(d.Kind.Or()), d.Kind.Basis(d.Statute)
			}
		}
		out = append(out, v)
	}
	return out, nil
}

// DisclosureRegister implements dsrflow.RequestService.
func (s *Service) DisclosureRegister(ctx context.Context, year int) ([]dsrflow.RegisterRow, error) {
	if _, err := caller(ctx, dpoOnly...); err != nil {
		return nil, err
	}
	from := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC)
	list, err := s.Store.ListDisclosures(ctx, from, from.AddDate(1, 0, 0))
	if err != nil {
		return nil, err
	}
	out := make([]dsrflow.RegisterRow, 0, len(list))
	for _, d := range list {
		out = append(out, dsrflow.RegisterRow{ID: d.RequestID, Authority: d.Authority, Country: d.Country, CaseRef: d.CaseRef, LegalBasis: d.LegalBasis,
			CourtOrder: d.CourtOrder, Court: d.Court, OrderDate: d.OrderDate, CategoriesRequested: d.CategoriesRequested,
			Kind: string(d.Kind.Or()), Statute: d.Statute, OrderSHA256: d.OrderSHA256, SubjectsDisclosed: d.SubjectsDisclosed,
			CategoriesDisclosed: d.CategoriesDisclosed, Subjects: d.Subjects, Outcome: string(d.Outcome), Approvers: d.Approvers,
			GagUntil: d.GagUntil, Received: d.ReceivedAt, Decided: d.DecidedAt, Disclosed: d.DisclosedAt})
	}
	return out, nil
}

// OrderReadAction is the audit action of a read of a disclosure's order copy.
const OrderReadAction = "disclosure_order_read"

// DisclosureOrder implements dsrflow.RequestService: the DPO's read of the order copy, audited on the
// disclosure with the reader (the order may name people; who read it is on the record).
func (s *Service) DisclosureOrder(ctx context.Context, id string) (dsrflow.OrderCopy, error) {
	p, err := caller(ctx, dpoOnly...)
	if err != nil {
		return dsrflow.OrderCopy{}, err
	}
	doc, sum, err := s.Store.DisclosureOrder(ctx, id)
	if err != nil {
		return dsrflow.OrderCopy{}, err
	}
	if _, err := s.Store.AppendAudit(ctx, store.AuditEvent{At: s.now().UTC(), RequestID: id, Action: OrderReadAction, Actor: p.ID,
		Detail: map[string]string{"sha256": sum}}); err != nil {
		return dsrflow.OrderCopy{}, err
	}
	return dsrflow.OrderCopy{RequestID: id, Document: doc, SHA256: sum}, nil
}
