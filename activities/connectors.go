package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/internal/metrics"
	"github.com/dsrflow/dsrflow/internal/store"
)

// Connectors runs jobs on the configured connectors, each through the Runner its kind opened.
type Connectors struct {
	Registry *connectors.Registry
	// Runners are the connectors' runners by id, opened at worker start (connectors.Open).
	Runners map[string]connectors.Runner
	Store   *store.Store
	// CallbackBase is the front door's public base URL; accepted jobs call back under it.
	CallbackBase string
	// Metrics counts and times the calls to connectors; nil counts nothing.
	Metrics *metrics.Registry
	// Throttle holds the calls to each connector's limits (max_concurrent, rate) across every worker;
	// nil holds nothing.
	Throttle connectors.Throttle
}

// Select returns the connectors a job goes to: connectors supporting the action and matching one of
// the subject's identity types (partners only for the actions they take, such as optout), or the
// partners to notify: those the subsidiaries that hold the subject share data with
// (in.RecipientsTracked), or every partner (requests started before).
func (a *Connectors) Select(ctx context.Context, in SelectInput) ([]ConnectorRef, error) {
	var conns []connectors.Connector
	switch {
	case in.Partners && in.RecipientsTracked:
		conns = a.Registry.RecipientsOf(in.HeldBy)
	case in.Partners:
		conns = a.Registry.Partners()
	default:
		for _, c := range a.Registry.Select(in.Action, in.Identity) {
			if (c.Role == connectors.RoleSubsidiary || c.Role == connectors.RolePartner && in.Action != dsrflow.ActionNotify) && holdsAny(c, in.Categories) {
				conns = append(conns, c)
			}
		}
	}
	refs := make([]ConnectorRef, 0, len(conns))
	for _, c := range conns {
		ref := ConnectorRef{ID: c.ID, Owner: c.Owner, Role: c.Role}
		if t, ok := c.Settings.(connectors.Tasks); ok {
			ref.Kind = connectors.KindManual
			ref.Channel, ref.Instructions = t.Task()
		}
		refs = append(refs, ref)
	}
	return refs, nil
}

// Run submits a job. A final answer's records go to the store; the workflow gets the outcome only.
func (a *Connectors) Run(ctx context.Context, job connectors.Job) (JobOutcome, error) {
	conn, err := a.connector(job.Connector)
	if err != nil {
		return JobOutcome{}, err
	}
	job.CallbackURL = a.CallbackBase + "/connectors/v1/callbacks/" + conn.ID
	defer heartbeat(ctx)()
	release, err := a.hold(ctx, conn)
	if err != nil {
		return JobOutcome{}, retryable(err)
	}
	defer release()
	a.issue(ctx, conn, job)
	start := time.Now()
	res, err := a.submit(ctx, conn, job)
	a.observe(conn, job, res, err, start)
	if err != nil {
		return JobOutcome{}, retryable(err)
	}
	return a.outcome(ctx, conn, job, res)
}

// issue records that the job goes to a connector speaking protocol v1 (connectors.Speaker), before it
// goes: the front door accepts a callback only for a job issued to that connector and still open, and a
// connector may call back before its 202 reaches us. Other kinds never call back. A job without a request row (a retention
// sweep's) is never called back either: the sweep polls. A store that fails here does not stop the job:
// its callback is then refused, and the workflow polls for the result instead.
func (a *Connectors) issue(ctx context.Context, conn connectors.Connector, job connectors.Job) {
	if _, speaks := conn.Endpoint(); !speaks || a.Store == nil {
		return
	}
	requestID, _, _ := strings.Cut(job.ID, ":")
	err := a.Store.IssueJob(ctx, store.Job{JobID: job.ID, RequestID: requestID, ConnectorID: conn.ID, Owner: conn.Owner, Role: conn.Role, Action: string(job.Action)})
	if err != nil && dsrflow.ErrorCode(err) != dsrflow.ENOTFOUND && activity.IsActivity(ctx) {
		activity.GetLogger(ctx).Warn("job not recorded as issued; its callback will be refused and the workflow polls", "job", job.ID, "error", err)
	}
}

// submit runs the job through the connector's runner.
func (a *Connectors) submit(ctx context.Context, conn connectors.Connector, job connectors.Job) (connectors.Result, error) {
	r, err := a.runner(conn)
	if err != nil {
		return connectors.Result{}, err
	}
	return r.Run(ctx, job)
}

// poll asks the connector's runner for an accepted job's result, as one call under the connector's
// limits.
func (a *Connectors) poll(ctx context.Context, conn connectors.Connector, jobID string) (connectors.Result, error) {
	r, err := a.runner(conn)
	if err != nil {
		return connectors.Result{}, err
	}
	release, err := a.hold(ctx, conn)
	if err != nil {
		return connectors.Result{}, err
	}
	defer release()
	return r.Poll(ctx, jobID)
}

