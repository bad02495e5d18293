// Package fake is a dsrflow.RequestService whose operations are functions a test sets, for handler tests
// without Temporal or a store (after benbjohnson/wtf's mock package). An operation a test did not set
// fails with EINTERNAL naming it.
package fake

import (
	"context"

	"github.com/dsrflow/dsrflow"
)

var _ dsrflow.RequestService = (*RequestService)(nil)

// RequestService implements dsrflow.RequestService by calling its Fn fields.
type RequestService struct {
	CreateRequestFn      func(ctx context.Context, in dsrflow.NewRequest) (dsrflow.CreatedRequest, error)
	StartRequestFn       func(ctx context.Context, id string)
	VerifyRequestFn      func(ctx context.Context, id, code string) (dsrflow.RequestState, error)
	VerifyEIDFn          func(ctx context.Context, id string, p dsrflow.EIDPerson) (dsrflow.RequestState, error)
	ResendCodeFn         func(ctx context.Context, id string) (dsrflow.RequestState, error)
	DecideFn             func(ctx context.Context, id string, d dsrflow.ReviewDecision) (dsrflow.Decided, error)
	VoteDisclosureFn     func(ctx context.Context, id string, d dsrflow.ReviewDecision) (dsrflow.Decided, error)
	ExtendRequestFn      func(ctx context.Context, id, reason string) (dsrflow.RequestState, error)
	CancelRequestFn      func(ctx context.Context, id, reason string) (dsrflow.RequestState, error)
	RefuseRequestFn      func(ctx context.Context, id string, r dsrflow.Refusal) (dsrflow.RequestState, error)
	LiftRestrictionFn    func(ctx context.Context, id string, l dsrflow.RestrictionLift) (dsrflow.RestrictionLifted, error)
	ResolveJobFn         func(ctx context.Context, id string, r dsrflow.JobResolution) (dsrflow.RequestState, error)
	GetRequestFn         func(ctx context.Context, id string) (dsrflow.RequestView, error)
	ListRequestsFn       func(ctx context.Context, q dsrflow.RequestQuery) ([]dsrflow.SummaryView, error)
	RequestMessagesFn    func(ctx context.Context, id string) ([]dsrflow.MessageView, error)
	RequestExportFn      func(ctx context.Context, id string) (dsrflow.Export, error)
	RequestTasksFn       func(ctx context.Context, id string) ([]dsrflow.RequestTaskView, error)
	TaskFn               func(ctx context.Context, id string) (dsrflow.TaskView, error)
	AnswerTaskFn         func(ctx context.Context, id string, a dsrflow.TaskAnswer) (dsrflow.TaskAnswered, error)
	OpenTasksFn          func(ctx context.Context, q dsrflow.TaskQuery) ([]dsrflow.TaskListItem, error)
	CreateDisclosureFn   func(ctx context.Context, in dsrflow.NewDisclosure) (dsrflow.CreatedDisclosure, error)
	ReviewsFn            func(ctx context.Context) ([]dsrflow.ReviewView, error)
	DisclosureRegisterFn func(ctx context.Context, year int) ([]dsrflow.RegisterRow, error)
	DisclosureOrderFn    func(ctx context.Context, id string) (dsrflow.OrderCopy, error)
	RecordGPCFn          func(ctx context.Context, id string) (dsrflow.GPCOptOut, error)
	TransparencyReportFn func(ctx context.Context, year int) (dsrflow.TransparencyReport, error)
	RequestStatsFn       func(ctx context.Context, q dsrflow.StatsQuery) (dsrflow.RequestStats, error)
	DashboardFn          func(ctx context.Context) (dsrflow.Dashboard, error)
	OutboxFn             func(ctx context.Context, q dsrflow.OutboxQuery) ([]dsrflow.OutboxMessage, error)
	SuppressionFn        func(ctx context.Context, hash string) (dsrflow.SuppressionEntry, error)
	DownloadExportFn     func(ctx context.Context, id string) (dsrflow.Export, error)
	AssignRequestFn      func(ctx context.Context, id, assignee string) (dsrflow.Assigned, error)
	AddNoteFn            func(ctx context.Context, id, text string) (dsrflow.NoteView, error)
	ListRoutedFn         func(ctx context.Context, requestID string) ([]dsrflow.RoutedItem, error)
	InstructRoutedFn     func(ctx context.Context, id string, in dsrflow.RoutedInstructionInput) (dsrflow.RoutedItem, error)
}

