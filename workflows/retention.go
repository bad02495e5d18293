package workflows

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/activities/act"
	"github.com/dsrflow/dsrflow/connectors"
)

// RetentionScheduleID is the Temporal Schedule that starts the retention sweep every day.
const RetentionScheduleID = "dsrflow-retention"

// RetentionPolicy holds the numbers of the retention sweep.
var RetentionPolicy = struct {
	// Window is how long a connector's purge job is retried, with backoff, before it fails and is
	// escalated: short of a day, so that a failure surfaces before the next sweep.
	Window time.Duration
	// MaxAttempts bounds the tries within the window: with backoff (5 s doubling to 1 h) the window
	// ends first, after about 28; a connector answering Retry-After: 1 again and again ends here.
	MaxAttempts int32
	// JobDeadline is the purge job's deadline as the connector sees it, from the sweep's start.
	JobDeadline time.Duration
	// AtHour is the hour (UTC) the schedule starts the sweep every day.
	AtHour int
}{
	Window:      20 * time.Hour,
	MaxAttempts: 50,
	JobDeadline: 24 * time.Hour,
	AtHour:      3,
}

// ErrRetentionFailed is the error type of a sweep in which some connector's purge failed.
const ErrRetentionFailed = "RetentionFailed"

// RetentionInput starts a retention sweep.
type RetentionInput struct {
	// Now, when set, replaces the workflow's clock as the time the retention periods are counted back
	// from (tests; a sweep replayed for a given day).
	Now *time.Time
}

// RetentionSummary is a sweep's result: what each connector purged, by connector id, and whose
// personal data dsrflow's own store shredded.
type RetentionSummary struct {
	// Sweep is the sweep's id, retention-YYYYMMDD: the request id of its jobs and audit events.
	Sweep      string
	Connectors []RetentionOutcome
	// Records is the record-retention pass over dsrflow's store; nil in sweeps recorded before it.
	Records *RecordsOutcome
	// Kept is what each connector deleted of the data erasures kept, once its period ended (purge_kept
	// jobs), by connector id; empty when nothing was due and in sweeps recorded before the pass.
	Kept []RetentionOutcome `json:",omitempty"`
}

// RecordsOutcome is the record-retention pass: requests closed before Cutoff had their personal data
// crypto-shredded.
type RecordsOutcome struct {
	Cutoff    time.Time
	Retention string
	Shredded  int
	Failed    bool
	Detail    string
}

// RetentionOutcome is one connector's purge.
type RetentionOutcome struct {
	Connector string
	Cutoff    time.Time
	Purged    int
	// ContactsPurged and ContactsKept count the marketing contacts a purge under the marketing rule took
	// whole (contact data, consents, leads) or left because another purpose holds them; KeptFor says
	// which purposes ("contract: ..."). Zero in sweeps from before the rule covered the contact.
	ContactsPurged int      `json:",omitempty"`
	ContactsKept   int      `json:",omitempty"`
	KeptFor        []string `json:",omitempty"`
	// RestrictedKept counts the rows past their period that the connector kept because the processing
	// of their subject's data is restricted (GDPR Art. 18(2)): a sweep does not delete them.
	RestrictedKept int `json:",omitempty"`
	Failed         bool
	// Detail says why a purge failed; never personal data.
	Detail string
}

