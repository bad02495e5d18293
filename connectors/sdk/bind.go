package sdk

import (
	"context"
	"errors"
	"slices"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
)

// Identity binding (PROTOCOL.md §3, verified): only the identities dsrflow verified select a person's
// records on their own. The SDK hands a handler a job whose Identities hold the verified ones only, and
// the extra ones in Job.Extra, so that a handler matching on Identities never reaches someone else's
// record through an identifier nobody checked. A handler that uses the extra ones calls Subjects.

// ErrIdentityConflict is what a handler returns (Subjects does) when an extra identifier of the job
// matches a record the verified identities do not reach: the SDK answers the job with status
// identity_conflict, and no records.
var ErrIdentityConflict = errors.New("an extra identifier matches a record the verified identities do not reach")

// conflictDetail is the result's detail of an identity conflict: for agents and the subject's answer,
// without personal data.
const conflictDetail = "an identifier given with the request matches a record that the verified identity does not reach"

// bind moves a job's extra identities out of Identities into Extra.
func bind(job connectors.Job) connectors.Job {
	job.Identities, job.Extra = job.Split()
	return job
}

// Subjects returns the keys of the subjects (customers, accounts: whatever one person's records hang
// off) a job is about, honouring identity binding. find returns the keys one identity matches: it is
// called with an Identity holding one value (Email, Name, Phone or one CustomerIDs entry), and returns
// nothing for a type the system does not match on.
//
// The verified identities select subjects. An extra identity that matches only those subjects confirms
// them; one that matches nothing is ignored; one that matches any other subject makes Subjects return
// ErrIdentityConflict and no keys. A system that keeps several records of one person linked (an
// account and its cards) returns the person's key for each of them, so that a linked record counts as
// the same subject.
func Subjects[K comparable](ctx context.Context, job connectors.Job, find func(context.Context, dsrflow.Identity) ([]K, error)) ([]K, error) {
	verified, extra := job.Split()
	var keys []K
	for _, t := range verified.Types() {
		found, err := find(ctx, connectors.WithIdentity(dsrflow.Identity{}, t, connectors.IdentityValue(verified, t)))
		if err != nil {
			return nil, err
		}
		for _, k := range found {
			if !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
	}
	for _, t := range extra.Types() {
		found, err := find(ctx, connectors.WithIdentity(dsrflow.Identity{}, t, connectors.IdentityValue(extra, t)))
		if err != nil {
			return nil, err
		}
		if slices.ContainsFunc(found, func(k K) bool { return !slices.Contains(keys, k) }) {
			return nil, ErrIdentityConflict
		}
	}
	return keys, nil
}

// Conflict is the result of a job whose extra identifier matched someone else's record: nothing done,
// nothing returned.
func Conflict(job connectors.Job) connectors.Result {
	return connectors.Result{JobID: job.ID, Status: connectors.StatusIdentityConflict, Detail: conflictDetail}
}
