package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
)

func pass(name, format string, args ...any) Result {
	return Result{Name: name, Passed: true, Detail: fmt.Sprintf(format, args...)}
}

func fail(name, format string, args ...any) Result {
	return Result{Name: name, Detail: fmt.Sprintf(format, args...)}
}

// RejectsUnsigned: a job without signature headers is answered 401 (PROTOCOL.md §2, rule 1).
func RejectsUnsigned(ctx context.Context, t Target) Result {
	t = t.withDefaults()
	return rejects(ctx, t, "rejects_unsigned", "an unsigned job", func(*http.Request, []byte) {})
}

// RejectsForgedSignature: a job signed with another secret is answered 401 (§2, rule 3).
func RejectsForgedSignature(ctx context.Context, t Target) Result {
	t = t.withDefaults()
	forged := []byte("forged-" + random() + random())
	return rejects(ctx, t, "rejects_forged_signature", "a job signed with another secret", func(req *http.Request, body []byte) {
		connectors.SignRequest(req, forged, body, t.Now())
	})
}

// RejectsStaleTimestamp: a job signed with the right secret 10 minutes ago, beyond the 5-minute
// window, is answered 401 (§2, rule 2).
func RejectsStaleTimestamp(ctx context.Context, t Target) Result {
	t = t.withDefaults()
	return rejects(ctx, t, "rejects_stale_timestamp", "a job signed 10 minutes ago", func(req *http.Request, body []byte) {
		connectors.SignRequest(req, t.Secret, body, t.Now().Add(-2*connectors.SignatureWindow))
	})
}

// rejects posts a valid job under a bad signature: a connector that acts on it would act for anyone.
func rejects(ctx context.Context, t Target, name, what string, sign signer) Result {
	body, err := json.Marshal(t.job(t.Action))
	if err != nil {
		return fail(name, "encode job: %v", err)
	}
	a, err := t.post(ctx, body, sign)
	switch {
	case err != nil:
		return fail(name, "%v", err)
	case a.status == http.StatusUnauthorized:
		return pass(name, "%s was answered 401", what)
	case a.status/100 == 2:
		return fail(name, "%s was accepted (HTTP %d): anyone could submit jobs", what, a.status)
	default:
		return fail(name, "%s was answered HTTP %d, want 401", what, a.status)
	}
}

// UnknownSubjectNotFound: a job for a subject the connector does not hold ends not_found, at once
// (200) or by polling after 202. A partner confirms a notify job whether or not it knows the person,
// and an optout may be recorded for an address nobody holds yet (a partner's suppression of it), so for
// notify and optout any final status but failed passes.
func UnknownSubjectNotFound(ctx context.Context, t Target) Result {
	t = t.withDefaults()
	const name = "unknown_subject_not_found"
	out, err := t.submit(ctx, t.job(t.Action))
	if err != nil {
		return fail(name, "%v", err)
	}
	got := out.result.Status
	switch {
	case t.Action == dsrflow.ActionLocate && (len(out.result.Records) > 0 || len(out.result.Tenants) > 0):
		// A processor names tenants only, and none for a subject nobody holds.
		return fail(name, "locate job for an unknown subject returned %d tenants and %d records, want none", len(out.result.Tenants), len(out.result.Records))
	case got == connectors.StatusNotFound:
		return pass(name, "%s job for an unknown subject ended not_found (%s)", t.Action, out.how())
	case t.Action == dsrflow.ActionLocate && got == connectors.StatusCompleted:
		return pass(name, "locate job for an unknown subject ended completed with no tenants (%s)", out.how())
	case (t.Action == dsrflow.ActionNotify || t.Action == dsrflow.ActionPurge || t.Action == dsrflow.ActionOptout) && got.Final() && got != connectors.StatusFailed:
		return pass(name, "%s job ended %s (%s); %s jobs need not say not_found", t.Action, got, out.how(), t.Action)
	default:
		return fail(name, "%s job for an unknown subject ended %q (%s), want not_found", t.Action, got, out.how())
	}
}

