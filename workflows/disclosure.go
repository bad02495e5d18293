package workflows

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/activities/act"
	"github.com/dsrflow/dsrflow/connectors"
)

// Message names of the disclosure workflow.
const (
	// UpdateVote carries a reviewer's dsrflow.Vote and answers a dsrflow.VoteOutcome. The front door uses
	// the vote's key as the update id, so a retried vote counts once.
	UpdateVote = "vote"
	// QueryDisclosure answers a DisclosureState.
	QueryDisclosure = "disclosure"
)

// TypeDisclosure is the type of a disclosure's row in the request index.
const TypeDisclosure = "disclosure"

// LegalGroup must approve a disclosure twice (two different members); DPOGroup is escalated to.
const (
	LegalGroup = "legal"
	DPOGroup   = "dpo"
	// approvalsNeeded is how many different members of LegalGroup must approve.
	approvalsNeeded = 2
)

// DisclosureInput starts a disclosure workflow: an authority's request for personal data. Subjects are
// personal data: they live in the (encrypted) history only, never in the store, ids, cards or logs.
type DisclosureInput struct {
	ID string
	// Kind is the kind of authority request (empty in inputs from before kinds: police); Statute names
	// the law of a statutory order; OrderSHA256 is the hex SHA-256 of the order document, if supplied.
	Kind                        dsrflow.DisclosureKind
	Statute                     string
	OrderSHA256                 string
	Authority, Country, CaseRef string
	LegalBasis                  string
	// CourtOrder is the order's reference; empty means the authority has none and nothing is disclosed.
	CourtOrder, Court, OrderDate string
	Subjects                     []dsrflow.Identity
	Categories                   []string
	// GagUntil is the end of the gag order's last day; zero when the subjects may be told at once.
	GagUntil   time.Time
	ReceivedAt time.Time
	// Due is when the authority is to be answered; RemindAt and EscalateAt are 2 and 4 working days after
	// receipt. All are computed at intake (internal/deadline), so a holiday table change never alters a
	// running workflow.
	Due, RemindAt, EscalateAt time.Time
	// Link is the disclosure in the front door, for cards and alerts.
	Link  string
	Actor string
	// OrderDocument is the order document the front door keeps encrypted in the store: never in the
	// workflow's input.
	OrderDocument []byte `json:"-"`
	// Language is the language the subjects are told in (dsrflow.Languages); empty in inputs from
	// before it, whose notices are English.
	Language string `json:",omitempty"`
}

// RefusedWithoutOrder reports whether the request is refused at once: a police request without a
// court order. Every other kind, and police with an order, goes to review.
func RefusedWithoutOrder(in DisclosureInput) bool {
	return in.Kind.Or() == dsrflow.KindPolice && strings.TrimSpace(in.CourtOrder) == ""
}

// DisclosureState is what QueryDisclosure reports.
type DisclosureState struct {
	Status     dsrflow.Status
	Categories []string
	Approvers  []string
	Decided    bool
	// Subjects is how many subjects the order names: the disclosure's subject workflows are
	// DisclosureSubjectID(id, 1..Subjects).
	Subjects int
}

// DisclosureOutcome is the disclosure workflow's result.
type DisclosureOutcome struct {
	Status     dsrflow.Status
	Categories []string
	Approvers  []string
	// Reply is the text for the authority when its request is refused.
	Reply string
}

// NoOrderReply is the answer to an authority that asked without a court order.
func NoOrderReply(caseRef string) string {
	return fmt.Sprintf("Your request %s has been refused: we disclose personal data to authorities only under a court order, "+
		"and your request names none. No data has been disclosed. Please send the court order if one exists.", caseRef)
}

// versionSubjects puts the disclosure's connector jobs in one child workflow per subject
// (DisclosureSubject), so that the disclosure's own history grows by a few events per subject and each
// subject's is bounded. Disclosures started before it ran every job in their own workflow
// (runJobsInOne) and replay that way: delete the old branch, runJobsInOne, the job-id reversal in
// runTask and the recorded disclosure_no_order/disclosure_approved histories once no disclosure
// started before this change is open (a gag order can keep one open for months:
// temporal workflow list --query "WorkflowType='Disclosure' AND ExecutionStatus='Running' AND StartTime < 'DEPLOYED'").
const versionSubjects = "disclosure-child-per-subject"

