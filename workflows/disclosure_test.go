package workflows_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/testsuite"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/activities"
	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/workflows"
)

// The demo personas are the only subjects in these fixtures.
var (
	jane   = dsrflow.Identity{Email: "jane.doe@example.com"}
	nobody = dsrflow.Identity{Email: "nobody@example.com"}
)

const (
	disclosureID = "dsr_disc1"
	catEmail     = "user.contact.email"
	catPurchases = "user.financial.purchase"
)

func newDisclosureInput(courtOrder string) workflows.DisclosureInput {
	// start is Monday 2026-03-02 09:00 UTC: 2 and 4 working days later are Wednesday and Friday.
	return workflows.DisclosureInput{
		ID: disclosureID, Authority: "Oslo police district", Country: "NO", CaseRef: "2026/4711",
		LegalBasis: "Criminal Procedure Act s. 210", CourtOrder: courtOrder, Court: "Oslo District Court", OrderDate: "2026-02-27",
		Subjects: []dsrflow.Identity{jane, nobody}, Categories: []string{catEmail, catPurchases},
		ReceivedAt: start, Due: start.Add(30 * day), RemindAt: start.Add(2 * day), EscalateAt: start.Add(4 * day),
		Link: "https://dsr.example.com/api/v1/requests/" + disclosureID, Actor: "token:agent-1",
	}
}

// dharness is the request harness with the review and disclosure activities mocked too.
type dharness struct {
	*harness
	din      workflows.DisclosureInput
	register []store.Disclosure
	bundles  []activities.BundleInput
	dpo      []activities.DPONotice
	// bundled decides which completed jobs' subjects have data in the bundle; nil: every one.
	bundled func(activities.JobOutcome) bool
}

func newDisclosureHarness(t *testing.T, in workflows.DisclosureInput) *dharness {
	h := &dharness{harness: newHarness(t, workflows.RequestInput{ID: in.ID}), din: in}
	env := h.env
	env.RegisterWorkflow(workflows.DisclosureSubject)
	var disc *activities.Disclosure
	env.OnActivity(disc.RecordDisclosure, mock.Anything, mock.Anything).Return(func(_ context.Context, d store.Disclosure) error {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.register = append(h.register, d)
		return nil
	})
	env.OnActivity(disc.PrepareBundle, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.BundleInput) (activities.BundleOutcome, error) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.bundles = append(h.bundles, in)
		// A completed job's subject has data in the bundle (unless bundled says otherwise), as the
		// activity counts them.
		bySubject := map[int][]string{}
		for _, o := range in.Outcomes {
			if o.Status == connectors.StatusCompleted && (h.bundled == nil || h.bundled(o)) {
				bySubject[activities.SubjectOfJob(o.JobID)] = slices.Clone(in.Categories)
			}
		}
		return activities.BundleOutcome{Records: len(in.Outcomes), Categories: slices.Clone(in.Categories), SubjectCategories: bySubject}, nil
	})
	env.OnActivity(disc.NotifyDPO, mock.Anything, mock.Anything).Return(func(_ context.Context, n activities.DPONotice) error {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.dpo = append(h.dpo, n)
		return nil
	})
	return h
}

func (h *dharness) executeDisclosure() workflows.DisclosureOutcome {
	h.t.Helper()
	h.env.ExecuteWorkflow(workflows.Disclosure, h.din)
	if !h.env.IsWorkflowCompleted() {
		h.t.Fatal("workflow did not complete")
	}
	if err := h.env.GetWorkflowError(); err != nil {
		h.t.Fatalf("workflow failed: %v", err)
	}
	var out workflows.DisclosureOutcome
	if err := h.env.GetWorkflowResult(&out); err != nil {
		h.t.Fatal(err)
	}
	h.assertNoSubjectsOutsideMail()
	return out
}

// assertNoSubjectsOutsideMail checks that no subject's address reached a card, an alert, the register,
// the index or the audit trail.
func (h *dharness) assertNoSubjectsOutsideMail() {
	h.t.Helper()
	b, _ := json.Marshal([]any{h.cards, h.cardUpdates, h.alerts, h.register, h.transitions, h.audits, h.decisions, h.upserts})
	for _, s := range h.din.Subjects {
		if strings.Contains(string(b), s.Email) {
			h.t.Errorf("subject address %s outside the mail: %s", s.Email, b)
		}
	}
}

