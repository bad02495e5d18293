// Package connectors is dsrflow's side of the connector contract: connectors.yaml, the HTTP protocol v1
// (PROTOCOL.md), the client the activities use, and the types both sides share. connectors/sdk is the
// other side, for connector authors; connectors/demo holds the demo subsidiaries.
package connectors

import (
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/dsrflow/dsrflow"
)

// ProtocolVersion names the wire protocol in every job.
const ProtocolVersion = "dsrflow/1"

// Job is one action on one connector for one request. Its ID is "{request}:{connector}:{action}":
// the same job sent twice is the same job, and connectors must act on it once.
type Job struct {
	Protocol   string           `json:"protocol"`
	ID         string           `json:"job_id"`
	RequestID  string           `json:"request_id"`
	Connector  string           `json:"connector"`
	Action     dsrflow.Action   `json:"action"`
	Identities dsrflow.Identity `json:"identities"`
	// Verified names the identity types of Identities that dsrflow verified (as Identity.Types names
	// them: "email", "customer_id:crm"): only these select records on their own. Any other identity is
	// extra: it may add records only where the connector confirms it belongs to the verified person (on
	// a record the verified identities select, or one linked to it); an extra identity matching anyone
	// else's record makes the job's result StatusIdentityConflict. Absent (jobs of an older dsrflow,
	// purges): every identity in Identities is trusted.
	Verified []string `json:"verified,omitempty"`
	// Extra holds, inside a connector built on connectors/sdk, the identities the SDK took out of
	// Identities because they are not verified (sdk.Subjects reads them). It never goes on the wire.
	Extra dsrflow.Identity `json:"-"`
	// Portable asks access jobs for machine-readable data only (GDPR Art. 20).
	Portable bool `json:"portable,omitempty"`
	// Corrections maps a data category to its corrected value (rectify).
	Corrections map[string]string `json:"corrections,omitempty"`
	// Purposes lists the processing purposes consent is withdrawn for (withdraw_consent).
	Purposes []string `json:"purposes,omitempty"`
	// Grounds is the subject's stated grounds (object).
	Grounds string `json:"grounds,omitempty"`
	// Categories limits an access job to these data categories (authority disclosures).
	Categories []string `json:"categories,omitempty"`
	// Cause names the request type that a notify job reports to a partner.
	Cause dsrflow.RequestType `json:"cause,omitempty"`
	// Cutoff is the purge job's limit: data whose last activity is before it goes.
	Cutoff *time.Time `json:"cutoff,omitempty"`
	// Contact asks a purge under the marketing rule (RetentionRule.Marketing) for the whole marketing
	// contact: a subject whose last lead went leaves with its contact data and consents, unless another
	// purpose still holds them; then the result's Exemptions say which (no personal data), and Counts
	// has contacts_purged and contacts_kept.
	Contact bool `json:"contact,omitempty"`
	// Kept lists, for purge_kept, records an erasure kept (Exemption.Ref) whose period has ended by
	// Cutoff: the connector deletes exactly those, each dataset's rows under its ref whose own until-date
	// is before Cutoff, and answers completed with counts purged (rows) and kept_refs (the refs it
	// handled, all of Kept: dsrflow records them deleted only then).
	Kept []KeptRef `json:"kept,omitempty"`
	// Tenant limits the job to one customer tenant of a processor system: a routed item's execution
	// (the customer instructed it), never a subject's own request.
	Tenant string `json:"tenant,omitempty"`
	// CallbackURL is where a connector that answered 202 posts the signed result.
	CallbackURL string `json:"callback_url,omitempty"`
	// Deadline is when dsrflow needs the answer to keep the legal due date.
	Deadline time.Time `json:"deadline"`
}

// JobID returns the id of a request's job on a connector.
func JobID(requestID, connectorID string, action dsrflow.Action) string {
	return requestID + ":" + connectorID + ":" + string(action)
}

// Status is a job's outcome as the connector reports it.
type Status string

// Job statuses. Accepted and Pending are not final: the result follows by callback or polling.
const (
	StatusCompleted Status = "completed" // done: data returned, erased, corrected, ...
	StatusNotFound  Status = "not_found" // the connector holds nothing for these identities
	StatusExempt    Status = "exempt"    // kept, on a legal basis given in Exemptions
	StatusFailed    Status = "failed"    // the connector could not do it; Detail says why
	// StatusIdentityConflict: an extra identifier of the job (not verified) matches a record the
	// verified identities do not reach, so it may be someone else's. Nothing was done and nothing is
	// returned; a person resolves it (confirms the identifier with the subject, or drops it).
	StatusIdentityConflict Status = "identity_conflict"
	StatusAccepted         Status = "accepted" // 202: working on it
	StatusPending          Status = "pending"  // polling: still working
)

// Final reports whether the status ends the job.
func (s Status) Final() bool {
	return s == StatusCompleted || s == StatusNotFound || s == StatusExempt || s == StatusFailed || s == StatusIdentityConflict
}

// Split returns the job's verified identities, which select records on their own, and its extra ones,
// which may only confirm or extend them (Job.Verified). A job that names no verified identities trusts
// all of them. Inside an sdk connector the SDK has already moved the extra ones to Job.Extra.
func (j Job) Split() (verified, extra dsrflow.Identity) {
	if j.Verified == nil {
		return j.Identities, j.Extra
	}
	for _, t := range j.Identities.Types() {
		v := IdentityValue(j.Identities, t)
		if slices.Contains(j.Verified, t) {
			verified = WithIdentity(verified, t, v)
		} else {
			extra = WithIdentity(extra, t, v)
		}
	}
	for _, t := range j.Extra.Types() {
		extra = WithIdentity(extra, t, IdentityValue(j.Extra, t))
	}
	return verified, extra
}