// Retention purges, on every connector with retention rules, the data whose last activity is older
// than the rule's age: the privacy policy's "deleted no later than 24 months after the last registered
// activity". Each connector's result is audited; a connector that still fails after the retry window is
// audited as failed and escalated, and the sweep then fails, so that the schedule pauses until someone
// looks. Then it crypto-shreds, in dsrflow's own store, the personal data of the requests closed longer
// ago than the record retention (DSR_RECORD_RETENTION, 3 years by default).
func Retention(ctx workflow.Context, in RetentionInput) (RetentionSummary, error) {
	now := workflow.Now(ctx).UTC()
	if in.Now != nil {
		now = in.Now.UTC()
	}
	s := &sweep{id: RetentionSweepID(now), now: now}

	var targets []act.RetentionTarget
	if err := workflow.ExecuteLocalActivity(localOptions(ctx), connectorActs.RetentionTargets).Get(ctx, &targets); err != nil {
		return RetentionSummary{}, fmt.Errorf("list connectors with retention rules: %w", err)
	}
	// Sweeps recorded before the marketing rule covered the whole contact replay without it.
	s.wholeContact = workflow.GetVersion(ctx, "retention-whole-marketing-contact", workflow.DefaultVersion, 1) == 1
	outcomes := make([]RetentionOutcome, len(targets))
	wg := workflow.NewWaitGroup(ctx)
	for i, t := range targets {
		wg.Add(1)
		workflow.Go(ctx, func(ctx workflow.Context) {
			defer wg.Done()
			outcomes[i] = s.purge(ctx, t)
		})
	}
	wg.Wait(ctx)

	summary := RetentionSummary{Sweep: s.id, Connectors: outcomes}
	// Sweeps started before kept data was purged at the end of its period replay without it.
	if workflow.GetVersion(ctx, "retention-purge-expired-exemptions", workflow.DefaultVersion, 1) == 1 {
		summary.Kept = s.purgeKept(ctx)
	}
	// Sweeps started before the record-retention pass existed replay without it.
	if workflow.GetVersion(ctx, "record-retention", workflow.DefaultVersion, 1) == 1 {
		summary.Records = s.shredRecords(ctx)
	}
	var failed []string
	for _, o := range append(slices.Clone(outcomes), summary.Kept...) {
		if o.Failed && !slices.Contains(failed, o.Connector) {
			failed = append(failed, o.Connector)
		}
	}
	if summary.Records != nil && summary.Records.Failed {
		failed = append(failed, "the store's record retention")
	}
	if len(failed) > 0 {
		return summary, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("retention sweep %s failed on %s", s.id, strings.Join(failed, ", ")), ErrRetentionFailed, nil, summary)
	}
	return summary, nil
}

// RetentionSweepID names the sweep of the day t falls on (UTC).
func RetentionSweepID(t time.Time) string { return "retention-" + t.UTC().Format("20060102") }

type sweep struct {
	id  string
	now time.Time
	// wholeContact: a purge under the marketing rule asks for the whole marketing contact (Job.Contact).
	wholeContact bool
}

// purge runs one connector's purge job through the same connector activities as requests' jobs, and
// audits the outcome.
func (s *sweep) purge(ctx workflow.Context, t act.RetentionTarget) RetentionOutcome {
	// connectors.yaml gives every rule of a connector the same age: one job, one cutoff.
	cutoff := t.Rules[0].Age.Cutoff(s.now)
	out := RetentionOutcome{Connector: t.Connector.ID, Cutoff: cutoff}
	job := connectors.Job{
		Protocol:  connectors.ProtocolVersion,
		ID:        connectors.JobID(s.id, t.Connector.ID, dsrflow.ActionPurge),
		RequestID: s.id,
		Connector: t.Connector.ID,
		Action:    dsrflow.ActionPurge,
		Cutoff:    &cutoff,
		Deadline:  workflow.Now(ctx).UTC().Add(RetentionPolicy.JobDeadline),
	}
	for _, r := range t.Rules {
		job.Categories = append(job.Categories, r.Category)
		// The policy: "contact information kept for marketing, including leads ... is deleted".
		job.Contact = job.Contact || (s.wholeContact && r.Marketing())
	}

	res, detail := s.run(ctx, job)
	if detail != "" {
		out.Failed, out.Detail = true, detail
		s.escalate(ctx, t.Connector.ID, cutoff, detail)
		return out
	}
	out.Purged = res.Counts["purged"]
	audit := map[string]string{"connector": t.Connector.ID, "purged": strconv.Itoa(out.Purged), "cutoff": cutoff.Format(time.RFC3339)}
	if job.Contact {
		out.ContactsPurged, out.ContactsKept, out.KeptFor = res.Counts["contacts_purged"], res.Counts["contacts_kept"], keptFor(res.Exemptions)
		audit["contacts_purged"], audit["contacts_kept"] = strconv.Itoa(out.ContactsPurged), strconv.Itoa(out.ContactsKept)
		if len(out.KeptFor) > 0 {
			audit["kept_for"] = strings.Join(out.KeptFor, "; ")
		}
	}
	if out.RestrictedKept = res.Counts["restricted_kept"]; out.RestrictedKept > 0 {
		audit["restricted_kept"] = strconv.Itoa(out.RestrictedKept)
	}
	s.audit(ctx, "retention_purged", audit, "")
	return out
}