// voteResult is what a voter saw.
type voteResult struct {
	rejected  error
	completed bool
	err       error
	outcome   dsrflow.VoteOutcome
}

// vote casts v at start+d.
func (h *dharness) vote(d time.Duration, v dsrflow.Vote) *voteResult {
	r := &voteResult{}
	if v.Kind == "" {
		v.Kind = dsrflow.ReviewDisclosure
	}
	v.ReviewID, v.Via = disclosureID, "api"
	h.at(d, func() {
		h.env.UpdateWorkflow(workflows.UpdateVote, "", &testsuite.TestUpdateCallback{
			OnAccept: func() {},
			OnReject: func(err error) { r.rejected = err },
			OnComplete: func(v any, err error) {
				r.completed, r.err = true, err
				if o, ok := v.(dsrflow.VoteOutcome); ok {
					r.outcome = o
				}
			},
		}, v)
	})
	return r
}

func legal(id string, action dsrflow.VoteAction, reason string, scope ...string) dsrflow.Vote {
	return dsrflow.Vote{Reviewer: id, Groups: []string{"legal"}, Action: action, Reason: reason, Scope: scope}
}

func TestDisclosureWithoutCourtOrderIsRejectedAtOnce(t *testing.T) {
	h := newDisclosureHarness(t, newDisclosureInput(""))
	out := h.executeDisclosure()
	eq(t, "status", out.Status, dsrflow.StatusRejected)
	eq(t, "statuses", h.statuses(), []dsrflow.Status{dsrflow.StatusReceived, dsrflow.StatusRejected})
	if !strings.Contains(out.Reply, "court order") || !strings.Contains(out.Reply, "2026/4711") {
		t.Errorf("reply %q does not explain the policy", out.Reply)
	}
	rejected := h.eventsNamed("disclosure_rejected")
	if len(rejected) != 1 || rejected[0].Detail["policy"] != "no_court_order" || rejected[0].Reason != out.Reply {
		t.Errorf("rejection audit = %+v", rejected)
	}
	eq(t, "register outcomes", outcomes(h.register), []dsrflow.DisclosureStatus{store.DisclosureRefusedNoOrder})
	eq(t, "register subjects", h.register[0].Subjects, 2)
	eq(t, "cards", len(h.cards), 0)
	eq(t, "jobs", len(h.runs), 0)
	eq(t, "mails", len(h.mails), 0)
	eq(t, "index type", h.transitions[0].Request.Type, workflows.TypeDisclosure)
}

func outcomes(rows []dsrflow.Disclosure) []dsrflow.DisclosureStatus {
	var out []dsrflow.DisclosureStatus
	for _, r := range rows {
		out = append(out, r.Outcome)
	}
	return out
}