// CreateRequest implements dsrflow.RequestService.
func (s *RequestService) CreateRequest(ctx context.Context, in dsrflow.NewRequest) (dsrflow.CreatedRequest, error) {
	if s.CreateRequestFn == nil {
		return dsrflow.CreatedRequest{}, notSet("CreateRequest")
	}
	return s.CreateRequestFn(ctx, in)
}

// StartRequest implements dsrflow.RequestService.
func (s *RequestService) StartRequest(ctx context.Context, id string) {
	if s.StartRequestFn != nil {
		s.StartRequestFn(ctx, id)
	}
}

// VerifyRequest implements dsrflow.RequestService.
func (s *RequestService) VerifyRequest(ctx context.Context, id, code string) (dsrflow.RequestState, error) {
	if s.VerifyRequestFn == nil {
		return dsrflow.RequestState{}, notSet("VerifyRequest")
	}
	return s.VerifyRequestFn(ctx, id, code)
}

// VerifyEID implements dsrflow.RequestService.
func (s *RequestService) VerifyEID(ctx context.Context, id string, p dsrflow.EIDPerson) (dsrflow.RequestState, error) {
	if s.VerifyEIDFn == nil {
		return dsrflow.RequestState{}, notSet("VerifyEID")
	}
	return s.VerifyEIDFn(ctx, id, p)
}

// ResendCode implements dsrflow.RequestService.
func (s *RequestService) ResendCode(ctx context.Context, id string) (dsrflow.RequestState, error) {
	if s.ResendCodeFn == nil {
		return dsrflow.RequestState{}, notSet("ResendCode")
	}
	return s.ResendCodeFn(ctx, id)
}

// Decide implements dsrflow.RequestService.
func (s *RequestService) Decide(ctx context.Context, id string, d dsrflow.ReviewDecision) (dsrflow.Decided, error) {
	if s.DecideFn == nil {
		return dsrflow.Decided{}, notSet("Decide")
	}
	return s.DecideFn(ctx, id, d)
}

// VoteDisclosure implements dsrflow.RequestService.
func (s *RequestService) VoteDisclosure(ctx context.Context, id string, d dsrflow.ReviewDecision) (dsrflow.Decided, error) {
	if s.VoteDisclosureFn == nil {
		return dsrflow.Decided{}, notSet("VoteDisclosure")
	}
	return s.VoteDisclosureFn(ctx, id, d)
}

// ExtendRequest implements dsrflow.RequestService.
func (s *RequestService) ExtendRequest(ctx context.Context, id, reason string) (dsrflow.RequestState, error) {
	if s.ExtendRequestFn == nil {
		return dsrflow.RequestState{}, notSet("ExtendRequest")
	}
	return s.ExtendRequestFn(ctx, id, reason)
}

// CancelRequest implements dsrflow.RequestService.
func (s *RequestService) CancelRequest(ctx context.Context, id, reason string) (dsrflow.RequestState, error) {
	if s.CancelRequestFn == nil {
		return dsrflow.RequestState{}, notSet("CancelRequest")
	}
	return s.CancelRequestFn(ctx, id, reason)
}

// RefuseRequest implements dsrflow.RequestService.
func (s *RequestService) RefuseRequest(ctx context.Context, id string, r dsrflow.Refusal) (dsrflow.RequestState, error) {
	if s.RefuseRequestFn == nil {
		return dsrflow.RequestState{}, notSet("RefuseRequest")
	}
	return s.RefuseRequestFn(ctx, id, r)
}

// LiftRestriction implements dsrflow.RequestService.
func (s *RequestService) LiftRestriction(ctx context.Context, id string, l dsrflow.RestrictionLift) (dsrflow.RestrictionLifted, error) {
	if s.LiftRestrictionFn == nil {
		return dsrflow.RestrictionLifted{}, notSet("LiftRestriction")
	}
	return s.LiftRestrictionFn(ctx, id, l)
}