// keptFor names the purposes that still hold marketing contacts, once each, in the connector's order:
// "contract: the contact is also a customer's". Connectors put no personal data in exemptions.
func keptFor(exemptions []connectors.Exemption) []string {
	var out []string
	for _, e := range exemptions {
		p := e.Basis
		if e.Detail != "" {
			p += ": " + e.Detail
		}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// purgeKept has the data erasures kept deleted once its period has ended: the store lists what is due
// (the until-dates dsrflow kept), each connector gets one purge_kept job naming exactly those records,
// and what it deleted is audited on the sweep (kept_data_purged) and on each request it was kept for
// (kept_data_deleted). A connector that fails, or does not confirm every record, is escalated like a
// failed purge, and its records stay due for the next sweep.
func (s *sweep) purgeKept(ctx workflow.Context) []RetentionOutcome {
	var due []act.KeptRecord
	if err := workflow.ExecuteActivity(shredOptions(ctx), storeActs.DueKept, act.DueKeptInput{Now: s.now}).Get(ctx, &due); err != nil {
		detail := "the store's kept data could not be listed when the retries ended"
		s.audit(ctx, "retention_failed", map[string]string{"connector": "kept data"}, detail)
		return []RetentionOutcome{{Connector: "kept data", Cutoff: s.now, Failed: true, Detail: detail}}
	}
	var out []RetentionOutcome
	for len(due) > 0 {
		connector := due[0].Connector // the store orders them by connector
		n := 1
		for n < len(due) && due[n].Connector == connector {
			n++
		}
		out = append(out, s.purgeKeptOn(ctx, connector, due[:n]))
		due = due[n:]
	}
	return out
}

// purgeKeptOn runs one connector's purge_kept job for its due records.
func (s *sweep) purgeKeptOn(ctx workflow.Context, connector string, records []act.KeptRecord) RetentionOutcome {
	out := RetentionOutcome{Connector: connector, Cutoff: s.now}
	requestID := s.id + "-kept"
	job := connectors.Job{
		Protocol:  connectors.ProtocolVersion,
		ID:        connectors.JobID(requestID, connector, dsrflow.ActionPurgeKept),
		RequestID: requestID,
		Connector: connector,
		Action:    dsrflow.ActionPurgeKept,
		Cutoff:    &s.now,
		Deadline:  workflow.Now(ctx).UTC().Add(RetentionPolicy.JobDeadline),
	}
	for _, r := range records {
		i := slices.IndexFunc(job.Kept, func(k connectors.KeptRef) bool { return k.Dataset == r.Dataset && k.Ref == r.Ref })
		switch {
		case i < 0:
			job.Kept = append(job.Kept, connectors.KeptRef{Dataset: r.Dataset, Ref: r.Ref, Until: r.Until})
		case r.Until.After(job.Kept[i].Until):
			job.Kept[i].Until = r.Until
		}
	}
	res, detail := s.run(ctx, job)
	if detail == "" && res.Counts["kept_refs"] != len(job.Kept) {
		detail = fmt.Sprintf("the connector confirmed %d of the %d kept records named", res.Counts["kept_refs"], len(job.Kept))
	}
	if detail != "" {
		out.Failed, out.Detail = true, detail
		s.escalate(ctx, connector, s.now, detail)
		return out
	}
	out.Purged = res.Counts["purged"]
	in := act.KeptPurgedInput{Records: records, PurgeJob: job.ID, At: s.now}
	if err := workflow.ExecuteActivity(shredOptions(ctx), storeActs.KeptPurged, in).Get(ctx, nil); err != nil {
		out.Failed, out.Detail = true, "the deletion could not be recorded in the store when the retries ended"
		s.escalate(ctx, connector, s.now, out.Detail)
		return out
	}
	s.audit(ctx, "kept_data_purged", map[string]string{
		"connector": connector, "purged": strconv.Itoa(out.Purged), "records": strconv.Itoa(len(job.Kept)), "cutoff": s.now.Format(time.RFC3339),
	}, "")
	return out
}

// shredRecords crypto-shreds the personal data in dsrflow's own store of the requests closed longer ago
// than the record retention (activities.Store.ShredExpiredRecords audits each request). A pass that still
// fails after the retry window is audited and escalated, and fails the sweep like a connector's purge.
func (s *sweep) shredRecords(ctx workflow.Context) *RecordsOutcome {
	var res act.ShredResult
	err := workflow.ExecuteActivity(shredOptions(ctx), storeActs.ShredExpiredRecords, act.ShredInput{Now: s.now}).Get(ctx, &res)
	out := &RecordsOutcome{Cutoff: res.Cutoff, Retention: res.Retention, Shredded: res.Shredded}
	if err != nil {
		out.Failed, out.Detail = true, "the store's record-retention pass still failed when the retries ended"
		workflow.GetLogger(ctx).Error("record retention failed", "sweep", s.id)
		s.audit(ctx, "record_retention_failed", nil, out.Detail)
		return out
	}
	s.audit(ctx, "record_retention_done", map[string]string{
		"shredded": strconv.Itoa(res.Shredded), "cutoff": res.Cutoff.Format(time.RFC3339), "retention": res.Retention,
	}, "")
	return out
}

// shredOptions retry the record-retention pass with backoff within the sweep's window; it heartbeats
// after each request.
func shredOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    time.Hour,
		HeartbeatTimeout:       5 * time.Minute,
		ScheduleToCloseTimeout: RetentionPolicy.Window,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: 5 * time.Second, BackoffCoefficient: 2, MaximumInterval: time.Hour,
			MaximumAttempts: RetentionPolicy.MaxAttempts,
		},
	})
}