func TestDisclosureApprovedByTwoLegalMembers(t *testing.T) {
	h := newDisclosureHarness(t, newDisclosureInput("TOSL-2026-1"))
	outsider := h.vote(time.Hour, dsrflow.Vote{Reviewer: "token:agent-1", Groups: []string{"dpo"}, Action: dsrflow.VoteApprove, Reason: "ok"})
	first := h.vote(2*time.Hour, legal("token:legal-1", dsrflow.VoteApprove, "order is valid"))
	again := h.vote(3*time.Hour, legal("token:legal-1", dsrflow.VoteApprove, "still valid"))
	badScope := h.vote(4*time.Hour, legal("token:legal-2", dsrflow.VoteNarrow, "", "user.health"))
	second := h.vote(5*time.Hour, legal("token:legal-2", dsrflow.VoteNarrow, "purchases not covered by the order", catEmail))
	out := h.executeDisclosure()

	eq(t, "status", out.Status, dsrflow.StatusCompleted)
	eq(t, "statuses", h.statuses(), []dsrflow.Status{dsrflow.StatusReceived, dsrflow.StatusInReview, dsrflow.StatusFulfilling, dsrflow.StatusCompleted})
	if outsider.outcome.Accepted || outsider.outcome.Code != dsrflow.EFORBIDDEN || !strings.Contains(outsider.outcome.Message, "legal") {
		t.Errorf("outsider's vote: %+v", outsider)
	}
	if !first.outcome.Accepted || first.outcome.Card == nil || !strings.Contains(first.outcome.Card.State, "1 of 2") {
		t.Errorf("first approval: %+v", first)
	}
	if again.outcome.Accepted || again.outcome.Code != dsrflow.ECONFLICT {
		t.Errorf("second vote by the same reviewer: %+v", again)
	}
	if dsrflow.ErrorCode(asDsrError(badScope.rejected)) != dsrflow.EINVALID {
		t.Errorf("narrowing to a category not under review: %+v", badScope)
	}
	if !second.outcome.Accepted {
		t.Errorf("second approval: %+v", second)
	}
	refused := h.eventsNamed("vote_refused")
	if len(refused) != 2 || refused[0].Detail["why"] != "not_in_legal" || refused[1].Detail["why"] != "second_vote" {
		t.Errorf("refused votes audited as %+v", refused)
	}
	// Counted votes only, narrowing recorded as an approval with its scope.
	eq(t, "decisions", len(h.decisions), 2)
	if h.decisions[1].Decision != store.DecisionApprove || !strings.Contains(h.decisions[1].Reason, "narrowed to "+catEmail) {
		t.Errorf("narrowing decision = %+v", h.decisions[1])
	}
	eq(t, "approvers", out.Approvers, []string{"token:legal-1", "token:legal-2"})

	// One job per subject and connector, on the approved categories only.
	var ids []string
	for _, r := range h.runs {
		ids = append(ids, r.Arg.ID)
		eq(t, "job categories", r.Arg.Categories, []string{catEmail})
		eq(t, "job request", r.Arg.RequestID, disclosureID)
	}
	slices.Sort(ids)
	eq(t, "job ids", ids, []string{
		disclosureID + ":s1:billing:access", disclosureID + ":s1:crm:access",
		disclosureID + ":s2:billing:access", disclosureID + ":s2:crm:access",
	})
	for _, s := range h.selects {
		eq(t, "selected categories", s.Categories, []string{catEmail})
	}
	eq(t, "bundles", len(h.bundles), 1)
	eq(t, "bundle categories", h.bundles[0].Categories, []string{catEmail})

	last := h.register[len(h.register)-1]
	// Each approval shows in the register as it is given: one of two, then approved, then complied.
	eq(t, "register outcomes", outcomes(h.register), []dsrflow.DisclosureStatus{store.DisclosureInReview, store.DisclosureInReview, store.DisclosureApproved, store.DisclosureComplied})
	eq(t, "register approvers after the first vote", h.register[1].Approvers, []string{"token:legal-1"})
	if h.register[2].DecidedAt == nil {
		t.Errorf("approved register row without its decision time: %+v", h.register[2])
	}
	eq(t, "register subjects disclosed", last.SubjectsDisclosed, 2)
	eq(t, "register approvers", last.Approvers, []string{"token:legal-1", "token:legal-2"})
	eq(t, "register disclosed", last.CategoriesDisclosed, []string{catEmail})
	if last.DecidedAt == nil || last.DisclosedAt == nil || last.CourtOrder != "TOSL-2026-1" {
		t.Errorf("register row = %+v", last)
	}

	// The card names the case, never the subjects; the final update has no buttons.
	eq(t, "cards", len(h.cards), 1)
	card := h.cards[0].Card
	eq(t, "card kind", card.Kind, dsrflow.ReviewDisclosure)
	eq(t, "card actions", card.Actions, []dsrflow.VoteAction{dsrflow.VoteApprove, dsrflow.VoteReject, dsrflow.VoteNarrow})
	if final := h.cardUpdates[len(h.cardUpdates)-1].Card; len(final.Actions) != 0 || !strings.Contains(final.State, "Approved by token:legal-1 and token:legal-2") {
		t.Errorf("final card = %+v", final)
	}

	// No gag order: both subjects are told at once.
	eq(t, "mails", len(h.mails), 2)
	eq(t, "mail to", h.mails[0].To, jane.Email)
	if !strings.Contains(h.mails[0].Text, "Oslo police district") || strings.Contains(h.mails[0].Text, catPurchases) {
		t.Errorf("notice = %q", h.mails[0].Text)
	}
	eq(t, "alerts", len(h.alerts), 0)
}