// versionKinds (issue 16): an emergency (vital_interest) tells the DPO at once; the register shows each
// approval as it is given (outcome approved once decided) and a canceled disclosure as canceled; only
// the subjects with data in the bundle are told, each of their own categories, in words true for the
// request's kind. Disclosures started before it do none of this.
const versionKinds = "h16auth-kinds"

// Disclosure carries an authority's request: refused at once without a court order; otherwise reviewed by
// two members of legal, then access jobs on the approved categories (one DisclosureSubject workflow per
// subject), a bundle for the authority, the register, and the subjects told (once a gag order ends).
func Disclosure(ctx workflow.Context, in DisclosureInput) (DisclosureOutcome, error) {
	d := &disclosure{in: in, categories: slices.Clone(in.Categories), voted: map[string]bool{}, status: dsrflow.StatusReceived,
		jobs: newJobRunner(in.ID, in.Country, in.Link, in.Due, 0)}
	if err := d.registerHandlers(ctx); err != nil {
		return DisclosureOutcome{}, err
	}
	if workflow.GetVersion(ctx, versionSubjects, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return d.run(ctx)
	}
	d.kinds = workflow.GetVersion(ctx, versionKinds, workflow.DefaultVersion, 1) >= 1
	d.perSubject = true
	// Its own bookkeeping is revision 2's: short rounds while the store is down.
	d.jobs.revision = subjectRevision
	out, err := d.run(ctx)
	if !d.closed && errors.Is(ctx.Err(), workflow.ErrCanceled) {
		return d.canceledByOperator(ctx)
	}
	return out, err
}

type disclosure struct {
	in DisclosureInput
	// recordingVotes counts the votes whose store writes are under way (kinds only): the decision is
	// acted on once they are done, so the register's "approved" row is never written after "complied".
	recordingVotes int
	// jobs keeps the disclosure's bookkeeping (audit events, store writes, alerts) and, for a disclosure
	// of the old shape, runs its connector jobs.
	jobs jobRunner
	// perSubject: the jobs run in one DisclosureSubject workflow per subject (versionSubjects).
	perSubject bool
	// kinds: the behaviour of versionKinds.
	kinds  bool
	status dsrflow.Status
	// disclosed holds the subjects (by number, from 1) with a completed job (runSubjects).
	disclosed map[int]bool
	// told holds, under versionKinds, the categories of each subject's data in the bundle (by number).
	told map[int][]string
	// subjectsDisclosed is how many subjects had data in the bundle.
	subjectsDisclosed int
	// closed is set once the index row holds the disclosure's final status.
	closed     bool
	canceled   bool
	categories []string
	approvers  []string
	voted      map[string]bool
	rejection  *dsrflow.Vote
	decided    bool
	decidedAt  time.Time
	card       dsrflow.CardRef
}

func (d *disclosure) registerHandlers(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QueryDisclosure, func() (DisclosureState, error) { return d.state(), nil }); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateVote, d.onVote, workflow.UpdateHandlerOptions{Validator: d.validateVote}); err != nil {
		return err
	}
	// The old shape's tasks and callbacks; a subject's workflow has its own.
	if err := d.jobs.registerTaskHandlers(ctx); err != nil {
		return err
	}
	d.jobs.receiveResults(ctx)
	return nil
}

func (d *disclosure) state() DisclosureState {
	return DisclosureState{Status: d.status, Subjects: len(d.in.Subjects), Categories: slices.Clone(d.categories), Approvers: slices.Clone(d.approvers), Decided: d.decided}
}