// SameJobSameAnswer: a job submitted again, after its first submission finished, gets the same
// answer. Effects are invisible over the protocol: that the connector acted once cannot be checked
// from outside, only that it answered from what it stored.
func SameJobSameAnswer(ctx context.Context, t Target) Result {
	t = t.withDefaults()
	const name = "same_job_same_answer"
	job := t.job(t.Action)
	first, err := t.submit(ctx, job)
	if err != nil {
		return fail(name, "first submission: %v", err)
	}
	second, err := t.submit(ctx, job)
	if err != nil {
		return fail(name, "second submission: %v", err)
	}
	if first.status == http.StatusAccepted && second.status == http.StatusAccepted {
		return fail(name, "a finished job submitted again was answered 202, as if run again; want 200 and the stored result")
	}
	if diff := differences(first.result, second.result); diff != "" {
		return fail(name, "the second answer differs from the first in %s", diff)
	}
	return pass(name, "the second submission got the first answer (status %s); effects are not visible over the protocol, so only the answers were compared", second.result.Status)
}

// differences names the result fields that differ, "" when none do.
func differences(a, b connectors.Result) string {
	var diff []string
	same := func(x, y any) bool {
		bx, _ := json.Marshal(x)
		by, _ := json.Marshal(y)
		return bytes.Equal(bx, by)
	}
	if a.JobID != b.JobID {
		diff = append(diff, "job_id")
	}
	if a.Status != b.Status {
		diff = append(diff, fmt.Sprintf("status (%s, then %s)", a.Status, b.Status))
	}
	if a.Detail != b.Detail {
		diff = append(diff, "detail")
	}
	if !same(a.Records, b.Records) {
		diff = append(diff, "records")
	}
	if !same(a.Exemptions, b.Exemptions) {
		diff = append(diff, "exemptions")
	}
	if !same(a.Counts, b.Counts) {
		diff = append(diff, "counts")
	}
	return strings.Join(diff, ", ")
}

// AcceptedJobReachesFinal: a job answered 202 reaches a final status through GET /v1/jobs/{id}
// within PollTimeout. Not applicable to a connector that answers 200 at once.
func AcceptedJobReachesFinal(ctx context.Context, t Target) Result {
	t = t.withDefaults()
	const name = "accepted_job_reaches_final"
	out, err := t.submit(ctx, t.job(t.Action))
	switch {
	case err != nil:
		return fail(name, "%v", err)
	case out.status == http.StatusOK:
		return pass(name, "not applicable: the connector answered 200 at once")
	case out.ack.Status != "" && out.ack.Status != connectors.StatusAccepted:
		return fail(name, "the 202 body says status %q, want accepted", out.ack.Status)
	default:
		return pass(name, "%s", out.how())
	}
}

// InvalidJSONIs4xx: a signed body that is not JSON is a permanent error (4xx), not a retryable one.
func InvalidJSONIs4xx(ctx context.Context, t Target) Result {
	t = t.withDefaults()
	return refuses(ctx, t, "invalid_json_is_4xx", "a body that is not JSON", []byte(`{"protocol":"dsrflow/1","job_id":`))
}

