package service

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/internal/temporalx"
	"github.com/dsrflow/dsrflow/workflows"
)

// maxRoutedReason bounds a decline's reason.
const maxRoutedReason = 2000

// ListRouted implements dsrflow.RequestService.
func (s *Service) ListRouted(ctx context.Context, requestID string) ([]dsrflow.RoutedItem, error) {
	if _, err := caller(ctx, everyone...); err != nil {
		return nil, err
	}
	items, err := s.Store.ListRouted(ctx, requestID, 0)
	if err != nil {
		return nil, err
	}
	for i := range items {
		items[i].LegalName = s.legalName(items[i].Customer)
	}
	return items, nil
}

// legalName is a customer's legal name from the registry, "" when it is not there.
func (s *Service) legalName(customer string) string {
	if s.Customers == nil {
		return ""
	}
	c, ok := s.Customers.Get(customer)
	if !ok {
		return ""
	}
	return c.LegalName
}

// InstructRouted implements dsrflow.RequestService: it validates the instruction against the item
// and its processor connector, then signals the item's workflow, which records and carries it out.
func (s *Service) InstructRouted(ctx context.Context, id string, in dsrflow.RoutedInstructionInput) (dsrflow.RoutedItem, error) {
	p, err := caller(ctx, agents...)
	if err != nil {
		return dsrflow.RoutedItem{}, err
	}
	invalid := func(field, msg string) error {
		return &dsrflow.Error{Code: dsrflow.EINVALID, Message: field + " " + msg, Fields: map[string]string{field: msg}}
	}
	in.Reason = strings.TrimSpace(in.Reason)
	switch in.Instruction {
	case dsrflow.InstructExecute:
		if in.Action == "" {
			return dsrflow.RoutedItem{}, invalid("action", "is required with execute")
		}
		if !slices.Contains(connectors.ProcessorActions, in.Action) {
			return dsrflow.RoutedItem{}, invalid("action", "must be access, erase, rectify or restrict")
		}
		if in.Action == dsrflow.ActionRectify {
			// The corrected values are the customer's to give (it controls the data), never the subject's.
			if field, msg := checkRoutedCorrections(in.Corrections); field != "" {
				return dsrflow.RoutedItem{}, invalid(field, msg)
			}
		} else if len(in.Corrections) > 0 {
			return dsrflow.RoutedItem{}, invalid("corrections", "are only for execute with the action rectify")
		}
	case dsrflow.InstructDecline:
		if in.Reason == "" {
			return dsrflow.RoutedItem{}, invalid("reason", "is required with decline")
		}
	case dsrflow.InstructHandled:
	case "":
		return dsrflow.RoutedItem{}, invalid("instruction", "is required (execute, decline or handled)")
	default:
		return dsrflow.RoutedItem{}, invalid("instruction", "must be execute, decline or handled")
	}
	if utf8.RuneCountInString(in.Reason) > maxRoutedReason {
		return dsrflow.RoutedItem{}, invalid("reason", "is too long")
	}
	if in.Instruction != dsrflow.InstructExecute && in.Action != "" {
		return dsrflow.RoutedItem{}, invalid("action", "is only for execute")
	}
	if in.Instruction != dsrflow.InstructExecute && len(in.Corrections) > 0 {
		return dsrflow.RoutedItem{}, invalid("corrections", "are only for execute with the action rectify")
	}
	it, err := s.Store.GetRouted(ctx, id)
	if err != nil {
		return dsrflow.RoutedItem{}, err
	}
	if it.State.Final() || it.State == dsrflow.RoutedInstructed {
		return dsrflow.RoutedItem{}, dsrflow.Errorf(dsrflow.ECONFLICT, "routed item %s is %s already", id, it.State)
	}
	if in.Instruction == dsrflow.InstructExecute && s.Connectors != nil {
		if c, ok := s.Connectors.Get(it.Connector); !ok || !c.Supports(in.Action) {
			return dsrflow.RoutedItem{}, invalid("action", "is not supported by the processor system "+it.Connector)
		}
	}
	sig := workflows.RoutedInstruction{Instruction: in.Instruction, Action: in.Action, Corrections: in.Corrections, Reason: in.Reason, Actor: p.ID}
	if err := s.Client.SignalWorkflow(ctx, workflows.RoutedWorkflowID(id), "", workflows.SignalRoutedInstruction, sig); err != nil {
		return dsrflow.RoutedItem{}, temporalx.UserError(err, "the routed item is no longer waiting for an instruction")
	}
	return it, nil
}

// Bounds of a customer's corrections on a routed item.
const (
	maxRoutedCorrections     = 50
	maxRoutedCorrectionValue = 500
)

// checkRoutedCorrections returns the field and the problem of a rectify instruction's corrections, or
// "" when they are good: at least one, each a data category (dotted, like user.name) with a value.
// Messages name the category, never the value (it is personal data).
func checkRoutedCorrections(cs map[string]string) (field, msg string) {
	if len(cs) == 0 {
		return "corrections", "are required with execute rectify: the data category and its corrected value, as the customer gives them"
	}
	if len(cs) > maxRoutedCorrections {
		return "corrections", "are too many"
	}
	for _, cat := range slices.Sorted(maps.Keys(cs)) {
		if !connectors.ValidCategory(cat) {
			return "corrections", "name data categories like user.name; " + strconv.Quote(cat) + " is not one"
		}
		if v := strings.TrimSpace(cs[cat]); v == "" || utf8.RuneCountInString(v) > maxRoutedCorrectionValue || !utf8.ValidString(v) {
			return "corrections", "need a value of 1 to " + strconv.Itoa(maxRoutedCorrectionValue) + " characters for " + cat
		}
	}
	return "", ""
}