func (d *disclosure) run(ctx workflow.Context) (DisclosureOutcome, error) {
	d.transition(ctx, dsrflow.StatusReceived, "disclosure_received",
		map[string]string{"subjects": fmt.Sprint(len(d.in.Subjects)), "categories": strings.Join(d.in.Categories, ",")}, d.in.Actor, "")
	if RefusedWithoutOrder(d.in) {
		reply := NoOrderReply(d.in.CaseRef)
		d.record(ctx, dsrflow.DisclosureRefusedNoOrder, nil)
		d.transition(ctx, dsrflow.StatusRejected, "disclosure_rejected", map[string]string{"policy": "no_court_order"}, "system", reply)
		return DisclosureOutcome{Status: dsrflow.StatusRejected, Categories: []string{}, Reply: reply}, nil
	}

	d.record(ctx, dsrflow.DisclosureInReview, nil)
	d.transition(ctx, dsrflow.StatusInReview, "review_requested", nil, "system", "")
	d.postCard(ctx)
	if d.kinds && d.in.Kind == dsrflow.KindVitalInterest {
		d.notifyDPO(ctx)
	}
	d.awaitDecision(ctx)
	if d.perSubject && ctx.Err() != nil {
		return DisclosureOutcome{}, ctx.Err()
	}
	d.updateCard(ctx)

	if d.rejection != nil {
		d.record(ctx, dsrflow.DisclosureRefusedOnReview, nil)
		d.transition(ctx, dsrflow.StatusRejected, "disclosure_rejected", map[string]string{"policy": "refused_on_review"}, d.rejection.Reviewer, d.rejection.Reason)
		d.waitHandlers(ctx)
		return DisclosureOutcome{Status: dsrflow.StatusRejected, Categories: []string{}, Approvers: d.approvers,
			Reply: fmt.Sprintf("Your request %s has been refused after review. No data has been disclosed.", d.in.CaseRef)}, nil
	}

	d.transition(ctx, dsrflow.StatusFulfilling, "fulfilment_started", map[string]string{"categories": strings.Join(d.categories, ",")}, "system", "")
	var outcomes []act.JobOutcome
	if d.perSubject {
		outcomes = d.runSubjects(ctx)
		if ctx.Err() != nil {
			return DisclosureOutcome{}, ctx.Err()
		}
	} else {
		outcomes = d.runJobsInOne(ctx)
	}
	var bundle act.BundleOutcome
	in := act.BundleInput{RequestID: d.in.ID, Authority: d.in.Authority, CaseRef: d.in.CaseRef, CourtOrder: d.in.CourtOrder, Categories: d.categories,
		Outcomes: outcomes, Subjects: d.in.Subjects}
	if err := workflow.ExecuteActivity(activityOptions(ctx), disclosureActs.PrepareBundle, in).Get(ctx, &bundle); err != nil {
		d.jobs.audit(ctx, "bundle_failed", nil, "system", "")
		return DisclosureOutcome{}, err
	}
	if d.kinds {
		// Told are the subjects with data in the bundle, each of their own categories.
		d.disclosed, d.told = map[int]bool{}, map[int][]string{}
		for n := 1; n <= len(d.in.Subjects); n++ { // subjects are numbered from 1
			if cats, ok := bundle.SubjectCategories[n]; ok {
				d.disclosed[n], d.told[n] = true, cats
			}
		}
	}
	d.subjectsDisclosed = len(bundle.SubjectCategories)
	disclosed := workflow.Now(ctx).UTC()
	d.record(ctx, dsrflow.DisclosureComplied, &disclosed, bundle.Categories...)
	d.transition(ctx, dsrflow.StatusCompleted, "disclosure_completed",
		map[string]string{"records": fmt.Sprint(bundle.Records), "categories": strings.Join(bundle.Categories, ",")}, "system", "")
	d.updateCard(ctx)
	d.waitHandlers(ctx)
	d.tellSubjects(ctx)
	return DisclosureOutcome{Status: dsrflow.StatusCompleted, Categories: bundle.Categories, Approvers: d.approvers}, nil
}

// transition moves the disclosure to a status: search attribute, index row and audit event.
func (d *disclosure) transition(ctx workflow.Context, status dsrflow.Status, action string, detail map[string]string, actor, reason string) {
	d.status = status
	now := workflow.Now(ctx).UTC()
	row := dsrflow.Request{ID: d.in.ID, Type: TypeDisclosure, Status: status, Country: d.in.Country, ReceivedAt: d.in.ReceivedAt, DueAt: d.in.Due, UpdatedAt: now}
	if status.Closed() {
		row.ClosedAt = &now
		d.closed = true
	}
	_ = workflow.UpsertTypedSearchAttributes(ctx, AttrStatus.ValueSet(string(status)), AttrDueAt.ValueSet(d.in.Due))
	d.jobs.mustLocal(ctx, storeActs.Transition, act.Transition{Request: row, Event: d.jobs.event(ctx, action, detail, actor, reason)})
}