// ResolveJob implements dsrflow.RequestService.
func (s *RequestService) ResolveJob(ctx context.Context, id string, r dsrflow.JobResolution) (dsrflow.RequestState, error) {
	if s.ResolveJobFn == nil {
		return dsrflow.RequestState{}, notSet("ResolveJob")
	}
	return s.ResolveJobFn(ctx, id, r)
}

// GetRequest implements dsrflow.RequestService.
func (s *RequestService) GetRequest(ctx context.Context, id string) (dsrflow.RequestView, error) {
	if s.GetRequestFn == nil {
		return dsrflow.RequestView{}, notSet("GetRequest")
	}
	return s.GetRequestFn(ctx, id)
}

// ListRequests implements dsrflow.RequestService.
func (s *RequestService) ListRequests(ctx context.Context, q dsrflow.RequestQuery) ([]dsrflow.SummaryView, error) {
	if s.ListRequestsFn == nil {
		return nil, notSet("ListRequests")
	}
	return s.ListRequestsFn(ctx, q)
}

// RequestMessages implements dsrflow.RequestService.
func (s *RequestService) RequestMessages(ctx context.Context, id string) ([]dsrflow.MessageView, error) {
	if s.RequestMessagesFn == nil {
		return nil, notSet("RequestMessages")
	}
	return s.RequestMessagesFn(ctx, id)
}

// RequestExport implements dsrflow.RequestService.
func (s *RequestService) RequestExport(ctx context.Context, id string) (dsrflow.Export, error) {
	if s.RequestExportFn == nil {
		return dsrflow.Export{}, notSet("RequestExport")
	}
	return s.RequestExportFn(ctx, id)
}

// RequestTasks implements dsrflow.RequestService.
func (s *RequestService) RequestTasks(ctx context.Context, id string) ([]dsrflow.RequestTaskView, error) {
	if s.RequestTasksFn == nil {
		return nil, notSet("RequestTasks")
	}
	return s.RequestTasksFn(ctx, id)
}

// OpenTasks implements dsrflow.RequestService.
func (s *RequestService) OpenTasks(ctx context.Context, q dsrflow.TaskQuery) ([]dsrflow.TaskListItem, error) {
	if s.OpenTasksFn == nil {
		return nil, notSet("OpenTasks")
	}
	return s.OpenTasksFn(ctx, q)
}

// Task implements dsrflow.RequestService.
func (s *RequestService) Task(ctx context.Context, id string) (dsrflow.TaskView, error) {
	if s.TaskFn == nil {
		return dsrflow.TaskView{}, notSet("Task")
	}
	return s.TaskFn(ctx, id)
}

// AnswerTask implements dsrflow.RequestService.
func (s *RequestService) AnswerTask(ctx context.Context, id string, a dsrflow.TaskAnswer) (dsrflow.TaskAnswered, error) {
	if s.AnswerTaskFn == nil {
		return dsrflow.TaskAnswered{}, notSet("AnswerTask")
	}
	return s.AnswerTaskFn(ctx, id, a)
}

// CreateDisclosure implements dsrflow.RequestService.
func (s *RequestService) CreateDisclosure(ctx context.Context, in dsrflow.NewDisclosure) (dsrflow.CreatedDisclosure, error) {
	if s.CreateDisclosureFn == nil {
		return dsrflow.CreatedDisclosure{}, notSet("CreateDisclosure")
	}
	return s.CreateDisclosureFn(ctx, in)
}

// Reviews implements dsrflow.RequestService.
func (s *RequestService) Reviews(ctx context.Context) ([]dsrflow.ReviewView, error) {
	if s.ReviewsFn == nil {
		return nil, notSet("Reviews")
	}
	return s.ReviewsFn(ctx)
}

// DisclosureRegister implements dsrflow.RequestService.
func (s *RequestService) DisclosureRegister(ctx context.Context, year int) ([]dsrflow.RegisterRow, error) {
	if s.DisclosureRegisterFn == nil {
		return nil, notSet("DisclosureRegister")
	}
	return s.DisclosureRegisterFn(ctx, year)
}