// hold takes one of the connector's max_concurrent slots for a call and, unless its runner paces each
// request it sends (connectors.Pacer), one call under its rate. The slot is taken first, so the call
// goes as soon as its rate allows. A *connectors.BusyError means the job waits for a later attempt.
func (a *Connectors) hold(ctx context.Context, conn connectors.Connector) (release func(), err error) {
	if a.Throttle == nil || !conn.Limits.Bounded() {
		return func() {}, nil
	}
	release, err = a.Throttle.Acquire(ctx, conn)
	if err != nil {
		return nil, err
	}
	if p, ok := a.Runners[conn.ID].(connectors.Pacer); !ok || !p.PacesItsCalls() {
		if err := a.Throttle.Pace(ctx, conn); err != nil {
			release()
			return nil, err
		}
	}
	return release, nil
}

// runner returns the connector's runner. A connector configured but not opened in this worker (its
// configuration changed under a running request) goes to a person.
func (a *Connectors) runner(conn connectors.Connector) (connectors.Runner, error) {
	r, ok := a.Runners[conn.ID]
	if !ok {
		return nil, &connectors.CallError{Connector: conn.ID, Permanent: true, Message: "the connector is not open in this worker"}
	}
	return r, nil
}

// Poll asks an accepted job's connector for the result: the fallback when no callback came.
func (a *Connectors) Poll(ctx context.Context, job connectors.Job) (JobOutcome, error) {
	conn, err := a.connector(job.Connector)
	if err != nil {
		return JobOutcome{}, err
	}
	start := time.Now()
	res, err := a.poll(ctx, conn, job.ID)
	if !busy(err) {
		a.observe(conn, job, res, err, start)
	}
	if err != nil {
		return JobOutcome{}, retryable(err)
	}
	return a.outcome(ctx, conn, job, res)
}

// AwaitResult polls an accepted job's connector until it gives a final result or in.Until passes; then
// the outcome comes back not final and the workflow escalates the job. The waits double from FirstPoll
// up to PollEvery; a failed poll costs one more wait, not an attempt, so the request's history holds
// this one activity however long the connector takes. The activity heartbeats its current wait: an
// attempt after a killed worker goes on from it. The connector's callback, when it comes, reaches the
// workflow as a signal, which cancels this activity.
func (a *Connectors) AwaitResult(ctx context.Context, in AwaitInput) (JobOutcome, error) {
	conn, err := a.connector(in.Job.Connector)
	if err != nil {
		return JobOutcome{}, err
	}
	wait := max(in.FirstPoll, time.Second)
	if activity.IsActivity(ctx) && activity.HasHeartbeatDetails(ctx) {
		var d time.Duration
		if activity.GetHeartbeatDetails(ctx, &d) == nil && d > 0 {
			wait = d
		}
	}
	for {
		left := time.Until(in.Until)
		if left <= 0 {
			return JobOutcome{
				Connector: ConnectorRef{ID: conn.ID, Owner: conn.Owner, Role: conn.Role}, JobID: in.Job.ID, Action: in.Job.Action,
				Status: connectors.StatusAccepted, Detail: "no result before the escalation point",
			}, nil
		}
		if err := sleepBeating(ctx, min(wait, left), wait); err != nil {
			return JobOutcome{}, err
		}
		if !time.Now().Before(in.Until) {
			continue
		}
		start := time.Now()
		stop := heartbeat(ctx)
		res, err := a.poll(ctx, conn, in.Job.ID)
		var ce *connectors.CallError
		var be *connectors.BusyError
		if !errors.As(err, &be) {
			a.observe(conn, in.Job, res, err, start)
		}
		switch {
		case be != nil:
			// The connector's limits let no poll go now: the next one waits longer, as after a failure.
		case err == nil && res.Status.Final():
			defer stop()
			return a.outcome(ctx, conn, in.Job, res)
		case errors.As(err, &ce) && ce.Permanent:
			stop()
			return JobOutcome{}, retryable(err)
		case err != nil && ctx.Err() != nil:
			stop()
			return JobOutcome{}, ctx.Err()
		case err != nil:
			if activity.IsActivity(ctx) {
				activity.GetLogger(ctx).Warn("poll failed; polling again later", "job", in.Job.ID, "error", err)
			}
		}
		stop()
		wait = min(2*wait, max(in.PollEvery, time.Second))
		if ce != nil && ce.RetryAfter > wait {
			wait = ce.RetryAfter
		}
		if be != nil && be.RetryAfter > wait {
			wait = be.RetryAfter
		}
	}
}

// sleepBeating waits d, heartbeating next (the wait to resume with) meanwhile; it returns the context's
// error when the activity is canceled, and a retryable error when the worker stops (a deploy), so that
// the worker's drain does not wait for a wait of days: another attempt goes on from the heartbeat.
func sleepBeating(ctx context.Context, d, next time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	tick := time.NewTicker(heartbeatEvery)
	defer tick.Stop()
	var stopping <-chan struct{}
	if activity.IsActivity(ctx) {
		stopping = activity.GetWorkerStopChannel(ctx)
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-stopping:
			return temporal.NewApplicationError("the worker is stopping; another attempt goes on waiting", "WorkerStopping")
		case <-t.C:
			return nil
		case <-tick.C:
			if activity.IsActivity(ctx) {
				activity.RecordHeartbeat(ctx, next)
			}
		}
	}
}