// canceledByOperator records the end of a disclosure canceled in Temporal itself (the UI's Cancel
// button, `temporal workflow cancel`), once its subjects' workflows have ended: the row closes as
// canceled with its audit event and the review card loses its buttons, on a context the
// cancellation does not reach. Nothing was disclosed: the bundle is made only after every subject's
// jobs.
func (d *disclosure) canceledByOperator(ctx workflow.Context) (DisclosureOutcome, error) {
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	d.canceled = true
	if d.kinds {
		// The register says what happened: canceled, nothing disclosed.
		d.record(dctx, dsrflow.DisclosureCanceled, nil)
	}
	d.transition(dctx, dsrflow.StatusCanceled, "disclosure_canceled_by_operator", nil, "temporal", "canceled by an operator of the request system")
	d.updateCard(dctx)
	d.waitHandlers(dctx)
	return DisclosureOutcome{Status: dsrflow.StatusCanceled, Categories: []string{}, Approvers: d.approvers}, temporal.NewCanceledError()
}

// awaitDecision waits for two approvals or one rejection: a reminder after 2 working days, an escalation
// to the DPO after 4, then it keeps waiting.
func (d *disclosure) awaitDecision(ctx workflow.Context) {
	decided := func() bool { return d.decided && (!d.kinds || d.recordingVotes == 0) }
	remindAfter, escalateAfter := "2 working days", "4 working days"
	if d.in.Kind == dsrflow.KindVitalInterest {
		// Its times are hours after receipt (the front door's VitalInterestRemindAfter and -EscalateAfter).
		remindAfter, escalateAfter = hours(d.in.RemindAt.Sub(d.in.ReceivedAt)), hours(d.in.EscalateAt.Sub(d.in.ReceivedAt))
	}
	if d.jobs.awaitUntil(ctx, d.in.RemindAt, decided) {
		return
	}
	d.alert(ctx, "review_reminder", "warning", "Reminder: authority request "+d.in.CaseRef+" awaits a decision",
		fmt.Sprintf("No decision after %s; %d of %d legal approvals so far.", remindAfter, len(d.approvers), approvalsNeeded))
	if d.jobs.awaitUntil(ctx, d.in.EscalateAt, decided) {
		return
	}
	d.alert(ctx, "review_escalated", "critical", "Escalation to "+DPOGroup+": authority request "+d.in.CaseRef+" is undecided",
		fmt.Sprintf("No decision after %s; %d of %d legal approvals so far.", escalateAfter, len(d.approvers), approvalsNeeded))
	_ = workflow.Await(ctx, decided)
}

func (d *disclosure) validateVote(v dsrflow.Vote) error {
	switch {
	case d.decided || d.status != dsrflow.StatusInReview:
		return refuse("disclosure is %s, no decision is pending", d.status)
	case v.Kind != "" && v.Kind != dsrflow.ReviewDisclosure:
		return rejectf(dsrflow.EINVALID, "a %s vote cannot decide a disclosure", v.Kind)
	case strings.TrimSpace(v.Reviewer) == "":
		return rejectf(dsrflow.EINVALID, "a vote needs a reviewer")
	case v.Action != dsrflow.VoteApprove && v.Action != dsrflow.VoteReject && v.Action != dsrflow.VoteNarrow:
		return rejectf(dsrflow.EINVALID, "decision must be approve, reject or narrow")
	case v.Action.NeedsReason() && strings.TrimSpace(v.Reason) == "":
		return rejectf(dsrflow.EINVALID, "a rejection needs a reason")
	case v.Action == dsrflow.VoteNarrow && len(v.Scope) == 0:
		return rejectf(dsrflow.EINVALID, "narrowing needs the categories to keep")
	}
	for _, c := range v.Scope {
		if !slices.Contains(d.categories, c) {
			return rejectf(dsrflow.EINVALID, "category %q is not in the scope under review (%s)", c, strings.Join(d.categories, ", "))
		}
	}
	return nil
}