// RecordGPC implements dsrflow.RequestService.
func (s *RequestService) RecordGPC(ctx context.Context, id string) (dsrflow.GPCOptOut, error) {
	if s.RecordGPCFn == nil {
		return dsrflow.GPCOptOut{}, notSet("RecordGPC")
	}
	return s.RecordGPCFn(ctx, id)
}

// DisclosureOrder implements dsrflow.RequestService.
func (s *RequestService) DisclosureOrder(ctx context.Context, id string) (dsrflow.OrderCopy, error) {
	if s.DisclosureOrderFn == nil {
		return dsrflow.OrderCopy{}, notSet("DisclosureOrder")
	}
	return s.DisclosureOrderFn(ctx, id)
}

// AssignRequest implements dsrflow.RequestService.
func (s *RequestService) AssignRequest(ctx context.Context, id, assignee string) (dsrflow.Assigned, error) {
	if s.AssignRequestFn == nil {
		return dsrflow.Assigned{}, notSet("AssignRequest")
	}
	return s.AssignRequestFn(ctx, id, assignee)
}

// AddNote implements dsrflow.RequestService.
func (s *RequestService) AddNote(ctx context.Context, id, text string) (dsrflow.NoteView, error) {
	if s.AddNoteFn == nil {
		return dsrflow.NoteView{}, notSet("AddNote")
	}
	return s.AddNoteFn(ctx, id, text)
}

// ListRouted implements dsrflow.RequestService.
func (s *RequestService) ListRouted(ctx context.Context, requestID string) ([]dsrflow.RoutedItem, error) {
	if s.ListRoutedFn == nil {
		return nil, notSet("ListRouted")
	}
	return s.ListRoutedFn(ctx, requestID)
}

// InstructRouted implements dsrflow.RequestService.
func (s *RequestService) InstructRouted(ctx context.Context, id string, in dsrflow.RoutedInstructionInput) (dsrflow.RoutedItem, error) {
	if s.InstructRoutedFn == nil {
		return dsrflow.RoutedItem{}, notSet("InstructRouted")
	}
	return s.InstructRoutedFn(ctx, id, in)
}

func notSet(op string) error { return dsrflow.Errorf(dsrflow.EINTERNAL, "fake: %s is not set", op) }

// TransparencyReport implements dsrflow.RequestService.
func (s *RequestService) TransparencyReport(ctx context.Context, year int) (dsrflow.TransparencyReport, error) {
	if s.TransparencyReportFn == nil {
		return dsrflow.TransparencyReport{}, notSet("TransparencyReport")
	}
	return s.TransparencyReportFn(ctx, year)
}

// RequestStats implements dsrflow.RequestService.
func (s *RequestService) RequestStats(ctx context.Context, q dsrflow.StatsQuery) (dsrflow.RequestStats, error) {
	if s.RequestStatsFn == nil {
		return dsrflow.RequestStats{}, notSet("RequestStats")
	}
	return s.RequestStatsFn(ctx, q)
}

// Dashboard implements dsrflow.RequestService.
func (s *RequestService) Dashboard(ctx context.Context) (dsrflow.Dashboard, error) {
	if s.DashboardFn == nil {
		return dsrflow.Dashboard{}, notSet("Dashboard")
	}
	return s.DashboardFn(ctx)
}

// Outbox implements dsrflow.RequestService.
func (s *RequestService) Outbox(ctx context.Context, q dsrflow.OutboxQuery) ([]dsrflow.OutboxMessage, error) {
	if s.OutboxFn == nil {
		return nil, notSet("Outbox")
	}
	return s.OutboxFn(ctx, q)
}

// Suppression implements dsrflow.RequestService.
func (s *RequestService) Suppression(ctx context.Context, hash string) (dsrflow.SuppressionEntry, error) {
	if s.SuppressionFn == nil {
		return dsrflow.SuppressionEntry{}, notSet("Suppression")
	}
	return s.SuppressionFn(ctx, hash)
}

// DownloadExport implements dsrflow.RequestService.
func (s *RequestService) DownloadExport(ctx context.Context, id string) (dsrflow.Export, error) {
	if s.DownloadExportFn == nil {
		return dsrflow.Export{}, notSet("DownloadExport")
	}
	return s.DownloadExportFn(ctx, id)
}