// IdentityValue returns an identity's value of one type: email, name, phone or customer_id:SYSTEM.
func IdentityValue(id dsrflow.Identity, t string) string {
	switch t {
	case dsrflow.IdentityEmail:
		return id.Email
	case dsrflow.IdentityName:
		return id.Name
	case dsrflow.IdentityPhone:
		return id.Phone
	case dsrflow.IdentityNationalID:
		return id.NationalID
	case dsrflow.IdentityBirthdate:
		return id.Birthdate
	}
	if system, ok := strings.CutPrefix(t, dsrflow.IdentityCustomerID+":"); ok {
		return id.CustomerIDs[system]
	}
	return ""
}

// WithIdentity returns id with the value of type t set (a copy: id's customer ids are not changed).
func WithIdentity(id dsrflow.Identity, t, v string) dsrflow.Identity {
	switch t {
	case dsrflow.IdentityEmail:
		id.Email = v
	case dsrflow.IdentityName:
		id.Name = v
	case dsrflow.IdentityPhone:
		id.Phone = v
	case dsrflow.IdentityNationalID:
		id.NationalID = v
	case dsrflow.IdentityBirthdate:
		id.Birthdate = v
	default:
		if system, ok := strings.CutPrefix(t, dsrflow.IdentityCustomerID+":"); ok && v != "" {
			ids := maps.Clone(id.CustomerIDs)
			if ids == nil {
				ids = map[string]string{}
			}
			ids[system] = v
			id.CustomerIDs = ids
		}
	}
	return id
}

// Result is a connector's answer to a job.
type Result struct {
	JobID  string `json:"job_id"`
	Status Status `json:"status"`
	// Detail is a short text for agents and the answer; never personal data.
	Detail string `json:"detail,omitempty"`
	// Records are the subject's data, for access jobs.
	Records []Record `json:"records,omitempty"`
	// Exemptions are data kept on a legal basis (erase, or part of it).
	Exemptions []Exemption `json:"exemptions,omitempty"`
	// Counts are what the job did, by kind ("erased": 3, "masked": 1, "notified": 1).
	Counts map[string]int `json:"counts,omitempty"`
	// Datasets say per dataset (a table, a collection) what the job found and did. Optional: added to
	// protocol v1 without changing its version, so connectors may leave it out.
	Datasets []DatasetResult `json:"datasets,omitempty"`
	// Tenants answer a locate job: the customer tenants holding data about the identities (tenant and
	// customer ids, no records). Added to protocol v1 without changing its version.
	Tenants []TenantHolding `json:"tenants,omitempty"`
	// Items say per item the job was asked about what came of it: per data category of a rectify job,
	// per purpose of a withdraw_consent job. Optional: added to protocol v1 without changing its version.
	Items []ItemResult `json:"items,omitempty"`
}

// TenantHolding is one customer tenant of a processor system that holds data about a job's subject.
type TenantHolding struct {
	Tenant   string `json:"tenant"`
	Customer string `json:"customer"`
}

// Outcomes of one item of a job (ItemResult.Outcome).
const (
	ItemDone        = "done"         // corrected, withdrawn: as asked
	ItemNotHeld     = "not_held"     // the system holds no such data (category) or consent (purpose) of the subject
	ItemNotPossible = "not_possible" // held, but the system cannot do it: Reason says why
)

// ItemResult is what came of one item of a job: a data category to correct, a purpose to withdraw
// consent for. It holds no personal data: never the corrected value.
type ItemResult struct {
	Item    string `json:"item"`
	Outcome string `json:"outcome"`
	// Reason says why it was not possible, for the subject's answer.
	Reason string `json:"reason,omitempty"`
}

// DatasetResult is what one job found and did in one dataset of a connector. It holds no personal data.
type DatasetResult struct {
	Dataset string `json:"dataset"`
	// Counts are what the job did to the dataset's rows, by kind, as Result.Counts: {"masked": 1}.
	Counts map[string]int `json:"counts,omitempty"`
	// Truncated says that an access job stopped short at the connector's row limit: the dataset may hold
	// more of the subject's rows than the records returned.
	Truncated bool `json:"truncated,omitempty"`
}

// Record is one row of the subject's data in one dataset of a connector.
type Record struct {
	Dataset string `json:"dataset"`
	// Fields maps a field name to its value, as text.
	Fields map[string]string `json:"fields"`
	// Categories maps a field name to its data category (user.contact.email, ...).
	Categories map[string]string `json:"categories,omitempty"`
}

// Exemption is data a connector keeps although asked to erase it (GDPR Art. 17(3)).
type Exemption struct {
	Dataset string `json:"dataset,omitempty"`
	// Basis is the legal basis: legal_obligation, legal_claims, public_interest, ...
	Basis string `json:"basis"`
	// Detail names the law or reason: "Bookkeeping Act: 5 years".
	Detail     string   `json:"detail"`
	Categories []string `json:"categories,omitempty"`
	// Until is when the data may go, when known.
	Until *time.Time `json:"until,omitempty"`
	// Ref is the connector's own handle to the kept rows (opaque, never an email, name or customer
	// number): dsrflow keeps it with Until and names it in a purge job once the period has ended
	// (Job.Kept).
	Ref string `json:"ref,omitempty"`
}

// KeptRef names kept records whose period has ended: a dataset's rows under an exemption's Ref.
type KeptRef struct {
	Dataset string    `json:"dataset"`
	Ref     string    `json:"ref"`
	Until   time.Time `json:"until"`
}