// onVote counts a vote, or refuses it (audited) when the voter is not in legal or has voted already.
func (d *disclosure) onVote(ctx workflow.Context, v dsrflow.Vote) (dsrflow.VoteOutcome, error) {
	refused := func(why, code, msg string) (dsrflow.VoteOutcome, error) {
		d.jobs.audit(ctx, "vote_refused", map[string]string{"why": why, "via": v.Via}, v.Reviewer, "")
		card := d.cardNow()
		return dsrflow.VoteOutcome{Accepted: false, Code: code, Message: msg, Card: &card}, nil
	}
	switch {
	case d.decided:
		return refused("decided", dsrflow.ECONFLICT, "this disclosure has already been decided")
	case !slices.Contains(v.Groups, LegalGroup):
		return refused("not_in_legal", dsrflow.EFORBIDDEN, "you are not in the "+LegalGroup+" group: only its members decide disclosures")
	case d.voted[v.Reviewer] || v.Person != "" && d.voted[v.Person]:
		return refused("second_vote", dsrflow.ECONFLICT, "you have already voted on this disclosure")
	}
	// The person and the name both: one person is one approver under any of their names. Votes from
	// before Person existed carry none, and count by name as they did.
	d.voted[v.Reviewer] = true
	if v.Person != "" {
		d.voted[v.Person] = true
	}
	d.recordingVotes++
	defer func() { d.recordingVotes-- }()
	now := workflow.Now(ctx).UTC()
	decision, reason := dsrflow.DecisionApprove, v.Reason
	switch v.Action {
	case dsrflow.VoteReject:
		decision = dsrflow.DecisionReject
		d.rejection = &v
		d.decided = true
	case dsrflow.VoteNarrow:
		kept := []string{}
		for _, c := range d.categories {
			if slices.Contains(v.Scope, c) {
				kept = append(kept, c)
			}
		}
		d.categories = kept
		reason = strings.TrimSpace("narrowed to " + strings.Join(kept, ", ") + ". " + v.Reason)
		fallthrough
	default:
		d.approvers = append(d.approvers, v.Reviewer)
		d.decided = len(d.approvers) >= approvalsNeeded
	}
	if d.decided {
		d.decidedAt = now
	}
	d.jobs.mustLocal(ctx, storeActs.RecordDecision, dsrflow.DecisionRecord{RequestID: d.in.ID, Reviewer: v.Reviewer, Decision: decision, Reason: reason, At: now})
	if d.kinds && d.rejection == nil {
		// The register shows the approval now, not when the last subject's jobs end.
		outcome := dsrflow.DisclosureInReview
		if d.decided {
			outcome = dsrflow.DisclosureApproved
		}
		d.record(ctx, outcome, nil)
	}
	if !d.decided {
		// The final update happens once the workflow moves on; intermediate ones show the count.
		d.updateCard(ctx)
	}
	card := d.cardNow()
	return dsrflow.VoteOutcome{Accepted: true, Message: card.State, Card: &card}, nil
}

// runJobsInOne is the old shape (before versionSubjects): it runs an access job per subject and connector
// holding an approved category in the disclosure's own workflow, limited to those categories. Each
// job's id carries the subject's number after the request id, so jobs of different subjects on one
// connector stay apart. Delete it with the old branch (versionSubjects).
func (d *disclosure) runJobsInOne(ctx workflow.Context) []act.JobOutcome {
	type planned struct {
		ref act.ConnectorRef
		job connectors.Job
	}
	var plan []planned
	for i, subject := range d.in.Subjects {
		var refs []act.ConnectorRef
		sel := act.SelectInput{Action: dsrflow.ActionAccess, Identity: subject, Categories: d.categories}
		if err := workflow.ExecuteLocalActivity(localOptions(ctx), connectorActs.Select, sel).Get(ctx, &refs); err != nil {
			d.jobs.audit(ctx, "connector_selection_failed", nil, "system", "")
			continue
		}
		for _, ref := range refs {
			plan = append(plan, planned{ref: ref, job: connectors.Job{
				Protocol: connectors.ProtocolVersion, ID: connectors.JobID(fmt.Sprintf("%s:s%d", d.in.ID, i+1), ref.ID, dsrflow.ActionAccess),
				RequestID: d.in.ID, Connector: ref.ID, Action: dsrflow.ActionAccess, Identities: subject,
				Categories: slices.Clone(d.categories), Deadline: d.in.Due,
			}})
		}
	}
	sem := workflow.NewSemaphore(ctx, jobConcurrency)
	wg := workflow.NewWaitGroup(ctx)
	for _, p := range plan {
		wg.Add(1)
		d.jobs.pending++
		workflow.Go(ctx, func(ctx workflow.Context) {
			defer wg.Done()
			if err := sem.Acquire(ctx, 1); err != nil {
				return
			}
			defer sem.Release(1)
			out := d.jobs.runPrepared(ctx, p.ref, p.job)
			d.jobs.outcomes = append(d.jobs.outcomes, out)
			d.jobs.pending--
			d.jobs.recordJob(ctx, out)
		})
	}
	wg.Wait(ctx)
	return d.jobs.sortedOutcomes()
}