func asDsrError(err error) error {
	if err == nil {
		return nil
	}
	return &dsrflow.Error{Code: errType(err), Message: err.Error()}
}

func TestDisclosureRejectedOnReview(t *testing.T) {
	h := newDisclosureHarness(t, newDisclosureInput("TOSL-2026-1"))
	noReason := h.vote(time.Hour, legal("token:legal-1", dsrflow.VoteReject, ""))
	h.vote(2*time.Hour, legal("token:legal-1", dsrflow.VoteApprove, "fine"))
	rej := h.vote(3*time.Hour, legal("token:legal-2", dsrflow.VoteReject, "order does not cover this controller"))
	out := h.executeDisclosure()
	eq(t, "status", out.Status, dsrflow.StatusRejected)
	if errType(noReason.rejected) != dsrflow.EINVALID {
		t.Errorf("rejection without a reason: %+v", noReason)
	}
	if !rej.outcome.Accepted {
		t.Errorf("rejection: %+v", rej)
	}
	eq(t, "register outcomes", outcomes(h.register), []dsrflow.DisclosureStatus{store.DisclosureInReview, store.DisclosureInReview, store.DisclosureRefusedOnReview})
	eq(t, "jobs", len(h.runs), 0)
	eq(t, "bundles", len(h.bundles), 0)
	eq(t, "mails", len(h.mails), 0)
	ev := h.eventsNamed("disclosure_rejected")
	if len(ev) != 1 || ev[0].Actor != "token:legal-2" || ev[0].Detail["policy"] != "refused_on_review" {
		t.Errorf("rejection audit = %+v", ev)
	}
	if final := h.cardUpdates[len(h.cardUpdates)-1].Card; len(final.Actions) != 0 || !strings.Contains(final.State, "Rejected by token:legal-2") {
		t.Errorf("final card = %+v", final)
	}
}

func TestDisclosureReminderAndEscalation(t *testing.T) {
	h := newDisclosureHarness(t, newDisclosureInput("TOSL-2026-1"))
	h.vote(5*day, legal("token:legal-1", dsrflow.VoteApprove, "ok"))
	h.vote(5*day+time.Hour, legal("token:legal-2", dsrflow.VoteApprove, "ok"))
	out := h.executeDisclosure()
	eq(t, "status", out.Status, dsrflow.StatusCompleted)
	eq(t, "alerts", len(h.alerts), 2)
	eq(t, "reminder at", h.alerts[0].At, start.Add(2*day))
	eq(t, "escalation at", h.alerts[1].At, start.Add(4*day))
	eq(t, "escalation severity", h.alerts[1].Arg.Alert.Severity, "critical")
	if !strings.Contains(h.alerts[1].Arg.Alert.Title, "dpo") {
		t.Errorf("escalation = %+v", h.alerts[1].Arg.Alert)
	}
	eq(t, "reminder audits", len(h.eventsNamed("review_reminder")), 1)
	eq(t, "escalation audits", len(h.eventsNamed("review_escalated")), 1)
}

func TestDisclosureSubjectsToldWhenTheGagOrderEnds(t *testing.T) {
	in := newDisclosureInput("TOSL-2026-1")
	in.GagUntil = start.Add(90 * day)
	h := newDisclosureHarness(t, in)
	h.vote(time.Hour, legal("token:legal-1", dsrflow.VoteApprove, "ok"))
	h.vote(2*time.Hour, legal("token:legal-2", dsrflow.VoteApprove, "ok"))
	// The workflow still runs, waiting for the gag order to end, but the decision is made.
	late := h.vote(10*day, legal("token:legal-3", dsrflow.VoteReject, "too late"))
	var mailsBeforeGagEnds int
	h.at(90*day-time.Minute, func() {
		h.mu.Lock()
		mailsBeforeGagEnds = len(h.mails)
		h.mu.Unlock()
	})
	out := h.executeDisclosure()
	eq(t, "status", out.Status, dsrflow.StatusCompleted)
	eq(t, "mails before the gag order ends", mailsBeforeGagEnds, 0)
	eq(t, "late vote refused", errType(late.rejected), dsrflow.ECONFLICT)
	eq(t, "mails", len(h.mails), 2)
	eq(t, "completed before the gag ends", h.transitions[len(h.transitions)-1].Request.Status, dsrflow.StatusCompleted)
	eq(t, "deferred", len(h.eventsNamed("subject_notice_deferred")), 1)
	eq(t, "notified", h.eventsNamed("subjects_notified")[0].At, start.Add(90*day))
	eq(t, "register gag", h.register[len(h.register)-1].GagUntil, start.Add(90*day-time.Nanosecond).Format("2006-01-02"))
}