// run submits the job, retried with backoff within the window, and polls a connector that accepted it
// for later (no callback reaches a sweep: it has no request workflow). It returns a failure's detail, or
// "" when the connector purged.
func (s *sweep) run(ctx workflow.Context, job connectors.Job) (act.JobOutcome, string) {
	giveUp := workflow.Now(ctx).Add(RetentionPolicy.Window)
	var out act.JobOutcome
	if err := workflow.ExecuteActivity(purgeOptions(ctx, RetentionPolicy.Window), connectorActs.Run, job).Get(ctx, &out); err != nil {
		return out, retentionFailure(err)
	}
	for !out.Status.Final() {
		left := giveUp.Sub(workflow.Now(ctx))
		if left <= 0 {
			return out, "no result from the connector within the retry window"
		}
		if err := workflow.Sleep(ctx, min(dsrflow.DeadlinePolicy.PollEvery, left)); err != nil {
			return out, "the sweep was canceled"
		}
		if err := workflow.ExecuteActivity(purgeOptions(ctx, giveUp.Sub(workflow.Now(ctx))), connectorActs.Poll, job).Get(ctx, &out); err != nil {
			return out, retentionFailure(err)
		}
	}
	if out.Status == connectors.StatusFailed {
		if out.Detail == "" {
			return out, "the connector reported a failure"
		}
		return out, "the connector reported a failure: " + out.Detail
	}
	return out, ""
}