// tellSubjects tells each subject with an email address what was disclosed, once the gag order (if any)
// has ended: a durable timer holds the notice until then.
func (d *disclosure) tellSubjects(ctx workflow.Context) {
	if !d.in.GagUntil.IsZero() && workflow.Now(ctx).Before(d.in.GagUntil) {
		d.jobs.audit(ctx, "subject_notice_deferred", map[string]string{"gag_until": d.in.GagUntil.UTC().Format(time.RFC3339)}, "system", "")
		if err := workflow.Sleep(ctx, d.in.GagUntil.Sub(workflow.Now(ctx))); err != nil && d.perSubject {
			// Canceled by an operator while the gag order held: nobody is told, and the trail says so.
			dctx, _ := workflow.NewDisconnectedContext(ctx)
			d.jobs.audit(dctx, "subject_notice_canceled", nil, "temporal", "canceled by an operator of the request system before the gag order ended")
			return
		}
	}
	told := 0
	for i, subject := range d.in.Subjects {
		if subject.Email == "" {
			continue
		}
		if (d.perSubject || d.kinds) && !d.disclosed[i+1] {
			// Nothing about them went out (held nowhere, or not found): the notice would not be true, and
			// would tip them off for nothing.
			continue
		}
		mail := act.Mail{
			ID: fmt.Sprintf("%s:notice:%d", d.in.ID, i+1), RequestID: d.in.ID, Kind: "disclosure_notice", To: subject.Email,
			Subject: "We disclosed personal data about you to an authority",
			Text: fmt.Sprintf("Under a court order (%s, %s), we disclosed personal data about you to %s (case %s).\n\n"+
				"Categories disclosed: %s.\n\nYou may ask us for a copy of your data and for more information at any time.\n",
				d.in.CourtOrder, d.in.Court, d.in.Authority, d.in.CaseRef, strings.Join(d.categories, ", ")),
		}
		if d.kinds {
			mail.Text = DisclosureNotice(d.in, d.told[i+1])
			// The activity writes the notice in the disclosure's language (English above for histories
			// from before).
			if workflow.GetVersion(ctx, "h18c-disclosure-language", workflow.DefaultVersion, 1) == 1 {
				mail.Disclosure = &act.DisclosureNotice{
					Language: d.in.Language, Kind: d.in.Kind.Or(), Authority: d.in.Authority, CaseRef: d.in.CaseRef, Statute: d.in.Statute,
					CourtOrder: d.in.CourtOrder, Court: d.in.Court, OrderDate: d.in.OrderDate, Categories: slices.Clone(d.told[i+1]),
				}
			}
		}
		if err := workflow.ExecuteActivity(activityOptions(ctx), verifyActs.Send, mail).Get(ctx, nil); err != nil {
			d.jobs.audit(ctx, "subject_notice_failed", nil, "system", "")
			continue
		}
		told++
	}
	d.jobs.audit(ctx, "subjects_notified", map[string]string{"subjects": fmt.Sprint(told)}, "system", "")
}