// TestDisclosureOnePersonIsOneApprover: alice approves with her token, then clicks approve in Slack; the
// second vote names the same person and is refused, so one person under two names cannot make the two
// approvals a disclosure needs. Bob's approval then decides it.
func TestDisclosureOnePersonIsOneApprover(t *testing.T) {
	h := newDisclosureHarness(t, newDisclosureInput("TOSL-2026-1"))
	asAlice := func(name string) dsrflow.Vote {
		v := legal(name, dsrflow.VoteApprove, "order is valid")
		v.Person = "person:alice"
		return v
	}
	first := h.vote(time.Hour, asAlice("token:alice"))
	again := h.vote(2*time.Hour, asAlice("U01ALICE"))
	bob := h.vote(3*time.Hour, legal("token:bob", dsrflow.VoteApprove, "agreed"))
	out := h.executeDisclosure()

	if !first.outcome.Accepted {
		t.Errorf("alice's first approval: %+v", first)
	}
	if again.outcome.Accepted || again.outcome.Code != dsrflow.ECONFLICT {
		t.Errorf("alice again under her Slack id: %+v, want refused as a second vote", again)
	}
	if !bob.outcome.Accepted {
		t.Errorf("bob's approval: %+v", bob)
	}
	eq(t, "status", out.Status, dsrflow.StatusCompleted)
	eq(t, "approvers", out.Approvers, []string{"token:alice", "token:bob"})
}

// TestSupervisoryAuthorityOrderGoesToReview: a data protection authority's order has no court order and
// is not refused: it goes to review, the card shows its kind and basis (GDPR Art. 58(1)(a) and (e)) and
// the order document's hash, and once approved the subjects are told in words true for that kind.
func TestSupervisoryAuthorityOrderGoesToReview(t *testing.T) {
	in := newDisclosureInput("")
	in.Kind, in.Authority, in.Court, in.OrderDate = dsrflow.KindSupervisoryAuthority, "Datatilsynet", "", ""
	in.LegalBasis, in.OrderSHA256 = "GDPR Art. 58(1)(a) and (e)", strings.Repeat("ab", 32)
	in.Language = "nb"
	h := newDisclosureHarness(t, in)
	h.vote(time.Hour, legal("token:legal-1", dsrflow.VoteApprove, "the authority's order is valid"))
	h.vote(2*time.Hour, legal("token:legal-2", dsrflow.VoteApprove, "agreed"))
	out := h.executeDisclosure()

	eq(t, "status", out.Status, dsrflow.StatusCompleted)
	eq(t, "statuses", h.statuses(), []dsrflow.Status{dsrflow.StatusReceived, dsrflow.StatusInReview, dsrflow.StatusFulfilling, dsrflow.StatusCompleted})
	eq(t, "cards", len(h.cards), 1)
	fields := map[string]string{}
	for _, f := range h.cards[0].Card.Fields {
		fields[f.Label] = f.Value
	}
	if !strings.Contains(fields["Kind and basis"], "Supervisory authority order") || !strings.Contains(fields["Kind and basis"], "Art. 58(1)(a)") {
		t.Errorf("card fields %v: want the kind and its basis", fields)
	}
	eq(t, "card order", fields["Court order"], "none")
	eq(t, "card order hash", fields["Order document SHA-256"], in.OrderSHA256)
	last := h.register[len(h.register)-1]
	eq(t, "register kind", last.Kind, dsrflow.KindSupervisoryAuthority)
	eq(t, "register order hash", last.OrderSHA256, in.OrderSHA256)
	eq(t, "register outcome", last.Outcome, store.DisclosureComplied)
	eq(t, "mails", len(h.mails), 2)
	text := h.mails[0].Text
	if strings.Contains(text, "court order") || !strings.Contains(text, "supervisory authority Datatilsynet") || !strings.Contains(text, "Art. 58(1)(a) and (e)") {
		t.Errorf("notice = %q", text)
	}
	// The activity writes the notice in the disclosure's language, of the subject's own categories.
	if n := h.mails[0].Disclosure; n == nil || n.Language != "nb" || n.Kind != dsrflow.KindSupervisoryAuthority || n.Authority != "Datatilsynet" ||
		n.CaseRef != in.CaseRef || len(n.Categories) == 0 {
		t.Errorf("notice for the activity = %+v", n)
	}
	eq(t, "DPO notices", len(h.dpo), 0)
}

