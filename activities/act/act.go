// Package act is the contract between the workflows and the activities: the names the worker registers
// the activities under, and their arguments and results. It is its own package, not part of activities,
// because the deterministic workflow package imports it: it depends on the root package, the connector
// protocol types and the standard library only, so the workflows link no database driver, no metrics
// and no connector implementation. Package activities implements the contract and aliases its types.
package act

// ErrPermanentConnector is the error type of a job the connector refused for good (4xx other than 429):
// retrying will not help, so the workflow escalates at once.
const ErrPermanentConnector = "PermanentConnectorError"

// The activities' names, grouped by the activities struct whose methods they are. The worker registers
// each struct (worker.RegisterActivity), and the SDK registers every exported method under its own name,
// so a name here is a method name there: renaming either breaks requests already running (their
// histories name the old one), and the activities' tests check that each name here has its method.
// Workflows execute activities by these names, which is what the method values they used before
// produced ("Transition" for (*activities.Store).Transition).
var (
	// Store: the request index, the audit log and record retention (activities.Store).
	Store = struct {
		Transition, AppendAudit, RecordJob, RecordDecision, ShredExpiredRecords, DueKept, KeptPurged string
	}{"Transition", "AppendAudit", "RecordJob", "RecordDecision", "ShredExpiredRecords", "DueKept", "KeptPurged"}

	// Verification: codes and mail to the subject (activities.Verification).
	Verification = struct{ IssueCode, Send string }{"IssueCode", "Send"}

	// Connectors: selecting connectors and running their jobs (activities.Connectors).
	Connectors = struct {
		Select, Run, Poll, AwaitResult, RetentionTargets string
	}{"Select", "Run", "Poll", "AwaitResult", "RetentionTargets"}

	// Answer: the answer to the subject (activities.Answer).
	Answer = struct{ Respond, Acknowledge, LiftNotice, NoticeSent string }{"Respond", "Acknowledge", "LiftNotice", "NoticeSent"}

	// Review: cards and alerts shown to people (activities.Review).
	Review = struct {
		PostCard, UpdateCard, SendAlert, WorkingDaysLater string
	}{"PostCard", "UpdateCard", "SendAlert", "WorkingDaysLater"}

	// Suppression: the marketing suppression list (activities.Suppression).
	Suppression = struct{ Suppress string }{"Suppress"}

	// Routing: requests routed to the business customers controlling data the group holds as a
	// processor (activities.Routing, issue 22).
	Routing = struct {
		LocateTenants, OpenRouted, RecordRouted, ExecuteRouted, CallbackRouted string
	}{"LocateTenants", "OpenRouted", "RecordRouted", "ExecuteRouted", "CallbackRouted"}

	// Disclosure: the disclosure register and the authority's bundle (activities.Disclosure).
	Disclosure = struct{ RecordDisclosure, PrepareBundle, NotifyDPO string }{"RecordDisclosure", "PrepareBundle", "NotifyDPO"}
)