// record writes the register's row with the outcome so far.
func (d *disclosure) record(ctx workflow.Context, outcome dsrflow.DisclosureStatus, disclosedAt *time.Time, disclosed ...string) {
	row := dsrflow.Disclosure{
		RequestID: d.in.ID, Authority: d.in.Authority, Country: d.in.Country, CaseRef: d.in.CaseRef, LegalBasis: d.in.LegalBasis,
		CourtOrder: d.in.CourtOrder, Court: d.in.Court, OrderDate: d.in.OrderDate, CategoriesRequested: d.in.Categories,
		CategoriesDisclosed: disclosed, Subjects: len(d.in.Subjects), Outcome: outcome, Approvers: d.approvers,
		ReceivedAt: d.in.ReceivedAt, DisclosedAt: disclosedAt,
		Kind: d.in.Kind.Or(), Statute: d.in.Statute, OrderSHA256: d.in.OrderSHA256,
	}
	if outcome == dsrflow.DisclosureComplied {
		row.SubjectsDisclosed = d.subjectsDisclosed
	}
	if !d.in.GagUntil.IsZero() {
		row.GagUntil = d.in.GagUntil.Add(-time.Nanosecond).UTC().Format("2006-01-02")
	}
	if d.decided {
		at := d.decidedAt
		row.DecidedAt = &at
	}
	d.jobs.mustLocal(ctx, disclosureActs.RecordDisclosure, row)
}

// cardNow is the review as reviewers see it: the case, never the subjects.
func (d *disclosure) cardNow() dsrflow.Card {
	c := dsrflow.Card{
		ReviewID: d.in.ID, Kind: dsrflow.ReviewDisclosure, Title: "Authority request " + d.in.CaseRef + " from " + d.in.Authority,
		Fields: []dsrflow.CardField{
			{Label: "Case reference", Value: d.in.CaseRef},
			{Label: "Authority", Value: d.in.Authority + " (" + d.in.Country + ")"},
			{Label: "Kind and basis", Value: d.in.Kind.Basis(d.in.Statute)},
			{Label: "Court order", Value: orderText(d.in)},
			{Label: "Categories", Value: strings.Join(d.categories, ", ")},
			{Label: "Subjects", Value: fmt.Sprint(len(d.in.Subjects))},
		},
		Link: d.in.Link, Scope: slices.Clone(d.categories),
	}
	if d.in.OrderSHA256 != "" {
		c.Fields = append(c.Fields, dsrflow.CardField{Label: "Order document SHA-256", Value: d.in.OrderSHA256})
	}
	switch {
	case d.canceled:
		c.State = "Canceled by an operator; nothing was disclosed"
	case d.rejection != nil:
		// The reason stays out of the card: free text may name people.
		c.State = "Rejected by " + d.rejection.Reviewer
	case d.decided:
		c.State = "Approved by " + strings.Join(d.approvers, " and ")
		if d.status != dsrflow.StatusInReview {
			c.State += "; " + string(d.status)
		}
	default:
		c.Actions = []dsrflow.VoteAction{dsrflow.VoteApprove, dsrflow.VoteReject, dsrflow.VoteNarrow}
		c.State = fmt.Sprintf("%d of %d %s approvals", len(d.approvers), approvalsNeeded, LegalGroup)
		if len(d.approvers) > 0 {
			c.State += " (" + strings.Join(d.approvers, ", ") + ")"
		}
	}
	return c
}

func (d *disclosure) postCard(ctx workflow.Context) {
	in := act.PostCardInput{RequestID: d.in.ID, Card: d.cardNow()}
	if err := workflow.ExecuteActivity(notifyOptions(ctx), reviewActs.PostCard, in).Get(ctx, &d.card); err != nil {
		d.jobs.audit(ctx, "card_post_failed", nil, "system", "")
	}
}

func (d *disclosure) updateCard(ctx workflow.Context) {
	if d.card == (dsrflow.CardRef{}) {
		return
	}
	in := act.UpdateCardInput{RequestID: d.in.ID, Ref: d.card, Card: d.cardNow()}
	if err := workflow.ExecuteActivity(notifyOptions(ctx), reviewActs.UpdateCard, in).Get(ctx, nil); err != nil {
		d.jobs.audit(ctx, "card_update_failed", nil, "system", "")
	}
}

