package activities

import "github.com/dsrflow/dsrflow/activities/act"

// The activities' arguments and results are defined in package act, which the workflows import without
// linking this package's dependencies; these aliases keep their names here.
type (
	Transition        = act.Transition
	ConnectorRef      = act.ConnectorRef
	SelectInput       = act.SelectInput
	JobOutcome        = act.JobOutcome
	AwaitInput        = act.AwaitInput
	IssueCodeInput    = act.IssueCodeInput
	Mail              = act.Mail
	RespondInput      = act.RespondInput
	AcknowledgeInput  = act.AcknowledgeInput
	AcknowledgeResult = act.AcknowledgeResult
	BundleInput       = act.BundleInput
	BundleOutcome     = act.BundleOutcome
	ShredInput        = act.ShredInput
	ShredResult       = act.ShredResult
	RetentionTarget   = act.RetentionTarget
	PostCardInput     = act.PostCardInput
	UpdateCardInput   = act.UpdateCardInput
	AlertInput        = act.AlertInput
	WorkingDaysInput  = act.WorkingDaysInput
	SuppressInput     = act.SuppressInput
	DPONotice         = act.DPONotice
)

// ErrPermanentConnector is the error type of a job the connector refused for good (4xx other than 429).
const ErrPermanentConnector = act.ErrPermanentConnector
