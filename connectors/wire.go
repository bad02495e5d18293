package connectors

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/dsrflow/dsrflow"
)

// Ack is the body of a 202 answer: to a job submission (status accepted) or to a poll (status pending).
type Ack struct {
	JobID  string `json:"job_id"`
	Status Status `json:"status"`
}

// ErrorBody is the body of an error answer. Its message is generic: it never holds personal data.
type ErrorBody struct {
	Error string `json:"error"`
}

// ParseJobID splits a job id made by JobID. Request ids hold no colon; the connector and action are
// the last two parts.
func ParseJobID(id string) (requestID, connectorID string, action dsrflow.Action, ok bool) {
	i := strings.LastIndexByte(id, ':')
	if i <= 0 {
		return "", "", "", false
	}
	j := strings.LastIndexByte(id[:i], ':')
	if j <= 0 || j+1 == i || i+1 == len(id) {
		return "", "", "", false
	}
	return id[:j], id[j+1 : i], dsrflow.Action(id[i+1:]), true
}

// Validate checks what every connector relies on in a job. Its errors are *dsrflow.Error with code
// EINVALID and name fields, never values.
func (j Job) Validate() error {
	switch {
	case j.Protocol != ProtocolVersion:
		return dsrflow.Errorf(dsrflow.EINVALID, "protocol must be %q", ProtocolVersion)
	case j.ID == "":
		return dsrflow.Errorf(dsrflow.EINVALID, "job_id is required")
	case j.RequestID == "":
		return dsrflow.Errorf(dsrflow.EINVALID, "request_id is required")
	case j.Action == "":
		return dsrflow.Errorf(dsrflow.EINVALID, "action is required")
	case j.Action == dsrflow.ActionPurge:
		if j.Cutoff == nil {
			return dsrflow.Errorf(dsrflow.EINVALID, "cutoff is required for purge")
		}
		return nil
	case j.Action == dsrflow.ActionPurgeKept:
		if j.Cutoff == nil || len(j.Kept) == 0 {
			return dsrflow.Errorf(dsrflow.EINVALID, "cutoff and kept are required for purge_kept")
		}
		return nil
	case len(j.Identities.Types()) == 0:
		return dsrflow.Errorf(dsrflow.EINVALID, "identities must hold at least one identity")
	case j.Verified != nil && len(j.Verified) == 0:
		return dsrflow.Errorf(dsrflow.EINVALID, "verified must name at least one identity type when given")
	case j.Verified != nil && slices.ContainsFunc(j.Verified, func(t string) bool { return !slices.Contains(j.Identities.Types(), t) }):
		return dsrflow.Errorf(dsrflow.EINVALID, "verified names an identity type the job's identities do not hold")
	case j.Action == dsrflow.ActionRectify && len(j.Corrections) == 0:
		return dsrflow.Errorf(dsrflow.EINVALID, "corrections are required for rectify")
	case j.Action == dsrflow.ActionNotify && j.Cause == "":
		return dsrflow.Errorf(dsrflow.EINVALID, "cause is required for notify")
	case j.Action == dsrflow.ActionLocate && j.Tenant != "":
		return dsrflow.Errorf(dsrflow.EINVALID, "tenant is not allowed for locate")
	}
	return nil
}

// Validate checks a final result for the job id: the answer to a submission, a poll or a callback.
func (r Result) Validate(jobID string) error {
	switch {
	case r.JobID != jobID:
		return dsrflow.Errorf(dsrflow.EINVALID, "result is for another job")
	case !r.Status.Final():
		return dsrflow.Errorf(dsrflow.EINVALID, "result status is missing or not final")
	case r.Status == StatusExempt && len(r.Exemptions) == 0:
		return dsrflow.Errorf(dsrflow.EINVALID, "an exempt result must list its exemptions")
	case len(r.Tenants) > 0 && len(r.Records) > 0:
		// A processor names the customers holding the subject; the records are the customers' to give.
		return dsrflow.Errorf(dsrflow.EINVALID, "a locate result carries tenants, no records")
	case slices.ContainsFunc(r.Tenants, func(t TenantHolding) bool {
		return !idPattern.MatchString(t.Tenant) || !idPattern.MatchString(t.Customer)
	}):
		return dsrflow.Errorf(dsrflow.EINVALID, "tenants must name tenant and customer as ids ([a-z0-9_-]+)")
	case r.Status == StatusIdentityConflict && (len(r.Records) > 0 || len(r.Exemptions) > 0):
		// Nothing of a record that may be someone else's enters the answer or the export.
		return dsrflow.Errorf(dsrflow.EINVALID, "an identity_conflict result carries no records or exemptions")
	}
	for _, it := range r.Items {
		switch {
		case it.Item == "":
			return dsrflow.Errorf(dsrflow.EINVALID, "an item result names its item")
		case it.Outcome != ItemDone && it.Outcome != ItemNotHeld && it.Outcome != ItemNotPossible:
			return dsrflow.Errorf(dsrflow.EINVALID, "item outcome must be done, not_held or not_possible")
		}
	}
	return nil
}

// WriteJSON writes v as a JSON answer with the status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// WriteError writes an ErrorBody; message must hold no personal data.
func WriteError(w http.ResponseWriter, status int, message string) {
	WriteJSON(w, status, ErrorBody{Error: message})
}
