package web

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/deadline"
	"github.com/dsrflow/dsrflow/internal/review"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/workflows"
)

// NewDisclosure is the body of POST /api/v1/disclosures: an authority's request for personal data.
type NewDisclosure struct {
	Authority  string   `json:"authority"`
	Country    string   `json:"country"`
	CaseRef    string   `json:"case_ref"`
	LegalBasis string   `json:"legal_basis"`
	CourtOrder string   `json:"court_order,omitempty"`
	Court      string   `json:"court,omitempty"`
	OrderDate  string   `json:"order_date,omitempty"`
	Emails     []string `json:"emails"`
	Categories []string `json:"categories"`
	GagUntil   string   `json:"gag_until,omitempty"`
}

// Working days after receipt, in the controller's country, before a reminder and an escalation.
const (
	disclosureRemindAfter   = 2
	disclosureEscalateAfter = 4
)

var countryCode = regexp.MustCompile(`^[A-Z]{2}$`)

// validateDisclosure checks an authority's request; every problem is reported, one per field. Values are
// never echoed: the subjects' addresses are personal data.
func (s *server) validateDisclosure(in NewDisclosure) (workflows.DisclosureInput, error) {
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
	case courtOrder == "" && (court != "" || orderDate != ""):
		fields["court_order"] = "the order's reference is required when a court or order date is given"
	case courtOrder != "":
		if court == "" {
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
		case !validEmail(e):
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
	return workflows.DisclosureInput{
		Authority: authority, Country: country, CaseRef: caseRef, LegalBasis: legalBasis,
		CourtOrder: courtOrder, Court: court, OrderDate: orderDate, Subjects: subjects, Categories: categories,
		GagUntil: gagUntil.UTC(), ReceivedAt: now.UTC(), Due: dueAt.UTC(), RemindAt: remind.UTC(), EscalateAt: escalate.UTC(),
	}, nil
}

func (s *server) handleCreateDisclosure() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body NewDisclosure
		if err := decodeJSON(r, &body); err != nil {
			s.fail(w, r, err)
			return
		}
		in, err := s.validateDisclosure(body)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		in.ID = newRequestID()
		in.Actor = principal(r).ID
		in.Link = s.link(r, in.ID)
		if err := s.startDisclosure(r.Context(), in); err != nil {
			s.fail(w, r, err)
			return
		}
		out := map[string]string{"id": in.ID, "type": workflows.TypeDisclosure, "status": string(dsrflow.StatusInReview)}
		if in.CourtOrder == "" {
			out["status"], out["reply"] = string(dsrflow.StatusRejected), workflows.NoOrderReply(in.CaseRef)
		}
		writeJSON(w, http.StatusCreated, out)
	})
}

// startDisclosure writes the index row, then starts the workflow. The subjects go to the workflow only:
// its (encrypted) input is the one place they are kept.
func (s *server) startDisclosure(ctx context.Context, in workflows.DisclosureInput) error {
	row := store.Request{ID: in.ID, Type: workflows.TypeDisclosure, Status: dsrflow.StatusReceived, Country: in.Country,
		ReceivedAt: in.ReceivedAt, DueAt: in.Due, UpdatedAt: s.now().UTC()}
	if err := s.Store.PutRequest(ctx, row); err != nil {
		return err
	}
	_, err := s.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
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
	if err != nil {
		closed := s.now().UTC()
		row.Status, row.ClosedAt = dsrflow.StatusCanceled, &closed
		_ = s.Store.PutRequest(context.WithoutCancel(ctx), row)
		return fmt.Errorf("start workflow %s: %w", in.ID, err)
	}
	return nil
}

// link is a request's page in the front door, for cards and alerts; like every link, it is built from
// the configured public URL, never from the request's headers.
func (s *server) link(_ *http.Request, id string) string {
	return s.publicURL() + "/api/v1/requests/" + id
}

// publicURL is the base of every link the front door builds: Deps.PublicURL without its trailing slash.
// Empty (a server built without one, as in handler tests) makes links relative to this server, never
// absolute links to a host a client named.
func (s *server) publicURL() string { return strings.TrimRight(s.PublicURL, "/") }

// voteBody is the body of the decision routes.
type voteBody struct {
	Decision string   `json:"decision"`
	Reason   string   `json:"reason"`
	Scope    []string `json:"scope,omitempty"`
}

func (s *server) handleDisclosureVote() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body voteBody
		if err := decodeJSON(r, &body); err != nil {
			s.fail(w, r, err)
			return
		}
		req, err := s.Store.GetRequest(r.Context(), r.PathValue("id"))
		if err == nil && req.Type != workflows.TypeDisclosure {
			err = dsrflow.Errorf(dsrflow.ENOTFOUND, "disclosure %s not found", req.ID)
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.vote(w, r, req, body)
	})
}