func (d *disclosure) alert(ctx workflow.Context, action, severity, title, text string) {
	d.jobs.audit(ctx, action, nil, "system", "")
	d.jobs.sendAlert(ctx, dsrflow.Alert{Severity: severity, Title: title, Text: text, Link: d.in.Link})
}

// waitHandlers lets in-flight vote handlers return before the workflow moves on to its end.
func (d *disclosure) waitHandlers(ctx workflow.Context) {
	_ = workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
}

// notifyOptions retries a notifier call for a day: an outage delays a card, and a card that never
// arrives is audited while the decision still works through the API.
func notifyOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    time.Minute,
		ScheduleToCloseTimeout: 24 * time.Hour,
		RetryPolicy:            &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 5 * time.Minute},
	})
}

// orderText is the order as the card shows it: reference, court and date, the ones given.
func orderText(in DisclosureInput) string {
	var parts []string
	for _, p := range []string{in.CourtOrder, in.Court, in.OrderDate} {
		if p = strings.TrimSpace(p); p != "" {
			parts = append(parts, p)
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// hours is a review period in words: "1 hour", "4 hours".
func hours(d time.Duration) string {
	h := int(d.Round(time.Hour) / time.Hour)
	if h == 1 {
		return "1 hour"
	}
	return fmt.Sprintf("%d hours", h)
}

// DisclosureNotice is the notice to a subject whose data went out: why, to whom, and the categories of
// their own data in the bundle. Each sentence is true for the request's kind.
func DisclosureNotice(in DisclosureInput, categories []string) string {
	var why string
	switch in.Kind.Or() {
	case dsrflow.KindSupervisoryAuthority:
		why = fmt.Sprintf("Under an order of the data protection supervisory authority %s (case %s), which may require us to provide "+
			"information and access to personal data (GDPR Art. 58(1)(a) and (e)), we disclosed personal data about you to it.", in.Authority, in.CaseRef)
	case dsrflow.KindStatutoryOrder:
		why = fmt.Sprintf("Under an order of %s (case %s) made under %s, which obliges us to disclose it, we disclosed personal data about you to %s.",
			in.Authority, in.CaseRef, in.Statute, in.Authority)
	case dsrflow.KindVitalInterest:
		why = fmt.Sprintf("To protect someone's life in an emergency (GDPR Art. 6(1)(d)), we disclosed personal data about you to %s (case %s).",
			in.Authority, in.CaseRef)
	default:
		why = fmt.Sprintf("Under a court order (%s), we disclosed personal data about you to %s (case %s).", orderText(in), in.Authority, in.CaseRef)
	}
	return why + "\n\nCategories disclosed: " + strings.Join(categories, ", ") +
		".\n\nYou may ask us for a copy of your data and for more information at any time.\n"
}

// notifyDPO tells the DPO of an emergency at once: an alert to the review channel and a mail to the
// DPO's address. Neither names a subject.
func (d *disclosure) notifyDPO(ctx workflow.Context) {
	title := "Emergency authority request " + d.in.CaseRef + " from " + d.in.Authority + " (vital interest)"
	text := fmt.Sprintf("%s asks for personal data of %d subject(s) to protect someone's life (GDPR Art. 6(1)(d)). "+
		"Two members of %s must decide within %s: by %s.\n%s",
		d.in.Authority, len(d.in.Subjects), LegalGroup, hours(d.in.EscalateAt.Sub(d.in.ReceivedAt)), d.in.EscalateAt.UTC().Format("2006-01-02 15:04 UTC"), d.in.Link)
	d.jobs.audit(ctx, "dpo_notified", map[string]string{"kind": string(d.in.Kind)}, "system", "")
	d.jobs.sendAlert(ctx, dsrflow.Alert{Severity: "critical", Title: title, Text: text, Link: d.in.Link})
	n := act.DPONotice{RequestID: d.in.ID, Subject: title, Text: text}
	if err := workflow.ExecuteActivity(activityOptions(ctx), disclosureActs.NotifyDPO, n).Get(ctx, nil); err != nil {
		d.jobs.audit(ctx, "dpo_notice_failed", nil, "system", "")
	}
}