// observe counts a call that started at start: its status is the one the connector answered (a closed
// set, checked by the client) or metrics.StatusError.
func (a *Connectors) observe(conn connectors.Connector, job connectors.Job, res connectors.Result, err error, start time.Time) {
	status := string(res.Status)
	if err != nil {
		status = metrics.StatusError
	}
	a.Metrics.ConnectorCall(conn.ID, string(job.Action), status, time.Since(start))
}

func (a *Connectors) connector(id string) (connectors.Connector, error) {
	conn, ok := a.Registry.Get(id)
	if !ok {
		// Configuration changed under a running request: a person must look.
		return connectors.Connector{}, temporal.NewNonRetryableApplicationError("connector "+id+" is no longer configured", ErrPermanentConnector, nil)
	}
	return conn, nil
}

// outcome stores a final answer's records, then the job's outcome and audit event: recording it here
// rather than in a local activity after it saves the request's history a marker and a round trip per
// job. A failed record is left to the workflow (Recorded false), which retries it without end; the
// connector is never asked again for it.
func (a *Connectors) outcome(ctx context.Context, conn connectors.Connector, job connectors.Job, res connectors.Result) (JobOutcome, error) {
	if len(res.Records) > 0 {
		if err := StoreRecords(ctx, a.Store, job.ID, res.Records); err != nil {
			return JobOutcome{}, err
		}
	}
	out := JobOutcome{
		Connector: ConnectorRef{ID: conn.ID, Owner: conn.Owner, Role: conn.Role}, JobID: job.ID, Action: job.Action,
		Status: res.Status, Detail: res.Detail, Exemptions: res.Exemptions, Counts: res.Counts, Datasets: res.Datasets,
		Items: res.Items, Attempts: int(activity.GetInfo(ctx).Attempt),
	}
	if out.Status.Final() {
		if err := recordJob(ctx, a.Store, out, activityKey(ctx)); err != nil {
			activity.GetLogger(ctx).Warn("job outcome not recorded; the workflow records it", "job", job.ID, "error", err)
		} else {
			out.Recorded = true
		}
	}
	return out, nil
}

// StoreRecords keeps an access job's records in the store, where the export reads them; the front door's
// callback route uses it too.
func StoreRecords(ctx context.Context, st *store.Store, jobID string, records []connectors.Record) error {
	data, err := json.Marshal(records)
	if err != nil {
		return err
	}
	// The request id is what comes before the first colon: a disclosure's jobs, one per subject, carry
	// the subject's number after it (workflows.Disclosure).
	requestID, _, _ := strings.Cut(jobID, ":")
	if err := st.PutJobRecords(ctx, jobID, requestID, data); err != nil {
		return fmt.Errorf("store records of %s: %w", jobID, err)
	}
	return nil
}

// ErrConnectorBusy is the type of a job activity's error when the connector's limits let no call go
// yet: the job is retried after the error's delay, it never fails for it.
const ErrConnectorBusy = "ConnectorBusy"

// busy reports whether err is the connector's limits holding a call back.
func busy(err error) bool {
	var be *connectors.BusyError
	return errors.As(err, &be)
}

// retryable classifies a connector call's failure for Temporal's retry policy.
func retryable(err error) error {
	var be *connectors.BusyError
	if errors.As(err, &be) {
		return temporal.NewApplicationErrorWithOptions(be.Error(), ErrConnectorBusy, temporal.ApplicationErrorOptions{NextRetryDelay: be.RetryAfter})
	}
	var ce *connectors.CallError
	if !errors.As(err, &ce) {
		return err
	}
	if ce.Permanent {
		return temporal.NewNonRetryableApplicationError(ce.Message, ErrPermanentConnector, nil)
	}
	return temporal.NewApplicationErrorWithOptions(ce.Message, "ConnectorUnavailable", temporal.ApplicationErrorOptions{NextRetryDelay: ce.RetryAfter})
}

// holdsAny reports whether the connector holds one of the categories; a connector that declares none
// may hold any, and no categories asked means all.
func holdsAny(c connectors.Connector, categories []string) bool {
	if len(categories) == 0 || len(c.Categories) == 0 {
		return true
	}
	for _, cat := range categories {
		if slices.Contains(c.Categories, cat) {
			return true
		}
	}
	return false
}

// heartbeatEvery is how often a running connector call tells Temporal that its worker is alive.
const heartbeatEvery = 5 * time.Second

// heartbeat records activity heartbeats until the returned stop is called; outside an activity (tests
// calling the activity directly) it does nothing.
func heartbeat(ctx context.Context) (stop func()) {
	if !activity.IsActivity(ctx) {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(heartbeatEvery)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				activity.RecordHeartbeat(ctx)
			}
		}
	}()
	return func() { close(done) }
}