// TestPoliceWithoutOrderStillRefused: the default kind, police, without a court order is refused at
// once as before kinds existed; a statutory order without one goes to review.
func TestPoliceWithoutOrderStillRefused(t *testing.T) {
	police := newDisclosureInput("")
	police.Kind = dsrflow.KindPolice
	if !workflows.RefusedWithoutOrder(police) {
		t.Error("a police request without a court order is not refused")
	}
	statutory := newDisclosureInput("")
	statutory.Kind, statutory.Statute = dsrflow.KindStatutoryOrder, "Tax Administration Act s. 10-2"
	if workflows.RefusedWithoutOrder(statutory) {
		t.Error("a statutory order is refused for want of a court order")
	}
	h := newDisclosureHarness(t, statutory)
	h.vote(time.Hour, legal("token:legal-1", dsrflow.VoteReject, "the statute does not reach this data"))
	out := h.executeDisclosure()
	eq(t, "status", out.Status, dsrflow.StatusRejected)
	eq(t, "statuses", h.statuses(), []dsrflow.Status{dsrflow.StatusReceived, dsrflow.StatusInReview, dsrflow.StatusRejected})
	if f := h.cards[0].Card.Fields; !strings.Contains(f[2].Value, "Statutory order under Tax Administration Act s. 10-2") {
		t.Errorf("card fields %+v", f)
	}
}

// TestVitalInterestTellsTheDPOAtOnceAndEscalatesInHours: an emergency request tells the DPO at once (a
// mail and a critical alert, naming no subject), reminds after 1 hour and escalates after 4, not days.
func TestVitalInterestTellsTheDPOAtOnceAndEscalatesInHours(t *testing.T) {
	in := newDisclosureInput("")
	in.Kind, in.Court, in.OrderDate = dsrflow.KindVitalInterest, "", ""
	in.RemindAt, in.EscalateAt = start.Add(time.Hour), start.Add(4*time.Hour)
	h := newDisclosureHarness(t, in)
	h.vote(5*time.Hour, legal("token:legal-1", dsrflow.VoteApprove, "life at risk"))
	h.vote(5*time.Hour+time.Minute, legal("token:legal-2", dsrflow.VoteApprove, "agreed"))
	out := h.executeDisclosure()

	eq(t, "status", out.Status, dsrflow.StatusCompleted)
	eq(t, "DPO notices", len(h.dpo), 1)
	if !strings.Contains(h.dpo[0].Subject, "Emergency") || !strings.Contains(h.dpo[0].Text, "within 4 hours") {
		t.Errorf("DPO notice %+v", h.dpo[0])
	}
	eq(t, "alerts", len(h.alerts), 3)
	eq(t, "DPO alert at", h.alerts[0].At, start)
	eq(t, "reminder at", h.alerts[1].At, start.Add(time.Hour))
	eq(t, "escalation at", h.alerts[2].At, start.Add(4*time.Hour))
	if !strings.Contains(h.alerts[2].Arg.Alert.Text, "after 4 hours") {
		t.Errorf("escalation = %+v", h.alerts[2].Arg.Alert)
	}
	eq(t, "dpo_notified audits", len(h.eventsNamed("dpo_notified")), 1)
	if !strings.Contains(h.mails[0].Text, "To protect someone's life") {
		t.Errorf("notice = %q", h.mails[0].Text)
	}
}