// purgeOptions are a request job's options (jobOptions) with the sweep's bound on attempts.
func purgeOptions(ctx workflow.Context, window time.Duration) workflow.Context {
	ctx = jobOptions(ctx, window)
	o := workflow.GetActivityOptions(ctx)
	o.RetryPolicy.MaximumAttempts = RetentionPolicy.MaxAttempts
	return workflow.WithActivityOptions(ctx, o)
}

// escalate records a connector whose purge failed, so that a person follows up: data past its period is
// still held. The alert to the team's channel joins here when the Slack connector comes.
func (s *sweep) escalate(ctx workflow.Context, connectorID string, cutoff time.Time, detail string) {
	workflow.GetLogger(ctx).Error("retention purge failed", "sweep", s.id, "connector", connectorID)
	s.audit(ctx, "retention_failed", map[string]string{"connector": connectorID, "cutoff": cutoff.Format(time.RFC3339)}, detail)
}

func (s *sweep) audit(ctx workflow.Context, action string, detail map[string]string, reason string) {
	e := dsrflow.AuditEvent{At: workflow.Now(ctx).UTC(), RequestID: s.id, Action: action, Actor: "system", Reason: reason, Detail: detail}
	// As for requests: the store being down stalls the sweep rather than losing the event.
	_ = workflow.ExecuteLocalActivity(localOptions(ctx), storeActs.AppendAudit, e).Get(ctx, nil)
}

// retentionFailure turns a purge job's activity error into a detail safe for the audit log. Every
// error but a refusal is retried, so any other error means the retries ran out.
func retentionFailure(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.Type() == act.ErrPermanentConnector {
		return "the connector refused the job: " + appErr.Message()
	}
	return "the connector still failed when the retries ended"
}

// RetentionSchedule is the daily schedule of the retention sweep: at 03:00 UTC, never two sweeps at
// once, paused when a sweep fails (a connector's purge failed) until an operator unpauses it.
func RetentionSchedule() client.ScheduleOptions {
	return client.ScheduleOptions{
		ID: RetentionScheduleID,
		Spec: client.ScheduleSpec{
			Calendars: []client.ScheduleCalendarSpec{{
				Hour:    []client.ScheduleRange{{Start: RetentionPolicy.AtHour}},
				Comment: "daily retention sweep",
			}},
		},
		Action: &client.ScheduleWorkflowAction{
			ID:        RetentionScheduleID + "-run",
			Workflow:  Retention,
			Args:      []any{RetentionInput{}},
			TaskQueue: TaskQueue,
		},
		Overlap: enums.SCHEDULE_OVERLAP_POLICY_SKIP,
		// A worker down over 03:00 still sweeps when it is back the same day.
		CatchupWindow:  RetentionPolicy.Window,
		PauseOnFailure: true,
	}
}

// EnsureRetentionSchedule creates the retention schedule unless it exists and reports whether it created
// it; `starter temporal setup` and the dev stack call it. An existing schedule is left as it is, paused or
// not: pausing is an operator's decision.
func EnsureRetentionSchedule(ctx context.Context, c client.Client) (created bool, err error) {
	_, err = c.ScheduleClient().Create(ctx, RetentionSchedule())
	var exists *serviceerror.AlreadyExists
	if errors.Is(err, temporal.ErrScheduleAlreadyRunning) || errors.As(err, &exists) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("create schedule %s: %w", RetentionScheduleID, err)
	}
	return true, nil
}

// HasRetentionSchedule reports whether the retention schedule exists, without changing anything: a
// production worker checks it at start.
func HasRetentionSchedule(ctx context.Context, c client.Client) (bool, error) {
	_, err := c.ScheduleClient().GetHandle(ctx, RetentionScheduleID).Describe(ctx)
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("describe schedule %s: %w", RetentionScheduleID, err)
	}
	return true, nil
}