// MissingJobIDIs4xx: a signed job without job_id is answered 4xx.
func MissingJobIDIs4xx(ctx context.Context, t Target) Result {
	t = t.withDefaults()
	const name = "missing_job_id_is_4xx"
	body, err := json.Marshal(t.job(t.Action))
	if err != nil {
		return fail(name, "encode job: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		return fail(name, "encode job: %v", err)
	}
	delete(m, "job_id")
	if body, err = json.Marshal(m); err != nil {
		return fail(name, "encode job: %v", err)
	}
	return refuses(ctx, t, name, "a job without job_id", body)
}

// UnknownActionIs4xx: a signed job with an action no version of the protocol has is refused: 4xx
// (422 from connectors/sdk), or, since a connector may answer a job it understood but cannot do with
// status failed (PROTOCOL.md §4), 200 or 202 ending failed, as connectors/sdk does in async mode.
// Any other final status means the connector did something with a job it cannot understand.
func UnknownActionIs4xx(ctx context.Context, t Target) Result {
	t = t.withDefaults()
	const name = "unknown_action_is_4xx"
	const what = "a job with an unknown action"
	out, err := t.submit(ctx, t.job("conformance_unknown"))
	switch {
	case out.status/100 == 4 && out.status != http.StatusUnauthorized:
		return pass(name, "%s was answered HTTP %d", what, out.status)
	case out.status == 0 || out.status/100 != 2:
		return refusal(name, what, out.status, err)
	case err != nil:
		return fail(name, "%s: %v", what, err)
	case out.result.Status == connectors.StatusFailed:
		return pass(name, "%s ended failed (%s); 422 at once is clearer", what, out.how())
	default:
		return fail(name, "%s ended %q (%s), want 4xx or failed", what, out.result.Status, out.how())
	}
}

// refuses posts a correctly signed malformed body: it must be refused for good (4xx), since a 5xx
// makes dsrflow retry a job that can never succeed, and a 2xx means it was taken.
func refuses(ctx context.Context, t Target, name, what string, body []byte) Result {
	a, err := t.post(ctx, body, t.signed())
	return refusal(name, what, a.status, err)
}

func refusal(name, what string, status int, err error) Result {
	switch {
	case status == 0 && err != nil:
		return fail(name, "%v", err)
	case status == http.StatusUnauthorized:
		return fail(name, "%s was answered 401 although signed with the given secret; check the secret and the clock", what)
	case status/100 == 4:
		return pass(name, "%s was answered HTTP %d", what, status)
	case status/100 == 5:
		return fail(name, "%s was answered HTTP %d: dsrflow would retry a job that cannot succeed; want 4xx", what, status)
	default:
		return fail(name, "%s was answered HTTP %d, want 4xx", what, status)
	}
}

// AnswerCarriesJobID: the answer names the job submitted: the 202 body (when it names one) and the
// final result.
func AnswerCarriesJobID(ctx context.Context, t Target) Result {
	t = t.withDefaults()
	const name = "answer_carries_job_id"
	job := t.job(t.Action)
	out, err := t.submit(ctx, job)
	switch {
	case err != nil:
		return fail(name, "%v", err)
	case out.status == http.StatusAccepted && out.ack.JobID != "" && out.ack.JobID != job.ID:
		return fail(name, "the 202 body names another job")
	case out.result.JobID == "":
		return fail(name, "the final result has no job_id")
	case out.result.JobID != job.ID:
		return fail(name, "the final result names another job")
	case out.status == http.StatusAccepted && out.ack.JobID == "":
		return pass(name, "the final result names the job; the 202 body has no job_id (allowed, but name it)")
	default:
		return pass(name, "the answer names the job (%s)", out.how())
	}
}

// how says how the final result came: "HTTP 200" or "HTTP 202, then 3 polls".
func (o outcome) how() string {
	if o.status == http.StatusAccepted {
		return fmt.Sprintf("HTTP 202, then final by poll %d", o.polls)
	}
	return fmt.Sprintf("HTTP %d", o.status)
}

// ForeignIdentifierConflicts: a job whose verified identities are an unknown subject's, with another
// subject's identifier added unverified (Target.Foreign), ends identity_conflict and returns nothing
// (PROTOCOL.md §3, verified): an extra identifier never selects someone else's records. The attack of
// issue 14 was attacker2@example.com, verified, with --customer-id billing=B-john.
func ForeignIdentifierConflicts(ctx context.Context, t Target) Result {
	t = t.withDefaults()
	const name = "foreign_identifier_conflicts"
	if len(t.Foreign.Types()) == 0 || t.Action == dsrflow.ActionNotify || t.Action == dsrflow.ActionPurge {
		return pass(name, "not checked: give an identifier of a subject the connector holds (--foreign TYPE=VALUE) to check that an unverified one is a conflict")
	}
	job := t.job(t.Action)
	job.Verified = job.Identities.Types()
	for _, typ := range t.Foreign.Types() {
		if slices.Contains(job.Verified, typ) {
			return fail(name, "the foreign identifier's type %s is also among the verified identities; give another type", typ)
		}
		job.Identities = connectors.WithIdentity(job.Identities, typ, connectors.IdentityValue(t.Foreign, typ))
	}
	out, err := t.submit(ctx, job)
	switch {
	case err != nil:
		return fail(name, "%v", err)
	case len(out.result.Records) > 0:
		return fail(name, "%s job ended %s with %d records: an unverified identifier selected another subject's data", t.Action, out.result.Status, len(out.result.Records))
	case out.result.Status == connectors.StatusIdentityConflict:
		return pass(name, "%s job with another subject's %s, unverified, ended identity_conflict without records (%s)", t.Action, strings.Join(t.Foreign.Types(), ", "), out.how())
	default:
		return fail(name, "%s job with another subject's %s, unverified, ended %q (%s), want identity_conflict", t.Action, strings.Join(t.Foreign.Types(), ", "), out.result.Status, out.how())
	}
}