// vote casts the caller's vote on a disclosure through the dispatcher, with the groups of the caller's
// token. An Idempotency-Key header makes a retried call count once.
func (s *server) vote(w http.ResponseWriter, r *http.Request, req store.Request, body voteBody) {
	action := dsrflow.VoteAction(body.Decision)
	fields := map[string]string{}
	switch action {
	case dsrflow.VoteApprove, dsrflow.VoteReject, dsrflow.VoteNarrow:
	default:
		fields["decision"] = "must be approve, reject or narrow"
	}
	if action.NeedsReason() && strings.TrimSpace(body.Reason) == "" {
		fields["reason"] = "a rejection needs a reason"
	}
	if action == dsrflow.VoteNarrow && len(body.Scope) == 0 {
		fields["scope"] = "narrowing needs the categories to keep"
	}
	if action != dsrflow.VoteNarrow && len(body.Scope) > 0 {
		fields["scope"] = "only a narrowing vote has a scope"
	}
	if len(fields) > 0 {
		s.fail(w, r, &dsrflow.Error{Code: dsrflow.EINVALID, Message: "invalid decision: " + fieldList(fields), Fields: fields})
		return
	}
	if req.ClosedAt != nil {
		s.fail(w, r, dsrflow.Errorf(dsrflow.ECONFLICT, "disclosure is %s: it can no longer change", req.Status))
		return
	}
	key, err := idempotencyKey(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := principal(r)
	v := dsrflow.Vote{
		ReviewID: req.ID, Kind: dsrflow.ReviewDisclosure, Action: action, Reason: strings.TrimSpace(body.Reason), Scope: body.Scope,
		Reviewer: p.ID, Groups: s.groupsOf(p), Person: s.personOf(p), Via: "api", Key: key,
	}
	out, err := review.Dispatcher{Client: s.Client}.Deliver(r.Context(), v)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !out.Accepted {
		code := out.Code
		if code == "" {
			code = dsrflow.ECONFLICT
		}
		s.fail(w, r, dsrflow.Errorf(code, "%s", out.Message))
		return
	}
	state := ""
	if out.Card != nil {
		state = out.Card.State
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": req.ID, "accepted": true, "state": state})
}

// idempotencyKey is the caller's Idempotency-Key header. It only de-duplicates the caller's own retries:
// the dispatcher binds it to the caller and the review (review.UpdateID), so nobody else's vote shares
// it. Keys starting with "slack:" are the Slack clicks' own and refused here, so that an API call never
// reads as a click.
func idempotencyKey(r *http.Request) (string, error) {
	key := r.Header.Get("Idempotency-Key")
	if len(key) > 255 {
		return "", dsrflow.Errorf(dsrflow.EINVALID, "Idempotency-Key is longer than 255 characters")
	}
	if strings.HasPrefix(strings.ToLower(key), "slack:") {
		return "", dsrflow.Errorf(dsrflow.EINVALID, "Idempotency-Key: the prefix slack: is reserved for Slack's buttons")
	}
	return key, nil
}

// personOf is who the caller is, whatever name they used (dsrflow.Reviewers.PersonOf), by its principal
// id in its own space, like groupsOf.
func (s *server) personOf(p Principal) string { return s.Reviewers.PersonOf(p.ID) }

// groupsOf are the reviewer groups of the caller, by its principal id in its own space: a token named
// like a Slack member is not that member.
func (s *server) groupsOf(p Principal) []string {
	if !strings.Contains(p.ID, ":") {
		return nil // "dev", the privacy center: no space, no groups
	}
	return s.Reviewers.GroupsOf(p.ID)
}

// ReviewView is one pending decision of GET /api/v1/reviews. It names cases, never subjects.
type ReviewView struct {
	ID        string    `json:"id"`
	Kind      string    `json:"kind"`
	Status    string    `json:"status"`
	Country   string    `json:"country"`
	Received  time.Time `json:"received"`
	Due       string    `json:"due"`
	Approvals int       `json:"approvals"`
	// Disclosures only.
	Authority  string   `json:"authority,omitempty"`
	CaseRef    string   `json:"case_ref,omitempty"`
	CourtOrder string   `json:"court_order,omitempty"`
	Categories []string `json:"categories,omitempty"`
	Subjects   int      `json:"subjects,omitempty"`
}

func (s *server) handleReviews() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		rows, err := s.Store.ListRequests(ctx, store.RequestFilter{Status: string(dsrflow.StatusInReview), Open: true, Limit: 1000})
		if err != nil {
			s.fail(w, r, err)
			return
		}
		out := make([]ReviewView, 0, len(rows))
		for _, req := range rows {
			v := ReviewView{ID: req.ID, Kind: string(dsrflow.ReviewObjection), Status: string(req.Status), Country: req.Country,
				Received: req.ReceivedAt, Due: deadline.DateOfEnd(req.DueAt, req.Country)}
			decisions, err := s.Store.ListDecisions(ctx, req.ID)
			if err != nil {
				s.fail(w, r, err)
				return
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
				}
			}
			out = append(out, v)
		}
		writeJSON(w, http.StatusOK, out)
	})
}

func (s *server) handleTransparencyReport() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		year, err := strconv.Atoi(r.URL.Query().Get("year"))
		if err != nil || year < 1970 || year > 9999 {
			s.fail(w, r, &dsrflow.Error{Code: dsrflow.EINVALID, Message: "year must be a year, like 2026", Fields: map[string]string{"year": "must be a year, like 2026"}})
			return
		}
		rows, err := s.Store.TransparencyReport(r.Context(), year)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, rows)
	})
}
